"""REST endpoints for business calendars and SLA policies: staff read them, admins change them."""

from datetime import date, datetime, time
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StrictInt

from carefront.api.common import ERRORS, Id, OldestFirstPagination, StrictIn, staff_actor
from carefront.core.access import require_admin
from carefront.core.exceptions import ApplicationError
from carefront.desk import sla_selectors
from carefront.desk.access import access_calendar, access_sla_policy
from carefront.desk.business_time import WorkingPeriod
from carefront.desk.models import Calendar, SlaPolicy
from carefront.desk.sla_services import (
    TargetMinutes,
    calendar_create,
    calendar_update,
    sla_policy_create,
    sla_policy_update,
)

router = Router(tags=["sla"])

PriorityName = Literal["low", "normal", "high", "urgent"]


class HoursIn(StrictIn):
    weekday: StrictInt = Field(ge=0, le=6, description="0 is Monday, 6 is Sunday.")
    starts_at: time
    ends_at: time = Field(description="At or before the start: the period ends the next day; 00:00 is midnight.")


class DayOffIn(StrictIn):
    date: date
    name: str = Field("", max_length=100)


class CalendarIn(StrictIn):
    name: str = Field(min_length=1, max_length=100)
    time_zone: str = Field(max_length=64, description="An IANA time zone, such as Europe/Paris.")
    country: str = Field("", max_length=2, description="ISO 3166 country whose public holidays are days off.")
    subdivision: str = Field("", max_length=10, description="A region of the country, for regional holidays.")
    hours: list[HoursIn] = Field(min_length=1, max_length=70)
    days_off: list[DayOffIn] = Field(default_factory=list, max_length=1000)


class CalendarPatch(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=100)
    time_zone: str | None = Field(None, max_length=64)
    country: str | None = Field(None, max_length=2)
    subdivision: str | None = Field(None, max_length=10)
    hours: list[HoursIn] | None = Field(None, min_length=1, max_length=70)
    days_off: list[DayOffIn] | None = Field(None, max_length=1000)


class HoursOut(Schema):
    weekday: int
    starts_at: time
    ends_at: time


class DayOffOut(Schema):
    date: date
    name: str


class CalendarOut(Schema):
    id: int
    name: str
    time_zone: str
    country: str
    subdivision: str
    hours: list[HoursOut]
    days_off: list[DayOffOut]
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_hours(obj: Calendar) -> list[Any]:
        return list(obj.hours.all())

    @staticmethod
    def resolve_days_off(obj: Calendar) -> list[Any]:
        return list(obj.holidays.all())


class TargetIn(StrictIn):
    priority: PriorityName
    first_response_minutes: StrictInt | None = Field(None, gt=0, le=10_000_000)
    next_response_minutes: StrictInt | None = Field(None, gt=0, le=10_000_000)
    resolution_minutes: StrictInt | None = Field(None, gt=0, le=10_000_000)


class PolicyIn(StrictIn):
    name: str = Field(min_length=1, max_length=100)
    calendar_id: Id
    position: StrictInt | None = Field(None, ge=0, le=1_000_000, description="Order of evaluation; default: last.")
    service_model: Literal["", "customer", "client"] = ""
    segment: str = Field("", max_length=64)
    channel: Literal["", "email", "portal", "chat", "phone", "social", "api"] = ""
    tier: Literal[0, 1, 2, 3] | None = None
    warn_percent: StrictInt = Field(80, ge=1, le=99)
    targets: list[TargetIn] = Field(max_length=4)


class PolicyPatch(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=100)
    calendar_id: Id | None = None
    position: StrictInt | None = Field(None, ge=0, le=1_000_000)
    service_model: Literal["", "customer", "client"] | None = None
    segment: str | None = Field(None, max_length=64)
    channel: Literal["", "email", "portal", "chat", "phone", "social", "api"] | None = None
    tier: Literal[0, 1, 2, 3] | None = None
    warn_percent: StrictInt | None = Field(None, ge=1, le=99)
    is_active: bool | None = None
    targets: list[TargetIn] | None = Field(None, max_length=4)


class TargetOut(Schema):
    priority: str
    first_response_minutes: int | None
    next_response_minutes: int | None
    resolution_minutes: int | None


class PolicyOut(Schema):
    id: int
    name: str
    position: int
    calendar_id: int
    service_model: str
    segment: str
    channel: str
    tier: int | None
    warn_percent: int
    is_active: bool
    targets: list[TargetOut]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_targets(obj: SlaPolicy) -> list[Any]:
        return sorted(obj.targets.all(), key=lambda target: target.priority)


def _periods(hours: list[HoursIn]) -> list[WorkingPeriod]:
    return [WorkingPeriod(weekday=h.weekday, starts_at=h.starts_at, ends_at=h.ends_at) for h in hours]


def _calendar(calendar_id: int) -> Calendar:
    calendar = Calendar.objects.filter(pk=calendar_id).first()
    if calendar is None:
        raise ApplicationError(_("No calendar with id {id}.").format(id=calendar_id), field="calendar_id")
    return calendar


def _targets(targets: list[TargetIn]) -> dict[str, TargetMinutes]:
    chosen: dict[str, TargetMinutes] = {}
    for target in targets:
        if target.priority in chosen:
            raise ApplicationError(
                _("Priority {priority} has two sets of targets.").format(priority=target.priority), field="targets"
            )
        chosen[target.priority] = TargetMinutes(
            first_response=target.first_response_minutes,
            next_response=target.next_response_minutes,
            resolution=target.resolution_minutes,
        )
    return chosen


@router.get("/calendars", response={200: list[CalendarOut], **ERRORS}, summary="List business calendars")
@paginate(OldestFirstPagination)
def list_calendars(request: HttpRequest) -> Any:
    staff_actor(request)
    return sla_selectors.calendars_list()


@router.post("/calendars", response={201: CalendarOut, **ERRORS}, summary="Create a business calendar")
def create_calendar(request: HttpRequest, payload: CalendarIn) -> Any:
    user = staff_actor(request)
    require_admin(user)
    calendar = calendar_create(
        actor=user,
        name=payload.name,
        time_zone=payload.time_zone,
        country=payload.country,
        subdivision=payload.subdivision,
        hours=_periods(payload.hours),
        days_off=[(day.date, day.name) for day in payload.days_off],
    )
    return Status(201, sla_selectors.calendar_detail(calendar_id=calendar.pk))


@router.get("/calendars/{calendar_id}", response={200: CalendarOut, **ERRORS}, summary="Get a business calendar")
def get_calendar(request: HttpRequest, calendar_id: Id) -> Any:
    access_calendar(user=staff_actor(request), calendar_id=calendar_id)
    return sla_selectors.calendar_detail(calendar_id=calendar_id)


@router.patch("/calendars/{calendar_id}", response={200: CalendarOut, **ERRORS}, summary="Change a business calendar")
def update_calendar(request: HttpRequest, calendar_id: Id, payload: CalendarPatch) -> Any:
    user = staff_actor(request)
    calendar = access_calendar(user=user, calendar_id=calendar_id)
    require_admin(user)
    changes = payload.dict(exclude_unset=True)
    calendar_update(
        actor=user,
        calendar=calendar,
        name=changes.get("name"),
        time_zone=changes.get("time_zone"),
        country=changes.get("country"),
        subdivision=changes.get("subdivision"),
        hours=_periods(payload.hours) if payload.hours is not None else None,
        days_off=[(day.date, day.name) for day in payload.days_off] if payload.days_off is not None else None,
    )
    return sla_selectors.calendar_detail(calendar_id=calendar_id)


@router.get("/sla-policies", response={200: list[PolicyOut], **ERRORS}, summary="List SLA policies in order")
@paginate(OldestFirstPagination)
def list_policies(request: HttpRequest) -> Any:
    staff_actor(request)
    return sla_selectors.sla_policies_list()


@router.post("/sla-policies", response={201: PolicyOut, **ERRORS}, summary="Create an SLA policy")
def create_policy(request: HttpRequest, payload: PolicyIn) -> Any:
    user = staff_actor(request)
    require_admin(user)
    policy = sla_policy_create(
        actor=user,
        name=payload.name,
        calendar=_calendar(payload.calendar_id),
        position=payload.position,
        service_model=payload.service_model,
        segment=payload.segment,
        channel=payload.channel,
        tier=payload.tier,
        warn_percent=payload.warn_percent,
        targets=_targets(payload.targets),
    )
    return Status(201, sla_selectors.sla_policy_detail(policy_id=policy.pk))


@router.get("/sla-policies/{policy_id}", response={200: PolicyOut, **ERRORS}, summary="Get an SLA policy")
def get_policy(request: HttpRequest, policy_id: Id) -> Any:
    access_sla_policy(user=staff_actor(request), policy_id=policy_id)
    return sla_selectors.sla_policy_detail(policy_id=policy_id)


@router.patch("/sla-policies/{policy_id}", response={200: PolicyOut, **ERRORS}, summary="Change an SLA policy")
def update_policy(request: HttpRequest, policy_id: Id, payload: PolicyPatch) -> Any:
    user = staff_actor(request)
    policy = access_sla_policy(user=user, policy_id=policy_id)
    require_admin(user)
    changes = payload.dict(exclude_unset=True)
    calendar_id = changes.pop("calendar_id", None)
    if calendar_id is not None:
        changes["calendar"] = _calendar(calendar_id)
    if "targets" in changes:
        changes["targets"] = _targets(payload.targets) if payload.targets is not None else None
    sla_policy_update(actor=user, policy=policy, **changes)
    return sla_selectors.sla_policy_detail(policy_id=policy_id)
