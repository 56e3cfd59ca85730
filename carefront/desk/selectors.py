"""Reads of tickets and conversations, shaped for lists and pages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from carefront.accounts.models import Account
from carefront.core.access import is_staff_member, portal_account_id
from carefront.core.models import Event
from carefront.core.selectors import cost_rates
from carefront.desk.access import messages_visible_to, tickets_visible_to
from carefront.desk.models import (
    CHECKLIST,
    SLA_BREACHED,
    SLA_WARNING,
    Attachment,
    Message,
    SlaClock,
    Status,
    Ticket,
    TicketLink,
    TicketPresence,
    Tier,
    TierQueue,
    Visibility,
)
from carefront.desk.sla_selectors import sla_clocks_prefetch
from carefront.insights.selectors import segment_accounts_q
from carefront.knowledge.selectors import deflections_count


@dataclass(frozen=True)
class TicketFilters:
    """The filters of the ticket list, shared by the API and the workspace inbox.

    `statuses` and `teams` are sets to match any of: None means no filter, an empty tuple matches nothing.
    """

    status: str | None = None
    statuses: tuple[str, ...] | None = None
    priority: str | None = None
    tier: int | None = None
    channel: str | None = None
    assignee: int | None = None
    unassigned: bool = False
    team: int | None = None
    teams: tuple[int, ...] | None = None
    account: int | None = None
    requester: int | None = None
    service_model: str | None = None
    lifecycle_stage: str | None = None
    owner: int | None = None
    tag: str | None = None
    updated_since: datetime | None = None
    solved_since: datetime | None = None
    sla: str | None = None  # "breached" or "warning"
    saved_segment: int | None = None  # the id of an insights Segment: tickets of the accounts in it


# Up to this many matching accounts, a list filtered by account fields names their ids (one small query first).
FEW_ACCOUNTS = 200
# Sorting this many of the accounts' tickets for a page costs about as much as walking the newest tickets
# for accounts that hold a larger share of them.
FEW_TICKETS = 10_000


def _few_account_ids(conditions: dict[str, Any]) -> list[int] | None:
    """The ids of the accounts matching `conditions` when they are few and hold few tickets, else None.

    With a few ids the database reads just those accounts' tickets from ticket_account_idx and sorts them; a
    correlated EXISTS instead makes it walk the newest tickets until a page matches, which for an owner of
    a few accounts meant reading a large part of the table (PostgreSQL also chose to hash-join every
    ticket). When the accounts hold many tickets (all clients: half the tickets at 100k), sorting them all
    is the slow side and the walk finds a page at once.
    """
    ids = list(Account.objects.filter(**conditions).order_by().values_list("pk", flat=True)[: FEW_ACCOUNTS + 1])
    if len(ids) > FEW_ACCOUNTS:
        return None
    held = Ticket.objects.filter(account_id__in=ids).order_by().values("pk")[:FEW_TICKETS].count()
    return ids if held < FEW_TICKETS else None


def ticket_filters_q(filters: TicketFilters, *more: TicketFilters, for_counts: bool = False) -> Q:
    """The filters as one condition on Ticket rows; with several filter sets, rows must match them all.

    Conditions on accounts and tags are subqueries rather than joins, so the same Q serves a list and a
    conditional aggregate (`Count(..., filter=...)`), where a join would multiply rows. `for_counts` shapes
    the account condition for an aggregate that tests every row rather than stopping after a page.
    """
    condition = Q()
    for extra in more:
        condition &= ticket_filters_q(extra, for_counts=for_counts)
    for field in ("status", "priority", "tier", "channel"):
        value = getattr(filters, field)
        if value is not None and value != "":
            condition &= Q(**{field: value})
    if filters.statuses is not None:
        condition &= Q(status__in=list(filters.statuses))
    if filters.assignee is not None:
        condition &= Q(assignee_id=filters.assignee)
    if filters.unassigned:
        condition &= Q(assignee__isnull=True)
    if filters.team is not None:
        condition &= Q(team_id=filters.team)
    if filters.teams is not None:
        condition &= Q(team_id__in=list(filters.teams))
    if filters.account is not None:
        condition &= Q(account_id=filters.account)
    if filters.requester is not None:
        condition &= Q(requester_id=filters.requester)
    accounts: dict[str, Any] = {}
    if filters.service_model:
        accounts["service_model"] = filters.service_model
    if filters.lifecycle_stage:
        accounts["lifecycle_stage"] = filters.lifecycle_stage
    if filters.owner is not None:
        accounts["owner_id"] = filters.owner
    if accounts and for_counts:
        # IN over the matching accounts, computed once: each row is then a hashed lookup, where EXISTS
        # would probe the account index once per counted row.
        condition &= Q(account_id__in=Account.objects.filter(**accounts).values("pk"))
    elif accounts:
        few = _few_account_ids(accounts)
        if few is not None:
            # An advisor's book: a handful of accounts, each found through ticket_account_idx.
            condition &= Q(account_id__in=few)
        else:
            # EXISTS, not IN: SQLite then walks tickets in page order and stops after a page, instead of
            # collecting every matching account's tickets and sorting them (seconds at a million tickets).
            condition &= Q(Exists(Account.objects.filter(pk=OuterRef("account_id"), **accounts)))
    if filters.saved_segment is not None:
        in_segment = segment_accounts_q(segment_id=filters.saved_segment)
        if for_counts:
            condition &= Q(account_id__in=Account.objects.filter(in_segment).values("pk"))
        else:
            condition &= Q(Exists(Account.objects.filter(in_segment, pk=OuterRef("account_id"))))
    if filters.tag:
        condition &= Q(
            Exists(Ticket.tags.through.objects.filter(ticket_id=OuterRef("pk"), tag__name=filters.tag.lower()))
        )
    if filters.sla:
        clocks = SlaClock.objects.filter(SLA_BREACHED if filters.sla == "breached" else SLA_WARNING)
        condition &= Q(pk__in=clocks.values("ticket_id"))
    if filters.updated_since:
        condition &= Q(updated_at__gte=filters.updated_since)
    if filters.solved_since:
        condition &= Q(solved_at__gte=filters.solved_since)
    return condition


def tickets_list(
    *, user: Any, filters: TicketFilters, also: Sequence[TicketFilters] = (), staff_detail: bool = False
) -> QuerySet[Ticket]:
    """Visible tickets matching the filters (and every set in `also`), with everything a list row shows in a
    constant number of queries (with `staff_detail`, also their SLA clocks and time spent)."""
    tickets = (
        tickets_visible_to(user)
        .filter(ticket_filters_q(filters, *also))
        .select_related("account", "account__owner", "requester", "assignee", "team")
        .prefetch_related("tags")
    )
    if not staff_detail:
        return tickets
    return (
        tickets.select_related("routing")
        .prefetch_related(sla_clocks_prefetch())
        .annotate(time_spent_minutes=ticket_time_spent())
    )


def _status_scope(filters: Sequence[TicketFilters]) -> tuple[frozenset[str], datetime | None] | None:
    """The statuses (and solved-since bound) a filter set is confined to, or None when it takes any status."""
    statuses: frozenset[str] | None = None
    solved_since: datetime | None = None
    for item in filters:
        own = set(item.statuses) if item.statuses is not None else None
        if item.status:
            own = {item.status} if own is None else own & {item.status}
        if own is not None:
            statuses = frozenset(own) if statuses is None else statuses & own
        if item.solved_since is not None:
            solved_since = item.solved_since if solved_since is None else max(solved_since, item.solved_since)
    return None if statuses is None else (statuses, solved_since)


def tickets_count_by(
    *, user: Any, named_filters: Mapping[str, TicketFilters | Sequence[TicketFilters]]
) -> dict[str, int]:
    """How many visible tickets match each named filter set (or all sets of a sequence), in one query.

    When every filter set is confined to some statuses, only the rows of those statuses are read: one
    range of the status-led `ticket_inbox_counts_idx` for the statuses taken at any age, and one for those
    bounded by `solved_since`. Each range is aggregated on its own (a UNION ALL of two aggregates, summed
    here), so both databases count straight from the index (an OR of the two ranges would make PostgreSQL
    visit the table) and the cost follows the open and recent tickets, not every ticket ever handled.
    """
    if not named_filters:
        return {}
    sets = {
        name: (filters,) if isinstance(filters, TicketFilters) else tuple(filters)
        for name, filters in named_filters.items()
    }
    # COUNT(status) rather than COUNT(id): every column the counts read is then in the index.
    aggregates = {
        f"c{index}": Count("status", filter=condition) if condition else Count("status")
        for index, condition in enumerate(ticket_filters_q(*filters, for_counts=True) for filters in sets.values())
    }
    visible = tickets_visible_to(user)
    scopes = [_status_scope(filters) for filters in sets.values()]
    ranges: list[Q] = []
    if all(scope is not None for scope in scopes):
        any_age: set[str] = set()
        solved_recently: set[str] = set()
        since: datetime | None = None
        for scope in scopes:
            assert scope is not None
            statuses, bound = scope
            if bound is None:
                any_age |= statuses
            else:
                solved_recently |= statuses
                since = bound if since is None else min(since, bound)
        # The ranges must not overlap, or a ticket in both would be counted twice.
        solved_recently -= any_age
        if any_age:
            ranges.append(Q(status__in=sorted(any_age)))
        if solved_recently:
            ranges.append(Q(status__in=sorted(solved_recently), solved_at__gte=since))
        if not ranges:
            return dict.fromkeys(sets, 0)
    if len(ranges) <= 1:
        counts = visible.filter(*ranges).aggregate(**aggregates)
        return {name: int(counts[f"c{index}"] or 0) for index, name in enumerate(sets)}
    # A constant "group" gives one row per range, with no GROUP BY clause.
    parts = [
        visible.filter(rows).annotate(_range=Value(1)).values("_range").annotate(**aggregates).values(*aggregates)
        for rows in ranges
    ]
    totals = dict.fromkeys(aggregates, 0)
    for row in parts[0].union(*parts[1:], all=True):
        for key in aggregates:
            totals[key] += int(row[key] or 0)
    return {name: totals[f"c{index}"] for index, name in enumerate(sets)}


def ticket_detail(*, ticket_id: int, staff_detail: bool = True) -> Ticket:
    """One ticket with what its page shows (and, for staff, its SLA clocks and time spent)."""
    ticket = Ticket.objects.select_related("account", "account__owner", "requester", "assignee", "team")
    if not staff_detail:
        return ticket.prefetch_related("tags").get(pk=ticket_id)
    return (
        ticket.select_related("routing", "merged_into")
        .prefetch_related("tags", sla_clocks_prefetch())
        .annotate(time_spent_minutes=ticket_time_spent())
        .get(pk=ticket_id)
    )


def messages_list(*, user: Any, ticket: Ticket) -> QuerySet[Message]:
    return (
        messages_visible_to(user, ticket)
        .select_related("author_user", "author_contact")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
    )


# Statuses in which a ticket still needs work from the desk or the requester.
OPEN_STATUSES = [Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD]
# A presence not refreshed for this long belongs to an agent who closed the tab.
PRESENCE_FRESH = timedelta(seconds=30)


def ticket_presence_others(*, ticket: Ticket, user: Any) -> list[TicketPresence]:
    """The other staff members who viewed or replied to this ticket in the last 30 seconds."""
    since = timezone.now() - PRESENCE_FRESH
    return list(
        TicketPresence.objects.filter(ticket=ticket, seen_at__gte=since)
        .exclude(user_id=user.pk)
        .select_related("user")
        .order_by("user__first_name", "user__username")
    )


@dataclass(frozen=True)
class TicketNeighbours:
    """The ticket numbers before and after one ticket in the inbox order (newest first)."""

    next_number: int | None
    previous_number: int | None


def ticket_neighbours(*, user: Any, ticket: Ticket) -> TicketNeighbours:
    """Where j/k lead from this ticket: the next older and the next newer visible ticket, by id."""
    visible = tickets_visible_to(user)
    older = visible.filter(id__lt=ticket.pk).order_by("-id").values_list("number", flat=True).first()
    newer = visible.filter(id__gt=ticket.pk).order_by("id").values_list("number", flat=True).first()
    return TicketNeighbours(next_number=older, previous_number=newer)


def ticket_events_of_account(*, account_id: int) -> QuerySet[Event]:
    """Audit events of every ticket of one account, each carrying its ticket's number."""
    number = Ticket.objects.filter(pk=OuterRef("subject_id")).values("number")[:1]
    return (
        Event.objects.filter(account_id=account_id, subject_kind=Event.SubjectKind.TICKET)
        .select_related("actor")
        .annotate(ticket_number=Subquery(number))
    )


def messages_of_account(*, user: Any, account_id: int) -> QuerySet[Message]:
    """The messages of every ticket of one account that the user may read, with authors and ticket."""
    messages = Message.objects.filter(account_id=account_id)
    if not is_staff_member(user):
        if portal_account_id(user) != account_id:
            return messages.none()
        messages = messages.filter(visibility=Visibility.PUBLIC)
    return messages.select_related("ticket", "author_user", "author_contact")


@dataclass(frozen=True)
class TierLine:
    """One tier's work over a period: tickets that came to it, were solved at it, and left it upwards."""

    tier: int
    label: str
    started: int  # tickets created at this tier
    moved_in: int  # escalated or de-escalated into it
    resolved: int  # solved while at this tier
    escalated: int  # escalated from it to a higher tier

    @property
    def volume(self) -> int:
        return self.started + self.moved_in

    @property
    def escalation_rate(self) -> float | None:
        """The share of the tier's volume escalated onwards, in percent (None with no volume)."""
        return round(100 * self.escalated / self.volume, 1) if self.volume else None


def tier_report(*, since: datetime, until: datetime, tickets: QuerySet[Ticket] | None = None) -> list[TierLine]:
    """Volume, resolutions and escalations per tier in [since, until), from the audit trail's tier changes
    (event_tier_idx), the tickets solved in the period and the knowledge base's deflections (L0 resolutions):
    three queries whatever the size. `tickets` narrows it to some tickets (the scorecard's filters); deflections,
    which belong to no ticket, are counted whatever it is."""
    changes = Event.objects.filter(
        subject_kind="ticket", field="tier", occurred_at__gte=since, occurred_at__lt=until
    ).order_by()
    if tickets is not None:
        # A correlated EXISTS (a primary-key lookup per change of the period), not `subject_id IN (tickets)`, which
        # lists every ticket in scope first: over all tickets that is the whole table.
        changes = changes.filter(Exists(tickets.order_by().filter(pk=OuterRef("subject_id"))))

    # One pass over the period's tier changes, grouped by what each says: a start (the tier at creation), a move
    # into a tier, and, for an escalation, the tier it left.
    started: dict[int, int] = {}
    moved_in: dict[int, int] = {}
    escalated: dict[int, int] = {}
    for action, old, new, count in changes.values_list("action", "old_value", "new_value").annotate(count=Count("id")):
        if isinstance(new, int):
            counted = started if action == "created" else moved_in
            counted[new] = counted.get(new, 0) + count
        if action == "escalated" and isinstance(old, int):
            escalated[old] = escalated.get(old, 0) + count
    resolved = dict(
        (Ticket.objects.all() if tickets is None else tickets)
        .filter(solved_at__gte=since, solved_at__lt=until)
        .order_by()
        .values("tier")
        .annotate(count=Count("id"))
        .values_list("tier", "count")
    )
    return tier_lines(
        since=since, until=until, started=started, moved_in=moved_in, escalated=escalated, resolved=resolved
    )


def tier_lines(
    *,
    since: datetime,
    until: datetime,
    started: dict[int, int],
    moved_in: dict[int, int],
    escalated: dict[int, int],
    resolved: dict[int, int],
) -> list[TierLine]:
    """The tier report's lines from its counts by tier (tickets started in, moved into, escalated from and solved
    at each), the knowledge base's deflections of the period added to L0's resolutions: one query."""
    resolved = dict(resolved)
    # A customer whom a knowledge-base article answered, and who filed nothing, was served at L0.
    resolved[Tier.L0] = resolved.get(Tier.L0, 0) + deflections_count(since=since, until=until)
    return [
        TierLine(
            tier=tier,
            label=str(label),
            started=started.get(tier, 0),
            moved_in=moved_in.get(tier, 0),
            resolved=resolved.get(tier, 0),
            escalated=escalated.get(tier, 0),
        )
        for tier, label in Tier.choices
    ]


def tier_queues() -> dict[int, Any]:
    """The team each tier's tickets go to, by tier."""
    return {queue.tier: queue.team for queue in TierQueue.objects.select_related("team")}


@dataclass(frozen=True)
class CostToServe:
    """Staff time on an account's tickets and what it cost at the roles' rates."""

    minutes: int
    amount: Decimal
    currency: str
    minutes_by_role: dict[str, int]


def account_cost_to_serve(*, account_id: int) -> CostToServe:
    """An account's cost to serve: minutes on its replies and notes, by the author's role, times the rates."""
    rows = (
        Message.objects.filter(account_id=account_id, minutes_spent__gt=0)
        .order_by()
        .values_list("author_user__staff_profile__role")
        .annotate(minutes=Sum("minutes_spent"))
    )
    by_role = {str(role or ""): int(minutes) for role, minutes in rows}
    rates = cost_rates()
    amount = sum((Decimal(minutes) * rates.get(role, Decimal(0)) / 60 for role, minutes in by_role.items()), Decimal(0))
    return CostToServe(
        minutes=sum(by_role.values()),
        amount=amount.quantize(Decimal("0.01")),
        currency=settings.CAREFRONT_COST_CURRENCY,
        minutes_by_role=by_role,
    )


def ticket_time_spent() -> Coalesce:
    """An annotation: the minutes recorded on a ticket's messages (one indexed sum per listed ticket)."""
    total = (
        Message.objects.filter(ticket_id=OuterRef("pk"))
        .order_by()
        .values("ticket_id")
        .annotate(total=Sum("minutes_spent"))
        .values("total")
    )
    return Coalesce(Subquery(total), Value(0))


@dataclass(frozen=True)
class TimeSpentReport:
    """Minutes recorded in a period, per staff member and per tier of the ticket."""

    by_staff: list[tuple[Any, int]]
    by_tier: list[tuple[int, str, int]]
    total: int


def time_spent_report(*, since: datetime, until: datetime) -> TimeSpentReport:
    """Two grouped sums over the period's timed messages (message_timed_idx)."""
    timed = Message.objects.filter(created_at__gte=since, created_at__lt=until, minutes_spent__gt=0).order_by()
    staff_minutes = dict(
        timed.values_list("author_user").annotate(minutes=Sum("minutes_spent")).values_list("author_user", "minutes")
    )
    people = {user.pk: user for user in get_user_model().objects.filter(pk__in=list(staff_minutes))}
    tier_minutes = dict(
        timed.values_list("ticket__tier").annotate(minutes=Sum("minutes_spent")).values_list("ticket__tier", "minutes")
    )
    return TimeSpentReport(
        by_staff=sorted(
            ((people[pk], int(minutes)) for pk, minutes in staff_minutes.items() if pk in people),
            key=lambda row: -row[1],
        ),
        by_tier=[(tier, str(label), int(tier_minutes.get(tier, 0))) for tier, label in Tier.choices],
        total=sum(int(minutes) for minutes in staff_minutes.values()),
    )


def ticket_links(*, ticket: Ticket) -> QuerySet[Ticket]:
    """The tickets linked to this one, by number."""
    linked = Q(pk__in=TicketLink.objects.filter(ticket=ticket).values("other")) | Q(
        pk__in=TicketLink.objects.filter(other=ticket).values("ticket")
    )
    return Ticket.objects.filter(linked).order_by("number")


def difficult_checklist(ticket: Ticket) -> list[tuple[str, str, bool]]:
    """A difficult conversation's de-escalation checklist: each item, its label, whether it is done (none when
    the ticket is not flagged)."""
    if ticket.difficult_since is None:
        return []
    done = set(ticket.difficult_checklist or [])
    return [(key, str(label), key in done) for key, label in CHECKLIST]
