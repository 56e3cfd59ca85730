"""Business-time arithmetic: working periods laid out as UTC spans, and positions on a calendar's line.

Pure functions, no database. Local working hours become UTC instants through `zoneinfo` (so a DST change
shortens or lengthens that day's hours by the real hour), public holidays come from the `holidays`
package; everything after that is integer arithmetic on epoch seconds.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import holidays
from django.utils.translation import gettext as _

from carefront.core.exceptions import ApplicationError
from carefront.core.validation import time_zone_set

DAY_MINUTES = 24 * 60
WEEK_MINUTES = 7 * DAY_MINUTES
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class WorkingPeriod:
    """Working hours on one weekday (0 is Monday); an end at or before the start falls on the next day."""

    weekday: int
    starts_at: time
    ends_at: time

    @property
    def minutes(self) -> tuple[int, int]:
        """Start and end in minutes from the start of the weekday; the end may pass midnight."""
        start = self.starts_at.hour * 60 + self.starts_at.minute
        end = self.ends_at.hour * 60 + self.ends_at.minute
        if end <= start:
            end += DAY_MINUTES
        return start, end


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def time_zone_validate(name: str) -> ZoneInfo:
    """The zone a calendar names, from the same list every time-zone field accepts."""
    if name not in time_zone_set():
        raise ApplicationError(_("Unknown time zone “{zone}”.").format(zone=name), field="time_zone")
    return ZoneInfo(name)


def country_validate(country: str, subdivision: str) -> None:
    if not country:
        if subdivision:
            raise ApplicationError(_("A region needs a country."), field="subdivision")
        return
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise ApplicationError(
            _("No public holidays are known for country “{country}”.").format(country=country), field="country"
        )
    if subdivision and subdivision not in supported[country]:
        raise ApplicationError(
            _("Country {country} has no region “{region}”.").format(country=country, region=subdivision),
            field="subdivision",
        )


def periods_validate(periods: Sequence[WorkingPeriod]) -> None:
    """Refuse a week without working time, a period that ends where it starts, and overlapping periods."""
    if not periods:
        raise ApplicationError(_("A calendar needs at least one working period."), field="hours")
    intervals = []
    for period in periods:
        if not 0 <= period.weekday <= 6:
            raise ApplicationError(_("A weekday is a number from 0 (Monday) to 6 (Sunday)."), field="hours")
        if period.starts_at == period.ends_at and period.starts_at != time(0):
            raise ApplicationError(
                _("The period on {day} ends when it starts ({time}).").format(
                    day=_(WEEKDAY_NAMES[period.weekday]), time=period.starts_at.strftime("%H:%M")
                ),
                field="hours",
            )
        if (
            period.starts_at.second
            or period.ends_at.second
            or period.starts_at.microsecond
            or period.ends_at.microsecond
        ):
            raise ApplicationError(_("Working hours are whole minutes."), field="hours")
        if period.starts_at.tzinfo is not None or period.ends_at.tzinfo is not None:
            raise ApplicationError(
                _("Working hours are local times of the calendar's time zone, without an offset."), field="hours"
            )
        start, end = period.minutes
        offset = period.weekday * DAY_MINUTES
        intervals.append((offset + start, offset + end, period))
    intervals.sort(key=lambda item: item[0])
    # The week wraps around: Sunday night's period may run into Monday morning's.
    wrapped = [*intervals, (intervals[0][0] + WEEK_MINUTES, intervals[0][1] + WEEK_MINUTES, intervals[0][2])]
    for (_start, end, period), (next_start, _end, next_period) in pairwise(wrapped):
        if next_start < end:
            raise ApplicationError(
                _("Working hours overlap: {day} {start}–{end} and {next_day} {next_start}–{next_end}.").format(
                    day=_(WEEKDAY_NAMES[period.weekday]),
                    start=period.starts_at.strftime("%H:%M"),
                    end=period.ends_at.strftime("%H:%M"),
                    next_day=_(WEEKDAY_NAMES[next_period.weekday]),
                    next_start=next_period.starts_at.strftime("%H:%M"),
                    next_end=next_period.ends_at.strftime("%H:%M"),
                ),
                field="hours",
            )


def days_off(*, country: str, subdivision: str, years: Iterable[int], custom: Iterable[date]) -> set[date]:
    off = set(custom)
    if country:
        off.update(holidays.country_holidays(country, subdiv=subdivision or None, years=list(years)).keys())
    return off


def spans_lay_out(
    *, periods: Sequence[WorkingPeriod], zone: ZoneInfo, days_off: Container[date], start: int, end: int
) -> list[tuple[int, int]]:
    """The working time between two epoch instants as sorted, merged (start, end) spans in epoch seconds.

    A period belongs to the day it starts on: a day off removes the night shift that starts on it.
    """
    by_weekday: dict[int, list[WorkingPeriod]] = {}
    for period in periods:
        by_weekday.setdefault(period.weekday, []).append(period)
    first_day = from_epoch(start).astimezone(zone).date() - timedelta(days=2)
    last_day = from_epoch(end).astimezone(zone).date() + timedelta(days=1)
    raw: list[tuple[int, int]] = []
    day = first_day
    while day <= last_day:
        if day not in days_off:
            for period in by_weekday.get(day.weekday(), ()):
                begin_minute, end_minute = period.minutes
                # Aware arithmetic in one zone moves the wall clock, so a DST change that day shortens or
                # lengthens the period by the real hour (a repeated hour counts its first occurrence).
                midnight = datetime.combine(day, time(0), tzinfo=zone)
                span_start = epoch(midnight + timedelta(minutes=begin_minute))
                span_end = epoch(midnight + timedelta(minutes=end_minute))
                if span_end > span_start:
                    raw.append((max(span_start, start), min(span_end, end)))
        day += timedelta(days=1)
    merged: list[tuple[int, int]] = []
    for span_start, span_end in sorted(raw):
        if span_end <= span_start:
            continue
        if merged and span_start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], span_end))
        else:
            merged.append((span_start, span_end))
    return merged


class BusinessLine:
    """A calendar's spans with the business seconds before each, for position and instant lookups."""

    def __init__(self, spans: Sequence[tuple[int, int, int]]) -> None:
        """`spans` are (start, end, offset) in epoch seconds, sorted, not overlapping."""
        self.starts = [span[0] for span in spans]
        self.ends = [span[1] for span in spans]
        self.offsets = [span[2] for span in spans]

    def position(self, instant: int) -> int:
        """Business seconds counted on this line up to an epoch instant."""
        index = bisect_right(self.starts, instant) - 1
        if index < 0:
            return 0
        return self.offsets[index] + min(instant, self.ends[index]) - self.starts[index]

    def instant(self, position: int) -> int | None:
        """The first epoch instant at which the line has counted `position` business seconds (None: beyond the
        laid-out spans)."""
        if not self.starts:
            return None
        if position <= 0:
            return self.starts[0]
        index = bisect_left(self.offsets, position) - 1
        if index < 0:  # pragma: no cover - offsets start at 0 and position > 0
            return self.starts[0]
        result = self.starts[index] + position - self.offsets[index]
        if result > self.ends[index]:
            return None
        return result

    def seconds_between(self, start: int, end: int) -> int:
        return self.position(end) - self.position(start)
