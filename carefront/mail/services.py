"""Every write of the email channel: a received message stored before anything else, then filed as a ticket,
a reply or a note; mailboxes; and every email we send, queued with its delivery state."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from email.utils import formataddr, make_msgid, parseaddr
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from carefront.accounts.models import Channel, Contact
from carefront.accounts.services import NewPerson, contact_create, contact_set_email_failing, people_create
from carefront.core.access import require_admin
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Team
from carefront.core.selectors import supported_language
from carefront.core.services import Actor, Change, events_record
from carefront.core.validation import clean_choice, clean_email, clean_text
from carefront.desk.conversation_services import ticket_add_contact_note, ticket_add_followers
from carefront.desk.models import Message, MessageFlag, Ticket, Tier
from carefront.desk.services import MAX_BODY_CHARS, NewAttachment, NewTicket, ticket_reply, tickets_create
from carefront.mail import selectors
from carefront.mail.models import (
    DeliveryState,
    Direction,
    EmailReference,
    InboundEmail,
    InboundKind,
    InboundState,
    Mailbox,
    OutboundEmail,
    OutboundKind,
    Via,
)
from carefront.mail.parsing import (
    MAX_TEXT_CHARS,
    Address,
    ParsedEmail,
    ParseFailure,
    content_hash,
    dedupe_key,
    envelope_summary,
    one_line,
    parse,
    storable,
)

logger = logging.getLogger(__name__)


# --- receiving -----------------------------------------------------------------------------------------------


def inbound_store(
    *,
    raw: bytes,
    via: str,
    envelope_from: str = "",
    envelope_to: Sequence[str] = (),
) -> tuple[InboundEmail, bool]:
    """Keep a received message byte for byte and queue its filing; returns the row and whether it is new.

    Committed when this returns (the SMTP listener answers 250 only then). The same message delivered again
    (same Message-ID and content) is stored once. Reading the message is left to the job, so that nothing the
    message contains can stop it being kept.
    """
    clean_choice(via, choices=Via.values, field="via")
    if not isinstance(raw, bytes | bytearray):
        raise ApplicationError(_("A message is bytes."), field="raw")
    raw = bytes(raw)
    if not raw.strip():
        raise ApplicationError(_("The message is empty."), field="raw")
    limit = settings.CAREFRONT_MAX_EMAIL_BYTES
    if len(raw) > limit:
        raise ApplicationError(
            _("The message is larger than the {limit} MB limit.").format(limit=limit // 1_048_576),
            field="raw",
            status=413,
        )
    message_id, subject, sender = envelope_summary(raw)
    sha256 = content_hash(raw)
    key = dedupe_key(message_id=message_id, sha256=sha256)
    recipients = [one_line(address, limit=254).lower() for address in envelope_to][:100]
    try:
        # Inserted straight away: the unique dedupe key, not a read before, tells a message received before (or
        # twice at once, by two connections, or by SMTP and IMAP). The mailbox is found when it is filed.
        with transaction.atomic():
            row = InboundEmail.objects.create(
                raw=raw,
                size=len(raw),
                sha256=sha256,
                message_id_header=message_id,
                dedupe_key=key,
                via=via,
                envelope_from=one_line(envelope_from, limit=254),
                envelope_to=recipients,
                subject=subject,
                sender=sender,
            )
            inbound_id = row.pk
            transaction.on_commit(lambda: _process_later(inbound_id))
    except IntegrityError:
        return InboundEmail.objects.defer("raw").get(dedupe_key=key), False
    return row, True


def _process_later(inbound_id: int) -> None:
    from carefront.mail.tasks import process_inbound

    process_inbound(inbound_id)


@dataclass(frozen=True)
class Filed:
    """What became of a received message."""

    state: str
    kind: str
    ticket: Ticket | None
    message: Message | None
    reason: str = ""


# Filing takes what waits in batches: one transaction and a few statements for many new requests. A batch stops
# at this many messages or bytes of raw email (every message of a batch is in memory at once).
FILING_BATCH = 50
FILING_BATCH_BYTES = 64 * 1024 * 1024
# A filing job waits until the oldest message it would file is this old: at most this much later, mail arriving
# steadily is filed in batches (see bench/README.md).
FILING_LINGER = timedelta(milliseconds=100)
INBOUND_FIELDS = [
    "state",
    "kind",
    "reason",
    "ticket",
    "message",
    "attempts",
    "processed_at",
    "subject",
    "sender",
    "mailbox",
]


def inbound_process(*, inbound_id: int) -> InboundEmail | None:
    """File one stored message (see `inbound_file`); None when it was not waiting."""
    return next(iter(inbound_file(inbound_ids=[inbound_id])), None)


# One batch at a time in a process: two threads of a worker would read and parse the same waiting messages, and
# one of them would find them filed by the other.
_FILING = threading.Lock()


def inbound_file_waiting(*, first_id: int | None = None, linger: timedelta = timedelta(0)) -> list[InboundEmail]:
    """File a batch of what waits: the message `first_id` (the job's own) and the oldest others after it.

    `linger`: when the batch is not full, wait until its oldest message is that old, so that mail arriving
    steadily is filed a batch at a time rather than a message at a time (each batch has a cost of its own,
    and on SQLite it holds the one write lock).
    """
    with _FILING:
        batch = selectors.inbound_waiting_batch(first_id=first_id, limit=FILING_BATCH, max_bytes=FILING_BATCH_BYTES)
        if linger and batch.oldest_received_at is not None and len(batch.ids) < FILING_BATCH:
            wait = (batch.oldest_received_at + linger - timezone.now()).total_seconds()
            if wait > 0:
                # A deliberate, bounded pause in the worker (never in a request: the immediate queue passes no
                # linger), like Nagle's algorithm: at most 0.1 s of latency buys batches instead of single filings,
                # 105 → 159 messages/s on SQLite. Huey's scheduler counts whole seconds, too coarse to wait with.
                time.sleep(min(wait, linger.total_seconds()))
                batch = selectors.inbound_waiting_batch(
                    first_id=first_id, limit=FILING_BATCH, max_bytes=FILING_BATCH_BYTES
                )
        return inbound_file(inbound_ids=batch.ids)


def inbound_file(*, inbound_ids: Sequence[int]) -> list[InboundEmail]:
    """File stored messages still waiting: each becomes a new ticket, a reply on its ticket, a flagged note, a
    recognised bounce or automatic reply, or goes to the quarantine with the reason. Returns the rows filed.

    Messages are read before the transaction (on SQLite it holds the one write lock), and filed in one
    transaction: new requests together, in a few statements, the rest one by one, in order. A message already
    filed is skipped, so running this twice (a worker killed and restarted, a sweep) never files one twice; on
    PostgreSQL, rows another worker is filing are left to it.
    """
    waiting = list(
        InboundEmail.objects.select_related("mailbox__team")
        .filter(pk__in=inbound_ids, state=InboundState.RECEIVED)
        .order_by("id")
    )
    if not waiting:
        return []
    readings = {row.pk: _read(row) for row in waiting}
    with transaction.atomic():
        # The mailboxes came with the rows (their team, tier and language decide the tickets); only rows are locked.
        locked = set(
            InboundEmail.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=list(readings), state=InboundState.RECEIVED)
            .values_list("pk", flat=True)
        )
        rows = [row for row in waiting if row.pk in locked]
        outcomes = _file_all(rows, readings)
        now = timezone.now()
        for row in rows:
            filed, reading = outcomes[row.pk], readings[row.pk]
            row.attempts += 1
            if isinstance(reading, ParsedEmail):
                row.subject = reading.subject[:250]
                row.sender = reading.sender.email if reading.sender else row.sender
            row.state, row.kind, row.reason = filed.state, filed.kind, filed.reason
            row.ticket, row.message = filed.ticket, filed.message
            row.processed_at = now
        _rows_save(rows)
    return rows


def _rows_save(rows: Sequence[InboundEmail]) -> None:
    """Save what became of each row: one UPDATE statement run for every row (executemany). `bulk_update` builds
    a CASE over every field and row, which cost more than filing the messages."""
    fields = [field for field in InboundEmail._meta.concrete_fields if field.name in INBOUND_FIELDS]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.attname)} = %s" for field in fields)  # no field names its column
    statement = f"UPDATE {quote(InboundEmail._meta.db_table)} SET {assignments} WHERE {quote('id')} = %s"  # noqa: S608
    values = [
        [field.get_db_prep_save(getattr(row, field.attname), connection) for field in fields] + [row.pk] for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(statement, values)


def _read(row: InboundEmail) -> ParsedEmail | Filed:
    """The parsed message, or its place in the quarantine when it cannot be read."""
    try:
        return parse(bytes(row.raw), envelope_from=row.envelope_from)
    except ParseFailure as exc:
        return _quarantined(exc.reason)
    except Exception as exc:  # a parser bug must not leave a message waiting for ever: it waits in the quarantine
        logger.exception("Reading received email %s failed", row.pk)
        return _quarantined(_("It could not be filed: {error}").format(error=f"{exc.__class__.__name__}: {exc}"[:500]))


def _file_all(rows: Sequence[InboundEmail], readings: dict[int, ParsedEmail | Filed]) -> dict[int, Filed]:
    ours = selectors.mailbox_addresses()
    outcomes: dict[int, Filed] = {}
    _mailboxes_find(rows, readings)
    new_requests = _new_requests(rows, readings, ours)
    if new_requests:
        try:
            with transaction.atomic():
                outcomes.update(_open_tickets(new_requests))
        except (OperationalError, InterfaceError):
            raise  # the database is unwell, not the messages: the job is retried
        except Exception:  # one of them is at fault: each is filed on its own below, where its fault is its own
            logger.info("Filing %s new requests together failed; filing them one by one", len(new_requests))
    for row in rows:
        if row.pk not in outcomes:
            outcomes[row.pk] = _file_one(row, readings[row.pk], ours)
    return outcomes


def _mailboxes_find(rows: Sequence[InboundEmail], readings: dict[int, ParsedEmail | Filed]) -> None:
    """Each message's mailbox (one query for the batch): the first of ours among its envelope recipients, else
    among its To and Cc."""
    candidates: dict[int, list[str]] = {}
    for row in rows:
        if row.mailbox is None:
            reading = readings[row.pk]
            written_to = (
                [address.email for address in [*reading.to, *reading.cc]] if isinstance(reading, ParsedEmail) else []
            )
            candidates[row.pk] = [*row.envelope_to, *written_to]
    if not candidates:
        return
    found = selectors.mailboxes_by_address(address for addresses in candidates.values() for address in addresses)
    for row in rows:
        if row.pk in candidates:
            row.mailbox = next((found[address] for address in candidates[row.pk] if address in found), None)


def _file_one(row: InboundEmail, reading: ParsedEmail | Filed, ours: set[str]) -> Filed:
    if isinstance(reading, Filed):
        return reading
    try:
        with transaction.atomic():
            return _file(row, reading, ours)
    except DatabaseError:
        raise  # the database is unwell, not the message: the job is retried
    except ApplicationError as exc:
        return _quarantined(_("It could not be filed: {reason}").format(reason=exc.message))
    except Exception as exc:  # a message must never be lost to a bug: it waits in the quarantine
        logger.exception("Filing received email %s failed", row.pk)
        return _quarantined(_("It could not be filed: {error}").format(error=f"{exc.__class__.__name__}: {exc}"[:500]))


def _quarantined(reason: str) -> Filed:
    # An error's text may quote the message, NUL bytes and all (PostgreSQL refuses them).
    return Filed(state=InboundState.QUARANTINED, kind="", ticket=None, message=None, reason=storable(reason))


def _copied(parsed: ParsedEmail, *, ours: set[str]) -> list[Address]:
    """Who is copied, our own mailboxes and the sender excepted: they follow the ticket."""
    sender = parsed.sender.email if parsed.sender is not None else ""
    return [address for address in parsed.cc if address.email not in ours and address.email != sender]


def _new_requests(
    rows: Sequence[InboundEmail], readings: dict[int, ParsedEmail | Filed], ours: set[str]
) -> list[tuple[InboundEmail, ParsedEmail]]:
    """The messages that plainly open a ticket each: from someone outside, continuing no conversation (no
    In-Reply-To, References or ticket number), copying nobody, no robot, bounce or copy of a message we know."""
    candidates = []
    for row in rows:
        parsed = readings[row.pk]
        if (
            isinstance(parsed, ParsedEmail)
            and parsed.sender is not None
            and parsed.sender.email not in ours
            and parsed.bounce is None
            and not parsed.auto_reply
            and not parsed.in_reply_to
            and not parsed.references
            and parsed.ticket_number is None
            and not _copied(parsed, ours=ours)
        ):
            candidates.append((row, parsed))
    known = selectors.references_known([parsed.message_id for _row, parsed in candidates])
    seen: set[str] = set()
    plain = []
    for row, parsed in candidates:
        if parsed.message_id and (parsed.message_id in known or parsed.message_id in seen):
            continue  # a copy: filed on its own, as one
        seen.add(parsed.message_id)
        plain.append((row, parsed))
    return plain


def _open_tickets(new_requests: Sequence[tuple[InboundEmail, ParsedEmail]]) -> dict[int, Filed]:
    senders = [
        Sender(address=parsed.sender.email, name=parsed.sender.name, mailbox=row.mailbox)
        for row, parsed in new_requests
        if parsed.sender is not None
    ]
    contacts = _contacts_for(senders)
    requests = []
    for row, parsed in new_requests:
        assert parsed.sender is not None
        contact = contacts[parsed.sender.email]
        if contact.email_failing_since is not None:
            # They wrote to us from it: the address works again.
            contact_set_email_failing(contact=contact, failing=False)
        requests.append(_new_ticket(row, parsed, contact))
    opened = tickets_create(actor=None, requests=requests)
    EmailReference.objects.bulk_create(
        [
            _reference_new(parsed=parsed, row=row, ticket=new.ticket, message=new.message)
            for (row, parsed), new in zip(new_requests, opened, strict=True)
        ]
    )
    outcomes = {}
    for (row, _parsed), new in zip(new_requests, opened, strict=True):
        _acknowledge(ticket=new.ticket, contact=new.ticket.requester, mailbox=row.mailbox)
        outcomes[row.pk] = Filed(InboundState.PROCESSED, InboundKind.MESSAGE, new.ticket, new.message)
    return outcomes


def _file(row: InboundEmail, parsed: ParsedEmail, ours: set[str]) -> Filed:
    known = selectors.reference_known(parsed.message_id)
    if known is not None:
        reason = (
            _("This is a copy of an email we sent.")
            if known.direction == Direction.OUT
            else _("The same message was already received.")
        )
        return Filed(InboundState.DUPLICATE, InboundKind.MESSAGE, known.ticket, known.message, reason)
    if parsed.sender is not None and parsed.sender.email in ours:
        return Filed(
            InboundState.PROCESSED, InboundKind.AUTO_REPLY, None, None, _("Sent from one of our own mailboxes.")
        )
    if parsed.bounce is not None:
        return _file_bounce(row, parsed)
    ticket = selectors.ticket_for_email(parsed)
    if parsed.auto_reply:
        return _file_auto_reply(row, parsed, ticket)
    assert parsed.sender is not None
    contact = _contact_for(parsed, ticket=ticket, mailbox=row.mailbox)
    if contact.email_failing_since is not None:
        # They wrote to us from it: the address works again.
        contact_set_email_failing(contact=contact, failing=False)
    opened = ticket is None
    answered = selectors.outbound_answered(parsed) if ticket is None else None
    if ticket is None:
        new = tickets_create(actor=None, requests=[_new_ticket(row, parsed, contact, answering=answered)])[0]
        ticket, message = new.ticket, new.message
        if answered is not None:
            _outbound_adopt(answered, ticket)
    elif selectors.is_participant(ticket=ticket, contact=contact):
        message = ticket_reply(
            ticket=ticket,
            contact=contact,
            body=_display_text(parsed, reply=True),
            channel=Channel.EMAIL,
            attachments=_attachments(parsed),
            actor=None,
        )
        ticket = message.ticket
    else:
        message = ticket_add_contact_note(
            ticket=ticket,
            contact=contact,
            flag=MessageFlag.NON_PARTICIPANT,
            body=_display_text(parsed, reply=True),
            attachments=_attachments(parsed),
        )
    _followers_add(ticket=ticket, parsed=parsed, mailbox=row.mailbox, ours=ours)
    _reference(parsed=parsed, row=row, ticket=ticket, message=message)
    if opened and answered is None:  # an answer to our own email needs no receipt
        _acknowledge(ticket=ticket, contact=contact, mailbox=row.mailbox)
    return Filed(InboundState.PROCESSED, InboundKind.MESSAGE, ticket, message)


def _reference_new(
    *, parsed: ParsedEmail, row: InboundEmail, ticket: Ticket, message: Message | None
) -> EmailReference:
    # A message without a Message-ID is remembered by its content hash: replies cannot name it, but a second
    # delivery is still recognised.
    return EmailReference(
        message_id_header=parsed.message_id or f"sha256:{row.sha256}",
        ticket=ticket,
        message=message,
        direction=Direction.IN,
    )


def _reference(*, parsed: ParsedEmail, row: InboundEmail, ticket: Ticket, message: Message | None) -> None:
    _reference_new(parsed=parsed, row=row, ticket=ticket, message=message).save()


def _contact_for(parsed: ParsedEmail, *, ticket: Ticket | None, mailbox: Mailbox | None) -> Contact:
    assert parsed.sender is not None
    address = parsed.sender.email
    contact = selectors.contact_for_address(address=address, ticket=ticket)
    if contact is not None:
        return contact
    return _contacts_create([Sender(address=address, name=parsed.sender.name, mailbox=mailbox)])[address]


@dataclass(frozen=True)
class Sender:
    """Someone who wrote to one of our mailboxes."""

    address: str
    name: str
    mailbox: Mailbox | None


def _contacts_for(senders: Sequence[Sender]) -> dict[str, Contact]:
    """The contact of each sender's address: the newest one with it, else a new one."""
    found = selectors.contacts_for_addresses([sender.address for sender in senders])
    unknown = [sender for sender in senders if sender.address not in found]
    return {**found, **_contacts_create(unknown)} if unknown else found


def _contacts_create(senders: Sequence[Sender]) -> dict[str, Contact]:
    """Contacts for unknown senders (the first of several with one address): at the organisation that owns the
    address's domain, or each on an account of their own."""
    first: dict[str, Sender] = {}
    for sender in senders:
        first.setdefault(sender.address, sender)
    cleaned = []
    for sender in first.values():
        address = clean_email(sender.address, field="from")
        display = clean_text(sender.name, field="from", max_length=200) or address
        language = sender.mailbox.language if sender.mailbox is not None else settings.LANGUAGE_CODE
        cleaned.append((sender.address, address, display, language))
    owners = selectors.account_domains_for([address for _key, address, _display, _language in cleaned])
    contacts: dict[str, Contact] = {}
    people: list[tuple[str, NewPerson]] = []
    for key, address, display, language in cleaned:
        owned = owners.get(address.rsplit("@", 1)[-1].lower())
        if owned is not None:
            contacts[key] = contact_create(
                actor=None, account=owned.account, name=display, email=address, language=language
            )
        else:
            people.append((key, NewPerson(name=display, email=address, language=language)))
    created = people_create(actor=None, people=[person for _key, person in people])
    contacts.update(zip([key for key, _person in people], created, strict=True))
    return contacts


def _display_text(parsed: ParsedEmail, *, reply: bool) -> str:
    """The text shown on the ticket: a reply without the quoted conversation and signature, a first message
    whole (it may forward what the request is about); notes on what could not be kept follow it."""
    text = (parsed.reply_text if reply else parsed.text) or parsed.text
    notes = list(_attachment_notes(parsed))
    if "winmail.dat" in parsed.notes:
        notes.append(_("winmail.dat (Outlook's TNEF format) is kept as it came; its contents cannot be shown here."))
    if parsed.truncated:
        notes.append(
            _("The text is cut here at {limit} characters; the whole email is kept as it came.").format(
                limit=MAX_TEXT_CHARS
            )
        )
    if not text.strip():
        text = _("(This email has no text.)")
    if notes:
        # The notes always show: the text gives way to them within what a message holds.
        shown = "\n\n".join(f"[{note}]" for note in notes)[: MAX_BODY_CHARS // 2]
        text = "\n\n".join([text.strip()[: MAX_BODY_CHARS - len(shown) - 2].strip(), shown])
    return text


def _attachment_notes(parsed: ParsedEmail) -> list[str]:
    limit = settings.CAREFRONT_MAX_ATTACHMENT_BYTES
    return [
        _("{name} ({size} MB) was not kept: it is over the {limit} MB limit. It is in the original email.").format(
            name=item.filename, size=f"{len(item.content) / 1_048_576:.1f}", limit=limit // 1_048_576
        )
        for item in parsed.attachments
        if len(item.content) > limit
    ]


def _attachments(parsed: ParsedEmail) -> list[NewAttachment]:
    limit = settings.CAREFRONT_MAX_ATTACHMENT_BYTES
    return [
        NewAttachment(filename=item.filename, content_type=item.content_type, content=item.content)
        for item in parsed.attachments
        if len(item.content) <= limit
    ]


def _new_ticket(
    row: InboundEmail, parsed: ParsedEmail, contact: Contact, *, answering: OutboundEmail | None = None
) -> NewTicket:
    """A ticket for a message; one answering an email we started (`answering`) shows the answer and, quoted
    below it, what we wrote."""
    mailbox = row.mailbox
    with translation.override(supported_language(contact.language) or settings.LANGUAGE_CODE):
        subject = parsed.subject or _("(no subject)")
        body = _display_text(parsed, reply=answering is not None)
        if answering is not None:
            quoted = "\n".join(f"> {line}" for line in answering.body_text.strip().splitlines())
            intro = _("In reply to our email “{subject}”:").format(subject=answering.subject)
            body = f"{body.strip()}\n\n{intro}\n{quoted}"[:MAX_BODY_CHARS]
    return NewTicket(
        requester=contact,
        subject=subject,
        body=body,
        channel=Channel.EMAIL,
        tier=mailbox.tier if mailbox is not None else Tier.L1,
        team=mailbox.team if mailbox is not None else None,
        attachments=_attachments(parsed),
    )


def _followers_add(*, ticket: Ticket, parsed: ParsedEmail, mailbox: Mailbox | None, ours: set[str]) -> None:
    """Everyone copied on the message follows the ticket."""
    contacts = []
    for address in _copied(parsed, ours=ours):
        contact = selectors.contact_for_address(address=address.email, ticket=ticket)
        if contact is None:
            try:
                contact = _contacts_create([Sender(address=address.email, name=address.name, mailbox=mailbox)])[
                    address.email
                ]
            except ApplicationError:
                continue  # an address Django will not take is not worth refusing the whole message for
        contacts.append(contact)
    if contacts:
        ticket_add_followers(ticket=ticket, contacts=contacts, actor=None)


def _file_auto_reply(row: InboundEmail, parsed: ParsedEmail, ticket: Ticket | None) -> Filed:
    """An out-of-office or other robot: a note on its ticket when it answers one, never a ticket of its own and
    never answered."""
    if ticket is None:
        return Filed(
            InboundState.PROCESSED,
            InboundKind.AUTO_REPLY,
            None,
            None,
            _("An automatic reply ({why}) to no conversation we know: no ticket was opened.").format(
                why=parsed.auto_reply
            ),
        )
    assert parsed.sender is not None
    contact = selectors.contact_for_address(address=parsed.sender.email, ticket=ticket) or ticket.requester
    message = ticket_add_contact_note(
        ticket=ticket,
        contact=contact,
        flag=MessageFlag.AUTO_REPLY,
        body=_display_text(parsed, reply=True),
        attachments=_attachments(parsed),
    )
    _reference(parsed=parsed, row=row, ticket=ticket, message=message)
    return Filed(InboundState.PROCESSED, InboundKind.AUTO_REPLY, ticket, message, parsed.auto_reply)


def _file_bounce(row: InboundEmail, parsed: ParsedEmail) -> Filed:
    """A delivery failure: the email it reports failed, its recipients' addresses are marked failing, and its
    ticket gets a note saying so."""
    bounce = parsed.bounce
    assert bounce is not None
    original = (
        OutboundEmail.objects.filter(message_id_header=bounce.original_message_id).select_related("ticket").first()
        if bounce.original_message_id
        else None
    )
    reason = bounce.reason or parsed.subject or _("delivery failed")
    if original is not None and original.state != DeliveryState.FAILED:
        original.state, original.last_error = DeliveryState.FAILED, reason[:2000]
        original.save(update_fields=["state", "last_error"])
    ticket = original.ticket if original is not None else selectors.ticket_for_email(parsed)
    contacts: list[Contact] = []
    for address in bounce.recipients:
        contact = selectors.contact_for_address(address=address, ticket=ticket)
        if contact is not None:
            contact_set_email_failing(contact=contact, failing=True, reason=reason)
            contacts.append(contact)
    if ticket is None:
        return Filed(
            InboundState.PROCESSED,
            InboundKind.BOUNCE,
            None,
            None,
            _("A delivery failure for {recipients} ({reason}), about no email we know.").format(
                recipients=", ".join(bounce.recipients) or "?", reason=reason
            ),
        )
    body = _("Delivery to {recipients} failed: {reason}").format(
        recipients=", ".join(bounce.recipients) or "?", reason=reason
    )
    message = ticket_add_contact_note(
        ticket=ticket,
        contact=contacts[0] if contacts else ticket.requester,
        flag=MessageFlag.BOUNCE,
        body=body,
    )
    _reference(parsed=parsed, row=row, ticket=ticket, message=message)
    return Filed(InboundState.PROCESSED, InboundKind.BOUNCE, ticket, message, reason[:500])


@transaction.atomic
def inbound_reprocess(*, inbound: InboundEmail, actor: Actor) -> InboundEmail | None:
    """Try a quarantined message again (after a fix, or a mailbox set up for it)."""
    require_admin(actor)
    updated = InboundEmail.objects.filter(pk=inbound.pk, state=InboundState.QUARANTINED).update(
        state=InboundState.RECEIVED, reason=""
    )
    if not updated:
        raise ApplicationError(_("Only a quarantined message can be processed again."), status=409)
    events_record(subject_kind="inbound_email", subject_id=inbound.pk, action="reprocessed", actor=actor)
    inbound_id: int = inbound.pk
    transaction.on_commit(lambda: _process_later(inbound_id))
    return inbound


# --- mailboxes ---------------------------------------------------------------------------------------------------


def _mailbox_values(values: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for field, value in values.items():
        if field == "address":
            cleaned[field] = clean_email(value, field="address")
            if not cleaned[field]:
                raise ApplicationError(_("This field is required."), field="address")
        elif field == "name":
            cleaned[field] = one_line(clean_text(value, field="name", max_length=100), limit=100)
        elif field == "language":
            language = supported_language(value)
            if language is None:
                raise ApplicationError(
                    _("“{language}” is not a language Carefront speaks.").format(language=value), field="language"
                )
            cleaned[field] = language
        elif field == "tier":
            cleaned[field] = clean_choice(value, choices=Tier.values, field="tier")
        elif field == "signature":
            cleaned[field] = clean_text(value, field="signature", max_length=2000)
        elif field in {"auto_acknowledge", "is_active"}:
            if not isinstance(value, bool):
                raise ApplicationError(_("Must be true or false."), field=field)
            cleaned[field] = value
        elif field == "team":
            if value is not None and not isinstance(value, Team):
                raise ApplicationError(_("Unknown team."), field="team")
            cleaned[field] = value
        else:
            raise ApplicationError(_("Unknown field."), field=field)
    return cleaned


def _mailbox_unique(address: str, *, exclude_pk: int | None) -> None:
    clash = Mailbox.objects.filter(address=address)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ApplicationError(
            _("A mailbox for {address} already exists.").format(address=address), field="address", status=409
        )


@transaction.atomic
def mailbox_create(*, actor: Actor, address: str, **values: Any) -> Mailbox:
    """Add an inbound address (admins; `actor=None`: the system, e.g. the demo): its mail becomes tickets for its
    team, language and tier."""
    if actor is not None:
        require_admin(actor)
    cleaned = _mailbox_values({"address": address, **values})
    _mailbox_unique(cleaned["address"], exclude_pk=None)
    mailbox = Mailbox.objects.create(**cleaned)
    events_record(
        subject_kind="mailbox",
        subject_id=mailbox.pk,
        action="created",
        changes=[Change("address", None, mailbox.address)],
        actor=actor,
    )
    return mailbox


@transaction.atomic
def mailbox_update(*, mailbox: Mailbox, actor: Actor, **values: Any) -> Mailbox:
    require_admin(actor)
    cleaned = _mailbox_values(values)
    if "address" in cleaned:
        _mailbox_unique(cleaned["address"], exclude_pk=mailbox.pk)
    mailbox = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
    changes = []
    for field, value in cleaned.items():
        old = getattr(mailbox, field)
        if old != value:
            changes.append(Change(field, getattr(old, "name", old), getattr(value, "name", value)))
            setattr(mailbox, field, value)
    if changes:
        mailbox.save(update_fields=[change.field for change in changes])
        events_record(subject_kind="mailbox", subject_id=mailbox.pk, action="updated", changes=changes, actor=actor)
    return mailbox


@transaction.atomic
def mailbox_delete(*, mailbox: Mailbox, actor: Actor) -> None:
    require_admin(actor)
    events_record(
        subject_kind="mailbox",
        subject_id=mailbox.pk,
        action="deleted",
        changes=[Change("address", mailbox.address, None)],
        actor=actor,
    )
    mailbox.delete()


# --- sending -----------------------------------------------------------------------------------------------------


def _sender(mailbox: Mailbox | None, *, name: str = "") -> tuple[str, str]:
    """The From and Reply-To of mail about a ticket: its mailbox, else the installation's address; `name`, when
    given, is the From's display name instead of the mailbox's (an advisor writing to a client)."""
    if mailbox is not None:
        name = name or mailbox.name
        return formataddr((name, mailbox.address)) if name else mailbox.address, mailbox.address
    if name:
        return formataddr((name, parseaddr(settings.DEFAULT_FROM_EMAIL)[1])), settings.DEFAULT_FROM_EMAIL
    return settings.DEFAULT_FROM_EMAIL, settings.DEFAULT_FROM_EMAIL


def _new_message_id() -> str:
    return make_msgid(idstring="carefront", domain=settings.CAREFRONT_MAIL_DOMAIN).strip("<>")


def _queue(
    *,
    kind: str,
    ticket: Ticket | None,
    message: Message | None,
    to: Contact,
    cc: Sequence[Contact] = (),
    subject: str,
    template: str,
    context: dict[str, Any],
    mailbox: Mailbox | None,
    automatic: bool,
    sender_name: str = "",
    extra_headers: dict[str, str] | None = None,
) -> OutboundEmail:
    """Write an email once, in the recipient's language, from one template's text and HTML partials, and queue
    it for delivery after the commit (or record at once that it cannot go: the address bounces). Without a
    ticket (outreach), a reply opens one that quotes this email (see `_file`)."""
    from_address, reply_to = _sender(mailbox, name=sender_name)
    in_reply_to, references = selectors.ticket_thread_ids(ticket) if ticket is not None else ("", [])
    message_id = _new_message_id()
    headers = {"Message-ID": f"<{message_id}>", "Reply-To": reply_to, **(extra_headers or {})}
    if in_reply_to:
        headers["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        headers["References"] = " ".join(f"<{item}>" for item in references)
    if automatic:
        headers["Auto-Submitted"] = "auto-replied"
        headers["X-Auto-Response-Suppress"] = "All"
    language = supported_language(to.language) or settings.LANGUAGE_CODE
    with translation.override(language):
        full_context = {**context, "ticket": ticket, "contact": to, "mailbox": mailbox}
        body_text = render_to_string(f"{template}#text", full_context).strip() + "\n"
        body_html = render_to_string(f"{template}#html", full_context).strip()
        subject = one_line(subject, limit=300)
        failing = (
            _("Not sent: mail to {address} bounced ({reason}).").format(address=to.email, reason=to.email_failure)
            if to.email_failing_since is not None
            else ""
        )
    copied = [contact.email for contact in cc if contact.email and contact.email_failing_since is None]
    row = OutboundEmail.objects.create(
        kind=kind,
        ticket=ticket,
        message=message,
        from_address=from_address,
        to_address=to.email,
        recipients={"to": [to.email], "cc": [address for address in copied if address != to.email]},
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        headers=headers,
        message_id_header=message_id,
        state=DeliveryState.FAILED if failing else DeliveryState.QUEUED,
        last_error=failing,
    )
    if ticket is not None:
        EmailReference.objects.create(
            message_id_header=message_id, ticket=ticket, message=message, direction=Direction.OUT
        )
    if not failing:
        outbound_id = row.pk
        transaction.on_commit(lambda: _send_later(outbound_id))
    return row


def _send_later(outbound_id: int) -> None:
    from carefront.mail.tasks import send_email

    send_email(outbound_id)


def reply_email_queue(*, ticket: Ticket, message: Message) -> OutboundEmail | None:
    """Email a staff member's public reply to the requester, copying the ticket's followers (called by the
    desk's reply service inside its transaction)."""
    requester = ticket.requester
    if not requester.email:
        return None
    followers = [follower.contact for follower in ticket.followers.select_related("contact").order_by("id")[:50]]
    mailbox = selectors.mailbox_for_ticket(ticket)
    author = message.author_user
    return _queue(
        kind=OutboundKind.REPLY,
        ticket=ticket,
        message=message,
        to=requester,
        cc=followers,
        subject=f"[#{ticket.number}] {ticket.subject}",
        template="mail/email/reply.html",
        context={
            "message": message,
            "author": (author.get_full_name() or author.get_username()) if author is not None else "",
            "portal_url": settings.BASE_URL + reverse("portal:ticket", args=[ticket.number]),
        },
        mailbox=mailbox,
        automatic=False,
    )


def outreach_email_queue(
    *,
    to: Contact,
    subject: str,
    body: str,
    mailbox: Mailbox | None,
    sender_name: str = "",
    ticket: Ticket | None = None,
    unsubscribe_url: str = "",
    template: str = "mail/email/outreach.html",
    context: dict[str, Any] | None = None,
) -> OutboundEmail:
    """Queue an email we start (a follow-up, a survey): plain text written by the caller, from `sender_name` at the
    mailbox's address (replies come back to the mailbox). On `ticket`'s thread when given, so a reply continues
    it; otherwise a reply opens a ticket that quotes this email. With a one-click List-Unsubscribe link. Another
    `template` (text and html partials, like outreach.html) may lay out more than the body: a survey's score
    links, from `context`."""
    headers = {"List-Unsubscribe": f"<{unsubscribe_url}>"} if unsubscribe_url else {}
    return _queue(
        kind=OutboundKind.NOTIFICATION,
        ticket=ticket,
        message=None,
        to=to,
        subject=subject,
        template=template,
        context={**(context or {}), "body": body, "unsubscribe_url": unsubscribe_url},
        mailbox=mailbox,
        automatic=False,
        sender_name=sender_name,
        extra_headers=headers,
    )


def _outbound_adopt(outbound: OutboundEmail, ticket: Ticket) -> None:
    """An email we sent without a ticket was answered and the answer opened `ticket`: the email belongs to it
    from now on, so later replies to it thread there too."""
    outbound.ticket = ticket
    outbound.save(update_fields=["ticket"])
    EmailReference.objects.get_or_create(
        message_id_header=outbound.message_id_header,
        defaults={"ticket": ticket, "message": None, "direction": Direction.OUT},
    )


def _acknowledge(*, ticket: Ticket, contact: Contact, mailbox: Mailbox | None) -> None:
    """Tell the sender their request arrived, with its number, unless the mailbox does not, or this address had
    its allowance of acknowledgements this hour (two robots writing to each other stop here)."""
    if mailbox is not None and not mailbox.auto_acknowledge:
        return
    if mailbox is None and not settings.CAREFRONT_MAIL_ACKNOWLEDGE:
        return
    if not contact.email:
        return
    since = timezone.now() - timedelta(hours=1)
    if selectors.acknowledgements_since(address=contact.email, since=since) >= settings.CAREFRONT_MAIL_ACK_PER_HOUR:
        return
    with translation.override(supported_language(contact.language) or settings.LANGUAGE_CODE):
        subject = _("[#{number}] Received: {subject}").format(number=ticket.number, subject=ticket.subject)
    _queue(
        kind=OutboundKind.ACKNOWLEDGEMENT,
        ticket=ticket,
        message=None,
        to=contact,
        subject=subject,
        template="mail/email/acknowledgement.html",
        context={"portal_url": settings.BASE_URL + reverse("portal:ticket", args=[ticket.number])},
        mailbox=mailbox,
        automatic=True,
    )


# SMTP reply codes from 500 up refuse for good; anything else (4xx, a dropped connection) is worth retrying.
PERMANENT_SMTP_CODE = 500


@dataclass(frozen=True)
class Delivery:
    state: str
    retry_in: timedelta | None = None


def _backoff(attempts: int) -> timedelta:
    base = settings.CAREFRONT_MAIL_RETRY_SECONDS
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def outbound_deliver(*, outbound_id: int) -> Delivery:
    """Hand one queued email to the SMTP server (or Django's configured email backend); on a temporary failure
    it is deferred with an exponentially growing delay, on a permanent one, or after the last attempt, failed
    with the server's reason."""
    import smtplib

    from django.core.mail import EmailMultiAlternatives

    row = OutboundEmail.objects.filter(pk=outbound_id).first()
    if row is None or row.state in {DeliveryState.SENT, DeliveryState.FAILED}:
        return Delivery(state=row.state if row is not None else DeliveryState.FAILED)
    email = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body_text,
        from_email=row.from_address,
        to=row.recipients.get("to", []),
        cc=row.recipients.get("cc", []),
        headers=row.headers,
    )
    if row.body_html:
        email.attach_alternative(row.body_html, "text/html")
    error, permanent = "", False
    try:
        email.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _text in exc.recipients.values()]
        error = "; ".join(
            f"{address}: {code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"
            for address, (code, text) in exc.recipients.items()
        )
        permanent = all(code >= PERMANENT_SMTP_CODE for code in codes)
    except smtplib.SMTPResponseException as exc:
        message = (
            exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        )
        error, permanent = f"{exc.smtp_code} {message}", exc.smtp_code >= PERMANENT_SMTP_CODE
    except (smtplib.SMTPException, OSError) as exc:
        error = f"{exc.__class__.__name__}: {exc}"
    now = timezone.now()
    row.attempts += 1
    if not error:
        row.state, row.sent_at, row.next_attempt_at = DeliveryState.SENT, now, None
        row.save(update_fields=["state", "sent_at", "attempts", "next_attempt_at"])
        return Delivery(state=DeliveryState.SENT)
    row.last_error = error[:2000]
    if permanent or row.attempts >= settings.CAREFRONT_MAIL_MAX_ATTEMPTS:
        row.state, row.next_attempt_at = DeliveryState.FAILED, None
        row.save(update_fields=["state", "last_error", "attempts", "next_attempt_at"])
        return Delivery(state=DeliveryState.FAILED)
    delay = _backoff(row.attempts)
    row.state, row.next_attempt_at = DeliveryState.DEFERRED, now + delay
    row.save(update_fields=["state", "last_error", "attempts", "next_attempt_at"])
    return Delivery(state=DeliveryState.DEFERRED, retry_in=delay)


def outbound_due_ids(*, now: Any = None, limit: int = 500) -> list[int]:
    """Emails whose job was lost (a worker killed): queued long ago, or deferred and overdue."""
    now = now or timezone.now()
    stale = now - timedelta(minutes=10)
    queued = OutboundEmail.objects.filter(state=DeliveryState.QUEUED, queued_at__lte=stale)
    deferred = OutboundEmail.objects.filter(state=DeliveryState.DEFERRED, next_attempt_at__lte=stale)
    return sorted([*queued.values_list("pk", flat=True)[:limit], *deferred.values_list("pk", flat=True)[:limit]])[
        :limit
    ]
