"""Reads of the email channel: which mailbox a message is for, which ticket a reply belongs to, and the lists
the workspace and the API show."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db.models import QuerySet

from carefront.accounts.models import AccountDomain, Contact
from carefront.desk.models import Ticket, TicketFollower
from carefront.mail.models import EmailReference, InboundEmail, InboundState, Mailbox, OutboundEmail, OutboundKind
from carefront.mail.parsing import ParsedEmail

# A ticket merged into another which was merged in turn: followed this far, no further.
MAX_MERGE_HOPS = 10


def mailboxes_list() -> QuerySet[Mailbox]:
    return Mailbox.objects.select_related("team").order_by("address")


def mailboxes_by_address(addresses: Iterable[str]) -> dict[str, Mailbox]:
    """Our active mailboxes among these addresses, by address (lower case)."""
    wanted = list(dict.fromkeys(address.strip().lower() for address in addresses if address))[:200]
    if not wanted:
        return {}
    return {
        box.address: box for box in Mailbox.objects.select_related("team").filter(address__in=wanted, is_active=True)
    }


def mailbox_for_addresses(addresses: Iterable[str]) -> Mailbox | None:
    """The first active mailbox among these addresses (envelope recipients, or To and Cc)."""
    wanted = [address.strip().lower() for address in addresses if address]
    found = mailboxes_by_address(wanted)
    return next((found[address] for address in wanted if address in found), None)


# How long the listener trusts its list of active mailboxes to say yes: a mailbox just deactivated may still
# receive mail that long (it is kept and filed all the same); a new one is found at once.
ACCEPTED_CACHE_SECONDS = 10


def recipient_accepted(address: str) -> bool:
    """Whether the SMTP listener takes mail for this address: one of our active mailboxes, or anything at all
    while no mailbox is configured (a new installation). A yes comes from a list read at most every few seconds
    (a query per message, and on PostgreSQL a round trip, before the sender may go on); a no is always checked."""
    address = address.strip().lower()
    active: set[str] = (
        cache.get_or_set(
            "mail:active-mailboxes",
            lambda: set(Mailbox.objects.filter(is_active=True).values_list("address", flat=True)),
            ACCEPTED_CACHE_SECONDS,
        )
        or set()
    )
    if address in active or Mailbox.objects.filter(address=address, is_active=True).exists():
        return True
    return not Mailbox.objects.exists()


def mailbox_addresses() -> set[str]:
    return set(Mailbox.objects.values_list("address", flat=True))


def mailbox_for_ticket(ticket: Ticket) -> Mailbox | None:
    """The mailbox a ticket's mail came to most recently: its replies are sent from there."""
    row = (
        InboundEmail.objects.filter(ticket=ticket, mailbox__isnull=False, mailbox__is_active=True)
        .select_related("mailbox")
        .order_by("-id")
        .first()
    )
    return row.mailbox if row is not None else None


def _unmerged(ticket: Ticket | None) -> Ticket | None:
    hops = 0
    while ticket is not None and ticket.merged_into_id is not None and hops < MAX_MERGE_HOPS:
        ticket = Ticket.objects.filter(pk=ticket.merged_into_id).first()
        hops += 1
    return ticket


def ticket_for_email(parsed: ParsedEmail) -> Ticket | None:
    """The ticket a message continues: by In-Reply-To and References against every Message-ID we sent or
    received (newest reference first), then by a `[#1234]` ticket reference in the subject; never by the
    subject's words."""
    candidates = list(dict.fromkeys([*parsed.in_reply_to, *reversed(parsed.references)]))[:100]
    if candidates:
        tickets = dict(
            EmailReference.objects.filter(message_id_header__in=candidates).values_list(
                "message_id_header", "ticket_id"
            )
        )
        for message_id in candidates:
            if message_id in tickets:
                return _unmerged(Ticket.objects.filter(pk=tickets[message_id]).first())
    number = parsed.ticket_number
    if number is not None:
        return _unmerged(Ticket.objects.filter(number=number).first())
    return None


def outbound_answered(parsed: ParsedEmail) -> OutboundEmail | None:
    """The email we started without a ticket (outreach) that this message answers, by In-Reply-To and
    References."""
    candidates = list(dict.fromkeys([*parsed.in_reply_to, *reversed(parsed.references)]))[:100]
    if not candidates:
        return None
    return OutboundEmail.objects.filter(message_id_header__in=candidates, ticket__isnull=True).order_by("-id").first()


def mailbox_for_outreach(*, team_ids: Iterable[int] = ()) -> Mailbox | None:
    """The mailbox an email we start is sent from (replies come back to it): an active one of these teams
    (the advisor's), else the workspace's first active mailbox; None: the installation's address."""
    active = Mailbox.objects.filter(is_active=True).select_related("team").order_by("id")
    teams = list(team_ids)
    if teams:
        found = active.filter(team_id__in=teams).first()
        if found is not None:
            return found
    return active.first()


def reference_known(message_id: str) -> EmailReference | None:
    if not message_id:
        return None
    return EmailReference.objects.filter(message_id_header=message_id).first()


def references_known(message_ids: Iterable[str]) -> set[str]:
    """Which of these Message-IDs we already sent or received."""
    wanted = [message_id for message_id in message_ids if message_id]
    if not wanted:
        return set()
    return set(EmailReference.objects.filter(message_id_header__in=wanted).values_list("message_id_header", flat=True))


def contact_for_address(*, address: str, ticket: Ticket | None = None) -> Contact | None:
    """The contact who writes from this address: on the ticket's account or following it when there is a
    ticket, else the newest contact with the address."""
    contacts = Contact.objects.filter(email=address).select_related("account")
    if ticket is not None:
        on_ticket = contacts.filter(account_id=ticket.account_id).order_by("-id").first()
        if on_ticket is not None:
            return on_ticket
        follower = TicketFollower.objects.filter(ticket=ticket, contact__email=address).select_related(
            "contact__account"
        )
        found = follower.first()
        if found is not None:
            return found.contact
    return contacts.order_by("-id").first()


def contacts_for_addresses(addresses: Iterable[str]) -> dict[str, Contact]:
    """The newest contact with each of these addresses (those that have one)."""
    wanted = list(dict.fromkeys(addresses))
    if not wanted:
        return {}
    found: dict[str, Contact] = {}
    for contact in Contact.objects.filter(email__in=wanted).select_related("account").order_by("-id"):
        found.setdefault(contact.email, contact)
    return found


def account_domains_for(addresses: Iterable[str]) -> dict[str, AccountDomain]:
    """The organisations that own these addresses' domains, by domain."""
    domains = {address.rsplit("@", 1)[-1].lower() for address in addresses}
    if not domains:
        return {}
    return {row.domain: row for row in AccountDomain.objects.filter(domain__in=domains).select_related("account")}


def is_participant(*, ticket: Ticket, contact: Contact) -> bool:
    """The requester and the ticket's followers take part; anyone else writing in is a non-participant."""
    if contact.pk == ticket.requester_id:
        return True
    return TicketFollower.objects.filter(ticket=ticket, contact=contact).exists()


def ticket_thread_ids(ticket: Ticket, *, limit: int = 20) -> tuple[str, list[str]]:
    """The Message-ID to answer (the newest one we received) and the References chain, oldest first."""
    references = list(
        EmailReference.objects.filter(ticket=ticket)
        .order_by("-id")
        .values_list("message_id_header", "direction")[:limit]
    )
    references.reverse()
    # A hash stands in for a missing or overlong Message-ID: it names no message a mail program knows.
    references = [
        (message_id, direction) for message_id, direction in references if not message_id.startswith("sha256:")
    ]
    received = [message_id for message_id, direction in references if direction == "in"]
    return (received[-1] if received else ""), [message_id for message_id, _direction in references]


def acknowledgements_since(*, address: str, since: object) -> int:
    return OutboundEmail.objects.filter(
        to_address=address, kind=OutboundKind.ACKNOWLEDGEMENT, queued_at__gte=since
    ).count()


def inbound_pending_ids(*, older_than: object, limit: int = 1000) -> list[int]:
    return list(
        InboundEmail.objects.filter(state=InboundState.RECEIVED, received_at__lte=older_than)
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )


@dataclass(frozen=True)
class WaitingBatch:
    ids: list[int]
    oldest_received_at: datetime | None


def inbound_waiting_batch(*, first_id: int | None, limit: int, max_bytes: int) -> WaitingBatch:
    """A batch of messages waiting to be filed: `first_id`, then the oldest others, up to `limit` messages and
    `max_bytes` of raw email (the first one whatever its size)."""
    rows = InboundEmail.objects.filter(state=InboundState.RECEIVED).values_list("pk", "size", "received_at")
    waiting = list(rows.order_by("id")[:limit])
    if first_id is not None and all(pk != first_id for pk, _size, _at in waiting):
        waiting = list(rows.filter(pk=first_id)) + waiting
    batch: list[int] = []
    oldest: datetime | None = None
    total = 0
    for pk, size, received_at in waiting[:limit]:
        if batch and total + size > max_bytes:
            break
        batch.append(pk)
        total += size
        oldest = received_at if oldest is None else min(oldest, received_at)
    return WaitingBatch(ids=batch, oldest_received_at=oldest)


def quarantine_page(*, before: int | None = None, size: int = 50) -> list[InboundEmail]:
    rows = InboundEmail.objects.filter(state=InboundState.QUARANTINED).defer("raw").order_by("-id")
    if before is not None:
        rows = rows.filter(pk__lt=before)
    return list(rows[:size])


def outbound_for_ticket(ticket: Ticket, *, limit: int = 50) -> list[OutboundEmail]:
    """The newest mail sent about a ticket (replies, acknowledgements), newest first."""
    return list(OutboundEmail.objects.filter(ticket=ticket).defer("body_text", "body_html").order_by("-id")[:limit])


@dataclass(frozen=True)
class MessagesEmail:
    """For the messages of a conversation: which came by email (their original can be opened) and the delivery
    of each one we emailed."""

    originals: set[int]
    deliveries: dict[int, OutboundEmail]


def messages_email(message_ids: Sequence[int]) -> MessagesEmail:
    """Two queries, however long the conversation."""
    originals = set(InboundEmail.objects.filter(message_id__in=message_ids).values_list("message_id", flat=True))
    deliveries: dict[int, OutboundEmail] = {}
    rows = OutboundEmail.objects.filter(message_id__in=message_ids).defer("body_text", "body_html").order_by("id")
    for row in rows:
        if row.message_id is not None:
            deliveries[row.message_id] = row
    return MessagesEmail(originals=originals, deliveries=deliveries)


def ticket_followers(ticket: Ticket) -> list[Contact]:
    return [
        follower.contact
        for follower in TicketFollower.objects.filter(ticket=ticket).select_related("contact").order_by("id")[:50]
    ]
