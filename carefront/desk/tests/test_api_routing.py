"""Routing rules, automations, team strategies and away status over the API: staff read, admins (managers for
strategies) write, bad input named by field; every ticket says why it was routed."""

from __future__ import annotations

from typing import Any

from carefront.core.models import Event, StaffProfile, Team

JSON = "application/json"


def test_staff_read_rules_admins_write_them_and_contacts_see_nothing(
    api_client: Any, ada: Any, alice: Any, carol: Any, portal_user_for: Any, front_line: Team
) -> None:
    admin, agent = api_client(ada), api_client(alice)
    rule = {"name": "Chat to front line", "conditions": {"channel": ["chat"]}, "actions": {"team": front_line.pk}}
    assert agent.post("/api/v1/routing-rules", rule, content_type=JSON).status_code == 403
    created = admin.post("/api/v1/routing-rules", rule, content_type=JSON)
    assert created.status_code == 201, created.content
    rule_id = created.json()["id"]
    assert created.json()["runs_on"] == "created"
    listed = agent.get("/api/v1/routing-rules").json()["results"]
    assert [item["name"] for item in listed] == ["Chat to front line"]
    contact = api_client(portal_user_for(carol))
    assert contact.get("/api/v1/routing-rules").status_code in (403, 404)
    assert contact.get(f"/api/v1/routing-rules/{rule_id}").status_code in (403, 404)
    patched = admin.patch(f"/api/v1/routing-rules/{rule_id}", {"is_active": False}, content_type=JSON)
    assert patched.json()["is_active"] is False
    assert agent.delete(f"/api/v1/routing-rules/{rule_id}").status_code == 403
    assert admin.delete(f"/api/v1/routing-rules/{rule_id}").status_code == 204
    assert admin.get(f"/api/v1/routing-rules/{rule_id}").status_code == 404
    actions = list(Event.objects.filter(subject_kind="routing_rule").values_list("action", flat=True).distinct())
    assert sorted(actions) == ["created", "deleted", "updated"]


def test_bad_rules_and_loops_are_400s_naming_the_field(api_client: Any, ada: Any) -> None:
    admin = api_client(ada)
    bad = admin.post(
        "/api/v1/routing-rules",
        {"name": "X", "conditions": {"channel": ["fax"]}, "actions": {"tier": 2}},
        content_type=JSON,
    )
    assert (bad.status_code, bad.json()["field"]) == (400, "conditions.channel")
    first = {"name": "Up", "runs_on": "both", "conditions": {}, "actions": {"priority": "high"}}
    assert admin.post("/api/v1/routing-rules", first, content_type=JSON).status_code == 201
    second = {"name": "Down", "runs_on": "updated", "conditions": {}, "actions": {"priority": "low"}}
    loop = admin.post("/api/v1/routing-rules", second, content_type=JSON)
    assert loop.status_code == 400
    assert "Up" in loop.json()["detail"]


def test_the_ticket_says_why_it_was_routed(
    api_client: Any, ada: Any, alice: Any, bob: Any, carol: Any, front_line: Team, morgan: Any
) -> None:
    admin = api_client(ada)
    admin.post(
        "/api/v1/routing-rules",
        {"name": "Everything to front line", "conditions": {}, "actions": {"team": front_line.pk}},
        content_type=JSON,
    )
    strategy = api_client(morgan).put(
        f"/api/v1/team-assignments/{front_line.pk}", {"strategy": "round_robin"}, content_type=JSON
    )
    assert strategy.json()["strategy"] == "round_robin"
    agent = api_client(alice)
    created = agent.post(
        "/api/v1/tickets", {"requester_id": carol.pk, "subject": "Hi", "body": "Help"}, content_type=JSON
    ).json()
    assert created["team"]["name"] == "Front line"
    assert created["assignee"]["username"] == "alice"
    routing = agent.get(f"/api/v1/tickets/{created['id']}").json()["routing"]
    assert routing["rules"] == [{"id": routing["rules"][0]["id"], "name": "Everything to front line"}]
    assert (routing["assigned_by"], routing["strategy"]) == ("team", "round_robin")
    assert created["routing"] == routing
    listed = agent.get("/api/v1/tickets").json()["results"]
    assert listed[0]["routing"]["strategy"] == "round_robin"


def test_strategies_need_a_manager_and_away_is_yours_to_set(
    api_client: Any, alice: Any, bob: Any, morgan: Any, front_line: Team
) -> None:
    agent = api_client(alice)
    refused = agent.put(f"/api/v1/team-assignments/{front_line.pk}", {"strategy": "least_open"}, content_type=JSON)
    assert refused.status_code == 403
    unknown = agent.put(f"/api/v1/team-assignments/{front_line.pk}", {"strategy": "best"}, content_type=JSON)
    assert unknown.status_code == 422
    listed = agent.get("/api/v1/team-assignments").json()
    assert listed == [{"team_id": front_line.pk, "team": "Front line", "strategy": "manual"}]
    assert agent.put(f"/api/v1/staff/{alice.pk}/away", {"away": True}, content_type=JSON).json()["away"] is True
    assert agent.put(f"/api/v1/staff/{bob.pk}/away", {"away": True}, content_type=JSON).status_code == 403
    assert api_client(morgan).put(f"/api/v1/staff/{bob.pk}/away", {"away": True}, content_type=JSON).status_code == 200
    assert set(StaffProfile.objects.filter(away=True).values_list("user__username", flat=True)) == {"alice", "bob"}


def test_automations_over_the_api(api_client: Any, ada: Any, alice: Any) -> None:
    admin = api_client(ada)
    calendar = admin.post(
        "/api/v1/calendars",
        {"name": "Office", "time_zone": "UTC", "hours": [{"weekday": 0, "starts_at": "09:00", "ends_at": "17:00"}]},
        content_type=JSON,
    ).json()
    payload = {
        "name": "Nudge owner",
        "since": "updated",
        "hours": 4,
        "calendar_id": calendar["id"],
        "conditions": {"service_model": ["client"]},
        "actions": {"notify": ["owner"]},
    }
    assert api_client(alice).post("/api/v1/automations", payload, content_type=JSON).status_code == 403
    created = admin.post("/api/v1/automations", payload, content_type=JSON)
    assert created.status_code == 201, created.content
    assert created.json()["calendar_id"] == calendar["id"]
    automation_id = created.json()["id"]
    patched = admin.patch(f"/api/v1/automations/{automation_id}", {"calendar_id": None, "hours": 8}, content_type=JSON)
    assert (patched.json()["calendar_id"], patched.json()["hours"]) == (None, 8)
    words = admin.patch(f"/api/v1/automations/{automation_id}", {"conditions": {"words": ["late"]}}, content_type=JSON)
    assert (words.status_code, words.json()["field"]) == (400, "conditions.words")
    missing = admin.patch(f"/api/v1/automations/{automation_id}", {"calendar_id": 99999}, content_type=JSON)
    assert (missing.status_code, missing.json()["field"]) == (400, "calendar_id")
    assert [a["name"] for a in api_client(alice).get("/api/v1/automations").json()["results"]] == ["Nudge owner"]
    assert admin.delete(f"/api/v1/automations/{automation_id}").status_code == 204
