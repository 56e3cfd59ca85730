"""The team goals screens: the list (every staff member; managers set goals there) and a goal's page, its progress
charted against the straight line to the target (managers change and archive it there)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from carefront.core.access import is_manager
from carefront.core.exceptions import ApplicationError
from carefront.insights.forms import form_error
from carefront.insights.forms_goals import GoalCreateForm, GoalTargetForm
from carefront.insights.metrics.definitions import DEFINITIONS
from carefront.insights.selectors_goals import access_goal, goal_progress, goals_list
from carefront.insights.services_goals import goal_archive, goal_create, goal_update
from carefront.web.access import staff_view

PAGE_SIZE = 50
MAX_CURSOR_DIGITS = 18


def _status(form: Any) -> int:
    return 422 if form is not None and form.is_bound and form.errors else 200


@staff_view
def goals_view(request: HttpRequest) -> HttpResponse:
    """The active goals newest first, keyset-paged by id (`?before=`); the form to set one for managers."""
    may_edit = is_manager(request.user)
    form = GoalCreateForm(request.POST or None) if may_edit else None
    if request.method == "POST":
        if form is None:
            return HttpResponse(status=403)
        if form.is_valid():
            try:
                goal = goal_create(
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    metric=form.cleaned_data["metric"],
                    scope=form.scope(),
                    start=form.cleaned_data["start"],
                    deadline=form.cleaned_data["deadline"],
                    team=form.cleaned_data["notify_team"],
                    **form.target(),
                )
            except ApplicationError as error:
                form_error(form, error, field="scope_team" if error.field == "scope" else None)
            else:
                return redirect("web:insights-goal", goal_id=goal.pk)
    raw = request.GET.get("before", "")
    goals = goals_list(user=request.user)
    if raw.isascii() and raw.isdigit() and len(raw) <= MAX_CURSOR_DIGITS:
        goals = goals.filter(pk__lt=int(raw))
    page = list(goals[: PAGE_SIZE + 1])
    older = page[PAGE_SIZE - 1].pk if len(page) > PAGE_SIZE else None
    context = {"nav": "insights", "goals": page[:PAGE_SIZE], "older": older, "form": form, "definitions": DEFINITIONS}
    return render(request, "insights/goals.html", context, status=_status(form))


@staff_view
def goal_view(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal = access_goal(user=request.user, goal_id=goal_id)
    may_edit = is_manager(request.user) and goal.archived_at is None
    initial = {
        "name": goal.name,
        "deadline": goal.deadline,
        "target_value": goal.target_value,
        "notify_team": goal.team_id,
    }
    form = GoalTargetForm(request.POST or None, initial=initial) if may_edit else None
    if request.method == "POST":
        if form is None:
            return HttpResponse(status=403)
        if form.is_valid():
            # The target is sent only when it was touched: the stored value stays otherwise.
            touched = {"target_value", "target_change_percent"} & set(form.changed_data)
            target = form.target() if touched else {}
            try:
                goal_update(
                    goal=goal,
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    deadline=form.cleaned_data["deadline"],
                    team=form.cleaned_data["notify_team"],
                    clear_team=form.cleaned_data["notify_team"] is None,
                    **target,
                )
            except ApplicationError as error:
                form_error(form, error)
            else:
                return redirect("web:insights-goal", goal_id=goal.pk)
    progress = goal_progress(goal=goal)
    chart = {
        "labels": [point.day.isoformat() for point in progress.points] or [goal.start.isoformat()],
        "values": [point.value for point in progress.points],
        "line": [point.line for point in progress.points] or [goal.baseline_value or goal.target_value],
        "target": goal.target_value,
        "label": str(DEFINITIONS[goal.metric].label),
        "line_label": _("Straight line to the target"),
    }
    context = {
        "nav": "insights",
        "goal": goal,
        "progress": progress,
        "definition": DEFINITIONS[goal.metric],
        "chart": chart,
        "form": form,
        "may_archive": may_edit,
    }
    return render(request, "insights/goal.html", context, status=_status(form))


@staff_view
@require_POST
def goal_archive_view(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal = access_goal(user=request.user, goal_id=goal_id)
    try:
        goal_archive(goal=goal, actor=request.user)
    except ApplicationError:
        return HttpResponse(status=403)
    return redirect("web:insights-goals")
