"""Background jobs of the insights: the nightly full refresh, the incremental one, and their batches."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from huey import crontab
from huey.api import Result
from huey.contrib.djhuey import db_periodic_task, db_task

from carefront.insights.services import (
    account_id_batches,
    changed_account_ids,
    insight_settings,
    insights_fit,
    insights_refresh_done,
    insights_score,
)
from carefront.insights.services_facts import fact_days_refresh_all
from carefront.insights.services_goals import goals_measure
from carefront.insights.services_goals_digest import goals_digest_queue, goals_digest_send

CHANGED_BATCH = 2000


@db_task(retries=2, retry_delay=60)
def fit_insights(*, now: str) -> dict[str, Any]:
    fits = insights_fit(now=datetime.fromisoformat(now))
    return {
        "currency": fits.currency,
        "problems": {kind: problem for kind, problem in fits.problems.items() if problem},
    }


@db_task(retries=2, retry_delay=60)
def score_insights(*, now: str, low: int | None = None, high: int | None = None, ids: list[int] | None = None) -> int:
    """Score one batch: a range of account ids, or a list of them."""
    id_range = (low, high) if low is not None and high is not None else None
    return insights_score(account_ids=ids, id_range=id_range, now=datetime.fromisoformat(now)).accounts


def refresh_enqueue(*, now: datetime, full: bool, started: datetime | None = None) -> list[Result]:
    """Queue a refresh's scoring batches (after fitting, for a full one) and return their results to wait on.

    The refresh is noted as done from its start (`started`, by default `now`, the moment scored as of): an
    incremental refresh later looks for changes since then, so a change made while the batches run is
    scored again rather than missed.
    """
    stamp = now.isoformat()
    if full:
        results = [score_insights(now=stamp, low=low, high=high) for low, high in account_id_batches()]
    else:
        since = insight_settings().last_refresh_at
        ids = changed_account_ids(since=since) if since else []
        results = [
            score_insights(now=stamp, ids=ids[start : start + CHANGED_BATCH])
            for start in range(0, len(ids), CHANGED_BATCH)
        ]
    insights_refresh_done(full=full, now=started or now)
    return results


def refresh_start(*, full: bool) -> int:
    """Fit (for a full refresh) and queue the scoring batches; the number of batches."""
    now = timezone.now()
    if full:
        insights_fit(now=now)
    return len(refresh_enqueue(now=now, full=full))


@db_task(retries=1, retry_delay=60)
def refresh_insights(*, full: bool) -> int:
    return refresh_start(full=full)


@db_periodic_task(crontab(minute="40", hour="2"))
def refresh_insights_nightly() -> int:
    """Refit the models and rescore every account: recency moves on every day even when nothing else does."""
    return refresh_start(full=True)


@db_periodic_task(crontab(minute="*/15"))
def refresh_changed_insights() -> int:
    """Rescore the accounts whose orders, tickets or record changed since the last refresh."""
    if insight_settings().last_full_refresh_at is None:
        return 0
    return refresh_start(full=False)


@db_periodic_task(crontab(minute="*/5"))
def store_ticket_facts() -> dict[str, dict[str, int]]:
    """Store every day of ticket facts whose rows changed since it was stored (today's tickets, an old one reopened,
    reassigned, merged...), so that a scorecard finds its days ready; the marks say which, in a few queries."""
    return fact_days_refresh_all()


@db_periodic_task(crontab(minute="20", hour="3"))
def measure_goals_daily() -> int:
    """Measure every active team goal up to yesterday (a second run the same day replaces the day's check)."""
    return goals_measure()


@db_periodic_task(
    crontab(
        minute="0",
        hour=str(settings.CAREFRONT_GOALS_DIGEST_HOUR),
        day_of_week=str(settings.CAREFRONT_GOALS_DIGEST_WEEKDAY % 7),
    )
)
def goals_digest_weekly() -> int:
    """Queue the week's goals digest to each person concerned; once a week whatever the runs."""
    return goals_digest_queue()


@db_task(retries=3, retry_delay=300)
def send_goals_digest(*, recipient_id: int, goal_ids: list[int], week: str) -> bool:
    return goals_digest_send(recipient_id=recipient_id, goal_ids=goal_ids, week=date.fromisoformat(week))
