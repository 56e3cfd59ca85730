"""REST endpoints of cadences, check-ins, interactions and the advisor's calendar feed. Staff only: an advisor sees
their own accounts' (and their own check-ins'), a manager everything; portal contacts none of it."""

from datetime import date, datetime, time
from typing import Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from carefront.accounts.access import access_account, access_contact
from carefront.api.common import (
    ERRORS,
    Id,
    IdCursorPagination,
    IsoDatetime,
    StrictIn,
    UserRef,
    staff_actor,
    user_by_id,
)
from carefront.relationships import selectors_checkins as selectors
from carefront.relationships import services_checkins as services
from carefront.relationships.access import access_cadence, access_check_in, access_next_step
from carefront.relationships.api import ReasonIn, patch_changes

router = Router(tags=["relationships"])

CadenceKindName = Literal["monthly_call", "business_review", "planning", "other"]
InteractionKindName = Literal["meeting", "call", "video", "email", "chat", "in_person"]
CheckInStateName = Literal["scheduled", "held", "missed", "cancelled"]


# --- cadences ------------------------------------------------------------------------------------


class CadenceOut(Schema):
    id: int
    account_id: int
    name: str
    kind: CadenceKindName
    channel: InteractionKindName
    duration_minutes: int
    rule: str = Field(description="The RFC 5545 RRULE value, read in the account's time zone.")
    starts_on: date = Field(description="The first occurrence's date (the rule's DTSTART), account's time zone.")
    time_of_day: time = Field(description="Wall-clock time of each check-in in the account's time zone.")
    time_zone: str
    owner: UserRef
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_time_zone(obj: Any) -> str:
        return str(obj.account.time_zone)


class CadenceIn(StrictIn):
    account_id: Id
    name: str = Field(min_length=1, max_length=200)
    kind: CadenceKindName = "other"
    channel: InteractionKindName = "video"
    duration_minutes: int = Field(ge=1, le=480)
    rule: str = Field(min_length=1, max_length=500, examples=["FREQ=MONTHLY;BYDAY=1TU"])
    starts_on: date
    time_of_day: time
    owner_id: Id | None = Field(None, description="The advisor; the account's owner when left out.")


class CadencePatch(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: CadenceKindName | None = None
    channel: InteractionKindName | None = None
    duration_minutes: int | None = Field(None, ge=1, le=480)
    rule: str | None = Field(None, min_length=1, max_length=500)
    starts_on: date | None = None
    time_of_day: time | None = None
    owner_id: Id | None = None
    active: bool | None = None
    version: Id | None = Field(None, description="The version you read; a stale one is refused with 409.")


class CadenceQuery(Schema):
    account: Id | None = None
    active: bool | None = None


def _cadence(user: Any, cadence_id: int) -> Any:
    return selectors.cadences_list(user=user).get(pk=cadence_id)


@router.get("/relationships/cadences", response={200: list[CadenceOut], **ERRORS}, summary="List cadences")
@paginate(IdCursorPagination)
def list_cadences(request: HttpRequest, filters: Query[CadenceQuery]) -> Any:
    return selectors.cadences_list(user=staff_actor(request), account=filters.account, active=filters.active)


@router.post("/relationships/cadences", response={201: CadenceOut, **ERRORS}, summary="Plan a cadence")
def create_cadence(request: HttpRequest, payload: CadenceIn) -> Any:
    user = staff_actor(request)
    data = payload.dict()
    account = access_account(user=user, account_id=data.pop("account_id"))
    owner_id = data.pop("owner_id")
    owner = user_by_id(owner_id, field="owner_id") if owner_id else None
    cadence = services.cadence_create(actor=user, account=account, owner=owner, **data)
    return Status(201, _cadence(user, cadence.pk))


@router.get("/relationships/cadences/{cadence_id}", response={200: CadenceOut, **ERRORS}, summary="A cadence")
def get_cadence(request: HttpRequest, cadence_id: Id) -> Any:
    user = staff_actor(request)
    return access_cadence(user=user, cadence_id=cadence_id)


@router.patch("/relationships/cadences/{cadence_id}", response={200: CadenceOut, **ERRORS}, summary="Change it")
def update_cadence(request: HttpRequest, cadence_id: Id, payload: CadencePatch) -> Any:
    user = staff_actor(request)
    cadence = access_cadence(user=user, cadence_id=cadence_id)
    changes, version = patch_changes(payload)
    services.cadence_update(cadence=cadence, actor=user, version=version, **changes)
    return _cadence(user, cadence_id)


@router.delete(
    "/relationships/cadences/{cadence_id}",
    response={200: CadenceOut, **ERRORS},
    summary="End a cadence: its future check-ins are cancelled, its history stays",
)
def end_cadence(request: HttpRequest, cadence_id: Id, payload: ReasonIn) -> Any:
    user = staff_actor(request)
    cadence = access_cadence(user=user, cadence_id=cadence_id)
    services.cadence_end(cadence=cadence, actor=user, reason=payload.reason)
    return _cadence(user, cadence_id)


# --- check-ins -----------------------------------------------------------------------------------


class CheckInOut(Schema):
    id: int
    cadence_id: int
    account_id: int
    owner: UserRef
    occurs_at: datetime = Field(description="The rule's occurrence; never changes.")
    scheduled_at: datetime = Field(description="When it takes place (moved by a reschedule).")
    duration_minutes: int
    state: CheckInStateName
    reminded_at: datetime | None
    cancelled_reason: str
    version: int


class CheckInQuery(Schema):
    account: Id | None = None
    owner: Id | None = None
    cadence: Id | None = None
    state: CheckInStateName | None = None
    after: IsoDatetime | None = Field(None, description="Scheduled at or after.")
    before: IsoDatetime | None = Field(None, description="Scheduled before.")


class RescheduleIn(StrictIn):
    scheduled_at: IsoDatetime
    reason: str = Field(min_length=1, max_length=1000)
    earlier: bool = Field(False, description="Confirm moving it earlier than it was planned.")
    version: Id | None = None


class PeopleIn(StrictIn):
    contact_ids: list[Id] = Field(default_factory=list, max_length=50)
    staff_ids: list[Id] = Field(default_factory=list, max_length=50)


class HeldIn(PeopleIn):
    kind: InteractionKindName
    occurred_at: IsoDatetime
    notes: str = Field("", max_length=5000)
    outcomes: str = Field("", max_length=5000)
    next_steps: list[str] = Field(default_factory=list, max_length=20)


class InteractionIn(HeldIn):
    account_id: Id


class NextStepOut(Schema):
    id: int
    text: str
    commitment_id: int | None


class InteractionOut(Schema):
    id: int
    account_id: int
    kind: InteractionKindName
    occurred_at: datetime
    author: UserRef
    check_in_id: int | None
    contact_ids: list[int]
    staff_ids: list[int]
    notes: str
    outcomes: str
    next_steps: list[NextStepOut]
    created_at: datetime

    @staticmethod
    def resolve_contact_ids(obj: Any) -> list[int]:
        return [contact.pk for contact in obj.contacts.all()]

    @staticmethod
    def resolve_staff_ids(obj: Any) -> list[int]:
        return [member.pk for member in obj.staff.all()]

    @staticmethod
    def resolve_next_steps(obj: Any) -> list[Any]:
        return list(obj.next_steps.all())


class InteractionQuery(Schema):
    account: Id | None = None


class CommitIn(StrictIn):
    owner_id: Id | None = Field(None, description="The account's advisor when left out.")
    due_at: IsoDatetime | None = Field(None, description="A week from now when left out.")


def _held(user: Any, payload: HeldIn) -> services.Held:
    return services.Held(
        kind=payload.kind,
        occurred_at=payload.occurred_at,
        notes=payload.notes,
        outcomes=payload.outcomes,
        next_steps=tuple(payload.next_steps),
        contacts=tuple(access_contact(user=user, contact_id=pk) for pk in payload.contact_ids),
        staff=tuple(user_by_id(pk, field="staff_ids") for pk in payload.staff_ids),
    )


def _interaction(user: Any, interaction_id: int) -> Any:
    return selectors.interaction_detail(user=user, interaction_id=interaction_id)


@router.get("/relationships/check-ins", response={200: list[CheckInOut], **ERRORS}, summary="List check-ins")
@paginate(IdCursorPagination)
def list_check_ins(request: HttpRequest, filters: Query[CheckInQuery]) -> Any:
    return selectors.check_ins_list(user=staff_actor(request), filters=selectors.CheckInFilters(**filters.dict()))


@router.get("/relationships/check-ins/{check_in_id}", response={200: CheckInOut, **ERRORS}, summary="A check-in")
def get_check_in(request: HttpRequest, check_in_id: Id) -> Any:
    return access_check_in(user=staff_actor(request), check_in_id=check_in_id)


@router.post(
    "/relationships/check-ins/{check_in_id}/reschedule",
    response={200: CheckInOut, **ERRORS},
    summary="Move it to another time",
)
def reschedule_check_in(request: HttpRequest, check_in_id: Id, payload: RescheduleIn) -> Any:
    user = staff_actor(request)
    check_in = access_check_in(user=user, check_in_id=check_in_id)
    return services.check_in_reschedule(check_in=check_in, actor=user, **payload.dict())


@router.post(
    "/relationships/check-ins/{check_in_id}/cancel", response={200: CheckInOut, **ERRORS}, summary="Call it off"
)
def cancel_check_in(request: HttpRequest, check_in_id: Id, payload: ReasonIn) -> Any:
    user = staff_actor(request)
    check_in = access_check_in(user=user, check_in_id=check_in_id)
    return services.check_in_cancel(check_in=check_in, actor=user, reason=payload.reason)


@router.post(
    "/relationships/check-ins/{check_in_id}/held",
    response={201: InteractionOut, **ERRORS},
    summary="Log it as held: it becomes an interaction",
)
def hold_check_in(request: HttpRequest, check_in_id: Id, payload: HeldIn) -> Any:
    user = staff_actor(request)
    check_in = access_check_in(user=user, check_in_id=check_in_id)
    interaction = services.check_in_hold(check_in=check_in, actor=user, held=_held(user, payload))
    return Status(201, _interaction(user, interaction.pk))


# --- interactions --------------------------------------------------------------------------------


@router.get("/relationships/interactions", response={200: list[InteractionOut], **ERRORS}, summary="List interactions")
@paginate(IdCursorPagination)
def list_interactions(request: HttpRequest, filters: Query[InteractionQuery]) -> Any:
    return selectors.interactions_list(user=staff_actor(request), account=filters.account)


@router.post("/relationships/interactions", response={201: InteractionOut, **ERRORS}, summary="Log an interaction")
def create_interaction(request: HttpRequest, payload: InteractionIn) -> Any:
    user = staff_actor(request)
    account = access_account(user=user, account_id=payload.account_id)
    interaction = services.interaction_create(actor=user, account=account, held=_held(user, payload))
    return Status(201, _interaction(user, interaction.pk))


class CommitmentRef(Schema):
    id: int
    title: str
    due_at: datetime
    check_in_id: int | None


@router.post(
    "/relationships/next-steps/{next_step_id}/commitment",
    response={201: CommitmentRef, **ERRORS},
    summary="Make a next step a commitment",
)
def commit_next_step(request: HttpRequest, next_step_id: Id, payload: CommitIn) -> Any:
    user = staff_actor(request)
    step = access_next_step(user=user, next_step_id=next_step_id)
    owner = user_by_id(payload.owner_id, field="owner_id") if payload.owner_id else None
    commitment = services.next_step_commit(next_step=step, actor=user, owner=owner, due_at=payload.due_at)
    return Status(201, commitment)


# --- the calendar feed ---------------------------------------------------------------------------


class FeedOut(Schema):
    url: str = Field(description="The secret URL of your calendar feed; shown this once.")


@router.post(
    "/relationships/calendar-feed",
    response={201: FeedOut, **ERRORS},
    summary="A new secret URL for your own check-ins' calendar (the old one stops working)",
)
def create_feed(request: HttpRequest) -> Any:
    token = services.feed_token_create(actor=staff_actor(request))
    return Status(201, {"url": request.build_absolute_uri(reverse("web:relationships-calendar-feed", args=[token]))})


@router.delete(
    "/relationships/calendar-feed", response={204: None, **ERRORS}, summary="Revoke your calendar feed's URL"
)
def revoke_feed(request: HttpRequest) -> Any:
    services.feed_token_revoke(actor=staff_actor(request))
    return Status(204, None)
