"""Accounts (the parties we serve), their contacts and their orders."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AccountKind(models.TextChoices):
    PERSON = "person", _("Person")
    ORGANISATION = "organisation", _("Organisation")


class ServiceModel(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    CLIENT = "client", _("Client")


class LifecycleStage(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    NEW = "new", _("New")
    REPEAT = "repeat", _("Repeat")
    CLIENT = "client", _("Client")
    AT_RISK = "at_risk", _("At risk")
    CHURNED = "churned", _("Churned")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    PORTAL = "portal", _("Portal")
    CHAT = "chat", _("Chat")
    PHONE = "phone", _("Phone")
    SOCIAL = "social", _("Social")
    API = "api", _("API")


class Account(models.Model):
    """A party we serve, a person or an organisation, as a customer or as a client."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=AccountKind.choices, default=AccountKind.PERSON)
    service_model = models.CharField(
        _("service model"), max_length=16, choices=ServiceModel.choices, default=ServiceModel.CUSTOMER
    )
    lifecycle_stage = models.CharField(
        _("lifecycle stage"), max_length=16, choices=LifecycleStage.choices, default=LifecycleStage.NEW
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_accounts",
        verbose_name=_("owner"),
    )
    locale = models.CharField(_("locale"), max_length=16, default="en")
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    country = models.CharField(_("country"), max_length=2, blank=True)
    segment = models.CharField(_("segment"), max_length=64, blank=True)
    tags = models.ManyToManyField("core.Tag", blank=True, related_name="accounts", verbose_name=_("tags"))
    served_for = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="served_accounts",
        verbose_name=_("served for"),
    )
    external_id = models.CharField(_("external id"), max_length=100, null=True, blank=True, unique=True)
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        indexes = [
            models.Index(fields=["service_model", "id"], name="account_model_idx"),
            models.Index(fields=["lifecycle_stage", "id"], name="account_stage_idx"),
            models.Index(fields=["owner", "id"], name="account_owner_idx"),
            models.Index(fields=["updated_at", "id"], name="account_updated_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(service_model="client") | Q(owner__isnull=False),
                name="account_client_has_owner",
                violation_error_message=_("A client needs an owner (their advisor)."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """A person at an account who writes to us or whom we contact."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("account"))
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, help_text=_("E.164, e.g. +442071838750"))
    language = models.CharField(_("language"), max_length=16, default="en")
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True, help_text=_("Empty means the account's time zone.")
    )
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=16, choices=Channel.choices, default=Channel.EMAIL
    )
    external_id = models.CharField(_("external id"), max_length=100, null=True, blank=True, unique=True)
    # Set when mail to the address bounced (cleared when the contact's address changes or they write again).
    # Nullable, so that adding them is an ALTER TABLE rather than a rebuild of the table.
    email_failing_since = models.DateTimeField(_("email failing since"), null=True, blank=True)
    email_failure = models.CharField(_("email failure"), max_length=500, null=True, blank=True)  # noqa: DJ001
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact",
        verbose_name=_("portal user"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "email"], condition=~Q(email=""), name="contact_email_unique_per_account"
            ),
        ]
        indexes = [
            models.Index(fields=["account", "id"], name="contact_account_idx"),
            models.Index(fields=["email"], name="contact_email_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.email else self.name


class AccountDomain(models.Model):
    """An email domain an organisation account owns: unknown senders from it become its contacts."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="domains", verbose_name=_("account"))
    domain = models.CharField(_("domain"), max_length=253, unique=True)

    class Meta:
        verbose_name = _("account domain")
        verbose_name_plural = _("account domains")
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class Order(models.Model):
    """A purchase by an account: feeds value, frequency and lifetime models."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="orders", verbose_name=_("account"))
    external_id = models.CharField(_("external id"), max_length=100, unique=True)
    placed_at = models.DateTimeField(_("placed at"))
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(_("currency"), max_length=3)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            # The account page and its timeline read orders newest first by (placed_at, id).
            models.Index(fields=["account", "placed_at", "id"], name="order_account_placed_idx"),
            models.Index(fields=["placed_at", "id"], name="order_placed_idx"),
            # The relationship scorecard sums every order up to a period's end by currency (revenue, historical
            # value): read from this index alone, in currency order, rather than row by row.
            models.Index(fields=["currency", "placed_at", "account", "amount"], name="order_currency_placed_idx"),
            # The incremental insights refresh looks for the orders changed since it last ran.
            models.Index(fields=["updated_at"], name="order_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.external_id} {self.amount} {self.currency}"


class OrderItem(models.Model):
    """One line of an order."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items", verbose_name=_("order"))
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=64, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(
        _("unit price"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )

    class Meta:
        verbose_name = _("order item")
        verbose_name_plural = _("order items")

    def __str__(self) -> str:
        return f"{self.quantity} x {self.name}"
