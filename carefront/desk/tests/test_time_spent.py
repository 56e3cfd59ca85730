"""Time spent on replies and notes: recorded, corrected, totalled per ticket, staff member and tier, and turned
into an account's cost to serve at the roles' cost rates."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from carefront.core.exceptions import ApplicationError
from carefront.core.services import cost_rate_set
from carefront.desk.models import Message, Ticket
from carefront.desk.selectors import account_cost_to_serve, time_spent_report
from carefront.desk.services import message_set_minutes, ticket_add_note, ticket_reply


@pytest.fixture
def rates(db: Any) -> None:
    cost_rate_set(actor=None, role="agent", hourly=Decimal("60"))
    cost_rate_set(actor=None, role="manager", hourly=Decimal("90"))


def test_minutes_on_replies_and_notes_make_the_accounts_cost_to_serve(
    rates: None, alice: Any, morgan: Any, ticket: Ticket, carol: Any
) -> None:
    ticket_reply(ticket=ticket, staff=alice, body="Looking.", minutes_spent=30)
    ticket_add_note(ticket=ticket, actor=morgan, body="Approved the refund.", minutes_spent=20)
    ticket_reply(ticket=ticket, contact=carol, body="Thanks!")
    cost = account_cost_to_serve(account_id=ticket.account_id)
    assert (cost.minutes, cost.minutes_by_role) == (50, {"agent": 30, "manager": 20})
    assert (cost.amount, cost.currency) == (Decimal("60.00"), "EUR")  # 30 min at 60/h + 20 min at 90/h


def test_bad_minutes_and_a_contacts_minutes_are_refused(alice: Any, ticket: Ticket, carol: Any) -> None:
    bad: tuple[Any, ...] = (-1, 1441, 2.5, True)
    for minutes in bad:
        with pytest.raises(ApplicationError) as refused:
            ticket_reply(ticket=ticket, staff=alice, body="Hi.", minutes_spent=minutes)
        assert refused.value.field == "minutes_spent"
    with pytest.raises(ApplicationError, match="Only staff record time"):
        ticket_reply(ticket=ticket, contact=carol, body="Hi.", minutes_spent=5)
    assert ticket.messages.count() == 1


def test_the_author_or_a_manager_corrects_the_time_and_the_change_is_audited(
    alice: Any, bob: Any, morgan: Any, ticket: Ticket
) -> None:
    reply = ticket_reply(ticket=ticket, staff=alice, body="Done.", minutes_spent=5)
    with pytest.raises(ApplicationError) as refused:
        message_set_minutes(message=reply, actor=bob, minutes_spent=50)
    assert refused.value.status == 403
    message_set_minutes(message=reply, actor=alice, minutes_spent=15)
    message_set_minutes(message=reply, actor=morgan, minutes_spent=25)
    assert Message.objects.get(pk=reply.pk).minutes_spent == 25
    assert ticket.messages.filter(author_contact__isnull=False).exists()
    first = ticket.messages.get(author_contact__isnull=False)
    with pytest.raises(ApplicationError, match="Only staff replies"):
        message_set_minutes(message=first, actor=morgan, minutes_spent=5)


def test_the_report_totals_time_per_staff_member_and_tier(alice: Any, bob: Any, ticket: Ticket, carol: Any) -> None:
    from carefront.desk.services import ticket_create

    hard = ticket_create(actor=alice, requester=carol, subject="Hard", body="Hard.", tier=3)
    ticket_reply(ticket=ticket, staff=alice, body="One.", minutes_spent=10)
    ticket_add_note(ticket=hard, actor=bob, body="Two.", minutes_spent=45)
    ticket_reply(ticket=hard, staff=alice, body="Three.", minutes_spent=5)
    now = timezone.now()
    report = time_spent_report(since=now - timedelta(hours=1), until=now + timedelta(minutes=1))
    assert [(person.username, minutes) for person, minutes in report.by_staff] == [("bob", 45), ("alice", 15)]
    assert [minutes for _tier, _label, minutes in report.by_tier] == [0, 10, 0, 50]
    assert report.total == 60


def test_the_api_records_totals_and_corrects_time_and_hides_it_from_contacts(
    rates: None, api_client: Any, alice: Any, morgan: Any, ticket: Ticket, carol: Any, portal_user_for: Any
) -> None:
    agent = api_client(alice)
    posted = agent.post(
        f"/api/v1/tickets/{ticket.pk}/messages",
        {"body": "On it.", "minutes_spent": 12},
        content_type="application/json",
    )
    assert posted.status_code == 201, posted.content
    message_id = posted.json()["id"]
    fixed = agent.patch(
        f"/api/v1/tickets/{ticket.pk}/messages/{message_id}", {"minutes_spent": 18}, content_type="application/json"
    )
    assert fixed.json()["minutes_spent"] == 18
    assert agent.get(f"/api/v1/tickets/{ticket.pk}").json()["time_spent_minutes"] == 18
    assert agent.get(f"/api/v1/accounts/{ticket.account_id}").json()["cost_to_serve"]["amount"] == "18.00"
    contact = api_client(portal_user_for(carol))
    seen = contact.get(f"/api/v1/tickets/{ticket.pk}").json()
    assert (seen["time_spent_minutes"], seen["sla"]) == (None, None)
    assert contact.get(f"/api/v1/accounts/{ticket.account_id}").json()["cost_to_serve"] is None
    refused = contact.post(
        f"/api/v1/tickets/{ticket.pk}/messages", {"body": "Me too", "minutes_spent": 3}, content_type="application/json"
    )
    assert refused.status_code == 403 and refused.json()["field"] == "minutes_spent"
    report = api_client(morgan).get("/api/v1/reports/time-spent").json()
    assert report["total_minutes"] == 18 and report["by_staff"][0]["staff"]["username"] == "alice"


def test_the_ticket_page_records_minutes_and_shows_the_cost_to_serve(rates: None, alice: Any, ticket: Ticket) -> None:
    client = Client()
    client.force_login(alice)
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert 'name="minutes_spent"' in page and "data-timer" in page
    client.post(
        f"/tickets/{ticket.number}/messages/", {"kind": "note", "body": "Checked the carrier.", "minutes_spent": 30}
    )
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "30 minutes spent" in page
    assert "30.00 EUR" in page


def test_admins_set_cost_rates_in_settings_and_the_api(ada: Any, alice: Any, api_client: Any) -> None:
    client = Client()
    client.force_login(ada)
    assert client.post("/settings/cost-rates/", {"rate_agent": "55.50", "rate_manager": ""}).status_code == 302
    rates = {r["role"]: r["hourly"] for r in api_client(ada).get("/api/v1/cost-rates").json()}
    assert rates == {"admin": None, "manager": None, "agent": "55.50", "advisor": None}
    assert client.post("/settings/cost-rates/", {"rate_agent": "-3"}).status_code == 400
    denied = api_client(alice).put("/api/v1/cost-rates/agent", {"hourly": "1"}, content_type="application/json")
    assert denied.status_code == 403
