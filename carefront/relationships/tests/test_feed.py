"""The advisor's iCalendar feed: read back with `icalendar`, in the client's time zone, one stable UID per check-in,
cancelled and missed ones marked; a secret URL that works without login and stops working when revoked."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.test import Client

from carefront.accounts.models import Account
from carefront.relationships.models import Cadence, CheckIn
from carefront.relationships.services_checkins import (
    cadence_create,
    check_in_cancel,
    check_in_reschedule,
    checkins_run,
    feed_token_create,
    feed_token_revoke,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def cadence(paris_client: Account, dana: Any) -> Cadence:
    return cadence_create(
        actor=dana,
        account=paris_client,
        name="Monthly call",
        kind="monthly_call",
        rule="FREQ=WEEKLY;BYDAY=TU",
        starts_on=date(2026, 3, 3),
        time_of_day=time(14),
        duration_minutes=45,
    )


def _feed(token: str) -> Any:
    return Client().get(f"/calendar/{token}.ics")


def _events(response: Any) -> dict[str, Any]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_the_feed_lists_the_advisors_check_ins_in_the_clients_time_zone(cadence: Cadence, dana: Any) -> None:
    events = _events(_feed(feed_token_create(actor=dana)))
    assert len(events) == 5
    first = min(events.values(), key=lambda event: event.decoded("DTSTART"))
    start, end = first.decoded("DTSTART"), first.decoded("DTEND")
    assert start == datetime(2026, 3, 3, 14, tzinfo=ZoneInfo("Europe/Paris"))
    assert start.tzinfo.key == "Europe/Paris"
    assert end - start == timedelta(minutes=45)
    assert str(first["SUMMARY"]) == "Monthly call with Lumière SARL"
    assert str(first["STATUS"]) == "CONFIRMED"
    # After summer time starts the wall-clock time stays 14:00.
    last = max(events.values(), key=lambda event: event.decoded("DTSTART"))
    assert last.decoded("DTSTART").astimezone(UTC) == datetime(2026, 3, 31, 12, tzinfo=UTC)


def test_a_rescheduled_check_in_keeps_its_uid_and_a_cancelled_one_is_marked(cadence: Cadence, dana: Any) -> None:
    token = feed_token_create(actor=dana)
    first, second = CheckIn.objects.filter(cadence=cadence).order_by("scheduled_at")[:2]
    uid = f"check-in-{first.pk}@testserver"
    before = _events(_feed(token))[uid]
    check_in_reschedule(check_in=first, actor=dana, scheduled_at=first.scheduled_at + timedelta(hours=1), reason="x")
    check_in_cancel(check_in=second, actor=dana, reason="Client on holiday")
    after = _events(_feed(token))
    assert after[uid].decoded("DTSTART") == before.decoded("DTSTART") + timedelta(hours=1)
    assert int(after[uid]["SEQUENCE"]) > int(before["SEQUENCE"])
    cancelled = after[f"check-in-{second.pk}@testserver"]
    assert (str(cancelled["STATUS"]), str(cancelled["SUMMARY"])) == (
        "CANCELLED",
        "Cancelled: Monthly call with Lumière SARL",
    )


def test_a_missed_check_in_stays_in_the_feed_marked_missed(cadence: Cadence, dana: Any, clock: Any) -> None:
    token = feed_token_create(actor=dana)
    clock.move_to(datetime(2026, 3, 5, tzinfo=UTC))
    assert checkins_run().missed == 1
    missed = [event for event in _events(_feed(token)).values() if str(event["SUMMARY"]).startswith("Missed")]
    assert len(missed) == 1
    assert str(missed[0]["STATUS"]) == "CANCELLED"


def test_a_revoked_or_unknown_token_is_a_404_and_a_new_one_replaces_the_old(cadence: Cadence, dana: Any) -> None:
    old = feed_token_create(actor=dana)
    assert _feed(old).status_code == 200
    new = feed_token_create(actor=dana)
    assert _feed(old).status_code == 404
    assert _feed(new).status_code == 200
    feed_token_revoke(actor=dana)
    assert _feed(new).status_code == 404
    assert _feed("not-a-token").status_code == 404


def test_the_feed_shows_only_the_advisors_own_check_ins(cadence: Cadence, erin: Any) -> None:
    assert _events(_feed(feed_token_create(actor=erin))) == {}


def test_the_feed_reads_a_constant_number_of_queries(
    cadence: Cadence, dana: Any, paris_client: Account, django_assert_max_num_queries: Any
) -> None:
    token = feed_token_create(actor=dana)
    with django_assert_max_num_queries(3):
        _feed(token)
    for day in ("WE", "TH", "FR"):
        cadence_create(
            actor=dana,
            account=paris_client,
            name=f"Call {day}",
            rule=f"FREQ=WEEKLY;BYDAY={day}",
            starts_on=date(2026, 3, 3),
            time_of_day=time(10),
            duration_minutes=30,
        )
    with django_assert_max_num_queries(3):
        assert len(_events(_feed(token))) == 18
