"""REST endpoints across tickets and on a conversation's tone: merge, link, split, difficult conversations."""

from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import StrictBool

from carefront.api.common import ERRORS, Id, StrictIn, staff_actor
from carefront.desk import selectors
from carefront.desk.access import access_ticket
from carefront.desk.api import TicketOut
from carefront.desk.conversation_services import (
    difficult_checklist_set,
    message_split,
    ticket_clear_difficult,
    ticket_flag_difficult,
    ticket_link,
    ticket_merge,
    ticket_unlink,
)
from carefront.desk.models import Message

router = Router(tags=["tickets"])

ChecklistItem = Literal["listen", "acknowledge", "apologise", "restate", "next_step", "direct_line", "follow_up"]


class MergeIn(StrictIn):
    target_id: Id = Field(description="The ticket this one is a duplicate of; its messages move there.")
    reason: str = Field("", max_length=1000)


class LinkedOut(Schema):
    id: int
    number: int
    subject: str
    status: str


class LinkIn(StrictIn):
    ticket_id: Id


class SplitIn(StrictIn):
    subject: str = Field("", max_length=250, description="Blank: the original ticket's subject.")


class DifficultIn(StrictIn):
    reason: str = Field(min_length=1, max_length=1000)


class ChecklistIn(StrictIn):
    done: StrictBool


def _staff_ticket(request: HttpRequest, ticket_id: int) -> tuple[Any, Any]:
    user = staff_actor(request)
    return user, access_ticket(user=user, ticket_id=ticket_id)


@router.post(
    "/tickets/{ticket_id}/merge",
    response={200: TicketOut, **ERRORS},
    summary="Merge a duplicate into another ticket of the same account (it is closed, its messages move)",
)
def merge_ticket(request: HttpRequest, ticket_id: Id, payload: MergeIn) -> Any:
    user, ticket = _staff_ticket(request, ticket_id)
    target = access_ticket(user=user, ticket_id=payload.target_id)
    merged = ticket_merge(source=ticket, target=target, actor=user, reason=payload.reason)
    return selectors.ticket_detail(ticket_id=merged.pk, staff_detail=True)


@router.get("/tickets/{ticket_id}/links", response={200: list[LinkedOut], **ERRORS}, summary="Linked tickets")
def list_links(request: HttpRequest, ticket_id: Id) -> Any:
    _user, ticket = _staff_ticket(request, ticket_id)
    return list(selectors.ticket_links(ticket=ticket))


@router.post("/tickets/{ticket_id}/links", response={201: list[LinkedOut], **ERRORS}, summary="Link two tickets")
def create_link(request: HttpRequest, ticket_id: Id, payload: LinkIn) -> Any:
    user, ticket = _staff_ticket(request, ticket_id)
    ticket_link(ticket=ticket, other=access_ticket(user=user, ticket_id=payload.ticket_id), actor=user)
    return Status(201, list(selectors.ticket_links(ticket=ticket)))


@router.delete("/tickets/{ticket_id}/links/{other_id}", response={204: None, **ERRORS}, summary="Unlink two tickets")
def delete_link(request: HttpRequest, ticket_id: Id, other_id: Id) -> Any:
    user, ticket = _staff_ticket(request, ticket_id)
    ticket_unlink(ticket=ticket, other=access_ticket(user=user, ticket_id=other_id), actor=user)
    return Status(204, None)


@router.post(
    "/tickets/{ticket_id}/messages/{message_id}/split",
    response={201: TicketOut, **ERRORS},
    summary="Make a requester's message a ticket of its own, linked to this one",
)
def split_message(request: HttpRequest, ticket_id: Id, message_id: Id, payload: SplitIn) -> Any:
    user, ticket = _staff_ticket(request, ticket_id)
    message = Message.objects.filter(ticket=ticket, pk=message_id).first()
    if message is None:
        raise Http404
    new = message_split(message=message, actor=user, subject=payload.subject)
    return Status(201, selectors.ticket_detail(ticket_id=new.pk, staff_detail=True))


@router.put(
    "/tickets/{ticket_id}/difficult",
    response={200: TicketOut, **ERRORS},
    summary="Flag a difficult conversation (change rules may route it to a senior)",
)
def flag_difficult(request: HttpRequest, ticket_id: Id, payload: DifficultIn) -> Any:
    user, ticket = _staff_ticket(request, ticket_id)
    ticket_flag_difficult(ticket=ticket, actor=user, reason=payload.reason)
    return selectors.ticket_detail(ticket_id=ticket_id, staff_detail=True)


@router.delete("/tickets/{ticket_id}/difficult", response={200: TicketOut, **ERRORS}, summary="Clear the flag")
def clear_difficult(request: HttpRequest, ticket_id: Id) -> Any:
    user, ticket = _staff_ticket(request, ticket_id)
    ticket_clear_difficult(ticket=ticket, actor=user)
    return selectors.ticket_detail(ticket_id=ticket_id, staff_detail=True)


@router.put(
    "/tickets/{ticket_id}/difficult/checklist/{item}",
    response={200: TicketOut, **ERRORS},
    summary="Tick or untick an item of the de-escalation checklist",
)
def set_checklist(request: HttpRequest, ticket_id: Id, item: ChecklistItem, payload: ChecklistIn) -> Any:
    user, ticket = _staff_ticket(request, ticket_id)
    difficult_checklist_set(ticket=ticket, actor=user, item=item, done=payload.done)
    return selectors.ticket_detail(ticket_id=ticket_id, staff_detail=True)
