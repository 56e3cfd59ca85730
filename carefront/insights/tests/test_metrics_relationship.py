"""The relationship scorecard from a small hand-made book of accounts whose every figure is worked out by hand.

The period is November 2026 (the previous period is the 30 days before it, 2–31 October).

- Clients (Dana's): C1, C2, C3 since January; C3 churned in June (before the period), C2 on 15 November; C4 signed
  on 10 November. Customers: U1, U2 since January, none churned.
- Orders (EUR is the main currency): U1 100 EUR on 10 October and 150 EUR on 5 November; U2 50 EUR on 20 November
  and 999 USD on 21 November; C1 200 EUR on 20 October.
- C1's commitments due in November: one kept on time, one kept late, one dropped; one due in December.
- C1's check-ins in November: two held, one missed, one cancelled.
- C1 waited on the client from 6 to 8 November and from 7 to 9 November, noon to noon: 72 hours once merged.
- Health: C1 green on 20 November (red on 5 December, after the period), C2 amber on 1 October.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from carefront.accounts.models import Account
from carefront.accounts.services import (
    account_change_service_model,
    account_create,
    account_update,
    contact_create,
    order_create,
)
from carefront.desk.services import ticket_create
from carefront.insights.metrics.definitions import Figure, metric_filters_build
from carefront.insights.metrics.relationship import relationship_scorecard, relationship_scorecards
from carefront.insights.models import AccountInsight
from carefront.relationships.models import Cadence, CheckIn, HealthSnapshot
from carefront.relationships.services import (
    Blocked,
    commitment_complete,
    commitment_create,
    commitment_drop,
    dependency_create,
    dependency_receive,
)

pytestmark = pytest.mark.django_db


def day(month: int, number: int, hour: int = 12) -> datetime:
    return datetime(2026, month, number, hour, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(day(1, 1), tick=False) as traveller:
        yield traveller


@pytest.fixture
def book(clock: Any, dana: Any, morgan: Any) -> dict[str, Account]:
    def client(name: str) -> Account:
        account = account_create(actor=None, name=name, kind="organisation")
        return account_change_service_model(
            account=account, actor=morgan, service_model="client", owner=dana, reason="Signed"
        )

    accounts = {name: client(name) for name in ("C1", "C2", "C3")}
    accounts |= {name: account_create(actor=None, name=name, kind="person") for name in ("U1", "U2")}
    clock.move_to(day(6, 1))
    account_update(account=accounts["C3"], actor=morgan, lifecycle_stage="churned")
    for number, (name, moment, amount, currency) in enumerate(
        [
            ("U1", day(10, 10), "100", "EUR"),
            ("U1", day(11, 5), "150", "EUR"),
            ("U2", day(11, 20), "50", "EUR"),
            ("U2", day(11, 21), "999", "USD"),
            ("C1", day(10, 20), "200", "EUR"),
        ]
    ):
        order_create(
            actor=None,
            account=accounts[name],
            external_id=f"o{number}",
            placed_at=moment,
            currency=currency,
            amount=Decimal(amount),
        )
    c1 = accounts["C1"]
    clock.move_to(day(10, 25))
    kept, late, dropped = (
        commitment_create(actor=dana, account=c1, title=title, owner=dana, due_at=due)
        for title, due in (("Plan", day(11, 5)), ("Report", day(11, 10)), ("Call", day(11, 20)))
    )
    commitment_create(actor=dana, account=c1, title="Review", owner=dana, due_at=day(12, 5))
    cadence = Cadence.objects.create(
        account=c1,
        name="Monthly",
        duration_minutes=30,
        rule="FREQ=MONTHLY",
        starts_on=date(2026, 1, 1),
        time_of_day=time(10),
        owner=dana,
    )
    for number, state in ((3, "held"), (17, "missed"), (24, "held"), (26, "cancelled")):
        CheckIn.objects.create(
            cadence=cadence,
            account=c1,
            owner=dana,
            occurs_at=day(11, number),
            scheduled_at=day(11, number),
            duration_minutes=30,
            state=state,
        )
    clock.move_to(day(11, 4))
    commitment_complete(commitment=kept, actor=dana)
    contact = contact_create(actor=None, account=c1, name="Ivy", email="ivy@c1.example")
    ticket = ticket_create(actor=None, requester=contact, subject="Setup", body="Help.")
    clock.move_to(day(11, 6))
    first = dependency_create(
        actor=dana, what="Access", contact=contact, due_at=day(11, 20), blocks=Blocked(ticket=ticket)
    )
    clock.move_to(day(11, 7))
    second = dependency_create(
        actor=dana, what="List", contact=contact, due_at=day(11, 20), blocks=Blocked(ticket=ticket)
    )
    clock.move_to(day(11, 8))
    dependency_receive(dependency=first, actor=dana)
    clock.move_to(day(11, 9))
    dependency_receive(dependency=second, actor=dana)
    clock.move_to(day(11, 10))
    accounts["C4"] = client("C4")
    clock.move_to(day(11, 12))
    commitment_complete(commitment=late, actor=dana)
    clock.move_to(day(11, 15))
    account_update(account=accounts["C2"], actor=morgan, lifecycle_stage="churned")
    commitment_drop(commitment=dropped, actor=dana, reason="Not needed")
    for name, when, band in (
        ("C1", date(2026, 11, 20), "green"),
        ("C1", date(2026, 12, 5), "red"),
        ("C2", date(2026, 10, 1), "amber"),
    ):
        HealthSnapshot.objects.create(account=accounts[name], day=when, score=50, band=band)
    clock.move_to(day(12, 10))
    return accounts


def card(user: Any, **filters: Any) -> dict[str, Figure]:
    built = metric_filters_build(start=date(2026, 11, 1), end=date(2026, 11, 30), **filters)
    return {item.name: item for item in relationship_scorecard(filters=built, user=user)}


def test_retention_and_churn_are_separate_for_clients_and_customers(book: Any, morgan: Any) -> None:
    """Clients: S = {C1, C2} (C3 churned before, C4 is new), E − N = {C1}: 50 %. Customers: 100 %."""
    figures = card(morgan)
    assert (figures["retention_rate_clients"].value, figures["retention_rate_clients"].count) == (50.0, 2)
    assert figures["churn_rate_clients"].value == 50.0
    assert (figures["retention_rate_customers"].value, figures["churn_rate_customers"].value) == (100.0, 0.0)


def test_revenue_never_adds_two_currencies(book: Any, morgan: Any) -> None:
    figures = card(morgan)
    revenue = figures["revenue"]
    assert (revenue.value, revenue.currency, revenue.count) == (Decimal("200.00"), "EUR", 2)
    assert {part.key: part.value for part in revenue.breakdowns["currency"]} == {
        "EUR": Decimal("200.00"),
        "USD": Decimal("999.00"),
    }
    assert figures["revenue_growth"].value == pytest.approx(-100 / 3)  # 300 EUR in October
    assert figures["net_revenue_retention"].value == pytest.approx(50.0)  # U1 and C1 bought 300, then 150
    assert figures["average_order_value"].value == Decimal("100.00")
    assert figures["purchase_frequency"].value == 1.5  # three orders by two accounts
    assert figures["historical_value"].value == Decimal("166.67")  # 500 EUR over U1, U2, C1


def test_client_work_figures_share_the_relationships_formulas(book: Any, morgan: Any) -> None:
    figures = card(morgan)
    assert figures["check_in_adherence"].value == pytest.approx(200 / 3)
    assert (figures["commitment_on_time_rate"].value, figures["commitment_on_time_rate"].count) == (50.0, 2)
    assert (figures["waiting_on_client_time"].value, figures["waiting_on_client_time"].count) == (72.0, 1)
    health = figures["health_distribution"]
    assert health.value == 2
    assert {part.key: part.count for part in health.breakdowns["band"]} == {"red": 0, "amber": 1, "green": 1}


def test_lifetime_value_comes_from_the_models_where_they_scored(book: Any, morgan: Any) -> None:
    assert card(morgan)["lifetime_value"].value is None
    for name, clv in (("U1", "500"), ("U2", "300")):
        AccountInsight.objects.create(
            account=book[name], rfm_segment="champions", clv=Decimal(clv), currency="EUR", advice="keep"
        )
    figure = card(morgan)["lifetime_value"]
    assert (figure.value, figure.currency, figure.count) == (Decimal("400.00"), "EUR", 2)


def test_the_service_model_filter_keeps_only_its_accounts(book: Any, morgan: Any) -> None:
    figures = card(morgan, service_model="client")
    assert figures["retention_rate_customers"].value is None
    assert figures["revenue"].value == Decimal("0.00")
    assert figures["revenue_growth"].value == -100.0  # C1's 200 EUR in October, nothing in November
    assert figures["retention_rate_clients"].value == 50.0


def test_an_empty_period_has_no_data(book: Any, morgan: Any) -> None:
    built = metric_filters_build(start=date(2025, 1, 1), end=date(2025, 1, 31))
    figures = {item.name: item for item in relationship_scorecard(filters=built, user=morgan)}
    for name in ("retention_rate_clients", "revenue_growth", "average_order_value", "check_in_adherence", "nps"):
        assert figures[name].value is None, name
    assert figures["waiting_on_client_time"].value is None
    assert figures["health_distribution"].value == 0


def test_the_scorecard_costs_a_constant_number_of_queries(
    book: Any, morgan: Any, django_assert_num_queries: Any
) -> None:
    built = metric_filters_build(start=date(2026, 11, 1), end=date(2026, 11, 30))
    # Twelve of the scorecard's own (retention: the accounts by stage, the lifecycle changes, the accounts that have
    # some) and the NPS counts the feedback app provides.
    with django_assert_num_queries(13):
        relationship_scorecard(filters=built, user=morgan)


def test_periods_read_together_equal_each_read_alone(book: Any, morgan: Any) -> None:
    """The dashboards read the period and the one before together (the orders summed once for both): each period
    gets the figures it has alone, revenue and its growth included."""
    periods = [
        metric_filters_build(start=date(2026, 11, 1), end=date(2026, 11, 30)),
        metric_filters_build(start=date(2026, 10, 1), end=date(2026, 10, 31)),
        metric_filters_build(start=date(2026, 11, 10), end=date(2026, 12, 10), service_model="client"),
    ]
    together = relationship_scorecards(periods=periods[:2], user=morgan)
    assert together == [relationship_scorecard(filters=period, user=morgan) for period in periods[:2]]
    assert together[0] != together[1]
    with pytest.raises(ValueError, match="differ only by their dates"):
        relationship_scorecards(periods=periods[1:], user=morgan)
