"""Team goals: set one (its baseline measured there and then), change it, archive it, and measure every active goal
once a day. The state is the latest check against the straight line from the baseline to the target."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carefront.core.access import require_manager
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Event, Team
from carefront.core.services import Actor, Change, events_record
from carefront.insights.metrics.definitions import (
    DEFINITIONS,
    LOWER,
    PERCENT,
    POINTS,
    MetricFilters,
    metric_filters_build,
)
from carefront.insights.metrics.measure import figure_measure
from carefront.insights.models import GoalCheck, GoalState, TeamGoal

SCOPE_FILTERS = ("team", "agent", "advisor", "segment", "service_model", "channel", "tier")
NAME_LENGTH = 200


def goal_definition_check(metric: str) -> None:
    """Refuse a name the registry lacks, or a figure no goal may take (see `Definition.better`)."""
    definition = DEFINITIONS.get(metric)
    if definition is None:
        raise ApplicationError(_("No figure has this name."), field="metric", status=422)
    if not definition.better:
        raise ApplicationError(
            _("A goal takes a rate, a time or an average; this figure is a total or a distribution."),
            field="metric",
            status=422,
        )


def goal_filters(*, metric: str, scope: dict[str, Any], start: date, end: date) -> MetricFilters:
    """The metric filters of a goal's scope over the days [start, end], checked by the scorecards' own builder."""
    unknown = sorted(set(scope) - set(SCOPE_FILTERS))
    if unknown:
        raise ApplicationError(
            _("Unknown scope filter: {names}.").format(names=", ".join(unknown)), field="scope", status=422
        )
    narrowing = {key: value for key, value in scope.items() if value is not None}
    ignored = sorted(set(narrowing) - set(DEFINITIONS[metric].filters))
    if ignored:
        raise ApplicationError(
            _("This figure is not narrowed by: {names}.").format(names=", ".join(ignored)), field="scope", status=422
        )
    try:
        return metric_filters_build(start=start, end=end, **narrowing)
    except ApplicationError as error:
        if error.field in SCOPE_FILTERS:
            raise ApplicationError(error.message, field="scope", status=422) from None
        raise
    except TypeError:
        raise ApplicationError(_("A scope filter has a value of the wrong kind."), field="scope", status=422) from None


def baseline_period(*, start: date, deadline: date) -> tuple[date, date]:
    """The days, as many as the goal's own [start, deadline], that end the day before its start."""
    span = deadline - start + timedelta(days=1)
    return start - span, start - timedelta(days=1)


def line_value(goal: TeamGoal, day: date) -> float:
    """The straight line from the baseline on the start day to the target on the deadline (the target throughout
    when there was no baseline to start from)."""
    if goal.baseline_value is None:
        return goal.target_value
    share = min(max((day - goal.start).days / max((goal.deadline - goal.start).days, 1), 0.0), 1.0)
    return goal.baseline_value + (goal.target_value - goal.baseline_value) * share


def _reached(goal: TeamGoal, value: float, mark: float) -> bool:
    return value <= mark if goal.lower_is_better else value >= mark


def goal_state(goal: TeamGoal, *, latest: GoalCheck | None, met_on: date | None, today: date) -> str:
    """Met once any check reached the target (it stays met); missed when the deadline passed unmet; otherwise the
    latest check at or better than the line is on track, worse is at risk; pending before a value is measured."""
    if met_on is not None:
        return GoalState.MET
    if today > goal.deadline:
        return GoalState.MISSED
    if latest is None or latest.value is None:
        return GoalState.PENDING
    return GoalState.ON_TRACK if _reached(goal, latest.value, line_value(goal, latest.day)) else GoalState.AT_RISK


def _target(*, baseline: float | None, target_value: float | None, target_change_percent: float | None) -> float:
    if (target_value is None) == (target_change_percent is None):
        raise ApplicationError(
            _("Give the target either as a value or as a change in percent."), field="target_value", status=422
        )
    if target_value is not None:
        return float(target_value)
    if baseline is None:
        raise ApplicationError(
            _("There is no baseline to change: nothing was measured before the start. Give the target as a value."),
            field="target_change_percent",
            status=422,
        )
    assert target_change_percent is not None
    return baseline * (1 + target_change_percent / 100)


# What a figure of each unit can be: a target outside it could never be met (a rate above 100 %).
UNIT_RANGES: dict[str, tuple[float, float | None]] = {PERCENT: (0.0, 100.0), POINTS: (-100.0, 100.0)}


def _check_target(*, baseline: float | None, target: float, lower_is_better: bool, field: str, unit: str) -> None:
    low, high = UNIT_RANGES.get(unit, (0.0, None))
    if target < low or (high is not None and target > high):
        message = (
            _("The target must lie between {low} and {high}.").format(low=round(low), high=round(high))
            if high is not None
            else _("The target cannot be below {low}.").format(low=round(low))
        )
        raise ApplicationError(message, field=field, status=422)
    if baseline is None:
        return
    better = target < baseline if lower_is_better else target > baseline
    if not better:
        message = (
            _("The target must be lower than the baseline ({baseline}).")
            if lower_is_better
            else _("The target must be higher than the baseline ({baseline}).")
        )
        raise ApplicationError(message.format(baseline=round(baseline, 2)), field=field, status=422)


def _check_dates(start: date, deadline: date) -> None:
    if deadline <= start:
        raise ApplicationError(_("The deadline must come after the start."), field="deadline", status=422)
    if (deadline - start).days > 3 * 366:
        raise ApplicationError(_("A goal spans at most three years."), field="deadline", status=422)


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > NAME_LENGTH:
        raise ApplicationError(_("A goal's name is 1 to 200 characters."), field="name", status=422)
    return name


def _check_owner(owner: Any) -> None:
    if owner is not None and getattr(owner, "staff_profile", None) is None:
        raise ApplicationError(_("The owner must be a staff member."), field="owner", status=422)


@dataclass(frozen=True)
class Baseline:
    start: date
    end: date
    value: float | None
    count: int


def baseline_measure(*, metric: str, scope: dict[str, Any], start: date, deadline: date, user: Any) -> Baseline:
    """The figure over the baseline period (see `baseline_period`)."""
    since, until = baseline_period(start=start, deadline=deadline)
    result = figure_measure(
        name=metric, filters=goal_filters(metric=metric, scope=scope, start=since, end=until), user=user
    )
    return Baseline(since, until, None if result.value is None else float(result.value), result.count)


@transaction.atomic
def goal_create(
    *,
    actor: Actor,
    name: str,
    metric: str,
    start: date,
    deadline: date,
    scope: dict[str, Any] | None = None,
    target_value: float | None = None,
    target_change_percent: float | None = None,
    team: Team | None = None,
    owner: Any = None,
) -> TeamGoal:
    """Set a goal: the baseline is measured now over the period of the goal's length just before its start, and a
    relative target ("−10 %") is turned into the value it means."""
    require_manager(actor)
    name = _check_name(name)
    goal_definition_check(metric)
    scope = dict(scope or {})
    _check_dates(start, deadline)
    goal_filters(metric=metric, scope=scope, start=start, end=deadline)
    _check_owner(owner)
    baseline = baseline_measure(metric=metric, scope=scope, start=start, deadline=deadline, user=actor)
    target = _target(baseline=baseline.value, target_value=target_value, target_change_percent=target_change_percent)
    lower = DEFINITIONS[metric].better == LOWER
    field = "target_value" if target_change_percent is None else "target_change_percent"
    _check_target(
        baseline=baseline.value, target=target, lower_is_better=lower, field=field, unit=DEFINITIONS[metric].unit
    )
    goal = TeamGoal.objects.create(
        name=name,
        metric=metric,
        scope=scope,
        start=start,
        deadline=deadline,
        baseline_start=baseline.start,
        baseline_end=baseline.end,
        baseline_value=baseline.value,
        baseline_count=baseline.count,
        target_value=target,
        target_change_percent=target_change_percent,
        lower_is_better=lower,
        team=team,
        owner=owner,
        created_by=actor if getattr(actor, "pk", None) else None,  # type: ignore[misc]
    )
    events_record(
        subject_kind=Event.SubjectKind.GOAL,
        subject_id=goal.pk,
        action="goal_created",
        changes=[
            Change("metric", None, metric),
            Change("baseline_value", None, goal.baseline_value),
            Change("target_value", None, target),
            Change("deadline", None, deadline.isoformat()),
        ],
        actor=actor,
    )
    return goal


@transaction.atomic
def goal_update(
    *,
    goal: TeamGoal,
    actor: Actor,
    name: str | None = None,
    deadline: date | None = None,
    target_value: float | None = None,
    target_change_percent: float | None = None,
    team: Team | None = None,
    owner: Any = None,
    clear_team: bool = False,
    clear_owner: bool = False,
) -> TeamGoal:
    """Change a goal's name, target, deadline or whom it notifies. The metric, scope and start are what the baseline
    was measured for, so they stay: a different one is a new goal."""
    require_manager(actor)
    if goal.archived_at is not None:
        raise ApplicationError(_("An archived goal cannot be changed."), status=409)
    values: dict[str, Any] = {}
    if name is not None:
        values["name"] = _check_name(name)
    if deadline is not None:
        _check_dates(goal.start, deadline)
        values["deadline"] = deadline
    if target_value is not None or target_change_percent is not None:
        target = _target(
            baseline=goal.baseline_value, target_value=target_value, target_change_percent=target_change_percent
        )
        field = "target_value" if target_change_percent is None else "target_change_percent"
        _check_target(
            baseline=goal.baseline_value,
            target=target,
            lower_is_better=goal.lower_is_better,
            field=field,
            unit=DEFINITIONS[goal.metric].unit,
        )
        values["target_value"] = target
        values["target_change_percent"] = target_change_percent
    if team is not None or clear_team:
        values["team"] = None if clear_team else team
    if owner is not None or clear_owner:
        _check_owner(owner)
        values["owner"] = None if clear_owner else owner
    changes = []
    for field_name, value in values.items():
        old = getattr(goal, field_name)
        if old != value:
            changes.append(Change(field_name, _plain(old), _plain(value)))
            setattr(goal, field_name, value)
    if not changes:
        return goal
    goal.updated_at = timezone.now()
    goal.save(update_fields=[*values, "updated_at"])
    goal_state_refresh(goal, today=timezone.localdate())
    events_record(
        subject_kind=Event.SubjectKind.GOAL, subject_id=goal.pk, action="goal_updated", changes=changes, actor=actor
    )
    return goal


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


@transaction.atomic
def goal_archive(*, goal: TeamGoal, actor: Actor) -> TeamGoal:
    """Stop measuring the goal and take it off the list and the digest; its checks stay."""
    require_manager(actor)
    if goal.archived_at is not None:
        return goal
    goal.archived_at = timezone.now()
    goal.save(update_fields=["archived_at"])
    events_record(subject_kind=Event.SubjectKind.GOAL, subject_id=goal.pk, action="goal_archived", actor=actor)
    return goal


def goal_state_refresh(goal: TeamGoal, *, today: date) -> None:
    """Recompute met_on and the state from the stored checks (two small queries)."""
    met_on = None
    latest = None
    for check in GoalCheck.objects.filter(goal=goal).order_by("day"):
        latest = check
        if met_on is None and check.value is not None and _reached(goal, check.value, goal.target_value):
            met_on = check.day
    state = goal_state(goal, latest=latest, met_on=met_on, today=today)
    if (state, met_on) != (goal.state, goal.met_on):
        goal.state, goal.met_on = state, met_on
        goal.save(update_fields=["state", "met_on"])


def goal_measure(*, goal: TeamGoal, today: date) -> GoalCheck | None:
    """Measure the goal from its start to the end of yesterday (the last whole day; the deadline at the latest), keep
    it as that day's check (a second run the same day replaces it) and refresh the state."""
    day = min(today - timedelta(days=1), goal.deadline)
    check = None
    if day >= goal.start:
        filters = goal_filters(metric=goal.metric, scope=goal.scope, start=goal.start, end=day)
        result = figure_measure(name=goal.metric, filters=filters, user=goal.created_by)
        check, _created = GoalCheck.objects.update_or_create(
            goal=goal,
            day=day,
            defaults={
                "value": None if result.value is None else float(result.value),
                "count": result.count,
                "measured_at": timezone.now(),
            },
        )
    goal_state_refresh(goal, today=today)
    return check


def goals_measure(*, today: date | None = None) -> int:
    """The daily job: measure every active goal that has started and whose deadline's check is not yet final; the
    number of goals measured. Each goal in its own transaction, so one failing goal does not stop the others."""
    today = today or timezone.localdate()
    goals = TeamGoal.objects.filter(archived_at__isnull=True, start__lt=today).select_related("created_by")
    measured = 0
    for goal in goals.filter(deadline__gte=today - timedelta(days=1)).order_by("pk"):
        with transaction.atomic():
            goal_measure(goal=goal, today=today)
        measured += 1
    # Past the deadline nothing is measured any more, but an unmet goal still turns to missed.
    for goal in goals.filter(deadline__lt=today - timedelta(days=1)).exclude(
        state__in=[GoalState.MET, GoalState.MISSED]
    ):
        goal_state_refresh(goal, today=today)
    return measured
