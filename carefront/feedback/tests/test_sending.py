"""Sending surveys: CSAT once per ticket and solve (never for a merged-away ticket), CES per mailbox, NPS to
clients on a schedule and to customers after their Nth order; each event surveys once however often its job runs;
skipped with the reason for an opt-out, no address or the quiet period; written in the contact's language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import override_settings

from carefront.accounts.models import Account, Contact
from carefront.accounts.services import account_change_service_model, contact_create, order_create
from carefront.desk.conversation_services import ticket_merge
from carefront.desk.models import Status, Ticket
from carefront.desk.services import ticket_create, ticket_update
from carefront.feedback.models import Invitation, InvitationState, Response, Survey, SurveySkipReason
from carefront.feedback.services import campaign_create, survey_create
from carefront.feedback.services_sending import (
    TICKET_SOLVED,
    campaigns_run,
    event_surveys_send,
)
from carefront.feedback.tests.conftest import NOW, score_links
from carefront.mail.models import InboundEmail, Mailbox
from carefront.relationships.services_followups import contact_outreach_opt_out

pytestmark = pytest.mark.django_db


def _arrived(ticket: Ticket, mailbox: Mailbox) -> None:
    """The ticket's mail came to `mailbox` (what the mail app records when it files an email)."""
    InboundEmail.objects.create(
        mailbox=mailbox, ticket=ticket, raw=b"x", size=1, sha256="0" * 64, dedupe_key=f"t{ticket.pk}", via="smtp"
    )


def test_a_solved_ticket_sends_csat_once_with_a_link_per_score(
    clock: Any, csat: Survey, ticket: Ticket, solve: Callable[[Ticket], Ticket], alice: Any, support: Mailbox
) -> None:
    ticket = solve(ticket)
    invitation = Invitation.objects.get()
    assert invitation.key == f"ticket:{ticket.pk}:solved:{int(NOW.timestamp())}"
    assert (invitation.state, invitation.kind, invitation.agent, invitation.contact) == (
        InvitationState.SENT,
        "csat",
        alice,
        ticket.requester,
    )
    assert invitation.expires_at == NOW + timedelta(days=14)
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert f"[#{ticket.number}]" in sent.subject
    assert sorted(score_links()) == [1, 2, 3, 4, 5]
    assert sent.extra_headers["List-Unsubscribe"].startswith("<http")
    # The job runs again (a retry, a second worker): nothing more is sent.
    again = event_surveys_send(event=TICKET_SOLVED, object_id=ticket.pk)
    assert again == [invitation]
    assert Invitation.objects.count() == 1 and len(mail.outbox) == 1


def test_no_active_survey_queues_nothing(clock: Any, ticket: Ticket, solve: Callable[[Ticket], Ticket]) -> None:
    solve(ticket)
    assert not Invitation.objects.exists() and not mail.outbox


def test_a_merged_away_ticket_is_not_surveyed(
    clock: Any, csat: Survey, carol: Contact, alice: Any, run: Callable[..., Any]
) -> None:
    source = ticket_create(actor=None, requester=carol, subject="Duplicate", body="x")
    target = ticket_create(actor=None, requester=carol, subject="Original", body="x")
    run(ticket_merge, source=source, target=target, actor=alice)
    assert not Invitation.objects.exists()


def test_the_quiet_period_opt_out_and_missing_address_skip_with_the_reason(
    clock: Any,
    csat: Survey,
    acme: Account,
    carol: Contact,
    morgan: Any,
    solve: Callable[[Ticket], Ticket],
) -> None:
    no_address = contact_create(actor=None, account=acme, name="No Address")
    opted = contact_create(actor=None, account=acme, name="Olga", email="olga@acme.example")
    contact_outreach_opt_out(contact=opted, actor=morgan)
    for who in (carol, no_address, opted):
        solve(ticket_create(actor=None, requester=who, subject="Help", body="x"))
    states = {row.contact_id: (row.state, row.skip_reason) for row in Invitation.objects.all()}
    assert states == {
        carol.pk: (InvitationState.SENT, ""),
        no_address.pk: (InvitationState.SKIPPED, SurveySkipReason.NO_EMAIL),
        opted.pk: (InvitationState.SKIPPED, SurveySkipReason.OPTED_OUT),
    }
    # Carol's next ticket within the quiet period (30 days by default) is not surveyed; after it, it is.
    clock.move_to(NOW + timedelta(days=29))
    second = solve(ticket_create(actor=None, requester=carol, subject="Again", body="x"))
    assert Invitation.objects.get(ticket=second).skip_reason == SurveySkipReason.QUIET_PERIOD
    clock.move_to(NOW + timedelta(days=31))
    third = solve(ticket_create(actor=None, requester=carol, subject="Third", body="x"))
    assert Invitation.objects.get(ticket=third).state == InvitationState.SENT
    assert len(mail.outbox) == 2


@override_settings(CAREFRONT_SURVEY_QUIET_DAYS=0)
def test_a_quiet_period_of_zero_surveys_every_ticket(
    clock: Any, csat: Survey, carol: Contact, solve: Callable[[Ticket], Ticket]
) -> None:
    for subject in ("One", "Two"):
        solve(ticket_create(actor=None, requester=carol, subject=subject, body="x"))
    assert Invitation.objects.filter(state=InvitationState.SENT).count() == 2


def test_solving_again_after_a_reopen_is_a_new_event_but_stays_quiet(
    clock: Any, csat: Survey, ticket: Ticket, solve: Callable[[Ticket], Ticket], alice: Any, run: Any
) -> None:
    ticket = solve(ticket)
    clock.move_to(NOW + timedelta(hours=1))
    ticket = run(ticket_update, ticket=ticket, actor=alice, status=Status.OPEN)
    solve(ticket)
    assert [row.state for row in Invitation.objects.order_by("id")] == [InvitationState.SENT, InvitationState.SKIPPED]


def test_the_survey_is_written_in_the_contacts_language(
    clock: Any, globex: Account, carol: Contact, morgan: Any, solve: Callable[[Ticket], Ticket]
) -> None:
    survey_create(
        actor=morgan, kind="csat", name="CSAT", texts={"fr": {"question": "Êtes-vous satisfait de notre aide ?"}}
    )
    french = contact_create(actor=None, account=globex, name="Chloé", email="chloe@globex.example", language="fr-CA")
    solve(ticket_create(actor=None, requester=french, subject="Facture", body="x"))
    solve(ticket_create(actor=None, requester=carol, subject="Invoice", body="x"))
    languages = dict(Invitation.objects.values_list("contact__name", "language"))
    assert languages == {"Chloé": "fr", "Carol Jones": "en"}
    assert "Êtes-vous satisfait de notre aide ?" in mail.outbox[0].body
    html = str(mail.outbox[0].alternatives[0][0])  # type: ignore[attr-defined]
    assert '<html lang="fr">' in html and "Êtes-vous satisfait de notre aide ?" in html
    # Carol reads English: the built-in wording, as no English text was set.
    assert "How would you rate the help you received?" in mail.outbox[1].body


def test_the_mailbox_ces_question_rides_on_the_csat_email_or_goes_alone(
    clock: Any,
    carol: Contact,
    morgan: Any,
    support: Mailbox,
    solve: Callable[[Ticket], Ticket],
) -> None:
    """GIVEN a CES survey for the support mailbox and a ticket that came to it
    WHEN the ticket is solved with and without an active CSAT survey
    THEN CSAT is sent with the CES question attached, and without CSAT, CES alone with its 1–7 links."""
    effort = survey_create(actor=morgan, kind="ces", name="Effort", mailbox_ids=[support.pk])
    first = ticket_create(actor=None, requester=carol, subject="One", body="x")
    _arrived(first, support)
    csat = survey_create(actor=morgan, kind="csat", name="CSAT")
    solve(first)
    invitation = Invitation.objects.get(ticket=first)
    assert (invitation.survey, invitation.effort_survey) == (csat, effort)
    # Without CSAT the CES survey goes on its own (a quiet period of 0 lets Carol be asked again).
    from carefront.feedback.services import survey_update

    survey_update(survey=csat, actor=morgan, is_active=False)
    second = ticket_create(actor=None, requester=carol, subject="Two", body="x")
    _arrived(second, support)
    with override_settings(CAREFRONT_SURVEY_QUIET_DAYS=0):
        solve(second)
    invitation = Invitation.objects.get(ticket=second)
    assert (invitation.survey, invitation.effort_survey, invitation.kind) == (effort, None, "ces")
    assert sorted(score_links()) == list(range(1, 8))


def test_an_nps_campaign_after_the_nth_order_asks_a_customer_once(
    clock: Any, acme: Account, carol: Contact, morgan: Any, run: Callable[..., Any]
) -> None:
    nps = survey_create(actor=morgan, kind="nps", name="NPS")
    campaign_create(actor=morgan, name="After the 2nd order", survey_id=nps.pk, trigger="nth_order", order_count=2)
    for number in range(1, 4):
        run(
            order_create,
            actor=None,
            account=acme,
            external_id=f"o-{number}",
            placed_at=NOW + timedelta(minutes=number),
            currency="EUR",
            items=[{"sku": "x", "name": "X", "quantity": 1, "unit_price": "10.00"}],
        )
    invitation = Invitation.objects.select_related("order").get()
    assert invitation.order is not None
    assert (invitation.order.external_id, invitation.contact, invitation.kind) == ("o-2", carol, "nps")
    assert sorted(score_links()) == list(range(0, 11))


def test_a_scheduled_campaign_asks_every_client_at_each_occurrence(
    clock: Any, globex: Account, charlie: Contact, dana: Any, morgan: Any
) -> None:
    """GIVEN Globex, a client of Dana's, and a six-monthly NPS campaign starting tomorrow
    WHEN the job runs before, at, and again at the occurrence, then six months later
    THEN Charlie is asked once per occurrence, with Dana as the advisor; customers are never asked."""
    account_change_service_model(account=globex, actor=morgan, service_model="client", owner=dana, reason="x")
    nps = survey_create(actor=morgan, kind="nps", name="Relationship NPS")
    campaign = campaign_create(
        actor=morgan,
        name="Twice a year",
        survey_id=nps.pk,
        trigger="schedule",
        rule="FREQ=MONTHLY;INTERVAL=6",
        starts_at=NOW + timedelta(days=1),
    )
    assert campaign.next_run_at == NOW + timedelta(days=1)
    assert campaigns_run() == 0
    clock.move_to(NOW + timedelta(days=1, minutes=5))
    assert campaigns_run() == 1
    assert campaigns_run() == 0
    invitation = Invitation.objects.get()
    assert (invitation.contact, invitation.advisor, invitation.campaign) == (charlie, dana, campaign)
    campaign.refresh_from_db()
    assert campaign.next_run_at is not None and campaign.next_run_at.month == 9
    clock.move_to(campaign.next_run_at + timedelta(minutes=1))
    assert campaigns_run() == 1
    assert Invitation.objects.filter(state=InvitationState.SENT).count() == 2
    assert not Response.objects.exists()
