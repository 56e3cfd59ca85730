"""The business calendar and SLA policy endpoints: staff read, admins write, bad input named by field."""

from __future__ import annotations

from typing import Any

import pytest

from carefront.desk.models import Calendar, SlaClock, SlaPolicy
from carefront.desk.services import ticket_create

OFFICE_HOURS = [{"weekday": day, "starts_at": "09:00", "ends_at": "17:00"} for day in range(5)]


def _calendar(client: Any, **overrides: Any) -> Any:
    payload = {"name": "Office", "time_zone": "Europe/Paris", "country": "FR", "hours": OFFICE_HOURS, **overrides}
    return client.post("/api/v1/calendars", payload, content_type="application/json")


def _policy(client: Any, calendar_id: int, **overrides: Any) -> Any:
    payload = {
        "name": "Customers",
        "calendar_id": calendar_id,
        "service_model": "customer",
        "targets": [{"priority": "normal", "first_response_minutes": 120, "resolution_minutes": 480}],
        **overrides,
    }
    return client.post("/api/v1/sla-policies", payload, content_type="application/json")


def test_an_admin_sets_up_a_calendar_and_a_policy_and_staff_read_them(api_client: Any, ada: Any, alice: Any) -> None:
    admin = api_client(ada)
    created = _calendar(admin, days_off=[{"date": "2026-12-24", "name": "Christmas Eve"}])
    assert created.status_code == 201, created.content
    calendar = created.json()
    assert calendar["hours"][0] == {"weekday": 0, "starts_at": "09:00:00", "ends_at": "17:00:00"}
    assert calendar["days_off"] == [{"date": "2026-12-24", "name": "Christmas Eve"}]
    policy = _policy(admin, calendar["id"])
    assert policy.status_code == 201, policy.content
    agent = api_client(alice)
    assert [p["name"] for p in agent.get("/api/v1/sla-policies").json()["results"]] == ["Customers"]
    assert agent.get(f"/api/v1/calendars/{calendar['id']}").json()["country"] == "FR"
    assert agent.post("/api/v1/calendars", {}, content_type="application/json").status_code in {403, 422}
    refused = _calendar(agent, name="Mine")
    assert refused.status_code == 403
    assert not Calendar.objects.filter(name="Mine").exists()


def test_a_contact_cannot_see_calendars_or_policies(
    api_client: Any, ada: Any, carol: Any, portal_user_for: Any
) -> None:
    calendar_id = _calendar(api_client(ada)).json()["id"]
    contact = api_client(portal_user_for(carol))
    assert contact.get(f"/api/v1/calendars/{calendar_id}").status_code == 403
    assert contact.get("/api/v1/sla-policies").status_code == 403


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"country": "ZZ"}, "country"),
        (
            {
                "hours": [
                    {"weekday": 0, "starts_at": "09:00", "ends_at": "12:00"},
                    {"weekday": 0, "starts_at": "11:00", "ends_at": "13:00"},
                ]
            },
            "hours",
        ),
        ({"hours": [{"weekday": 0, "starts_at": "09:00", "ends_at": "09:00"}]}, "hours"),
        ({"hours": [{"weekday": 9, "starts_at": "09:00", "ends_at": "17:00"}]}, "hours"),
    ],
)
def test_an_invalid_calendar_is_refused_naming_the_field(
    api_client: Any, ada: Any, overrides: dict[str, Any], field: str
) -> None:
    response = _calendar(api_client(ada), **overrides)
    assert response.status_code in {400, 422}, response.content
    assert field in response.content.decode()
    assert not Calendar.objects.exists()


def test_new_targets_through_the_api_reach_the_running_clocks(
    api_client: Any, ada: Any, carol: Any, django_capture_on_commit_callbacks: Any
) -> None:
    admin = api_client(ada)
    calendar_id = _calendar(
        admin,
        name="Always",
        time_zone="UTC",
        country="",
        hours=[{"weekday": day, "starts_at": "00:00", "ends_at": "00:00"} for day in range(7)],
    ).json()["id"]
    policy_id = _policy(admin, calendar_id).json()["id"]
    ticket = ticket_create(actor=None, requester=carol, subject="Question", body="A question.")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.patch(
            f"/api/v1/sla-policies/{policy_id}",
            {"targets": [{"priority": "normal", "first_response_minutes": 15, "resolution_minutes": 60}]},
            content_type="application/json",
        )
    assert response.status_code == 200, response.content
    clock = SlaClock.objects.get(ticket=ticket, metric="first_response")
    assert clock.target_seconds == 15 * 60
    assert clock.due_at is not None
    assert abs((clock.due_at - ticket.created_at).total_seconds() - 15 * 60) <= 1
    assert admin.get(f"/api/v1/tickets/{ticket.pk}").json()["sla"]["targets"][0]["target_minutes"] == 15


def test_a_policy_with_the_same_priority_twice_or_an_unknown_calendar_is_refused(api_client: Any, ada: Any) -> None:
    admin = api_client(ada)
    calendar_id = _calendar(admin).json()["id"]
    twice = _policy(admin, calendar_id, targets=[{"priority": "normal"}, {"priority": "normal"}])
    assert twice.status_code == 400
    assert twice.json()["field"] == "targets"
    unknown = _policy(admin, calendar_id + 100)
    assert unknown.status_code == 400
    assert unknown.json()["field"] == "calendar_id"
    assert not SlaPolicy.objects.exists()
