"""Which tickets and messages a user may see: staff see all, a contact only their account's public conversation."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from carefront.core.access import is_staff_member, portal_account_id
from carefront.core.selectors import unique_or_none
from carefront.desk.models import Attachment, Calendar, Macro, Message, SlaPolicy, Ticket, Visibility


def tickets_visible_to(user: Any) -> QuerySet[Ticket]:
    if is_staff_member(user):
        return Ticket.objects.all()
    account_id = portal_account_id(user)
    if account_id is None:
        return Ticket.objects.none()
    return Ticket.objects.filter(account_id=account_id)


def messages_visible_to(user: Any, ticket: Ticket) -> QuerySet[Message]:
    messages = Message.objects.filter(ticket=ticket)
    if not is_staff_member(user):
        messages = messages.filter(visibility=Visibility.PUBLIC)
    return messages


def access_ticket(*, user: Any, ticket_id: int) -> Ticket:
    """The ticket, or 404 for anything the user may not see."""
    ticket = unique_or_none(tickets_visible_to(user).filter(pk=ticket_id))
    if ticket is None:
        raise Http404
    return ticket


def access_ticket_by_number(*, user: Any, number: int) -> Ticket:
    """The ticket with this number (as people quote it), or 404 for anything the user may not see."""
    ticket = unique_or_none(tickets_visible_to(user).filter(number=number))
    if ticket is None:
        raise Http404
    return ticket


def access_attachment(*, user: Any, ticket_id: int, message_id: int, attachment_id: int) -> Attachment:
    ticket = access_ticket(user=user, ticket_id=ticket_id)
    attachment = Attachment.objects.filter(
        pk=attachment_id, message_id=message_id, message__in=messages_visible_to(user, ticket)
    ).first()
    if attachment is None:
        raise Http404
    return attachment


def access_calendar(*, user: Any, calendar_id: int) -> Calendar:
    """A business calendar, for staff; anyone else gets a 404."""
    calendar = unique_or_none(Calendar.objects.filter(pk=calendar_id)) if is_staff_member(user) else None
    if calendar is None:
        raise Http404
    return calendar


def access_sla_policy(*, user: Any, policy_id: int) -> SlaPolicy:
    """An SLA policy, for staff; anyone else gets a 404."""
    policy = unique_or_none(SlaPolicy.objects.filter(pk=policy_id)) if is_staff_member(user) else None
    if policy is None:
        raise Http404
    return policy


def macros_visible_to(user: Any) -> QuerySet[Macro]:
    """Shared macros and the user's own: staff only."""
    if not is_staff_member(user):
        return Macro.objects.none()
    return Macro.objects.filter(Q(owner__isnull=True) | Q(owner_id=user.pk))


def access_macro(*, user: Any, macro_id: int) -> Macro:
    """A macro the user may use (shared, or their own); anything else is a 404."""
    macro = unique_or_none(macros_visible_to(user).filter(pk=macro_id))
    if macro is None:
        raise Http404
    return macro
