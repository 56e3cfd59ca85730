"""Ticket facts by day: what the service scorecard reads of each ticket, kept as one compact array per UTC day.

A scorecard over 30 days of a million tickets reads some 27,000 tickets several times over (by creation, first
response, solve, and the unsolved ones), each with its public staff replies, its reopens and its business-hour
clocks. Read row by row that costs seconds on SQLite; read as thirty arrays it costs milliseconds. So the facts of a
ticket are stored in a **family** keyed by one of its times — `created`, `responded` (first response), `solved` (last
solve) and `open` (not solved, keyed by creation) — one row per (family, UTC day) holding a NumPy array of every
ticket (merged ones left out) whose key falls on that day (`TicketFactDay`), stored column by column so that a read
joins only the columns its figures use (`Rows`). The CSAT invitations sent are a family too (`csat`).

A stored day is a cache, never a source of truth. Database triggers (migration insights/0004) append a mark
(`FactChange`) for each UTC day a write touches: a ticket's days of creation, first response and last solve, before
and after the write; a message's, a clock's or a status or tier event's own day. The marks of a
(kind, day), how many and the sum of their ids, are the **signature** a stored day carries. Reading a period reads the
marks of its days in one query (a few rows a day, whatever the number of tickets), uses each stored day whose signature
still matches and builds the others from the rows in one query a family. So a figure read from the facts is always the
figure of the raw rows (tests compare them after old tickets change); the queue (`insights.tasks`, through
`services_facts.py`) keeps one mark a (kind, day) and stores the days it finds changed, so that the next read finds
them ready. It also stores each month that has ended whole (`span = month`, its days joined, under a digest of their
signatures): a long period reads a dozen arrays rather than a year of days, and a month one of whose days changed is
read by its days until the queue stores it again.

Times are whole microseconds since the epoch (UTC), `MISSING` when the ticket has none; business-hour durations are
whole seconds (the clocks count whole seconds), -1 without a stopped clock. Filters apply to the arrays: team, agent,
channel and tier are the ticket's current ones, the account filters are the ids of the accounts that meet them today
(read in one query).
"""

from __future__ import annotations

import hashlib
import threading
import zlib
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache, reduce
from operator import or_
from typing import Any, overload

import numpy as np
from cachetools import LRUCache
from django.apps import apps
from django.conf import settings
from django.db.models import (
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from carefront.accounts.models import Account, Channel
from carefront.core.models import Event
from carefront.desk.models import ClockStatus, Message, SlaClock, SlaMetric, Status, Ticket, Visibility
from carefront.insights.metrics.definitions import TICKET_FILTERS, MetricFilters
from carefront.insights.metrics.sql import EpochSeconds, Percentiles
from carefront.insights.models import FactChange, TicketFactDay

MISSING = np.iinfo(np.int64).min
CHANNELS = tuple(Channel.values)

FACTS = np.dtype(
    [
        ("id", "<i8"),
        ("created", "<i8"),
        ("responded", "<i8"),
        ("solved", "<i8"),
        ("first_response_business", "<i4"),  # whole business seconds, -1 without a stopped clock
        ("resolution_business", "<i4"),
        ("staff_replies", "<i2"),
        ("reopened", "?"),
        ("channel", "<i1"),
        ("tier", "<i1"),
        ("team", "<i4"),  # 0 for none
        ("assignee", "<i4"),
        ("account", "<i4"),
    ]
)
# A ticket's status changes that the reopen rate reads: each solve, and each reopen (solved back to open, pending
# or on hold; closing is not a reopen). Audit events are append-only.
STATUS_CHANGES = np.dtype([("ticket", "<i8"), ("at", "<i8"), ("solve", "?")])
# A ticket's tier changes (the tier report): its tier at creation (`start`), a move (an escalation or not), the tiers
# it left and entered (-1: not a tier).
TIER_CHANGES = np.dtype(
    [("ticket", "<i8"), ("at", "<i8"), ("start", "?"), ("escalated", "?"), ("old", "<i2"), ("new", "<i2")]
)
# An SLA clock stopped (`at`: when) or breached and still running or paused (`at`: when it breached): its metric
# (index in METRICS), whether it breached, and its business seconds.
CLOCKS = np.dtype([("ticket", "<i8"), ("at", "<i8"), ("metric", "<i1"), ("breached", "?"), ("elapsed", "<f8")])
METRICS = tuple(SlaMetric.values)
# A public staff reply: the seconds since the requester's first message after the previous staff reply (NaN for a
# first response, or when the requester had not written since).
REPLIES = np.dtype([("ticket", "<i8"), ("at", "<i8"), ("v", "<f8")])
# A CSAT invitation sent (`at`), not one asked on a client's behalf: its ticket (0 for none), the score of its answer
# (0 without one), its agent and account (0 for none), as the survey counts filter them.
CSAT_SENT = np.dtype([("ticket", "<i8"), ("at", "<i8"), ("score", "<i1"), ("agent", "<i4"), ("account", "<i4")])
# A stored day built with another layout (or another list of channels) no longer matches any signature.
# Each day's rows are in the order of the family's key, so that a period's rows are a slice of the days joined. A day
# is stored column by column (`packed`): a read joins only the columns its figures use.
_LAYOUTS = (
    FACTS.descr,
    STATUS_CHANGES.descr,
    TIER_CHANGES.descr,
    CLOCKS.descr,
    REPLIES.descr,
    CSAT_SENT.descr,
    CHANNELS,
    METRICS,
    "ordered by key",
    "by column",
)
LAYOUT = f"{zlib.crc32(repr(_LAYOUTS).encode()):08x}"


# The marks (FactChange.Kind) that say a family's rows of a day changed.
CHANGES = {
    "ticket": FactChange.Kind.TICKET,
    "status": FactChange.Kind.EVENT,
    "tier": FactChange.Kind.EVENT,
    "clock": FactChange.Kind.CLOCK,
    "reply": FactChange.Kind.MESSAGE,
    "survey": FactChange.Kind.SURVEY,
}


@dataclass(frozen=True)
class Family:
    name: str
    kind: str  # what a row is: "ticket", "status", "tier", "clock", "reply", "survey"
    key: str  # the row's time the family is keyed by
    field: str  # that time in the facts
    dtype: np.dtype = FACTS
    open_only: bool = False  # tickets: only those not solved (solved_at NULL)
    breached: bool = False  # clocks: those breached and still running or paused, not those stopped


FAMILIES = {
    "created": Family("created", "ticket", "created_at", "created"),
    "responded": Family("responded", "ticket", "first_responded_at", "responded"),
    "solved": Family("solved", "ticket", "solved_at", "solved"),
    "open": Family("open", "ticket", "created_at", "created", open_only=True),
    "status": Family("status", "status", "occurred_at", "at", dtype=STATUS_CHANGES),
    "tier": Family("tier", "tier", "occurred_at", "at", dtype=TIER_CHANGES),
    "clocks_stopped": Family("clocks_stopped", "clock", "stopped_at", "at", dtype=CLOCKS),
    "clocks_breached": Family("clocks_breached", "clock", "breached_at", "at", dtype=CLOCKS, breached=True),
    "replies": Family("replies", "reply", "created_at", "at", dtype=REPLIES),
    "csat": Family("csat", "survey", "sent_at", "at", dtype=CSAT_SENT),
}


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


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


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


def tier_changes() -> QuerySet[Event]:
    """Every ticket's tier changes, its tier at creation included (the rows of the `tier` family)."""
    return Event.objects.filter(subject_kind=Event.SubjectKind.TICKET, field="tier").order_by()


def staff_public_replies() -> QuerySet[Message]:
    return Message.objects.filter(visibility=Visibility.PUBLIC, author_user__isnull=False).order_by()


def next_response_times(replies: QuerySet[Message]) -> QuerySet[Message]:
    """The replies that answered the requester, each with `v`: the seconds since the requester's first public
    message after the previous public staff reply (the first response is not a next response)."""
    public = Message.objects.filter(ticket=OuterRef("ticket"), visibility=Visibility.PUBLIC).order_by()
    previous_reply = public.filter(author_user__isnull=False, created_at__lt=OuterRef("created_at"))
    waiting_since = public.filter(
        author_contact__isnull=False,
        created_at__gt=OuterRef("previous_reply"),
        created_at__lt=OuterRef("created_at"),
    )
    return (
        replies.annotate(previous_reply=Subquery(previous_reply.order_by("-created_at").values("created_at")[:1]))
        .filter(previous_reply__isnull=False)
        .annotate(waiting_since=Subquery(waiting_since.order_by("created_at").values("created_at")[:1]))
        .annotate(v=EpochSeconds(F("created_at"), F("waiting_since")))
    )


def csat_sent() -> QuerySet[Any]:
    """The CSAT invitations sent, but those asked on a client's behalf (its figures, not ours): the rows of the
    `csat` family. A campaign's client is set when it is made and never changes."""
    invitation = apps.get_model("feedback", "Invitation")
    return invitation.objects.filter(kind="csat", state="sent").exclude(campaign__client__isnull=False).order_by()


def _rows(family: Family) -> QuerySet[Any]:
    if family.kind == "survey":
        return csat_sent()
    if family.kind == "status":
        return status_changes()
    if family.kind == "tier":
        return tier_changes()
    if family.kind == "clock":
        if family.breached:
            return SlaClock.objects.filter(status__in=[ClockStatus.RUNNING, ClockStatus.PAUSED]).order_by()
        return SlaClock.objects.filter(status=ClockStatus.STOPPED).order_by()
    if family.kind == "reply":
        return staff_public_replies()
    tickets = Ticket.objects.filter(merged_into__isnull=True).order_by()
    return tickets.filter(solved_at__isnull=True) if family.open_only else tickets


def day_runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """The days as runs of contiguous days: (first, last) each."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _in_days(family: Family, days: Iterable[date]) -> Q:
    """The rows whose key falls on one of the days, a range a run of days (each read from the index)."""
    key = family.key
    ranges = (
        Q(**{f"{key}__gte": midnight(first), f"{key}__lt": midnight(last) + timedelta(days=1)})
        for first, last in day_runs(days)
    )
    return reduce(or_, ranges, Q(pk__in=[]))


def last_day(end: datetime) -> date:
    """The UTC day of the last moment before `end`."""
    return (end - timedelta(microseconds=1)).astimezone(UTC).date()


DayRange = tuple[date | None, date | None]


def signatures(ranges: dict[str, DayRange]) -> dict[str, dict[date, str]]:
    """For each kind of change, the signature of each UTC day of its range (first, last; None: unbounded) that holds
    any mark, in the order of days: how many marks and the sum of their ids, so that a write committed after a later
    one still changes it. One query over fact_change_day_idx."""
    condition = Q(pk__in=[])
    for kind, (first, last) in ranges.items():
        bounds = Q(kind=kind)
        if first is not None:
            bounds &= Q(day__gte=first)
        if last is not None:
            bounds &= Q(day__lte=last)
        condition |= bounds
    rows = (
        FactChange.objects.filter(condition)
        .values("day", "kind")
        .annotate(n=Count("pk"), ids=Sum("pk"))
        .order_by("day", "kind")
        .values_list("day", "kind", "n", "ids")
    )
    found: dict[str, dict[date, str]] = {kind: {} for kind in ranges}
    for day, kind, n, ids in rows:
        found[kind][day] = f"{LAYOUT}:{n}:{ids}"
    return found


def facts_build(family: Family, days: Iterable[date]) -> dict[date, np.ndarray]:
    """The facts of the family's tickets keyed on the days, computed from the tickets in one query, by day."""
    days = sorted(set(days))
    if not days:
        return {}
    if family.kind != "ticket":
        return _BUILDERS[family.kind](family, days)
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
                -1 if fr_business is None else int(fr_business),
                -1 if res_business is None else int(res_business),
                replies,
                bool(reopened),
                channel_codes.get(channel, -1),
                tier,
                team or 0,
                assignee or 0,
                account or 0,
            )
        )
    return {day: _ordered(np.array(found, dtype=FACTS), family) for day, found in by_day.items()}


def _ordered(facts: np.ndarray, family: Family) -> np.ndarray:
    return facts[np.argsort(facts[family.field], kind="stable")]


def packed(rows: np.ndarray) -> bytes:
    """A structured array's rows as they are stored: the values of each column in turn."""
    return b"".join(np.ascontiguousarray(rows[name]).tobytes() for name in rows.dtype.names or ())


def unpacked(blob: bytes, dtype: np.dtype) -> dict[str, np.ndarray]:
    """The columns of a stored blob (views of it, not copies)."""
    count = len(blob) // dtype.itemsize
    columns: dict[str, np.ndarray] = {}
    offset = 0
    for name in dtype.names or ():
        kind = dtype.fields[name][0]  # type: ignore[index]
        columns[name] = np.frombuffer(blob, dtype=kind, count=count, offset=offset) if count else np.zeros(0, kind)
        offset += count * kind.itemsize
    return columns


def packed_join(blobs: Sequence[bytes], dtype: np.dtype) -> bytes:
    """Stored blobs (days) joined into one (their month), column by column."""
    parts = [unpacked(blob, dtype) for blob in blobs]
    return b"".join(np.concatenate([part[name] for part in parts]).tobytes() for name in dtype.names or ())


class Rows:
    """A family's rows, column by column: a column is joined from the stored blobs when first asked for, then kept;
    a slice or a selection of the rows reads the same columns. A year's scorecard uses some of a family's columns
    (its key, its filters', its figures'): joining whole rows copied twice the bytes."""

    def __init__(self, dtype: np.dtype, length: int, source: Callable[[str], np.ndarray]) -> None:
        self.dtype = dtype
        self._length = length
        self._source = source
        self._columns: dict[str, np.ndarray] = {}

    @classmethod
    def of_blobs(cls, blobs: Sequence[bytes], dtype: np.dtype) -> Rows:
        parts = [unpacked(blob, dtype) for blob in blobs if blob]

        def column(name: str) -> np.ndarray:
            if len(parts) == 1:
                return parts[0][name]
            if not parts:
                return np.zeros(0, dtype.fields[name][0])  # type: ignore[index]
            return np.concatenate([part[name] for part in parts])

        return cls(dtype, sum(len(blob) for blob in blobs) // dtype.itemsize, column)

    @classmethod
    def joined(cls, parts: Sequence[Rows]) -> Rows:
        """The rows of each part in turn (parts of one family)."""
        return cls(
            parts[0].dtype, sum(len(part) for part in parts), lambda name: np.concatenate([p[name] for p in parts])
        )

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, key: str) -> np.ndarray: ...

    @overload
    def __getitem__(self, key: slice | np.ndarray) -> Rows: ...

    def __getitem__(self, key: str | slice | np.ndarray) -> np.ndarray | Rows:
        if isinstance(key, str):
            column = self._columns.get(key)
            if column is None:
                column = self._columns[key] = self._source(key)
            return column
        if isinstance(key, slice):
            length = len(range(*key.indices(self._length)))
        else:
            if key.dtype == bool:
                # The positions once, then a gather a column: a boolean mask is scanned again for each column, and
                # NumPy's boolean indexing costs several times a gather.
                key = np.flatnonzero(key)
            length = len(key)
        return Rows(self.dtype, length, lambda name: self[name][key])

    def array(self) -> np.ndarray:
        """The rows as one structured array (to compare them whole; the figures read columns)."""
        rows = np.empty(self._length, dtype=self.dtype)
        for name in self.dtype.names or ():
            rows[name] = self[name]
        return rows


def _by_day(
    family: Family, days: list[date], rows: Iterable[tuple[datetime, tuple[Any, ...]]]
) -> dict[date, np.ndarray]:
    found: dict[date, list[tuple[Any, ...]]] = {day: [] for day in days}
    for key, row in rows:
        found[key.astimezone(UTC).date()].append(row)
    return {day: _ordered(np.array(day_rows, dtype=family.dtype), family) for day, day_rows in found.items()}


def _status_changes_build(family: Family, days: list[date]) -> dict[date, np.ndarray]:
    rows = _rows(family).filter(_in_days(family, days)).values_list("occurred_at", "subject_id", "new_value")
    solved = Status.SOLVED.value
    return _by_day(family, days, ((at, (ticket, micros(at), new == solved)) for at, ticket, new in rows))


def _tier(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def _tier_changes_build(family: Family, days: list[date]) -> dict[date, np.ndarray]:
    rows = (
        _rows(family)
        .filter(_in_days(family, days))
        .values_list("occurred_at", "subject_id", "action", "old_value", "new_value")
    )
    return _by_day(
        family,
        days,
        (
            (at, (ticket, micros(at), action == "created", action == "escalated", _tier(old), _tier(new)))
            for at, ticket, action, old, new in rows
        ),
    )


def _clocks_build(family: Family, days: list[date]) -> dict[date, np.ndarray]:
    rows = (
        _rows(family)
        .filter(_in_days(family, days))
        .values_list(family.key, "ticket_id", "metric", "breached_at", "elapsed")
    )
    metrics = {metric: code for code, metric in enumerate(METRICS)}
    return _by_day(
        family,
        days,
        (
            (at, (ticket, micros(at), metrics.get(metric, -1), breached is not None, float(elapsed)))
            for at, ticket, metric, breached, elapsed in rows
        ),
    )


def _replies_build(family: Family, days: list[date]) -> dict[date, np.ndarray]:
    replies = _rows(family).filter(_in_days(family, days))
    answered: QuerySet[Any] = next_response_times(replies)
    times = dict(answered.values_list("pk", "v"))
    rows = replies.values_list("pk", "created_at", "ticket_id")
    nan = float("nan")
    return _by_day(
        family,
        days,
        ((at, (ticket, micros(at), nan if times.get(pk) is None else times[pk])) for pk, at, ticket in rows),
    )


def _csat_build(family: Family, days: list[date]) -> dict[date, np.ndarray]:
    rows = (
        _rows(family)
        .filter(_in_days(family, days))
        .values_list("sent_at", "ticket_id", "answer_score", "agent_id", "account_id")
    )
    return _by_day(
        family,
        days,
        (
            (at, (ticket or 0, micros(at), score or 0, agent or 0, account))
            for at, ticket, score, agent, account in rows
        ),
    )


_BUILDERS = {
    "survey": _csat_build,
    "status": _status_changes_build,
    "tier": _tier_changes_build,
    "clock": _clocks_build,
    "reply": _replies_build,
}


Span = tuple[datetime, datetime | None]
# Each process's copy of the stored days and months it has read, by (family, span, day, signature), the least recently
# read dropped first beyond CAREFRONT_FACTS_CACHE_MB. Kept as the bytes read, not pickled as Django's local-memory
# cache would: unpickling copied every blob whole before a read joined the columns it uses (a third of a year's read).
_KEPT: LRUCache[str, bytes] = LRUCache(maxsize=settings.CAREFRONT_FACTS_CACHE_BYTES, getsizeof=len)
_KEPT_LOCK = threading.Lock()  # the web server's threads share a process's copy


def facts_cache_clear() -> None:
    """Forget this process's copy of the stored facts (tests that read storage itself)."""
    with _KEPT_LOCK:
        _KEPT.clear()


DAY: str = TicketFactDay.Span.DAY
MONTH: str = TicketFactDay.Span.MONTH
# A stored day, or a month read whole: (family, DAY or MONTH, the day or the month's first day).
Unit = tuple[str, str, date]


@lru_cache(maxsize=8192)
def month_first(day: date) -> date:
    # Cached: a year's read asks it of each marked day of each family, some 12,000 times.
    return day.replace(day=1)


def month_last(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def month_signature(days: Iterable[tuple[date, str]]) -> str:
    """A month's signature: a digest of the signatures of its days that hold marks, so that any change to one of
    them changes it."""
    joined = "|".join(f"{day.isoformat()}={signature}" for day, signature in days)
    return f"{LAYOUT}:month:{hashlib.blake2b(joined.encode(), digest_size=16).hexdigest()}"


def months_whole(days: Iterable[date], first: date, last: date | None, today: date) -> set[date]:
    """The months (first days) of the days that lie whole in [first, last] and have ended before `today`: a month
    still running changes all day, and would be stored again at each pass of the queue."""
    return {
        month
        for month in {month_first(day) for day in days}
        if month >= first and month_last(month) < today and (last is None or month_last(month) <= last)
    }


def families_facts(spans: dict[str, Span]) -> dict[str, Rows]:
    """The facts of every row of each family whose key is in its [start, end) (no end: from start on): the stored
    months and days whose signature matches, the others built from the rows. A month that has ended is read whole
    while its stored copy matches, else day by day. One query for the signatures, one for the stored months and
    days this process has not kept (two when a month changed since it was stored), and one a family with days to
    build, whatever the period."""
    families = {name: FAMILIES[name] for name in spans}
    days_of = {
        name: (start.astimezone(UTC).date(), last_day(end) if end else None) for name, (start, end) in spans.items()
    }
    # Each kind of change read over the days of the families it signs (the `open` family's reach back to the first).
    ranges: dict[str, DayRange] = {}
    for name, family in families.items():
        first, last = days_of[name]
        kind = CHANGES[family.kind]
        if kind in ranges:
            known_first, known_last = ranges[kind]
            first = min(first, known_first) if known_first is not None else first
            last = None if last is None or known_last is None else max(last, known_last)
        ranges[kind] = (first, last)
    marks = signatures(ranges)
    today = timezone.now().astimezone(UTC).date()
    units: dict[str, list[Unit]] = {}  # each family's, in the order of days
    unit_signature: dict[Unit, str] = {}
    days_of_month: dict[Unit, list[tuple[date, str]]] = {}
    for name, family in families.items():
        first, last = days_of[name]
        days = [
            (day, found)
            for day, found in marks[CHANGES[family.kind]].items()
            if day >= first and (last is None or day <= last)
        ]
        whole = months_whole((day for day, _found in days), first, last, today)
        units[name] = []
        for day, found in days:
            if month_first(day) in whole:
                month: Unit = (name, MONTH, month_first(day))
                if month not in days_of_month:
                    units[name].append(month)
                    days_of_month[month] = []
                days_of_month[month].append((day, found))
            else:
                units[name].append((name, DAY, day))
                unit_signature[name, DAY, day] = found
    unit_signature |= {month: month_signature(days) for month, days in days_of_month.items()}
    facts = _units_read(unit_signature)
    # A month changed since it was stored is read by its days, the unchanged ones stored.
    changed = {month for month in days_of_month if month not in facts}
    if changed:
        by_day: dict[Unit, str] = {
            (month[0], DAY, day): found for month in changed for day, found in days_of_month[month]
        }
        facts |= _units_read(by_day)
        for name in {month[0] for month in changed}:
            units[name] = [
                day_unit
                for unit in units[name]
                for day_unit in (
                    [(name, DAY, day) for day, _found in days_of_month[unit]] if unit in changed else [unit]
                )
            ]
    by_family: dict[str, Rows] = {}
    for name, family in families.items():
        built = facts_build(family, [day for _name, span, day in units[name] if (name, span, day) not in facts])
        blobs = [facts[unit] if unit in facts else packed(built[unit[2]]) for unit in units[name]]
        by_family[name] = between(Rows.of_blobs(blobs, family.dtype), family.field, *spans[name], ordered=True)
    return by_family


def _units_read(wanted: dict[Unit, str]) -> dict[Unit, bytes]:
    """The facts of the units whose stored copy has the signature wanted: this process's copy, else the stored one
    (then kept). Only what was read as stored is kept: a unit built here may hold rows of a transaction still open."""
    cache_keys = {unit: f"{unit[0]}:{unit[1]}:{unit[2].isoformat()}:{found}" for unit, found in wanted.items()}
    with _KEPT_LOCK:
        found_kept = {unit: _KEPT.get(cache_key) for unit, cache_key in cache_keys.items()}
    facts = {unit: blob for unit, blob in found_kept.items() if blob is not None}
    stored = {
        unit: blob
        for unit, (found, blob) in _stored([unit for unit in wanted if unit not in facts]).items()
        if found == wanted[unit]
    }
    with _KEPT_LOCK:
        for unit, blob in stored.items():
            if len(blob) <= _KEPT.maxsize:
                _KEPT[cache_keys[unit]] = blob
    return facts | stored


def _stored(wanted: list[Unit]) -> dict[Unit, tuple[str, bytes]]:
    """The stored units wanted: (signature, facts) by unit, one query (days by runs, months by their first days)."""
    if not wanted:
        return {}
    days: dict[str, list[date]] = {}
    months: dict[str, list[date]] = {}
    for name, span, day in wanted:
        (months if span == MONTH else days).setdefault(name, []).append(day)
    conditions = [
        Q(family=name, span=DAY) & reduce(or_, (Q(day__gte=first, day__lte=last) for first, last in day_runs(found)))
        for name, found in days.items()
    ]
    conditions += [Q(family=name, span=MONTH, day__in=found) for name, found in months.items()]
    stored = TicketFactDay.objects.filter(reduce(or_, conditions)).values_list(
        "family", "span", "day", "signature", "facts"
    )
    return {(name, span, day): (signature, bytes(facts)) for name, span, day, signature, facts in stored}


def family_facts(name: str, start: datetime, end: datetime | None) -> Rows:
    """`families_facts()` of one family."""
    return families_facts({name: (start, end)})[name]


def between(facts: Rows, field: str, start: datetime, end: datetime | None, *, ordered: bool = False) -> Rows:
    """The rows whose time `field` is in [start, end) (no end: from start on); `ordered`: rows in the order of that
    time (a family's rows by its key), whose period is then a slice, not a copy."""
    key = facts[field]
    if ordered:
        # bisect reads a score of rows; np.searchsorted would first copy the strided column whole.
        first = bisect_left(key, micros(start))
        last = len(key) if end is None else bisect_left(key, micros(end))
        return facts[first:last]
    keep = key >= micros(start)
    if end is not None:
        keep &= key < micros(end)
    return facts[keep]


def business_seconds(values: np.ndarray) -> np.ndarray:
    """Business seconds as floats, NaN where there is no stopped clock (-1)."""
    return np.where(values < 0, np.nan, values.astype(np.float64))


class IdSet:
    """Ids to test arrays of ids against: a bitmap while the largest id is small enough (a lookup each), else the
    ids sorted (a binary search each)."""

    BITMAP_LIMIT = 1 << 23  # 8 MB at most

    def __init__(self, *arrays: np.ndarray) -> None:
        ids = np.concatenate([np.asarray(a, dtype=np.int64) for a in arrays]) if arrays else np.zeros(0, np.int64)
        self.bitmap: np.ndarray | None = None
        self.sorted: np.ndarray | None = None
        if not len(ids) or (ids.min() >= 0 and ids.max() < self.BITMAP_LIMIT):
            # One more place, always False, that every id out of range is clipped to (-1 reads it too).
            self.bitmap = np.zeros(int(ids.max()) + 2 if len(ids) else 1, dtype=bool)
            self.bitmap[ids] = True
        else:
            self.sorted = sorted_ids(ids)

    def contains(self, values: np.ndarray) -> np.ndarray:
        if self.bitmap is None:
            assert self.sorted is not None
            return among(values, self.sorted)
        # A clip and a lookup: no mask of the ids in range, no scatter of the found ones.
        return self.bitmap[np.clip(values, -1, len(self.bitmap) - 1)]


def sorted_ids(ids: np.ndarray) -> np.ndarray:
    """The distinct ids, sorted (by sorting: faster than np.unique's hashing for these sizes)."""
    ordered = np.sort(ids)
    if len(ordered) < 2:
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


def among(values: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Which of the values are in `ids` (sorted, distinct): a binary search each."""
    if not len(ids):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(ids, values), len(ids) - 1)
    return ids[at] == values


def scoped(facts: Rows, filters: MetricFilters, accounts: IdSet | None) -> Rows:
    """The facts of the tickets the filters keep (`accounts`: the accounts the account filters keep, None without
    account filters): the same array without a filter."""
    if not ticket_filtered(filters) and accounts is None:
        return facts
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
        keep &= accounts.contains(facts["account"])
    return facts[keep]


def ticket_filtered(filters: MetricFilters) -> bool:
    """Whether a filter on the ticket's own columns (team, agent, channel, tier) applies."""
    return any(getattr(filters, name) is not None for name in TICKET_FILTERS)


def accounts_kept(filters: MetricFilters, account_filter: Q) -> IdSet | None:
    """The accounts the account filters keep (one query), None when there is no account filter."""
    if not account_filter:
        return None
    ids = Account.objects.filter(account_filter).order_by().values_list("pk", flat=True)
    return IdSet(np.fromiter(ids, dtype=np.int64))


def seconds_between(later: np.ndarray, earlier: np.ndarray) -> np.ndarray:
    """Seconds from `earlier` to `later` (microseconds), to the millisecond as the SQL figures round them; NaN where
    either is missing."""
    missing = (later == MISSING) | (earlier == MISSING)
    seconds = np.round((later - earlier) / 1_000_000, 3)
    return np.where(missing, np.nan, seconds)


def percentiles_of(values: np.ndarray, wanted: Sequence[int] = (50, 90)) -> Percentiles | None:
    """The percentiles of the values that are not NaN, interpolated as PostgreSQL's percentile_cont; None without
    any."""
    present = values[~np.isnan(values)]
    if not len(present):
        return None
    found = np.percentile(present, list(wanted), method="linear")
    return Percentiles(values={p: float(v) for p, v in zip(wanted, found.tolist(), strict=True)}, count=len(present))
