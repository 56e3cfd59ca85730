"""REST endpoints of the email channel: mailboxes (admins), raw messages from a mail provider's webhook
(admins' tokens), the quarantine, and the delivery state of the mail sent about a ticket (staff)."""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StrictBool

from carefront.api.common import (
    ERRORS,
    Id,
    IdCursorPagination,
    OldestFirstPagination,
    StrictIn,
    actor,
    team_by_id,
)
from carefront.core.access import require_admin
from carefront.core.exceptions import ApplicationError
from carefront.mail import services
from carefront.mail.access import access_inbound, access_mailbox, outbound_visible_to
from carefront.mail.models import InboundEmail, Mailbox, Via
from carefront.mail.parsing import has_headers
from carefront.mail.views import eml_response

router = Router(tags=["email"])

TierNumber = Literal[0, 1, 2, 3]


class MailboxOut(Schema):
    id: int
    address: str
    name: str
    team_id: int | None
    language: str
    tier: int
    signature: str
    auto_acknowledge: bool
    is_active: bool
    created_at: datetime


class MailboxIn(StrictIn):
    address: str = Field(max_length=254)
    name: str = Field("", max_length=100, description="The sender name of replies from this mailbox.")
    team_id: Id | None = Field(None, description="New tickets from this mailbox go to this team.")
    language: str = Field("en", max_length=16, description="The language of new contacts who write here.")
    tier: TierNumber = 1
    signature: str = Field("", max_length=2000)
    auto_acknowledge: StrictBool = True
    is_active: StrictBool = True


class MailboxPatch(StrictIn):
    address: str | None = Field(None, max_length=254)
    name: str | None = Field(None, max_length=100)
    team_id: Id | None = None
    language: str | None = Field(None, max_length=16)
    tier: TierNumber | None = None
    signature: str | None = Field(None, max_length=2000)
    auto_acknowledge: StrictBool | None = None
    is_active: StrictBool | None = None


def _team_resolved(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with `team_id` turned into the team it names."""
    if "team_id" in payload:
        payload["team"] = team_by_id(payload.pop("team_id"))
    return payload


class InboundOut(Schema):
    id: int
    via: str
    state: Literal["received", "processed", "duplicate", "quarantined"]
    kind: str = Field(description="message, auto_reply or bounce, once filed.")
    reason: str = Field(description="Why it was quarantined, or what became of it when that is not a ticket.")
    message_id: str = Field(description="Its Message-ID header.")
    subject: str
    sender: str
    envelope_from: str
    envelope_to: list[str]
    mailbox_id: int | None
    size: int
    ticket_id: int | None
    message_id_in_ticket: int | None = Field(description="The ticket message it became.")
    attempts: int
    received_at: datetime
    processed_at: datetime | None

    @staticmethod
    def resolve_message_id(obj: InboundEmail) -> str:
        return obj.message_id_header

    @staticmethod
    def resolve_message_id_in_ticket(obj: InboundEmail) -> int | None:
        return obj.message_id


class InboundAccepted(Schema):
    id: int
    created: bool = Field(description="False when the same message had already been received.")
    state: str


class InboundFilters(Schema):
    state: Literal["received", "processed", "duplicate", "quarantined"] = "quarantined"


class OutboundOut(Schema):
    id: int
    kind: Literal["reply", "acknowledgement", "notification"]
    ticket_id: int | None
    message_id_in_ticket: int | None = Field(description="The ticket message it carries, for a reply.")
    message_id: str = Field(description="Its Message-ID header.")
    from_address: str
    to: list[str]
    cc: list[str]
    subject: str
    state: Literal["queued", "sent", "deferred", "failed"]
    attempts: int
    last_error: str = Field(description="The receiving server's answer when it deferred or refused the email.")
    queued_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None

    @staticmethod
    def resolve_message_id(obj: Any) -> str:
        return str(obj.message_id_header)

    @staticmethod
    def resolve_message_id_in_ticket(obj: Any) -> int | None:
        return obj.message_id

    @staticmethod
    def resolve_to(obj: Any) -> list[str]:
        return list(obj.recipients.get("to", []))

    @staticmethod
    def resolve_cc(obj: Any) -> list[str]:
        return list(obj.recipients.get("cc", []))


# --- mailboxes -----------------------------------------------------------------------------------


@router.get("/mail/mailboxes", response={200: list[MailboxOut], **ERRORS}, summary="Mailboxes (admins)")
@paginate(IdCursorPagination)
def list_mailboxes(request: HttpRequest) -> Any:
    require_admin(actor(request))
    return Mailbox.objects.all()


@router.post("/mail/mailboxes", response={201: MailboxOut, **ERRORS}, summary="Add a mailbox (admins)")
def create_mailbox(request: HttpRequest, payload: MailboxIn) -> Any:
    user = actor(request)
    require_admin(user)
    values = _team_resolved(payload.dict())
    return Status(201, services.mailbox_create(actor=user, **values))


@router.get("/mail/mailboxes/{mailbox_id}", response={200: MailboxOut, **ERRORS}, summary="A mailbox")
def get_mailbox(request: HttpRequest, mailbox_id: Id) -> Mailbox:
    return access_mailbox(user=actor(request), mailbox_id=mailbox_id)


@router.patch("/mail/mailboxes/{mailbox_id}", response={200: MailboxOut, **ERRORS}, summary="Change a mailbox")
def update_mailbox(request: HttpRequest, mailbox_id: Id, payload: MailboxPatch) -> Any:
    user = actor(request)
    mailbox = access_mailbox(user=user, mailbox_id=mailbox_id)
    return services.mailbox_update(mailbox=mailbox, actor=user, **_team_resolved(payload.dict(exclude_unset=True)))


@router.delete("/mail/mailboxes/{mailbox_id}", response={204: None, **ERRORS}, summary="Delete a mailbox")
def delete_mailbox(request: HttpRequest, mailbox_id: Id) -> Any:
    user = actor(request)
    services.mailbox_delete(mailbox=access_mailbox(user=user, mailbox_id=mailbox_id), actor=user)
    return Status(204, None)


# --- received mail -------------------------------------------------------------------------------


@router.post(
    "/mail/inbound",
    response={202: InboundAccepted, **ERRORS},
    summary="Receive a raw message (a mail provider's webhook; admins' tokens)",
    description="The body is the message exactly as received (`Content-Type: message/rfc822`). It is stored "
    "before the answer and filed by the queue; the same message posted twice is stored once. `to` names the "
    "envelope recipients (our mailbox), `from` the envelope sender.",
    openapi_extra={
        "requestBody": {"required": True, "content": {"message/rfc822": {"schema": {"type": "string"}}}},
        "parameters": [
            {"in": "query", "name": "to", "schema": {"type": "array", "items": {"type": "string"}}},
            {"in": "query", "name": "from", "schema": {"type": "string"}},
        ],
    },
)
def receive_inbound(request: HttpRequest) -> Any:
    require_admin(actor(request))
    if request.body.strip() and not has_headers(request.body):
        raise ApplicationError(_("The body is not an email message: it has no header fields."), field="raw")
    row, created = services.inbound_store(
        raw=request.body,
        via=Via.WEBHOOK,
        envelope_from=request.GET.get("from", ""),
        envelope_to=request.GET.getlist("to"),
    )
    return Status(202, {"id": row.pk, "created": created, "state": row.state})


@router.get(
    "/mail/inbound",
    response={200: list[InboundOut], **ERRORS},
    summary="Received mail by state (admins); the quarantine by default",
)
@paginate(IdCursorPagination)
def list_inbound(request: HttpRequest, filters: Query[InboundFilters]) -> Any:
    require_admin(actor(request))
    return InboundEmail.objects.filter(state=filters.state).defer("raw")


@router.get("/mail/inbound/{inbound_id}", response={200: InboundOut, **ERRORS}, summary="A received message")
def get_inbound(request: HttpRequest, inbound_id: Id) -> InboundEmail:
    return access_inbound(user=actor(request), inbound_id=inbound_id)


@router.get(
    "/mail/inbound/{inbound_id}/raw",
    response={200: None, **ERRORS},
    summary="The message as received, as an .eml file",
    openapi_extra={"responses": {"200": {"content": {"message/rfc822": {"schema": {"type": "string"}}}}}},
)
def download_inbound(request: HttpRequest, inbound_id: Id) -> HttpResponse:
    return eml_response(access_inbound(user=actor(request), inbound_id=inbound_id))


@router.post(
    "/mail/inbound/{inbound_id}/reprocess",
    response={202: InboundOut, **ERRORS},
    summary="File a quarantined message again (after a fix)",
)
def reprocess_inbound(request: HttpRequest, inbound_id: Id) -> Any:
    user = actor(request)
    inbound = access_inbound(user=user, inbound_id=inbound_id)
    services.inbound_reprocess(inbound=inbound, actor=user)
    return Status(202, InboundEmail.objects.defer("raw").get(pk=inbound.pk))


# --- sent mail -----------------------------------------------------------------------------------


@router.get(
    "/tickets/{ticket_id}/emails",
    response={200: list[OutboundOut], **ERRORS},
    summary="The email sent about a ticket, with each one's delivery state",
)
@paginate(OldestFirstPagination)
def list_ticket_emails(request: HttpRequest, ticket_id: Id) -> Any:
    return outbound_visible_to(actor(request), ticket_id=ticket_id)
