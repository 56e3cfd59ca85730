"""Team goals: the baseline measured at creation over the period before the start, relative targets, the states
from hand-made checks, the daily job's one check per day, the audit trail and who may set goals."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from carefront.core.exceptions import ApplicationError
from carefront.core.models import Event, Team
from carefront.desk.models import Ticket
from carefront.desk.services import ticket_create
from carefront.insights.models import GoalCheck, GoalState, TeamGoal
from carefront.insights.selectors_goals import goal_progress
from carefront.insights.services_goals import (
    goal_archive,
    goal_create,
    goal_state_refresh,
    goal_update,
    goals_measure,
)

pytestmark = pytest.mark.django_db

START, DEADLINE = date(2026, 3, 1), date(2026, 3, 31)


def _ticket(carol: Any, created: date, solved: date | None, team: Team | None = None) -> Ticket:
    ticket = ticket_create(actor=None, requester=carol, subject="Help", body="Please.")
    noon = datetime(created.year, created.month, created.day, 12, tzinfo=UTC)
    solved_at = datetime(solved.year, solved.month, solved.day, 15, tzinfo=UTC) if solved else None
    Ticket.objects.filter(pk=ticket.pk).update(created_at=noon, solved_at=solved_at, team=team)
    return ticket


@pytest.fixture
def february(carol: Any, front_line: Team) -> None:
    """The 31 days before 1 March (29 January – 28 February): four tickets of the front line, one solved → 25 %.
    Around them, tickets the baseline must not count: one before it, one after the start, one of no team."""
    _ticket(carol, date(2026, 2, 10), date(2026, 2, 11), front_line)
    for day in (2, 3, 4):
        _ticket(carol, date(2026, 2, day), None, front_line)
    _ticket(carol, date(2026, 2, 20), None)  # no team: outside the scope
    _ticket(carol, date(2026, 1, 20), date(2026, 1, 21), front_line)  # before the baseline period
    _ticket(carol, date(2026, 3, 5), date(2026, 3, 6), front_line)  # after the start


def _goal(morgan: Any, front_line: Team, **extra: Any) -> TeamGoal:
    values: dict[str, Any] = {
        "actor": morgan,
        "name": "Solve more of what comes in",
        "metric": "resolution_rate",
        "scope": {"team": front_line.pk},
        "start": START,
        "deadline": DEADLINE,
        "team": front_line,
        "target_value": 45.0,
    }
    values.update(extra)
    return goal_create(**values)


def test_the_baseline_is_the_figure_over_the_same_length_just_before_the_start(
    morgan: Any, front_line: Team, february: None
) -> None:
    goal = _goal(morgan, front_line)
    assert (goal.baseline_start, goal.baseline_end) == (date(2026, 1, 29), date(2026, 2, 28))
    assert (goal.baseline_value, goal.baseline_count) == (pytest.approx(25.0), 4)
    assert goal.lower_is_better is False
    assert Event.objects.filter(subject_kind="goal", subject_id=goal.pk, action="goal_created").exists()


def test_a_relative_target_is_stored_as_the_value_it_means(morgan: Any, front_line: Team, february: None) -> None:
    goal = _goal(morgan, front_line, target_value=None, target_change_percent=20.0)
    assert goal.target_value == pytest.approx(30.0)
    assert goal.target_change_percent == 20.0


def test_a_lower_is_better_figure_needs_a_lower_target(morgan: Any, front_line: Team, carol: Any) -> None:
    """GIVEN a reopen rate goal (lower is better) WHEN the target is no lower than the baseline THEN it is refused;
    a time figure takes a −10 % target."""
    goal = goal_create(
        actor=morgan,
        name="Faster first answers",
        metric="first_response_time_calendar_median",
        start=START,
        deadline=DEADLINE,
        target_value=3600.0,
    )
    assert goal.lower_is_better is True and goal.baseline_value is None
    with pytest.raises(ApplicationError) as error:
        goal_create(
            actor=morgan,
            name="x",
            metric="first_response_time_calendar_median",
            start=START,
            deadline=DEADLINE,
            target_change_percent=-10.0,
        )
    assert error.value.field == "target_change_percent"


def test_a_target_the_figure_can_never_reach_is_refused(morgan: Any, front_line: Team, february: None) -> None:
    """GIVEN a resolution rate (a percentage) with a 25 % baseline WHEN the target is 120 % or +400 % (125 %) THEN
    it is refused on the field it was given in, nothing stored; 100 % is accepted, and cannot be raised past it."""
    refused = (
        ({"target_value": 120.0}, "target_value"),
        ({"target_value": None, "target_change_percent": 400.0}, "target_change_percent"),
    )
    for values, field in refused:
        with pytest.raises(ApplicationError) as error:
            _goal(morgan, front_line, **values)
        assert error.value.field == field
        assert "between 0 and 100" in error.value.message
    assert not TeamGoal.objects.exists()
    goal = _goal(morgan, front_line, target_value=100.0)
    with pytest.raises(ApplicationError):
        goal_update(actor=morgan, goal=goal, target_value=101.0)
    goal.refresh_from_db()
    assert goal.target_value == 100.0


def test_a_target_no_better_than_the_baseline_is_refused(morgan: Any, front_line: Team, february: None) -> None:
    with pytest.raises(ApplicationError) as error:
        _goal(morgan, front_line, target_value=20.0)
    assert error.value.field == "target_value"
    assert not TeamGoal.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"metric": "no_such_figure"}, "metric"),
        ({"metric": "ticket_volume"}, "metric"),  # a total: no goal takes it
        ({"scope": {"channel": "fax"}}, "scope"),
        ({"scope": {"colour": "red"}}, "scope"),
        ({"metric": "retention_rate_clients", "scope": {"channel": "email"}}, "scope"),
        ({"deadline": START}, "deadline"),
        ({"name": "  "}, "name"),
        ({"target_value": 40.0, "target_change_percent": 10.0}, "target_value"),
    ],
)
def test_bad_input_is_refused_on_its_field(
    morgan: Any, front_line: Team, february: None, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ApplicationError) as error:
        _goal(morgan, front_line, **changes)
    assert error.value.field == field


def test_only_managers_set_change_and_archive_goals(morgan: Any, alice: Any, front_line: Team, february: None) -> None:
    with pytest.raises(ApplicationError) as error:
        _goal(alice, front_line)
    assert error.value.status == 403
    goal = _goal(morgan, front_line)
    for call in (
        lambda: goal_update(goal=goal, actor=alice, name="Mine"),
        lambda: goal_archive(goal=goal, actor=alice),
    ):
        with pytest.raises(ApplicationError):
            call()


def test_update_and_archive_are_audited(morgan: Any, front_line: Team, february: None) -> None:
    goal = _goal(morgan, front_line)
    goal_update(goal=goal, actor=morgan, target_change_percent=100.0, deadline=date(2026, 4, 30))
    goal.refresh_from_db()
    assert goal.target_value == pytest.approx(50.0)
    assert goal.deadline == date(2026, 4, 30)
    goal_archive(goal=goal, actor=morgan)
    actions = set(Event.objects.filter(subject_kind="goal", subject_id=goal.pk).values_list("action", "field"))
    assert {("goal_updated", "target_value"), ("goal_updated", "deadline"), ("goal_archived", "")} <= actions
    with pytest.raises(ApplicationError):
        goal_update(goal=goal, actor=morgan, name="Again")


def _checks(goal: TeamGoal, *values: tuple[date, float]) -> None:
    GoalCheck.objects.bulk_create([GoalCheck(goal=goal, day=day, value=value, count=10) for day, value in values])


@pytest.mark.parametrize(
    ("checks", "today", "state"),
    [
        # The line runs from 25 on 1 March to 45 on 31 March: 35 on 16 March.
        ([(date(2026, 3, 16), 36.0)], date(2026, 3, 17), GoalState.ON_TRACK),
        ([(date(2026, 3, 16), 35.0)], date(2026, 3, 17), GoalState.ON_TRACK),
        ([(date(2026, 3, 16), 34.0)], date(2026, 3, 17), GoalState.AT_RISK),
        ([(date(2026, 3, 10), 46.0), (date(2026, 3, 16), 40.0)], date(2026, 3, 17), GoalState.MET),
        ([(date(2026, 3, 31), 44.0)], date(2026, 4, 2), GoalState.MISSED),
        ([], date(2026, 3, 2), GoalState.PENDING),
    ],
)
def test_the_state_compares_the_latest_check_with_the_line(
    morgan: Any, front_line: Team, february: None, checks: list[tuple[date, float]], today: date, state: str
) -> None:
    goal = _goal(morgan, front_line)
    _checks(goal, *checks)
    goal_state_refresh(goal, today=today)
    goal.refresh_from_db()
    assert goal.state == state


def test_the_daily_job_run_twice_keeps_one_check_per_day(
    morgan: Any, front_line: Team, february: None, carol: Any
) -> None:
    """GIVEN in March one solved ticket (5 March) and one open (7 March) of the front line
    WHEN the job runs twice on 10 March THEN one check for 9 March at 50 %, and the state from it."""
    goal = _goal(morgan, front_line)
    _ticket(carol, date(2026, 3, 7), None, front_line)
    assert goals_measure(today=date(2026, 3, 10)) == 1
    assert goals_measure(today=date(2026, 3, 10)) == 1
    checks = list(GoalCheck.objects.filter(goal=goal).values_list("day", "value", "count"))
    assert checks == [(date(2026, 3, 9), pytest.approx(50.0), 2)]
    goal.refresh_from_db()
    # The line on 9 March: 25 + 20 × 8/30 ≈ 30.3; 50 ≥ 45 is the target reached.
    assert goal.state == GoalState.MET and goal.met_on == date(2026, 3, 9)
    progress = goal_progress(goal=goal)
    assert progress.points[0].line == pytest.approx(25 + 20 * 8 / 30)
    assert progress.progress_percent == pytest.approx(125.0)


def test_the_daily_job_leaves_archived_and_future_goals_alone(morgan: Any, front_line: Team, february: None) -> None:
    archived = _goal(morgan, front_line)
    goal_archive(goal=archived, actor=morgan)
    _goal(
        morgan,
        front_line,
        start=date(2026, 5, 1),
        deadline=date(2026, 6, 30),
        metric="first_response_time_calendar_median",
        target_value=3600.0,
    )
    assert goals_measure(today=date(2026, 3, 10)) == 0
    assert not GoalCheck.objects.exists()
