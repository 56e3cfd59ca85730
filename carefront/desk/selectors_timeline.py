"""The desk's kinds of account-timeline entries: tickets opened, their messages (public replies and internal
notes), and the changes made to them. Registered from `DeskConfig.ready()`."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carefront.accounts.selectors_timeline import TimelineSource, TimelineSummary, timeline_source_register
from carefront.desk.access import tickets_visible_to
from carefront.desk.selectors import messages_of_account, ticket_events_of_account


def _tickets(user: Any, account_id: int) -> QuerySet[Any]:
    return tickets_visible_to(user).filter(account_id=account_id).select_related("requester")


def _describe_ticket(ticket: Any) -> TimelineSummary:
    return TimelineSummary(
        title=_("Ticket #{number} opened").format(number=ticket.number),
        summary=ticket.subject,
        links={"ticket_id": ticket.pk, "ticket_number": ticket.number},
    )


def _messages(user: Any, account_id: int) -> QuerySet[Any]:
    # Internal notes are messages too: `messages_of_account` leaves them out for a portal contact.
    return messages_of_account(user=user, account_id=account_id)


def _describe_message(message: Any) -> TimelineSummary:
    if message.visibility == "internal":
        title = _("Internal note on #{number}").format(number=message.ticket.number)
    else:
        title = _("Message on #{number}").format(number=message.ticket.number)
    return TimelineSummary(
        title=title,
        summary=message.body_text[:240],
        links={"ticket_id": message.ticket_id, "ticket_number": message.ticket.number, "message_id": message.pk},
    )


def _shown(events: QuerySet[Any]) -> QuerySet[Any]:
    # The ticket, its replies and its notes are entries of their own; their events would only repeat them.
    return events.exclude(action__in=["created", "noted"]).exclude(action="replied", field="")


def _ticket_changes(user: Any, account_id: int) -> QuerySet[Any]:
    return _shown(ticket_events_of_account(account_id=account_id))


def _describe_ticket_change(event: Any) -> TimelineSummary:
    from carefront.web.templatetags.carefront_audit import audit_action, audit_field

    title = _("#{number} {action}").format(number=event.ticket_number, action=audit_action(event.action))
    if event.field:
        title = _("{action}: {field}").format(action=title, field=audit_field(event.field))
    return TimelineSummary(
        title=title, summary=event.reason, links={"event_id": event.pk, "ticket_number": event.ticket_number}
    )


def register() -> None:
    """The desk's kinds; ranks 1 (ticket changes), 2 (messages) and 3 (tickets)."""
    timeline_source_register(
        TimelineSource(
            key="ticket_change",
            label=gettext_lazy("Ticket changes"),
            rank=1,
            rows=_ticket_changes,
            time_field="occurred_at",
            template="web/timeline/ticket_change.html",
            describe=_describe_ticket_change,
        )
    )
    timeline_source_register(
        TimelineSource(
            key="message",
            label=gettext_lazy("Messages and notes"),
            rank=2,
            rows=_messages,
            time_field="created_at",
            template="web/timeline/message.html",
            describe=_describe_message,
            portal=True,
        )
    )
    timeline_source_register(
        TimelineSource(
            key="ticket",
            label=gettext_lazy("Tickets"),
            rank=3,
            rows=_tickets,
            time_field="created_at",
            template="web/timeline/ticket.html",
            describe=_describe_ticket,
            portal=True,
        )
    )
