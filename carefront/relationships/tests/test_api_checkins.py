"""The cadence, check-in, interaction and calendar-feed endpoints: writes, refusals as {"detail"}, who may see what
(Dana her accounts, Morgan everything, Erin none of Dana's, a portal contact nothing), lists at a constant query
count; and the screens: the account card, the advisor's list, logging a held check-in and the one-click
commitment, the calendar settings."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import icalendar
import pytest
from django.test import Client

from carefront.accounts.models import Account, Contact
from carefront.accounts.services import contact_create
from carefront.relationships.models import Cadence, CheckIn, CheckInState, Commitment, NextStep
from carefront.relationships.services_checkins import cadence_create
from carefront.relationships.tests.conftest import NOW

pytestmark = pytest.mark.django_db

BASE = "/api/v1/relationships"
JSON = "application/json"


@pytest.fixture
def dana_api(api_client: Any, dana: Any) -> Client:
    return api_client(dana)


@pytest.fixture
def cadence(paris_client: Account, dana: Any) -> Cadence:
    return cadence_create(
        actor=dana,
        account=paris_client,
        name="Monthly call",
        rule="FREQ=WEEKLY;BYDAY=TU",
        starts_on=date(2026, 3, 3),
        time_of_day=time(14),
        duration_minutes=30,
    )


@pytest.fixture
def camille(paris_client: Account) -> Contact:
    return contact_create(actor=None, account=paris_client, name="Camille Roux", email="camille@lumiere.example")


def _login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_advisor_plans_changes_and_ends_a_cadence(dana_api: Client, paris_client: Account) -> None:
    created = dana_api.post(
        f"{BASE}/cadences",
        {
            "account_id": paris_client.pk,
            "name": "Quarterly business review",
            "kind": "business_review",
            "channel": "meeting",
            "duration_minutes": 90,
            "rule": "RRULE:FREQ=MONTHLY;INTERVAL=3;BYDAY=2TU",
            "starts_on": "2026-03-10",
            "time_of_day": "10:00",
        },
        content_type=JSON,
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["rule"], body["time_zone"], body["owner"]["username"]) == (
        "FREQ=MONTHLY;INTERVAL=3;BYDAY=2TU",
        "Europe/Paris",
        "dana",
    )
    changed = dana_api.patch(f"{BASE}/cadences/{body['id']}", {"duration_minutes": 60, "version": 1}, content_type=JSON)
    assert (changed.status_code, changed.json()["duration_minutes"], changed.json()["version"]) == (200, 60, 2)
    stale = dana_api.patch(f"{BASE}/cadences/{body['id']}", {"name": "QBR", "version": 1}, content_type=JSON)
    assert stale.status_code == 409
    ended = dana_api.delete(f"{BASE}/cadences/{body['id']}", {"reason": "Contract over"}, content_type=JSON)
    assert (ended.status_code, ended.json()["active"]) == (200, False)


@pytest.mark.parametrize(
    ("rule", "status", "words"),
    [("FREQ=HOURLY", 400, "at most daily"), ("FREQ=WEEKLY;BYDAY=SU", 400, "working hours"), ("NOPE", 400, "valid")],
)
def test_a_bad_cadence_is_a_clear_error(
    dana_api: Client, paris_client: Account, rule: str, status: int, words: str
) -> None:
    refused = dana_api.post(
        f"{BASE}/cadences",
        {
            "account_id": paris_client.pk,
            "name": "Call",
            "duration_minutes": 30,
            "rule": rule,
            "starts_on": "2026-03-03",
            "time_of_day": "10:00",
        },
        content_type=JSON,
    )
    assert refused.status_code == status
    assert words in refused.json()["detail"]


def test_check_ins_are_rescheduled_held_and_cancelled_through_the_api(
    dana_api: Client, cadence: Cadence, camille: Contact, clock: Any
) -> None:
    first, second, third = CheckIn.objects.filter(cadence=cadence).order_by("scheduled_at")[:3]
    moved = dana_api.post(
        f"{BASE}/check-ins/{second.pk}/reschedule",
        {"scheduled_at": (second.scheduled_at + timedelta(days=1)).isoformat(), "reason": "Trip"},
        content_type=JSON,
    )
    assert (moved.status_code, moved.json()["version"]) == (200, 2)
    back = dana_api.post(
        f"{BASE}/check-ins/{second.pk}/reschedule",
        {"scheduled_at": second.scheduled_at.isoformat(), "reason": "Back"},
        content_type=JSON,
    )
    assert back.status_code == 400
    assert "earlier" in back.json()["detail"]
    clock.move_to(first.scheduled_at + timedelta(hours=1))
    held = dana_api.post(
        f"{BASE}/check-ins/{first.pk}/held",
        {
            "kind": "video",
            "occurred_at": first.scheduled_at.isoformat(),
            "notes": "Went well",
            "contact_ids": [camille.pk],
            "next_steps": ["Send the deck", "Book a workshop"],
        },
        content_type=JSON,
    )
    assert held.status_code == 201, held.json()
    interaction = held.json()
    assert (interaction["check_in_id"], interaction["contact_ids"]) == (first.pk, [camille.pk])
    step = interaction["next_steps"][0]
    committed = dana_api.post(f"{BASE}/next-steps/{step['id']}/commitment", {}, content_type=JSON)
    assert committed.status_code == 201
    assert (committed.json()["title"], committed.json()["check_in_id"]) == ("Send the deck", first.pk)
    assert dana_api.post(f"{BASE}/next-steps/{step['id']}/commitment", {}, content_type=JSON).status_code == 409
    listed = dana_api.get(f"{BASE}/commitments", {"account": cadence.account_id}).json()
    assert [row["title"] for row in listed["results"]] == ["Send the deck"]
    cancelled = dana_api.post(f"{BASE}/check-ins/{third.pk}/cancel", {"reason": "Holiday"}, content_type=JSON)
    assert cancelled.json()["state"] == "cancelled"
    scheduled = dana_api.get(f"{BASE}/check-ins", {"state": "scheduled"}).json()["results"]
    assert first.pk not in {row["id"] for row in scheduled}


def test_an_interaction_is_logged_without_a_check_in(dana_api: Client, paris_client: Account) -> None:
    logged = dana_api.post(
        f"{BASE}/interactions",
        {"account_id": paris_client.pk, "kind": "call", "occurred_at": NOW.isoformat(), "outcomes": "Agreed"},
        content_type=JSON,
    )
    assert (logged.status_code, logged.json()["check_in_id"]) == (201, None)


def test_who_sees_what(
    api_client: Any,
    cadence: Cadence,
    dana: Any,
    erin: Any,
    morgan: Any,
    charlie: Contact,
    portal_user_for: Any,
) -> None:
    check_in = CheckIn.objects.filter(cadence=cadence).first()
    assert check_in is not None
    erin_api, morgan_api = api_client(erin), api_client(morgan)
    assert erin_api.get(f"{BASE}/check-ins").json()["results"] == []
    assert erin_api.get(f"{BASE}/cadences/{cadence.pk}").status_code == 404
    refused = erin_api.post(f"{BASE}/check-ins/{check_in.pk}/cancel", {"reason": "Not mine"}, content_type=JSON)
    assert refused.status_code == 404
    assert len(morgan_api.get(f"{BASE}/check-ins").json()["results"]) == 5
    assert morgan_api.get(f"{BASE}/cadences/{cadence.pk}").status_code == 200
    portal = api_client(portal_user_for(charlie))
    for path in ("cadences", "check-ins", "interactions"):
        assert portal.get(f"{BASE}/{path}").status_code == 403
    assert portal.post(f"{BASE}/calendar-feed").status_code == 403


def test_the_feed_token_is_made_and_revoked_through_the_api(dana_api: Client, cadence: Cadence) -> None:
    made = dana_api.post(f"{BASE}/calendar-feed")
    assert made.status_code == 201
    url = made.json()["url"]
    assert url.startswith("http://testserver/calendar/") and url.endswith(".ics")
    feed = Client().get(url.removeprefix("http://testserver"))
    assert len(icalendar.Calendar.from_ical(feed.content).walk("VEVENT")) == 5
    assert dana_api.delete(f"{BASE}/calendar-feed").status_code == 204
    assert Client().get(url.removeprefix("http://testserver")).status_code == 404


def test_lists_cost_the_same_queries_whatever_their_length(
    dana_api: Client, dana: Any, paris_client: Account, cadence: Cadence, django_assert_max_num_queries: Any
) -> None:
    def counted(path: str) -> int:
        with django_assert_max_num_queries(100) as context:
            assert dana_api.get(f"{BASE}/{path}").status_code == 200
        return len(context.captured_queries)

    dana_api.post(
        f"{BASE}/interactions",
        {"account_id": paris_client.pk, "kind": "call", "occurred_at": NOW.isoformat(), "next_steps": ["A"]},
        content_type=JSON,
    )
    small = {path: counted(path) for path in ("cadences", "check-ins", "interactions")}
    for day in ("WE", "TH"):
        cadence_create(
            actor=dana,
            account=paris_client,
            name=f"Call {day}",
            rule=f"FREQ=WEEKLY;BYDAY={day}",
            starts_on=date(2026, 3, 3),
            time_of_day=time(10),
            duration_minutes=30,
        )
    for n in range(3):
        dana_api.post(
            f"{BASE}/interactions",
            {"account_id": paris_client.pk, "kind": "call", "occurred_at": NOW.isoformat(), "next_steps": [f"B{n}"]},
            content_type=JSON,
        )
    assert {path: counted(path) for path in small} == small


# --- screens -------------------------------------------------------------------------------------


def test_the_account_page_shows_cadences_and_next_check_ins(paris_client: Account, cadence: Cadence, dana: Any) -> None:
    page = _login(dana).get(f"/accounts/{paris_client.pk}/").content.decode()
    assert "Monthly call" in page
    assert "FREQ=WEEKLY;BYDAY=TU" in page
    assert "Plan a cadence" in page
    assert f"/relationships/check-ins/{cadence.check_ins.order_by('scheduled_at').first().pk}/held/" in page  # type: ignore[union-attr]


def test_an_advisor_plans_a_cadence_from_the_account_page(paris_client: Account, dana: Any) -> None:
    client = _login(dana)
    form = {
        "name": "Yearly planning",
        "kind": "planning",
        "channel": "in_person",
        "duration_minutes": "120",
        "rule": "FREQ=YEARLY",
        "starts_on": "2026-11-10",
        "time_of_day": "10:00",
        "owner": str(dana.pk),
    }
    refused = client.post(f"/relationships/cadences/new/?account={paris_client.pk}", {**form, "rule": "FREQ=HOURLY"})
    assert refused.status_code == 400
    assert "at most daily" in refused.content.decode()
    done = client.post(f"/relationships/cadences/new/?account={paris_client.pk}", form)
    assert done.status_code == 302
    assert Cadence.objects.get(name="Yearly planning").check_ins.count() == 1


def test_the_advisor_logs_a_held_check_in_and_makes_a_next_step_a_commitment(
    cadence: Cadence, dana: Any, camille: Contact, clock: Any, django_assert_max_num_queries: Any
) -> None:
    client = _login(dana)
    listed = client.get("/relationships/check-ins/")
    assert listed.content.decode().count("Log as held") == 5
    check_in = cadence.check_ins.order_by("scheduled_at").first()
    assert check_in is not None
    clock.move_to(check_in.scheduled_at + timedelta(hours=1))
    form = client.get(f"/relationships/check-ins/{check_in.pk}/held/")
    assert "Next steps, one a line" in form.content.decode()
    logged = client.post(
        f"/relationships/check-ins/{check_in.pk}/held/",
        {
            "kind": "video",
            "occurred_at": "2026-03-03T14:00",
            "contacts": [str(camille.pk)],
            "notes": "Quarter reviewed",
            "next_steps": "Send the deck\nBook a workshop\n",
        },
    )
    assert logged.status_code == 302, logged.content.decode()
    check_in.refresh_from_db()
    assert check_in.state == CheckInState.HELD
    page = client.get(logged["Location"]).content.decode()
    assert page.count("Make it a commitment") == 2
    step = NextStep.objects.get(text="Send the deck")
    clicked = client.post(f"/relationships/next-steps/{step.pk}/commitment/")
    assert clicked.status_code == 302
    commitment = Commitment.objects.get(title="Send the deck")
    assert commitment.check_in == check_in
    assert client.get(logged["Location"]).content.decode().count("Make it a commitment") == 1


def test_the_check_in_list_costs_the_same_queries_whatever_its_length(
    cadence: Cadence, dana: Any, paris_client: Account, django_assert_max_num_queries: Any
) -> None:
    client = _login(dana)
    with django_assert_max_num_queries(100) as small:
        client.get("/relationships/check-ins/")
    cadence_create(
        actor=dana,
        account=paris_client,
        name="Another",
        rule="FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR",
        starts_on=date(2026, 3, 3),
        time_of_day=time(9),
        duration_minutes=15,
    )
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/relationships/check-ins/")


def test_the_calendar_settings_page_sets_hours_and_turns_the_feed_on_and_off(dana: Any) -> None:
    client = _login(dana)
    assert "/relationships/calendar/" in client.get("/settings/me/").content.decode()
    assert "Europe/Paris" in client.get("/relationships/calendar/").content.decode()
    saved = client.post(
        "/relationships/calendar/", {"action": "hours", "starts": "08:00", "ends": "16:00", "days": ["1", "2"]}
    )
    assert saved.status_code == 302
    turned_on = client.post("/relationships/calendar/", {"action": "feed"}).content.decode()
    start = turned_on.index('<code id="feed-url">') + len('<code id="feed-url">')
    url = turned_on[start : turned_on.index("</code>", start)].removeprefix("http://testserver")
    assert Client().get(url).status_code == 200
    client.post("/relationships/calendar/", {"action": "revoke"})
    assert Client().get(url).status_code == 404
