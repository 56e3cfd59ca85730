"""Reads shared by every app."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Count, Model, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import get_supported_language_variant, to_language
from huey.contrib.djhuey import HUEY

from carefront.core.models import CostRate, Event, Notification, Role, StaffProfile, Tag, Team
from carefront.core.validation import time_zone_set

M = TypeVar("M", bound=Model)


def unique_or_none(queryset: QuerySet[M]) -> M | None:
    """The one row a lookup on a unique column names, or None.

    Unlike `first()`, no ORDER BY: compiling it was a tenth of an API request's time, and a unique
    lookup has nothing to order.
    """
    return next(iter(queryset[:1]), None)


def readiness_problems() -> list[str]:
    """What keeps this process from serving: an unreachable database or queue."""
    problems: list[str] = []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means not ready
        problems.append(f"database unreachable: {exc.__class__.__name__}: {exc}".strip())
    try:
        HUEY.storage.queue_size()
    except Exception as exc:  # redis or sqlite errors alike
        problems.append(f"queue unreachable: {exc.__class__.__name__}: {exc}".strip())
    return problems


def supported_language(code: str | None) -> str | None:
    """The interface language that serves `code` ("fr-CA", "fr_FR" -> "fr"), or None when none does."""
    try:
        return get_supported_language_variant(to_language(code or ""))
    except LookupError:
        return None


def staff_languages(*, user_ids: Iterable[int]) -> dict[int, str]:
    """The interface language of each of these staff members (one query), for writing to many at once."""
    wanted = set(user_ids)
    chosen = dict(StaffProfile.objects.filter(user_id__in=wanted).values_list("user_id", "language"))
    return {user_id: supported_language(chosen.get(user_id)) or settings.LANGUAGE_CODE for user_id in wanted}


def staff_language(*, user_id: int) -> str:
    """The interface language a staff member chose, for what is written to them outside a request (notifications)."""
    chosen = StaffProfile.objects.filter(user_id=user_id).values_list("language", flat=True).first()
    return supported_language(chosen) or settings.LANGUAGE_CODE


def events_for(*, subject_kind: str, subject_id: int) -> QuerySet[Event]:
    """The audit trail of one ticket or account, oldest first."""
    return Event.objects.filter(subject_kind=subject_kind, subject_id=subject_id).select_related("actor").order_by("id")


def staff_members() -> QuerySet[Any]:
    """Active staff, by name: who may be assigned tickets or own accounts."""
    return (
        get_user_model()
        .objects.filter(is_active=True, staff_profile__isnull=False)
        .select_related("staff_profile")
        .order_by("first_name", "last_name", "username")
    )


def teams_list() -> QuerySet[Team]:
    return Team.objects.order_by("name")


# Workspace settings (issue 4): the lists admins manage. Each is ordered by a unique name so pages
# continue with `?after=<name>` (keyset pagination) at a constant number of queries.


def teams_with_member_counts(*, after: str | None = None) -> QuerySet[Team]:
    """Teams by name, each with `member_count` (active members only)."""
    teams = Team.objects.annotate(
        member_count=Count("members", filter=Q(members__user__is_active=True), distinct=True)
    ).order_by("name")
    if after:
        teams = teams.filter(name__gt=after)
    return teams


def team_member_ids(*, team: Team) -> list[int]:
    """The user ids of a team's members."""
    return list(team.members.values_list("user_id", flat=True))


def staff_all() -> QuerySet[Any]:
    """Every staff user, active or not, by username, with their profile."""
    return (
        get_user_model()
        .objects.filter(staff_profile__isnull=False)
        .select_related("staff_profile")
        .order_by("username")
    )


def staff_list(*, query: str = "", role: str = "", after: str | None = None) -> QuerySet[Any]:
    """Staff users by username, with profile and teams, filtered by a name/email fragment and a role."""
    users = staff_all().prefetch_related("staff_profile__teams")
    query = query.strip()
    if query:
        users = users.filter(
            Q(username__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(email__icontains=query)
        )
    if role in Role.values:
        users = users.filter(staff_profile__role=role)
    if after:
        users = users.filter(username__gt=after)
    return users


def staff_history(*, user: Any, limit: int = 10) -> list[LogEntry]:
    """The latest changes made to a staff member (role, teams, activation), newest first."""
    content_type = ContentType.objects.get_for_model(user, for_concrete_model=False)
    return list(
        LogEntry.objects.filter(content_type=content_type, object_id=str(user.pk))
        .select_related("user")
        .order_by("-action_time", "-pk")[:limit]
    )


def _tag_usage(relation: str) -> Coalesce:
    rel: Any = Tag._meta.get_field(relation)
    tag_column = rel.field.m2m_reverse_name()
    per_tag = (
        rel.through.objects.filter(**{tag_column: OuterRef("pk")})
        .order_by()
        .values(tag_column)
        .annotate(uses=Count("pk"))
        .values("uses")
    )
    return Coalesce(Subquery(per_tag), 0)


def tags_with_usage(*, query: str = "", after: str | None = None) -> QuerySet[Tag]:
    """Tags by name, each with `ticket_count` and `account_count`, filtered by a name fragment."""
    tags = Tag.objects.annotate(ticket_count=_tag_usage("tickets"), account_count=_tag_usage("accounts")).order_by(
        "name"
    )
    query = query.strip().lower()
    if query:
        tags = tags.filter(name__contains=query)
    if after:
        tags = tags.filter(name__gt=after)
    return tags


@dataclass(frozen=True)
class SettingsOverview:
    """Counts shown on the settings index."""

    teams: int
    active_staff: int
    tags: int
    active_tokens: int


def settings_overview() -> SettingsOverview:
    from carefront.api.models import ApiToken

    return SettingsOverview(
        teams=Team.objects.count(),
        active_staff=get_user_model().objects.filter(is_active=True, staff_profile__isnull=False).count(),
        tags=Tag.objects.count(),
        active_tokens=ApiToken.objects.filter(revoked_at__isnull=True).count(),
    )


@lru_cache(maxsize=1)
def time_zone_names() -> list[str]:
    """The IANA zones a person can live in, sorted: the forms of staff and contacts offer these."""
    return sorted(time_zone_set())


def notifications_unread_count(*, user: Any) -> int:
    """How many of a staff member's notifications are unread (notification_inbox_idx answers it)."""
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def notifications_page(*, user: Any, before: int | None = None, size: int = 50) -> list[Notification]:
    """A staff member's notifications, newest first, a keyset page before a notification id."""
    rows = Notification.objects.filter(recipient_id=user.pk).select_related("ticket").order_by("-id")
    if before is not None:
        rows = rows.filter(id__lt=before)
    return list(rows[:size])


def cost_rates() -> dict[str, Decimal]:
    """What an hour of each role's time costs; a role without a rate costs nothing."""
    return dict(CostRate.objects.values_list("role", "hourly"))
