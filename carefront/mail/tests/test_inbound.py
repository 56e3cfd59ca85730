"""Received mail becomes tickets, replies and notes, through one ingestion service."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from carefront.accounts.models import Contact
from carefront.accounts.services import account_set_domains
from carefront.desk.models import MessageFlag, Status, Ticket, TicketFollower, Visibility
from carefront.desk.services import ticket_change_status, ticket_reply
from carefront.mail.models import EmailReference, InboundEmail, InboundKind, InboundState, OutboundEmail, OutboundKind
from carefront.mail.services import inbound_process, inbound_store
from carefront.mail.tests.conftest import email_bytes

pytestmark = pytest.mark.django_db


def test_new_email_opens_ticket_for_known_contact_in_mailbox_team(receive: Any, support: Any, carol: Contact) -> None:
    row = receive(email_bytes(body="Order 1001 is late.\n\n-- \nCarol Jones\nAcme Ltd"))
    assert row.state == InboundState.PROCESSED and row.kind == InboundKind.MESSAGE
    ticket = row.ticket
    assert ticket.requester == carol and ticket.channel == "email"
    assert ticket.team == support.team and ticket.subject == "Parcel never arrived"
    assert "Order 1001 is late." in ticket.messages.get().body_text
    assert row.mailbox == support
    assert EmailReference.objects.filter(ticket=ticket, direction="in").count() == 1


def test_new_ticket_is_acknowledged_from_its_mailbox_as_automatic_mail(
    receive: Any, support: Any, carol: Contact
) -> None:
    row = receive(email_bytes())
    ack = OutboundEmail.objects.get(ticket=row.ticket, kind=OutboundKind.ACKNOWLEDGEMENT)
    assert ack.state == "sent"
    sent = mail.outbox[-1]
    assert sent.to == ["carol@acme.example"]
    assert sent.extra_headers["Auto-Submitted"] == "auto-replied"
    assert f"[#{row.ticket.number}]" in sent.subject
    assert sent.from_email == "Carefront Support <support@carefront.example>"
    assert sent.extra_headers["In-Reply-To"] == f"<{row.message_id_header}>"


def test_same_message_delivered_twice_is_stored_once(receive: Any, support: Any, carol: Contact) -> None:
    raw = email_bytes()
    first = receive(raw)
    second, created = inbound_store(raw=raw, via="imap")
    assert not created and second.pk == first.pk
    assert Ticket.objects.count() == 1


def test_same_message_id_with_other_headers_is_filed_once(receive: Any, support: Any, carol: Contact) -> None:
    """GIVEN one message received by SMTP and again through IMAP with a Received header added
    WHEN both are filed THEN the second is a duplicate of the first, not a second ticket."""
    raw = email_bytes(message_id="<same@mail.example>")
    first = receive(raw)
    again = receive(b"Received: from relay.example by imap.example\r\n" + raw, via="imap")
    assert again.state == InboundState.DUPLICATE and again.ticket == first.ticket
    assert Ticket.objects.count() == 1


def test_reply_threads_by_in_reply_to_of_our_email(receive: Any, support: Any, carol: Contact, alice: Any) -> None:
    opened = receive(email_bytes(message_id="<first@mail.example>"))
    ticket = opened.ticket
    reply = ticket_reply(ticket=ticket, body="We are on it.", staff=alice, actor=alice)
    ours = OutboundEmail.objects.get(message=reply)
    answer = receive(
        email_bytes(
            subject="Re: something else entirely",
            body="Thanks!\n\nOn Mon, 1 Jun 2026 at 10:00, Support wrote:\n> We are on it.",
            in_reply_to=f"<{ours.message_id_header}>",
            references=f"<first@mail.example> <{ours.message_id_header}>",
        )
    )
    assert answer.ticket == ticket and answer.message.visibility == Visibility.PUBLIC
    assert answer.message.author_contact == carol
    assert answer.message.body_text == "Thanks!"
    assert Ticket.objects.count() == 1


def test_reply_threads_by_ticket_reference_in_subject(receive: Any, support: Any, carol: Contact) -> None:
    ticket = receive(email_bytes()).ticket
    answer = receive(email_bytes(subject=f"Re: [#{ticket.number}] Parcel never arrived", body="Any news?"))
    assert answer.ticket == ticket


def test_same_subject_without_reference_opens_a_new_ticket(receive: Any, support: Any, carol: Contact) -> None:
    first = receive(email_bytes(subject="Help"))
    second = receive(email_bytes(subject="Help"))
    assert first.ticket != second.ticket


def test_reply_to_solved_ticket_reopens_it(receive: Any, support: Any, carol: Contact, alice: Any) -> None:
    ticket = receive(email_bytes(message_id="<a@mail.example>")).ticket
    ticket_change_status(ticket=ticket, actor=alice, status=Status.SOLVED)
    receive(email_bytes(in_reply_to="<a@mail.example>", body="Still broken."))
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_reply_to_closed_ticket_opens_linked_follow_up(receive: Any, support: Any, carol: Contact, alice: Any) -> None:
    ticket = receive(email_bytes(message_id="<b@mail.example>")).ticket
    ticket_change_status(ticket=ticket, actor=alice, status=Status.SOLVED)
    ticket_change_status(ticket=ticket, actor=alice, status=Status.CLOSED)
    answer = receive(email_bytes(in_reply_to="<b@mail.example>", body="It happened again."))
    assert answer.ticket != ticket and answer.ticket.follow_up_of == ticket


def test_non_participant_is_added_as_flagged_internal_note(
    receive: Any, support: Any, carol: Contact, charlie: Contact
) -> None:
    ticket = receive(email_bytes(message_id="<c@mail.example>")).ticket
    row = receive(
        email_bytes(sender="Charlie Martin <charlie@globex.example>", in_reply_to="<c@mail.example>", body="Me too")
    )
    assert row.ticket == ticket
    assert row.message.visibility == Visibility.INTERNAL and row.message.flag == MessageFlag.NON_PARTICIPANT
    ticket.refresh_from_db()
    assert ticket.messages.filter(visibility=Visibility.PUBLIC).count() == 1


def test_cc_addresses_become_followers_whose_replies_count(receive: Any, support: Any, carol: Contact) -> None:
    ticket = receive(
        email_bytes(cc="Dave <dave@acme.example>, support@carefront.example", message_id="<d@mail.example>")
    ).ticket
    dave = Contact.objects.get(email="dave@acme.example")
    assert list(TicketFollower.objects.filter(ticket=ticket).values_list("contact", flat=True)) == [dave.pk]
    row = receive(email_bytes(sender="dave@acme.example", in_reply_to="<d@mail.example>", body="Adding details."))
    assert row.message.visibility == Visibility.PUBLIC and row.message.author_contact == dave


def test_unknown_sender_joins_the_account_that_owns_their_domain(
    receive: Any, support: Any, acme: Any, carol: Contact
) -> None:
    account_set_domains(account=acme, domains=["acme.example"], actor=None)
    row = receive(email_bytes(sender="Erin Stone <erin@acme.example>"))
    erin = row.ticket.requester
    assert erin.email == "erin@acme.example" and erin.name == "Erin Stone" and erin.account == acme


def test_unknown_sender_without_domain_gets_an_account_of_their_own(receive: Any, support: Any) -> None:
    row = receive(email_bytes(sender="Frank <frank@elsewhere.example>"))
    assert row.ticket.account.name == "Frank" and row.ticket.account.kind == "person"
    assert row.ticket.requester.language == support.language


def test_message_processed_twice_is_filed_once(support: Any, carol: Contact) -> None:
    row, _ = inbound_store(raw=email_bytes(), via="file")
    inbound_process(inbound_id=row.pk)
    assert inbound_process(inbound_id=row.pk) is None
    assert Ticket.objects.count() == 1


def test_unparseable_message_is_quarantined_with_reason(receive: Any, support: Any) -> None:
    row = receive(b"Subject: nobody\r\n\r\nNo sender at all.\r\n")
    assert row.state == InboundState.QUARANTINED
    assert "no sender" in row.reason
    assert bytes(InboundEmail.objects.get(pk=row.pk).raw).startswith(b"Subject: nobody")


def test_message_without_message_id_is_answered_without_a_made_up_in_reply_to(
    receive: Any, support: Any, carol: Contact
) -> None:
    raw = b"\r\n".join(
        [b"From: carol@acme.example", b"To: support@carefront.example", b"Subject: No id", b"", b"Hello"]
    )
    row = receive(raw)
    assert row.state == InboundState.PROCESSED and row.message_id_header == ""
    ack = OutboundEmail.objects.get(ticket=row.ticket, kind=OutboundKind.ACKNOWLEDGEMENT)
    assert "In-Reply-To" not in ack.headers and "References" not in ack.headers
    assert "In-Reply-To" not in mail.outbox[-1].extra_headers
