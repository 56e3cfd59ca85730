"""Automations: time-based rules run by the periodic job, once per ticket per moment, audited, in calendar or
business hours; refused when saved if they cannot work or would loop."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail

from carefront.accounts.models import Contact
from carefront.accounts.services import account_change_service_model
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Event, Notification
from carefront.core.services import staff_deactivate
from carefront.desk.automation_services import (
    automation_create,
    automation_fire,
    automation_update,
    automations_run,
)
from carefront.desk.business_time import WorkingPeriod
from carefront.desk.models import Automation, AutomationFiring, Ticket
from carefront.desk.services import ticket_create, ticket_reply, ticket_update
from carefront.desk.sla_services import calendar_create
from carefront.desk.tasks import run_automations

FRIDAY_4PM = datetime(2026, 11, 27, 16, tzinfo=UTC)


@pytest.fixture
def traveller() -> Any:
    with time_machine.travel(FRIDAY_4PM, tick=False) as traveller:
        yield traveller


def _ticket(requester: Contact, **extra: Any) -> Ticket:
    return ticket_create(actor=None, requester=requester, subject="Parcel late", body="Where is it?", **extra)


def test_pending_three_days_reminds_the_requester_once_per_wait(
    traveller: Any, ada: Any, alice: Any, carol: Contact, django_capture_on_commit_callbacks: Any
) -> None:
    automation_create(
        actor=ada,
        name="Remind after 3 days pending",
        since="status",
        hours=72,
        conditions={"status": ["pending"]},
        actions={"remind_requester": True},
    )
    ticket = _ticket(carol)
    ticket_reply(ticket=ticket, body="Can you send a photo?", staff=alice, actor=alice, status="pending")
    traveller.shift(timedelta(hours=71))
    assert automations_run() == {}
    traveller.shift(timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert run_automations.call_local() == {"Remind after 3 days pending": 1}
    assert [message.to for message in mail.outbox] == [["carol@acme.example"]]
    assert "#" + str(ticket.number) in mail.outbox[0].subject
    assert f"/portal/tickets/{ticket.number}/" in mail.outbox[0].body
    fired = Event.objects.get(subject_id=ticket.pk, action="automation_fired")
    assert fired.new_value == "Remind after 3 days pending"
    assert Event.objects.filter(subject_id=ticket.pk, action="requester_reminded").count() == 1
    # Idempotent: the job runs every few minutes; the same wait is never reminded twice.
    traveller.shift(timedelta(hours=5))
    assert automations_run() == {}
    assert len(mail.outbox) == 1
    # A new wait is a new moment.
    ticket_reply(ticket=ticket, body="Here it is", contact=carol)
    ticket_reply(ticket=ticket, body="Thanks, checking", staff=alice, actor=alice, status="pending")
    traveller.shift(timedelta(hours=73))
    with django_capture_on_commit_callbacks(execute=True):
        assert automations_run() == {"Remind after 3 days pending": 1}
    assert len(mail.outbox) == 2
    assert AutomationFiring.objects.filter(ticket=ticket).count() == 2


def test_solved_four_days_closes_and_the_audit_says_which_automation(
    traveller: Any, ada: Any, alice: Any, carol: Contact
) -> None:
    automation_create(
        actor=ada,
        name="Close solved after 4 days",
        since="solved",
        hours=96,
        conditions={"status": ["solved"]},
        actions={"status": "closed"},
    )
    solved = _ticket(carol)
    ticket_update(ticket=solved, actor=alice, status="solved")
    still_open = _ticket(carol)
    traveller.shift(timedelta(days=4, minutes=1))
    assert automations_run() == {"Close solved after 4 days": 1}
    solved.refresh_from_db()
    still_open.refresh_from_db()
    assert (solved.status, still_open.status) == ("closed", "new")
    event = Event.objects.get(subject_id=solved.pk, action="automation", field="status")
    assert (event.old_value, event.new_value, event.reason, event.actor_label) == (
        "solved",
        "closed",
        "Close solved after 4 days",
        "system",
    )


def test_untouched_client_tickets_notify_the_owner_after_four_business_hours(
    traveller: Any,
    ada: Any,
    morgan: Any,
    dana: Any,
    bob: Any,
    carol: Contact,
    charlie: Contact,
    django_capture_on_commit_callbacks: Any,
) -> None:
    office = calendar_create(
        actor=None, name="Office", time_zone="UTC", hours=[WorkingPeriod(day, time(9), time(17)) for day in range(5)]
    )
    automation_create(
        actor=ada,
        name="Client untouched 4 business hours",
        since="updated",
        hours=4,
        calendar=office,
        conditions={"service_model": ["client"], "status": ["new", "open"]},
        actions={"notify": ["owner"]},
    )
    account_change_service_model(account=carol.account, actor=morgan, service_model="client", owner=dana, reason="VIP")
    client_ticket = ticket_create(
        actor=None, requester=Contact.objects.get(pk=carol.pk), subject="Q", body="?", assignee=bob
    )
    _ticket(charlie)  # a customer's: never
    # Friday 16:00-17:00 is one business hour; Monday 09:00-12:00 three more.
    traveller.move_to(datetime(2026, 11, 30, 11, 59, tzinfo=UTC))
    assert automations_run() == {}
    traveller.move_to(datetime(2026, 11, 30, 12, 1, tzinfo=UTC))
    with django_capture_on_commit_callbacks(execute=True):
        assert automations_run() == {"Client untouched 4 business hours": 1}
    notice = Notification.objects.get(verb="automation")
    assert (notice.recipient, notice.ticket) == (dana, client_ticket)


def test_firing_twice_for_the_same_moment_acts_once(ada: Any, alice: Any, carol: Contact) -> None:
    automation = automation_create(
        actor=ada, name="Tag stale", since="created", hours=1, conditions={}, actions={"tags_add": ["stale"]}
    )
    ticket = _ticket(carol)
    later = ticket.created_at + timedelta(hours=2)
    assert automation_fire(automation=automation, ticket_id=ticket.pk, since_at=ticket.created_at, now=later) == 1
    assert automation_fire(automation=automation, ticket_id=ticket.pk, since_at=ticket.created_at, now=later) == 0
    assert automations_run(now=later) == {}
    assert Event.objects.filter(subject_id=ticket.pk, action="automation_fired").count() == 1
    assert list(ticket.tags.values_list("name", flat=True)) == ["stale"]


def test_a_ticket_that_moved_on_is_left_alone(ada: Any, alice: Any, carol: Contact) -> None:
    automation = automation_create(
        actor=ada,
        name="Escalate stale new",
        since="created",
        hours=1,
        conditions={"status": ["new"]},
        actions={"tier": 2},
    )
    ticket = _ticket(carol)
    ticket_update(ticket=ticket, actor=alice, status="open")
    later = ticket.created_at + timedelta(hours=2)
    assert automation_fire(automation=automation, ticket_id=ticket.pk, since_at=ticket.created_at, now=later) == 0
    ticket.refresh_from_db()
    assert ticket.tier == 1
    assert not AutomationFiring.objects.exists()


def test_an_action_that_can_no_longer_be_done_is_recorded_and_the_rest_go_on(
    ada: Any, alice: Any, bob: Any, carol: Contact
) -> None:
    automation_create(
        actor=ada, name="Give to Bob", since="created", hours=1, conditions={}, actions={"assignee": bob.pk}
    )
    staff_deactivate(user=bob, actor=ada)
    first, second = _ticket(carol), _ticket(carol)
    assert automations_run(now=second.created_at + timedelta(hours=2)) == {}
    failed = Event.objects.filter(action="automation_failed")
    assert {event.subject_id for event in failed} == {first.pk, second.pk}
    assert all(event.new_value == "Give to Bob" and event.reason for event in failed)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"since": "updated", "hours": 0, "conditions": {}, "actions": {"tier": 2}}, "hours"),
        ({"since": "later", "hours": 2, "conditions": {}, "actions": {"tier": 2}}, "since"),
        ({"since": "updated", "hours": 2, "conditions": {"words": ["x"]}, "actions": {"tier": 2}}, "conditions.words"),
        ({"since": "updated", "hours": 2, "conditions": {}, "actions": {"status": "closed"}}, "actions.status"),
        ({"since": "updated", "hours": 2, "conditions": {}, "actions": {"notify": ["mayor"]}}, "actions.notify"),
        (
            {"since": "updated", "hours": 2, "conditions": {}, "actions": {"remind_requester": "yes"}},
            "actions.remind_requester",
        ),
    ],
)
def test_bad_automations_are_refused_naming_the_field(ada: Any, values: dict[str, Any], field: str) -> None:
    with pytest.raises(ApplicationError) as refused:
        automation_create(actor=ada, name="Bad", **values)
    assert refused.value.field == field
    assert not Automation.objects.exists()


def test_automations_that_would_undo_each_other_are_refused(ada: Any) -> None:
    automation_create(
        actor=ada,
        name="Reopen",
        since="status",
        hours=24,
        conditions={"status": ["pending"]},
        actions={"status": "open"},
    )
    with pytest.raises(ApplicationError, match="Reopen"):
        automation_create(
            actor=ada,
            name="Back to pending",
            since="status",
            hours=24,
            conditions={"status": ["open"]},
            actions={"status": "pending"},
        )
    back = automation_create(
        actor=ada,
        name="Back to pending",
        since="status",
        hours=24,
        conditions={"status": ["on_hold"]},
        actions={"status": "pending"},
    )
    with pytest.raises(ApplicationError):
        automation_update(automation=back, actor=ada, conditions={"status": ["open", "on_hold"]})
    back.refresh_from_db()
    assert back.conditions == {"status": ["on_hold"]}
