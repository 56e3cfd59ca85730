"""A ticket blocked by something the client owes us: its SLA clocks pause through the desk's SLA service (the same
clocks, never a second one) and resume when the dependency is received or cancelled."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from carefront.accounts.models import Account, Contact
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Event
from carefront.desk.business_time import WorkingPeriod
from carefront.desk.models import SlaClock, Ticket
from carefront.desk.services import ticket_create, ticket_update
from carefront.desk.sla_selectors import TicketSla, sla_clocks_prefetch, ticket_sla
from carefront.desk.sla_services import TargetMinutes, calendar_create, sla_clocks_check, sla_policy_create
from carefront.relationships.models import Dependency
from carefront.relationships.services import Blocked, dependency_cancel, dependency_create, dependency_receive
from carefront.relationships.tests.conftest import NOW

pytestmark = pytest.mark.django_db

OFFICE = [WorkingPeriod(day, time(9), time(17)) for day in range(5)]
WEDNESDAY_10 = datetime(2026, 3, 4, 10, tzinfo=UTC)


@pytest.fixture
def client_policy(clock: Any) -> Any:
    office = calendar_create(actor=None, name="Office", time_zone="UTC", hours=OFFICE)
    return sla_policy_create(
        actor=None,
        name="Clients",
        calendar=office,
        service_model="client",
        targets={"normal": TargetMinutes(first_response=120, resolution=8 * 60)},
    )


@pytest.fixture
def client_ticket(client_policy: Any, client_account: Account, charlie: Contact) -> Ticket:
    """Opened on Monday at 9:00, the office's first hour (by Charlie, read again now that Globex is a client)."""
    requester = Contact.objects.select_related("account").get(pk=charlie.pk)
    return ticket_create(actor=None, requester=requester, subject="Review our calls", body="Can you review them?")


def _sla(ticket: Ticket, now: datetime | None = None) -> TicketSla:
    fresh = Ticket.objects.prefetch_related(sla_clocks_prefetch()).get(pk=ticket.pk)
    sla = ticket_sla(fresh.sla_clocks.all(), now=now)
    assert sla is not None
    return sla


def _resolution(ticket: Ticket, now: datetime | None = None) -> Any:
    return next(t for t in _sla(ticket, now).targets if t.metric == "resolution")


def _block(ticket: Ticket, contact: Contact, actor: Any) -> Dependency:
    return dependency_create(
        actor=actor,
        what="Access to the call recordings",
        contact=contact,
        due_at=NOW + timedelta(days=1),
        blocks=Blocked(ticket=ticket),
    )


def test_an_open_dependency_pauses_the_tickets_clocks_and_receipt_resumes_them(
    client_ticket: Ticket, charlie: Contact, dana: Any, alice: Any, api_client: Any, clock: Any
) -> None:
    """GIVEN a client's ticket opened Monday 9:00 with an 8-business-hour resolution target
    WHEN at 10:00 it waits on the client's call recordings, which arrive on Wednesday at 10:00
    THEN its clocks stand still from Monday 10:00 to Wednesday 10:00 (no business hour of the wait counts),
    the resolution is due Wednesday 17:00, and the ticket's history says why it paused."""
    clock.move_to(NOW + timedelta(hours=1))
    dependency = _block(client_ticket, charlie, dana)
    ticket = Ticket.objects.get(pk=client_ticket.pk)
    assert ticket.waiting_on_client_since == NOW + timedelta(hours=1)
    shown = api_client(alice).get(f"/api/v1/tickets/{ticket.pk}").json()
    assert (shown["waiting_on_client_since"], shown["sla"]["targets"][0]["state"]) == ("2026-03-02T10:00:00Z", "paused")
    paused = _resolution(ticket)
    assert (paused.state, paused.elapsed_minutes, paused.due_at) == ("paused", 60, None)
    # A day and a half of office hours later, still one hour counted; the periodic check breaches nothing.
    clock.move_to(datetime(2026, 3, 3, 15, tzinfo=UTC))
    assert _resolution(ticket).elapsed_minutes == 60
    assert sla_clocks_check().breached == []

    clock.move_to(WEDNESDAY_10)
    dependency_receive(dependency=dependency, actor=dana)
    resumed = _resolution(ticket)
    assert Ticket.objects.get(pk=ticket.pk).waiting_on_client_since is None
    assert (resumed.state, resumed.elapsed_minutes) == ("active", 60)
    assert resumed.due_at == datetime(2026, 3, 4, 17, tzinfo=UTC)
    # Still the ticket's own two clocks, paused and resumed: no second clock was started.
    assert SlaClock.objects.filter(ticket=ticket).count() == 2
    actions = list(
        Event.objects.filter(subject_kind="ticket", subject_id=ticket.pk, field="waiting_on_client").values_list(
            "action", "reason"
        )
    )
    assert actions == [
        ("waiting_on_client", "Access to the call recordings"),
        ("client_delivered", "Access to the call recordings"),
    ]


def test_the_clocks_wait_while_any_dependency_is_open_and_while_the_ticket_is_pending(
    client_ticket: Ticket, charlie: Contact, dana: Any, alice: Any, clock: Any
) -> None:
    """GIVEN a ticket blocked by two dependencies
    WHEN one is received, the ticket is set open by an agent, then the second is cancelled while it is pending
    THEN the clocks run only once nothing holds them: no open dependency and a status that is not pending."""
    first = _block(client_ticket, charlie, dana)
    second = _block(client_ticket, charlie, dana)
    clock.move_to(NOW + timedelta(hours=2))
    dependency_receive(dependency=first, actor=dana)
    assert _resolution(client_ticket).state == "paused"
    ticket_update(ticket=Ticket.objects.get(pk=client_ticket.pk), actor=alice, status="open")
    assert _resolution(client_ticket).state == "paused"
    ticket_update(ticket=Ticket.objects.get(pk=client_ticket.pk), actor=alice, status="pending")
    dependency_cancel(dependency=second, actor=dana, reason="Reviewed last month's calls instead")
    assert _resolution(client_ticket).state == "paused"
    clock.move_to(NOW + timedelta(hours=3))
    ticket_update(ticket=Ticket.objects.get(pk=client_ticket.pk), actor=alice, status="open")
    running = _resolution(client_ticket)
    assert (running.state, running.elapsed_minutes) == ("active", 0)


def test_a_solved_ticket_cannot_be_blocked(client_ticket: Ticket, charlie: Contact, dana: Any, alice: Any) -> None:
    ticket_update(ticket=client_ticket, actor=alice, status="solved")
    with pytest.raises(ApplicationError) as refused:
        _block(Ticket.objects.get(pk=client_ticket.pk), charlie, dana)
    assert refused.value.status == 409
    assert Ticket.objects.get(pk=client_ticket.pk).waiting_on_client_since is None
