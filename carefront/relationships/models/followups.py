"""Follow-ups: rules that write to a contact after an event (a ticket solved, an order, a check-in held), each
follow-up scheduled once per event and contact, and the contacts who want no such email."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FollowUpEvent(models.TextChoices):
    TICKET_SOLVED = "ticket_solved", _("Ticket solved")
    FIRST_ORDER = "first_order", _("First order")
    NTH_ORDER = "nth_order", _("Nth order")
    CHECK_IN_HELD = "check_in_held", _("Check-in held")


class FollowUpAudience(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    CLIENTS = "clients", _("Clients")
    BOTH = "both", _("Customers and clients")


class FollowUpState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Skipped")
    FAILED = "failed", _("Failed")


class SkipReason(models.TextChoices):
    OPTED_OUT = "opted_out", _("The contact opted out")
    QUIET_PERIOD = "quiet_period", _("Another follow-up went out within the quiet period")
    NO_EMAIL = "no_email", _("No working email address")
    RULE_INACTIVE = "rule_inactive", _("The rule was deactivated")


class FollowUpRule(models.Model):
    """What to write, to whom and how long after an event; one template (subject and body) per language."""

    name = models.CharField(_("name"), max_length=200)
    event = models.CharField(_("event"), max_length=16, choices=FollowUpEvent.choices)
    # The N of an "Nth order" rule (3: the account's third order); empty for the other events.
    order_count = models.PositiveSmallIntegerField(_("order number"), null=True, blank=True)
    delay_minutes = models.PositiveIntegerField(_("delay after the event (minutes)"), default=0)
    audience = models.CharField(
        _("audience"), max_length=16, choices=FollowUpAudience.choices, default=FollowUpAudience.BOTH
    )
    is_active = models.BooleanField(_("active"), default=True)
    # {"en": {"subject": "…", "body": "…"}, "fr": {…}}: the workspace's default language always, others optional.
    templates = models.JSONField(_("templates"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("follow-up rule")
        verbose_name_plural = _("follow-up rules")
        indexes = [models.Index(fields=["event", "is_active"], name="followup_rule_event_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(event="nth_order", order_count__gte=2) | (~Q(event="nth_order") & Q(order_count=None)),
                name="followup_rule_order_count",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class FollowUp(models.Model):
    """One outreach a rule scheduled for one contact after one event: sent once, or skipped with the reason."""

    rule = models.ForeignKey(FollowUpRule, on_delete=models.PROTECT, related_name="follow_ups", verbose_name=_("rule"))
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="follow_ups", verbose_name=_("account")
    )
    contact = models.ForeignKey(
        "accounts.Contact", on_delete=models.CASCADE, related_name="follow_ups", verbose_name=_("contact")
    )
    # What happened, once: "ticket:123:solved:<solved at, Unix seconds>", "order:456", "check_in:789".
    event_key = models.CharField(_("event"), max_length=100)
    ticket = models.ForeignKey(
        "desk.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("ticket")
    )
    order = models.ForeignKey(
        "accounts.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("order")
    )
    interaction = models.ForeignKey(
        "relationships.Interaction",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("interaction"),
    )
    scheduled_at = models.DateTimeField(_("scheduled at"))
    state = models.CharField(_("state"), max_length=16, choices=FollowUpState.choices, default=FollowUpState.SCHEDULED)
    skip_reason = models.CharField(_("reason skipped"), max_length=16, choices=SkipReason.choices, blank=True)
    error = models.TextField(_("error"), blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    outbound = models.ForeignKey(
        "mail.OutboundEmail",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("email"),
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        constraints = [
            # An event never sends twice: the hook or the job run again finds the row already there.
            models.UniqueConstraint(fields=["rule", "contact", "event_key"], name="followup_once_per_event"),
        ]
        indexes = [
            models.Index(fields=["state", "scheduled_at", "id"], name="followup_due_idx"),
            models.Index(fields=["contact", "sent_at"], name="followup_quiet_idx"),
            models.Index(fields=["account", "id"], name="followup_account_idx"),
            models.Index(fields=["rule", "id"], name="followup_rule_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}: {self.event_key} → {self.contact_id} ({self.state})"


class OptOutSource(models.TextChoices):
    STAFF = "staff", _("Set by staff")
    LINK = "link", _("Unsubscribe link")


class OutreachOptOut(models.Model):
    """A contact who wants no outreach email (follow-ups, and surveys once they exist); replies still reach them."""

    contact = models.OneToOneField(
        "accounts.Contact", on_delete=models.CASCADE, related_name="outreach_opt_out", verbose_name=_("contact")
    )
    source = models.CharField(_("source"), max_length=8, choices=OptOutSource.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("set by"),
    )
    created_at = models.DateTimeField(_("opted out at"), default=timezone.now)

    class Meta:
        verbose_name = _("outreach opt-out")
        verbose_name_plural = _("outreach opt-outs")

    def __str__(self) -> str:
        return f"opt-out {self.contact_id}"


class OutreachSettings(models.Model):
    """The workspace's outreach choices (one row): how long a contact hears nothing more after a follow-up."""

    quiet_days = models.PositiveSmallIntegerField(_("quiet period (days)"), default=7)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("outreach settings")
        verbose_name_plural = _("outreach settings")

    def __str__(self) -> str:
        return f"outreach settings ({self.quiet_days} days)"
