"""REST endpoints for tickets, their messages and their audit trail."""

import base64
import binascii
from datetime import datetime, timedelta
from typing import Any, Literal

from django.contrib.auth import get_user_model
from django.http import FileResponse, Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StrictInt

from carefront.accounts.access import access_contact
from carefront.api.common import (
    ERRORS,
    EventOut,
    Id,
    IdCursorPagination,
    IsoDatetime,
    OldestFirstPagination,
    StrictIn,
    UserRef,
    actor,
    staff_actor,
    team_by_id,
    user_by_id,
)
from carefront.core.access import is_staff_member, portal_account_id, require_admin, require_manager
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Tag
from carefront.core.selectors import events_for
from carefront.desk import selectors, services
from carefront.desk.access import access_attachment, access_ticket
from carefront.desk.models import Message, Ticket, Tier
from carefront.desk.routing_selectors import ticket_routing
from carefront.desk.sla_selectors import TicketSla, ticket_sla

router = Router(tags=["tickets"])
User = get_user_model()

StatusName = Literal["new", "open", "pending", "on_hold", "solved", "closed"]
PriorityName = Literal["low", "normal", "high", "urgent"]
ChannelName = Literal["email", "portal", "chat", "phone", "social", "api"]
TierNumber = Literal[0, 1, 2, 3]


class AccountRef(Schema):
    """The ticket's account, with its service model: visible wherever a ticket is."""

    id: int
    name: str
    service_model: str
    lifecycle_stage: str
    owner: UserRef | None


class ContactRef(Schema):
    id: int
    name: str
    email: str


class TeamRef(Schema):
    id: int
    name: str


class SlaTargetOut(Schema):
    metric: Literal["first_response", "next_response", "resolution"]
    target_minutes: int = Field(description="The target, in business minutes.")
    elapsed_minutes: int = Field(description="Business minutes counted so far (pauses excluded).")
    due_at: datetime | None = Field(description="When the target is due; none while paused or once met.")
    state: Literal["active", "paused", "achieved", "breached"]
    warning: bool = Field(description="Past the policy's warning share of the target and not yet breached.")
    breached_at: datetime | None
    achieved_at: datetime | None


class SlaOut(Schema):
    policy_id: int | None
    policy: str | None
    state: Literal["active", "warning", "paused", "achieved", "breached"]
    targets: list[SlaTargetOut]


def _staff_detail(ticket: Ticket) -> bool:
    """Whether the ticket was read with its SLA clocks (the selectors do so for staff only)."""
    return "sla_clocks" in getattr(ticket, "_prefetched_objects_cache", {})


class RuleRef(Schema):
    id: int
    name: str


class RoutingOut(Schema):
    rules: list[RuleRef] = Field(description="The routing rules that matched, in the order they ran.")
    assigned_by: Literal["rule", "owner", "owner_away", "team"] | None = Field(
        description="rule: a rule named the assignee; owner: the client's owner; owner_away: the owner is away, so "
        "the owner's team; team: the team's strategy."
    )
    strategy: Literal["round_robin", "least_open", "skill_language"] | None = Field(
        description="The team strategy that picked the assignee (or found no one available)."
    )
    routed_at: datetime


class TicketOut(Schema):
    id: int
    number: int
    subject: str
    status: str
    priority: str
    tier: int
    channel: str
    account: AccountRef
    requester: ContactRef
    assignee: UserRef | None
    team: TeamRef | None
    tags: list[str]
    follow_up_of_id: Id | None
    merged_into_id: Id | None = Field(description="The ticket this duplicate was merged into.")
    difficult_since: datetime | None = Field(description="Flagged as a difficult conversation since then.")
    difficult_checklist: list[str] | None = Field(description="De-escalation checklist items done so far.")
    waiting_on_client_since: datetime | None = Field(
        description="Since when an open dependency (something the client owes us) blocks it; its SLA clocks pause."
    )
    external_id: str | None
    first_responded_at: datetime | None
    solved_at: datetime | None
    closed_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime

    sla: SlaOut | None = Field(
        description="The SLA policy that times the ticket and the state of each target (staff only; null for contacts)."
    )
    time_spent_minutes: int | None = Field(
        description="Staff minutes recorded on the ticket's replies and notes (staff only; null for contacts)."
    )
    routing: RoutingOut | None = Field(
        description="Why the ticket is where it is: the rules that matched and how the assignee was chosen "
        "(staff only; null for contacts and for tickets routing never touched)."
    )

    @staticmethod
    def resolve_tags(obj: Ticket) -> list[str]:
        return sorted(tag.name for tag in obj.tags.all())

    @staticmethod
    def resolve_time_spent_minutes(obj: Ticket) -> int | None:
        # Staff reads carry the sum (the selectors' staff_detail); a ticket just created has spent none yet.
        if not _staff_detail(obj):
            return None
        return int(getattr(obj, "time_spent_minutes", 0) or 0)

    @staticmethod
    def resolve_routing(obj: Ticket) -> dict[str, Any] | None:
        routing = ticket_routing(obj) if _staff_detail(obj) else None
        if routing is None:
            return None
        return {
            "rules": [{"id": rule_id, "name": name} for rule_id, name in routing.rules],
            "assigned_by": routing.assigned_by or None,
            "strategy": routing.strategy or None,
            "routed_at": routing.routed_at,
        }

    @staticmethod
    def resolve_sla(obj: Ticket) -> TicketSla | None:
        return ticket_sla(obj.sla_clocks.all()) if _staff_detail(obj) else None


class AttachmentIn(StrictIn):
    filename: str = Field(max_length=200, min_length=1)
    content_type: str = Field("application/octet-stream", max_length=100)
    content_base64: str = Field(description="The file's bytes, base64-encoded.")


class TicketIn(StrictIn):
    requester_id: Id | None = Field(
        None, description="The contact the ticket is for; a contact's own token may omit it."
    )
    subject: str = Field(max_length=250, min_length=1)
    body: str = Field(max_length=100_000, min_length=1)
    body_html: str | None = Field(None, max_length=500_000)
    channel: ChannelName = "api"
    priority: PriorityName = "normal"
    tier: TierNumber = 1
    assignee_id: Id | None = None
    team_id: Id | None = None
    tags: list[str] = Field(default_factory=list, max_length=50)
    external_id: str | None = Field(None, max_length=100)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)


class TicketPatch(StrictIn):
    subject: str | None = Field(None, max_length=250, min_length=1)
    status: StatusName | None = None
    priority: PriorityName | None = None
    tier: TierNumber | None = None
    assignee_id: Id | None = None
    team_id: Id | None = None
    tags: list[str] | None = Field(None, max_length=50)
    reason: str = Field("", max_length=1000)
    version: Id | None = Field(None, description="The version you read; a stale one is refused with 409.")


class TicketQuery(Schema):
    status: StatusName | None = None
    priority: PriorityName | None = None
    tier: TierNumber | None = None
    channel: ChannelName | None = None
    assignee: Id | None = None
    unassigned: bool = False
    team: Id | None = None
    account: Id | None = None
    requester: Id | None = None
    service_model: Literal["customer", "client"] | None = None
    lifecycle_stage: Literal["prospect", "new", "repeat", "client", "at_risk", "churned"] | None = None
    owner: Id | None = None
    tag: str | None = Field(None, max_length=50)
    updated_since: IsoDatetime | None = None
    sla: Literal["breached", "warning"] | None = Field(
        None, description="Tickets with a target breached, or past its warning share and not yet breached."
    )
    saved_segment: Id | None = Field(
        None, description="Tickets of the accounts in this saved segment (/api/v1/insights/segments)."
    )


class AuthorOut(Schema):
    kind: Literal["staff", "contact"]
    id: int
    name: str


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    url: str


class MessageOut(Schema):
    id: int
    ticket_id: Id
    visibility: str
    author: AuthorOut
    channel: str
    body_text: str
    body_html: str
    attachments: list[AttachmentOut]
    minutes_spent: int
    created_at: datetime

    @staticmethod
    def resolve_minutes_spent(obj: Message) -> int:
        return obj.minutes_spent or 0

    @staticmethod
    def resolve_author(obj: Message) -> dict[str, Any]:
        if obj.author_user is not None:
            user = obj.author_user
            return {"kind": "staff", "id": user.pk, "name": user.get_full_name() or user.get_username()}
        contact = obj.author_contact
        assert contact is not None
        return {"kind": "contact", "id": contact.pk, "name": contact.name}

    @staticmethod
    def resolve_attachments(obj: Message) -> list[dict[str, Any]]:
        return [
            {
                "id": a.pk,
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "url": f"/api/v1/tickets/{obj.ticket_id}/messages/{obj.pk}/attachments/{a.pk}",
            }
            for a in obj.attachments.all()
        ]


class MessageIn(StrictIn):
    body: str = Field(max_length=100_000, min_length=1)
    body_html: str | None = Field(None, max_length=500_000)
    visibility: Literal["public", "internal"] = "public"
    status: StatusName | None = Field(None, description="Staff only: the status to set with this reply.")
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)
    minutes_spent: StrictInt = Field(0, ge=0, le=1440, description="Staff only: minutes spent on this reply or note.")


def _attachments(items: list[AttachmentIn]) -> list[services.NewAttachment]:
    decoded = []
    for index, item in enumerate(items):
        try:
            content = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ApplicationError(_("Not valid base64."), field=f"attachments[{index}].content_base64") from exc
        decoded.append(services.NewAttachment(filename=item.filename, content_type=item.content_type, content=content))
    return decoded


@router.get("/tickets", response={200: list[TicketOut], **ERRORS}, summary="List tickets")
@paginate(IdCursorPagination)
def list_tickets(request: HttpRequest, filters: Query[TicketQuery]) -> Any:
    user = actor(request)
    return selectors.tickets_list(
        user=user, filters=selectors.TicketFilters(**filters.dict()), staff_detail=is_staff_member(user)
    )


@router.post("/tickets", response={201: TicketOut, **ERRORS}, summary="Open a ticket")
def create_ticket(request: HttpRequest, payload: TicketIn) -> Any:
    user = actor(request)
    if is_staff_member(user):
        if payload.requester_id is None:
            raise ApplicationError(_("Say whom the ticket is for."), field="requester_id")
        requester = access_contact(user=user, contact_id=payload.requester_id)
    else:
        own = getattr(user, "contact", None)
        if own is None or portal_account_id(user) is None:
            raise ApplicationError(_("Only staff and contacts may open tickets."), status=403)
        if payload.requester_id not in (None, own.pk):
            access_contact(user=user, contact_id=payload.requester_id)
            raise ApplicationError(_("A contact opens tickets for themselves only."), field="requester_id", status=403)
        for field in ("assignee_id", "team_id", "external_id"):
            if getattr(payload, field) is not None:
                raise ApplicationError(_("Only staff may set this."), field=field, status=403)
        if payload.tags or payload.tier != 1:
            raise ApplicationError(_("Only staff may set this."), field="tags" if payload.tags else "tier", status=403)
        requester = own
    ticket = services.ticket_create(
        actor=user,
        requester=requester,
        subject=payload.subject,
        body=payload.body,
        body_html=payload.body_html,
        channel=payload.channel,
        priority=payload.priority,
        tier=payload.tier,
        assignee=user_by_id(payload.assignee_id, field="assignee_id"),
        team=team_by_id(payload.team_id),
        tags=payload.tags,
        external_id=payload.external_id,
        attachments=_attachments(payload.attachments),
    )
    if not payload.tags:
        # ticket_create tags a ticket only with the tags it is given: mark these as known (none), as a
        # prefetch would, so the response does not query for them. Only this response sees the mark.
        ticket._prefetched_objects_cache["tags"] = Tag.objects.none()  # type: ignore[attr-defined]
    if not is_staff_member(user):
        # A contact sees neither SLA clocks nor staff time (see _staff_detail).
        ticket._prefetched_objects_cache.pop("sla_clocks", None)  # type: ignore[attr-defined]
    # The ticket as created already holds its account, requester, assignee and team: no need to read it back.
    return Status(201, ticket)


@router.get("/tickets/{ticket_id}", response={200: TicketOut, **ERRORS}, summary="Get a ticket")
def get_ticket(request: HttpRequest, ticket_id: Id) -> Any:
    user = actor(request)
    access_ticket(user=user, ticket_id=ticket_id)
    return selectors.ticket_detail(ticket_id=ticket_id, staff_detail=is_staff_member(user))


@router.patch("/tickets/{ticket_id}", response={200: TicketOut, **ERRORS}, summary="Update a ticket")
def update_ticket(request: HttpRequest, ticket_id: Id, payload: TicketPatch) -> Any:
    ticket = access_ticket(user=actor(request), ticket_id=ticket_id)
    user = staff_actor(request)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version", None)
    reason = changes.pop("reason", "")
    if "assignee_id" in changes:
        changes["assignee"] = user_by_id(changes.pop("assignee_id"), field="assignee_id")
    if "team_id" in changes:
        changes["team"] = team_by_id(changes.pop("team_id"))
    for field in ("subject", "status", "priority", "tier"):
        if field in changes and changes[field] is None:
            raise ApplicationError(_("This field cannot be null."), field=field)
    if "tags" in changes and changes["tags"] is None:
        changes["tags"] = []
    services.ticket_update(ticket=ticket, actor=user, version=version, reason=reason, **changes)
    return selectors.ticket_detail(ticket_id=ticket_id, staff_detail=True)


@router.get(
    "/tickets/{ticket_id}/messages", response={200: list[MessageOut], **ERRORS}, summary="The conversation of a ticket"
)
@paginate(OldestFirstPagination)
def list_messages(request: HttpRequest, ticket_id: Id) -> Any:
    ticket = access_ticket(user=actor(request), ticket_id=ticket_id)
    return selectors.messages_list(user=actor(request), ticket=ticket)


@router.post(
    "/tickets/{ticket_id}/messages", response={201: MessageOut, **ERRORS}, summary="Reply or add an internal note"
)
def create_message(request: HttpRequest, ticket_id: Id, payload: MessageIn) -> Any:
    user = actor(request)
    ticket = access_ticket(user=user, ticket_id=ticket_id)
    attachments = _attachments(payload.attachments)
    if is_staff_member(user):
        if payload.visibility == "internal":
            if payload.status is not None:
                raise ApplicationError(
                    _("A note does not change the status; reply or update the ticket."), field="status"
                )
            message = services.ticket_add_note(
                ticket=ticket,
                actor=user,
                body=payload.body,
                body_html=payload.body_html,
                attachments=attachments,
                minutes_spent=payload.minutes_spent,
            )
        else:
            message = services.ticket_reply(
                ticket=ticket,
                staff=user,
                actor=user,
                body=payload.body,
                body_html=payload.body_html,
                status=payload.status,
                attachments=attachments,
                minutes_spent=payload.minutes_spent,
            )
    else:
        if payload.visibility == "internal" or payload.status is not None or payload.minutes_spent:
            field = (
                "visibility" if payload.visibility == "internal" else "status" if payload.status else "minutes_spent"
            )
            raise ApplicationError(_("Only staff may set this."), field=field, status=403)
        message = services.ticket_reply(
            ticket=ticket,
            contact=user.contact,
            actor=user,
            body=payload.body,
            body_html=payload.body_html,
            channel="portal",
            attachments=attachments,
        )
    return Status(201, selectors.messages_list(user=user, ticket=message.ticket).get(pk=message.pk))


@router.get(
    "/tickets/{ticket_id}/messages/{message_id}/attachments/{attachment_id}",
    response={200: None, **ERRORS},
    summary="Download an attachment",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def download_attachment(request: HttpRequest, ticket_id: Id, message_id: Id, attachment_id: Id) -> FileResponse:
    attachment = access_attachment(
        user=actor(request), ticket_id=ticket_id, message_id=message_id, attachment_id=attachment_id
    )
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.filename)
    response["Content-Type"] = "application/octet-stream"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.get("/tickets/{ticket_id}/events", response={200: list[EventOut], **ERRORS}, summary="Audit trail of a ticket")
@paginate(OldestFirstPagination)
def ticket_events(request: HttpRequest, ticket_id: Id) -> Any:
    access_ticket(user=actor(request), ticket_id=ticket_id)
    staff_actor(request)
    return events_for(subject_kind="ticket", subject_id=ticket_id)


class EscalateIn(StrictIn):
    tier: TierNumber = Field(description="The tier to move the ticket to: higher escalates, lower de-escalates.")
    reason: str = Field(min_length=1, max_length=1000)


@router.post(
    "/tickets/{ticket_id}/escalate",
    response={200: TicketOut, **ERRORS},
    summary="Escalate or de-escalate a ticket to another tier, with a reason",
)
def escalate_ticket(request: HttpRequest, ticket_id: Id, payload: EscalateIn) -> Any:
    ticket = access_ticket(user=actor(request), ticket_id=ticket_id)
    services.ticket_escalate(ticket=ticket, actor=staff_actor(request), tier=payload.tier, reason=payload.reason)
    return selectors.ticket_detail(ticket_id=ticket_id, staff_detail=True)


class TierLineOut(Schema):
    tier: int
    label: str
    volume: int = Field(description="Tickets created at the tier plus tickets moved into it.")
    started: int
    moved_in: int
    resolved: int = Field(description="Tickets solved in the period while at the tier.")
    escalated: int = Field(description="Escalations from the tier to a higher one.")
    escalation_rate: float | None = Field(description="Escalated as a percentage of volume.")


class TierReportQuery(Schema):
    since: IsoDatetime | None = Field(None, description="Start of the period (default: 30 days ago).")
    until: IsoDatetime | None = Field(None, description="End of the period, excluded (default: now).")


def _period_bounds(period: TierReportQuery) -> tuple[datetime, datetime]:
    """A report's period: the last 30 days unless the query says otherwise; it must start before it ends."""
    until = period.until or timezone.now()
    since = period.since or until - timedelta(days=30)
    if since >= until:
        raise ApplicationError(_("The period must start before it ends."), field="since")
    return since, until


@router.get(
    "/reports/tiers", response={200: list[TierLineOut], **ERRORS}, summary="Volume, resolution and escalation per tier"
)
def tiers_report(request: HttpRequest, period: Query[TierReportQuery]) -> Any:
    require_manager(staff_actor(request))
    since, until = _period_bounds(period)
    return selectors.tier_report(since=since, until=until)


class TierQueueOut(Schema):
    tier: int
    team: TeamRef | None


class TierQueueIn(StrictIn):
    team_id: Id | None = Field(description="The team whose queue the tier's tickets go to; null for none.")


@router.get("/tier-queues", response={200: list[TierQueueOut], **ERRORS}, summary="The team of each tier")
def list_tier_queues(request: HttpRequest) -> Any:
    staff_actor(request)
    teams = selectors.tier_queues()
    return [{"tier": tier, "team": teams.get(tier)} for tier in Tier.values]


@router.put("/tier-queues/{tier}", response={200: TierQueueOut, **ERRORS}, summary="Set the team of a tier")
def set_tier_queue(request: HttpRequest, tier: int = Path(..., ge=0, le=3), *, payload: TierQueueIn) -> Any:
    user = staff_actor(request)
    require_admin(user)
    team = team_by_id(payload.team_id)
    services.tier_queue_set(actor=user, tier=tier, team=team)
    return {"tier": tier, "team": team}


class MinutesIn(StrictIn):
    minutes_spent: StrictInt = Field(ge=0, le=1440)


@router.patch(
    "/tickets/{ticket_id}/messages/{message_id}",
    response={200: MessageOut, **ERRORS},
    summary="Correct the time spent on a staff reply or note",
)
def update_message(request: HttpRequest, ticket_id: Id, message_id: Id, payload: MinutesIn) -> Any:
    user = actor(request)
    ticket = access_ticket(user=user, ticket_id=ticket_id)
    staff_actor(request)
    message = selectors.messages_list(user=user, ticket=ticket).filter(pk=message_id).first()
    if message is None:
        raise Http404
    services.message_set_minutes(message=message, actor=user, minutes_spent=payload.minutes_spent)
    return selectors.messages_list(user=user, ticket=ticket).get(pk=message_id)


class TimeByStaffOut(Schema):
    staff: UserRef
    minutes: int


class TimeByTierOut(Schema):
    tier: int
    label: str
    minutes: int


class TimeSpentOut(Schema):
    total_minutes: int
    by_staff: list[TimeByStaffOut]
    by_tier: list[TimeByTierOut]


@router.get("/reports/time-spent", response={200: TimeSpentOut, **ERRORS}, summary="Staff time per person and tier")
def time_spent(request: HttpRequest, period: Query[TierReportQuery]) -> Any:
    require_manager(staff_actor(request))
    since, until = _period_bounds(period)
    report = selectors.time_spent_report(since=since, until=until)
    return {
        "total_minutes": report.total,
        "by_staff": [{"staff": person, "minutes": minutes} for person, minutes in report.by_staff],
        "by_tier": [{"tier": tier, "label": label, "minutes": minutes} for tier, label, minutes in report.by_tier],
    }
