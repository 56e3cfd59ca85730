"""Business-time arithmetic: weekends, holidays, DST changes, hours past midnight, and properties that hold
for any calendar, checked against a minute-by-minute count."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carefront.core.exceptions import ApplicationError
from carefront.desk.business_time import (
    BusinessLine,
    WorkingPeriod,
    days_off,
    epoch,
    periods_validate,
    spans_lay_out,
    time_zone_validate,
)

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
OFFICE = [WorkingPeriod(day, time(9), time(17)) for day in range(5)]
NIGHTS = [WorkingPeriod(day, time(22), time(6)) for day in range(5)]
ALWAYS = [WorkingPeriod(day, time(0), time(0)) for day in range(7)]
HOUR = 3600


def line_for(
    periods: list[WorkingPeriod], zone: ZoneInfo, off: set[date] | frozenset[date] = frozenset()
) -> BusinessLine:
    start = epoch(datetime(2025, 1, 1, tzinfo=zone))
    end = epoch(datetime(2028, 1, 1, tzinfo=zone))
    spans = spans_lay_out(periods=periods, zone=zone, days_off=off, start=start, end=end)
    offset = 0
    rows = []
    for span_start, span_end in spans:
        rows.append((span_start, span_end, offset))
        offset += span_end - span_start
    return BusinessLine(rows)


def at(zone: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return epoch(datetime(year, month, day, hour, minute, tzinfo=zone))


def test_a_weekend_does_not_count() -> None:
    line = line_for(OFFICE, PARIS)
    # Friday 16:00 to Monday 10:00: one hour on Friday, one on Monday.
    assert line.seconds_between(at(PARIS, 2026, 11, 27, 16), at(PARIS, 2026, 11, 30, 10)) == 2 * HOUR


def test_public_holidays_of_the_country_and_custom_days_off_do_not_count() -> None:
    off = days_off(country="FR", subdivision="", years=[2026], custom=[date(2026, 12, 24)])
    assert date(2026, 12, 25) in off
    line = line_for(OFFICE, PARIS, off)
    # Wednesday 23 December 16:00 to Monday 28 December 10:00: Thursday 24 (custom) and Friday 25
    # (Christmas) are off, so one hour on Wednesday and one on Monday.
    assert line.seconds_between(at(PARIS, 2026, 12, 23, 16), at(PARIS, 2026, 12, 28, 10)) == 2 * HOUR


def test_a_day_on_which_clocks_go_forward_has_one_hour_less() -> None:
    line = line_for(ALWAYS, PARIS)
    # Paris springs forward on Sunday 29 March 2026: noon to noon is 23 real hours.
    assert line.seconds_between(at(PARIS, 2026, 3, 28, 12), at(PARIS, 2026, 3, 29, 12)) == 23 * HOUR


def test_a_day_on_which_clocks_go_back_has_one_hour_more() -> None:
    line = line_for(ALWAYS, NEW_YORK)
    # New York falls back on Sunday 1 November 2026.
    assert line.seconds_between(at(NEW_YORK, 2026, 10, 31, 12), at(NEW_YORK, 2026, 11, 1, 12)) == 25 * HOUR


def test_office_hours_keep_their_local_times_across_a_dst_change() -> None:
    line = line_for(OFFICE, PARIS)
    # Friday before and Monday after the change: 9:00–17:00 local on both days, so 16:00 Friday to
    # 10:00 Monday is two business hours although the UTC offset moved.
    assert line.seconds_between(at(PARIS, 2026, 3, 27, 16), at(PARIS, 2026, 3, 30, 10)) == 2 * HOUR
    assert line.instant(line.position(at(PARIS, 2026, 3, 30, 9, 30))) == at(PARIS, 2026, 3, 30, 9, 30)


def test_hours_that_run_past_midnight_count_on_both_sides_of_it() -> None:
    line = line_for(NIGHTS, PARIS)
    # Monday 23:00 to Tuesday 01:00, inside Monday's 22:00–06:00 shift.
    assert line.seconds_between(at(PARIS, 2026, 11, 23, 23), at(PARIS, 2026, 11, 24, 1)) == 2 * HOUR
    # Friday's shift ends on Saturday at 06:00 and nothing starts until Monday 22:00.
    assert line.seconds_between(at(PARIS, 2026, 11, 28, 5), at(PARIS, 2026, 11, 30, 23)) == 2 * HOUR


def test_a_day_off_removes_the_night_shift_that_starts_on_it() -> None:
    line = line_for(NIGHTS, PARIS, {date(2026, 11, 24)})
    # Tuesday's shift (22:00 Tuesday to 06:00 Wednesday) is off; Monday's shift still ends Tuesday 06:00.
    assert line.seconds_between(at(PARIS, 2026, 11, 24, 0), at(PARIS, 2026, 11, 25, 23)) == 6 * HOUR + HOUR


def test_the_instant_a_target_is_due_skips_closed_time() -> None:
    line = line_for(OFFICE, PARIS)
    start = at(PARIS, 2026, 11, 27, 16)  # Friday 16:00
    due = line.instant(line.position(start) + 4 * HOUR)
    assert due == at(PARIS, 2026, 11, 30, 12)  # Monday 12:00: one hour Friday, three Monday


@pytest.mark.parametrize(
    ("periods", "message"),
    [
        ([], "at least one working period"),
        ([WorkingPeriod(0, time(9), time(9))], "ends when it starts"),
        ([WorkingPeriod(0, time(9), time(12)), WorkingPeriod(0, time(11), time(15))], "overlap"),
        ([WorkingPeriod(6, time(22), time(6)), WorkingPeriod(0, time(5), time(9))], "overlap"),
        ([WorkingPeriod(7, time(9), time(17))], "weekday"),
    ],
)
def test_invalid_working_hours_are_refused(periods: list[WorkingPeriod], message: str) -> None:
    with pytest.raises(ApplicationError, match=message):
        periods_validate(periods)


def test_touching_periods_and_a_whole_day_are_valid() -> None:
    periods_validate([WorkingPeriod(0, time(9), time(12)), WorkingPeriod(0, time(12), time(17))])
    periods_validate(ALWAYS)
    periods_validate(NIGHTS)


@pytest.mark.parametrize("zone", ["Mars/Olympus", "Factory", ""])
def test_unknown_time_zones_are_refused(zone: str) -> None:
    with pytest.raises(ApplicationError, match="Unknown time zone"):
        time_zone_validate(zone)


# --- properties, against a minute-by-minute count ------------------------------------------------------


def is_business_minute(instant: int, periods: list[WorkingPeriod], zone: ZoneInfo, off: set[date]) -> bool:
    """The definition, checked one minute at a time: a period starting on a local day that is not off
    contains the instant."""
    local_day = datetime.fromtimestamp(instant, tz=zone).date()
    for day in (local_day - timedelta(days=1), local_day):
        if day in off:
            continue
        for period in periods:
            if period.weekday != day.weekday():
                continue
            begin, end = period.minutes
            midnight = datetime.combine(day, time(0), tzinfo=zone)
            if epoch(midnight + timedelta(minutes=begin)) <= instant < epoch(midnight + timedelta(minutes=end)):
                return True
    return False


ZONES = st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"])


@st.composite
def calendars(draw: st.DrawFn) -> tuple[list[WorkingPeriod], ZoneInfo, set[date]]:
    periods: list[WorkingPeriod] = []
    for weekday in range(7):
        if draw(st.booleans()):
            start = draw(st.integers(0, 23 * 4)) * 15
            length = draw(st.integers(1, 4 * 16)) * 15
            period = WorkingPeriod(weekday, _clock(start), _clock((start + length) % (24 * 60)))
            try:
                periods_validate([*periods, period])
            except ApplicationError:
                continue
            periods.append(period)
    if not periods:
        periods.append(WorkingPeriod(0, time(9), time(17)))
    off = {date(2026, 3, 1) + timedelta(days=n) for n in draw(st.sets(st.integers(0, 300), max_size=10))}
    return periods, ZoneInfo(draw(ZONES)), off


def _clock(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


WINDOW_START = epoch(datetime(2026, 3, 1, tzinfo=ZoneInfo("UTC")))
MOMENTS = st.integers(0, 300 * 24 * 60).map(lambda minute: WINDOW_START + minute * 60)


@settings(max_examples=40, deadline=None)
@given(calendar=calendars(), start=MOMENTS, length=st.integers(0, 6 * 24 * 60))
def test_business_seconds_equal_the_minute_by_minute_count(
    calendar: tuple[list[WorkingPeriod], ZoneInfo, set[date]], start: int, length: int
) -> None:
    periods, zone, off = calendar
    line = line_for(periods, zone, off)
    end = start + length * 60
    expected = sum(60 for minute in range(start, end, 60) if is_business_minute(minute, periods, zone, off))
    assert line.seconds_between(start, end) == expected


@settings(max_examples=60, deadline=None)
@given(calendar=calendars(), first=MOMENTS, second=MOMENTS, jitter=st.integers(0, 59))
def test_elapsed_business_time_never_decreases(
    calendar: tuple[list[WorkingPeriod], ZoneInfo, set[date]], first: int, second: int, jitter: int
) -> None:
    periods, zone, off = calendar
    line = line_for(periods, zone, off)
    early, late = sorted((first, second + jitter))
    assert line.position(early) <= line.position(late)


@settings(max_examples=60, deadline=None)
@given(calendar=calendars(), pick=st.integers(0, 10**6), into=st.floats(0, 1), seconds=st.integers(0, 10**6))
def test_inside_one_business_interval_business_time_is_wall_clock_time(
    calendar: tuple[list[WorkingPeriod], ZoneInfo, set[date]], pick: int, into: float, seconds: int
) -> None:
    periods, zone, off = calendar
    line = line_for(periods, zone, off)
    index = pick % len(line.starts)
    span_start, span_end = line.starts[index], line.ends[index]
    created = span_start + int((span_end - span_start) * into)
    answered = min(span_end, created + seconds % (span_end - span_start + 1))
    assert line.seconds_between(created, answered) == answered - created


@settings(max_examples=60, deadline=None)
@given(calendar=calendars(), moment=MOMENTS, drawn=st.integers(1, 10**6))
def test_the_due_instant_is_the_first_at_which_the_target_is_reached(
    calendar: tuple[list[WorkingPeriod], ZoneInfo, set[date]], moment: int, drawn: int
) -> None:
    periods, zone, off = calendar
    line = line_for(periods, zone, off)
    # A target within what the laid-out line still holds after `moment` (a calendar of fifteen minutes a week
    # holds less than a day of business time in the two years laid out here).
    remaining = line.position(line.ends[-1]) - line.position(moment)
    assert remaining > 0
    target = 1 + (drawn - 1) % remaining
    due = line.instant(line.position(moment) + target)
    assert due is not None
    assert line.seconds_between(moment, due) == target
    assert line.seconds_between(moment, due - 1) < target
