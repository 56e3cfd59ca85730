"""Reads of tickets and conversations, shaped for lists and pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet

from carefront.desk.access import messages_visible_to, tickets_visible_to
from carefront.desk.models import Attachment, Message, Ticket


@dataclass(frozen=True)
class TicketFilters:
    """The filters of the ticket list, shared by the API and the workspace inbox."""

    status: str | None = None
    priority: str | None = None
    tier: int | None = None
    channel: str | None = None
    assignee: int | None = None
    unassigned: bool = False
    team: int | None = None
    account: int | None = None
    requester: int | None = None
    service_model: str | None = None
    lifecycle_stage: str | None = None
    owner: int | None = None
    tag: str | None = None
    updated_since: datetime | None = None


def tickets_list(*, user: Any, filters: TicketFilters) -> QuerySet[Ticket]:
    """Visible tickets matching the filters, with everything a list row shows in a constant number of queries."""
    tickets = (
        tickets_visible_to(user)
        .select_related("account", "account__owner", "requester", "assignee", "team")
        .prefetch_related("tags")
    )
    for field in ("status", "priority", "tier", "channel"):
        value = getattr(filters, field)
        if value is not None and value != "":
            tickets = tickets.filter(**{field: value})
    if filters.assignee is not None:
        tickets = tickets.filter(assignee_id=filters.assignee)
    if filters.unassigned:
        tickets = tickets.filter(assignee__isnull=True)
    if filters.team is not None:
        tickets = tickets.filter(team_id=filters.team)
    if filters.account is not None:
        tickets = tickets.filter(account_id=filters.account)
    if filters.requester is not None:
        tickets = tickets.filter(requester_id=filters.requester)
    if filters.service_model:
        tickets = tickets.filter(account__service_model=filters.service_model)
    if filters.lifecycle_stage:
        tickets = tickets.filter(account__lifecycle_stage=filters.lifecycle_stage)
    if filters.owner is not None:
        tickets = tickets.filter(account__owner_id=filters.owner)
    if filters.tag:
        tickets = tickets.filter(tags__name=filters.tag.lower())
    if filters.updated_since:
        tickets = tickets.filter(updated_at__gte=filters.updated_since)
    return tickets


def ticket_detail(*, ticket_id: int) -> Ticket:
    return (
        Ticket.objects.select_related("account", "account__owner", "requester", "assignee", "team")
        .prefetch_related("tags")
        .get(pk=ticket_id)
    )


def messages_list(*, user: Any, ticket: Ticket) -> QuerySet[Message]:
    return (
        messages_visible_to(user, ticket)
        .select_related("author_user", "author_contact")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
    )
