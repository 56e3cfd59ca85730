"""SLA clocks through the real ticket services, with the time moved by time-machine: starts, pauses,
replies, breaches and warnings, retargeting and set-based recomputation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import time_machine

from carefront.accounts.models import Contact
from carefront.accounts.services import account_change_service_model
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Notification
from carefront.desk.business_time import WorkingPeriod
from carefront.desk.models import Calendar, CalendarSpan, SlaClock, Ticket
from carefront.desk.services import ticket_create as create
from carefront.desk.services import ticket_reply, ticket_update
from carefront.desk.sla_selectors import TicketSla, sla_clocks_prefetch, ticket_sla
from carefront.desk.sla_services import (
    TargetMinutes,
    calendar_create,
    calendar_update,
    sla_clocks_check,
    sla_clocks_recompute,
    sla_policy_create,
    sla_policy_update,
)
from carefront.desk.tasks import check_sla_clocks

OFFICE = [WorkingPeriod(day, time(9), time(17)) for day in range(5)]
FRIDAY_4PM = datetime(2026, 11, 27, 16, tzinfo=UTC)
MONDAY = datetime(2026, 11, 30, tzinfo=UTC)


@pytest.fixture
def traveller() -> Iterator[Any]:
    with time_machine.travel(FRIDAY_4PM, tick=False) as traveller:
        yield traveller


@pytest.fixture
def office(db: Any, traveller: Any) -> Calendar:
    return calendar_create(actor=None, name="Office", time_zone="UTC", hours=OFFICE)


@pytest.fixture
def customer_policy(office: Calendar) -> Any:
    return sla_policy_create(
        actor=None,
        name="Customers",
        calendar=office,
        service_model="customer",
        targets={
            "normal": TargetMinutes(first_response=120, next_response=60, resolution=8 * 60),
            "urgent": TargetMinutes(first_response=30, next_response=30, resolution=4 * 60),
        },
    )


def sla_of(ticket: Ticket, now: datetime | None = None) -> TicketSla:
    fresh = Ticket.objects.prefetch_related(sla_clocks_prefetch()).get(pk=ticket.pk)
    sla = ticket_sla(fresh.sla_clocks.all(), now=now)
    assert sla is not None
    return sla


def target(sla: TicketSla, metric: str) -> Any:
    return next(t for t in sla.targets if t.metric == metric)


def test_a_new_ticket_gets_its_policys_clocks_counted_in_business_hours(
    customer_policy: Any, carol: Contact, traveller: Any
) -> None:
    ticket = create(actor=None, requester=carol, subject="Where is my parcel?", body="Order 1001.")
    sla = sla_of(ticket)
    assert sla.policy == "Customers"
    first = target(sla, "first_response")
    # Two business hours from Friday 16:00: one on Friday, one on Monday morning.
    assert first.due_at == datetime(2026, 11, 30, 10, tzinfo=UTC)
    assert target(sla, "resolution").due_at == datetime(2026, 11, 30, 16, tzinfo=UTC)
    assert [t.state for t in sla.targets] == ["active", "active"]
    # The weekend does not count.
    assert target(sla_of(ticket, MONDAY + timedelta(hours=9, minutes=30)), "first_response").elapsed_minutes == 90


def test_a_staff_reply_achieves_the_first_response_and_a_requester_reply_starts_the_next(
    customer_policy: Any, carol: Contact, alice: Any, traveller: Any
) -> None:
    ticket = create(actor=None, requester=carol, subject="Where is my parcel?", body="Order 1001.")
    traveller.move_to(FRIDAY_4PM + timedelta(minutes=45))
    ticket_reply(ticket=ticket, staff=alice, body="Looking into it.")
    sla = sla_of(ticket)
    first = target(sla, "first_response")
    assert (first.state, first.elapsed_minutes) == ("achieved", 45)
    assert not any(t.metric == "next_response" for t in sla.targets)

    traveller.move_to(MONDAY + timedelta(hours=9))
    ticket_reply(ticket=ticket, contact=carol, body="Any news?")
    next_response = target(sla_of(ticket), "next_response")
    assert next_response.state == "active"
    assert next_response.due_at == MONDAY + timedelta(hours=10)


def test_pending_pauses_the_clocks_and_the_requesters_reply_resumes_them(
    customer_policy: Any, carol: Contact, alice: Any, traveller: Any
) -> None:
    ticket = create(actor=None, requester=carol, subject="Refund", body="Please refund order 7.", assignee=alice)
    traveller.move_to(FRIDAY_4PM + timedelta(minutes=30))
    ticket_reply(ticket=ticket, staff=alice, body="Which card did you pay with?", status="pending")
    paused = target(sla_of(ticket), "resolution")
    assert (paused.state, paused.elapsed_minutes, paused.due_at) == ("paused", 30, None)

    # Carol answers on Tuesday at 10:00: the business hours in between were not counted.
    traveller.move_to(datetime(2026, 12, 1, 10, tzinfo=UTC))
    ticket_reply(ticket=ticket, contact=carol, body="The Visa one.")
    resumed = target(sla_of(ticket), "resolution")
    assert resumed.state == "active"
    assert resumed.elapsed_minutes == 30
    # 8 business hours in all, 30 minutes used: 7.5 hours from Tuesday 10:00 is Wednesday 9:30.
    assert resumed.due_at == datetime(2026, 12, 2, 9, 30, tzinfo=UTC)


def test_solving_stops_the_clocks_and_reopening_runs_resolution_on(
    customer_policy: Any, carol: Contact, alice: Any, traveller: Any
) -> None:
    ticket = create(actor=None, requester=carol, subject="Refund", body="Please refund order 7.", assignee=alice)
    traveller.move_to(FRIDAY_4PM + timedelta(minutes=20))
    ticket_reply(ticket=ticket, staff=alice, body="Refunded.", status="solved")
    sla = sla_of(ticket)
    assert sla.state == "achieved"
    assert target(sla, "resolution").achieved_at == FRIDAY_4PM + timedelta(minutes=20)

    traveller.move_to(MONDAY + timedelta(hours=9, minutes=10))
    ticket_reply(ticket=ticket, contact=carol, body="Not received yet.")
    resolution = target(sla_of(ticket, MONDAY + timedelta(hours=9, minutes=40)), "resolution")
    assert (resolution.state, resolution.elapsed_minutes) == ("active", 20 + 30)


def test_the_periodic_check_marks_a_breach_once_and_notifies_the_assignee(
    customer_policy: Any, carol: Contact, alice: Any, traveller: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = create(actor=None, requester=carol, subject="Broken", body="It broke.", assignee=alice, priority="urgent")
    traveller.move_to(FRIDAY_4PM + timedelta(minutes=25))
    with django_capture_on_commit_callbacks(execute=True):
        assert check_sla_clocks.call_local() == {"breached": 0, "warned": 1}
    traveller.move_to(FRIDAY_4PM + timedelta(minutes=31))
    with django_capture_on_commit_callbacks(execute=True):
        assert check_sla_clocks.call_local() == {"breached": 1, "warned": 0}
        assert check_sla_clocks.call_local() == {"breached": 0, "warned": 0}
    first = target(sla_of(ticket), "first_response")
    assert first.state == "breached"
    assert first.breached_at == FRIDAY_4PM + timedelta(minutes=30)
    texts = list(Notification.objects.filter(recipient=alice, ticket=ticket).values_list("verb", "text"))
    assert ("sla_warning", f"SLA warning: First response on ticket #{ticket.number} “Broken” is due soon.") in texts
    assert ("sla_breached", f"SLA breached: First response on ticket #{ticket.number} “Broken”.") in texts


def test_a_paused_clock_never_breaches(customer_policy: Any, carol: Contact, alice: Any, traveller: Any) -> None:
    ticket = create(actor=None, requester=carol, subject="Broken", body="It broke.", assignee=alice, priority="urgent")
    ticket_update(ticket=ticket, actor=alice, status="on_hold")
    traveller.move_to(FRIDAY_4PM + timedelta(days=3))
    assert sla_clocks_check().breached == []
    assert sla_of(ticket).state == "paused"


def test_a_higher_priority_retargets_the_running_clocks(
    customer_policy: Any, carol: Contact, alice: Any, traveller: Any
) -> None:
    ticket = create(actor=None, requester=carol, subject="Broken", body="It broke.")
    traveller.move_to(FRIDAY_4PM + timedelta(minutes=10))
    ticket_update(ticket=ticket, actor=alice, priority="urgent")
    first = target(sla_of(ticket), "first_response")
    assert (first.target_minutes, first.elapsed_minutes) == (30, 10)
    assert first.due_at == FRIDAY_4PM + timedelta(minutes=30)


def test_a_client_gets_the_client_policy_once_the_account_becomes_one(
    customer_policy: Any, office: Calendar, carol: Contact, dana: Any, traveller: Any
) -> None:
    sla_policy_create(
        actor=None,
        name="Clients",
        calendar=office,
        service_model="client",
        position=0,
        targets={"normal": TargetMinutes(first_response=30, resolution=4 * 60)},
    )
    ticket = create(actor=None, requester=carol, subject="Question", body="A question.")
    assert sla_of(ticket).policy == "Customers"
    account_change_service_model(
        account=carol.account, actor=None, service_model="client", owner=dana, reason="Signed a retainer"
    )
    sla = sla_of(ticket)
    assert sla.policy == "Clients"
    assert target(sla, "first_response").target_minutes == 30


def test_a_ticket_no_policy_matches_has_no_sla(office: Calendar, carol: Contact, traveller: Any) -> None:
    ticket = create(actor=None, requester=carol, subject="Question", body="A question.")
    assert not SlaClock.objects.filter(ticket=ticket).exists()
    assert ticket_sla([]) is None


def test_new_targets_reach_running_clocks_through_the_set_based_recompute(
    customer_policy: Any, carol: Contact, traveller: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = create(actor=None, requester=carol, subject="Question", body="A question.")
    with django_capture_on_commit_callbacks(execute=True):
        sla_policy_update(
            actor=None, policy=customer_policy, targets={"normal": TargetMinutes(first_response=30, resolution=60)}
        )
    first = target(sla_of(ticket), "first_response")
    assert (first.target_minutes, first.due_at) == (30, FRIDAY_4PM + timedelta(minutes=30))
    assert target(sla_of(ticket), "resolution").due_at == FRIDAY_4PM + timedelta(minutes=60)
    # A second run finds nothing to change and rewrites nothing.
    assert sla_clocks_recompute() == 0


def test_a_calendar_change_applies_from_now_on(
    customer_policy: Any, office: Calendar, carol: Contact, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = create(actor=None, requester=carol, subject="Question", body="A question.")
    # Monday becomes a day off: the first response is now due on Tuesday at 10:00.
    with django_capture_on_commit_callbacks(execute=True):
        calendar_update(actor=None, calendar=office, days_off=[(date(2026, 11, 30), "Inventory")])
    assert target(sla_of(ticket), "first_response").due_at == datetime(2026, 12, 1, 10, tzinfo=UTC)
    # The hour counted on Friday stays counted.
    assert target(sla_of(ticket, datetime(2026, 12, 1, 9, 30, tzinfo=UTC)), "first_response").elapsed_minutes == 90
    assert CalendarSpan.objects.filter(calendar=office, start__lt=int(FRIDAY_4PM.timestamp())).exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"hours": [WorkingPeriod(0, time(9), time(12)), WorkingPeriod(0, time(10), time(11))]}, "hours"),
        ({"hours": []}, "hours"),
        ({"country": "ZZ"}, "country"),
        ({"days_off": [(date(2026, 12, 1), "a"), (date(2026, 12, 1), "b")]}, "days_off"),
    ],
)
def test_an_invalid_calendar_change_is_refused_and_changes_nothing(
    office: Calendar, changes: dict[str, Any], field: str
) -> None:
    spans = CalendarSpan.objects.filter(calendar=office).count()
    with pytest.raises(ApplicationError) as refused:
        calendar_update(actor=None, calendar=office, **changes)
    assert refused.value.field == field
    office.refresh_from_db()
    assert (office.time_zone, office.version, office.hours.count()) == ("UTC", 1, 5)
    assert CalendarSpan.objects.filter(calendar=office).count() == spans


def test_invalid_policy_targets_are_refused(office: Calendar) -> None:
    with pytest.raises(ApplicationError, match="minutes above zero"):
        sla_policy_create(actor=None, name="Bad", calendar=office, targets={"normal": TargetMinutes(first_response=0)})
    with pytest.raises(ApplicationError) as refused:
        sla_policy_create(actor=None, name="Bad", calendar=office, targets={}, warn_percent=100)
    assert refused.value.field == "warn_percent"


def test_the_api_shows_a_new_tickets_sla_without_reading_its_clocks_back(
    customer_policy: Any, api_client: Any, alice: Any, carol: Contact, django_assert_num_queries: Any
) -> None:
    client = api_client(alice)
    payload = {"requester_id": carol.pk, "subject": "Where is my order?", "body": "It has not arrived."}
    assert client.post("/api/v1/tickets", payload, content_type="application/json").status_code == 201
    # The untagged ticket's 10 queries, plus the policy's target and the clocks' insert.
    with django_assert_num_queries(12) as captured:
        response = client.post("/api/v1/tickets", payload, content_type="application/json")
    assert response.status_code == 201, response.content
    assert not [q for q in captured.captured_queries if q["sql"].startswith("SELECT") and "desk_slaclock" in q["sql"]]
    sla = response.json()["sla"]
    assert (sla["policy"], sla["state"]) == ("Customers", "active")
    assert [(t["metric"], t["target_minutes"], t["due_at"]) for t in sla["targets"]] == [
        ("first_response", 120, "2026-11-30T10:00:00Z"),
        ("resolution", 480, "2026-11-30T16:00:00Z"),
    ]


def test_the_ticket_list_shows_each_tickets_sla_in_a_constant_number_of_queries(
    customer_policy: Any, api_client: Any, alice: Any, carol: Contact, django_assert_max_num_queries: Any
) -> None:
    for number in range(5):
        create(actor=None, requester=carol, subject=f"Question {number}", body="A question.", priority="urgent")
    client = api_client(alice)
    client.get("/api/v1/tickets")
    traveller_moment = FRIDAY_4PM + timedelta(minutes=31)
    with time_machine.travel(traveller_moment, tick=False), django_assert_max_num_queries(6):
        body = client.get("/api/v1/tickets").json()
    assert [ticket["sla"]["state"] for ticket in body["results"]] == ["breached"] * 5
    assert all(ticket["sla"]["targets"][0]["elapsed_minutes"] == 31 for ticket in body["results"])


def test_the_ticket_page_shows_each_targets_state_and_the_status_change_updates_it(
    customer_policy: Any, alice: Any, carol: Contact, traveller: Any
) -> None:
    from django.test import Client

    ticket = create(actor=None, requester=carol, subject="Broken", body="It broke.", priority="urgent")
    client = Client()
    client.force_login(alice)
    traveller.move_to(FRIDAY_4PM + timedelta(minutes=25))
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Policy: Customers" in page
    assert 'class="badge sla-warning"' in page
    assert "25 of 30 business minutes" in page
    swapped = client.post(
        f"/tickets/{ticket.number}/properties/status/", {"status": "pending"}, headers={"HX-Request": "true"}
    )
    assert swapped.status_code == 200
    assert 'class="badge sla-paused"' in swapped.content.decode()


def test_breached_and_due_soon_tickets_have_their_own_queues_badges_and_api_filter(
    customer_policy: Any, api_client: Any, alice: Any, carol: Contact, traveller: Any
) -> None:
    import re

    from django.test import Client

    late = create(actor=None, requester=carol, subject="Late", body="Late.", priority="urgent")
    traveller.move_to(FRIDAY_4PM + timedelta(minutes=20))
    soon = create(actor=None, requester=carol, subject="Soon", body="Soon.", priority="urgent")
    calm = create(actor=None, requester=carol, subject="Calm", body="Calm.")
    traveller.move_to(FRIDAY_4PM + timedelta(minutes=45))
    sla_clocks_check()
    client = Client()
    client.force_login(alice)
    sidebar = client.get("/inbox/sidebar/").content.decode()
    counts = dict(
        re.findall(
            r'id="view-(sla-[\w]+)"[^>]*>\s*<span class="view-label">[^<]*</span>\s*'
            r'<span class="view-count"[^>]*>(\d+)',
            sidebar,
        )
    )
    assert counts == {"sla-breached": "1", "sla-warning": "1"}
    breached_queue = client.get("/", {"view": "sla-breached"}).content.decode()
    assert "Late" in breached_queue and "Calm" not in breached_queue
    assert 'class="badge sla-breached"' in breached_queue
    api = api_client(alice)
    assert [t["id"] for t in api.get("/api/v1/tickets", {"sla": "warning"}).json()["results"]] == [soon.pk]
    assert [t["id"] for t in api.get("/api/v1/tickets", {"sla": "breached"}).json()["results"]] == [late.pk]
    assert calm.pk not in {t["id"] for t in api.get("/api/v1/tickets", {"sla": "breached"}).json()["results"]}
