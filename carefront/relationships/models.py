"""Client relationships: engagements and their milestones, what we promised (commitments), what the client owes
us (dependencies), and the spans of time our work waited on the client.

Cadences and their check-ins, interactions (what happened with an account, a held check-in among them) and each
advisor's working hours and calendar feed are here too; a commitment may link to the check-in it came from.
Incidents record a mistake we made, the accounts it touched, and whether and how each was told and made whole.
Follow-ups and the health score (issue 9) come later.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EngagementKind(models.TextChoices):
    SURVEY = "survey", _("Survey")
    CALL_REVIEW = "call_review", _("Call review")
    TRAINING = "training", _("Training")
    ONBOARDING = "onboarding", _("Onboarding")
    OTHER = "other", _("Other")


class EngagementStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("Active")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class CommitmentState(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    LATE = "late", _("Late")
    DROPPED = "dropped", _("Dropped")


class DependencyState(models.TextChoices):
    OPEN = "open", _("Open")
    RECEIVED = "received", _("Received")
    CANCELLED = "cancelled", _("Cancelled")


class Engagement(models.Model):
    """A contracted piece of work for a client account (a survey, a call review, a training programme)."""

    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.PROTECT,
        related_name="engagements",
        verbose_name=_("account"),
        db_index=False,  # engagement_account_idx leads with it
    )
    kind = models.CharField(_("kind"), max_length=16, choices=EngagementKind.choices, default=EngagementKind.OTHER)
    title = models.CharField(_("title"), max_length=200)
    scope = models.TextField(_("scope"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="engagements",
        verbose_name=_("owner"),
        db_index=False,  # engagement_owner_idx leads with it
    )
    status = models.CharField(
        _("status"), max_length=16, choices=EngagementStatus.choices, default=EngagementStatus.PLANNED
    )
    starts_at = models.DateTimeField(_("starts at"))
    due_at = models.DateTimeField(_("due at"))
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("engagement")
        verbose_name_plural = _("engagements")
        indexes = [
            models.Index(fields=["account", "id"], name="engagement_account_idx"),
            models.Index(fields=["owner", "status", "id"], name="engagement_owner_idx"),
            models.Index(fields=["status", "id"], name="engagement_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(due_at__gte=models.F("starts_at")), name="engagement_due_after_start"),
        ]

    def __str__(self) -> str:
        return self.title


class Milestone(models.Model):
    """A step of an engagement with its own due date; its due date moves on while it waits on the client."""

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("engagement")
    )
    title = models.CharField(_("title"), max_length=200)
    # The date agreed; `due_at` is it pushed on by the time the milestone waited on the client.
    promised_due_at = models.DateTimeField(_("promised due at"))
    due_at = models.DateTimeField(_("due at"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["promised_due_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(due_at__gte=models.F("promised_due_at")), name="milestone_due_not_back"),
        ]

    def __str__(self) -> str:
        return self.title


class Commitment(models.Model):
    """Something we promised an account by a date: kept on time (done), late, or dropped with a reason."""

    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.PROTECT,
        related_name="commitments",
        verbose_name=_("account"),
        db_index=False,  # commitment_account_idx leads with it
    )
    title = models.CharField(_("title"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="commitments",
        verbose_name=_("owner"),
        db_index=False,  # commitment_owner_idx leads with it
    )
    state = models.CharField(_("state"), max_length=16, choices=CommitmentState.choices, default=CommitmentState.OPEN)
    # The date promised; `due_at` is it pushed on by the time the commitment waited on the client.
    promised_due_at = models.DateTimeField(_("promised due at"))
    due_at = models.DateTimeField(_("due at"))
    engagement = models.ForeignKey(
        Engagement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commitments",
        verbose_name=_("engagement"),
    )
    milestone = models.ForeignKey(
        Milestone,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commitments",
        verbose_name=_("milestone"),
    )
    ticket = models.ForeignKey(
        "desk.Ticket",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commitments",
        verbose_name=_("ticket"),
    )
    # Made from a next step of a held check-in (the step itself links to it too).
    check_in = models.ForeignKey(
        "relationships.CheckIn",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commitments",
        verbose_name=_("check-in"),
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    dropped_reason = models.TextField(_("why dropped"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        indexes = [
            models.Index(fields=["account", "id"], name="commitment_account_idx"),
            models.Index(fields=["owner", "state", "id"], name="commitment_owner_idx"),
            models.Index(fields=["state", "due_at"], name="commitment_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_at__gte=models.F("promised_due_at")), name="commitment_due_not_back"
            ),
            models.CheckConstraint(
                condition=~Q(state="dropped") | ~Q(dropped_reason=""),
                name="commitment_dropped_has_reason",
                violation_error_message=_("A dropped commitment needs a reason."),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Dependency(models.Model):
    """Something the client owes us (a customer list, access, staff time) before the work it blocks can go on.

    It blocks exactly one piece of work: a commitment, a milestone or a ticket.
    """

    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.PROTECT,
        related_name="dependencies",
        verbose_name=_("account"),
        db_index=False,  # dependency_account_idx leads with it
    )
    engagement = models.ForeignKey(
        Engagement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dependencies",
        verbose_name=_("engagement"),
    )
    what = models.CharField(_("what"), max_length=200)
    details = models.TextField(_("details"), blank=True)
    contact = models.ForeignKey(
        "accounts.Contact", on_delete=models.PROTECT, related_name="dependencies", verbose_name=_("client contact")
    )
    due_at = models.DateTimeField(_("due at"))
    state = models.CharField(_("state"), max_length=16, choices=DependencyState.choices, default=DependencyState.OPEN)
    blocks_commitment = models.ForeignKey(
        Commitment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dependencies",
        verbose_name=_("blocks commitment"),
    )
    blocks_milestone = models.ForeignKey(
        Milestone,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dependencies",
        verbose_name=_("blocks milestone"),
    )
    blocks_ticket = models.ForeignKey(
        "desk.Ticket",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dependencies",
        verbose_name=_("blocks ticket"),
    )
    resolved_at = models.DateTimeField(_("received or cancelled at"), null=True, blank=True)
    last_reminded_at = models.DateTimeField(_("last reminded at"), null=True, blank=True)
    reminders_sent = models.PositiveIntegerField(_("reminders sent"), default=0)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("dependency")
        verbose_name_plural = _("dependencies")
        indexes = [
            models.Index(fields=["account", "id"], name="dependency_account_idx"),
            models.Index(fields=["state", "due_at"], name="dependency_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(blocks_commitment__isnull=False, blocks_milestone__isnull=True, blocks_ticket__isnull=True)
                    | Q(blocks_commitment__isnull=True, blocks_milestone__isnull=False, blocks_ticket__isnull=True)
                    | Q(blocks_commitment__isnull=True, blocks_milestone__isnull=True, blocks_ticket__isnull=False)
                ),
                name="dependency_blocks_one",
                violation_error_message=_("A dependency blocks exactly one commitment, milestone or ticket."),
            ),
        ]

    def __str__(self) -> str:
        return self.what


class Wait(models.Model):
    """A span of time the work a dependency blocks waited on the client: open (`ended_at` empty) while it waits.

    Its blocked work is copied from the dependency so that a commitment's or milestone's waits, and the waiting
    report's per account and per engagement, are read without joining through the dependencies.
    """

    dependency = models.ForeignKey(
        Dependency, on_delete=models.CASCADE, related_name="waits", verbose_name=_("dependency")
    )
    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("account"),
        db_index=False,  # wait_account_idx leads with it
    )
    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, null=True, blank=True, related_name="waits", verbose_name=_("engagement")
    )
    commitment = models.ForeignKey(
        Commitment, on_delete=models.CASCADE, null=True, blank=True, related_name="waits", verbose_name=_("commitment")
    )
    milestone = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, null=True, blank=True, related_name="waits", verbose_name=_("milestone")
    )
    ticket = models.ForeignKey(
        "desk.Ticket", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("ticket")
    )
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("wait on the client")
        verbose_name_plural = _("waits on the client")
        indexes = [models.Index(fields=["account", "started_at"], name="wait_account_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="wait_ends_after_start",
            ),
            models.UniqueConstraint(fields=["dependency"], condition=Q(ended_at__isnull=True), name="wait_one_open"),
        ]

    def __str__(self) -> str:
        return f"{self.dependency_id}: {self.started_at} – {self.ended_at or '…'}"


# --- cadences, check-ins and interactions --------------------------------------------------------


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
            models.Index(fields=["account", "scheduled_at"], name="checkin_account_idx"),
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
        indexes = [models.Index(fields=["account", "occurred_at"], name="interaction_account_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d}"


class NextStep(models.Model):
    """A next step agreed in an interaction; it becomes a commitment in one click."""

    interaction = models.ForeignKey(
        Interaction, on_delete=models.CASCADE, related_name="next_steps", verbose_name=_("interaction")
    )
    text = models.CharField(_("next step"), max_length=200)
    commitment = models.OneToOneField(
        Commitment,
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


# --- incidents ---------------------------------------------------------------------------------------


class IncidentSeverity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class IncidentStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


class DisclosureState(models.TextChoices):
    PENDING = "pending", _("Not yet told")
    DRAFTED = "drafted", _("Draft ready")
    TOLD = "told", _("Told")


class DisclosureChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    LETTER = "letter", _("Letter")


class Incident(models.Model):
    """A mistake we made: what happened, when, its impact, who owns putting it right, and whether it is resolved."""

    title = models.CharField(_("title"), max_length=200)
    what_happened = models.TextField(_("what happened"))
    occurred_at = models.DateTimeField(_("occurred at"))
    discovered_at = models.DateTimeField(_("found out at"))
    impact = models.TextField(_("impact"), blank=True)
    severity = models.CharField(
        _("severity"), max_length=16, choices=IncidentSeverity.choices, default=IncidentSeverity.MEDIUM
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="incidents_owned", verbose_name=_("owner")
    )
    status = models.CharField(_("status"), max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.OPEN)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    # Django template text for the disclosure drafts; empty means the workspace's default wording.
    disclosure_template = models.TextField(_("disclosure template"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="incidents_created",
        verbose_name=_("created by"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [
            models.Index(fields=["status", "id"], name="incident_status_idx"),
            models.Index(fields=["occurred_at", "id"], name="incident_occurred_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(discovered_at__gte=models.F("occurred_at")), name="incident_found_after_it_happened"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class AffectedAccount(models.Model):
    """An account an incident touched: what it meant for them, whether and how they were told, and the remedy."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="affected", verbose_name=_("incident")
    )
    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.PROTECT,
        related_name="incidents_affecting",
        verbose_name=_("account"),
        db_index=False,  # affected_account_idx leads with it
    )
    consequence = models.TextField(_("what it meant for them"), blank=True)
    disclosure_state = models.CharField(
        _("disclosure"), max_length=16, choices=DisclosureState.choices, default=DisclosureState.PENDING
    )
    draft = models.TextField(_("disclosure draft"), blank=True)
    told_at = models.DateTimeField(_("told at"), null=True, blank=True)
    told_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("told by"),
    )
    told_via = models.CharField(_("told by way of"), max_length=16, choices=DisclosureChannel.choices, blank=True)
    remedy = models.TextField(_("remedy"), blank=True)
    remedied_at = models.DateTimeField(_("remedied at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("affected account")
        verbose_name_plural = _("affected accounts")
        indexes = [models.Index(fields=["account", "incident"], name="affected_account_idx")]
        constraints = [
            models.UniqueConstraint(fields=["incident", "account"], name="affected_once_per_incident"),
            models.CheckConstraint(
                condition=~Q(disclosure_state="told")
                | Q(told_at__isnull=False, told_by__isnull=False) & ~Q(told_via=""),
                name="affected_told_says_when_who_how",
                violation_error_message=_("Telling an account records when, by whom and how."),
            ),
            models.CheckConstraint(
                condition=Q(remedied_at__isnull=True) | ~Q(remedy=""),
                name="affected_remedied_says_what",
                violation_error_message=_("A remedy says what was done."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id}: {self.account_id}"
