"""Storing ticket facts by day and by month (insights/metrics/facts.py): the queue's side of the cache the scorecards
read."""

from __future__ import annotations

from datetime import date

from django.db.models import Exists, OuterRef
from django.utils import timezone

from carefront.insights.metrics.facts import (
    CHANGES,
    DAY,
    FAMILIES,
    MONTH,
    facts_build,
    month_first,
    month_last,
    month_signature,
    months_whole,
    packed,
    packed_join,
    signatures,
)
from carefront.insights.models import FactChange, TicketFactDay

BATCH_DAYS = 31
UNIQUE = ["family", "span", "day"]
UPDATED = ["signature", "facts", "built_at"]


def fact_changes_compact() -> int:
    """Keep the last mark of each (kind, day): a day's signature then stays a few rows to read, and a day written
    since it was stored still differs from its stored signature. Returns how many marks were dropped."""
    later = FactChange.objects.filter(kind=OuterRef("kind"), day=OuterRef("day"), pk__gt=OuterRef("pk"))
    dropped, _by_model = FactChange.objects.filter(Exists(later)).delete()
    return dropped


def fact_days_refresh(*, family: str, since: date | None = None) -> dict[str, int]:
    """Store the days of a family (from the month of `since` on, or all) whose stored facts no longer match their
    rows' marks, an empty array for a day left without rows, and drop stored days without any mark; then the months
    that have ended, each its days joined. Returns how many days were stored and dropped, and how many months
    stored."""
    since = month_first(since) if since is not None else None
    chosen = FAMILIES[family]
    kind = CHANGES[chosen.kind]
    current = signatures({kind: (since, None)})[kind]
    stored_days = TicketFactDay.objects.filter(family=family, span=DAY)
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
            TicketFactDay(family=family, day=day, signature=current[day], facts=packed(built[day]), built_at=now)
            for day in batch
        ]
        TicketFactDay.objects.bulk_create(rows, update_conflicts=True, unique_fields=UNIQUE, update_fields=UPDATED)
        written += len(rows)
    if gone:
        TicketFactDay.objects.filter(family=family, span=DAY, day__in=gone).delete()
    return {"stored": written, "dropped": len(gone), "months": _months_refresh(family, since, current)}


def _months_refresh(family: str, since: date | None, current: dict[date, str]) -> int:
    """Store each month that has ended whose stored copy no longer matches its days' marks: its stored days joined,
    when each matches its marks (else it waits for the next pass). Drops the months left without marks."""
    today = timezone.now().date()
    by_month: dict[date, list[tuple[date, str]]] = {}
    for day, signature in current.items():
        by_month.setdefault(month_first(day), []).append((day, signature))
    whole = months_whole(current, since or date.min, None, today)
    wanted = {month: month_signature(sorted(by_month[month])) for month in whole}
    stored_months = TicketFactDay.objects.filter(family=family, span=MONTH)
    if since is not None:
        stored_months = stored_months.filter(day__gte=since)
    stored = dict(stored_months.values_list("day", "signature"))
    gone = [month for month in stored if month not in wanted]
    if gone:
        TicketFactDay.objects.filter(family=family, span=MONTH, day__in=gone).delete()
    written = 0
    for month in sorted(month for month, signature in wanted.items() if stored.get(month) != signature):
        days = TicketFactDay.objects.filter(
            family=family, span=DAY, day__gte=month, day__lte=month_last(month)
        ).order_by("day")
        found = [
            (day, signature, bytes(facts)) for day, signature, facts in days.values_list("day", "signature", "facts")
        ]
        if [(day, signature) for day, signature, _facts in found] != sorted(by_month[month]):
            continue  # a day changed meanwhile: the month waits for the next pass
        TicketFactDay.objects.bulk_create(
            [
                TicketFactDay(
                    family=family,
                    span=MONTH,
                    day=month,
                    signature=wanted[month],
                    facts=packed_join([facts for _day, _signature, facts in found], FAMILIES[family].dtype),
                    built_at=timezone.now(),
                )
            ],
            update_conflicts=True,
            unique_fields=UNIQUE,
            update_fields=UPDATED,
        )
        written += 1
    return written


def fact_days_refresh_all(*, since: date | None = None) -> dict[str, dict[str, int]]:
    """The marks compacted, then `fact_days_refresh()` for every family."""
    fact_changes_compact()
    return {name: fact_days_refresh(family=name, since=since) for name in FAMILIES}
