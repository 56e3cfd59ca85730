"""Storing ticket facts by day (insights/metrics/facts.py): the queue's side of the cache the scorecards read."""

from __future__ import annotations

from datetime import date

from django.db.models import Exists, OuterRef
from django.utils import timezone

from carefront.insights.metrics.facts import CHANGES, FAMILIES, facts_build, signatures
from carefront.insights.models import FactChange, TicketFactDay

BATCH_DAYS = 31


def fact_changes_compact() -> int:
    """Keep the last mark of each (kind, day): a day's signature then stays a few rows to read, and a day written
    since it was stored still differs from its stored signature. Returns how many marks were dropped."""
    later = FactChange.objects.filter(kind=OuterRef("kind"), day=OuterRef("day"), pk__gt=OuterRef("pk"))
    dropped, _by_model = FactChange.objects.filter(Exists(later)).delete()
    return dropped


def fact_days_refresh(*, family: str, since: date | None = None) -> dict[str, int]:
    """Store the days of a family (from `since` on, or all) whose stored facts no longer match their rows' marks,
    an empty array for a day left without rows, and drop stored days without any mark. Returns how many days were
    stored and dropped."""
    chosen = FAMILIES[family]
    kind = CHANGES[chosen.kind]
    current = signatures({kind: (since, None)})[kind]
    stored_days = TicketFactDay.objects.filter(family=family)
    if since is not None:
        stored_days = stored_days.filter(day__gte=since)
    stored = dict(stored_days.values_list("day", "signature"))
    stale = sorted(day for day, signature in current.items() if stored.get(day) != signature)
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
    """The marks compacted, then `fact_days_refresh()` for every family."""
    fact_changes_compact()
    return {name: fact_days_refresh(family=name, since=since) for name in FAMILIES}
