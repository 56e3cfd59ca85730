"""Writes of business hours and SLA clocks: calendars, policies, each ticket's clocks, and the periodic check.

A clock is positioned on its calendar's business line (see `models.sla`): starting, pausing, resuming and
stopping it are a few integer operations done in the same transaction as the ticket change that causes
them, and the periodic job finds breaches and warnings with one indexed range per calendar.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import DateTimeField, F, Func, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from carefront.accounts.models import Channel, ServiceModel
from carefront.core.exceptions import ApplicationError
from carefront.core.services import Actor, Change, events_record
from carefront.core.validation import clean_choice, clean_text
from carefront.desk.business_time import (
    BusinessLine,
    WorkingPeriod,
    country_validate,
    days_off,
    epoch,
    from_epoch,
    periods_validate,
    spans_lay_out,
    time_zone_validate,
)
from carefront.desk.models import (
    Calendar,
    CalendarHoliday,
    CalendarHours,
    CalendarSpan,
    ClockStatus,
    Priority,
    SlaClock,
    SlaMetric,
    SlaPolicy,
    SlaTarget,
    Status,
    Ticket,
    Tier,
)

# Every calendar's line starts here, so tickets imported with older dates still have business time.
LINE_START = epoch(datetime(2020, 1, 1, tzinfo=UTC))
# How far ahead spans are laid out; the daily job keeps at least HORIZON - HORIZON_SLACK ahead.
HORIZON = timedelta(days=730)
HORIZON_SLACK = timedelta(days=30)
PAUSING = frozenset({Status.PENDING, Status.ON_HOLD})
STOPPING = frozenset({Status.SOLVED, Status.CLOSED})
CHECK_BATCH = 5000


class SlaEvent(enum.Enum):
    CREATED = "created"
    STAFF_REPLIED = "staff_replied"
    REQUESTER_REPLIED = "requester_replied"
    CHANGED = "changed"


# --- calendars ---------------------------------------------------------------------------------------


_LINES: dict[int, tuple[tuple[int, int], BusinessLine]] = {}


def business_line(calendar: Calendar) -> BusinessLine:
    """The calendar's business line, read once per process and again only after the calendar changes."""
    key = (calendar.version, calendar.spans_until)
    cached = _LINES.get(calendar.pk)
    if cached is not None and cached[0] == key:
        return cached[1]
    spans = CalendarSpan.objects.filter(calendar=calendar).order_by("start").values_list("start", "end", "offset")
    line = BusinessLine(list(spans))
    _LINES[calendar.pk] = (key, line)
    return line


def _periods_of(calendar: Calendar) -> list[WorkingPeriod]:
    return [
        WorkingPeriod(weekday=hours.weekday, starts_at=hours.starts_at, ends_at=hours.ends_at)
        for hours in calendar.hours.all()
    ]


def _lay_out(calendar: Calendar, *, until: int) -> None:
    """Append spans from `calendar.spans_until` (or the line's start) to `until`, continuing the offsets."""
    start = calendar.spans_until or LINE_START
    if until <= start:
        return
    last = CalendarSpan.objects.filter(calendar=calendar).order_by("-start").values_list("end", "offset", "start")
    previous = last.first()
    offset = previous[1] + previous[0] - previous[2] if previous else 0
    zone = time_zone_validate(calendar.time_zone)
    first_year = from_epoch(start).year - 1
    last_year = from_epoch(until).year + 1
    off = days_off(
        country=calendar.country,
        subdivision=calendar.subdivision,
        years=range(first_year, last_year + 1),
        custom=calendar.holidays.values_list("date", flat=True),
    )
    spans = spans_lay_out(periods=_periods_of(calendar), zone=zone, days_off=off, start=start, end=until)
    rows = []
    for span_start, span_end in spans:
        rows.append(CalendarSpan(calendar=calendar, start=span_start, end=span_end, offset=offset))
        offset += span_end - span_start
    CalendarSpan.objects.bulk_create(rows, batch_size=2000)
    calendar.spans_until = until
    calendar.save(update_fields=["spans_until"])


def _calendar_clean(
    *, name: str, time_zone: str, country: str, subdivision: str, hours: Sequence[WorkingPeriod]
) -> tuple[str, str, str, str]:
    name = clean_text(name, field="name", max_length=100, required=True)
    time_zone_validate(time_zone)
    country = (country or "").strip().upper()
    subdivision = (subdivision or "").strip().upper()
    country_validate(country, subdivision)
    periods_validate(hours)
    return name, time_zone, country, subdivision


def _days_off_clean(days: Iterable[tuple[date, str]]) -> list[tuple[date, str]]:
    seen: dict[date, str] = {}
    for day, label in days:
        if day in seen:
            raise ApplicationError(
                _("The day off {date} is listed twice.").format(date=day.isoformat()), field="days_off"
            )
        seen[day] = clean_text(label, field="days_off", max_length=100)
    return sorted(seen.items())


@transaction.atomic
def calendar_create(
    *,
    actor: Actor,
    name: str,
    time_zone: str,
    hours: Sequence[WorkingPeriod],
    country: str = "",
    subdivision: str = "",
    days_off: Iterable[tuple[date, str]] = (),
    now: datetime | None = None,
) -> Calendar:
    """A calendar of working hours, laid out as business time from the line's start to the horizon."""
    name, time_zone, country, subdivision = _calendar_clean(
        name=name, time_zone=time_zone, country=country, subdivision=subdivision, hours=hours
    )
    if Calendar.objects.filter(name=name).exists():
        raise ApplicationError(_("A calendar called “{name}” exists.").format(name=name), field="name", status=409)
    days = _days_off_clean(days_off)
    calendar = Calendar.objects.create(name=name, time_zone=time_zone, country=country, subdivision=subdivision)
    CalendarHours.objects.bulk_create(
        CalendarHours(calendar=calendar, weekday=p.weekday, starts_at=p.starts_at, ends_at=p.ends_at) for p in hours
    )
    CalendarHoliday.objects.bulk_create(CalendarHoliday(calendar=calendar, date=d, name=n) for d, n in days)
    _lay_out(calendar, until=epoch((now or timezone.now()) + HORIZON))
    events_record(subject_kind="calendar", subject_id=calendar.pk, action="created", actor=actor)
    return calendar


@transaction.atomic
def calendar_update(
    *,
    actor: Actor,
    calendar: Calendar,
    name: str | None = None,
    time_zone: str | None = None,
    country: str | None = None,
    subdivision: str | None = None,
    hours: Sequence[WorkingPeriod] | None = None,
    days_off: Iterable[tuple[date, str]] | None = None,
    now: datetime | None = None,
) -> Calendar:
    """Change a calendar from now on: business time already counted stays counted, and the clocks timed
    on it get their due times again (through the queue)."""
    calendar = Calendar.objects.select_for_update().get(pk=calendar.pk)
    old_hours = _periods_of(calendar)
    new_hours = list(hours) if hours is not None else old_hours
    name, time_zone, country, subdivision = _calendar_clean(
        name=calendar.name if name is None else name,
        time_zone=calendar.time_zone if time_zone is None else time_zone,
        country=calendar.country if country is None else country,
        subdivision=calendar.subdivision if subdivision is None else subdivision,
        hours=new_hours,
    )
    if Calendar.objects.filter(name=name).exclude(pk=calendar.pk).exists():
        raise ApplicationError(_("A calendar called “{name}” exists.").format(name=name), field="name", status=409)
    changes: list[Change] = []
    for field, value in (("name", name), ("time_zone", time_zone), ("country", country), ("subdivision", subdivision)):
        if getattr(calendar, field) != value:
            changes.append(Change(field, getattr(calendar, field), value))
            setattr(calendar, field, value)
    if sorted(new_hours, key=_period_key) != sorted(old_hours, key=_period_key):
        changes.append(Change("hours", _hours_text(old_hours), _hours_text(new_hours)))
        calendar.hours.all().delete()
        CalendarHours.objects.bulk_create(
            CalendarHours(calendar=calendar, weekday=p.weekday, starts_at=p.starts_at, ends_at=p.ends_at)
            for p in new_hours
        )
    if days_off is not None:
        days = _days_off_clean(days_off)
        old_days = [(d.isoformat(), n) for d, n in calendar.holidays.values_list("date", "name")]
        if old_days != [(d.isoformat(), n) for d, n in days]:
            changes.append(Change("days_off", old_days, [(d.isoformat(), n) for d, n in days]))
            calendar.holidays.all().delete()
            CalendarHoliday.objects.bulk_create(CalendarHoliday(calendar=calendar, date=d, name=n) for d, n in days)
    if not changes:
        return calendar
    moment = now or timezone.now()
    cut = epoch(moment)
    # Keep what was counted up to now; lay the rest out again under the new hours.
    CalendarSpan.objects.filter(calendar=calendar, start__gte=cut).delete()
    CalendarSpan.objects.filter(calendar=calendar, start__lt=cut, end__gt=cut).update(end=cut)
    calendar.spans_until = max(cut, LINE_START)
    calendar.version += 1
    calendar.updated_at = moment
    calendar.save(update_fields=["name", "time_zone", "country", "subdivision", "version", "updated_at"])
    _lay_out(calendar, until=epoch(moment + HORIZON))
    events_record(subject_kind="calendar", subject_id=calendar.pk, action="updated", changes=changes, actor=actor)
    _recompute_on_commit(calendar_id=calendar.pk)
    return calendar


def _period_key(period: WorkingPeriod) -> tuple[int, str, str]:
    return period.weekday, period.starts_at.isoformat(), period.ends_at.isoformat()


def _hours_text(periods: Sequence[WorkingPeriod]) -> list[str]:
    return [f"{p.weekday} {p.starts_at:%H:%M}-{p.ends_at:%H:%M}" for p in sorted(periods, key=_period_key)]


def calendars_extend(*, now: datetime | None = None) -> int:
    """Keep every calendar laid out to the horizon; returns how many were extended."""
    moment = now or timezone.now()
    extended = 0
    for calendar in Calendar.objects.all():
        if calendar.spans_until < epoch(moment + HORIZON - HORIZON_SLACK):
            with transaction.atomic():
                _lay_out(calendar, until=epoch(moment + HORIZON))
            extended += 1
    return extended


def _recompute_on_commit(*, calendar_id: int | None = None, policy_id: int | None = None) -> None:
    from carefront.desk.tasks import recompute_sla_clocks

    transaction.on_commit(lambda: recompute_sla_clocks(calendar_id=calendar_id, policy_id=policy_id))


# --- policies ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetMinutes:
    """A policy's targets for one priority, in business minutes (None: not timed)."""

    first_response: int | None = None
    next_response: int | None = None
    resolution: int | None = None


def _policy_clean(
    *,
    name: str,
    service_model: str,
    segment: str,
    channel: str,
    tier: int | None,
    warn_percent: int,
    targets: Mapping[str, TargetMinutes],
) -> dict[str, Any]:
    cleaned: dict[str, Any] = {
        "name": clean_text(name, field="name", max_length=100, required=True),
        "service_model": clean_choice(service_model, choices=["", *ServiceModel.values], field="service_model"),
        "segment": clean_text(segment, field="segment", max_length=64),
        "channel": clean_choice(channel, choices=["", *Channel.values], field="channel"),
        "tier": None if tier is None else clean_choice(tier, choices=Tier.values, field="tier"),
    }
    if isinstance(warn_percent, bool) or not isinstance(warn_percent, int) or not 1 <= warn_percent <= 99:
        raise ApplicationError(_("Warn at a percentage from 1 to 99."), field="warn_percent")
    cleaned["warn_percent"] = warn_percent
    for priority, minutes in targets.items():
        clean_choice(priority, choices=Priority.values, field="targets")
        for metric in SlaMetric.values:
            value = getattr(minutes, metric)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
                raise ApplicationError(
                    _("A target is a whole number of minutes above zero ({priority}, {metric}).").format(
                        priority=priority, metric=metric
                    ),
                    field="targets",
                )
    return cleaned


def _targets_write(policy: SlaPolicy, targets: Mapping[str, TargetMinutes]) -> None:
    SlaTarget.objects.bulk_create(
        SlaTarget(
            policy=policy,
            priority=priority,
            first_response_minutes=minutes.first_response,
            next_response_minutes=minutes.next_response,
            resolution_minutes=minutes.resolution,
        )
        for priority, minutes in targets.items()
    )


@transaction.atomic
def sla_policy_create(
    *,
    actor: Actor,
    name: str,
    calendar: Calendar,
    targets: Mapping[str, TargetMinutes],
    position: int | None = None,
    service_model: str = "",
    segment: str = "",
    channel: str = "",
    tier: int | None = None,
    warn_percent: int = 80,
) -> SlaPolicy:
    """A policy with its targets per priority; it applies to tickets created from now on."""
    cleaned = _policy_clean(
        name=name,
        service_model=service_model,
        segment=segment,
        channel=channel,
        tier=tier,
        warn_percent=warn_percent,
        targets=targets,
    )
    if SlaPolicy.objects.filter(name=cleaned["name"]).exists():
        raise ApplicationError(
            _("An SLA policy called “{name}” exists.").format(name=cleaned["name"]), field="name", status=409
        )
    if position is None:
        last = SlaPolicy.objects.order_by("-position").values_list("position", flat=True).first()
        position = 0 if last is None else last + 1
    policy = SlaPolicy.objects.create(calendar=calendar, position=position, **cleaned)
    _targets_write(policy, targets)
    events_record(subject_kind="sla_policy", subject_id=policy.pk, action="created", actor=actor)
    return policy


_UNSET: Any = object()


@transaction.atomic
def sla_policy_update(
    *,
    actor: Actor,
    policy: SlaPolicy,
    name: str | None = None,
    calendar: Calendar | None = None,
    position: int | None = None,
    service_model: str | None = None,
    segment: str | None = None,
    channel: str | None = None,
    tier: int | None = _UNSET,
    warn_percent: int | None = None,
    is_active: bool | None = None,
    targets: Mapping[str, TargetMinutes] | None = None,
) -> SlaPolicy:
    """Change a policy. New conditions and calendar apply to tickets from now on; new targets and warning
    share reach the clocks it already times (through the queue), keeping the time they have counted."""
    policy = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
    old_targets = {
        t.priority: [t.first_response_minutes, t.next_response_minutes, t.resolution_minutes]
        for t in policy.targets.all()
    }
    cleaned = _policy_clean(
        name=policy.name if name is None else name,
        service_model=policy.service_model if service_model is None else service_model,
        segment=policy.segment if segment is None else segment,
        channel=policy.channel if channel is None else channel,
        tier=policy.tier if tier is _UNSET else tier,
        warn_percent=policy.warn_percent if warn_percent is None else warn_percent,
        targets=targets or {},
    )
    if SlaPolicy.objects.filter(name=cleaned["name"]).exclude(pk=policy.pk).exists():
        raise ApplicationError(
            _("An SLA policy called “{name}” exists.").format(name=cleaned["name"]), field="name", status=409
        )
    if position is not None:
        if isinstance(position, bool) or not isinstance(position, int) or position < 0:
            raise ApplicationError(_("A position is a whole number from 0."), field="position")
        cleaned["position"] = position
    if is_active is not None:
        cleaned["is_active"] = bool(is_active)
    if calendar is not None:
        cleaned["calendar_id"] = calendar.pk
    changes = [
        Change(field, getattr(policy, field), value)
        for field, value in cleaned.items()
        if getattr(policy, field) != value
    ]
    for change in changes:
        setattr(policy, change.field, change.new)
    if targets is not None:
        new_targets = {p: [m.first_response, m.next_response, m.resolution] for p, m in targets.items()}
        if new_targets != old_targets:
            changes.append(Change("targets", old_targets, new_targets))
            policy.targets.all().delete()
            _targets_write(policy, targets)
    if not changes:
        return policy
    policy.updated_at = timezone.now()
    policy.save()
    events_record(subject_kind="sla_policy", subject_id=policy.pk, action="updated", changes=changes, actor=actor)
    if {change.field for change in changes} & {"targets", "warn_percent"}:
        _recompute_on_commit(policy_id=policy.pk)
    return policy


def _active_policies() -> list[SlaPolicy]:
    """Every active policy, in the order they are tried: a handful, read whole and matched here (one plain
    query compiles faster than the four alternatives a database would match)."""
    return list(SlaPolicy.objects.select_related("calendar").filter(is_active=True).order_by("position", "id"))


def _policy_matching(policies: Iterable[SlaPolicy], ticket: Ticket) -> SlaPolicy | None:
    account = ticket.account
    for policy in policies:
        if policy.service_model and policy.service_model != account.service_model:
            continue
        if policy.segment and policy.segment != account.segment:
            continue
        if policy.channel and policy.channel != ticket.channel:
            continue
        if policy.tier is not None and policy.tier != ticket.tier:
            continue
        return policy
    return None


def sla_policy_for(ticket: Ticket) -> SlaPolicy | None:
    """The first active policy, in order, whose conditions the ticket and its account meet."""
    return _policy_matching(_active_policies(), ticket)


def _target_minutes(policy: SlaPolicy, priority: str) -> SlaTarget | None:
    return SlaTarget.objects.filter(policy=policy, priority=priority).first()


# --- clocks ------------------------------------------------------------------------------------------


def _schedule(clock: SlaClock, line: BusinessLine) -> None:
    """Due and warning positions, and the due time, of a running clock."""
    assert clock.base is not None
    clock.due_position = clock.base + clock.target_seconds
    clock.warn_position = clock.base + clock.target_seconds * clock.warn_percent // 100
    due = line.instant(clock.due_position)
    clock.due_at = from_epoch(due) if due is not None else None


def _elapsed(clock: SlaClock, position: int) -> int:
    if clock.status == ClockStatus.RUNNING and clock.base is not None:
        return position - clock.base
    return clock.elapsed


def _stop(clock: SlaClock, line: BusinessLine, now: datetime) -> None:
    clock.elapsed = _elapsed(clock, line.position(epoch(now)))
    if clock.elapsed > clock.target_seconds and clock.breached_at is None:
        clock.breached_at = clock.due_at or now
    clock.status = ClockStatus.STOPPED
    clock.stopped_at = now
    clock.base = clock.due_position = clock.warn_position = None


def _pause(clock: SlaClock, line: BusinessLine, now: datetime) -> None:
    clock.elapsed = _elapsed(clock, line.position(epoch(now)))
    clock.status = ClockStatus.PAUSED
    clock.base = clock.due_position = clock.warn_position = clock.due_at = None


def _run(clock: SlaClock, line: BusinessLine, now: datetime) -> None:
    """Resume a paused or stopped clock from the business seconds it has counted."""
    clock.base = line.position(epoch(now)) - clock.elapsed
    clock.status = ClockStatus.RUNNING
    clock.stopped_at = None
    _schedule(clock, line)


def _new_clock(
    *, ticket: Ticket, metric: str, policy: SlaPolicy, minutes: int, since: datetime, now: datetime, paused: bool
) -> SlaClock:
    line = business_line(policy.calendar)
    clock = SlaClock(
        ticket=ticket,
        metric=metric,
        priority=ticket.priority,
        policy=policy,
        calendar=policy.calendar,
        target_seconds=minutes * 60,
        warn_percent=policy.warn_percent,
        started_at=since,
        base=line.position(epoch(since)),
    )
    if paused:
        _pause(clock, line, now)
    else:
        _schedule(clock, line)
    return clock


CLOCK_FIELDS = [
    "policy",
    "priority",
    "calendar",
    "status",
    "target_seconds",
    "warn_percent",
    "base",
    "elapsed",
    "due_position",
    "warn_position",
    "due_at",
    "started_at",
    "stopped_at",
    "warned_at",
    "breached_at",
]


def sla_paused(ticket: Ticket) -> bool:
    """Whether an open ticket's clocks stand still: it is pending or on hold, or it waits on something the
    client owes us (an open dependency blocks it)."""
    return ticket.status in PAUSING or ticket.waiting_on_client_since is not None


def sla_ticket_sync(
    *,
    ticket: Ticket,
    now: datetime,
    event: SlaEvent,
    previous_status: str | None = None,
    was_waiting: bool | None = None,
    retarget: bool = False,
) -> None:
    """Bring a ticket's clocks in line with what just happened to it (call inside the ticket's transaction).

    - created: the first matching policy starts first response and resolution;
    - a staff reply stops first and next response; a requester's reply after a staff response starts
      next response again;
    - pending, on hold and waiting on the client (`sla_paused`) pause every running clock; an open ticket
      that is none of these resumes them, solved stops them, and reopening a solved ticket runs its
      resolution clock on from where it stopped;
    - `was_waiting` says whether the ticket waited on the client before the change, when that may have changed;
    - `retarget` (priority, tier, channel or the account's service model changed) picks the policy again
      and gives the clocks its targets, keeping the business time already counted.
    """
    if event is SlaEvent.CREATED:
        sla_tickets_start(tickets=[ticket], now=now)
        return
    clocks = {
        clock.metric: clock for clock in SlaClock.objects.select_related("calendar", "policy").filter(ticket=ticket)
    }
    changed: dict[str, SlaClock] = {}
    if retarget:
        changed.update(_retarget(ticket=ticket, clocks=clocks, now=now))
    status_changed = previous_status is not None and previous_status != ticket.status
    waiting_changed = was_waiting is not None and was_waiting != (ticket.waiting_on_client_since is not None)
    for metric, clock in clocks.items():
        line = business_line(clock.calendar)
        if event is SlaEvent.STAFF_REPLIED and metric != SlaMetric.RESOLUTION and clock.status != ClockStatus.STOPPED:
            _stop(clock, line, now)
            changed[metric] = clock
        if not status_changed and not waiting_changed:
            continue
        if ticket.status in STOPPING:
            if clock.status != ClockStatus.STOPPED:
                _stop(clock, line, now)
                changed[metric] = clock
        elif sla_paused(ticket):
            if clock.status == ClockStatus.RUNNING:
                _pause(clock, line, now)
                changed[metric] = clock
        elif clock.status == ClockStatus.PAUSED or (
            metric == SlaMetric.RESOLUTION and clock.status == ClockStatus.STOPPED and previous_status in STOPPING
        ):
            _run(clock, line, now)
            changed[metric] = clock
    next_response = clocks.get(SlaMetric.NEXT_RESPONSE)
    if (
        event is SlaEvent.REQUESTER_REPLIED
        and ticket.first_responded_at is not None
        and ticket.status not in STOPPING
        and (next_response is None or next_response.status == ClockStatus.STOPPED)
    ):
        restarted = _next_response_start(ticket=ticket, clocks=clocks, now=now)
        if restarted is not None:
            changed[SlaMetric.NEXT_RESPONSE] = restarted
    _save(changed.values())


def _save(clocks: Iterable[SlaClock]) -> None:
    new = [clock for clock in clocks if clock.pk is None]
    old = [clock for clock in clocks if clock.pk is not None]
    if new:
        SlaClock.objects.bulk_create(new)
    if old:
        SlaClock.objects.bulk_update(old, CLOCK_FIELDS)


def _remember_clocks(ticket: Ticket, clocks: list[SlaClock]) -> None:
    """Hold a new ticket's clocks as a prefetch would, so showing the ticket just created reads none back."""
    remembered = SlaClock.objects.none() if not clocks else SlaClock.objects.all()
    remembered._result_cache = clocks
    cache = getattr(ticket, "_prefetched_objects_cache", None) or {}
    ticket._prefetched_objects_cache = {**cache, "sla_clocks": remembered}  # type: ignore[attr-defined]


def sla_tickets_start(*, tickets: Sequence[Ticket], now: datetime) -> None:
    """Start the clocks of tickets just created (first response and resolution) under the first active policy
    each one meets: one read of the policies and one of their targets, however many tickets."""
    policies = _active_policies() if tickets else []
    chosen = [(ticket, _policy_matching(policies, ticket)) for ticket in tickets]
    wanted = {(policy.pk, ticket.priority) for ticket, policy in chosen if policy is not None}
    targets: dict[tuple[int, str], SlaTarget] = {}
    if wanted:
        rows = SlaTarget.objects.filter(
            policy_id__in={policy_id for policy_id, _ in wanted}, priority__in={priority for _, priority in wanted}
        )
        targets = {(target.policy_id, target.priority): target for target in rows}
    started: list[SlaClock] = []
    for ticket, policy in chosen:
        clocks: list[SlaClock] = []
        target = targets.get((policy.pk, ticket.priority)) if policy is not None else None
        if policy is not None and target is not None:
            for metric in (SlaMetric.FIRST_RESPONSE, SlaMetric.RESOLUTION):
                minutes = target.minutes(metric)
                if minutes is not None:
                    clocks.append(
                        _new_clock(
                            ticket=ticket,
                            metric=metric,
                            policy=policy,
                            minutes=minutes,
                            since=ticket.created_at,
                            now=now,
                            paused=sla_paused(ticket),
                        )
                    )
        _remember_clocks(ticket, clocks)
        started += clocks
    if started:
        SlaClock.objects.bulk_create(started)


def _next_response_start(*, ticket: Ticket, clocks: dict[str, SlaClock], now: datetime) -> SlaClock | None:
    reference = next(iter(clocks.values()), None)
    policy = reference.policy if reference is not None else sla_policy_for(ticket)
    if policy is None:
        return None
    target = _target_minutes(policy, ticket.priority)
    minutes = target.next_response_minutes if target is not None else None
    if minutes is None:
        return None
    fresh = _new_clock(
        ticket=ticket,
        metric=SlaMetric.NEXT_RESPONSE,
        policy=policy,
        minutes=minutes,
        since=now,
        now=now,
        paused=sla_paused(ticket),
    )
    existing = clocks.get(SlaMetric.NEXT_RESPONSE)
    if existing is not None:
        fresh.pk = existing.pk
    clocks[SlaMetric.NEXT_RESPONSE] = fresh
    return fresh


def _retarget(*, ticket: Ticket, clocks: dict[str, SlaClock], now: datetime) -> dict[str, SlaClock]:
    """Give the ticket's unfinished clocks the targets of the policy that matches it now."""
    policy = sla_policy_for(ticket)
    target = _target_minutes(policy, ticket.priority) if policy is not None else None
    changed: dict[str, SlaClock] = {}
    for metric, clock in list(clocks.items()):
        if clock.status == ClockStatus.STOPPED:
            continue
        minutes = target.minutes(metric) if target is not None else None
        if policy is None or minutes is None:
            clock.delete()
            del clocks[metric]
            continue
        old_line = business_line(clock.calendar)
        counted = _elapsed(clock, old_line.position(epoch(now)))
        clock.policy = policy
        clock.priority = ticket.priority
        clock.calendar = policy.calendar
        clock.target_seconds = minutes * 60
        clock.warn_percent = policy.warn_percent
        clock.elapsed = counted
        if clock.status == ClockStatus.RUNNING:
            line = business_line(policy.calendar)
            clock.base = line.position(epoch(now)) - counted
            _schedule(clock, line)
            if counted <= clock.target_seconds:
                clock.breached_at = None
            if counted < clock.target_seconds * clock.warn_percent // 100:
                clock.warned_at = None
        changed[metric] = clock
    if policy is not None and target is not None and ticket.status not in STOPPING:
        wanted = [SlaMetric.RESOLUTION]
        if ticket.first_responded_at is None:
            wanted.append(SlaMetric.FIRST_RESPONSE)
        for metric in wanted:
            minutes = target.minutes(metric)
            if metric not in clocks and minutes is not None:
                clock = _new_clock(
                    ticket=ticket,
                    metric=metric,
                    policy=policy,
                    minutes=minutes,
                    since=ticket.created_at,
                    now=now,
                    paused=sla_paused(ticket),
                )
                clocks[metric] = changed[metric] = clock
    return changed


def sla_account_retarget(*, account_id: int, now: datetime | None = None) -> int:
    """After an account's service model or segment changed: re-pick the policy of its unfinished tickets."""
    if not SlaPolicy.objects.exists():
        return 0
    moment = now or timezone.now()
    tickets = Ticket.objects.select_related("account").filter(account_id=account_id).exclude(status__in=STOPPING)
    count = 0
    for ticket in tickets:
        sla_ticket_sync(ticket=ticket, now=moment, event=SlaEvent.CHANGED, retarget=True)
        count += 1
    return count


# --- the periodic check and set-based recomputation --------------------------------------------------


@dataclass(frozen=True)
class SlaCheck:
    """What one run of the periodic check found."""

    breached: list[int]
    warned: list[int]


def sla_clocks_check(*, now: datetime | None = None) -> SlaCheck:
    """Mark running clocks that passed their due time as breached and those past their warning share as
    warned; each clock is marked once. Returns the ids of the clocks marked, for notifications."""
    moment = now or timezone.now()
    breached: list[int] = []
    warned: list[int] = []
    for calendar in Calendar.objects.all():
        position = business_line(calendar).position(epoch(moment))
        due = SlaClock.objects.filter(
            calendar=calendar, status=ClockStatus.RUNNING, breached_at__isnull=True, due_position__lt=position
        )
        breached += _mark(due, breached_at=Coalesce(F("due_at"), moment))
        warning = SlaClock.objects.filter(
            calendar=calendar,
            status=ClockStatus.RUNNING,
            warned_at__isnull=True,
            breached_at__isnull=True,
            warn_position__lt=position,
        )
        warned += _mark(warning, warned_at=moment)
    return SlaCheck(breached=breached, warned=warned)


def _mark(queryset: Any, **values: Any) -> list[int]:
    """Update the rows of `queryset` in batches and return their ids; a row changed meanwhile is left out
    because each batch's update repeats the conditions."""
    marked: list[int] = []
    while True:
        with transaction.atomic():
            _without_jit()
            ids = list(queryset.order_by().values_list("pk", flat=True)[:CHECK_BATCH])
            if not ids:
                return marked
            queryset.filter(pk__in=ids).update(**values)
        marked += ids


class EpochToDateTime(Func):
    """Epoch seconds as a timestamp, in each database's own words."""

    output_field = DateTimeField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="datetime(%(expressions)s, 'unixepoch')", **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="to_timestamp(%(expressions)s)", **extra)


def _due_at(position: Any) -> Subquery:
    """The instant a clock's calendar reaches `position` (an expression over the clock's own columns)."""
    span = CalendarSpan.objects.filter(calendar=OuterRef("calendar"), offset__lt=position).order_by("-offset")
    return Subquery(span.annotate(at=F("start") + position - F("offset")).values("at")[:1])


def _without_jit() -> None:
    """PostgreSQL compiled each recompute UPDATE to machine code first, which took 0.2 s a statement and
    saved less than that; off for the rest of the transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


@transaction.atomic
def sla_clocks_recompute(*, calendar_id: int | None = None, policy_id: int | None = None) -> int:
    """Give running and paused clocks their policy's current targets, and running clocks their due and
    warning positions and due time, in one set-based UPDATE per policy, priority and metric (no row is read
    into Python). After a calendar change only the due times move. Returns the running clocks rescheduled."""
    if calendar_id is not None:
        _without_jit()
        running = SlaClock.objects.filter(status=ClockStatus.RUNNING, calendar_id=calendar_id)
        return int(running.update(due_at=EpochToDateTime(_due_at(OuterRef("due_position")))))
    policies = SlaPolicy.objects.prefetch_related("targets").order_by("pk")
    if policy_id is not None:
        policies = policies.filter(pk=policy_id)
    _without_jit()
    rescheduled = 0
    for policy in policies:
        for target in policy.targets.all():
            for metric in SlaMetric.values:
                minutes = target.minutes(metric)
                if minutes is None:
                    continue
                seconds = minutes * 60
                # Only the clocks whose target or warning share differ: editing one priority's targets
                # rewrites that priority's clocks, not every clock the policy times.
                clocks = SlaClock.objects.filter(policy=policy, metric=metric, priority=target.priority)
                clocks = clocks.exclude(target_seconds=seconds, warn_percent=policy.warn_percent)
                clocks.filter(status=ClockStatus.PAUSED).update(
                    target_seconds=seconds, warn_percent=policy.warn_percent
                )
                due = OuterRef("base") + seconds
                rescheduled += clocks.filter(status=ClockStatus.RUNNING).update(
                    target_seconds=seconds,
                    warn_percent=policy.warn_percent,
                    due_position=F("base") + seconds,
                    warn_position=F("base") + seconds * policy.warn_percent // 100,
                    due_at=EpochToDateTime(_due_at(due)),
                )
    return rescheduled


def sla_clocks_notify(*, clock_ids: Sequence[int], kind: str) -> int:
    """Tell each clock's assignee (or, for a client's unassigned ticket, the account's owner) that it was
    breached or is close to; returns how many notifications were queued."""
    from carefront.desk.services import notify_on_commit

    clocks = SlaClock.objects.select_related("ticket", "ticket__account").filter(pk__in=clock_ids)
    queued = 0
    for clock in clocks:
        ticket = clock.ticket
        recipient_id = ticket.assignee_id or ticket.account.owner_id
        if recipient_id is None:
            continue
        label = str(SlaMetric(clock.metric).label)
        if kind == "breached":

            def text(ticket: Ticket = ticket, label: str = label) -> str:
                return _("SLA breached: {metric} on ticket #{number} “{subject}”.").format(
                    metric=_(label), number=ticket.number, subject=ticket.subject
                )
        else:

            def text(ticket: Ticket = ticket, label: str = label) -> str:
                return _("SLA warning: {metric} on ticket #{number} “{subject}” is due soon.").format(
                    metric=_(label), number=ticket.number, subject=ticket.subject
                )

        notify_on_commit(recipient_id=recipient_id, verb=f"sla_{kind}", text=text, ticket_id=ticket.pk)
        queued += 1
    return queued
