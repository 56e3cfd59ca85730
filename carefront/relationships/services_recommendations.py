"""Each advisor's morning list of suggested actions, and what the advisor does with each: make it a commitment or a
check-in in one click, or dismiss it with a reason.

The job runs hourly and makes an advisor's list once per local day, after `CAREFRONT_RECOMMEND_MORNING_HOUR` in
their time zone. It reads every signal set-based over chunks of client accounts (a few queries per chunk whatever
the number of accounts), opens the suggestions that are new, and closes (as no longer needed) the open ones whose
reason went away. A suggestion acted on or dismissed is not made again for `CAREFRONT_RECOMMEND_SNOOZE_DAYS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from carefront.accounts.models import Account, Order, ServiceModel
from carefront.core.access import is_manager
from carefront.core.exceptions import ApplicationError
from carefront.core.services import Actor
from carefront.desk.models import Status, Ticket
from carefront.relationships.models import (
    AdvisorRecommendation,
    CheckIn,
    CheckInState,
    Commitment,
    Dependency,
    DependencyState,
    Interaction,
    RecommendationKind,
    RecommendationRun,
    RecommendationState,
)
from carefront.relationships.schedule import zone_of
from carefront.relationships.selectors_profile import goals_due_within, services_renewing_within
from carefront.relationships.services import _reason, commitment_create
from carefront.relationships.services_checkins import cadence_create, working_hours

CHUNK = 2000
CENTS = Decimal("0.01")
COMMITMENT_DAYS = 2
CHECK_IN_MINUTES = 30
# A missed check-in still asks for attention this long after its time (then the next one has come).
MISSED_WITHIN = timedelta(days=14)


@dataclass(frozen=True)
class Thresholds:
    """When a signal becomes a suggestion (from the settings, see docs/configuration.md)."""

    no_contact_days: int
    spend_window_days: int
    spend_drop_percent: int
    renewal_days: int
    goal_days: int
    snooze_days: int
    morning_hour: int


def thresholds() -> Thresholds:
    return Thresholds(
        no_contact_days=settings.CAREFRONT_RECOMMEND_NO_CONTACT_DAYS,
        spend_window_days=settings.CAREFRONT_RECOMMEND_SPEND_WINDOW_DAYS,
        spend_drop_percent=settings.CAREFRONT_RECOMMEND_SPEND_DROP_PERCENT,
        renewal_days=settings.CAREFRONT_RECOMMEND_RENEWAL_DAYS,
        goal_days=settings.CAREFRONT_RECOMMEND_GOAL_DAYS,
        snooze_days=settings.CAREFRONT_RECOMMEND_SNOOZE_DAYS,
        morning_hour=settings.CAREFRONT_RECOMMEND_MORNING_HOUR,
    )


@dataclass(frozen=True)
class Found:
    """A reason to suggest something on one account, found by a signal."""

    account_id: int
    kind: str
    subject: str = ""
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[int, str, str]:
        return (self.account_id, self.kind, self.subject)


@dataclass(frozen=True)
class Chunk:
    """Client accounts the job reads together: ids, and each one's advisor and creation time."""

    ids: list[int]
    owners: dict[int, int]
    created: dict[int, datetime]


Signal = Callable[[Chunk, datetime, Thresholds], Iterable[Found]]


def _iso(moment: datetime | date | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def no_contact(chunk: Chunk, now: datetime, limits: Thresholds) -> Iterable[Found]:
    """No interaction logged (a held check-in is one) for N days, counted from becoming a client when never."""
    last = dict(
        Interaction.objects.filter(account_id__in=chunk.ids)
        .order_by()
        .values("account_id")
        .annotate(last=Max("occurred_at"))
        .values_list("account_id", "last")
    )
    cutoff = now - timedelta(days=limits.no_contact_days)
    for account_id in chunk.ids:
        since = last.get(account_id)
        if (since or chunk.created[account_id]) < cutoff:
            yield Found(account_id, RecommendationKind.NO_CONTACT, facts={"last": _iso(since)})


def check_ins_overdue(chunk: Chunk, now: datetime, limits: Thresholds) -> Iterable[Found]:
    """A check-in whose time passed and that was not held: still scheduled, or missed in the last two weeks."""
    rows = CheckIn.objects.filter(account_id__in=chunk.ids).filter(
        Q(state=CheckInState.SCHEDULED, scheduled_at__lt=now)
        | Q(state=CheckInState.MISSED, scheduled_at__gte=now - MISSED_WITHIN)
    )
    for pk, account_id, when, name in rows.values_list("pk", "account_id", "scheduled_at", "cadence__name"):
        yield Found(account_id, RecommendationKind.CHECK_IN_OVERDUE, f"check_in:{pk}", {"at": _iso(when), "name": name})


def dependencies_late(chunk: Chunk, now: datetime, limits: Thresholds) -> Iterable[Found]:
    """What the client owes us and is past its date."""
    rows = Dependency.objects.filter(account_id__in=chunk.ids, state=DependencyState.OPEN, due_at__lt=now)
    for pk, account_id, what, due, contact in rows.values_list("pk", "account_id", "what", "due_at", "contact__name"):
        yield Found(
            account_id,
            RecommendationKind.DEPENDENCY_LATE,
            f"dependency:{pk}",
            {"what": what, "due": _iso(due), "contact": contact or ""},
        )


def new_tickets(chunk: Chunk, now: datetime, limits: Thresholds) -> Iterable[Found]:
    """A ticket the client opened in the last day and that is still unsolved."""
    rows = Ticket.objects.filter(account_id__in=chunk.ids, created_at__gte=now - timedelta(days=1)).exclude(
        status__in=[Status.SOLVED, Status.CLOSED]
    )
    for pk, account_id, number, subject in rows.values_list("pk", "account_id", "number", "subject"):
        yield Found(account_id, RecommendationKind.NEW_TICKET, f"ticket:{pk}", {"number": number, "subject": subject})


def spend_dropped(chunk: Chunk, now: datetime, limits: Thresholds) -> Iterable[Found]:
    """The last window's spend fell by X % or more from the window before, in the account's main currency (the one
    it spent most in before: amounts in different currencies are never added)."""
    window = timedelta(days=limits.spend_window_days)
    rows = (
        Order.objects.filter(account_id__in=chunk.ids, placed_at__gte=now - 2 * window, placed_at__lt=now)
        .order_by()
        .values("account_id", "currency")
        .annotate(
            recent=Sum("amount", filter=Q(placed_at__gte=now - window)),
            previous=Sum("amount", filter=Q(placed_at__lt=now - window)),
        )
    )
    main: dict[int, Any] = {}
    for row in rows:
        best = main.get(row["account_id"])
        if (row["previous"] or 0) > (best["previous"] if best else 0):
            main[row["account_id"]] = row
    for account_id, chosen in main.items():
        previous, recent = Decimal(chosen["previous"]), Decimal(chosen["recent"] or 0)
        drop = int((1 - recent / previous) * 100)
        if drop >= limits.spend_drop_percent:
            yield Found(
                account_id,
                RecommendationKind.SPEND_DROP,
                facts={
                    "percent": drop,
                    "previous": str(previous.quantize(CENTS)),
                    "recent": str(recent.quantize(CENTS)),
                    "currency": chosen["currency"],
                    "days": limits.spend_window_days,
                },
            )


def renewals_near(chunk: Chunk, now: datetime, limits: Thresholds) -> Iterable[Found]:
    """A service the client buys renews within N days (counted in UTC days)."""
    rows = services_renewing_within(account_ids=chunk.ids, days=limits.renewal_days, today=now.date())
    for pk, account_id, name, renews_on in rows.values_list("pk", "account_id", "name", "renews_on"):
        yield Found(
            account_id,
            RecommendationKind.RENEWAL_NEAR,
            f"service:{pk}:{renews_on}",
            {"service": name, "date": _iso(renews_on)},
        )


def goals_near(chunk: Chunk, now: datetime, limits: Thresholds) -> Iterable[Found]:
    """An open goal of the client's is due within N days."""
    rows = goals_due_within(account_ids=chunk.ids, days=limits.goal_days, today=now.date())
    for pk, account_id, title, target in rows.values_list("pk", "account_id", "title", "target_date"):
        yield Found(
            account_id, RecommendationKind.GOAL_NEAR, f"goal:{pk}:{target}", {"goal": title, "date": _iso(target)}
        )


SIGNALS: list[Signal] = [
    no_contact,
    check_ins_overdue,
    dependencies_late,
    new_tickets,
    spend_dropped,
    renewals_near,
    goals_near,
]


# --- the morning job ---------------------------------------------------------------------------------


def _advisors_due(now: datetime, *, morning_hour: int, advisor_ids: Sequence[int] | None) -> dict[int, date]:
    """The advisors whose list for their local day is still to make (after the morning hour), with that day."""
    advisors = get_user_model().objects.filter(is_active=True, staff_profile__isnull=False)
    if advisor_ids is not None:
        advisors = advisors.filter(pk__in=advisor_ids)
    owning = Account.objects.filter(service_model=ServiceModel.CLIENT).values("owner_id")
    due: dict[int, date] = {}
    for pk, zone in advisors.filter(pk__in=owning).values_list("pk", "staff_profile__time_zone"):
        local = now.astimezone(zone_of(zone))
        if advisor_ids is not None or local.hour >= morning_hour:
            due[pk] = local.date()
    made = RecommendationRun.objects.filter(advisor_id__in=list(due), day__in=set(due.values()))
    for advisor_id, day in made.values_list("advisor_id", "day"):
        if due.get(advisor_id) == day and advisor_ids is None:
            del due[advisor_id]
    return due


def _chunks(advisor_ids: Iterable[int]) -> Iterable[Chunk]:
    """The advisors' client accounts, CHUNK at a time, by id."""
    rows = Account.objects.filter(service_model=ServiceModel.CLIENT, owner_id__in=list(advisor_ids)).order_by("id")
    after = 0
    while True:
        page = list(rows.filter(id__gt=after).values_list("id", "owner_id", "created_at")[:CHUNK])
        if not page:
            return
        yield Chunk(
            ids=[pk for pk, _owner, _created in page],
            owners={pk: owner for pk, owner, _created in page},
            created={pk: created for pk, _owner, created in page},
        )
        after = page[-1][0]


@transaction.atomic
def _reconcile(chunk: Chunk, found: Iterable[Found], *, now: datetime, days: dict[int, date], snooze: int) -> int:
    """Open what is new, close what went away; returns how many were opened."""
    wanted = {item.key: item for item in found}
    open_rows = AdvisorRecommendation.objects.filter(account_id__in=chunk.ids, state=RecommendationState.OPEN)
    still_open: set[tuple[int, str, str]] = set()
    gone: list[int] = []
    for pk, account_id, kind, subject, advisor_id in open_rows.values_list(
        "pk", "account_id", "kind", "subject", "advisor_id"
    ):
        key = (account_id, kind, subject)
        if key in wanted and advisor_id == chunk.owners[account_id]:
            still_open.add(key)
        else:
            gone.append(pk)
    if gone:
        AdvisorRecommendation.objects.filter(pk__in=gone).update(state=RecommendationState.RESOLVED, decided_at=now)
    decided = set(
        AdvisorRecommendation.objects.filter(
            account_id__in=chunk.ids,
            state__in=[RecommendationState.ACTED, RecommendationState.DISMISSED],
            decided_at__gte=now - timedelta(days=snooze),
        ).values_list("account_id", "kind", "subject")
    )
    new = [
        AdvisorRecommendation(
            advisor_id=chunk.owners[item.account_id],
            account_id=item.account_id,
            kind=item.kind,
            subject=item.subject,
            facts=item.facts,
            day=days[chunk.owners[item.account_id]],
            created_at=now,
        )
        for key, item in wanted.items()
        if key not in still_open and key not in decided
    ]
    AdvisorRecommendation.objects.bulk_create(new, batch_size=500)
    return len(new)


def recommendations_run(*, now: datetime | None = None, advisor_ids: Sequence[int] | None = None) -> int:
    """Make the morning lists that are due (or, with `advisor_ids`, those advisors' lists again now); returns how
    many suggestions were opened. Safe to run twice: an open suggestion is never opened again."""
    moment = now or timezone.now()
    limits = thresholds()
    due = _advisors_due(moment, morning_hour=limits.morning_hour, advisor_ids=advisor_ids)
    if not due:
        return 0
    opened = 0
    for chunk in _chunks(due):
        found = [item for signal in SIGNALS for item in signal(chunk, moment, limits)]
        opened += _reconcile(chunk, found, now=moment, days=due, snooze=limits.snooze_days)
    made = dict(
        AdvisorRecommendation.objects.filter(advisor_id__in=list(due), created_at=moment)
        .order_by()
        .values("advisor_id")
        .annotate(n=Count("pk"))
        .values_list("advisor_id", "n")
    )
    runs = [
        RecommendationRun(advisor_id=pk, day=day, ran_at=moment, created=made.get(pk, 0)) for pk, day in due.items()
    ]
    RecommendationRun.objects.bulk_create(runs, ignore_conflicts=True)
    return opened


# --- what the advisor does with one ------------------------------------------------------------------


def _decidable(recommendation: AdvisorRecommendation, actor: Actor) -> AdvisorRecommendation:
    row = AdvisorRecommendation.objects.select_for_update().select_related("account").get(pk=recommendation.pk)
    if not (is_manager(actor) or row.advisor_id == getattr(actor, "pk", None)):
        raise ApplicationError(_("Only the advisor it was made for, or a manager, may do this."), status=403)
    if row.state != RecommendationState.OPEN:
        raise ApplicationError(_("This recommendation was already dealt with."), field="state", status=409)
    return row


def _decide(row: AdvisorRecommendation, actor: Actor, fields: list[str]) -> None:
    row.decided_by = actor if getattr(actor, "pk", None) else None  # type: ignore[assignment]
    row.decided_at = timezone.now()
    row.save(update_fields=[*fields, "state", "decided_by", "decided_at"])


def recommendation_title(row: AdvisorRecommendation) -> str:
    """What to do, as a commitment's title, in the actor's language."""
    account = row.account.name
    facts = row.facts
    titles = {
        RecommendationKind.NO_CONTACT: _("Get in touch with {account}"),
        RecommendationKind.CHECK_IN_OVERDUE: _("Catch up on the missed check-in with {account}"),
        RecommendationKind.DEPENDENCY_LATE: _("Ask {account} again for “{what}”"),
        RecommendationKind.NEW_TICKET: _("Call {account} about ticket #{number}"),
        RecommendationKind.SPEND_DROP: _("Ask {account} why they buy less"),
        RecommendationKind.RENEWAL_NEAR: _("Prepare the renewal of “{service}” with {account}"),
        RecommendationKind.GOAL_NEAR: _("Review the goal “{goal}” with {account}"),
    }
    return titles[RecommendationKind(row.kind)].format(
        account=account,
        what=facts.get("what", ""),
        number=facts.get("number", ""),
        service=facts.get("service", ""),
        goal=facts.get("goal", ""),
    )[:200]


@transaction.atomic
def recommendation_commit(
    *, recommendation: AdvisorRecommendation, actor: Actor, title: str | None = None, due_at: datetime | None = None
) -> Commitment:
    """Make the suggestion a commitment of the advisor's, due in two days unless said otherwise."""
    row = _decidable(recommendation, actor)
    commitment = commitment_create(
        actor=actor,
        account=row.account,
        title=title or recommendation_title(row),
        owner=row.advisor,
        due_at=due_at or timezone.now() + timedelta(days=COMMITMENT_DAYS),
    )
    row.state, row.commitment = RecommendationState.ACTED, commitment
    _decide(row, actor, ["commitment"])
    return commitment


def _next_slot(advisor: Any, *, after: datetime) -> datetime:
    """The start of the advisor's next working day after `after`'s local date (UTC)."""
    hours = working_hours(user=advisor)
    zone = zone_of(hours.time_zone)
    day = after.astimezone(zone).date()
    for _step in range(14):
        day += timedelta(days=1)
        if str(day.isoweekday()) in hours.days:
            break
    return datetime.combine(day, hours.starts, tzinfo=zone)


@transaction.atomic
def recommendation_plan_check_in(
    *, recommendation: AdvisorRecommendation, actor: Actor, at: datetime | None = None
) -> CheckIn:
    """Make the suggestion a one-off check-in (a cadence of one occurrence, created at once), at the start of the
    advisor's next working day unless said otherwise; returns that check-in."""
    row = _decidable(recommendation, actor)
    start = at or _next_slot(row.advisor, after=timezone.now())
    local = start.astimezone(zone_of(row.account.time_zone))
    cadence = cadence_create(
        actor=actor,
        account=row.account,
        name=recommendation_title(row),
        rule="FREQ=DAILY;COUNT=1",
        starts_on=local.date(),
        time_of_day=local.time(),
        duration_minutes=CHECK_IN_MINUTES,
        owner=row.advisor,
    )
    row.state, row.cadence = RecommendationState.ACTED, cadence
    _decide(row, actor, ["cadence"])
    return CheckIn.objects.get(cadence=cadence)


@transaction.atomic
def recommendation_dismiss(*, recommendation: AdvisorRecommendation, actor: Actor, reason: str) -> None:
    """Set the suggestion aside, saying why (it is not made again for a while)."""
    row = _decidable(recommendation, actor)
    row.state, row.dismissed_reason = RecommendationState.DISMISSED, _reason(reason)
    _decide(row, actor, ["dismissed_reason"])
