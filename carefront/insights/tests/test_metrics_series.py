"""Trend series: each bucket's point is the scorecard's figure over that bucket's period (Hypothesis, over random
tickets, SLA clocks, surveys and orders, in a zone that changes to summer time inside the period); a series costs
the same queries whatever its number of buckets; buckets follow the zone's days, Monday weeks and months."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from carefront.accounts.models import Contact, Order
from carefront.desk.models import Calendar, SlaClock, Ticket
from carefront.feedback.models import Invitation, Survey
from carefront.feedback.services_answers import response_record_score
from carefront.insights.metrics.definitions import MetricFilters, metric_filters_build
from carefront.insights.metrics.facts import facts_cache_clear
from carefront.insights.metrics.relationship import relationship_scorecard
from carefront.insights.metrics.series import TRENDABLE, figure_series, series_buckets
from carefront.insights.metrics.service import service_scorecard
from carefront.insights.services_facts import fact_days_refresh_all
from carefront.insights.tests.test_metrics_service import clock, week  # noqa: F401 (the fortnight's fixtures)

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
# Three weeks and a half around the change to summer time (29 March 2026, 02:00 → 03:00 in Paris).
START = datetime(2026, 3, 18, tzinfo=PARIS)
END = datetime(2026, 4, 11, tzinfo=PARIS)

hours = st.integers(min_value=-6 * 24, max_value=26 * 24)
tickets = st.lists(
    st.tuples(
        hours,  # created, hours after START
        st.none() | st.integers(min_value=0, max_value=100),  # first response after creation (hours)
        st.none() | st.integers(min_value=0, max_value=300),  # solved after creation (hours)
        st.sampled_from(["email", "chat"]),
        st.booleans(),  # the first-response clock breached
        st.none() | st.integers(min_value=1, max_value=5),  # CSAT answer to the invitation sent at the solve
        st.none() | st.integers(min_value=0, max_value=10),  # an NPS answer at creation
    ),
    max_size=14,
)
orders = st.lists(
    st.tuples(hours, st.integers(min_value=0, max_value=500), st.sampled_from(["EUR", "USD"])), max_size=8
)


def _store(carol: Contact, alice: Any, rows: list[Any], bought: list[Any]) -> None:
    def at(offset: float) -> datetime:
        return START.astimezone(UTC) + timedelta(hours=offset)

    made = Ticket.objects.bulk_create(
        Ticket(
            number=5000 + index,
            subject="x",
            account_id=carol.account_id,
            requester=carol,
            channel=channel,
            assignee=alice,
            created_at=at(created),
            first_responded_at=None if first is None else at(created + first),
            solved_at=None if solved is None else at(created + solved),
            status="open" if solved is None else "solved",
        )
        for index, (created, first, solved, channel, *_rest) in enumerate(rows)
    )
    calendar = Calendar.objects.create(name="Always")
    csat = Survey.objects.create(kind="csat", name="CSAT")
    nps = Survey.objects.create(kind="nps", name="NPS")
    for ticket, (created, first, solved, _channel, breached, score, promoter) in zip(made, rows, strict=True):
        if first is not None:
            SlaClock.objects.create(
                ticket=ticket,
                metric="first_response",
                calendar=calendar,
                status="stopped",
                target_seconds=3600,
                elapsed=7200 if breached else 600,
                started_at=ticket.created_at,
                stopped_at=ticket.first_responded_at,
                breached_at=at(created + 1) if breached else None,
            )
        elif breached:
            SlaClock.objects.create(
                ticket=ticket,
                metric="first_response",
                calendar=calendar,
                status="running",
                target_seconds=3600,
                started_at=ticket.created_at,
                breached_at=at(created + 1),
            )
        if solved is not None:
            invitation = Invitation.objects.create(
                key=f"csat:{ticket.pk}",
                survey=csat,
                kind="csat",
                reason="ticket_solved",
                account_id=carol.account_id,
                contact=carol,
                ticket=ticket,
                agent=alice,
                language="en",
                state="sent",
                sent_at=at(created + solved + 0.5),
            )
            if score is not None:
                response_record_score(invitation=invitation, score=score, now=at(created + solved + 2))
        if promoter is not None:
            invitation = Invitation.objects.create(
                key=f"nps:{ticket.pk}",
                survey=nps,
                kind="nps",
                reason="schedule",
                account_id=carol.account_id,
                contact=carol,
                language="en",
                state="sent",
                sent_at=ticket.created_at,
            )
            response_record_score(invitation=invitation, score=promoter, now=ticket.created_at)
    Order.objects.bulk_create(
        Order(
            account_id=carol.account_id,
            external_id=f"o{index}",
            placed_at=at(placed),
            amount=Decimal(amount),
            currency=currency,
        )
        for index, (placed, amount, currency) in enumerate(bought)
    )


def service_figures(filters: MetricFilters) -> dict[str, tuple[float | None, int]]:
    return {item.name: (item.value, item.count) for item in service_scorecard(filters=filters)}  # type: ignore[misc]


def _scorecards(filters: MetricFilters, user: Any) -> dict[str, tuple[float | None, int]]:
    figures = [*service_scorecard(filters=filters), *relationship_scorecard(filters=filters, user=user)]
    return {item.name: (float(item.value) if item.value is not None else None, item.count) for item in figures}


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(rows=tickets, bought=orders, bucket=st.sampled_from(["day", "week", "month"]))
def test_each_point_is_the_scorecards_figure_over_its_bucket(
    carol: Contact, alice: Any, morgan: Any, rows: list[Any], bought: list[Any], bucket: str
) -> None:
    with transaction.atomic():
        _store(carol, alice, rows, bought)
        filters = MetricFilters(start=START, end=END)
        buckets = series_buckets(filters, bucket)
        expected = [_scorecards(MetricFilters(start=item.start, end=item.end), morgan) for item in buckets]
        for name in TRENDABLE:
            points = figure_series(name=name, filters=filters, bucket=bucket)
            assert [point.start for point in points] == [item.day for item in buckets]
            for point, item, figures in zip(points, buckets, expected, strict=True):
                assert (point.value, point.count) == pytest.approx(figures[name]), (name, item)
        transaction.set_rollback(True)


def test_buckets_follow_the_zones_days_weeks_and_months() -> None:
    filters = MetricFilters(start=START, end=END)
    days = series_buckets(filters, "day")
    assert len(days) == 24
    summer = next(item for item in days if item.day == date(2026, 3, 29))
    # Aware datetimes of one zone subtract as wall times: the 23 real hours show in UTC.
    assert summer.end.astimezone(UTC) - summer.start.astimezone(UTC) == timedelta(hours=23)
    weeks = series_buckets(filters, "week")
    # Wednesday 18 March to Sunday 22, then Monday weeks, the last one cut at the period's end.
    assert [item.day for item in weeks] == [date(2026, 3, 18), date(2026, 3, 23), date(2026, 3, 30), date(2026, 4, 6)]
    assert weeks[1].start == datetime(2026, 3, 23, tzinfo=PARIS) and weeks[-1].end == END
    months = series_buckets(filters, "month")
    assert [(item.day, item.end) for item in months] == [
        (date(2026, 3, 18), datetime(2026, 4, 1, tzinfo=PARIS)),
        (date(2026, 4, 1), END),
    ]


def test_a_series_costs_the_same_queries_whatever_its_buckets(carol: Contact, alice: Any) -> None:
    _store(
        carol, alice, [(5, 1, 20, "email", True, 5, 9), (30, None, None, "chat", False, None, None)], [(3, 10, "EUR")]
    )
    # The ticket figures read the facts (metrics/facts.py) as the queue leaves them: stored by day and month.
    fact_days_refresh_all()
    short = MetricFilters(start=START, end=START + timedelta(days=2))
    long = MetricFilters(start=START, end=START + timedelta(days=400))
    for name in TRENDABLE:
        counts = []
        for filters in (short, long):
            facts_cache_clear()  # each read from storage, not from what the other kept
            with CaptureQueriesContext(connection) as queries:
                figure_series(name=name, filters=filters, bucket="day")
            counts.append(len(queries))
        assert counts[0] == counts[1] <= 4, name


def test_an_answered_survey_shows_in_the_csat_series_at_once(carol: Contact, alice: Any) -> None:
    """GIVEN a solved ticket whose CSAT invitation is unanswered WHEN the customer answers 5 THEN the next read of
    the series counts it (the score is copied on the invitation as it is recorded: nothing to wait for)."""
    _store(carol, alice, [(5, 1, 20, "email", False, None, None)], [])
    filters = MetricFilters(start=START, end=END)
    before = figure_series(name="csat", filters=filters, bucket="month")
    assert [(point.value, point.count) for point in before] == [(None, 0), (None, 0)]
    response_record_score(invitation=Invitation.objects.get(kind="csat"), score=5)
    after = figure_series(name="csat", filters=filters, bucket="month")
    assert [(point.value, point.count) for point in after] == [(100.0, 1), (None, 0)]


def test_the_hand_made_fortnight_by_week(week: Any) -> None:  # noqa: F811 (the imported fixture)
    """GIVEN the service scorecard's known-answer fortnight (test_metrics_service: A, C and D solved in the first
    week, B created on the Friday and solved on the Monday, E merged into D, F never answered)
    THEN by week: volume 5 then 0, solved 3 then 1, backlog 2 (B and F) at the first week's end and 1 (F) at the
    second's, resolution rate 3 of 5 (B was solved after its week ended) then nothing created."""
    filters = metric_filters_build(start=date(2026, 11, 30), end=date(2026, 12, 13), time_zone="UTC")
    assert service_figures(filters)["tickets_solved"] == (4, 4)

    def series(name: str) -> list[tuple[date, float | None, int]]:
        return [(p.start, p.value, p.count) for p in figure_series(name=name, filters=filters, bucket="week")]

    first, second = date(2026, 11, 30), date(2026, 12, 7)
    assert series("ticket_volume") == [(first, 5, 5), (second, 0, 0)]
    assert series("tickets_solved") == [(first, 3, 3), (second, 1, 1)]
    assert series("backlog") == [(first, 2, 2), (second, 1, 1)]
    assert series("resolution_rate") == [(first, 60.0, 5), (second, None, 0)]
