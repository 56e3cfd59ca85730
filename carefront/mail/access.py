"""Who may see the email channel's rows: mailboxes and received mail are admins' business; delivery states of a
ticket's mail follow the ticket."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from carefront.core.access import staff_role
from carefront.core.models import Role
from carefront.core.selectors import unique_or_none
from carefront.desk.access import access_ticket, access_ticket_by_number
from carefront.mail.models import InboundEmail, Mailbox, OutboundEmail


def _is_admin(user: Any) -> bool:
    return staff_role(user) == Role.ADMIN


def access_mailbox(*, user: Any, mailbox_id: int) -> Mailbox:
    mailbox = unique_or_none(Mailbox.objects.filter(pk=mailbox_id)) if _is_admin(user) else None
    if mailbox is None:
        raise Http404
    return mailbox


def access_inbound(*, user: Any, inbound_id: int) -> InboundEmail:
    """A received message (with its raw bytes), for an admin; anyone else gets a 404."""
    inbound = unique_or_none(InboundEmail.objects.filter(pk=inbound_id)) if _is_admin(user) else None
    if inbound is None:
        raise Http404
    return inbound


def access_ticket_original(*, user: Any, number: int, message_id: int) -> InboundEmail:
    """The received email a ticket message came from, for staff who may see the ticket."""
    ticket = access_ticket_by_number(user=user, number=number)
    if staff_role(user) is None:
        raise Http404
    inbound = unique_or_none(InboundEmail.objects.filter(message_id=message_id, message__ticket=ticket))
    if inbound is None:
        raise Http404
    return inbound


def outbound_visible_to(user: Any, *, ticket_id: int) -> QuerySet[OutboundEmail]:
    """The mail sent about a ticket, for staff who may see it."""
    ticket = access_ticket(user=user, ticket_id=ticket_id)
    if staff_role(user) is None:
        raise Http404
    return OutboundEmail.objects.filter(ticket=ticket)
