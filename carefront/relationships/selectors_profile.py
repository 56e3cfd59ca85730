"""Reads of the client profile: lists for the API, the account page's card and the ticket sidebar's (a constant
number of queries each), and the set-based reads later jobs need: goals whose date is near and services that
renew soon, for many accounts at once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from carefront.core.access import is_staff_member
from carefront.relationships.access import client_services_visible_to, goals_visible_to, key_people_visible_to
from carefront.relationships.models import (
    ClientGoal,
    ClientProfile,
    ClientService,
    GoalState,
    KeyPerson,
    KeyPersonRole,
    ProfileField,
    ProfileFieldKind,
    ServiceStatus,
)
from carefront.relationships.schedule import zone_of

# Services that still run, and so may renew: a paused service renews unless it is ended first.
RUNNING = (ServiceStatus.ACTIVE, ServiceStatus.PAUSED)
CARD_GOALS = 5
CARD_PEOPLE = 10
CARD_SERVICES = 10
SIDEBAR_ROWS = 3

Accounts = Iterable[int] | QuerySet[Any] | None
# Key people as a newcomer should meet them: who decides first, the everyday users last.
ROLE_ORDER = (
    KeyPersonRole.DECISION_MAKER,
    KeyPersonRole.EXECUTIVE_SPONSOR,
    KeyPersonRole.CHAMPION,
    KeyPersonRole.TECHNICAL,
    KeyPersonRole.BILLING,
    KeyPersonRole.USER,
    KeyPersonRole.OTHER,
)


def _accounts(rows: QuerySet[Any], account_ids: Accounts) -> QuerySet[Any]:
    """Limit to the accounts named: ids, or a queryset of ids (a subquery, so 100,000 accounts cost no parameter);
    None for every account."""
    if account_ids is None:
        return rows
    return rows.filter(account_id__in=account_ids if isinstance(account_ids, QuerySet) else list(account_ids))


def goals_due_within(*, account_ids: Accounts, days: int, today: date) -> QuerySet[ClientGoal]:
    """Open goals whose target date is from `today` to `days` days later, soonest first: one query on the
    (state, target_date) index, whatever the number of accounts."""
    rows = ClientGoal.objects.filter(
        state=GoalState.OPEN, target_date__gte=today, target_date__lte=today + timedelta(days=days)
    )
    return _accounts(rows, account_ids).order_by("target_date", "id")


def services_renewing_within(*, account_ids: Accounts, days: int, today: date) -> QuerySet[ClientService]:
    """Services still running (active or paused) that renew from `today` to `days` days later, soonest first: one
    query on the (status, renews_on) index."""
    rows = ClientService.objects.filter(
        status__in=RUNNING, renews_on__gte=today, renews_on__lte=today + timedelta(days=days)
    )
    return _accounts(rows, account_ids).order_by("renews_on", "id")


# --- lists ---------------------------------------------------------------------------------------


def goals_list(*, user: Any, account: int | None = None, state: str | None = None) -> QuerySet[ClientGoal]:
    rows = goals_visible_to(user)
    if account is not None:
        rows = rows.filter(account_id=account)
    if state is not None:
        rows = rows.filter(state=state)
    return rows


def key_people_list(*, user: Any, account: int | None = None, role: str | None = None) -> QuerySet[KeyPerson]:
    rows = key_people_visible_to(user).select_related("contact")
    if account is not None:
        rows = rows.filter(account_id=account)
    if role is not None:
        rows = rows.filter(role=role)
    return rows


def client_services_list(
    *, user: Any, account: int | None = None, status: str | None = None
) -> QuerySet[ClientService]:
    rows = client_services_visible_to(user)
    if account is not None:
        rows = rows.filter(account_id=account)
    if status is not None:
        rows = rows.filter(status=status)
    return rows


def profile_fields_list(*, active: bool | None = None) -> QuerySet[ProfileField]:
    rows = ProfileField.objects.all()
    return rows if active is None else rows.filter(active=active)


def profile_of(*, user: Any, account_id: int) -> ClientProfile:
    """The account's profile, or an empty one at version 1 (what the first edit creates) when it has none."""
    found = ClientProfile.objects.filter(account_id=account_id).first() if is_staff_member(user) else None
    return found if found is not None else ClientProfile(account_id=account_id)


# --- the cards -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldValue:
    """A profile field with the client's value, as people read it; `retired` when the business stopped using the
    field, `stale` when the value is no longer valid (a choice since removed)."""

    key: str
    label: str
    kind: str
    value: Any
    help_text: str
    retired: bool
    stale: bool


@dataclass(frozen=True)
class MeetingTimes:
    days: list[str]
    starts: Any
    ends: Any
    time_zone: str
    # The window on the viewer's clock today, when their zone is not the client's.
    viewer_starts: Any
    viewer_ends: Any
    notes: str


@dataclass(frozen=True)
class ProfileCard:
    """What the account page and the ticket sidebar show of the client profile."""

    profile: ClientProfile | None
    fields: list[FieldValue]
    definitions: list[ProfileField]
    meeting: MeetingTimes | None
    goals: list[ClientGoal]
    more_goals: bool
    key_people: list[KeyPerson]
    more_people: bool
    services: list[ClientService]
    more_services: bool
    today: date

    @property
    def empty(self) -> bool:
        return self.profile is None and not (self.goals or self.key_people or self.services)


def _field_values(stored: dict[str, Any], definitions: list[ProfileField]) -> list[FieldValue]:
    shown: list[FieldValue] = []
    for field in definitions:
        if field.key not in stored:
            continue
        value = stored[field.key]
        stale = field.kind == ProfileFieldKind.CHOICE and value not in field.choices
        if field.kind == ProfileFieldKind.DATE and isinstance(value, str):
            value = date.fromisoformat(value)
        shown.append(
            FieldValue(
                key=field.key,
                label=field.label,
                kind=field.kind,
                value=value,
                help_text=field.help_text,
                retired=not field.active,
                stale=stale,
            )
        )
    return shown


def _meeting(profile: ClientProfile | None, time_zone: str) -> MeetingTimes | None:
    if profile is None or not (profile.meeting_days or profile.meeting_from or profile.meeting_notes):
        return None
    names = [str(WEEKDAYS[int(day) - 1]) for day in profile.meeting_days]
    viewer_starts = viewer_ends = None
    viewer = timezone.get_current_timezone()
    client = zone_of(time_zone)
    if profile.meeting_from is not None and profile.meeting_until is not None and str(viewer) != str(client):
        today = timezone.now().astimezone(client).date()
        viewer_starts = datetime.combine(today, profile.meeting_from, tzinfo=client).astimezone(viewer).time()
        viewer_ends = datetime.combine(today, profile.meeting_until, tzinfo=client).astimezone(viewer).time()
    return MeetingTimes(
        days=names,
        starts=profile.meeting_from,
        ends=profile.meeting_until,
        time_zone=time_zone,
        viewer_starts=viewer_starts,
        viewer_ends=viewer_ends,
        notes=profile.meeting_notes,
    )


def profile_card(
    *,
    user: Any,
    account: Any,
    goals: int = CARD_GOALS,
    people: int = CARD_PEOPLE,
    services: int = CARD_SERVICES,
) -> ProfileCard:
    """The profile of an account for a staff member: five queries whatever its size (the field definitions, the
    profile, the open goals soonest first, the key people, the services still running, renewing soonest first)."""
    definitions = list(profile_fields_list())
    profile = ClientProfile.objects.filter(account_id=account.pk).first() if is_staff_member(user) else None
    goal_rows = list(
        goals_list(user=user, account=account.pk, state=GoalState.OPEN).order_by("target_date", "id")[: goals + 1]
    )
    rank = Case(
        *(When(role=role, then=Value(index)) for index, role in enumerate(ROLE_ORDER)), output_field=IntegerField()
    )
    people_rows = list(
        key_people_list(user=user, account=account.pk).order_by(rank, "contact__name", "id")[: people + 1]
    )
    service_rows = list(
        client_services_list(user=user, account=account.pk)
        .filter(status__in=RUNNING)
        .order_by(F("renews_on").asc(nulls_last=True), "name", "id")[: services + 1]
    )
    return ProfileCard(
        profile=profile,
        fields=_field_values(profile.fields if profile is not None else {}, definitions),
        definitions=[field for field in definitions if field.active],
        meeting=_meeting(profile, account.time_zone),
        goals=goal_rows[:goals],
        more_goals=len(goal_rows) > goals,
        key_people=people_rows[:people],
        more_people=len(people_rows) > people,
        services=service_rows[:services],
        more_services=len(service_rows) > services,
        today=timezone.localdate(),
    )


def profile_sidebar(*, user: Any, account: Any) -> ProfileCard:
    """The ticket sidebar's compact profile: the top goals, key people and services, same five queries."""
    return profile_card(user=user, account=account, goals=SIDEBAR_ROWS, people=SIDEBAR_ROWS, services=SIDEBAR_ROWS)


FOLLOW_UP_GOALS = 3


def profile_as_text(*, account_id: int) -> dict[str, str]:
    """The client's open goals (soonest first) and preferences as plain text, for outreach templates (in the active
    language): two queries."""
    goals = ClientGoal.objects.filter(account_id=account_id, state=GoalState.OPEN).order_by("target_date", "id")
    profile = ClientProfile.objects.filter(account_id=account_id).first()
    preferences: list[str] = []
    if profile is not None:
        if profile.preferred_channel:
            preferences.append(_("prefers {channel}").format(channel=profile.get_preferred_channel_display().lower()))
        if profile.meeting_from and profile.meeting_until:
            preferences.append(
                _("meets from {start} to {end}").format(
                    start=profile.meeting_from.strftime("%H:%M"), end=profile.meeting_until.strftime("%H:%M")
                )
            )
        if profile.meeting_notes:
            preferences.append(profile.meeting_notes)
    return {
        "goals": "; ".join(
            _("{goal} (by {date})").format(goal=goal.title, date=date_format(goal.target_date, "SHORT_DATE_FORMAT"))
            for goal in goals[:FOLLOW_UP_GOALS]
        ),
        "preferences": "; ".join(preferences),
    }
