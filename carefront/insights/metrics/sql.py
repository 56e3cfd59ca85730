"""The SQL pieces the figures share: a duration in seconds, and percentiles computed in the database.

Percentiles follow PostgreSQL's `percentile_cont` (linear interpolation between the two nearest ranks) but are
written with window functions that SQLite (3.25+) has too: the database numbers each measure's values in order and
returns only the (at most) two rows around each wanted rank of each key (the trend series' buckets), so a median
over a million tickets moves four rows per bucket to Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import FloatField, Func, QuerySet


class EpochSeconds(Func):
    """Seconds from `start` to `end` (two datetimes), as a float."""

    output_field = FloatField()
    arity = 2

    def __init__(self, end: Any, start: Any) -> None:
        super().__init__(end, start)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Stored as ISO text in UTC: julianday() reads it, to the millisecond.
        return self.as_sql(
            compiler,
            connection,
            template="ROUND((julianday(%(expressions)s)) * 86400.0, 3)",
            arg_joiner=") - julianday(",
            **extra,
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM (%(expressions)s))::double precision",
            arg_joiner=" - ",
            **extra,
        )


@dataclass(frozen=True)
class Percentiles:
    """The wanted percentiles of one measure, and how many values they were taken over."""

    values: dict[int, float]
    count: int


def _rank_row(percentile: int) -> str:
    # 1-based rank of the value at or below the percentile's position; integer arithmetic in both databases.
    return f"(n - 1) * {percentile} / 100 + 1"


def _interpolate(ranked: dict[int, float], size: int, wanted: Sequence[int]) -> dict[int, float]:
    """percentile_cont from the values at the ranks around each wanted percentile."""
    values = {}
    for p in wanted:
        low = (size - 1) * p // 100 + 1
        fraction = (size - 1) * p / 100 + 1 - low
        below = ranked[low]
        above = ranked.get(low + 1, below)
        values[p] = below + fraction * (above - below)
    return values


def percentiles_by(queryset: QuerySet[Any], wanted: Sequence[int] = (50, 90)) -> dict[Any, Percentiles]:
    """The percentiles of `v` for each value of `k` (a queryset with both columns), in one window query; a key
    without any value is absent. Interpolated as PostgreSQL's percentile_cont."""
    wanted = [int(p) for p in wanted]
    sql, params = queryset.order_by().values("k", "v").query.sql_with_params()
    ranks = " OR ".join(f"rn = {_rank_row(p)} OR rn = {_rank_row(p)} + 1" for p in wanted)
    query = (
        "SELECT k, v, rn, n FROM ("  # noqa: S608
        "SELECT k, v, ROW_NUMBER() OVER (PARTITION BY k ORDER BY v) AS rn, COUNT(*) OVER (PARTITION BY k) AS n "
        f"FROM ({sql}) q WHERE q.v IS NOT NULL) r WHERE {ranks}"
    )
    rows: dict[Any, dict[int, float]] = {}
    sizes: dict[Any, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        for key, value, rank, size in cursor.fetchall():
            rows.setdefault(key, {})[int(rank)] = float(value)
            sizes[key] = int(size)
    return {key: Percentiles(values=_interpolate(rows[key], sizes[key], wanted), count=sizes[key]) for key in rows}
