"""The filters every figure takes: dates are whole days in a time zone, the previous period has the same length,
and bad values are refused at the boundary with the field they concern."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine

from carefront.core.exceptions import ApplicationError
from carefront.desk.services import ticket_create
from carefront.insights.metrics.definitions import metric_filters_build, period_bound_parse
from carefront.insights.metrics.service import service_scorecard

pytestmark = pytest.mark.django_db

NOVEMBER: dict[str, Any] = {"start": date(2026, 11, 1), "end": date(2026, 11, 30)}


def test_dates_are_whole_days_in_the_zone_and_the_last_day_is_included() -> None:
    paris = metric_filters_build(**NOVEMBER, time_zone="Europe/Paris")
    assert (paris.start, paris.end) == (datetime(2026, 10, 31, 23, tzinfo=UTC), datetime(2026, 11, 30, 23, tzinfo=UTC))
    utc = metric_filters_build(**NOVEMBER)
    assert (utc.start, utc.end) == (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))


def test_the_previous_period_is_as_long_and_ends_where_this_one_starts() -> None:
    previous = metric_filters_build(**NOVEMBER, channel="chat").previous()
    assert (previous.start, previous.end) == (datetime(2026, 10, 2, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
    assert previous.channel == "chat"


def test_a_ticket_late_on_the_last_evening_belongs_to_the_month_of_the_zone(carol: Any) -> None:
    """GIVEN a ticket created at 23:30 UTC on 30 November (00:30 on 1 December in Paris)
    THEN November counts it in UTC and not in Paris."""
    with time_machine.travel(datetime(2026, 11, 30, 23, 30, tzinfo=UTC), tick=False):
        ticket_create(actor=None, requester=carol, subject="Late", body="Help.")

    def volume(zone: str) -> Any:
        figures = service_scorecard(filters=metric_filters_build(**NOVEMBER, time_zone=zone))
        return next(item.value for item in figures if item.name == "ticket_volume")

    assert (volume("UTC"), volume("Europe/Paris")) == (1, 0)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"end": date(2026, 10, 1)}, "end"),
        ({"start": datetime(2026, 11, 1, 9)}, "start"),
        ({"service_model": "partner"}, "service_model"),
        ({"channel": "fax"}, "channel"),
        ({"tier": 4}, "tier"),
        ({"segment": "  "}, "segment"),
        ({"agent": 999999}, "agent"),
        ({"advisor": 999999}, "advisor"),
        ({"time_zone": "Nowhere/Else"}, "time_zone"),
        ({"start": date(1, 1, 1)}, "start"),
        ({"start": date(2026, 11, 1) - timedelta(days=2000)}, "end"),
    ],
)
def test_bad_filters_name_their_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ApplicationError) as refused:
        metric_filters_build(**{**NOVEMBER, **changes})
    assert (refused.value.field, refused.value.status) == (field, 422)


def test_bounds_are_read_as_dates_or_instants_with_an_offset() -> None:
    assert period_bound_parse("2026-11-30", field_name="end") == date(2026, 11, 30)
    assert period_bound_parse("2026-11-30T09:00:00+01:00", field_name="end") == datetime(2026, 11, 30, 8, tzinfo=UTC)
    with pytest.raises(ApplicationError):
        period_bound_parse("30/11/2026", field_name="end")
