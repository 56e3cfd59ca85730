"""Recurrence rules read by python-dateutil on the client's wall clock: summer time, month ends, leap days, rules
refused at the boundary, and a property: occurrences strictly increase and never come before the start."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import islice, pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carefront.core.exceptions import ApplicationError
from carefront.relationships.schedule import Recurrence, WorkingHours, outside_hours, rule_clean


def _first(recurrence: Recurrence, count: int, *, after: datetime | None = None) -> list[datetime]:
    start = after or datetime(2000, 1, 1, tzinfo=UTC)
    return list(islice(recurrence.occurrences(after=start), count))


def test_a_weekly_call_keeps_its_wall_clock_time_across_both_changes_of_summer_time_in_paris() -> None:
    weekly = Recurrence(rule="FREQ=WEEKLY", starts_on=date(2026, 3, 16), time_of_day=time(10), time_zone="Europe/Paris")
    march = _first(weekly, 3)
    # Summer time starts on Sunday 29 March 2026: 10:00 is 09:00 UTC before, 08:00 UTC after.
    assert march == [
        datetime(2026, 3, 16, 9, tzinfo=UTC),
        datetime(2026, 3, 23, 9, tzinfo=UTC),
        datetime(2026, 3, 30, 8, tzinfo=UTC),
    ]
    october = _first(weekly, 2, after=datetime(2026, 10, 19, tzinfo=UTC))
    # It ends on Sunday 25 October 2026.
    assert october == [datetime(2026, 10, 19, 8, tzinfo=UTC), datetime(2026, 10, 26, 9, tzinfo=UTC)]


def test_a_monthly_check_in_on_the_31st_skips_shorter_months_as_dateutil_reads_rfc_5545() -> None:
    on_31st = Recurrence(rule="FREQ=MONTHLY", starts_on=date(2026, 1, 31), time_of_day=time(10), time_zone="UTC")
    assert [moment.date() for moment in _first(on_31st, 4)] == [
        date(2026, 1, 31),
        date(2026, 3, 31),
        date(2026, 5, 31),
        date(2026, 7, 31),
    ]


def test_bymonthday_minus_one_means_the_last_day_of_every_month() -> None:
    last_day = Recurrence(
        rule="FREQ=MONTHLY;BYMONTHDAY=-1", starts_on=date(2026, 1, 31), time_of_day=time(10), time_zone="UTC"
    )
    assert [moment.date() for moment in _first(last_day, 4)] == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]


def test_a_yearly_check_in_on_the_29th_of_february_waits_for_the_next_leap_year() -> None:
    leap = Recurrence(rule="FREQ=YEARLY", starts_on=date(2028, 2, 29), time_of_day=time(10), time_zone="UTC")
    assert [moment.date() for moment in _first(leap, 2)] == [date(2028, 2, 29), date(2032, 2, 29)]
    last_of_february = Recurrence(
        rule="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1", starts_on=date(2028, 2, 29), time_of_day=time(10), time_zone="UTC"
    )
    assert [moment.date() for moment in _first(last_of_february, 2)] == [date(2028, 2, 29), date(2029, 2, 28)]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=FORTNIGHTLY", "not a valid recurrence rule"),
        ("FREQ=MONTHLY;BYDAY=XX", "not a valid recurrence rule"),
        ("", "Give a recurrence rule"),
        ("DTSTART:20260101T100000\nRRULE:FREQ=DAILY", "without DTSTART"),
        ("FREQ=HOURLY", "at most daily"),
        ("FREQ=MINUTELY;INTERVAL=30", "at most daily"),
    ],
)
def test_a_bad_rule_is_refused_with_a_clear_message(rule: str, message: str) -> None:
    with pytest.raises(ApplicationError) as refused:
        rule_clean(rule)
    assert message in refused.value.message
    assert refused.value.field == "rule"


def test_a_daily_rule_with_two_hours_a_day_is_too_frequent() -> None:
    twice = Recurrence(
        rule=rule_clean("RRULE:FREQ=DAILY;BYHOUR=9,15"),
        starts_on=date(2026, 3, 2),
        time_of_day=time(9),
        time_zone="UTC",
    )
    assert twice.too_frequent() == datetime(2026, 3, 2, 15)
    daily = Recurrence(rule="FREQ=DAILY", starts_on=date(2026, 3, 2), time_of_day=time(9), time_zone="Europe/Paris")
    assert daily.too_frequent() is None


def test_working_hours_are_read_in_the_advisors_zone_for_a_client_elsewhere() -> None:
    """GIVEN a New York client's weekly call at 10:00 and an advisor in Paris who works 16:00-18:00
    WHEN the United States have moved to summer time (8 March 2026) and France not yet (29 March)
    THEN the call of 10 March falls at 15:00 in Paris, outside her hours."""
    call = Recurrence(
        rule="FREQ=WEEKLY", starts_on=date(2026, 3, 3), time_of_day=time(10), time_zone="America/New_York"
    )
    hours = WorkingHours(time_zone="Europe/Paris", starts=time(16), ends=time(18))
    outside = outside_hours(call, hours=hours, duration=timedelta(minutes=30), after=datetime(2026, 3, 2, tzinfo=UTC))
    assert outside == datetime(2026, 3, 10, 14, tzinfo=UTC)
    assert hours.holds(datetime(2026, 3, 3, 15, tzinfo=UTC), timedelta(minutes=30))


ZONES = ["Europe/Paris", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC", "Pacific/Chatham"]


@settings(max_examples=150, deadline=None)
@given(
    freq=st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]),
    interval=st.integers(min_value=1, max_value=4),
    monthday=st.one_of(st.none(), st.integers(min_value=-28, max_value=28).filter(lambda day: day != 0)),
    starts_on=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    time_of_day=st.times(),
    zone=st.sampled_from(ZONES),
    after_days=st.integers(min_value=-400, max_value=400),
)
def test_occurrences_strictly_increase_and_never_come_before_the_start(
    freq: str,
    interval: int,
    monthday: int | None,
    starts_on: date,
    time_of_day: time,
    zone: str,
    after_days: int,
) -> None:
    rule = f"FREQ={freq};INTERVAL={interval}" + (f";BYMONTHDAY={monthday}" if monthday is not None else "")
    recurrence = Recurrence(
        rule=rule_clean(rule), starts_on=starts_on, time_of_day=time_of_day.replace(microsecond=0), time_zone=zone
    )
    start = recurrence._aware(recurrence.first)
    after = start + timedelta(days=after_days)
    found = list(islice(recurrence.occurrences(after=after), 12))
    assert found, "every generated rule recurs for ever"
    assert all(moment >= start and moment >= after for moment in found)
    assert all(earlier < later for earlier, later in pairwise(found))
