"""REST endpoints for routing rules, team assignment strategies, away status and automations: staff read
them, admins change rules and automations, managers set strategies, anyone on staff marks themselves away."""

from datetime import datetime
from typing import Any, Literal

from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StrictBool, StrictInt

from carefront.api.common import ERRORS, Id, OldestFirstPagination, StrictIn, staff_actor
from carefront.core.access import require_admin, require_manager
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Team
from carefront.core.selectors import unique_or_none
from carefront.desk import routing_selectors
from carefront.desk.automation_services import automation_create, automation_delete, automation_update
from carefront.desk.models import Automation, Calendar, RoutingRule
from carefront.desk.routing_services import (
    routing_rule_create,
    routing_rule_delete,
    routing_rule_update,
    staff_away_set,
    team_assignment_set,
)

router = Router(tags=["routing"])

RunsOnName = Literal["created", "updated", "both"]
StrategyName = Literal["manual", "round_robin", "least_open", "skill_language"]
SinceName = Literal["created", "updated", "status", "solved"]

CONDITIONS_HELP = (
    "Keys channel, service_model, segment, language, tier, priority, status, assigned, difficult, tags_any, "
    "tags_none, words; "
    "each a list of values the ticket may have (all keys must hold)."
)
ROUTING_ACTIONS_HELP = "Keys team (id), assignee (id), priority, tier, tags_add, tags_remove."
AUTOMATION_ACTIONS_HELP = ROUTING_ACTIONS_HELP + " Also status, notify (assignee, owner, team), remind_requester."


class RuleIn(StrictIn):
    name: str = Field(min_length=1, max_length=100)
    runs_on: RunsOnName = "created"
    position: StrictInt | None = Field(None, ge=0, le=1_000_000, description="Order of evaluation; default: last.")
    conditions: dict[str, Any] = Field(default_factory=dict, description=CONDITIONS_HELP)
    actions: dict[str, Any] = Field(description=ROUTING_ACTIONS_HELP)
    is_active: StrictBool = True


class RulePatch(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=100)
    runs_on: RunsOnName | None = None
    position: StrictInt | None = Field(None, ge=0, le=1_000_000)
    conditions: dict[str, Any] | None = Field(None, description=CONDITIONS_HELP)
    actions: dict[str, Any] | None = Field(None, description=ROUTING_ACTIONS_HELP)
    is_active: StrictBool | None = None


class RuleOut(Schema):
    id: int
    name: str
    position: int
    runs_on: str
    conditions: dict[str, Any]
    actions: dict[str, Any]
    is_active: bool
    created_at: datetime
    updated_at: datetime


class AutomationIn(StrictIn):
    name: str = Field(min_length=1, max_length=100)
    since: SinceName = Field(description="The moment the hours count from.")
    hours: StrictInt = Field(ge=1, le=24 * 365)
    calendar_id: Id | None = Field(None, description="Count business hours of this calendar; null: calendar hours.")
    position: StrictInt | None = Field(None, ge=0, le=1_000_000)
    conditions: dict[str, Any] = Field(default_factory=dict, description=CONDITIONS_HELP + " No words.")
    actions: dict[str, Any] = Field(description=AUTOMATION_ACTIONS_HELP)
    is_active: StrictBool = True
    skip_due: StrictBool = Field(
        False, description="Leave the tickets already due alone: act only on those that become due from now on."
    )


class AutomationPatch(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=100)
    since: SinceName | None = None
    hours: StrictInt | None = Field(None, ge=1, le=24 * 365)
    calendar_id: Id | None = None
    position: StrictInt | None = Field(None, ge=0, le=1_000_000)
    conditions: dict[str, Any] | None = None
    actions: dict[str, Any] | None = None
    is_active: StrictBool | None = None


class AutomationOut(Schema):
    id: int
    name: str
    position: int
    since: str
    hours: int
    calendar_id: int | None
    conditions: dict[str, Any]
    actions: dict[str, Any]
    is_active: bool
    created_at: datetime
    updated_at: datetime


class AssignmentIn(StrictIn):
    strategy: StrategyName


class AssignmentOut(Schema):
    team_id: int
    team: str
    strategy: str


class AwayIn(StrictIn):
    away: StrictBool


class AwayOut(Schema):
    user_id: int
    username: str
    away: bool


def _one(model: type[Any], pk: int) -> Any:
    """A rule, an automation or a team by id (staff may read them all), or 404."""
    row = unique_or_none(model.objects.filter(pk=pk))
    if row is None:
        raise Http404
    return row


def _calendar(calendar_id: int | None) -> Calendar | None:
    if calendar_id is None:
        return None
    calendar = Calendar.objects.filter(pk=calendar_id).first()
    if calendar is None:
        raise ApplicationError(_("No calendar with id {id}.").format(id=calendar_id), field="calendar_id")
    return calendar


@router.get("/routing-rules", response={200: list[RuleOut], **ERRORS}, summary="List routing rules in order")
@paginate(OldestFirstPagination)
def list_rules(request: HttpRequest) -> Any:
    staff_actor(request)
    return routing_selectors.routing_rules_list()


@router.post("/routing-rules", response={201: RuleOut, **ERRORS}, summary="Create a routing rule")
def create_rule(request: HttpRequest, payload: RuleIn) -> Any:
    user = staff_actor(request)
    require_admin(user)
    return Status(201, routing_rule_create(actor=user, **payload.dict()))


@router.get("/routing-rules/{rule_id}", response={200: RuleOut, **ERRORS}, summary="Get a routing rule")
def get_rule(request: HttpRequest, rule_id: Id) -> Any:
    staff_actor(request)
    return _one(RoutingRule, rule_id)


@router.patch("/routing-rules/{rule_id}", response={200: RuleOut, **ERRORS}, summary="Change a routing rule")
def update_rule(request: HttpRequest, rule_id: Id, payload: RulePatch) -> Any:
    user = staff_actor(request)
    rule = _one(RoutingRule, rule_id)
    require_admin(user)
    return routing_rule_update(rule=rule, actor=user, **payload.dict(exclude_unset=True))


@router.delete("/routing-rules/{rule_id}", response={204: None, **ERRORS}, summary="Delete a routing rule")
def delete_rule(request: HttpRequest, rule_id: Id) -> Any:
    user = staff_actor(request)
    rule = _one(RoutingRule, rule_id)
    require_admin(user)
    routing_rule_delete(rule=rule, actor=user)
    return Status(204, None)


@router.get("/automations", response={200: list[AutomationOut], **ERRORS}, summary="List automations in order")
@paginate(OldestFirstPagination)
def list_automations(request: HttpRequest) -> Any:
    staff_actor(request)
    return routing_selectors.automations_list()


@router.post("/automations", response={201: AutomationOut, **ERRORS}, summary="Create an automation")
def create_automation(request: HttpRequest, payload: AutomationIn) -> Any:
    user = staff_actor(request)
    require_admin(user)
    values = payload.dict()
    values["calendar"] = _calendar(values.pop("calendar_id"))
    return Status(201, automation_create(actor=user, **values))


@router.get("/automations/{automation_id}", response={200: AutomationOut, **ERRORS}, summary="Get an automation")
def get_automation(request: HttpRequest, automation_id: Id) -> Any:
    staff_actor(request)
    return _one(Automation, automation_id)


@router.patch("/automations/{automation_id}", response={200: AutomationOut, **ERRORS}, summary="Change an automation")
def update_automation(request: HttpRequest, automation_id: Id, payload: AutomationPatch) -> Any:
    user = staff_actor(request)
    automation = _one(Automation, automation_id)
    require_admin(user)
    values = payload.dict(exclude_unset=True)
    if "calendar_id" in values:
        values["calendar"] = _calendar(values.pop("calendar_id"))
    return automation_update(automation=automation, actor=user, **values)


@router.delete("/automations/{automation_id}", response={204: None, **ERRORS}, summary="Delete an automation")
def delete_automation(request: HttpRequest, automation_id: Id) -> Any:
    user = staff_actor(request)
    automation = _one(Automation, automation_id)
    require_admin(user)
    automation_delete(automation=automation, actor=user)
    return Status(204, None)


def _assignment_out(team: Team) -> dict[str, Any]:
    return {"team_id": team.pk, "team": team.name, "strategy": routing_selectors.team_strategy(team)}


@router.get("/team-assignments", response={200: list[AssignmentOut], **ERRORS}, summary="Each team's strategy")
def list_assignments(request: HttpRequest) -> Any:
    staff_actor(request)
    return [_assignment_out(team) for team in routing_selectors.teams_with_assignment()]


@router.put(
    "/team-assignments/{team_id}", response={200: AssignmentOut, **ERRORS}, summary="Set a team's assignment strategy"
)
def set_assignment(request: HttpRequest, team_id: Id, payload: AssignmentIn) -> Any:
    user = staff_actor(request)
    team = _one(Team, team_id)
    require_manager(user)
    assignment = team_assignment_set(actor=user, team=team, strategy=payload.strategy)
    return {"team_id": team.pk, "team": team.name, "strategy": assignment.strategy}


@router.put("/staff/{user_id}/away", response={200: AwayOut, **ERRORS}, summary="Mark a staff member away or back")
def set_away(request: HttpRequest, user_id: Id, payload: AwayIn) -> Any:
    user = staff_actor(request)
    person = unique_or_none(get_user_model().objects.filter(pk=user_id, staff_profile__isnull=False))
    if person is None:
        raise Http404
    profile = staff_away_set(actor=user, user=person, away=payload.away)
    return {"user_id": person.pk, "username": person.get_username(), "away": profile.away}
