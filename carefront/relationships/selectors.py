"""Reads of engagements, commitments and dependencies shaped for the screens and the API: lists with their filters,
an engagement's progress and blockers, the on-time rate, and the time lost waiting on the client."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from carefront.accounts.access import contacts_visible_to
from carefront.accounts.models import Account
from carefront.core.access import is_staff_member
from carefront.desk.access import tickets_visible_to
from carefront.desk.models import Status
from carefront.relationships.access import (
    commitments_visible_to,
    dependencies_visible_to,
    engagements_visible_to,
)
from carefront.relationships.models import (
    Commitment,
    CommitmentState,
    Dependency,
    DependencyState,
    Engagement,
    Milestone,
    Wait,
)
from carefront.relationships.pausing import spans_total
from carefront.relationships.selectors_checkins import CheckInCard, check_in_card

PAGE = 50
CARD_ROWS = 10


def _waiting(**link: Any) -> Exists:
    """Whether an open wait holds the row up (`link` joins the wait to the outer row)."""
    return Exists(Wait.objects.filter(ended_at__isnull=True, **link))


def _unfinished() -> Q:
    return Q(state=CommitmentState.OPEN) | Q(state=CommitmentState.LATE, done_at__isnull=True)


# --- filters -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """One set of filters for the screens and the API lists (each list reads the ones that apply to it)."""

    account: int | None = None
    owner: int | None = None
    state: str | None = None
    engagement: int | None = None
    due_before: datetime | None = None
    due_after: datetime | None = None
    owner_inactive: bool = False
    # Only the rows of these accounts (a queryset of Account ids: the scorecard's segment and service model).
    accounts: QuerySet[Any] | None = None


def _filtered(
    rows: QuerySet[Any], filters: Filters, *, owner_field: str, engagement_field: str = "engagement_id"
) -> QuerySet[Any]:
    if filters.account is not None:
        rows = rows.filter(account_id=filters.account)
    if filters.owner is not None:
        rows = rows.filter(**{owner_field: filters.owner})
    if filters.engagement is not None:
        rows = rows.filter(**{engagement_field: filters.engagement})
    if filters.due_before is not None:
        rows = rows.filter(due_at__lt=filters.due_before)
    if filters.due_after is not None:
        rows = rows.filter(due_at__gte=filters.due_after)
    if filters.accounts is not None:
        rows = rows.filter(account_id__in=filters.accounts)
    return rows


# --- engagements ---------------------------------------------------------------------------------


def _count(model: Any, link: str, condition: Q | None = None) -> Any:
    """A correlated count of an engagement's milestones, commitments or dependencies (one subquery, no join that
    would multiply the rows of another count)."""
    rows = model.objects.filter(**{link: OuterRef("pk")})
    if condition is not None:
        rows = rows.filter(condition)
    counted = rows.order_by().values(link).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def engagements_list(*, user: Any, filters: Filters = Filters()) -> QuerySet[Engagement]:
    """The engagements the user may see, with their progress and open dependencies counted."""
    rows = _filtered(engagements_visible_to(user), filters, owner_field="owner_id", engagement_field="id")
    if filters.state is not None:
        rows = rows.filter(status=filters.state)
    return rows.select_related("account", "owner").annotate(
        milestones_total=_count(Milestone, "engagement"),
        milestones_done=_count(Milestone, "engagement", Q(done_at__isnull=False)),
        commitments_total=_count(Commitment, "engagement", ~Q(state=CommitmentState.DROPPED)),
        commitments_done=_count(Commitment, "engagement", Q(done_at__isnull=False)),
        blocking=_count(Dependency, "engagement", Q(state=DependencyState.OPEN)),
    )


@dataclass(frozen=True)
class EngagementDetail:
    """An engagement's page: its steps, promises and what the client owes, with its progress and time lost."""

    engagement: Engagement
    milestones: Sequence[Milestone]
    commitments: Sequence[Commitment]
    dependencies: Sequence[Dependency]
    waited: timedelta

    @property
    def milestones_done(self) -> int:
        return sum(1 for milestone in self.milestones if milestone.done_at is not None)

    @property
    def commitments_counted(self) -> list[Commitment]:
        return [c for c in self.commitments if c.state != CommitmentState.DROPPED]

    @property
    def commitments_done(self) -> int:
        return sum(1 for commitment in self.commitments_counted if commitment.done_at is not None)

    @property
    def blockers(self) -> list[Dependency]:
        return [d for d in self.dependencies if d.state == DependencyState.OPEN]

    @property
    def percent(self) -> int:
        """Done steps and promises over all of them (dropped promises aside)."""
        total = len(self.milestones) + len(self.commitments_counted)
        return round(100 * (self.milestones_done + self.commitments_done) / total) if total else 0


def engagement_detail(*, engagement: Engagement, now: datetime | None = None) -> EngagementDetail:
    """Everything the engagement page shows, in four queries whatever the engagement holds."""
    moment = now or timezone.now()
    milestones = list(
        Milestone.objects.filter(engagement=engagement).annotate(waiting=_waiting(milestone=OuterRef("pk")))
    )
    commitments = list(
        Commitment.objects.filter(engagement=engagement)
        .select_related("owner", "milestone")
        .annotate(waiting=_waiting(commitment=OuterRef("pk")))
        .order_by("due_at", "id")
    )
    dependencies = list(
        Dependency.objects.filter(engagement=engagement)
        .select_related("contact", "blocks_commitment", "blocks_milestone", "blocks_ticket")
        .order_by("-state", "due_at", "id")
    )
    spans = Wait.objects.filter(engagement=engagement).values_list("started_at", "ended_at")
    return EngagementDetail(
        engagement=engagement,
        milestones=milestones,
        commitments=commitments,
        dependencies=dependencies,
        waited=spans_total(spans, now=moment),
    )


# --- commitments ---------------------------------------------------------------------------------


def commitments_list(*, user: Any, filters: Filters = Filters()) -> QuerySet[Commitment]:
    """The commitments the user may see, each marked `waiting` while the client holds it up."""
    rows = _filtered(commitments_visible_to(user), filters, owner_field="owner_id")
    if filters.state is not None:
        rows = rows.filter(state=filters.state)
    if filters.owner_inactive:
        rows = rows.filter(_unfinished(), owner__is_active=False)
    return rows.select_related("account", "owner", "engagement", "milestone", "ticket").annotate(
        waiting=_waiting(commitment=OuterRef("pk"))
    )


@dataclass(frozen=True)
class DuePage:
    """One page of a list in due-date order, and the cursor of the next (None at the end)."""

    rows: list[Any]
    next_cursor: str | None


def due_cursor_decode(raw: str | None) -> tuple[datetime, int] | None:
    """`<ISO due date>_<id>` as the page links write it; anything else starts from the first page."""
    if not raw or "_" not in raw:
        return None
    when, _sep, ident = raw.rpartition("_")
    try:
        moment = datetime.fromisoformat(when)
    except ValueError:
        return None
    if not ident.isascii() or not ident.isdigit() or len(ident) > 18 or timezone.is_naive(moment):
        return None
    return moment, int(ident)


def due_page(rows: QuerySet[Any], *, after: tuple[datetime, int] | None, size: int = PAGE) -> DuePage:
    """Rows soonest due first from a (due, id) cursor: one query whatever the page's depth."""
    if after is not None:
        due, ident = after
        rows = rows.filter(Q(due_at__gt=due) | Q(due_at=due, id__gt=ident))
    found = list(rows.order_by("due_at", "id")[: size + 1])
    page = found[:size]
    last = page[-1] if page and len(found) > size else None
    return DuePage(rows=page, next_cursor=f"{last.due_at.isoformat()}_{last.pk}" if last is not None else None)


@dataclass(frozen=True)
class OnTimeRate:
    """Commitments kept on time against those late, for one advisor, team or account (or everyone in view).

    `rate` is kept / (kept + late), None while nothing is decided; dropped ones and those still open and not yet
    due (or waiting on the client) are counted aside and never in the rate.
    """

    key: int | None
    label: str
    kept: int
    late: int
    dropped: int
    pending: int

    @property
    def rate(self) -> float | None:
        decided = self.kept + self.late
        return self.kept / decided if decided else None

    @property
    def percent(self) -> int | None:
        return round(100 * self.rate) if self.rate is not None else None


def _rate_counts(now: datetime) -> dict[str, Any]:
    waiting = _waiting(commitment=OuterRef("pk"))
    overdue = Q(state=CommitmentState.OPEN, due_at__lt=now) & ~Q(waiting)
    return {
        "kept": Count("pk", filter=Q(state=CommitmentState.DONE)),
        "late": Count("pk", filter=Q(state=CommitmentState.LATE) | overdue),
        "dropped": Count("pk", filter=Q(state=CommitmentState.DROPPED)),
        "pending": Count("pk", filter=Q(state=CommitmentState.OPEN) & ~overdue),
    }


RateBy = Literal["owner", "team", "account"]
_GROUPS: dict[str, tuple[str, str]] = {
    "owner": ("owner_id", "owner__username"),
    "team": ("owner__staff_profile__teams", "owner__staff_profile__teams__name"),
    "account": ("account_id", "account__name"),
}


def on_time_rate(*, user: Any, filters: Filters = Filters(), now: datetime | None = None) -> OnTimeRate:
    """The on-time rate of the commitments in view (after `filters`), in one query."""
    moment = now or timezone.now()
    rows = _filtered(commitments_visible_to(user), filters, owner_field="owner_id")
    counts = rows.aggregate(**_rate_counts(moment))
    return OnTimeRate(key=None, label="", **counts)


def on_time_rates(
    *, user: Any, by: RateBy, filters: Filters = Filters(), now: datetime | None = None
) -> list[OnTimeRate]:
    """The on-time rate per advisor (owner), team (a commitment counts for each team of its owner) or account,
    best first, in one query. Staff only."""
    if not is_staff_member(user):
        return []
    moment = now or timezone.now()
    key, label = _GROUPS[by]
    rows = _filtered(commitments_visible_to(user), filters, owner_field="owner_id")
    if by == "team":
        rows = rows.filter(owner__staff_profile__teams__isnull=False)
    grouped = rows.order_by().values(key, label).annotate(**_rate_counts(moment))
    rates = [
        OnTimeRate(
            key=row[key],
            label=row[label],
            kept=row["kept"],
            late=row["late"],
            dropped=row["dropped"],
            pending=row["pending"],
        )
        for row in grouped
    ]
    return sorted(rates, key=lambda r: (-(r.rate if r.rate is not None else -1), r.label))


# --- dependencies --------------------------------------------------------------------------------


def dependencies_list(*, user: Any, filters: Filters = Filters()) -> QuerySet[Dependency]:
    """The dependencies the user may see, each marked `holding` while the work it blocks waits on it."""
    rows = _filtered(dependencies_visible_to(user), filters, owner_field="account__owner_id")
    if filters.state is not None:
        rows = rows.filter(state=filters.state)
    return rows.select_related(
        "account", "contact", "engagement", "blocks_commitment", "blocks_milestone", "blocks_ticket"
    ).annotate(holding=_waiting(dependency=OuterRef("pk")))


# --- the time lost waiting on the client ---------------------------------------------------------


@dataclass
class WaitingRow:
    """The time some work of one account or engagement waited on the client (overlapping waits counted once)."""

    key: int
    label: str
    account_id: int
    waited: timedelta = timedelta()
    dependencies: int = 0
    open: int = 0
    spans: list[tuple[datetime, datetime | None]] = field(default_factory=list, repr=False)

    @property
    def hours(self) -> float:
        return round(self.waited.total_seconds() / 3600, 1)


@dataclass(frozen=True)
class WaitingReport:
    rows: list[WaitingRow]
    next_cursor: int | None


WaitingBy = Literal["account", "engagement"]


def waiting_report(
    *, user: Any, by: WaitingBy, before: int | None = None, size: int = PAGE, now: datetime | None = None
) -> WaitingReport:
    """Time lost waiting on the client per account or per engagement, newest first by id, keyset-paginated.

    Three queries a page: the page's keys, their waits, their names. Staff only.
    """
    if not is_staff_member(user):
        return WaitingReport(rows=[], next_cursor=None)
    moment = now or timezone.now()
    column = "account_id" if by == "account" else "engagement_id"
    waits = Wait.objects.filter(dependency__in=dependencies_visible_to(user), **{f"{column}__isnull": False})
    keys_query = waits.order_by(f"-{column}").values_list(column, flat=True).distinct()
    if before is not None:
        keys_query = keys_query.filter(**{f"{column}__lt": before})
    found = list(keys_query[: size + 1])
    keys = found[:size]
    if not keys:
        return WaitingReport(rows=[], next_cursor=None)
    if by == "account":
        names = {a.pk: (a.name, a.pk) for a in Account.objects.filter(pk__in=keys).only("name")}
    else:
        names = {
            e.pk: (e.title, e.account_id) for e in Engagement.objects.filter(pk__in=keys).only("title", "account_id")
        }
    rows = {key: WaitingRow(key=key, label=names[key][0], account_id=names[key][1]) for key in keys}
    seen: dict[int, set[int]] = defaultdict(set)
    spans = waits.filter(**{f"{column}__in": keys}).values_list(
        column, "dependency_id", "started_at", "ended_at", F("dependency__state")
    )
    for key, dependency_id, started, ended, state in spans:
        row = rows[key]
        row.spans.append((started, ended))
        if dependency_id not in seen[key]:
            seen[key].add(dependency_id)
            row.dependencies += 1
            row.open += state == DependencyState.OPEN
    for row in rows.values():
        row.waited = spans_total(row.spans, now=moment)
    ordered = [rows[key] for key in keys]
    return WaitingReport(rows=ordered, next_cursor=keys[-1] if len(found) > size else None)


# --- the account page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountCard:
    """What the account page shows of its relationship: what we still owe and what the client still owes."""

    commitments: list[Commitment]
    dependencies: list[Dependency]
    more_commitments: bool
    more_dependencies: bool
    check_ins: CheckInCard


def account_card(*, user: Any, account_id: int) -> AccountCard:
    """The account's open commitments (soonest due first), open dependencies, cadences and next check-ins, four
    queries."""
    commitments = list(
        commitments_list(user=user, filters=Filters(account=account_id))
        .filter(_unfinished())
        .order_by("due_at", "id")[: CARD_ROWS + 1]
    )
    dependencies = list(
        dependencies_list(user=user, filters=Filters(account=account_id, state=DependencyState.OPEN)).order_by(
            "due_at", "id"
        )[: CARD_ROWS + 1]
    )
    return AccountCard(
        commitments=commitments[:CARD_ROWS],
        dependencies=dependencies[:CARD_ROWS],
        more_commitments=len(commitments) > CARD_ROWS,
        more_dependencies=len(dependencies) > CARD_ROWS,
        check_ins=check_in_card(user=user, account_id=account_id),
    )


# --- what the forms offer ------------------------------------------------------------------------

CHOICES = 50


@dataclass(frozen=True)
class WorkChoices:
    """What a new dependency of an account (or of one engagement) may name: its contacts and unfinished work."""

    contacts: list[Any]
    commitments: list[Commitment]
    milestones: list[Milestone]
    tickets: list[Any]


def work_choices(*, user: Any, account: Account, engagement: Engagement | None = None) -> WorkChoices:
    """Four queries: the account's contacts, its unfinished commitments and milestones (the engagement's, when
    given) and, for the whole account, its open tickets (newest first)."""
    commitments = commitments_visible_to(user).filter(_unfinished(), account_id=account.pk)
    milestones = Milestone.objects.filter(done_at__isnull=True, engagement__in=engagements_visible_to(user))
    if engagement is not None:
        commitments = commitments.filter(engagement=engagement)
        milestones = milestones.filter(engagement=engagement)
        tickets: list[Any] = []
    else:
        milestones = milestones.filter(engagement__account_id=account.pk)
        open_tickets = (
            tickets_visible_to(user).filter(account_id=account.pk).exclude(status__in=[Status.SOLVED, Status.CLOSED])
        )
        tickets = list(open_tickets.order_by("-id")[:CHOICES])
    return WorkChoices(
        contacts=list(contacts_visible_to(user).filter(account_id=account.pk).order_by("name", "id")[:CHOICES]),
        commitments=list(commitments.order_by("due_at", "id")[:CHOICES]),
        milestones=list(milestones.order_by("due_at", "id")[:CHOICES]),
        tickets=tickets,
    )
