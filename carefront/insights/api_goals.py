"""REST endpoints of team goals (`/api/v1/goals`): every staff member reads them with their checks and line;
managers set, change and archive them."""

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from carefront.api.common import ERRORS, Id, IdCursorPagination, StrictIn, UserRef, staff_actor, user_by_id
from carefront.core.exceptions import ApplicationError
from carefront.insights.selectors_goals import access_goal, goal_progress, goal_team, goals_list
from carefront.insights.services_goals import goal_archive, goal_create, goal_update

router = Router(tags=["goals"])

GoalStateName = Literal["pending", "on_track", "at_risk", "met", "missed"]


class GoalTeamRef(Schema):
    id: int
    name: str


class GoalTeamOut(Schema):
    id: int
    name: str
    metric: str = Field(description="The figure's name in /api/v1/metrics/definitions.")
    scope: dict[str, Any] = Field(description="The metric filters besides the period.")
    start: date
    deadline: date
    baseline_start: date
    baseline_end: date
    baseline_value: float | None = Field(description="The figure over [baseline_start, baseline_end], at creation.")
    baseline_count: int
    target_value: float
    target_change_percent: float | None
    lower_is_better: bool
    state: GoalStateName
    met_on: date | None
    team: GoalTeamRef | None
    owner: UserRef | None
    archived_at: datetime | None
    created_at: datetime


class GoalCheckOut(Schema):
    day: date
    value: float | None
    count: int
    line: float = Field(description="The straight line from the baseline to the target, that day.")


class GoalTeamDetailOut(GoalTeamOut):
    checks: list[GoalCheckOut]
    progress_percent: float | None = Field(description="Latest value between baseline (0) and target (100).")


class GoalTeamIn(StrictIn):
    name: str = Field(min_length=1, max_length=200)
    metric: str = Field(examples=["first_response_time_calendar_median"])
    scope: dict[str, Any] = Field(default_factory=dict, examples=[{"team": 1}])
    start: date
    deadline: date
    target_value: float | None = Field(None, description="The target itself …")
    target_change_percent: float | None = Field(None, description="… or a change from the baseline: -10 for −10 %.")
    team_id: Id | None = Field(None, description="The team the goal is for, emailed the weekly digest.")
    owner_id: Id | None = None


class GoalTeamPatch(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=200)
    deadline: date | None = None
    target_value: float | None = None
    target_change_percent: float | None = None
    team_id: Id | None = None
    owner_id: Id | None = None


class GoalTeamQuery(Schema):
    state: GoalStateName | None = None
    team: Id | None = None
    archived: bool = False


def _detail(goal: Any) -> dict[str, Any]:
    progress = goal_progress(goal=goal)
    return {
        **GoalTeamOut.from_orm(goal).dict(),
        "checks": [vars(point) for point in progress.points],
        "progress_percent": progress.progress_percent,
    }


@router.get("/goals", response={200: list[GoalTeamOut], **ERRORS}, summary="List team goals")
@paginate(IdCursorPagination)
def list_goals(request: HttpRequest, filters: Query[GoalTeamQuery]) -> Any:
    return goals_list(user=staff_actor(request), archived=filters.archived, state=filters.state, team=filters.team)


@router.get("/goals/{goal_id}", response={200: GoalTeamDetailOut, **ERRORS}, summary="A goal with its checks")
def get_goal(request: HttpRequest, goal_id: Id) -> Any:
    return _detail(access_goal(user=staff_actor(request), goal_id=goal_id))


@router.post("/goals", response={201: GoalTeamDetailOut, **ERRORS}, summary="Set a goal (managers)")
def create_goal(request: HttpRequest, payload: GoalTeamIn) -> Any:
    user = staff_actor(request)
    data = payload.dict()
    team_id, owner_id = data.pop("team_id"), data.pop("owner_id")
    team = goal_team(team_id) if team_id else None
    owner = user_by_id(owner_id, field="owner_id")
    goal = goal_create(actor=user, team=team, owner=owner, **data)
    return Status(201, _detail(access_goal(user=user, goal_id=goal.pk)))


@router.patch("/goals/{goal_id}", response={200: GoalTeamDetailOut, **ERRORS}, summary="Change a goal (managers)")
def update_goal(request: HttpRequest, goal_id: Id, payload: GoalTeamPatch) -> Any:
    user = staff_actor(request)
    goal = access_goal(user=user, goal_id=goal_id)
    changes = payload.dict(exclude_unset=True)
    for name in ("name", "deadline"):
        if name in changes and changes[name] is None:
            raise ApplicationError(_("This field cannot be null."), field=name, status=422)
    team_id = changes.pop("team_id", ...)
    owner_id = changes.pop("owner_id", ...)
    if team_id is None:
        changes["clear_team"] = True
    elif team_id is not ...:
        changes["team"] = goal_team(team_id)
    if owner_id is None:
        changes["clear_owner"] = True
    elif owner_id is not ...:
        changes["owner"] = user_by_id(owner_id, field="owner_id")
    goal_update(goal=goal, actor=user, **changes)
    return _detail(access_goal(user=user, goal_id=goal_id))


@router.delete("/goals/{goal_id}", response={200: GoalTeamDetailOut, **ERRORS}, summary="Archive a goal (managers)")
def archive_goal(request: HttpRequest, goal_id: Id) -> Any:
    user = staff_actor(request)
    goal_archive(goal=access_goal(user=user, goal_id=goal_id), actor=user)
    return _detail(access_goal(user=user, goal_id=goal_id))
