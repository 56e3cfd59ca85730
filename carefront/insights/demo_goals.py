"""The demo's team goals: a few believable targets set weeks ago, with a weekly check since, so the goals screens
show progress on day one."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model

from carefront.core.exceptions import ApplicationError
from carefront.core.models import Role, Team
from carefront.insights.services_goals import goal_create, goal_measure, goal_state_refresh


def demo_goals_load(*, end: datetime) -> int:
    """Set the goals as the demo's manager (each only when its baseline allows it: a goal whose baseline is already
    better than its target, or whose target the figure cannot reach — a rate above 100 % —, is refused, and the demo
    skips it) and measure them weekly up to `end`; the number set."""
    manager = get_user_model().objects.filter(staff_profile__role=Role.MANAGER, is_active=True).order_by("pk").first()
    if manager is None:
        return 0
    today = end.date()
    team = Team.objects.order_by("pk").first()
    started = today - timedelta(weeks=6)
    plans = [
        {
            "name": "First response time −10 % in 3 months",
            "metric": "first_response_time_calendar_median",
            "scope": {"team": team.pk} if team else {},
            "start": started,
            "deadline": started + timedelta(days=91),
            "target_change_percent": -10.0,
            "team": team,
        },
        {
            "name": "Client retention +5 % this year",
            "metric": "retention_rate_clients",
            "start": today.replace(month=1, day=1),
            "deadline": today.replace(month=12, day=31),
            "target_change_percent": 5.0,
            "owner": manager,
        },
        {
            "name": "Resolution time −15 % this quarter",
            "metric": "resolution_time_calendar_median",
            "start": started,
            "deadline": started + timedelta(days=91),
            "target_change_percent": -15.0,
            "owner": manager,
        },
        {
            "name": "SLA achievement +10 % this quarter",
            "metric": "sla_achievement",
            "start": started,
            "deadline": started + timedelta(days=91),
            "target_change_percent": 10.0,
            "owner": manager,
        },
        {
            "name": "Resolution rate +15 % this quarter",
            "metric": "resolution_rate",
            "start": started,
            "deadline": started + timedelta(days=91),
            "target_change_percent": 15.0,
            "team": team,
        },
    ]
    made = 0
    for plan in plans:
        try:
            goal = goal_create(actor=manager, **plan)  # type: ignore[arg-type]
        except ApplicationError:
            continue
        day = goal.start + timedelta(days=7)
        while day <= today:
            goal_measure(goal=goal, today=day)
            day += timedelta(days=7)
        goal_measure(goal=goal, today=today)
        goal_state_refresh(goal, today=today)
        made += 1
    return made
