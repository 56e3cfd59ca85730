"""Follow-ups: each event schedules once per rule and contact (whatever runs twice), due after the rule's delay;
written in the contact's language from the profile and last interaction; sent through the email channel from the
advisor (clients) or the team (customers); skipped with the reason for an opt-out, the quiet period, no address or
a deactivated rule; answered by email into a ticket."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from email import message_from_bytes, policy
from typing import Any

import pytest
from django.core import mail

from carefront.accounts.models import Account, Contact
from carefront.accounts.services import contact_create, order_create
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Team
from carefront.desk.models import Message, Status, Ticket
from carefront.desk.services import ticket_create, ticket_update
from carefront.mail.models import InboundEmail, Mailbox, OutboundEmail
from carefront.mail.services import inbound_store
from carefront.mail.tests.conftest import email_bytes
from carefront.relationships.models import CheckIn, FollowUp, FollowUpRule, FollowUpState, OutreachOptOut, SkipReason
from carefront.relationships.services_checkins import Held, cadence_create, check_in_hold
from carefront.relationships.services_followups import (
    ORDER_CREATED,
    TICKET_SOLVED,
    contact_outreach_opt_in,
    contact_outreach_opt_out,
    followup_rule_create,
    followup_rule_update,
    followups_schedule,
    followups_send_due,
    outreach_settings_update,
)
from carefront.relationships.tests.conftest import NOW

pytestmark = pytest.mark.django_db

FIX_IT = {
    "en": {
        "subject": "Did this fix it, {{ contact_name }}?",
        "body": "About #{{ ticket_number }}: {{ ticket_subject }}",
    },
    "fr": {"subject": "Est-ce réglé, {{ contact_name }} ?", "body": "Au sujet de #{{ ticket_number }}"},
}


@pytest.fixture
def support(db: Any, front_line: Team) -> Mailbox:
    return Mailbox.objects.create(address="support@carefront.example", name="Carefront Support", team=front_line)


@pytest.fixture
def advisors_box(db: Any, dana: Any) -> Mailbox:
    team = Team.objects.create(name="Advisors")
    dana.staff_profile.teams.add(team)
    return Mailbox.objects.create(address="advisors@carefront.example", name="Carefront Advisors", team=team)


@pytest.fixture
def run(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Call a service and run what it leaves for after the commit (the queue is immediate in tests)."""

    def call(function: Callable[..., Any], **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return call


def _rule(event: str = "ticket_solved", **values: Any) -> FollowUpRule:
    defaults: dict[str, Any] = {
        "actor": None,
        "name": "Did this fix it?",
        "event": event,
        "templates": FIX_IT,
        "delay_minutes": 60,
    }
    return followup_rule_create(**(defaults | values))


def _solve(run: Callable[..., Any], ticket: Ticket, alice: Any) -> Ticket:
    return run(ticket_update, ticket=ticket, actor=alice, status=Status.SOLVED)


def test_a_solved_ticket_schedules_once_after_the_delay_and_sends_once(
    clock: Any, run: Any, ticket: Ticket, alice: Any, support: Mailbox
) -> None:
    rule = _rule()
    ticket = _solve(run, ticket, alice)
    followup = FollowUp.objects.get()
    assert (followup.rule, followup.contact, followup.state) == (rule, ticket.requester, FollowUpState.SCHEDULED)
    assert followup.event_key == f"ticket:{ticket.pk}:solved:{int(NOW.timestamp())}"
    assert followup.scheduled_at == NOW + timedelta(minutes=60)
    # The hook's job runs again (a retry, a second worker): nothing more.
    assert followups_schedule(event=TICKET_SOLVED, object_id=ticket.pk) == 0
    assert FollowUp.objects.count() == 1
    # Not due yet.
    assert run(followups_send_due) == 0
    clock.move_to(NOW + timedelta(minutes=61))
    assert run(followups_send_due) == 1
    assert run(followups_send_due) == 0
    followup.refresh_from_db()
    assert followup.state == FollowUpState.SENT
    assert followup.outbound is not None and followup.outbound.ticket == ticket
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.subject == "Did this fix it, Carol Jones?"
    assert sent.body.startswith(f"About #{ticket.number}: Parcel never arrived")
    assert sent.from_email == "Carefront Support <support@carefront.example>"
    assert sent.extra_headers["List-Unsubscribe"].startswith("<http")


def test_solving_again_after_a_reopen_is_a_new_event(clock: Any, run: Any, ticket: Ticket, alice: Any) -> None:
    _rule()
    ticket = _solve(run, ticket, alice)
    clock.move_to(NOW + timedelta(hours=1))
    run(ticket_update, ticket=ticket, actor=alice, status=Status.OPEN)
    _solve(run, ticket, alice)
    assert FollowUp.objects.count() == 2


def test_first_and_third_orders_get_their_rules_and_the_second_none(
    clock: Any, run: Any, acme: Account, carol: Contact, support: Mailbox, morgan: Any
) -> None:
    outreach_settings_update(actor=morgan, quiet_days=0)
    welcome = _rule(
        "first_order",
        name="Welcome",
        delay_minutes=0,
        templates={"en": {"subject": "Welcome", "body": "Order {{ order_number }}: {{ order_amount }}"}},
    )
    thanks = _rule(
        "nth_order",
        name="Third order",
        order_count=3,
        delay_minutes=0,
        templates={"en": {"subject": "Thank you", "body": "Your third order, {{ order_number }}."}},
    )
    for number in (1, 2, 3):
        run(
            order_create,
            actor=None,
            account=acme,
            external_id=f"A-{number}",
            placed_at=NOW - timedelta(days=10 - number),
            currency="EUR",
            amount="120.50",
        )
    rows = list(FollowUp.objects.order_by("id").values_list("rule_id", "event_key", "contact_id"))
    first, third = acme.orders.order_by("placed_at")[0], acme.orders.order_by("placed_at")[2]
    assert rows == [(welcome.pk, f"order:{first.pk}", carol.pk), (thanks.pk, f"order:{third.pk}", carol.pk)]
    assert followups_schedule(event=ORDER_CREATED, object_id=first.pk) == 0
    assert run(followups_send_due) == 2
    bodies = sorted(message.body for message in mail.outbox)
    assert bodies[0].startswith("Order A-1: 120.50 EUR")
    assert bodies[1].startswith("Your third order, A-3.")


def test_a_held_check_in_sends_its_summary_and_next_steps_from_the_advisor(
    clock: Any, run: Any, client_account: Account, dana: Any, advisors_box: Mailbox
) -> None:
    contact = contact_create(actor=None, account=client_account, name="Gina Lopez", email="gina@globex.example")
    _rule(
        "check_in_held",
        name="Check-in summary",
        delay_minutes=30,
        audience="clients",
        templates={
            "en": {
                "subject": "Our call",
                "body": (
                    "{{ check_in_summary }}\n{{ next_steps }}\nLast: {{ last_interaction_kind }}\n{{ sender_name }}"
                ),
            }
        },
    )
    from datetime import date, time

    cadence = cadence_create(
        actor=dana,
        account=client_account,
        name="Weekly",
        rule="FREQ=WEEKLY;BYDAY=TU",
        starts_on=date(2026, 3, 3),
        time_of_day=time(10),
        duration_minutes=30,
    )
    check_in = CheckIn.objects.filter(cadence=cadence).order_by("scheduled_at").first()
    assert check_in is not None
    clock.move_to(check_in.scheduled_at + timedelta(hours=1))
    held = Held(
        kind="video",
        occurred_at=check_in.scheduled_at,
        outcomes="They renew for a year.",
        next_steps=("Send the offer",),
        contacts=(contact,),
    )
    run(check_in_hold, check_in=check_in, actor=dana, held=held)
    followup = FollowUp.objects.get()
    assert followup.event_key == f"check_in:{check_in.pk}"
    clock.move_to(check_in.scheduled_at + timedelta(hours=1, minutes=31))
    assert run(followups_send_due) == 1
    sent = mail.outbox[0]
    assert sent.body.startswith("They renew for a year.\n- Send the offer\nLast: Video call\nDana")
    # A client hears from their advisor, at the address of the advisor's team (replies come back there).
    assert sent.from_email == "Dana <advisors@carefront.example>"
    assert sent.extra_headers["Reply-To"] == "advisors@carefront.example"


def test_the_contacts_language_is_used_and_a_missing_one_falls_back_to_the_workspaces(
    clock: Any, run: Any, globex: Account, acme: Account, alice: Any
) -> None:
    rule = _rule(delay_minutes=0)
    french = contact_create(actor=None, account=globex, name="Chloé", email="chloe@globex.example", language="fr")
    english_only = _rule(name="English only", templates={"en": FIX_IT["en"]}, delay_minutes=0)
    ticket = ticket_create(actor=None, requester=french, subject="Colis", body="Où est-il ?")
    _solve(run, ticket, alice)
    assert run(followups_send_due) == 2  # one sent, the other skipped: within the quiet period
    assert FollowUp.objects.get(rule=rule).language == "fr"
    assert mail.outbox[0].subject == "Est-ce réglé, Chloé ?"
    quiet = FollowUp.objects.get(rule=english_only)
    assert (quiet.state, quiet.skip_reason) == (FollowUpState.SKIPPED, SkipReason.QUIET_PERIOD)


def test_fallback_to_the_default_language(clock: Any, run: Any, globex: Account, alice: Any) -> None:
    _rule(templates={"en": FIX_IT["en"]}, delay_minutes=0)
    french = contact_create(actor=None, account=globex, name="Chloé", email="chloe@globex.example", language="fr")
    ticket = ticket_create(actor=None, requester=french, subject="Colis", body="Où est-il ?")
    _solve(run, ticket, alice)
    run(followups_send_due)
    assert FollowUp.objects.get().language == "en"
    assert mail.outbox[0].subject == "Did this fix it, Chloé?"


def test_skips_say_why_opt_out_no_email_quiet_period_and_inactive_rule(
    clock: Any, run: Any, acme: Account, carol: Contact, alice: Any, dana: Any, morgan: Any
) -> None:
    rule = _rule(delay_minutes=0)
    no_address = contact_create(actor=None, account=acme, name="No Address")
    opted = contact_create(actor=None, account=acme, name="Olga", email="olga@acme.example")
    contact_outreach_opt_out(contact=opted, actor=morgan)
    outreach_settings_update(actor=morgan, quiet_days=7)
    tickets = [ticket_create(actor=None, requester=who, subject="Help", body="x") for who in (carol, no_address, opted)]
    for ticket in tickets:
        _solve(run, ticket, alice)
    run(followups_send_due)
    states = {row.contact_id: (row.state, row.skip_reason) for row in FollowUp.objects.all()}
    assert states == {
        carol.pk: (FollowUpState.SENT, ""),
        no_address.pk: (FollowUpState.SKIPPED, SkipReason.NO_EMAIL),
        opted.pk: (FollowUpState.SKIPPED, SkipReason.OPTED_OUT),
    }
    # Carol's next solved ticket within the week is quiet; after it, she hears from us again.
    clock.move_to(NOW + timedelta(days=3))
    second = ticket_create(actor=None, requester=carol, subject="Again", body="x")
    _solve(run, second, alice)
    run(followups_send_due)
    assert FollowUp.objects.get(ticket=second).skip_reason == SkipReason.QUIET_PERIOD
    clock.move_to(NOW + timedelta(days=8))
    # A deactivated rule schedules nothing new; what it had scheduled is skipped.
    followup_rule_update(rule=rule, actor=morgan, is_active=False)
    third = ticket_create(actor=None, requester=carol, subject="Third", body="x")
    _solve(run, third, alice)
    assert not FollowUp.objects.filter(ticket=third).exists()
    followup_rule_update(rule=rule, actor=morgan, is_active=True)
    fourth = ticket_create(actor=None, requester=carol, subject="Fourth", body="x")
    _solve(run, fourth, alice)
    followup_rule_update(rule=rule, actor=morgan, is_active=False)
    run(followups_send_due)
    assert FollowUp.objects.get(ticket=fourth).skip_reason == SkipReason.RULE_INACTIVE
    # Staff lift the opt-out; only the account's advisor or a manager may change it.
    with pytest.raises(ApplicationError):
        contact_outreach_opt_in(contact=opted, actor=alice)
    contact_outreach_opt_in(contact=opted, actor=morgan)
    assert not OutreachOptOut.objects.exists()
    assert len(mail.outbox) == 1


def test_the_audience_decides_who_gets_a_rule(
    clock: Any, run: Any, ticket: Ticket, alice: Any, client_account: Account
) -> None:
    _rule(audience="clients")
    _solve(run, ticket, alice)  # Acme is a customer
    assert not FollowUp.objects.exists()


def test_a_reply_to_an_order_follow_up_opens_a_ticket_quoting_it(
    clock: Any, run: Any, acme: Account, carol: Contact, support: Mailbox
) -> None:
    _rule(
        "first_order",
        delay_minutes=0,
        templates={"en": {"subject": "Welcome aboard", "body": "Thank you for order {{ order_number }}."}},
    )
    run(order_create, actor=None, account=acme, external_id="A-1", placed_at=NOW, currency="EUR", amount="10")
    run(followups_send_due)
    outbound = OutboundEmail.objects.get()
    assert outbound.ticket is None
    reply = email_bytes(
        subject="Re: Welcome aboard",
        body="Thanks! When does it ship?",
        in_reply_to=f"<{outbound.message_id_header}>",
        references=f"<{outbound.message_id_header}>",
    )
    _receive(run, reply)
    outbound.refresh_from_db()
    ticket = outbound.ticket
    assert ticket is not None and ticket.requester == carol
    first = Message.objects.get(ticket=ticket)
    assert first.body_text.startswith("Thanks! When does it ship?")
    assert "> Thank you for order A-1." in first.body_text
    # A second reply to the same email threads into that ticket.
    again = email_bytes(
        subject="Re: Welcome aboard", body="Also, the invoice?", in_reply_to=f"<{outbound.message_id_header}>"
    )
    _receive(run, again)
    assert Message.objects.filter(ticket=ticket).count() == 2
    assert Ticket.objects.count() == 1


def test_a_reply_to_did_this_fix_it_reopens_the_solved_ticket(
    clock: Any, run: Any, ticket: Ticket, alice: Any, support: Mailbox
) -> None:
    _rule(delay_minutes=0)
    ticket = _solve(run, ticket, alice)
    run(followups_send_due)
    sent = message_from_bytes(mail.outbox[0].message().as_bytes(), policy=policy.default)
    reply = email_bytes(
        subject=f"Re: {sent['Subject']}",
        body="No, it is still broken.",
        in_reply_to=str(sent["Message-ID"]),
        references=str(sent["Message-ID"]),
    )
    _receive(run, reply)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    last = ticket.messages.order_by("id").last()
    assert last is not None and last.body_text.startswith("No, it is still broken.")
    assert Ticket.objects.count() == 1


def _receive(run: Any, raw: bytes) -> InboundEmail:
    row, _created = run(inbound_store, raw=raw, via="smtp", envelope_to=("support@carefront.example",))
    row = InboundEmail.objects.get(pk=row.pk)
    assert row.state == "processed", row.reason
    return row


@pytest.mark.parametrize(
    ("templates", "field", "words"),
    [
        ({"en": {"subject": "Hi", "body": "{% load static %}x"}}, "templates.en.body", "is not allowed"),
        ({"en": {"subject": "{{ contact_name|ljust:'99' }}", "body": "x"}}, "templates.en.subject", "cannot be used"),
        ({"en": {"subject": "Hi", "body": "{% if %}"}}, "templates.en.body", "cannot be used"),
        ({"fr": {"subject": "Salut", "body": "x"}}, "templates.en", "workspace's language"),
        ({"en": {"subject": "Hi", "body": ""}}, "templates.en", "both a subject and a body"),
        ({"xx": {"subject": "Hi", "body": "x"}}, "templates", "not a language"),
    ],
)
def test_template_mistakes_are_refused_with_a_clear_message(
    morgan: Any, templates: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(ApplicationError) as refused:
        _rule(actor=morgan, templates=templates)
    assert refused.value.field == field
    assert words in str(refused.value.message)
    assert not FollowUpRule.objects.exists()


def test_only_managers_write_rules_and_an_nth_order_rule_names_its_n(alice: Any, dana: Any, morgan: Any) -> None:
    for who in (alice, dana):
        with pytest.raises(ApplicationError) as refused:
            _rule(actor=who)
        assert refused.value.status == 403
    with pytest.raises(ApplicationError) as refused:
        _rule("nth_order", actor=morgan)
    assert refused.value.field == "order_count"
    rule = _rule("nth_order", actor=morgan, order_count=5)
    assert rule.order_count == 5


def test_two_runs_for_one_follow_up_send_it_once(clock: Any, run: Any, ticket: Ticket, alice: Any) -> None:
    """GIVEN one due follow-up WHEN two runs of the job pick the same id THEN the second finds it handled."""
    from carefront.relationships.services_followups import followup_send

    _rule(delay_minutes=0)
    _solve(run, ticket, alice)
    followup = FollowUp.objects.get()
    assert run(followup_send, followup_id=followup.pk) is not None
    assert run(followup_send, followup_id=followup.pk) is None
    assert OutboundEmail.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_follow_up_to_a_client_can_speak_of_their_goals_and_preferences(
    clock: Any, run: Any, client_account: Account, dana: Any, advisors_box: Mailbox, morgan: Any
) -> None:
    from datetime import date

    from carefront.relationships.services_profile import goal_create, profile_update

    contact_create(actor=None, account=client_account, name="Gina Lopez", email="gina@globex.example")
    goal_create(actor=dana, account=client_account, title="Cut churn 5 %", target_date=date(2026, 12, 31))
    profile_update(actor=dana, account=client_account, preferred_channel="call", meeting_notes="Mornings only")
    _rule(
        "first_order",
        name="Welcome",
        delay_minutes=0,
        audience="clients",
        templates={"en": {"subject": "Welcome", "body": "With your goals in mind: {{ goals }}. {{ preferences }}."}},
    )
    run(
        order_create,
        actor=None,
        account=client_account,
        external_id="G-1",
        placed_at=NOW - timedelta(days=1),
        currency="EUR",
        amount="99.00",
    )
    assert run(followups_send_due) == 1
    assert mail.outbox[0].body.startswith(
        "With your goals in mind: Cut churn 5 % (by 12/31/2026). prefers call; Mornings only."
    )
