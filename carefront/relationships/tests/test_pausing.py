"""Property tests of the pause arithmetic: a paused interval never counts, and due dates never move backwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from carefront.relationships.pausing import Span, due_extend, spans_merge, spans_total

START = datetime(2026, 1, 1, tzinfo=UTC)
HORIZON_MINUTES = 60 * 24 * 120

minutes = st.integers(min_value=0, max_value=HORIZON_MINUTES)


@st.composite
def spans(draw: st.DrawFn) -> list[Span]:
    """Waits that begin after the work was promised (a dependency comes after what it blocks); some still open."""
    result: list[Span] = []
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        begin = START + timedelta(minutes=draw(minutes))
        length = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=60 * 24 * 20)))
        result.append((begin, None if length is None else begin + timedelta(minutes=length)))
    return result


def _active(start: datetime, end: datetime, waits: list[Span], now: datetime) -> timedelta:
    """Time from `start` to `end` that no wait covers: what the work's clock counted."""
    covered = timedelta()
    for begin, finish in spans_merge(waits, now=now):
        overlap = min(finish, end) - max(begin, start)
        covered += max(overlap, timedelta())
    return (end - start) - covered


@given(budget=minutes, waits=spans(), now_offset=minutes)
def test_a_paused_interval_never_counts(budget: int, waits: list[Span], now_offset: int) -> None:
    """The clock runs out exactly at the extended due date: no waited minute before it was counted."""
    now = START + timedelta(minutes=now_offset + HORIZON_MINUTES)
    promised = START + timedelta(minutes=budget)
    due = due_extend(promised=promised, spans=waits, now=now)
    assert _active(START, due, waits, now) == promised - START


@given(budget=minutes, waits=spans(), extra=spans(), now_offset=minutes, later=minutes)
def test_due_dates_never_move_backwards(
    budget: int, waits: list[Span], extra: list[Span], now_offset: int, later: int
) -> None:
    """More waits, an open wait growing with time, or an open wait closing later: the due date only moves on."""
    now = START + timedelta(minutes=now_offset)
    promised = START + timedelta(minutes=budget)
    due = due_extend(promised=promised, spans=waits, now=now)
    assert due >= promised
    assert due_extend(promised=promised, spans=waits + extra, now=now) >= due
    afterwards = now + timedelta(minutes=later)
    assert due_extend(promised=promised, spans=waits, now=afterwards) >= due
    closed = [(begin, end if end is not None else max(begin, afterwards)) for begin, end in waits]
    assert due_extend(promised=promised, spans=closed, now=afterwards) >= due


@given(waits=spans(), now_offset=minutes)
def test_overlapping_waits_count_once(waits: list[Span], now_offset: int) -> None:
    now = START + timedelta(minutes=now_offset + HORIZON_MINUTES)
    merged = spans_merge(waits, now=now)
    assert all(a_end < b_start for (_a, a_end), (b_start, _b) in pairwise(merged))
    assert spans_total(waits + waits, now=now) == spans_total(waits, now=now)
    naive = sum(((end or now) - begin for begin, end in waits), timedelta())
    assert spans_total(waits, now=now) <= naive
