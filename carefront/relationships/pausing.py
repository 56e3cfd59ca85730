"""The arithmetic of waiting on the client: how waits merge, how long they last, and how far they push a due date.

Pure functions of instants, so the rules can be checked by property tests:

- waits that overlap (two dependencies blocking the same work at once) count once: they are merged first;
- a wait that begins before the work is due pauses its clock for the whole wait, so the due date moves on by
  the wait's length (and may then reach later waits, which count in turn);
- a wait that begins once the work is already due changes nothing: the time allowed had run out;
- an open wait counts up to `now`; as waits only begin and grow, the due date never moves backwards.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

Span = tuple[datetime, datetime | None]


def spans_merge(spans: Iterable[Span], *, now: datetime) -> list[tuple[datetime, datetime]]:
    """Closed, disjoint spans in order: an open span ends at `now` (or at its start, if that is later)."""
    closed = sorted((start, max(start, end if end is not None else now)) for start, end in spans)
    merged: list[tuple[datetime, datetime]] = []
    for start, end in closed:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def spans_total(spans: Iterable[Span], *, now: datetime) -> timedelta:
    """How long the spans cover, overlaps counted once."""
    return sum((end - start for start, end in spans_merge(spans, now=now)), timedelta())


def due_extend(*, promised: datetime, spans: Iterable[Span], now: datetime) -> datetime:
    """The due date `promised` pushed on by every wait that began before the work was due."""
    due = promised
    for start, end in spans_merge(spans, now=now):
        if start >= due:
            break
        due += end - start
    return due


def waiting_now(spans: Iterable[Span]) -> bool:
    return any(end is None for _start, end in spans)
