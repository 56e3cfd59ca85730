"""Trend series: a figure by day, week or month over a period, for the dashboards' charts.

Each point is the scorecard's figure over its bucket's period (the same formula, the same filters), computed for every
bucket at once, so a series costs the same few queries whatever the number of buckets. Buckets are days, weeks (Monday
to Sunday) or calendar months in the time zone of the period's start (the workspace's, or the `time_zone` the API was
given), clipped to the period: the first and the last may be partial.

The ticket figures read the period's ticket facts (facts.py, as the service scorecard does: only the families each
needs), whose rows are in the order of their time: a bucket's rows are a slice found by a binary search at its
edges. The survey and revenue figures group their rows by bucket in the database: a row's bucket is computed in SQL
from its UTC time plus the zone's offset at that time; the offsets and the moments they change (daylight saving) over
the period are worked out here with `zoneinfo` and written as a CASE, so SQLite, which has no time zones, and
PostgreSQL group alike.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

import numpy as np
from django.db.models import Case, Count, DateField, F, IntegerField, Q, Sum, Value, When
from django.db.models.expressions import Func

from carefront.accounts.models import Order
from carefront.insights.metrics.definitions import DEFINITIONS, MetricFilters, percent
from carefront.insights.metrics.facts import MISSING, micros, percentiles_of, seconds_between
from carefront.insights.metrics.providers import SurveyCounts, survey_counts_by
from carefront.insights.metrics.relationship import accounts_in_scope, main_currency
from carefront.insights.metrics.service import TicketFacts, _in, ticket_facts

BUCKETS = ("day", "week", "month")


@dataclass(frozen=True)
class SeriesPoint:
    """One bucket of a series: its first day, the figure's value over it (None: nothing to measure) and the rows
    the value rests on (the figure's `count`)."""

    start: date
    value: float | None
    count: int


@dataclass(frozen=True)
class Bucket:
    """A bucket's period: its first day in the zone, and the instants it runs from and to (clipped to the period)."""

    day: date
    start: datetime
    end: datetime


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def _bucket_day(day: date, bucket: str) -> date:
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def _next_bucket_day(day: date, bucket: str) -> date:
    if bucket == "week":
        return day + timedelta(days=7)
    if bucket == "month":
        return (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return day + timedelta(days=1)


def series_buckets(filters: MetricFilters, bucket: str) -> list[Bucket]:
    """The buckets of the period in the zone of its start, clipped to it; each starts at a local midnight but the
    first (the period's start) and each ends at the next one but the last (the period's end)."""
    if bucket not in BUCKETS:
        raise ValueError(f"Unknown bucket {bucket}")
    zone = filters.start.tzinfo
    assert zone is not None
    found: list[Bucket] = []
    day = _bucket_day(filters.start.astimezone(zone).date(), bucket)
    start = filters.start
    while start < filters.end:
        following = _next_bucket_day(day, bucket)
        end = min(_midnight(following, zone), filters.end)
        found.append(Bucket(day=max(day, filters.start.astimezone(zone).date()), start=start, end=end))
        day, start = following, end
    return found


def _offset(moment: datetime, zone: tzinfo) -> int:
    offset = moment.astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def zone_shifts(start: datetime, end: datetime, zone: tzinfo) -> tuple[int, list[tuple[datetime, int]]]:
    """The zone's UTC offset (seconds) at `start`, and each later change before `end`: (instant, new offset)."""
    first = _offset(start, zone)
    shifts: list[tuple[datetime, int]] = []
    current, moment = first, start
    step = timedelta(hours=12)  # no zone changes its offset twice within 12 hours
    while moment < end:
        following = min(moment + step, end)
        if _offset(following, zone) != current:
            low, high = moment, following  # the change is in (low, high]: halve to the second
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if _offset(middle, zone) == current:
                    low = middle
                else:
                    high = middle
            current = _offset(high, zone)
            shifts.append((high.replace(microsecond=0), current))
        moment = following
    return first, shifts


class BucketOf(Func):
    """The first day of a datetime column's bucket in the zone: the column plus the zone's offset at that time,
    as a date, then truncated to its week (Monday) or month. A date on PostgreSQL, 'YYYY-MM-DD' text on SQLite."""

    output_field: Any = DateField()

    def __init__(self, column: str, *, offset: Any, bucket: str) -> None:
        super().__init__(F(column), offset)
        self.bucket = bucket

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        (column, column_params), (offset, offset_params) = (compiler.compile(e) for e in self.source_expressions)
        # Whole seconds added by a modifier: SQLite adds them to its integer milliseconds, exactly.
        local = f"date({column}, ({offset}) || ' seconds')"
        if self.bucket == "week":
            local = f"date({local}, 'weekday 0', '-6 days')"
        elif self.bucket == "month":
            local = f"date({local}, 'start of month')"
        return local, [*column_params, *offset_params]

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        (column, column_params), (offset, offset_params) = (compiler.compile(e) for e in self.source_expressions)
        local = f"((({column}) AT TIME ZONE 'UTC') + ({offset}) * INTERVAL '1 second')"
        if self.bucket == "week":
            local = f"date_trunc('week', {local})"
        elif self.bucket == "month":
            local = f"date_trunc('month', {local})"
        return f"({local})::date", [*column_params, *offset_params]


def bucket_expression(filters: MetricFilters, bucket: str) -> Callable[[str], Any]:
    """A function from a datetime column's name (with its lookups path) to the SQL expression of its bucket."""
    zone = filters.start.tzinfo
    assert zone is not None
    first, shifts = zone_shifts(filters.start - timedelta(days=1), filters.end + timedelta(days=1), zone)

    def of(column: str) -> Any:
        if not shifts:
            offset: Any = Value(first)
        else:
            whens = []
            previous = first
            for moment, after in shifts:
                whens.append(When(Q(**{f"{column}__lt": moment}), then=Value(previous)))
                previous = after
            offset = Case(*whens, default=Value(previous), output_field=IntegerField())
        return BucketOf(column, offset=offset, bucket=bucket)

    return of


def _day(value: Any) -> date:
    return value if isinstance(value, date) and not isinstance(value, datetime) else date.fromisoformat(str(value)[:10])


class _Grid:
    """The buckets and the index of the bucket a grouped row's key (its first day) falls in."""

    def __init__(self, filters: MetricFilters, bucket: str) -> None:
        self.buckets = series_buckets(filters, bucket)
        self.bucket = bucket
        self.index = {_bucket_day(item.day, bucket): position for position, item in enumerate(self.buckets)}
        self.of = bucket_expression(filters, bucket)

    def position(self, key: Any) -> int | None:
        return self.index.get(_day(key)) if key is not None else None

    def sums(self, rows: Sequence[tuple[Any, ...]], width: int) -> list[list[int]]:
        """Rows of (key, n1, …, n_width) added up per bucket (rows outside the period are ignored)."""
        totals = [[0] * width for _ in self.buckets]
        for key, *numbers in rows:
            position = self.position(key)
            if position is not None:
                totals[position] = [a + (b or 0) for a, b in zip(totals[position], numbers, strict=True)]
        return totals

    def points(self, values: Sequence[tuple[float | None, int]]) -> list[SeriesPoint]:
        return [
            SeriesPoint(start=item.day, value=value, count=count)
            for item, (value, count) in zip(self.buckets, values, strict=True)
        ]


def _facts(filters: MetricFilters, *families: str) -> TicketFacts:
    """The period's facts of the families a series reads (service.py: the scorecard's, narrowed alike)."""
    return ticket_facts([filters], families)[0]


def _edges(grid: _Grid) -> np.ndarray:
    """The buckets' starts and the last one's end, in microseconds."""
    return np.array([micros(item.start) for item in grid.buckets] + [micros(grid.buckets[-1].end)], dtype=np.int64)


def _counts_by_bucket(edges: np.ndarray, times: np.ndarray) -> np.ndarray:
    """How many of the times (sorted) fall in each bucket between the edges."""
    return np.diff(np.searchsorted(times, edges, side="left"))


def _ticket_volume(grid: _Grid, filters: MetricFilters) -> list[SeriesPoint]:
    counts = _counts_by_bucket(_edges(grid), _facts(filters, "created").created["created"]).tolist()
    return grid.points([(float(n), n) for n in counts])


def _tickets_solved(grid: _Grid, filters: MetricFilters) -> list[SeriesPoint]:
    counts = _counts_by_bucket(_edges(grid), _facts(filters, "solved").solved["solved"]).tolist()
    return grid.points([(float(n), n) for n in counts])


def _resolution_rate(grid: _Grid, filters: MetricFilters) -> list[SeriesPoint]:
    """Created in the bucket and solved before the bucket's end."""
    created = _facts(filters, "created").created
    edges = _edges(grid)
    counts = _counts_by_bucket(edges, created["created"])
    bucket_of = np.repeat(np.arange(len(counts)), counts)
    solved = created["solved"]
    in_time = (solved != MISSING) & (solved < edges[1:][bucket_of])
    solved_n = np.bincount(bucket_of[in_time], minlength=len(counts)).tolist()
    return grid.points([(percent(s, c), c) for s, c in zip(solved_n, counts.tolist(), strict=True)])


def _backlog_series(grid: _Grid, filters: MetricFilters) -> list[SeriesPoint]:
    """The backlog at each bucket's end b: created before b and not solved before b. A ticket unsolved at the period's
    end is in it at every bucket end after its creation; one solved in the period at those after its creation up to
    the start of its solve's bucket."""
    facts = _facts(filters, "open", "solved")
    ends = _edges(grid)[1:]
    size = len(ends)
    # The first bucket end a ticket counts at (the first after its creation), and the first it no longer does.
    counted_from = np.searchsorted(ends, facts.backlog["created"], side="right")
    solved_from = np.searchsorted(ends, facts.solved["created"], side="right")
    solved_until = np.searchsorted(ends, facts.solved["solved"], side="right")
    some = solved_from < solved_until
    steps = (
        np.bincount(counted_from, minlength=size + 1)
        + np.bincount(solved_from[some], minlength=size + 1)
        - np.bincount(solved_until[some], minlength=size + 1)
    )
    running = np.cumsum(steps)[:size].tolist()
    return grid.points([(float(n), n) for n in running])


def _sla_achievement(grid: _Grid, filters: MetricFilters) -> list[SeriesPoint]:
    facts = _facts(filters, "clocks_stopped", "clocks_breached")
    edges = _edges(grid)
    stopped = np.searchsorted(facts.clocks_stopped["at"], edges, side="left")
    within = np.concatenate(([0], np.cumsum(~facts.clocks_stopped["breached"])))
    achieved = np.diff(within[stopped]).tolist()
    decided = (np.diff(stopped) + _counts_by_bucket(edges, facts.clocks_breached["at"])).tolist()
    return grid.points([(percent(ok, n), n) for ok, n in zip(achieved, decided, strict=True)])


def _surveys(grid: _Grid, filters: MetricFilters, figure: Callable[[SurveyCounts], tuple[float | None, int]]) -> Any:
    counts = survey_counts_by(filters, grid.of)
    if counts is None:
        return grid.points([(None, 0)] * len(grid.buckets))
    by_position: dict[int, SurveyCounts] = {}
    for key, value in counts.items():
        position = grid.position(key)
        if position is not None:
            by_position[position] = value
    return grid.points([figure(by_position.get(position, SurveyCounts())) for position in range(len(grid.buckets))])


def _csat(counts: SurveyCounts) -> tuple[float | None, int]:
    return percent(counts.csat_satisfied, counts.csat_answers), counts.csat_answers


def _csat_response_rate(counts: SurveyCounts) -> tuple[float | None, int]:
    return percent(counts.csat_answers, counts.csat_invitations), counts.csat_invitations


def _nps(counts: SurveyCounts) -> tuple[float | None, int]:
    if not counts.nps_answers:
        return None, 0
    return 100 * (counts.nps_promoters - counts.nps_detractors) / counts.nps_answers, counts.nps_answers


def _revenue(grid: _Grid, filters: MetricFilters) -> list[SeriesPoint]:
    rows = list(
        Order.objects.filter(
            _in("placed_at", filters), account__in=accounts_in_scope(filters).values("pk"), currency=main_currency()
        )
        .values_list(grid.of("placed_at"))
        .annotate(amount=Sum("amount"), n=Count("pk"))
        .order_by()
    )
    totals: list[tuple[Decimal, int]] = [(Decimal(0), 0) for _ in grid.buckets]
    for key, amount, n in rows:
        position = grid.position(key)
        if position is not None:
            total, count = totals[position]
            totals[position] = (total + (amount or Decimal(0)), count + n)
    return grid.points([(float(total.quantize(Decimal("0.01"))), count) for total, count in totals])


def _first_response_median(grid: _Grid, filters: MetricFilters) -> list[SeriesPoint]:
    responded = _facts(filters, "responded").responded
    bounds = np.searchsorted(responded["responded"], _edges(grid), side="left").tolist()
    values: list[tuple[float | None, int]] = []
    for first, last in itertools.pairwise(bounds):
        rows = responded[first:last]
        found = percentiles_of(seconds_between(rows["responded"], rows["created"]), (50,))
        values.append((round(found.values[50], 3), found.count) if found is not None else (None, 0))
    return grid.points(values)


SERIES: dict[str, Callable[[_Grid, MetricFilters], list[SeriesPoint]]] = {
    "ticket_volume": _ticket_volume,
    "tickets_solved": _tickets_solved,
    "backlog": _backlog_series,
    "resolution_rate": _resolution_rate,
    "sla_achievement": _sla_achievement,
    "csat": lambda grid, filters: _surveys(grid, filters, _csat),
    "csat_response_rate": lambda grid, filters: _surveys(grid, filters, _csat_response_rate),
    "nps": lambda grid, filters: _surveys(grid, filters, _nps),
    "revenue": _revenue,
    "first_response_time_calendar_median": _first_response_median,
}
# The figures a series exists for, in the order of docs/metrics.md.
TRENDABLE: tuple[str, ...] = tuple(name for name in DEFINITIONS if name in SERIES)


def figure_series(*, name: str, filters: MetricFilters, bucket: str) -> list[SeriesPoint]:
    """The figure `name` over each bucket ("day", "week" or "month") of the filters' period; KeyError for a figure
    that has no series (`TRENDABLE` lists those that do)."""
    if name not in SERIES:
        raise KeyError(name)
    return SERIES[name](_Grid(filters, bucket), filters)


def series_key(value: Any) -> Hashable:
    """A bucket key as the database returns it, as a date (for providers that group by `bucket_of`)."""
    return _day(value)
