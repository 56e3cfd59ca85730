"""Tiers L1–L3: escalation with a reason to the tier's team queue, de-escalation, and the per-tier report."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from carefront.accounts.models import Contact
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Event, Notification, Team
from carefront.core.services import staff_create
from carefront.desk.models import Ticket
from carefront.desk.selectors import tier_report
from carefront.desk.services import ticket_create, ticket_escalate, ticket_reply, tier_queue_set


@pytest.fixture
def specialists(db: Any, ada: Any) -> Team:
    team = Team.objects.create(name="Specialists")
    tier_queue_set(actor=ada, tier=2, team=team)
    return team


@pytest.fixture
def sam(specialists: Team) -> Any:
    return staff_create(username="sam", email="sam@carefront.example", role="agent", teams=[specialists])


def test_escalating_hands_the_ticket_to_the_tiers_team_unassigned_and_tells_the_team(
    alice: Any, sam: Any, specialists: Team, carol: Contact, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = ticket_create(actor=alice, requester=carol, subject="Sync fails", body="Error 500.", assignee=alice)
    with django_capture_on_commit_callbacks(execute=True):
        escalated = ticket_escalate(ticket=ticket, actor=alice, tier=2, reason="Needs log analysis")
    assert (escalated.tier, escalated.team, escalated.assignee) == (2, specialists, None)
    event = Event.objects.get(subject_id=ticket.pk, action="escalated", field="tier")
    assert (event.old_value, event.new_value, event.reason) == (1, 2, "Needs log analysis")
    notice = Notification.objects.get(recipient=sam, verb="escalated")
    assert "Needs log analysis" in notice.text and "L2" in notice.text
    assert not Notification.objects.filter(recipient=alice, verb="escalated").exists()


def test_escalation_needs_a_reason_a_new_tier_and_staff(alice: Any, carol: Contact, ticket: Ticket) -> None:
    with pytest.raises(ApplicationError) as no_reason:
        ticket_escalate(ticket=ticket, actor=alice, tier=2, reason="  ")
    assert no_reason.value.field == "reason"
    with pytest.raises(ApplicationError, match="already at this tier"):
        ticket_escalate(ticket=ticket, actor=alice, tier=1, reason="Same")
    with pytest.raises(ApplicationError, match="self-service"):
        ticket_escalate(ticket=ticket, actor=alice, tier=0, reason="Back to the FAQ")
    with pytest.raises(ApplicationError) as not_staff:
        ticket_escalate(ticket=ticket, actor=None, tier=2, reason="Who?")
    assert not_staff.value.status == 403
    ticket.refresh_from_db()
    assert ticket.tier == 1


def test_the_tier_report_counts_volume_resolutions_and_escalations(
    alice: Any, specialists: Team, carol: Contact
) -> None:
    since = timezone.now() - timedelta(minutes=1)
    first = ticket_create(actor=alice, requester=carol, subject="One", body="One.")
    second = ticket_create(actor=alice, requester=carol, subject="Two", body="Two.")
    ticket_create(actor=alice, requester=carol, subject="Three", body="Three.", tier=3)
    ticket_escalate(ticket=first, actor=alice, tier=2, reason="Hard")
    ticket_escalate(ticket=first, actor=alice, tier=1, reason="Simple after all")
    ticket_reply(ticket=first, staff=alice, body="Fixed.", status="solved")
    ticket_reply(ticket=second, staff=alice, body="Done.", status="solved")
    lines = {line.tier: line for line in tier_report(since=since, until=timezone.now() + timedelta(minutes=1))}
    assert (lines[1].started, lines[1].moved_in, lines[1].resolved, lines[1].escalated) == (2, 1, 2, 1)
    assert (lines[2].volume, lines[2].escalated, lines[2].resolved) == (1, 0, 0)
    assert (lines[3].volume, lines[0].volume) == (1, 0)
    assert lines[1].escalation_rate == round(100 / 3, 1)
    assert lines[0].escalation_rate is None


def test_the_api_escalates_reports_and_sets_tier_queues(
    api_client: Any, ada: Any, alice: Any, morgan: Any, specialists: Team, ticket: Ticket
) -> None:
    agent = api_client(alice)
    response = agent.post(
        f"/api/v1/tickets/{ticket.pk}/escalate",
        {"tier": 2, "reason": "Needs a specialist"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert (response.json()["tier"], response.json()["team"]["name"]) == (2, "Specialists")
    assert agent.get("/api/v1/reports/tiers").status_code == 403
    report = api_client(morgan).get("/api/v1/reports/tiers").json()
    assert [line["escalated"] for line in report] == [0, 1, 0, 0]
    assert (
        agent.put("/api/v1/tier-queues/3", {"team_id": specialists.pk}, content_type="application/json").status_code
        == 403
    )
    admin = api_client(ada)
    assert (
        admin.put("/api/v1/tier-queues/3", {"team_id": specialists.pk}, content_type="application/json").status_code
        == 200
    )
    assert [q["team"]["name"] if q["team"] else None for q in admin.get("/api/v1/tier-queues").json()] == [
        None,
        None,
        "Specialists",
        "Specialists",
    ]


def test_an_agent_escalates_from_the_ticket_page_and_a_missing_reason_is_shown(
    alice: Any, specialists: Team, ticket: Ticket
) -> None:
    from django.test import Client

    client = Client()
    client.force_login(alice)
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert f'action="/tickets/{ticket.number}/escalate/"' in page
    refused = client.post(f"/tickets/{ticket.number}/escalate/", {"tier": 2, "reason": ""})
    assert refused.status_code == 400
    assert "This field is required." in refused.content.decode()
    moved = client.post(f"/tickets/{ticket.number}/escalate/", {"tier": 2, "reason": "Needs a specialist"})
    assert moved.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.tier, ticket.team) == (2, specialists)


def test_managers_read_the_tier_report_and_admins_set_the_tier_queues(
    alice: Any, ada: Any, morgan: Any, specialists: Team, ticket: Ticket
) -> None:
    from django.test import Client

    ticket_escalate(ticket=ticket, actor=alice, tier=2, reason="Hard")
    manager = Client()
    manager.force_login(morgan)
    report = manager.get("/reports/tiers/", {"days": 7}).content.decode()
    assert '<tr data-tier="1">' in report and "100.0 %" in report
    agent = Client()
    agent.force_login(alice)
    assert agent.get("/reports/tiers/").status_code == 403
    admin = Client()
    admin.force_login(ada)
    saved = admin.post("/settings/tiers/", {"tier_1": "", "tier_2": specialists.pk, "tier_3": specialists.pk})
    assert saved.status_code == 302
    from carefront.desk.selectors import tier_queues

    assert tier_queues() == {2: specialists, 3: specialists}
    assert agent.post("/settings/tiers/", {"tier_3": ""}).status_code == 403
