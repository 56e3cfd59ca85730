"""REST endpoints of the client profile: preferences and the business's own fields, goals, key people, the services
the client buys, and the definitions of those fields. Staff only: any staff member reads a profile, the account's
advisor or a manager changes it (403 for other staff), managers define the fields; portal contacts none of it."""

import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import BeforeValidator

from carefront.accounts.access import access_account, access_contact
from carefront.api.common import ERRORS, Id, IdCursorPagination, StrictIn, staff_actor
from carefront.core.access import require_manager
from carefront.core.exceptions import ApplicationError
from carefront.relationships import selectors_profile as selectors
from carefront.relationships import services_profile as services
from carefront.relationships.access import (
    access_client_service,
    access_goal,
    access_key_person,
    access_profile_field,
)
from carefront.relationships.api import ReasonIn

router = Router(tags=["relationships"])

ChannelName = Literal["", "meeting", "call", "video", "email", "chat", "in_person"]
GoalStateName = Literal["open", "achieved", "abandoned"]
RoleName = Literal["decision_maker", "champion", "billing", "technical", "executive_sponsor", "user", "other"]
ServiceStatusName = Literal["active", "paused", "ended"]
PeriodName = Literal["month", "quarter", "year"]
FieldKindName = Literal["text", "number", "date", "choice", "yes_no"]
VERSION = Field(None, description="The version you read; a stale one is refused with 409.")


def _iso_date_only(value: Any) -> Any:
    # Pydantic would read a number (or numeric text, as a query string has) as a Unix timestamp; the schema
    # promises an ISO 8601 date.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise ValueError("expected an ISO 8601 date such as 2026-03-31")
    return value.strip()


def _iso_time_only(value: Any) -> Any:
    # Likewise pydantic would read a number as seconds since midnight.
    if isinstance(value, time) or value is None:
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{2}:\d{2}(:\d{2}(\.\d+)?)?", value.strip()):
        raise ValueError("expected an ISO 8601 time such as 14:30")
    return value.strip()


IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]
IsoTime = Annotated[time, BeforeValidator(_iso_time_only)]


def _changes(payload: Schema, *, nullable: frozenset[str] = frozenset()) -> tuple[dict[str, Any], int | None]:
    """The fields a PATCH sets and the version it was based on; a null is refused except where it clears."""
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version", None)
    for name, value in changes.items():
        if value is None and name not in nullable:
            raise ApplicationError(_("This field cannot be null."), field=name)
    return changes, version


# --- preferences and field values ----------------------------------------------------------------


class ProfileOut(Schema):
    account_id: int
    preferred_channel: ChannelName = Field(description="How the client likes to be met; empty: no preference.")
    preferred_language: str = Field(description="A language code; empty: the account's locale.")
    meeting_days: str = Field(description="ISO weekdays as digits, 1 is Monday: 135 is Monday, Wednesday, Friday.")
    meeting_from: time | None = Field(description="Start of the meeting window, in the account's time zone.")
    meeting_until: time | None
    meeting_notes: str
    time_zone: str = Field(description="The account's time zone, which the meeting window is read in.")
    fields: dict[str, Any] = Field(description="Values of the profile fields, by key (see profile-fields).")
    version: int
    updated_at: datetime | None


class ProfilePatch(StrictIn):
    preferred_channel: ChannelName | None = None
    preferred_language: str | None = Field(None, max_length=16)
    meeting_days: str | None = Field(None, pattern=r"^[1-7]{0,7}$")
    meeting_from: IsoTime | None = None
    meeting_until: IsoTime | None = None
    meeting_notes: str | None = Field(None, max_length=5000)
    fields: dict[str, Any] | None = Field(
        None, description="Merged into the stored values: each key a defined field, a null removes its value."
    )
    version: Id | None = VERSION


def _profile_out(user: Any, account: Any) -> dict[str, Any]:
    profile = selectors.profile_of(user=user, account_id=account.pk)
    return {
        **{name: getattr(profile, name) for name in ProfileOut.model_fields if hasattr(profile, name)},
        "account_id": account.pk,
        "time_zone": account.time_zone,
        "updated_at": profile.updated_at if profile.pk else None,
    }


@router.get(
    "/relationships/accounts/{account_id}/profile",
    response={200: ProfileOut, **ERRORS},
    summary="A client's preferences and profile fields",
)
def get_profile(request: HttpRequest, account_id: Id) -> Any:
    user = staff_actor(request)
    return _profile_out(user, access_account(user=user, account_id=account_id))


@router.patch(
    "/relationships/accounts/{account_id}/profile",
    response={200: ProfileOut, **ERRORS},
    summary="Change a client's preferences or profile fields",
)
def update_profile(request: HttpRequest, account_id: Id, payload: ProfilePatch) -> Any:
    user = staff_actor(request)
    account = access_account(user=user, account_id=account_id)
    nullable = frozenset({"preferred_channel", "preferred_language", "meeting_from", "meeting_until", "meeting_notes"})
    changes, version = _changes(payload, nullable=nullable)
    services.profile_update(account=account, actor=user, version=version, **changes)
    return _profile_out(user, account)


# --- goals ---------------------------------------------------------------------------------------


class GoalOut(Schema):
    id: int
    account_id: int
    title: str
    target_date: date
    state: GoalStateName
    achieved_at: datetime | None
    abandoned_at: datetime | None
    abandoned_reason: str
    notes: str
    version: int
    created_at: datetime
    updated_at: datetime


class GoalQuery(Schema):
    account: Id | None = None
    state: GoalStateName | None = None
    target_before: IsoDate | None = Field(None, description="Target date on or before.")
    target_after: IsoDate | None = Field(None, description="Target date on or after.")


class GoalIn(StrictIn):
    account_id: Id
    title: str = Field(min_length=1, max_length=200)
    target_date: IsoDate = Field(description="May be in the past: the client's goal is recorded as they tell it.")
    notes: str = Field("", max_length=5000)


class GoalPatch(StrictIn):
    title: str | None = Field(None, min_length=1, max_length=200)
    target_date: IsoDate | None = None
    notes: str | None = Field(None, max_length=5000)
    version: Id | None = VERSION


@router.get("/relationships/goals", response={200: list[GoalOut], **ERRORS}, summary="List clients' goals")
@paginate(IdCursorPagination)
def list_goals(request: HttpRequest, filters: Query[GoalQuery]) -> Any:
    rows = selectors.goals_list(user=staff_actor(request), account=filters.account, state=filters.state)
    if filters.target_before is not None:
        rows = rows.filter(target_date__lte=filters.target_before)
    if filters.target_after is not None:
        rows = rows.filter(target_date__gte=filters.target_after)
    return rows


@router.post("/relationships/goals", response={201: GoalOut, **ERRORS}, summary="Record a client's goal")
def create_goal(request: HttpRequest, payload: GoalIn) -> Any:
    user = staff_actor(request)
    data = payload.dict()
    account = access_account(user=user, account_id=data.pop("account_id"))
    return Status(201, services.goal_create(actor=user, account=account, **data))


@router.get("/relationships/goals/{goal_id}", response={200: GoalOut, **ERRORS}, summary="A client's goal")
def get_goal(request: HttpRequest, goal_id: Id) -> Any:
    return access_goal(user=staff_actor(request), goal_id=goal_id)


@router.patch("/relationships/goals/{goal_id}", response={200: GoalOut, **ERRORS}, summary="Change a goal")
def update_goal(request: HttpRequest, goal_id: Id, payload: GoalPatch) -> Any:
    user = staff_actor(request)
    goal = access_goal(user=user, goal_id=goal_id)
    changes, version = _changes(payload)
    return services.goal_update(goal=goal, actor=user, version=version, **changes)


@router.post("/relationships/goals/{goal_id}/achieve", response={200: GoalOut, **ERRORS}, summary="Goal reached")
def achieve_goal(request: HttpRequest, goal_id: Id) -> Any:
    user = staff_actor(request)
    return services.goal_achieve(goal=access_goal(user=user, goal_id=goal_id), actor=user)


@router.post(
    "/relationships/goals/{goal_id}/abandon", response={200: GoalOut, **ERRORS}, summary="Goal given up, and why"
)
def abandon_goal(request: HttpRequest, goal_id: Id, payload: ReasonIn) -> Any:
    user = staff_actor(request)
    return services.goal_abandon(goal=access_goal(user=user, goal_id=goal_id), actor=user, reason=payload.reason)


# --- key people ----------------------------------------------------------------------------------


class KeyContactRef(Schema):
    id: int
    name: str
    email: str


class KeyPersonOut(Schema):
    id: int
    account_id: int
    contact: KeyContactRef
    role: RoleName
    notes: str
    version: int
    created_at: datetime
    updated_at: datetime


class KeyPersonQuery(Schema):
    account: Id | None = None
    role: RoleName | None = None


class KeyPersonIn(StrictIn):
    contact_id: Id = Field(description="A contact of the account.")
    role: RoleName
    notes: str = Field("", max_length=5000)


class KeyPersonPatch(StrictIn):
    role: RoleName | None = None
    notes: str | None = Field(None, max_length=5000)
    version: Id | None = VERSION


@router.get("/relationships/key-people", response={200: list[KeyPersonOut], **ERRORS}, summary="List key people")
@paginate(IdCursorPagination)
def list_key_people(request: HttpRequest, filters: Query[KeyPersonQuery]) -> Any:
    return selectors.key_people_list(user=staff_actor(request), account=filters.account, role=filters.role)


@router.post(
    "/relationships/accounts/{account_id}/key-people",
    response={201: KeyPersonOut, **ERRORS},
    summary="Name a contact as a key person of their account",
)
def create_key_person(request: HttpRequest, account_id: Id, payload: KeyPersonIn) -> Any:
    user = staff_actor(request)
    account = access_account(user=user, account_id=account_id)
    contact = access_contact(user=user, contact_id=payload.contact_id)
    person = services.key_person_add(
        actor=user, account=account, contact=contact, role=payload.role, notes=payload.notes
    )
    return Status(201, person)


@router.patch(
    "/relationships/key-people/{key_person_id}", response={200: KeyPersonOut, **ERRORS}, summary="Change a role"
)
def update_key_person(request: HttpRequest, key_person_id: Id, payload: KeyPersonPatch) -> Any:
    user = staff_actor(request)
    person = access_key_person(user=user, key_person_id=key_person_id)
    changes, version = _changes(payload)
    return services.key_person_update(person=person, actor=user, version=version, **changes)


@router.delete(
    "/relationships/key-people/{key_person_id}",
    response={204: None, **ERRORS},
    summary="The contact no longer plays this role",
)
def delete_key_person(request: HttpRequest, key_person_id: Id) -> Any:
    user = staff_actor(request)
    services.key_person_remove(person=access_key_person(user=user, key_person_id=key_person_id), actor=user)
    return Status(204, None)


# --- services bought -----------------------------------------------------------------------------


class ClientServiceOut(Schema):
    id: int
    account_id: int
    name: str
    status: ServiceStatusName
    started_on: date
    renews_on: date | None
    amount: Decimal
    currency: str = Field(description="ISO 4217.")
    period: PeriodName = Field(description="The amount is charged per this period.")
    version: int
    created_at: datetime
    updated_at: datetime


class ClientServiceQuery(Schema):
    account: Id | None = None
    status: ServiceStatusName | None = None
    renews_before: IsoDate | None = Field(None, description="Renews on or before.")
    renews_after: IsoDate | None = Field(None, description="Renews on or after.")


class ClientServiceIn(StrictIn):
    account_id: Id
    name: str = Field(min_length=1, max_length=200)
    status: ServiceStatusName = "active"
    started_on: IsoDate
    renews_on: IsoDate | None = None
    amount: Decimal = Field(ge=0, max_digits=14, decimal_places=2)
    currency: str = Field(min_length=3, max_length=3)
    period: PeriodName = "month"


class ClientServicePatch(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=200)
    status: ServiceStatusName | None = None
    started_on: IsoDate | None = None
    renews_on: IsoDate | None = Field(None, description="Null: it does not renew.")
    amount: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    currency: str | None = Field(None, min_length=3, max_length=3)
    period: PeriodName | None = None
    version: Id | None = VERSION


@router.get(
    "/relationships/client-services",
    response={200: list[ClientServiceOut], **ERRORS},
    summary="List the services clients buy",
)
@paginate(IdCursorPagination)
def list_client_services(request: HttpRequest, filters: Query[ClientServiceQuery]) -> Any:
    rows = selectors.client_services_list(user=staff_actor(request), account=filters.account, status=filters.status)
    if filters.renews_before is not None:
        rows = rows.filter(renews_on__lte=filters.renews_before)
    if filters.renews_after is not None:
        rows = rows.filter(renews_on__gte=filters.renews_after)
    return rows


@router.post(
    "/relationships/client-services",
    response={201: ClientServiceOut, **ERRORS},
    summary="Record a service a client buys",
)
def create_client_service(request: HttpRequest, payload: ClientServiceIn) -> Any:
    user = staff_actor(request)
    data = payload.dict()
    account = access_account(user=user, account_id=data.pop("account_id"))
    return Status(201, services.client_service_create(actor=user, account=account, **data))


@router.get(
    "/relationships/client-services/{service_id}",
    response={200: ClientServiceOut, **ERRORS},
    summary="A service a client buys",
)
def get_client_service(request: HttpRequest, service_id: Id) -> Any:
    return access_client_service(user=staff_actor(request), service_id=service_id)


@router.patch(
    "/relationships/client-services/{service_id}",
    response={200: ClientServiceOut, **ERRORS},
    summary="Reprice, pause, end or move the renewal of a service",
)
def update_client_service(request: HttpRequest, service_id: Id, payload: ClientServicePatch) -> Any:
    user = staff_actor(request)
    service = access_client_service(user=user, service_id=service_id)
    changes, version = _changes(payload, nullable=frozenset({"renews_on"}))
    return services.client_service_update(service=service, actor=user, version=version, **changes)


# --- the fields the business defines -------------------------------------------------------------


class ProfileFieldOut(Schema):
    id: int
    key: str
    label: str
    kind: FieldKindName
    choices: list[str]
    help_text: str
    position: int
    active: bool
    version: int


class ProfileFieldQuery(Schema):
    active: bool | None = None


class ProfileFieldIn(StrictIn):
    key: str = Field(min_length=1, max_length=50, pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1, max_length=100)
    kind: FieldKindName
    choices: list[str] = Field(default_factory=list, max_length=50)
    help_text: str = Field("", max_length=300)
    position: int = Field(0, ge=0, le=10_000, strict=True)


class ProfileFieldPatch(StrictIn):
    label: str | None = Field(None, min_length=1, max_length=100)
    choices: list[str] | None = Field(None, max_length=50)
    help_text: str | None = Field(None, max_length=300)
    position: int | None = Field(None, ge=0, le=10_000, strict=True)
    active: bool | None = Field(None, strict=True)
    version: Id | None = VERSION


@router.get(
    "/relationships/profile-fields",
    response={200: list[ProfileFieldOut], **ERRORS},
    summary="The profile fields the business defines",
)
@paginate(IdCursorPagination)
def list_profile_fields(request: HttpRequest, filters: Query[ProfileFieldQuery]) -> Any:
    staff_actor(request)
    return selectors.profile_fields_list(active=filters.active)


@router.post(
    "/relationships/profile-fields", response={201: ProfileFieldOut, **ERRORS}, summary="Define a profile field"
)
def create_profile_field(request: HttpRequest, payload: ProfileFieldIn) -> Any:
    user = staff_actor(request)
    require_manager(user)
    return Status(201, services.profile_field_create(actor=user, **payload.dict()))


@router.patch(
    "/relationships/profile-fields/{field_id}",
    response={200: ProfileFieldOut, **ERRORS},
    summary="Relabel, reorder or retire a profile field",
)
def update_profile_field(request: HttpRequest, field_id: Id, payload: ProfileFieldPatch) -> Any:
    user = staff_actor(request)
    require_manager(user)
    field = access_profile_field(user=user, field_id=field_id)
    changes, version = _changes(payload)
    return services.profile_field_update(field=field, actor=user, version=version, **changes)
