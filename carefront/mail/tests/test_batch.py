"""What waits is filed in batches: new requests together in a few statements, everything else one by one, and
each message ends exactly where it would have ended on its own."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache

from carefront.accounts.models import Account, Contact
from carefront.accounts.services import account_set_domains
from carefront.core.models import Event
from carefront.desk.models import Message, Ticket
from carefront.mail.models import EmailReference, InboundEmail, InboundKind, InboundState, Mailbox
from carefront.mail.selectors import recipient_accepted
from carefront.mail.services import FILING_BATCH, inbound_file_waiting, inbound_store
from carefront.mail.tests.conftest import email_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiet_support(support: Mailbox) -> Mailbox:
    # Acknowledgements are sent one by one; the batch is about filing.
    support.auto_acknowledge = False
    support.save(update_fields=["auto_acknowledge"])
    return support


def _store(raw: bytes) -> InboundEmail:
    # Stored as the listener stores it; the filing job is not run (its on-commit hook never fires in a test
    # transaction), so the messages wait together for `inbound_file_waiting`.
    row, created = inbound_store(raw=raw, via="smtp", envelope_to=["support@carefront.example"])
    assert created
    return row


def test_a_mixed_batch_files_each_message_as_it_would_be_filed_alone(
    quiet_support: Mailbox, carol: Contact, alice: Any
) -> None:
    """GIVEN new requests from new senders (one writing twice), one from a known contact, one from an address at
    an organisation that owns its domain, a reply to one of them, a second copy of another under the same
    Message-ID and a message without a sender, all waiting together
    WHEN one job files them THEN each becomes what it would have become alone."""
    globex = Account.objects.create(name="Globex", kind="organisation")
    account_set_domains(account=globex, domains=["globex.example"], actor=alice)
    first = _store(email_bytes(sender="Dana Reyes <dana@new.example>", subject="Order 1", message_id="<d1@new>"))
    again = _store(email_bytes(sender="Dana Reyes <dana@new.example>", subject="Order 2", message_id="<d2@new>"))
    known = _store(email_bytes(subject="From Carol", message_id="<c1@acme>"))
    staff = _store(email_bytes(sender="Hank <hank@globex.example>", subject="Globex", message_id="<g1@globex>"))
    reply = _store(
        email_bytes(
            sender="Dana Reyes <dana@new.example>",
            subject="Re: Order 1",
            body="Also the invoice, please.",
            message_id="<d3@new>",
            in_reply_to="<d1@new>",
        )
    )
    copy = _store(email_bytes(subject="From Carol (resent)", message_id="<c1@acme>"))
    nobody = _store(b"To: support@carefront.example\r\nSubject: who?\r\nMessage-ID: <n1@x>\r\n\r\nHello\r\n")

    filed = inbound_file_waiting(first_id=first.pk)

    assert len(filed) == 7
    rows: dict[int, Any] = {row.pk: row for row in InboundEmail.objects.select_related("ticket", "message")}
    dana = Contact.objects.get(email="dana@new.example")
    assert rows[first.pk].ticket.requester == dana and rows[again.pk].ticket.requester == dana
    assert rows[first.pk].ticket != rows[again.pk].ticket
    assert dana.account.kind == "person" and dana.account.contacts.count() == 1
    assert rows[known.pk].ticket.requester == carol
    assert Contact.objects.get(email="hank@globex.example").account == globex
    assert rows[reply.pk].ticket == rows[first.pk].ticket
    assert rows[reply.pk].message.body_text == "Also the invoice, please."
    assert rows[copy.pk].state == InboundState.DUPLICATE and rows[copy.pk].ticket == rows[known.pk].ticket
    assert rows[nobody.pk].state == InboundState.QUARANTINED and "no sender" in rows[nobody.pk].reason
    assert Ticket.objects.count() == 4
    for pk in (first.pk, again.pk, known.pk, staff.pk):
        row = rows[pk]
        assert row.state == InboundState.PROCESSED and row.kind == InboundKind.MESSAGE and row.attempts == 1
        assert row.message.ticket == row.ticket and row.ticket.team == quiet_support.team
        assert EmailReference.objects.filter(ticket=row.ticket, message=row.message, direction="in").exists()
        assert Event.objects.filter(subject_kind="ticket", subject_id=row.ticket.pk, action="created").count() == 1
    assert Event.objects.filter(subject_kind="account", subject_id=dana.account_id, action="created").count() == 1


def test_new_requests_are_filed_together_in_the_same_few_queries_however_many(
    quiet_support: Mailbox, django_assert_max_num_queries: Any
) -> None:
    """Forty new requests from forty new senders cost about thirty statements (ten of them savepoints), not
    forty times nineteen."""
    for number in range(40):
        _store(email_bytes(sender=f"Person {number} <p{number}@new.example>", subject=f"Request {number}"))
    with django_assert_max_num_queries(32):
        filed = inbound_file_waiting()
    assert len(filed) == 40
    assert Ticket.objects.count() == 40 and Message.objects.count() == 40
    assert Contact.objects.filter(email__endswith="@new.example").count() == 40
    assert set(Ticket.objects.values_list("subject", flat=True)) == {f"Request {n}" for n in range(40)}
    numbers = sorted(Ticket.objects.values_list("number", flat=True))
    assert numbers == list(range(numbers[0], numbers[0] + 40))


def test_a_sender_refused_in_a_batch_is_quarantined_alone_and_the_others_are_filed(quiet_support: Mailbox) -> None:
    """GIVEN new requests waiting together, one from an address Django refuses (a domain with a leading hyphen)
    WHEN they are filed THEN that one is quarantined with the reason, and the others open their tickets."""
    good = [_store(email_bytes(sender=f"P{n} <p{n}@new.example>", subject=f"Good {n}")) for n in range(3)]
    bad = _store(
        b"From: Bad <bad@-x-.example>\r\nTo: support@carefront.example\r\nSubject: bad\r\n"
        b"Message-ID: <bad@x>\r\n\r\nHello\r\n"
    )
    inbound_file_waiting()
    bad.refresh_from_db()
    assert bad.state == InboundState.QUARANTINED and "bad@-x-.example" in bad.reason
    for row in good:
        row.refresh_from_db()
        assert row.state == InboundState.PROCESSED and row.ticket is not None
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["Good 0", "Good 1", "Good 2"]


def test_a_batch_stops_at_its_size_and_the_rest_waits_for_the_next(quiet_support: Mailbox) -> None:
    rows = [_store(email_bytes(sender=f"P{n} <p{n}@new.example>", subject=f"R{n}")) for n in range(FILING_BATCH + 5)]
    last = rows[-1]
    filed = inbound_file_waiting(first_id=last.pk)
    assert len(filed) == FILING_BATCH
    assert last.pk in {row.pk for row in filed}, "the job's own message is in its batch"
    assert InboundEmail.objects.filter(state=InboundState.RECEIVED).count() == 5
    assert len(inbound_file_waiting()) == 5
    assert inbound_file_waiting() == []
    assert Ticket.objects.count() == FILING_BATCH + 5


def test_a_lingering_job_files_its_message_and_those_waiting_with_it_in_one_batch(quiet_support: Mailbox) -> None:
    """A job whose message is fresh waits for more to arrive, then files them all together."""
    first = _store(email_bytes(sender="P0 <p0@new.example>", subject="R0"))
    for number in (1, 2):
        _store(email_bytes(sender=f"P{number} <p{number}@new.example>", subject=f"R{number}"))
    filed = inbound_file_waiting(first_id=first.pk, linger=timedelta(milliseconds=20))
    assert {row.subject for row in filed} == {"R0", "R1", "R2"}
    assert len({row.processed_at for row in filed}) == 1, "filed in one batch"
    assert not InboundEmail.objects.filter(state=InboundState.RECEIVED).exists()


def test_the_listener_accepts_a_new_mailbox_at_once_and_refuses_unknown_addresses(quiet_support: Mailbox) -> None:
    assert recipient_accepted("Support@Carefront.example")  # the list of mailboxes is now read and kept
    Mailbox.objects.create(address="sales@carefront.example")
    assert recipient_accepted("sales@carefront.example"), "a yes missing from the kept list is checked"
    assert not recipient_accepted("nobody@carefront.example")
    Mailbox.objects.filter(address="sales@carefront.example").update(is_active=False)
    cache.clear()
    assert not recipient_accepted("sales@carefront.example")
