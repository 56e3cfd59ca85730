"""Storing ticket facts by day (insights/metrics/facts.py): the queue's side of the cache the scorecards read."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.utils import timezone

from carefront.insights.metrics.facts import FAMILIES, facts_build, midnight, signatures
from carefront.insights.models import TicketFactDay

BATCH_DAYS = 31


def fact_days_refresh(*, family: str, since: date | None = None) -> dict[str, int]:
    """Store the days of a family (from `since` on, or all) whose stored facts no longer match their tickets, and
    drop the stored days that have no tickets left. Returns how many days were stored and dropped."""
    chosen = FAMILIES[family]
    start = midnight(since) if since is not None else datetime(1970, 1, 1, tzinfo=UTC)
    current = signatures(chosen, start, None)
    stored = {
        row["day"]: row["signature"]
        for row in TicketFactDay.objects.filter(family=family, day__gte=start.date()).values("day", "signature")
    }
    stale = [day for day, signature in current.items() if stored.get(day) != signature]
    gone = [day for day in stored if day not in current]
    now = timezone.now()
    written = 0
    for batch_start in range(0, len(stale), BATCH_DAYS):
        batch = stale[batch_start : batch_start + BATCH_DAYS]
        built = facts_build(chosen, batch)
        rows = [
            TicketFactDay(family=family, day=day, signature=current[day], facts=built[day].tobytes(), built_at=now)
            for day in batch
        ]
        TicketFactDay.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["family", "day"],
            update_fields=["signature", "facts", "built_at"],
        )
        written += len(rows)
    if gone:
        TicketFactDay.objects.filter(family=family, day__in=gone).delete()
    return {"stored": written, "dropped": len(gone)}


def fact_days_refresh_all(*, since: date | None = None) -> dict[str, dict[str, int]]:
    """`fact_days_refresh()` for every family."""
    return {name: fact_days_refresh(family=name, since=since) for name in FAMILIES}
