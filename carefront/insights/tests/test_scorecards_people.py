"""The per-agent and per-advisor cards and their praise: each person's best survey comments (positive answers with
a comment, highest score first, most recent first among equals, three at most), in a constant number of queries
whatever the number of people."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carefront.accounts.models import Account
from carefront.accounts.services import account_change_service_model, account_create, contact_create
from carefront.core.models import Role
from carefront.core.services import staff_create
from carefront.desk.services import ticket_change_status, ticket_create
from carefront.feedback.models import Survey
from carefront.feedback.selectors import praise_for
from carefront.feedback.services import survey_create
from carefront.insights.metrics.definitions import metric_filters_build
from carefront.insights.selectors_scorecards import advisor_cards, agent_cards
from carefront.insights.tests.answers import answer

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)


@pytest.fixture
def clock(db: Any) -> Iterator[Any]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def march() -> Any:
    return metric_filters_build(start=date(2026, 3, 1), end=date(2026, 3, 31))


def day(number: int) -> datetime:
    return datetime(2026, 3, number, 10, tzinfo=UTC)


def solved_ticket(account: Account, agent: Any) -> Any:
    contact = contact_create(actor=None, account=account, name="Requester", email=f"r{agent.pk}@x.example")
    ticket = ticket_create(actor=None, requester=contact, subject="Help", body="Help.", assignee=agent)
    return ticket_change_status(ticket=ticket, actor=agent, status="solved")


@pytest.fixture
def csat_answers(clock: Any, acme: Account, alice: Any, bob: Any, morgan: Any) -> dict[str, Any]:
    """Alice: five praised answers (5, 5, 4, 4 and a 5 without a comment), a 2 with a complaint, one before March.
    Bob: one 4 with a comment."""
    survey = survey_create(actor=morgan, kind="csat", name="CSAT")
    tickets = {"alice": solved_ticket(acme, alice), "bob": solved_ticket(acme, bob)}

    def ask(agent: Any, when: datetime, score: int, comment: str = "") -> None:
        answer(
            survey=survey,
            account=acme,
            at=when,
            score=score,
            comment=comment,
            ticket=tickets[agent.username],
            agent=agent,
        )

    ask(alice, day(2), 5, "Old five.")
    ask(alice, day(9), 5, "Newer five.")
    ask(alice, day(5), 4, "A four.")
    ask(alice, day(12), 4, "The latest four.")
    ask(alice, day(13), 5)
    ask(alice, day(14), 2, "Too slow.")
    ask(alice, datetime(2026, 2, 20, tzinfo=UTC), 5, "February.")
    ask(bob, day(3), 4, "Bob was kind.")
    return tickets


def test_praise_is_the_best_comments_most_recent_first(
    csat_answers: Any, alice: Any, bob: Any, morgan: Any, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1):
        praise = praise_for(user=morgan, by="agent", people=[alice.pk, bob.pk], since=day(1), until=day(31))
    assert [r.comment for r in praise[alice.pk]] == ["Newer five.", "Old five.", "The latest four."]
    assert [r.comment for r in praise[bob.pk]] == ["Bob was kind."]
    assert praise_for(user=morgan, by="agent", people=[], since=day(1), until=day(31)) == {}


def test_praise_is_for_staff_only(csat_answers: Any, alice: Any, carol: Any, portal_user_for: Any) -> None:
    assert praise_for(user=portal_user_for(carol), by="agent", people=[alice.pk], since=day(1), until=day(31)) == {}


def test_agent_cards_have_solved_tickets_csat_and_praise(csat_answers: Any, alice: Any, bob: Any, morgan: Any) -> None:
    cards = {card.user.username: card for card in agent_cards(user=morgan, filters=march())}
    assert set(cards) == {"alice", "bob"}
    assert (cards["alice"].solved, cards["alice"].csat_answers, cards["alice"].csat_satisfied) == (1, 6, 5)
    assert cards["alice"].csat == pytest.approx(500 / 6)
    assert [r.comment for r in cards["bob"].praise] == ["Bob was kind."]


def test_an_agent_sees_their_own_card_only(csat_answers: Any, alice: Any) -> None:
    assert [card.user.username for card in agent_cards(user=alice, filters=march())] == ["alice"]


def test_the_cards_cost_the_same_queries_for_more_people(csat_answers: Any, acme: Account, morgan: Any) -> None:
    with CaptureQueriesContext(connection) as two:
        agent_cards(user=morgan, filters=march())
    survey = Survey.objects.get(kind="csat")
    for number in range(3):
        agent = staff_create(
            username=f"agent{number}", email=f"a{number}@x.example", role=Role.AGENT, password="x" * 12
        )
        ticket = solved_ticket(acme, agent)
        answer(survey=survey, account=acme, at=day(4), score=5, comment="Great.", ticket=ticket, agent=agent)
    with CaptureQueriesContext(connection) as five:
        cards = agent_cards(user=morgan, filters=march())
    assert len(cards) == 5
    assert len(five) == len(two)


@pytest.fixture
def clients_answers(clock: Any, dana: Any, morgan: Any) -> dict[str, Account]:
    survey = survey_create(actor=morgan, kind="nps", name="NPS")
    clients = {}
    for name in ("Initech", "Umbrella"):
        account = account_create(actor=None, name=name, kind="organisation")
        clients[name] = account_change_service_model(
            account=account, actor=morgan, service_model="client", owner=dana, reason="Signed"
        )
    answer(survey=survey, account=clients["Initech"], at=day(4), score=10, comment="Dana plans ahead.")
    answer(survey=survey, account=clients["Umbrella"], at=day(6), score=9, comment="Always on time.")
    answer(survey=survey, account=clients["Umbrella"], at=day(7), score=3, comment="Invoice was wrong.")
    answer(survey=survey, account=clients["Initech"], at=day(8), score=8)
    return clients


def test_advisor_cards_have_their_clients_nps_and_praise(clients_answers: Any, dana: Any, morgan: Any) -> None:
    [card] = advisor_cards(user=morgan, filters=march())
    assert card.user == dana
    assert (card.nps_answers, card.nps) == (4, pytest.approx(25.0))  # two promoters, one detractor of four
    assert [r.comment for r in card.praise] == ["Dana plans ahead.", "Always on time."]
    assert [c.user for c in advisor_cards(user=dana, filters=march())] == [dana]


def test_the_scorecards_page_loads_the_cards_and_praise_after_it(
    csat_answers: Any, clients_answers: Any, morgan: Any
) -> None:
    """The page asks htmx for the cards with its own filters; the cards come as a fragment to htmx and as a page of
    their own to a browser without it."""
    client = Client()
    client.force_login(morgan)
    march = {"period": "custom", "start": "2026-03-01", "end": "2026-03-31"}
    page = client.get(reverse("web:insights-scorecards"), march).content.decode()
    people = reverse("web:insights-scorecards-people")
    assert f'hx-get="{people}?' in page and "start=2026-03-01" in page.split(people, 1)[1][:200]
    assert "Newer five." not in page
    fragment = client.get(people, march, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    text = fragment.content.decode()
    assert "<html" not in text and "Newer five." in text and "Dana plans ahead." in text
    assert "Too slow." not in text and "Invoice was wrong." not in text
    whole = client.get(people, march).content.decode()
    assert "<html" in whole and "Newer five." in whole


def test_the_cards_refuse_bad_filters_and_strangers(
    csat_answers: Any, morgan: Any, carol: Any, portal_user_for: Any
) -> None:
    people = reverse("web:insights-scorecards-people")
    client = Client()
    client.force_login(morgan)
    assert client.get(people, {"period": "custom", "start": "2026-03-31", "end": "2026-03-01"}).status_code == 422
    stranger = Client()
    stranger.force_login(portal_user_for(carol))
    response = stranger.get(people, {"period": "custom", "start": "2026-03-01", "end": "2026-03-31"})
    assert response.status_code in (302, 403) and "Newer five." not in response.content.decode()
