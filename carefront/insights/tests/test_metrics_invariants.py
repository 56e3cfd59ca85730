"""Invariants of every figure over random tickets and orders (Hypothesis): a rate stays within 0–100 %, a filter
never increases what a figure rests on, and a period split in two adds up."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carefront.accounts.models import Contact, Order
from carefront.desk.models import Ticket
from carefront.insights.metrics.definitions import PERCENT, Figure, MetricFilters
from carefront.insights.metrics.relationship import relationship_scorecard
from carefront.insights.metrics.service import service_scorecard

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 1, tzinfo=UTC)
END = START + timedelta(days=20)
MIDDLE = START + timedelta(days=9, hours=5)
# Percent figures that compare two periods rather than take a share: they may pass 100 % or go below 0.
GROWTHS = {"revenue_growth", "net_revenue_retention"}

hours = st.integers(min_value=-5 * 24, max_value=25 * 24)
tickets = st.lists(
    st.tuples(
        hours,  # created, hours after START
        st.none() | st.integers(min_value=0, max_value=100),  # first response after creation
        st.none() | st.integers(min_value=0, max_value=300),  # solved after creation
        st.sampled_from(["email", "chat", "phone"]),
        st.integers(min_value=0, max_value=3),
        st.booleans(),  # assigned to Alice (else Bob)
    ),
    max_size=15,
)
orders = st.lists(
    st.tuples(hours, st.integers(min_value=0, max_value=500), st.sampled_from(["EUR", "EUR", "USD"])), max_size=10
)


def _store(carol: Contact, alice: Any, bob: Any, rows: list[Any], bought: list[Any]) -> None:
    Ticket.objects.bulk_create(
        Ticket(
            number=1000 + index,
            subject="x",
            account_id=carol.account_id,
            requester=carol,
            channel=channel,
            tier=tier,
            assignee=alice if mine else bob,
            created_at=START + timedelta(hours=created),
            first_responded_at=None if first is None else START + timedelta(hours=created + first),
            solved_at=None if solved is None else START + timedelta(hours=created + solved),
            status="open" if solved is None else "solved",
        )
        for index, (created, first, solved, channel, tier, mine) in enumerate(rows)
    )
    Order.objects.bulk_create(
        Order(
            account_id=carol.account_id,
            external_id=f"o{index}",
            placed_at=START + timedelta(hours=placed),
            amount=Decimal(amount),
            currency=currency,
        )
        for index, (placed, amount, currency) in enumerate(bought)
    )


def _all(filters: MetricFilters, user: Any) -> dict[str, Figure]:
    figures = [*service_scorecard(filters=filters), *relationship_scorecard(filters=filters, user=user)]
    return {item.name: item for item in figures}


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=tickets, bought=orders, channel=st.sampled_from(["email", "chat"]), tier=st.integers(0, 3))
def test_rates_stay_within_bounds_and_filters_never_add(
    carol: Contact, alice: Any, bob: Any, morgan: Any, rows: list[Any], bought: list[Any], channel: str, tier: int
) -> None:
    with transaction.atomic():
        _store(carol, alice, bob, rows, bought)
        whole = MetricFilters(start=START, end=END)
        everything = _all(whole, morgan)
        for item in everything.values():
            if item.unit == PERCENT and item.name not in GROWTHS and item.value is not None:
                assert 0 <= item.value <= 100, item
            assert item.count >= 0
        for narrower in (
            dataclasses.replace(whole, channel=channel),
            dataclasses.replace(whole, tier=tier),
            dataclasses.replace(whole, agent=alice.pk, channel=channel),
            dataclasses.replace(whole, service_model="client"),
        ):
            for name, item in _all(narrower, morgan).items():
                assert item.count <= everything[name].count, name
        transaction.set_rollback(True)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=tickets, bought=orders)
def test_a_period_split_in_two_adds_up(
    carol: Contact, alice: Any, bob: Any, morgan: Any, rows: list[Any], bought: list[Any]
) -> None:
    with transaction.atomic():
        _store(carol, alice, bob, rows, bought)
        whole = _all(MetricFilters(start=START, end=END), morgan)
        first = _all(MetricFilters(start=START, end=MIDDLE), morgan)
        second = _all(MetricFilters(start=MIDDLE, end=END), morgan)
        for name in ("ticket_volume", "solved_per_agent", "resolution_rate", "one_touch_resolution_rate", "revenue"):
            assert whole[name].count == first[name].count + second[name].count, name
        for name in ("ticket_volume", "revenue"):
            halves = [first[name].value, second[name].value]
            assert whole[name].value == sum(Decimal(str(value)) for value in halves if value is not None), name
        transaction.set_rollback(True)
