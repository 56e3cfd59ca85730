"""Shared pieces: staff, teams, tags, the audit trail, notifications and counters."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    MANAGER = "manager", _("Manager")
    AGENT = "agent", _("Agent")
    ADVISOR = "advisor", _("Advisor")


class Team(models.Model):
    """A group of staff who share a queue (front line, specialists, advisors)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StaffProfile(models.Model):
    """What makes a user staff: their role, skills, languages, time zone and teams."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.AGENT)
    skills = models.JSONField(_("skills"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    language = models.CharField(_("language"), max_length=16, default="en")
    teams = models.ManyToManyField(Team, blank=True, related_name="members", verbose_name=_("teams"))
    # Away (on leave, off shift): routing gives this person no new tickets, a client's go to the owner's team.
    away = models.BooleanField(_("away"), default=False)

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


class Tag(models.Model):
    """A label on tickets and accounts; names are lower-case and unique."""

    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class EventQuerySet(models.QuerySet["Event"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("Audit events are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("Audit events are append-only")


class Event(models.Model):
    """One append-only audit record: who changed which field of what, from what to what."""

    class SubjectKind(models.TextChoices):
        TICKET = "ticket", _("Ticket")
        ACCOUNT = "account", _("Account")
        CALENDAR = "calendar", _("Business calendar")
        SLA_POLICY = "sla_policy", _("SLA policy")
        TIER_QUEUE = "tier_queue", _("Tier queue")
        COST_RATE = "cost_rate", _("Cost rate")
        MACRO = "macro", _("Macro")
        ROUTING_RULE = "routing_rule", _("Routing rule")
        AUTOMATION = "automation", _("Automation")
        TEAM = "team", _("Team")
        STAFF = "staff", _("Staff member")
        INSIGHTS = "insights", _("Insight settings")
        SEGMENT = "segment", _("Segment")
        GOAL = "goal", _("Team goal")
        HEALTH = "health", _("Health settings")

    subject_kind = models.CharField(_("subject kind"), max_length=16, choices=SubjectKind.choices)
    subject_id = models.BigIntegerField(_("subject id"))
    action = models.CharField(_("action"), max_length=32)
    field = models.CharField(_("field"), max_length=64, blank=True)
    old_value = models.JSONField(_("from"), null=True, blank=True)
    new_value = models.JSONField(_("to"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(_("actor label"), max_length=150, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    # A ticket's events carry its account (a ticket never changes account), so that an account's timeline reads
    # its tickets' changes newest first from one index instead of gathering and sorting those of every ticket it
    # ever had. Null for subjects that are not one account's ticket. Nullable and unindexed by itself so that
    # adding it was an ALTER TABLE, not a rebuild of the table.
    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account"),
        db_index=False,  # event_account_time_idx leads with it
    )

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(fields=["subject_kind", "subject_id", "id"], name="event_subject_idx"),
            # The account timeline: an account's or a ticket's events newest first by (occurred_at, id); with the
            # action and field, which pick the ticket events it shows, so that a page's ids are read from it alone.
            models.Index(
                fields=["subject_kind", "subject_id", "occurred_at", "id", "action", "field"],
                name="event_subject_time_idx",
            ),
            # The account timeline's ticket changes: an account's ticket events newest first, with the action and
            # field that pick those it shows, so that the page's keys are read from it alone.
            models.Index(
                fields=["account", "subject_kind", "occurred_at", "id", "action", "field"],
                name="event_account_time_idx",
                condition=models.Q(account__isnull=False),
            ),
            # The per-tier report reads the tier changes (and tiers at creation) of a period.
            # With the subject kind and the id, so that the ticket facts' signatures (the `tier` family) are read
            # from the index alone.
            models.Index(
                fields=["occurred_at", "field", "subject_kind", "id"],
                name="event_tier_idx",
                condition=models.Q(field="tier"),
            ),
            # The scorecards' reopen rate reads the status changes (solves and reopens) of a period, from the index
            # alone (insights/metrics/facts.py, the `status` family).
            models.Index(
                fields=["occurred_at", "field", "subject_kind", "subject_id", "old_value", "new_value", "id"],
                name="event_status_idx",
                condition=models.Q(field="status"),
            ),
            # A ticket's solves and reopens (one-touch, the reopen rate), read from the index alone; `field` is in
            # the key so that it is preferred to event_subject_time_idx, which would visit each event's row.
            models.Index(
                fields=["subject_kind", "subject_id", "field", "occurred_at", "old_value", "new_value"],
                name="event_ticket_status_idx",
                condition=models.Q(field="status"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_kind}#{self.subject_id} {self.action} {self.field}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise TypeError("Audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("Audit events are append-only")


class Notification(models.Model):
    """A message for one staff member (assignment, mention, breach), read in the app or by email."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    verb = models.CharField(_("verb"), max_length=32)
    text = models.CharField(_("text"), max_length=500)
    ticket = models.ForeignKey(
        "desk.Ticket", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("ticket")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["recipient", "read_at", "id"], name="notification_inbox_idx")]

    def __str__(self) -> str:
        return self.text


class CostRate(models.Model):
    """What an hour of a role's time costs, in the workspace's currency (CAREFRONT_COST_CURRENCY)."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, unique=True)
    hourly = models.DecimalField(_("cost per hour"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("cost rate")
        verbose_name_plural = _("cost rates")
        ordering = ["role"]

    def __str__(self) -> str:
        return f"{self.role} {self.hourly}"


class Counter(models.Model):
    """A named sequence (ticket numbers) that works the same on SQLite and PostgreSQL."""

    name = models.CharField(_("name"), max_length=32, primary_key=True)
    value = models.BigIntegerField(_("value"), default=0)

    class Meta:
        verbose_name = _("counter")
        verbose_name_plural = _("counters")

    def __str__(self) -> str:
        return f"{self.name}={self.value}"
