"""Reads of cadences, check-ins and interactions shaped for the screens, the API and the advisor's calendar feed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from carefront.core.selectors import unique_or_none
from carefront.relationships.access import cadences_visible_to, check_ins_visible_to, interactions_visible_to
from carefront.relationships.models import AdvisorSettings, Cadence, CheckIn, CheckInState, Interaction, NextStep
from carefront.relationships.services_checkins import feed_token_hash

CARD_ROWS = 5
# The feed shows a month of the past (what was held or missed) and everything planned, at most this many events.
FEED_PAST = timedelta(days=31)
FEED_MAX = 500


@dataclass(frozen=True)
class CheckInFilters:
    """The filters of the check-in list (screen and API)."""

    account: int | None = None
    owner: int | None = None
    cadence: int | None = None
    state: str | None = None
    after: datetime | None = None
    before: datetime | None = None


def cadences_list(*, user: Any, account: int | None = None, active: bool | None = None) -> QuerySet[Cadence]:
    rows = cadences_visible_to(user).select_related("account", "owner")
    if account is not None:
        rows = rows.filter(account_id=account)
    if active is not None:
        rows = rows.filter(active=active)
    return rows


def check_ins_list(*, user: Any, filters: CheckInFilters = CheckInFilters()) -> QuerySet[CheckIn]:
    rows = check_ins_visible_to(user).select_related("account", "cadence", "owner")
    if filters.account is not None:
        rows = rows.filter(account_id=filters.account)
    if filters.owner is not None:
        rows = rows.filter(owner_id=filters.owner)
    if filters.cadence is not None:
        rows = rows.filter(cadence_id=filters.cadence)
    if filters.state is not None:
        rows = rows.filter(state=filters.state)
    if filters.after is not None:
        rows = rows.filter(scheduled_at__gte=filters.after)
    if filters.before is not None:
        rows = rows.filter(scheduled_at__lt=filters.before)
    return rows


def interactions_list(*, user: Any, account: int | None = None) -> QuerySet[Interaction]:
    """Interactions with their people and next steps: four queries per page whatever it holds."""
    rows = interactions_visible_to(user).select_related("account", "author", "check_in")
    if account is not None:
        rows = rows.filter(account_id=account)
    steps = Prefetch("next_steps", queryset=NextStep.objects.order_by("id"))
    return rows.prefetch_related("contacts", "staff", steps)


def interaction_detail(*, user: Any, interaction_id: int) -> Interaction | None:
    return unique_or_none(interactions_list(user=user).filter(pk=interaction_id))


@dataclass(frozen=True)
class CheckInCard:
    """The account page's cadences and the next check-ins."""

    cadences: list[Cadence]
    upcoming: list[CheckIn]


def check_in_card(*, user: Any, account_id: int, now: datetime | None = None) -> CheckInCard:
    """The account's active cadences and its next scheduled check-ins, two queries."""
    moment = now or timezone.now()
    cadences = list(cadences_list(user=user, account=account_id, active=True).order_by("id")[:CARD_ROWS])
    upcoming = check_ins_list(
        user=user, filters=CheckInFilters(account=account_id, state=CheckInState.SCHEDULED, after=moment)
    )
    return CheckInCard(cadences=cadences, upcoming=list(upcoming.order_by("scheduled_at", "id")[:CARD_ROWS]))


def feed_owner(*, token: str) -> Any:
    """The staff member whose calendar feed this secret opens, or None (unknown or revoked)."""
    if not token or len(token) > 100:
        return None
    row = (
        AdvisorSettings.objects.select_related("user")
        .filter(feed_token_hash=feed_token_hash(token), user__is_active=True)
        .first()
    )
    return row.user if row is not None else None


def feed_check_ins(*, user: Any, now: datetime | None = None) -> list[CheckIn]:
    """The advisor's check-ins for the feed: the past month and everything ahead, one query."""
    moment = now or timezone.now()
    rows = CheckIn.objects.filter(owner_id=user.pk, scheduled_at__gte=moment - FEED_PAST)
    return list(rows.select_related("account", "cadence").order_by("scheduled_at", "id")[:FEED_MAX])


def feed_active(*, user: Any) -> bool:
    return AdvisorSettings.objects.filter(user_id=user.pk).exclude(feed_token_hash="").exists()


def advisor_settings(*, user: Any) -> AdvisorSettings | None:
    return AdvisorSettings.objects.filter(user_id=user.pk).first()


def active_staff(ids: list[int]) -> list[Any]:
    return list(get_user_model().objects.filter(pk__in=ids, is_active=True))


@dataclass(frozen=True)
class CheckInPage:
    """One page of check-ins soonest first, and the cursor of the next (None at the end)."""

    rows: list[CheckIn]
    next_cursor: str | None


def check_ins_page(rows: QuerySet[CheckIn], *, after: tuple[datetime, int] | None, size: int) -> CheckInPage:
    """Check-ins soonest first from a (scheduled_at, id) cursor: one query whatever the page's depth."""
    if after is not None:
        moment, ident = after
        rows = rows.filter(Q(scheduled_at__gt=moment) | Q(scheduled_at=moment, id__gt=ident))
    found = list(rows.order_by("scheduled_at", "id")[: size + 1])
    page = found[:size]
    last = page[-1] if page and len(found) > size else None
    cursor = f"{last.scheduled_at.isoformat()}_{last.pk}" if last is not None else None
    return CheckInPage(rows=page, next_cursor=cursor)
