"""A cadence's recurrence rule read with python-dateutil, and the advisor's working hours.

The rule is RFC 5545's RRULE value; dateutil alone expands it (no recurrence arithmetic here), on the
wall clock of the client's time zone: a monthly call at 10:00 in Paris stays at 10:00 across the change to
summer time. Each wall-clock occurrence then becomes an aware time (`fold=0`: on the night the clocks go back,
the first of the two 02:30s; a time skipped in spring is read with the offset before the change).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import DAILY, rrule, rrulestr
from django.utils.translation import gettext as _

from carefront.core.exceptions import ApplicationError

MAX_RULE = 500
# A rule is checked against the advisor's working hours for this long ahead when it is saved.
CHECK_AHEAD = timedelta(days=366)
CHECK_AHEAD_COUNT = 400
# A rule with no occurrence this long after its first date is refused (30 February): dateutil would otherwise
# search up to the year 9999 for one, seconds of work at every run of the job.
FIRST_WITHIN = timedelta(days=5 * 366)
DEFAULT_WORK_STARTS = time(9)
DEFAULT_WORK_ENDS = time(18)
DEFAULT_WORK_DAYS = "12345"


@dataclass(frozen=True)
class WorkingHours:
    """When an advisor takes meetings: a daily window on some ISO weekdays (1 is Monday), in their time zone."""

    time_zone: str
    starts: time = DEFAULT_WORK_STARTS
    ends: time = DEFAULT_WORK_ENDS
    days: str = DEFAULT_WORK_DAYS

    def holds(self, start: datetime, duration: timedelta) -> bool:
        """Whether a meeting from `start` (aware) for `duration` falls inside one working day."""
        zone = zone_of(self.time_zone)
        local_start, local_end = start.astimezone(zone), (start + duration).astimezone(zone)
        if str(local_start.isoweekday()) not in self.days or local_end.date() != local_start.date():
            return False
        return self.starts <= local_start.time() and local_end.time() <= self.ends


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ApplicationError(_("Unknown time zone “{zone}”.").format(zone=name), field="time_zone") from error


def rule_clean(text: str) -> str:
    """The RRULE value alone (an optional `RRULE:` prefix is dropped); refused when dateutil cannot read it, when it
    carries its own DTSTART, or when it recurs more often than daily."""
    value = (text or "").strip()
    if value.upper().startswith("RRULE:"):
        value = value[len("RRULE:") :]
    if not value:
        raise ApplicationError(_("Give a recurrence rule, e.g. FREQ=MONTHLY;BYDAY=1TU."), field="rule")
    if len(value) > MAX_RULE or "\n" in value or "\r" in value or "DTSTART" in value.upper():
        raise ApplicationError(
            _("Give one RRULE line without DTSTART (the cadence's start date and time is its DTSTART)."), field="rule"
        )
    parsed = rule_read(value, starts=datetime(2000, 1, 1))
    if parsed._freq > DAILY:
        raise ApplicationError(_("A check-in can recur at most daily."), field="rule")
    return value


def rule_read(value: str, *, starts: datetime) -> rrule:
    """dateutil's rule from the RRULE value, starting at the naive wall-clock `starts`."""
    try:
        parsed = rrulestr(value, dtstart=starts)
    except (ValueError, TypeError, KeyError, IndexError) as error:
        raise ApplicationError(
            _("This is not a valid recurrence rule (RFC 5545 RRULE): {error}").format(error=error), field="rule"
        ) from error
    if not isinstance(parsed, rrule):
        raise ApplicationError(_("Give one RRULE line without DTSTART."), field="rule")
    return parsed


@dataclass(frozen=True)
class Recurrence:
    """A cadence's rule, its first wall-clock occurrence and its time zone."""

    rule: str
    starts_on: date
    time_of_day: time
    time_zone: str

    @property
    def first(self) -> datetime:
        return datetime.combine(self.starts_on, self.time_of_day)

    def _aware(self, wall: datetime) -> datetime:
        return wall.replace(tzinfo=zone_of(self.time_zone)).astimezone(UTC)

    def occurrences(self, *, after: datetime) -> Iterator[datetime]:
        """Every occurrence (aware, UTC) at or after `after`, in order; the caller stops."""
        zone = zone_of(self.time_zone)
        parsed = rule_read(self.rule, starts=self.first)
        # dateutil walks the wall clock; a day's margin covers the offset, the exact bound is checked in UTC.
        local_after = max(after.astimezone(zone).replace(tzinfo=None) - timedelta(days=1), self.first)
        for wall in parsed.xafter(local_after, inc=True):
            moment = self._aware(wall)
            if moment >= after:
                yield moment

    def occurs(self) -> bool:
        """Whether the rule has an occurrence within FIRST_WITHIN of its first date."""
        parsed = rule_read(self.rule, starts=self.first)
        return bool(parsed.between(self.first, self.first + FIRST_WITHIN, inc=True))

    def too_frequent(self) -> datetime | None:
        """The first wall-clock occurrence that comes less than a day after the one before (BYHOUR=9,15 on a daily
        rule), or None."""
        parsed = rule_read(self.rule, starts=self.first)
        previous: datetime | None = None
        for wall in parsed.xafter(self.first, count=CHECK_AHEAD_COUNT, inc=True):
            if wall > self.first + CHECK_AHEAD:
                return None
            if previous is not None and wall - previous < timedelta(days=1):
                return wall
            previous = wall
        return None


def outside_hours(
    recurrence: Recurrence, *, hours: WorkingHours, duration: timedelta, after: datetime
) -> datetime | None:
    """The first occurrence within CHECK_AHEAD of `after` that falls outside the advisor's working hours, or None."""
    until = after + CHECK_AHEAD
    for count, moment in enumerate(recurrence.occurrences(after=after)):
        if moment > until or count >= CHECK_AHEAD_COUNT:
            return None
        if not hours.holds(moment, duration):
            return moment
    return None
