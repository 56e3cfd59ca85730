"""Reads of team goals: the list (keyset-paged by the caller) and one goal with its checks and its line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from carefront.core.access import require_staff
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Team
from carefront.insights.models import GoalCheck, TeamGoal
from carefront.insights.services_goals import line_value


def goals_list(
    *, user: Any, archived: bool = False, state: str | None = None, team: int | None = None
) -> QuerySet[TeamGoal]:
    """Every staff member reads the goals (they are the workspace's); newest first. One query per page."""
    require_staff(user)
    goals = TeamGoal.objects.filter(archived_at__isnull=not archived).select_related("team", "owner")
    if state is not None:
        goals = goals.filter(state=state)
    if team is not None:
        goals = goals.filter(team_id=team)
    return goals.order_by("-id")


def goal_team(team_id: int) -> Team:
    """The team a goal is for (every team is open to staff), or a 422 on `team_id`."""
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise ApplicationError(_("No team has this id."), field="team_id", status=422)
    return team


def access_goal(*, user: Any, goal_id: int) -> TeamGoal:
    require_staff(user)
    goal = TeamGoal.objects.select_related("team", "owner", "created_by").filter(pk=goal_id).first()
    if goal is None:
        raise Http404
    return goal


@dataclass(frozen=True)
class GoalPoint:
    day: date
    value: float | None
    count: int
    line: float


@dataclass(frozen=True)
class GoalProgress:
    goal: TeamGoal
    points: list[GoalPoint]
    latest: GoalPoint | None
    # Where the latest value stands between the baseline (0) and the target (100); None without both.
    progress_percent: float | None


def goal_progress(*, goal: TeamGoal) -> GoalProgress:
    """The goal's checks, each beside the line's value that day (one query)."""
    checks = GoalCheck.objects.filter(goal=goal).order_by("day")
    points = [GoalPoint(c.day, c.value, c.count, line_value(goal, c.day)) for c in checks]
    latest = next((point for point in reversed(points) if point.value is not None), None)
    progress = None
    if latest is not None and latest.value is not None and goal.baseline_value is not None:
        distance = goal.target_value - goal.baseline_value
        if distance:
            progress = round(100 * (latest.value - goal.baseline_value) / distance, 1)
    return GoalProgress(goal=goal, points=points, latest=latest, progress_percent=progress)


def goal_line(goal: TeamGoal) -> list[tuple[date, float]]:
    """The line's two ends: the baseline on the start day, the target on the deadline."""
    return [(goal.start, line_value(goal, goal.start)), (goal.deadline, goal.target_value)]
