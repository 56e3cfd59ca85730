"""The service scorecard from a small hand-made week of tickets whose every figure is worked out by hand.

The office works Monday to Friday, 09:00–17:00 UTC; the SLA policy gives normal tickets 2 h to a first response,
1 h to a next response and 8 h to a resolution. The period is 30 November – 13 December 2026.

- A (Alice): created Mon 30 Nov 09:00, answered 10:00, the requester writes at 11:00, answered 11:30, solved 12:00.
- B (Alice): created Fri 4 Dec 16:00, answered and solved over the weekend's end: answered Mon 7 Dec 10:00 (66 h of
  calendar time, 2 business hours), solved 11:00.
- C (Bob): created Tue 1 Dec 09:00, answered 10:00 and set pending (the clocks pause), the requester writes at 13:00
  (open again), answered and solved at 14:00.
- D (Bob): created Wed 2 Dec 09:00, answered and solved 10:00, reopened by the requester at 11:00, answered and solved
  again at 12:00.
- E: created Wed 2 Dec 09:30 and merged into D at 09:45: it counts as D.
- F: created Thu 3 Dec 09:00, escalated to L2 at 09:30, never answered: the backlog.
- A knowledge-base article answers a customer on Thu 3 Dec (a deflection).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
import time_machine

from carefront.desk.business_time import WorkingPeriod
from carefront.desk.conversation_services import ticket_merge
from carefront.desk.services import ticket_change_status, ticket_create, ticket_escalate, ticket_reply
from carefront.desk.sla_services import TargetMinutes, calendar_create, sla_clocks_check, sla_policy_create
from carefront.insights.metrics.definitions import Figure, metric_filters_build
from carefront.insights.metrics.facts import facts_cache_clear
from carefront.insights.metrics.service import service_scorecard
from carefront.insights.services_facts import fact_days_refresh_all
from carefront.knowledge.models import Article
from carefront.knowledge.services import deflection_record

pytestmark = pytest.mark.django_db

OFFICE = [WorkingPeriod(day, time(9), time(17)) for day in range(5)]


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of December 2026 (day 30 is 30 November)."""
    if day == 30:
        return datetime(2026, 11, 30, hour, minute, tzinfo=UTC)
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(at(30, 8), tick=False) as traveller:
        yield traveller


@pytest.fixture
def week(clock: Any, alice: Any, bob: Any, morgan: Any, carol: Any, portal_user_for: Any, tracking: Article) -> Any:
    office = calendar_create(actor=None, name="Office", time_zone="UTC", hours=OFFICE)
    sla_policy_create(
        actor=None,
        name="Everyone",
        calendar=office,
        targets={"normal": TargetMinutes(first_response=120, next_response=60, resolution=480)},
    )

    def step(moment: datetime) -> None:
        clock.move_to(moment)

    def open_ticket(moment: datetime, subject: str, assignee: Any = None) -> Any:
        step(moment)
        return ticket_create(actor=None, requester=carol, subject=subject, body="Help.", assignee=assignee)

    a = open_ticket(at(30, 9), "A", alice)
    step(at(30, 10))
    ticket_reply(ticket=a, staff=alice, body="On it.", email_requester=False)
    step(at(30, 11))
    ticket_reply(ticket=a, contact=carol, body="Any news?")
    step(at(30, 11, 30))
    ticket_reply(ticket=a, staff=alice, body="Shipped.", email_requester=False)
    step(at(30, 12))
    ticket_change_status(ticket=a, actor=alice, status="solved")

    c = open_ticket(at(1, 9), "C", bob)
    step(at(1, 10))
    ticket_reply(ticket=c, staff=bob, body="Which order?", status="pending", email_requester=False)
    step(at(1, 13))
    ticket_reply(ticket=c, contact=carol, body="Order 12.")
    step(at(1, 14))
    ticket_reply(ticket=c, staff=bob, body="Refunded.", status="solved", email_requester=False)

    d = open_ticket(at(2, 9), "D", bob)
    e = open_ticket(at(2, 9, 30), "E")
    step(at(2, 9, 45))
    ticket_merge(source=e, target=d, actor=bob)
    step(at(2, 10))
    ticket_reply(ticket=d, staff=bob, body="Fixed.", status="solved", email_requester=False)
    step(at(2, 11))
    ticket_reply(ticket=d, contact=carol, body="Still broken.")
    step(at(2, 12))
    ticket_reply(ticket=d, staff=bob, body="Fixed now.", status="solved", email_requester=False)

    f = open_ticket(at(3, 9), "F")
    step(at(3, 9, 30))
    ticket_escalate(ticket=f, actor=morgan, tier=2, reason="Needs a specialist.", notify_team=False)
    step(at(3, 15))
    deflection_record(article=tracking, user=portal_user_for(carol), subject="Where is it?", language="en")

    b = open_ticket(at(4, 16), "B", alice)
    step(at(7, 10))
    ticket_reply(ticket=b, staff=alice, body="Sorry for the wait.", email_requester=False)
    step(at(7, 11))
    ticket_change_status(ticket=b, actor=alice, status="solved")

    step(at(10, 12))
    sla_clocks_check()
    return {"A": a, "B": b, "C": c, "D": d, "E": e, "F": f}


def card(**filters: Any) -> dict[str, Figure]:
    built = metric_filters_build(start=date(2026, 11, 30), end=date(2026, 12, 13), **filters)
    return {item.name: item for item in service_scorecard(filters=built)}


def values(figures: dict[str, Figure], *names: str) -> list[Any]:
    return [figures[name].value for name in names]


def test_volume_counts_each_ticket_once_with_a_merged_one_in_its_target(week: Any) -> None:
    figures = card()
    volume = figures["ticket_volume"]
    assert (volume.value, volume.count) == (5, 5)
    assert {part.key: part.value for part in volume.breakdowns["tier"]} == {"L1": 4, "L2": 1}
    assert {part.key: part.value for part in volume.breakdowns["channel"]} == {"email": 5}


def test_first_response_in_calendar_and_business_time(week: Any) -> None:
    """B waited 66 calendar hours over the weekend but 2 business hours; the others one hour each."""
    figures = card()
    assert values(figures, "first_response_time_calendar_median", "first_response_time_calendar_p90") == [
        3600,
        3600 + 0.7 * (237600 - 3600),
    ]
    assert values(figures, "first_response_time_business_median", "first_response_time_business_p90") == [
        3600,
        3600 + 0.7 * 3600,
    ]
    assert figures["first_response_time_calendar_median"].count == 4


def test_next_response_time_answers_the_requesters_reply(week: Any) -> None:
    """A: 11:00 → 11:30; C: 13:00 → 14:00; D (reopened): 11:00 → 12:00."""
    figures = card()
    assert values(figures, "next_response_time_calendar_median", "next_response_time_calendar_p90") == [3600, 3600]
    assert figures["next_response_time_calendar_median"].count == 3
    assert values(figures, "next_response_time_business_median") == [3600]
    assert figures["next_response_time_business_median"].count == 3


def test_resolution_time_leaves_out_the_pause_and_counts_a_reopened_ticket_to_its_last_solve(week: Any) -> None:
    """Calendar: A 3 h, B 67 h, C 5 h, D 3 h. Business: A 3 h, B 3 h, C 2 h (pending 10–13), D 2 h (solved 10–11)."""
    figures = card()
    assert values(figures, "resolution_time_calendar_median", "resolution_time_calendar_p90") == [
        14400,
        18000 + 0.7 * (241200 - 18000),
    ]
    assert values(figures, "resolution_time_business_median", "resolution_time_business_p90") == [9000, 10800]


def test_rates_of_resolution_one_touch_and_reopen(week: Any) -> None:
    figures = card()
    assert figures["resolution_rate"].value == pytest.approx(80.0)  # A, B, C, D of the five
    assert figures["one_touch_resolution_rate"].value == pytest.approx(25.0)  # B alone
    assert figures["reopen_rate"].value == pytest.approx(25.0)  # D
    assert (figures["backlog"].value, figures["backlog_age_median"].value) == (1, (10 * 24 + 15) * 3600)


def test_sla_achievement_counts_the_backlogs_breached_clocks(week: Any) -> None:
    """Eleven clocks stopped within target; F's first response and resolution breached and still running."""
    sla = card()["sla_achievement"]
    assert sla.count == 13
    assert sla.value == pytest.approx(100 * 11 / 13)
    assert {part.key: part.count for part in sla.breakdowns["target"]} == {
        "first_response": 5,
        "next_response": 3,
        "resolution": 5,
    }


def test_solved_per_agent_escalation_and_deflection(week: Any, alice: Any) -> None:
    figures = card()
    assert figures["solved_per_agent"].value == 2
    assert {part.key: part.value for part in figures["solved_per_agent"].breakdowns["agent"]} == {
        "alice": 2,
        "bob": 2,
    }
    escalation = figures["escalation_rate"]
    assert {part.key: part.value for part in escalation.breakdowns["tier"]}["L1"] == 20.0
    assert escalation.value == pytest.approx(100 / 6)
    assert (figures["kb_deflections"].value, figures["kb_deflection_rate"].value) == (1, pytest.approx(100 / 6))


def test_an_agent_filter_keeps_only_their_tickets(week: Any, alice: Any) -> None:
    figures = card(agent=alice.pk)
    assert figures["ticket_volume"].value == 2
    assert figures["resolution_time_calendar_median"].value == (10800 + 241200) / 2
    assert figures["kb_deflection_rate"].value is None  # deflections belong to no agent


def test_an_empty_period_has_no_data_rather_than_zeros(week: Any) -> None:
    built = metric_filters_build(start=date(2025, 1, 1), end=date(2025, 1, 31))
    figures = {item.name: item for item in service_scorecard(filters=built)}
    assert figures["ticket_volume"].value == 0
    for name in ("first_response_time_calendar_median", "resolution_rate", "sla_achievement", "solved_per_agent"):
        assert (figures[name].value, figures[name].count) == (None, 0)
    assert figures["csat"].value is None


def test_a_single_ticket(clock: Any, carol: Any, alice: Any) -> None:
    """GIVEN one ticket with no SLA policy, answered after 30 minutes and solved after an hour
    THEN its calendar times are the figures, the business ones have no data, and both percentiles agree."""
    clock.move_to(at(30, 9))
    ticket = ticket_create(actor=None, requester=carol, subject="One", body="Help.")
    clock.move_to(at(30, 9, 30))
    ticket_reply(ticket=ticket, staff=alice, body="Done.", status="solved", email_requester=False)
    figures = card()
    assert values(figures, "first_response_time_calendar_median", "first_response_time_calendar_p90") == [1800, 1800]
    assert figures["first_response_time_business_median"].value is None
    assert figures["one_touch_resolution_rate"].value == 100.0


def test_the_scorecard_costs_a_constant_number_of_queries(week: Any, django_assert_max_num_queries: Any) -> None:
    built = metric_filters_build(start=date(2026, 11, 30), end=date(2026, 12, 13))
    # Nothing stored yet (insights/metrics/facts.py): the marks' signatures, the stored days and months (none), the
    # days of November, which has ended, as it is not stored whole, a build for each of the nine families; the tickets
    # the facts cannot place in scope, the team and agent names (3); the deflections, twice (2); the CSAT counts the
    # feedback app provides.
    with django_assert_max_num_queries(18):
        cold = service_scorecard(filters=built)
    fact_days_refresh_all()
    facts_cache_clear()
    # Every day stored: the signatures and the stored days, nothing built.
    with django_assert_max_num_queries(8):
        warm = service_scorecard(filters=built)
    # Read again: the process kept the stored days.
    with django_assert_max_num_queries(7):
        kept = service_scorecard(filters=built)
    assert kept == warm
    assert warm == cold
