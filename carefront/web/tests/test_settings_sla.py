"""The SLA settings screens: admins set up calendars and policies; bad input is shown on its field."""

from __future__ import annotations

from typing import Any

from django.test import Client

from carefront.desk.models import Calendar, SlaPolicy


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


CALENDAR = {
    "name": "Office",
    "time_zone": "Europe/Paris",
    "country": "fr",
    "subdivision": "",
    "hours": "Mon 09:00-12:00\nMon 13:00-17:00\nTue 09:00-17:00\nFri 22:00-06:00",
    "days_off": "2026-12-24 Christmas Eve",
}


def test_an_admin_creates_a_calendar_and_a_policy_and_sees_them_listed(ada: Any) -> None:
    client = _client(ada)
    response = client.post("/settings/sla/calendars/new/", CALENDAR)
    assert response.status_code == 302, response.content.decode()[:2000]
    calendar = Calendar.objects.get(name="Office")
    assert (calendar.country, calendar.hours.count(), calendar.holidays.get().name) == ("FR", 4, "Christmas Eve")
    edit = client.get(f"/settings/sla/calendars/{calendar.pk}/").content.decode()
    assert "Mon 09:00-12:00\nMon 13:00-17:00\nTue 09:00-17:00\nFri 22:00-06:00" in edit

    policy = {
        "name": "Clients",
        "calendar": calendar.pk,
        "service_model": "client",
        "warn_percent": 75,
        "is_active": "on",
        "urgent_first_response": 30,
        "urgent_resolution": 240,
        "normal_first_response": 120,
    }
    assert client.post("/settings/sla/policies/new/", policy).status_code == 302
    created = SlaPolicy.objects.get(name="Clients")
    assert created.targets.get(priority="urgent").resolution_minutes == 240
    assert not created.targets.filter(priority="low").exists()
    listing = client.get("/settings/sla/").content.decode()
    assert "Clients" in listing and "Office" in listing

    assert (
        client.post(f"/settings/sla/policies/{created.pk}/", {**policy, "urgent_first_response": 15}).status_code == 302
    )
    assert created.targets.get(priority="urgent").first_response_minutes == 15


def test_unreadable_and_overlapping_hours_are_shown_on_the_field_and_nothing_is_saved(ada: Any) -> None:
    client = _client(ada)
    unreadable = client.post("/settings/sla/calendars/new/", {**CALENDAR, "hours": "Mon 9 to 5"})
    assert unreadable.status_code == 400
    assert "Line 1: write a weekday and its hours" in unreadable.content.decode()
    overlapping = client.post("/settings/sla/calendars/new/", {**CALENDAR, "hours": "Mon 09:00-12:00\nMon 11:00-13:00"})
    assert overlapping.status_code == 400
    assert "Working hours overlap" in overlapping.content.decode()
    bad_day_off = client.post("/settings/sla/calendars/new/", {**CALENDAR, "days_off": "2026-02-30 Nope"})
    assert bad_day_off.status_code == 400
    assert not Calendar.objects.exists()


def test_agents_cannot_reach_the_sla_settings(alice: Any) -> None:
    client = _client(alice)
    assert client.get("/settings/sla/").status_code in {403, 404}
    assert client.post("/settings/sla/calendars/new/", CALENDAR).status_code in {403, 404}
    assert not Calendar.objects.exists()
