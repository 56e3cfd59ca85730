"""Engagements and their milestones, what we promised (commitments), what the client owes us (dependencies),
and the spans of time our work waited on the client.
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
            # The account timeline: newest first by (created_at, id).
            models.Index(fields=["account", "created_at", "id"], name="engagement_account_time_idx"),
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
            # The account timeline: newest first by (created_at, id).
            models.Index(fields=["account", "created_at", "id"], name="commitment_account_time_idx"),
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
            # The account timeline: newest first by (created_at, id).
            models.Index(fields=["account", "created_at", "id"], name="dependency_account_time_idx"),
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
