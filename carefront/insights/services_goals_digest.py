"""The weekly goals digest: each person a team goal concerns (its team's members, its owner) gets one email a week
listing their goals' states and progress, in their own language, sent from the queue."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from carefront.core.selectors import supported_language
from carefront.insights.models import GoalDigest, TeamGoal
from carefront.insights.selectors_goals import goal_progress


def week_of(day: date) -> date:
    """The Monday of the day's week: what makes a digest once a week."""
    return day - timedelta(days=day.weekday())


def digest_recipients(goals: list[TeamGoal]) -> dict[int, list[int]]:
    """Recipient id → the ids of their goals: a goal's team members and its owner; its author when it names
    neither. Inactive users are left out. Two queries."""
    team_ids = {goal.team_id for goal in goals if goal.team_id is not None}
    members: dict[int, set[int]] = defaultdict(set)
    rows = get_user_model().objects.filter(is_active=True, staff_profile__teams__in=team_ids)
    for user_id, team_id in rows.values_list("pk", "staff_profile__teams"):
        members[team_id].add(user_id)
    active = set(get_user_model().objects.filter(is_active=True).values_list("pk", flat=True))
    by_recipient: dict[int, list[int]] = defaultdict(list)
    for goal in goals:
        people = set(members.get(goal.team_id, set())) if goal.team_id else set()
        if goal.owner_id is not None:
            people.add(goal.owner_id)
        if not people and goal.created_by_id is not None:
            people.add(goal.created_by_id)
        for person in people & active:
            by_recipient[person].append(goal.pk)
    return by_recipient


def _send_on_commit(recipient_id: int, goal_ids: list[int], week: date) -> None:
    from carefront.insights.tasks import send_goals_digest

    transaction.on_commit(
        lambda: send_goals_digest(recipient_id=recipient_id, goal_ids=goal_ids, week=week.isoformat())
    )


def goals_digest_queue(*, today: date | None = None) -> int:
    """Queue this week's digest for each recipient who has not had it yet; the number queued. A second run in the
    same week finds the week's rows and queues nothing."""
    today = today or timezone.localdate()
    week = week_of(today)
    # Running goals, and those whose deadline fell in the last week (their final state is news once).
    goals = list(
        TeamGoal.objects.filter(
            archived_at__isnull=True, start__lte=today, deadline__gte=week - timedelta(days=7)
        ).order_by("pk")
    )
    queued = 0
    for recipient_id, goal_ids in sorted(digest_recipients(goals).items()):
        try:
            with transaction.atomic():
                GoalDigest.objects.create(recipient_id=recipient_id, week=week)
                _send_on_commit(recipient_id, goal_ids, week)
        except IntegrityError:
            continue
        queued += 1
    return queued


def goals_digest_send(*, recipient_id: int, goal_ids: list[int], week: date) -> bool:
    """Write the digest in the recipient's language and time zone and send it (the queue's job); False when there
    is no one to write to or nothing left to report."""
    user = get_user_model().objects.select_related("staff_profile").filter(pk=recipient_id, is_active=True).first()
    if user is None or not user.email:
        return False
    goals = list(TeamGoal.objects.filter(pk__in=goal_ids, archived_at__isnull=True).order_by("deadline", "pk"))
    if not goals:
        return False
    profile = getattr(user, "staff_profile", None)
    language = supported_language(profile.language if profile else None) or settings.LANGUAGE_CODE
    zone = profile.time_zone if profile else settings.TIME_ZONE
    with translation.override(language), timezone.override(zone):
        context = {
            "user": user,
            "week": week,
            "items": [goal_progress(goal=goal) for goal in goals],
            "goals_url": settings.BASE_URL + reverse("web:insights-goals"),
        }
        subject = _("Your team goals this week")
        text = render_to_string("insights/email/goals_digest.txt", context).strip() + "\n"
    EmailMultiAlternatives(subject=subject, body=text, to=[user.email]).send()
    return True
