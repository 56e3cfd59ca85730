"""Trend series: a figure by day, week or month over a period, for the dashboards' charts.

Each point is the scorecard's figure over its bucket's period (the same formula, the same filters), computed for every
bucket at once: the rows of the whole period are grouped by their bucket in the database, so a series costs the same
few queries whatever the number of buckets (one to three per figure). Buckets are days, weeks (Monday to Sunday) or
calendar months in the time zone of the period's start (the workspace's, or the `time_zone` the API was given),
clipped to the period: the first and the last may be partial.

A row's bucket is computed in SQL from its UTC time plus the zone's offset at that time: the offsets and the moments
they change (daylight saving) over the period are worked out here with `zoneinfo` and written as a CASE, so SQLite,
which has no time zones, and PostgreSQL group alike.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, DateField, F, IntegerField, Q, Sum, Value, When
from django.db.models.expressions import Func

from carefront.accounts.models import Order
from carefront.desk.models import ClockStatus, SlaClock
from carefront.insights.metrics.definitions import DEFINITIONS, MetricFilters, percent
from carefront.insights.metrics.providers import SurveyCounts, survey_counts_by
from carefront.insights.metrics.relationship import accounts_in_scope, main_currency
from carefront.insights.metrics.service import _in, backlog_q, sla_decided_q, ticket_scope_q, tickets_in_scope
from carefront.insights.metrics.sql import EpochSeconds, percentiles_by

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


def _ticket_volume(grid: _Grid, filters: MetricFilters) -> list[SeriesPoint]:
    rows = list(
        tickets_in_scope(filters)
        .filter(_in("created_at", filters))
        .values_list(grid.of("created_at"))
        .annotate(n=Count("pk"))
        .order_by()
    )
    return grid.points([(float(n), n) for (n,) in grid.sums(rows, 1)])


def _tickets_solved(grid: _Grid, filters: MetricFilters) -> list[SeriesPoint]:
    rows = list(
        tickets_in_scope(filters)
        .filter(_in("solved_at", filters))
        .values_list(grid.of("solved_at"))
        .annotate(n=Count("pk"))
        .order_by()
    )
    return grid.points([(float(n), n) for (n,) in grid.sums(rows, 1)])


def _resolution_rate(grid: _Grid, filters: MetricFilters) -> list[SeriesPoint]:
    """Created in the bucket and solved before the bucket's end: grouped by the buckets of creation and of the solve
    (a solve at or after the period's end counts as none)."""
    solved_bucket = Case(When(solved_at__lt=filters.end, then=grid.of("solved_at")), default=Value(None))
    rows = list(
        tickets_in_scope(filters)
        .filter(_in("created_at", filters))
        .values_list(grid.of("created_at"), solved_bucket)
        .annotate(n=Count("pk"))
        .order_by()
    )
    created = [0] * len(grid.buckets)
    solved = [0] * len(grid.buckets)
    for created_key, solved_key, n in rows:
        position = grid.position(created_key)
        if position is None:
            continue
        created[position] += n
        solved_position = grid.position(solved_key)
        # Bucket ends are local midnights (the last is the period's end, which the CASE already applied).
        if solved_position is not None and solved_position <= position:
            solved[position] += n
    return grid.points([(percent(s, c), c) for s, c in zip(solved, created, strict=True)])


def _backlog_series(grid: _Grid, filters: MetricFilters) -> list[SeriesPoint]:
    """The backlog at each bucket's end b: created before b and not solved before b. Two grouped queries, over the
    tickets unsolved at the period's end (by the bucket of creation, those created before the period in one group)
    and the tickets solved in the period (by the buckets of creation and of the solve): a ticket of the second kind
    is in the backlog at every bucket end after its creation up to and including its solve's bucket start."""
    scope = tickets_in_scope(filters)
    size = len(grid.buckets)
    created_bucket = Case(When(created_at__lt=filters.start, then=Value(None)), default=grid.of("created_at"))
    # adds[i]: tickets counted from bucket end i on; removes[i]: no longer counted from bucket end i on.
    adds = [0] * (size + 1)
    removes = [0] * (size + 1)
    for key, n in scope.filter(backlog_q(filters)).values_list(created_bucket).annotate(n=Count("pk")).order_by():
        # Created before the period: in the backlog at every bucket end; else from its own bucket's end on.
        adds[0 if key is None else (grid.position(key) or 0)] += n
    solved_rows = (
        scope.filter(_in("solved_at", filters))
        .values_list(created_bucket, grid.of("solved_at"))
        .annotate(n=Count("pk"))
        .order_by()
    )
    for created_key, solved_key, n in solved_rows:
        first = 0 if created_key is None else grid.position(created_key)
        last = grid.position(solved_key)
        if first is None or last is None:
            continue
        # Unsolved at the ends of buckets first … last − 1 (solved within bucket `last`, before its end).
        if first < last:
            adds[first] += n
            removes[last] += n
    values = []
    running = 0
    for position in range(size):
        running += adds[position] - removes[position]
        values.append((float(running), running))
    return grid.points(values)


def _sla_achievement(grid: _Grid, filters: MetricFilters) -> list[SeriesPoint]:
    decided_at = Case(When(status=ClockStatus.STOPPED, then=grid.of("stopped_at")), default=grid.of("breached_at"))
    stopped = Q(status=ClockStatus.STOPPED) & _in("stopped_at", filters)
    rows = list(
        SlaClock.objects.filter(sla_decided_q(filters), ticket_scope_q(filters, "ticket__"))
        .values_list(decided_at)
        .annotate(decided=Count("pk"), achieved=Count("pk", filter=stopped & Q(breached_at__isnull=True)))
        .order_by()
    )
    return grid.points([(percent(achieved, decided), decided) for decided, achieved in grid.sums(rows, 2)])


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
    responded = tickets_in_scope(filters).filter(_in("first_responded_at", filters))
    found = percentiles_by(
        responded.annotate(v=EpochSeconds(F("first_responded_at"), F("created_at")), k=grid.of("first_responded_at")),
        wanted=(50,),
    )
    values: list[tuple[float | None, int]] = [(None, 0)] * len(grid.buckets)
    for key, result in found.items():
        position = grid.position(key)
        if position is not None:
            values[position] = (round(result.values[50], 3), result.count)
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
