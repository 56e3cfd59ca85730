"""Cadences and their check-ins, interactions (what happened with an account, a held check-in among them),
their next steps, and each advisor's working hours and calendar feed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CadenceKind(models.TextChoices):
    MONTHLY_CALL = "monthly_call", _("Monthly call")
    BUSINESS_REVIEW = "business_review", _("Quarterly business review")
    PLANNING = "planning", _("Yearly planning")
    OTHER = "other", _("Other")


class InteractionKind(models.TextChoices):
    MEETING = "meeting", _("Meeting")
    CALL = "call", _("Call")
    VIDEO = "video", _("Video call")
    EMAIL = "email", _("Email")
    CHAT = "chat", _("Chat")
    IN_PERSON = "in_person", _("In person")


class CheckInState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held")
    MISSED = "missed", _("Missed")
    CANCELLED = "cancelled", _("Cancelled")


class AdvisorSettings(models.Model):
    """A staff member's working hours (in their profile's time zone) and the hash of their calendar feed's secret.

    Without a row, the working hours are the defaults of `relationships.schedule`.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="advisor_settings", verbose_name=_("user")
    )
    work_starts = models.TimeField(_("working day starts"))
    work_ends = models.TimeField(_("working day ends"))
    # ISO weekdays as digits, 1 is Monday: "12345".
    work_days = models.CharField(_("working days"), max_length=7)
    # SHA-256 of the feed's secret token: the URL is shown once, a leaked database does not reveal it.
    feed_token_hash = models.CharField(_("calendar feed token hash"), max_length=64, blank=True)
    feed_token_created_at = models.DateTimeField(_("calendar feed created at"), null=True, blank=True)

    class Meta:
        verbose_name = _("advisor settings")
        verbose_name_plural = _("advisor settings")
        constraints = [
            models.CheckConstraint(condition=Q(work_ends__gt=models.F("work_starts")), name="advisor_hours_order"),
            models.UniqueConstraint(
                fields=["feed_token_hash"], condition=~Q(feed_token_hash=""), name="advisor_feed_token_unique"
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)


class Cadence(models.Model):
    """A client's regular touchpoint plan: an RFC 5545 recurrence rule in the client's time zone, kept by an advisor."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="cadences", verbose_name=_("account")
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=CadenceKind.choices, default=CadenceKind.OTHER)
    channel = models.CharField(
        _("channel"), max_length=16, choices=InteractionKind.choices, default=InteractionKind.VIDEO
    )
    duration_minutes = models.PositiveIntegerField(_("duration in minutes"))
    # The RRULE's value (FREQ=MONTHLY;BYMONTHDAY=-1), read with python-dateutil only.
    rule = models.CharField(_("recurrence rule"), max_length=500)
    # The first occurrence's wall-clock date and time in the account's time zone: the rule's DTSTART.
    starts_on = models.DateField(_("starts on"))
    time_of_day = models.TimeField(_("time of day"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cadences", verbose_name=_("advisor")
    )
    active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("cadence")
        verbose_name_plural = _("cadences")
        indexes = [models.Index(fields=["active", "id"], name="cadence_active_idx")]
        constraints = [models.CheckConstraint(condition=Q(duration_minutes__gt=0), name="cadence_duration_positive")]

    def __str__(self) -> str:
        return self.name


class CheckIn(models.Model):
    """One occurrence of a cadence: created ahead of time, then held, missed, or cancelled.

    `occurs_at` is the rule's occurrence and never changes (a rescheduled check-in is not created again);
    `scheduled_at` is when it takes place.
    """

    cadence = models.ForeignKey(Cadence, on_delete=models.CASCADE, related_name="check_ins", verbose_name=_("cadence"))
    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        related_name="check_ins",
        verbose_name=_("account"),
        db_index=False,  # checkin_account_idx leads with it
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="check_ins",
        verbose_name=_("advisor"),
        db_index=False,  # checkin_owner_idx leads with it
    )
    occurs_at = models.DateTimeField(_("occurrence of the rule"))
    scheduled_at = models.DateTimeField(_("scheduled at"))
    duration_minutes = models.PositiveIntegerField(_("duration in minutes"))
    state = models.CharField(_("state"), max_length=16, choices=CheckInState.choices, default=CheckInState.SCHEDULED)
    reminded_at = models.DateTimeField(_("advisor reminded at"), null=True, blank=True)
    cancelled_reason = models.TextField(_("why cancelled"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        indexes = [
            # The account timeline reads check-ins newest first by (scheduled_at, id).
            models.Index(fields=["account", "scheduled_at", "id"], name="checkin_account_idx"),
            models.Index(fields=["owner", "scheduled_at"], name="checkin_owner_idx"),
            models.Index(fields=["state", "scheduled_at"], name="checkin_state_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["cadence", "occurs_at"], name="checkin_once_per_occurrence"),
        ]

    def __str__(self) -> str:
        return f"{self.cadence} {self.scheduled_at:%Y-%m-%d %H:%M}"


class Interaction(models.Model):
    """Something that happened with an account (a meeting, a call, an email), with what came of it."""

    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.PROTECT,
        related_name="interactions",
        verbose_name=_("account"),
        db_index=False,  # interaction_account_idx leads with it
    )
    kind = models.CharField(_("kind"), max_length=16, choices=InteractionKind.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="interactions", verbose_name=_("author")
    )
    check_in = models.OneToOneField(
        CheckIn,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interaction",
        verbose_name=_("check-in"),
    )
    contacts = models.ManyToManyField(
        "accounts.Contact", blank=True, related_name="interactions", verbose_name=_("contacts present")
    )
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("staff present")
    )
    notes = models.TextField(_("notes"), blank=True)
    outcomes = models.TextField(_("outcomes"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        # The account timeline reads interactions newest first by (occurred_at, id).
        indexes = [models.Index(fields=["account", "occurred_at", "id"], name="interaction_account_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d}"


class NextStep(models.Model):
    """A next step agreed in an interaction; it becomes a commitment in one click."""

    interaction = models.ForeignKey(
        Interaction, on_delete=models.CASCADE, related_name="next_steps", verbose_name=_("interaction")
    )
    text = models.CharField(_("next step"), max_length=200)
    commitment = models.OneToOneField(
        "relationships.Commitment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="next_step",
        verbose_name=_("commitment"),
    )

    class Meta:
        verbose_name = _("next step")
        verbose_name_plural = _("next steps")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.text
