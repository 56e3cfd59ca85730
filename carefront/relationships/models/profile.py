"""The client profile: the client's own goals, how they like to be served (channel, language, meeting times and the
fields the business defines), their key people, and the services they buy."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carefront.relationships.models.checkins import InteractionKind


class ProfileFieldKind(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    YES_NO = "yes_no", _("Yes or no")


class GoalState(models.TextChoices):
    OPEN = "open", _("Open")
    ACHIEVED = "achieved", _("Achieved")
    ABANDONED = "abandoned", _("Abandoned")


class KeyPersonRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    CHAMPION = "champion", _("Champion")
    BILLING = "billing", _("Billing")
    TECHNICAL = "technical", _("Technical")
    EXECUTIVE_SPONSOR = "executive_sponsor", _("Executive sponsor")
    USER = "user", _("User")
    OTHER = "other", _("Other")


class ServiceStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    ENDED = "ended", _("Ended")


class BillingPeriod(models.TextChoices):
    MONTH = "month", _("per month")
    QUARTER = "quarter", _("per quarter")
    YEAR = "year", _("per year")


class ProfileField(models.Model):
    """A field of the client profile that the business defines (key, label, type), filled in per client."""

    # The name values are stored under; never changes, so stored values always find their definition.
    key = models.SlugField(_("key"), max_length=50, unique=True)
    label = models.CharField(_("label"), max_length=100)
    kind = models.CharField(_("type"), max_length=16, choices=ProfileFieldKind.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    position = models.PositiveIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("profile field")
        verbose_name_plural = _("profile fields")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label


class ClientProfile(models.Model):
    """How a client likes to be served: channel, language, meeting times and the business's own fields.

    Created on the first edit; an account without one has no preferences yet.
    """

    account = models.OneToOneField(
        "accounts.Account", on_delete=models.CASCADE, related_name="client_profile", verbose_name=_("account")
    )
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=16, choices=InteractionKind.choices, blank=True
    )
    # A language code (fr, en-GB); empty: the account's locale.
    preferred_language = models.CharField(_("preferred language"), max_length=16, blank=True)
    # ISO weekdays as digits, 1 is Monday ("135"); the window is wall-clock time in the account's time zone.
    meeting_days = models.CharField(_("meeting days"), max_length=7, blank=True)
    meeting_from = models.TimeField(_("meetings from"), null=True, blank=True)
    meeting_until = models.TimeField(_("meetings until"), null=True, blank=True)
    meeting_notes = models.TextField(_("meeting notes"), blank=True)
    # Values of the ProfileField definitions, by key, as validated when written (see services_profile).
    fields = models.JSONField(_("profile fields"), default=dict, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("client profile")
        verbose_name_plural = _("client profiles")
        constraints = [
            models.CheckConstraint(
                condition=Q(meeting_from__isnull=True, meeting_until__isnull=True)
                | Q(meeting_from__isnull=False, meeting_until__gt=models.F("meeting_from")),
                name="profile_meeting_window_order",
            ),
        ]

    def __str__(self) -> str:
        return str(self.account)


class ClientGoal(models.Model):
    """A client's own goal (retire at 60, cut churn 5 % this year) with its target date."""

    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        related_name="client_goals",
        verbose_name=_("account"),
        db_index=False,  # goal_account_idx leads with it
    )
    title = models.CharField(_("title"), max_length=200)
    target_date = models.DateField(_("target date"))
    state = models.CharField(_("state"), max_length=16, choices=GoalState.choices, default=GoalState.OPEN)
    achieved_at = models.DateTimeField(_("achieved at"), null=True, blank=True)
    abandoned_at = models.DateTimeField(_("abandoned at"), null=True, blank=True)
    abandoned_reason = models.TextField(_("why abandoned"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("client goal")
        verbose_name_plural = _("client goals")
        indexes = [
            models.Index(fields=["account", "state", "target_date"], name="goal_account_idx"),
            # The morning recommendations: open goals whose date is near, for many accounts at once.
            models.Index(fields=["state", "target_date"], name="goal_state_date_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class KeyPerson(models.Model):
    """A contact of the account who matters to the relationship, with their role (decision maker, billing…)."""

    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        related_name="key_people",
        verbose_name=_("account"),
        db_index=False,  # keyperson_account_idx leads with it
    )
    contact = models.ForeignKey(
        "accounts.Contact", on_delete=models.CASCADE, related_name="key_roles", verbose_name=_("contact")
    )
    role = models.CharField(_("role"), max_length=24, choices=KeyPersonRole.choices)
    notes = models.TextField(_("notes"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("key person")
        verbose_name_plural = _("key people")
        indexes = [models.Index(fields=["account", "id"], name="keyperson_account_idx")]
        constraints = [models.UniqueConstraint(fields=["contact", "role"], name="keyperson_role_once")]

    def __str__(self) -> str:
        return f"{self.contact.name} ({self.get_role_display()})"


class ClientService(models.Model):
    """A service the client buys from us: what, since when, when it renews, and its price per period."""

    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        related_name="client_services",
        verbose_name=_("account"),
        db_index=False,  # clientservice_account_idx leads with it
    )
    name = models.CharField(_("name"), max_length=200)
    status = models.CharField(_("status"), max_length=16, choices=ServiceStatus.choices, default=ServiceStatus.ACTIVE)
    started_on = models.DateField(_("started on"))
    renews_on = models.DateField(_("renews on"), null=True, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    period = models.CharField(_("period"), max_length=16, choices=BillingPeriod.choices, default=BillingPeriod.MONTH)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("client service")
        verbose_name_plural = _("client services")
        indexes = [
            models.Index(fields=["account", "status"], name="clientservice_account_idx"),
            # "Renewal in N days": services still running whose renewal date is near, for many accounts at once.
            models.Index(fields=["status", "renews_on"], name="clientservice_renewal_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="clientservice_amount_positive"),
            models.CheckConstraint(
                condition=Q(renews_on__isnull=True) | Q(renews_on__gte=models.F("started_on")),
                name="clientservice_renews_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name
