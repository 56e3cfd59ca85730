"""Business hours and SLA policies, and the clocks that time each ticket against them.

Business time is counted in seconds on a calendar's own line: each calendar's working periods are laid
out as spans of UTC time, and each span knows how many business seconds came before it. A point in
time maps to a position on that line, and a clock is a pair of positions (where it started counting,
where it is due), so the periodic job finds every breach with one comparison per calendar.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carefront.accounts.models import Channel, ServiceModel
from carefront.desk.models.tickets import Priority, Tier


class Calendar(models.Model):
    """Working hours in a time zone, with public holidays of a country and custom days off."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    country = models.CharField(_("holidays of country"), max_length=2, blank=True)
    subdivision = models.CharField(_("holidays of region"), max_length=10, blank=True)
    # Spans are laid out up to this instant (epoch seconds); the daily job extends it.
    spans_until = models.BigIntegerField(_("spans laid out until"), default=0)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CalendarHours(models.Model):
    """One working period of a weekday; it ends on the next day when it ends before it starts."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="hours", verbose_name=_("calendar"))
    weekday = models.PositiveSmallIntegerField(
        _("weekday"), validators=[MaxValueValidator(6)], help_text=_("0 is Monday, 6 is Sunday")
    )
    starts_at = models.TimeField(_("starts at"))
    ends_at = models.TimeField(_("ends at"), help_text=_("00:00 is midnight at the end of the day"))

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ["weekday", "starts_at"]

    def __str__(self) -> str:
        return f"{self.weekday} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"


class CalendarHoliday(models.Model):
    """A custom day off (public holidays come from the calendar's country)."""

    calendar = models.ForeignKey(
        Calendar, on_delete=models.CASCADE, related_name="holidays", verbose_name=_("calendar")
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("day off")
        verbose_name_plural = _("days off")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="calendar_holiday_unique")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class CalendarSpan(models.Model):
    """A stretch of business time in UTC epoch seconds, with the business seconds counted before it."""

    calendar = models.ForeignKey(
        Calendar, on_delete=models.CASCADE, related_name="spans", verbose_name=_("calendar"), db_index=False
    )
    start = models.BigIntegerField(_("start"))
    end = models.BigIntegerField(_("end"))
    offset = models.BigIntegerField(_("business seconds before"))

    class Meta:
        verbose_name = _("business time span")
        verbose_name_plural = _("business time spans")
        constraints = [models.UniqueConstraint(fields=["calendar", "start"], name="calendar_span_start_unique")]
        indexes = [models.Index(fields=["calendar", "offset"], name="calendar_span_offset_idx")]

    def __str__(self) -> str:
        return f"{self.start}–{self.end} (+{self.offset})"


class SlaMetric(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")


class SlaPolicy(models.Model):
    """Response and resolution targets for the tickets its conditions match; the first match wins."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    calendar = models.ForeignKey(
        Calendar, on_delete=models.PROTECT, related_name="policies", verbose_name=_("business hours")
    )
    service_model = models.CharField(
        _("service model"), max_length=16, choices=ServiceModel.choices, blank=True, help_text=_("blank: any")
    )
    segment = models.CharField(_("segment"), max_length=64, blank=True, help_text=_("blank: any"))
    channel = models.CharField(
        _("channel"), max_length=16, choices=Channel.choices, blank=True, help_text=_("blank: any")
    )
    tier = models.PositiveSmallIntegerField(
        _("tier"), choices=Tier.choices, null=True, blank=True, help_text=_("blank: any")
    )
    warn_percent = models.PositiveSmallIntegerField(
        _("warn at (% of target)"), default=80, validators=[MinValueValidator(1), MaxValueValidator(99)]
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class SlaTarget(models.Model):
    """A policy's targets for one priority, in business minutes; a blank target is not timed."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets", verbose_name=_("policy"))
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField(_("first response (minutes)"), null=True, blank=True)
    next_response_minutes = models.PositiveIntegerField(_("next response (minutes)"), null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(_("resolution (minutes)"), null=True, blank=True)

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [models.UniqueConstraint(fields=["policy", "priority"], name="sla_target_unique")]

    def __str__(self) -> str:
        return f"{self.policy_id} {self.priority}"

    def minutes(self, metric: str) -> int | None:
        minutes: int | None = getattr(self, f"{metric}_minutes")
        return minutes


class ClockStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    STOPPED = "stopped", _("Stopped")


# A clock still timed (running or paused) that passed its target, and one running past its warning share.
SLA_BREACHED = models.Q(status__in=["running", "paused"], breached_at__isnull=False)
SLA_WARNING = models.Q(status="running", warned_at__isnull=False, breached_at__isnull=True)


class SlaClock(models.Model):
    """One SLA target timed for one ticket, in its calendar's business seconds."""

    ticket = models.ForeignKey(
        "desk.Ticket", on_delete=models.CASCADE, related_name="sla_clocks", verbose_name=_("ticket"), db_index=False
    )
    metric = models.CharField(_("metric"), max_length=16, choices=SlaMetric.choices)
    # The ticket's priority when the clock got its target (a change of priority retargets the clock): the
    # recompute after a target edit then finds a policy's clocks of one priority without a join.
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices, default=Priority.NORMAL)
    policy = models.ForeignKey(
        SlaPolicy,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("policy"),
        db_index=False,  # sla_clock_policy_idx leads with it
    )
    calendar = models.ForeignKey(
        Calendar,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("calendar"),
        # Every write of a clock pays for each index: sla_clock_due_idx leads with the calendar for the
        # running clocks, and deleting a calendar (the only other lookup by it) is rare.
        db_index=False,
    )
    status = models.CharField(_("status"), max_length=16, choices=ClockStatus.choices, default=ClockStatus.RUNNING)
    target_seconds = models.BigIntegerField(_("target (business seconds)"))
    warn_percent = models.PositiveSmallIntegerField(_("warn at (% of target)"), default=80)
    # While running, the calendar position at which the elapsed time would have been zero; elapsed is
    # then position(now) - base. While paused or stopped, `elapsed` holds the business seconds counted.
    base = models.BigIntegerField(_("base position"), null=True)
    elapsed = models.BigIntegerField(_("elapsed (business seconds)"), default=0)
    due_position = models.BigIntegerField(_("due position"), null=True)
    warn_position = models.BigIntegerField(_("warning position"), null=True)
    due_at = models.DateTimeField(_("due at"), null=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    stopped_at = models.DateTimeField(_("stopped at"), null=True)
    warned_at = models.DateTimeField(_("warned at"), null=True)
    breached_at = models.DateTimeField(_("breached at"), null=True)

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        constraints = [models.UniqueConstraint(fields=["ticket", "metric"], name="sla_clock_unique")]
        indexes = [
            # The periodic job's two questions, each one range scan per calendar.
            models.Index(
                fields=["calendar", "due_position"],
                name="sla_clock_due_idx",
                condition=models.Q(status="running", breached_at__isnull=True),
            ),
            models.Index(
                fields=["calendar", "warn_position"],
                name="sla_clock_warn_idx",
                condition=models.Q(status="running", warned_at__isnull=True, breached_at__isnull=True),
            ),
            models.Index(fields=["policy", "metric", "priority"], name="sla_clock_policy_idx"),
            # The inbox's "SLA breached" and "SLA due soon" queues: the few tickets in that state, by id.
            models.Index(fields=["ticket"], name="sla_clock_breached_idx", condition=SLA_BREACHED),
            models.Index(fields=["ticket"], name="sla_clock_warning_idx", condition=SLA_WARNING),
            # The scorecards' SLA achievement and business-hour times: the clocks stopped, or breached, in a period.
            # With the columns they read, so that a period's clocks are read from the index alone.
            models.Index(
                fields=["status", "stopped_at", "metric", "breached_at", "ticket", "elapsed", "id"],
                name="sla_clock_stopped_idx",
            ),
            models.Index(
                fields=["status", "breached_at", "metric", "ticket", "elapsed", "id"], name="sla_clock_breached_at_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.metric} {self.status}"
