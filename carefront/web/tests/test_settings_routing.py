"""The routing and automation settings screens, the away switch, and the ticket page's routing reason."""

from __future__ import annotations

from typing import Any

from django.test import Client

from carefront.accounts.models import Contact
from carefront.core.models import StaffProfile, Team
from carefront.desk.models import Automation, RoutingRule, TeamAssignment
from carefront.desk.routing_services import routing_rule_create
from carefront.desk.services import ticket_create


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_admin_writes_a_rule_from_the_form_and_edits_it_without_losing_anything(
    ada: Any, bob: Any, front_line: Team
) -> None:
    client = _client(ada)
    form = {
        "name": "French chat",
        "runs_on": "both",
        "is_active": "on",
        "cond_channel": ["chat", "email"],
        "cond_tier": ["1"],
        "cond_language": "fr, fr-CA",
        "cond_tags_none": "spam",
        "cond_words": "remboursement, colis perdu",
        "cond_assigned": "no",
        "act_team": str(front_line.pk),
        "act_assignee": "none",
        "act_priority": "high",
        "act_tags_add": "french",
    }
    response = client.post("/settings/routing/rules/new/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    rule = RoutingRule.objects.get()
    assert rule.conditions == {
        "channel": ["email", "chat"],
        "language": ["fr"],
        "tier": [1],
        "assigned": [False],
        "tags_none": ["spam"],
        "words": ["colis perdu", "remboursement"],
    }
    assert rule.actions == {"team": front_line.pk, "assignee": None, "priority": "high", "tags_add": ["french"]}
    listing = client.get("/settings/routing/").content.decode()
    assert "French chat" in listing and "Front line" in listing and "colis perdu" in listing
    # The edit form shows the rule as stored: saving it unchanged changes nothing.
    page = client.get(f"/settings/routing/rules/{rule.pk}/").content.decode()
    assert 'value="none" selected' in page and "remboursement" in page
    resubmitted = {**form, "cond_language": "fr"}
    assert client.post(f"/settings/routing/rules/{rule.pk}/", resubmitted).status_code == 302
    rule.refresh_from_db()
    assert rule.actions["assignee"] is None and rule.conditions["language"] == ["fr"]
    assert client.post(f"/settings/routing/rules/{rule.pk}/delete/").status_code == 302
    assert not RoutingRule.objects.exists()


def test_a_loop_is_shown_on_the_form_and_nothing_is_saved(ada: Any) -> None:
    routing_rule_create(actor=ada, name="High", runs_on="both", conditions={}, actions={"priority": "high"})
    response = _client(ada).post(
        "/settings/routing/rules/new/", {"name": "Low", "runs_on": "updated", "is_active": "on", "act_priority": "low"}
    )
    assert response.status_code == 400
    assert "High" in response.content.decode()
    assert RoutingRule.objects.count() == 1
    nothing = _client(ada).post("/settings/routing/rules/new/", {"name": "Empty", "runs_on": "created"})
    assert nothing.status_code == 400
    assert "at least one action" in nothing.content.decode()


def test_team_strategies_are_set_on_the_routing_page(ada: Any, alice: Any, front_line: Team) -> None:
    client = _client(ada)
    assert client.post("/settings/routing/", {f"team_{front_line.pk}": "least_open"}).status_code == 302
    assert TeamAssignment.objects.get(team=front_line).strategy == "least_open"
    assert _client(alice).get("/settings/routing/").status_code in (302, 403, 404)


def test_an_admin_writes_an_automation(ada: Any) -> None:
    client = _client(ada)
    form = {
        "name": "Nudge",
        "since": "status",
        "hours": "72",
        "is_active": "on",
        "cond_status": ["pending"],
        "act_notify": ["assignee", "owner"],
        "act_remind_requester": "on",
    }
    assert client.post("/settings/automations/new/", form).status_code == 302
    automation = Automation.objects.get()
    assert automation.actions == {"notify": ["assignee", "owner"], "remind_requester": True}
    assert "Nudge" in client.get("/settings/automations/").content.decode()
    refused = client.post("/settings/automations/new/", {**form, "name": "Close", "act_status": "closed"})
    assert refused.status_code == 400
    assert Automation.objects.count() == 1


def test_a_staff_member_marks_themselves_away(alice: Any) -> None:
    client = _client(alice)
    response = client.post("/settings/me/", {"time_zone": "UTC", "language": "en", "away": "on"})
    assert response.status_code == 302
    assert StaffProfile.objects.get(user=alice).away is True


def test_the_ticket_page_says_why_the_ticket_is_here(ada: Any, alice: Any, carol: Contact, front_line: Team) -> None:
    routing_rule_create(actor=ada, name="Everything to front line", conditions={}, actions={"team": front_line.pk})
    ticket = ticket_create(actor=None, requester=carol, subject="Hello", body="Hi")
    page = _client(alice).get(f"/tickets/{ticket.number}/").content.decode()
    assert "Why it is here" in page and "Everything to front line" in page
