"""The goals screens (staff read, managers set and archive) and the weekly digest (once a week per recipient, in
the recipient's language)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from carefront.core.models import Team
from carefront.insights.models import GoalCheck, GoalDigest, TeamGoal
from carefront.insights.services_goals import goal_create
from carefront.insights.services_goals_digest import goals_digest_queue

pytestmark = pytest.mark.django_db


def _goal(morgan: Any, team: Team | None = None, owner: Any = None) -> TeamGoal:
    return goal_create(
        actor=morgan,
        name="Happier customers",
        metric="csat",
        start=date(2026, 1, 1),
        deadline=date(2026, 12, 31),
        target_value=90.0,
        team=team,
        owner=owner,
    )


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_staff_read_the_list_and_the_goal_page_with_its_chart(
    morgan: Any, alice: Any, front_line: Team, django_assert_max_num_queries: Any
) -> None:
    goal = _goal(morgan, front_line)
    GoalCheck.objects.create(goal=goal, day=date(2026, 2, 1), value=80.0, count=5)
    client = _client(alice)
    with django_assert_max_num_queries(8):
        page = client.get(reverse("web:insights-goals"))
    assert page.status_code == 200 and "Happier customers" in page.content.decode()
    assert "Set a goal" not in page.content.decode()
    detail = client.get(reverse("web:insights-goal", args=[goal.pk])).content.decode()
    assert 'id="goal-data"' in detail and "chart.umd.min.js" in detail and "80.00" in detail
    assert client.post(reverse("web:insights-goal-archive", args=[goal.pk])).status_code == 403


def test_a_manager_sets_a_goal_from_the_screen_and_archives_it(morgan: Any, front_line: Team) -> None:
    client = _client(morgan)
    refused = client.post(
        reverse("web:insights-goals"),
        {"name": "x", "metric": "csat", "start": "2026-03-01", "deadline": "2026-02-01", "target_value": "90"},
    )
    assert refused.status_code == 422 and not TeamGoal.objects.exists()
    response = client.post(
        reverse("web:insights-goals"),
        {"name": "CSAT up", "metric": "csat", "start": "2026-03-01", "deadline": "2026-05-31", "target_value": "90"},
    )
    goal = TeamGoal.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("web:insights-goal", args=[goal.pk])
    client.post(reverse("web:insights-goal-archive", args=[goal.pk]))
    goal.refresh_from_db()
    assert goal.archived_at is not None


def test_the_digest_goes_once_a_week_to_each_member(
    morgan: Any, alice: Any, bob: Any, front_line: Team, django_capture_on_commit_callbacks: Any
) -> None:
    """GIVEN a front-line goal (Alice and Bob) and one owned by Morgan
    WHEN the digest runs twice on a Monday and again on the Wednesday THEN three emails, one each; the next week
    sends again."""
    _goal(morgan, front_line)
    _goal(morgan, owner=morgan)
    with django_capture_on_commit_callbacks(execute=True):
        assert goals_digest_queue(today=date(2026, 3, 2)) == 3
        assert goals_digest_queue(today=date(2026, 3, 2)) == 0
        assert goals_digest_queue(today=date(2026, 3, 4)) == 0
    assert sorted(message.to[0] for message in mail.outbox) == [
        "alice@carefront.example",
        "bob@carefront.example",
        "morgan@carefront.example",
    ]
    by_address = {message.to[0]: message for message in mail.outbox}
    assert "Happier customers" in by_address["alice@carefront.example"].body
    assert "/insights/goals/" in by_address["alice@carefront.example"].body
    assert GoalDigest.objects.filter(week=date(2026, 3, 2)).count() == 3
    with django_capture_on_commit_callbacks(execute=True):
        assert goals_digest_queue(today=date(2026, 3, 9)) == 3
    assert len(mail.outbox) == 6


def test_the_digest_leaves_out_goals_over_for_more_than_a_week(morgan: Any) -> None:
    goal_create(
        actor=morgan,
        name="January push",
        metric="csat",
        start=date(2026, 1, 1),
        deadline=date(2026, 1, 31),
        target_value=90.0,
        owner=morgan,
    )
    assert goals_digest_queue(today=date(2026, 2, 2)) == 1
    assert goals_digest_queue(today=date(2026, 2, 16)) == 0
