"""Ticket facts by day: what the service scorecard reads of each ticket, kept as one compact array per UTC day.

A scorecard over 30 days of a million tickets reads some 27,000 tickets several times over (by creation, first
response, solve, and the unsolved ones), each with its public staff replies, its reopens and its business-hour
clocks. Read row by row that costs seconds on SQLite; read as thirty arrays it costs milliseconds. So the facts of a
ticket are stored in a **family** keyed by one of its times — `created`, `responded` (first response), `solved` (last
solve) and `open` (not solved, keyed by creation) — one row per (family, UTC day) holding a NumPy array of every
ticket (merged ones left out) whose key falls on that day (`TicketFactDay`).

A stored day is a cache, never a source of truth: it carries the **signature** of the tickets it was built from (how
many, the sum of their ids and the sum of their versions; every write to a ticket bumps its version, and a reply, a
status change or a solve is a write to the ticket). Reading a period first reads the signatures of its days from the
tickets themselves in one grouped query on a covering index, uses each stored day whose signature still matches and
builds the others from the tickets in one query. So a figure read from the facts is always the figure of the raw rows
(tests compare them after old tickets change); the queue (`insights.tasks`, through `services_facts.py`) only stores
the days it finds changed, so that the next read finds them ready.

Times are whole microseconds since the epoch (UTC), `MISSING` when the ticket has none; business-hour durations are
seconds, NaN without a stopped clock. Filters apply to the arrays: team, agent, channel and tier are the ticket's
current ones, the account filters are the ids of the accounts that meet them today (read in one query).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from django.db.models import (
    Count,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextField,
    Value,
)
from django.db.models.functions import Cast, Coalesce

from carefront.accounts.models import Account, Channel
from carefront.core.models import Event
from carefront.desk.models import ClockStatus, Message, SlaClock, SlaMetric, Status, Ticket, Visibility
from carefront.insights.metrics.definitions import MetricFilters
from carefront.insights.metrics.sql import Percentiles
from carefront.insights.models import TicketFactDay

MISSING = np.iinfo(np.int64).min
CHANNELS = tuple(Channel.values)

FACTS = np.dtype(
    [
        ("id", "<i8"),
        ("created", "<i8"),
        ("responded", "<i8"),
        ("solved", "<i8"),
        ("first_response_business", "<f8"),
        ("resolution_business", "<f8"),
        ("staff_replies", "<i4"),
        ("reopened", "?"),
        ("channel", "<i2"),
        ("tier", "<i2"),
        ("team", "<i8"),
        ("assignee", "<i8"),
        ("account", "<i8"),
    ]
)
# A ticket's status changes that the reopen rate reads: each solve, and each reopen (solved back to open, pending
# or on hold; closing is not a reopen). Audit events are append-only.
STATUS_CHANGES = np.dtype([("ticket", "<i8"), ("at", "<i8"), ("solve", "?")])
# A stored day built with another layout (or another list of channels) no longer matches any signature.
LAYOUT = f"{zlib.crc32(repr((FACTS.descr, STATUS_CHANGES.descr, CHANNELS)).encode()):08x}"


@dataclass(frozen=True)
class Family:
    name: str
    key: str  # the row's time the family is keyed by
    field: str  # that time in the facts
    open_only: bool = False  # only the tickets not solved (solved_at NULL)
    dtype: np.dtype = FACTS
    events: bool = False  # rows are the status changes of tickets, not tickets


FAMILIES = {
    "created": Family("created", "created_at", "created"),
    "responded": Family("responded", "first_responded_at", "responded"),
    "solved": Family("solved", "solved_at", "solved"),
    "open": Family("open", "created_at", "created", open_only=True),
    "status": Family("status", "occurred_at", "at", dtype=STATUS_CHANGES, events=True),
}
EMPTY = np.zeros(0, dtype=FACTS)


# What a ticket's facts are made of; the scorecard's raw-row conditions (service.py) use the same pieces.


def status_events() -> QuerySet[Event]:
    """A ticket's status changes (`OuterRef("pk")` is the ticket)."""
    return Event.objects.filter(subject_kind=Event.SubjectKind.TICKET, subject_id=OuterRef("pk"), field="status")


def reopens() -> QuerySet[Event]:
    """A ticket's status changes from solved back to open, pending or on hold (closing is not a reopen)."""
    return status_events().filter(old_value=Status.SOLVED.value).exclude(new_value=Status.CLOSED.value)


def staff_replies() -> Coalesce:
    """A ticket's public replies written by staff."""
    replies = (
        Message.objects.filter(ticket=OuterRef("pk"), visibility=Visibility.PUBLIC, author_user__isnull=False)
        .order_by()
        .values("ticket")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(replies, output_field=IntegerField()), 0)


def stopped_clock(metric: str) -> Cast:
    """A ticket's stopped clock of a metric: its business seconds, or NULL. One lookup in sla_clock_unique per
    ticket, where a join lets PostgreSQL scan every clock to hash them."""
    elapsed = SlaClock.objects.filter(ticket=OuterRef("pk"), metric=metric, status=ClockStatus.STOPPED).values(
        "elapsed"
    )
    return Cast(Subquery(elapsed[:1]), FloatField())


class UtcDay(Func):
    """The UTC day of a time, as text (YYYY-MM-DD): SQLite stores times as UTC text, so it is the first ten
    characters there, read from the index without calling back into Python."""

    output_field = TextField()
    arity = 1

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="substr(%(expressions)s, 1, 10)", **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
        return self.as_sql(compiler, connection, template=template, **extra)


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def micros(moment: datetime | None) -> int:
    """A time as whole microseconds since the epoch (UTC), MISSING for none."""
    if moment is None:
        return int(MISSING)
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def status_changes() -> QuerySet[Event]:
    """Every ticket's solves and reopens (the rows of the `status` family)."""
    solved = Status.SOLVED.value
    return (
        Event.objects.filter(subject_kind=Event.SubjectKind.TICKET, field="status")
        .filter(Q(new_value=solved) | (Q(old_value=solved) & ~Q(new_value=Status.CLOSED.value)))
        .order_by()
    )


def _rows(family: Family) -> QuerySet[Any]:
    if family.events:
        return status_changes()
    tickets = Ticket.objects.filter(merged_into__isnull=True).order_by()
    return tickets.filter(solved_at__isnull=True) if family.open_only else tickets


def _in_days(family: Family, days: Iterable[date]) -> Q:
    """The rows whose key falls on one of the days, as ranges of contiguous days (each read from the index)."""
    ordered = sorted(set(days))
    condition = Q(pk__in=[])
    run_start: date | None = None
    for index, day in enumerate(ordered):
        run_start = run_start or day
        if index + 1 == len(ordered) or ordered[index + 1] != day + timedelta(days=1):
            condition |= Q(
                **{f"{family.key}__gte": midnight(run_start), f"{family.key}__lt": midnight(day) + timedelta(days=1)}
            )
            run_start = None
    return condition


def signatures(family: Family, start: datetime, end: datetime | None) -> dict[date, str]:
    """The signature of each UTC day holding rows of the family keyed in [start, end) (no end: up to now and
    after), from the tickets (or events) themselves: one grouped query over the key's covering index. Status changes
    are append-only: how many and the sum of their ids say whether a day changed."""
    key = family.key
    bounds = Q(**{f"{key}__gte": start}) & (
        Q(**{f"{key}__lt": end}) if end is not None else Q(**{f"{key}__isnull": False})
    )
    versions = Value(0) if family.events else Sum("version")
    rows = (
        _rows(family)
        .filter(bounds)
        .annotate(day=UtcDay(F(key)))
        .values("day")
        .annotate(n=Count("pk"), ids=Sum("pk"), versions=versions)
        .values_list("day", "n", "ids", "versions")
    )
    return {date.fromisoformat(day): f"{LAYOUT}:{n}:{ids}:{versions}" for day, n, ids, versions in rows}


def facts_build(family: Family, days: Iterable[date]) -> dict[date, np.ndarray]:
    """The facts of the family's tickets keyed on the days, computed from the tickets in one query, by day."""
    days = sorted(set(days))
    if not days:
        return {}
    if family.events:
        return _status_changes_build(family, days)
    rows = (
        _rows(family)
        .filter(_in_days(family, days))
        .annotate(
            replies=staff_replies(),
            ever_reopened=Exists(reopens()),
            response_business=stopped_clock(SlaMetric.FIRST_RESPONSE),
            resolution_seconds=stopped_clock(SlaMetric.RESOLUTION),
        )
        .values_list(
            "pk",
            family.key,
            "created_at",
            "first_responded_at",
            "solved_at",
            "response_business",
            "resolution_seconds",
            "replies",
            "ever_reopened",
            "channel",
            "tier",
            "team_id",
            "assignee_id",
            "account_id",
        )
    )
    channel_codes = {channel: code for code, channel in enumerate(CHANNELS)}
    by_day: dict[date, list[tuple[Any, ...]]] = {day: [] for day in days}
    nan = float("nan")
    for (
        pk,
        key,
        created,
        responded,
        solved,
        fr_business,
        res_business,
        replies,
        reopened,
        channel,
        tier,
        team,
        assignee,
        account,
    ) in rows:
        by_day[key.astimezone(UTC).date()].append(
            (
                pk,
                micros(created),
                micros(responded),
                micros(solved),
                nan if fr_business is None else fr_business,
                nan if res_business is None else res_business,
                replies,
                bool(reopened),
                channel_codes.get(channel, -1),
                tier,
                team or 0,
                assignee or 0,
                account or 0,
            )
        )
    return {day: np.array(found, dtype=FACTS) for day, found in by_day.items()}


def _status_changes_build(family: Family, days: list[date]) -> dict[date, np.ndarray]:
    rows = _rows(family).filter(_in_days(family, days)).values_list("occurred_at", "subject_id", "new_value")
    by_day: dict[date, list[tuple[int, int, bool]]] = {day: [] for day in days}
    for occurred, ticket, new in rows:
        by_day[occurred.astimezone(UTC).date()].append((ticket, micros(occurred), new == Status.SOLVED.value))
    return {day: np.array(found, dtype=STATUS_CHANGES) for day, found in by_day.items()}


def _stored(family: Family, days: Sequence[date]) -> dict[date, tuple[str, bytes]]:
    """The stored days of a family over the span of `days`: (signature, facts) by day."""
    if not days:
        return {}
    stored = TicketFactDay.objects.filter(family=family.name, day__gte=min(days), day__lte=max(days))
    return {day: (signature, bytes(facts)) for day, signature, facts in stored.values_list("day", "signature", "facts")}


def family_facts(name: str, start: datetime, end: datetime | None) -> np.ndarray:
    """The facts of every ticket of a family whose key is in [start, end) (no end: from start on): the stored days
    whose signature matches, the others built from the tickets. Three queries at most, whatever the period."""
    family = FAMILIES[name]
    current = signatures(family, start, end)
    stored = _stored(family, sorted(current))
    stale = [day for day, signature in current.items() if stored.get(day, ("", b""))[0] != signature]
    built = facts_build(family, stale)
    # The days' bytes joined and read as one array: concatenating a thousand small structured arrays costs more.
    joined = b"".join(built[day].tobytes() if day in built else stored[day][1] for day in sorted(current))
    facts = np.frombuffer(joined, dtype=family.dtype)
    key = facts[family.field]
    keep = key >= micros(start)
    if end is not None:
        keep &= key < micros(end)
    return facts[keep]


def scoped(facts: np.ndarray, filters: MetricFilters, accounts: np.ndarray | None) -> np.ndarray:
    """The facts of the tickets the filters keep (`accounts`: the ids of the accounts the account filters keep,
    None without account filters)."""
    keep = np.ones(len(facts), dtype=bool)
    if filters.team is not None:
        keep &= facts["team"] == filters.team
    if filters.agent is not None:
        keep &= facts["assignee"] == filters.agent
    if filters.channel is not None:
        code = CHANNELS.index(filters.channel) if filters.channel in CHANNELS else -2
        keep &= facts["channel"] == code
    if filters.tier is not None:
        keep &= facts["tier"] == filters.tier
    if accounts is not None:
        keep &= np.isin(facts["account"], accounts)
    return facts[keep]


def accounts_kept(filters: MetricFilters, account_filter: Q) -> np.ndarray | None:
    """The ids of the accounts the account filters keep (one query), None when there is no account filter."""
    if not account_filter:
        return None
    ids = Account.objects.filter(account_filter).order_by().values_list("pk", flat=True)
    return np.fromiter(ids, dtype=np.int64)


def seconds_between(later: np.ndarray, earlier: np.ndarray) -> np.ndarray:
    """Seconds from `earlier` to `later` (microseconds), to the millisecond as the SQL figures round them; NaN where
    either is missing."""
    missing = (later == MISSING) | (earlier == MISSING)
    seconds = np.round((later - earlier) / 1_000_000, 3)
    return np.where(missing, np.nan, seconds)


def percentiles_of(values: np.ndarray, wanted: Sequence[int] = (50, 90)) -> Percentiles | None:
    """The percentiles of the values that are not NaN, interpolated as `sql.percentiles()` (PostgreSQL's
    percentile_cont); None without any."""
    present = values[~np.isnan(values)]
    if not len(present):
        return None
    found = np.percentile(present, list(wanted), method="linear")
    return Percentiles(values={p: float(v) for p, v in zip(wanted, found.tolist(), strict=True)}, count=len(present))
