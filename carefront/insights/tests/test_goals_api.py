"""/api/v1/goals: staff read goals (cursor-paged, a constant number of queries) with their checks and line;
managers set, change and archive them; bad input is a 422 with the field."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from carefront.core.models import Team
from carefront.insights.models import GoalCheck, TeamGoal
from carefront.insights.services_goals import goal_create

pytestmark = pytest.mark.django_db

BODY = {
    "name": "First answers within the hour",
    "metric": "first_response_time_calendar_median",
    "start": "2026-03-01",
    "deadline": "2026-05-31",
    "target_value": 3600,
}


def _goal(morgan: Any, name: str, team: Team | None = None) -> TeamGoal:
    return goal_create(
        actor=morgan,
        name=name,
        metric="csat",
        start=date(2026, 1, 1),
        deadline=date(2026, 12, 31),
        target_value=90.0,
        team=team,
    )


def test_a_manager_sets_a_goal_and_reads_it_back(api_client: Any, morgan: Any, front_line: Team) -> None:
    client = api_client(morgan)
    response = client.post("/api/v1/goals", {**BODY, "team_id": front_line.pk}, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["metric"], body["target_value"], body["lower_is_better"]) == (BODY["metric"], 3600.0, True)
    assert (body["baseline_start"], body["baseline_end"]) == ("2025-11-29", "2026-02-28")
    assert body["team"] == {"id": front_line.pk, "name": "Front line"}
    assert body["state"] == "pending" and body["checks"] == []


def test_the_goal_page_has_its_checks_beside_the_line(api_client: Any, morgan: Any, alice: Any) -> None:
    goal = goal_create(
        actor=morgan,
        name="Fast",
        metric="first_response_time_calendar_median",
        start=date(2026, 3, 1),
        deadline=date(2026, 3, 31),
        target_value=3600.0,
    )
    GoalCheck.objects.create(goal=goal, day=date(2026, 3, 9), value=4000.0, count=12)
    response = api_client(alice).get(f"/api/v1/goals/{goal.pk}")
    assert response.status_code == 200
    assert response.json()["checks"] == [{"day": "2026-03-09", "value": 4000.0, "count": 12, "line": 3600.0}]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"metric": "nope"}, "metric"),
        ({"scope": {"tier": 9}}, "scope"),
        ({"deadline": "2026-02-01"}, "deadline"),
        ({"target_value": None, "target_change_percent": -10}, "target_change_percent"),
        ({"team_id": 999999}, "team_id"),
    ],
)
def test_bad_input_is_a_422_on_its_field(api_client: Any, morgan: Any, changes: dict[str, Any], field: str) -> None:
    response = api_client(morgan).post("/api/v1/goals", {**BODY, **changes}, content_type="application/json")
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field and response.json()["detail"]
    assert not TeamGoal.objects.exists()


def test_agents_read_but_do_not_set_change_or_archive(api_client: Any, morgan: Any, alice: Any) -> None:
    goal = _goal(morgan, "CSAT")
    client = api_client(alice)
    assert client.get("/api/v1/goals").status_code == 200
    assert client.post("/api/v1/goals", BODY, content_type="application/json").status_code == 403
    assert client.patch(f"/api/v1/goals/{goal.pk}", {"name": "x"}, content_type="application/json").status_code == 403
    assert client.delete(f"/api/v1/goals/{goal.pk}").status_code == 403


def test_a_portal_contact_sees_no_goals(api_client: Any, morgan: Any, carol: Any, portal_user_for: Any) -> None:
    _goal(morgan, "CSAT")
    assert api_client(portal_user_for(carol)).get("/api/v1/goals").status_code == 403


def test_a_manager_changes_then_archives_a_goal(api_client: Any, morgan: Any, front_line: Team) -> None:
    goal = _goal(morgan, "CSAT")
    client = api_client(morgan)
    response = client.patch(
        f"/api/v1/goals/{goal.pk}",
        {"target_value": 95, "team_id": front_line.pk},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert (response.json()["target_value"], response.json()["team"]["id"]) == (95.0, front_line.pk)
    assert client.delete(f"/api/v1/goals/{goal.pk}").json()["archived_at"] is not None
    assert client.get("/api/v1/goals").json()["results"] == []
    assert [item["id"] for item in client.get("/api/v1/goals?archived=true").json()["results"]] == [goal.pk]


def test_the_list_is_cursor_paged_at_a_constant_number_of_queries(
    api_client: Any, morgan: Any, front_line: Team, django_assert_max_num_queries: Any
) -> None:
    """Authentication, the page of goals with their team and owner joined: the same few queries for six as for one."""
    client = api_client(morgan)
    _goal(morgan, "One", front_line)
    with django_assert_max_num_queries(3):
        client.get("/api/v1/goals")
    for index in range(5):
        _goal(morgan, f"Goal {index}", front_line)
    with django_assert_max_num_queries(3):
        first = client.get("/api/v1/goals?page_size=3").json()
    assert len(first["results"]) == 3 and first["next"]
    rest = client.get(first["next"]).json()
    assert len(rest["results"]) == 3 and rest["next"] is None
