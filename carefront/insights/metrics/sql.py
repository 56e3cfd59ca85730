"""The pieces the figures share: a duration in seconds in SQL, and the percentiles of a measure (taken with NumPy
over the ticket facts, facts.py: `percentiles_of`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import FloatField, Func


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
