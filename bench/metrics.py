"""The scorecards at scale: p50/p95 of the service and relationship scorecards and the trend series (issue 10).

    .venv/bin/python -m bench.metrics                                   # SQLite: 10k, 100k and 1M tickets
    .venv/bin/python -m bench.metrics --sizes 10000 --requests 20       # one size
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cf_bench .venv/bin/python -m bench.metrics

For each size it seeds a fresh database with `bench.seed.seed()` stretched over three years (orders too), then adds
in bulk what the figures read and the seed does not write: the audit trail's tier at creation, status events (every
solve, some reopens and solves again, the closes) and escalations; SLA clocks (first response, next response,
resolution; stopped within or past their target, running, breached); CSAT invitations for solved tickets with a
quarter answered, and NPS answers of clients and customers. Then, in-process, each case is timed `--requests`
times after two warm-ups (p50 and p95 in ms, with its SQL query count):

- `service_*`, `relationship_*`: `service_scorecard()` / `relationship_scorecard()` over the last 30 days and the
  last 12 months, without a filter and with a team or a service model;
- `series_*`: `figure_series()` of every trendable figure, by day over 90 days, by week and by month over 12
  months;
- `api_*`: `GET /api/v1/metrics/service`, `/relationship` and `/figures/{name}/series` through Django's test client
  signed in as `manager1` (the scorecard endpoints compute the previous period too).

- `drill_{figure}_30d`: the first page (50 rows) of each figure's drill-down over the last 30 days, the tickets or
  accounts behind the number (`drill_build()` and `drill_page()`);
- `page_scorecards_30d`: the dashboards' page (`/insights/scorecards/`, both scorecards over the period and the one
  before), as a manager sees it; `page_scorecards_people_30d`: the agents' and advisors' cards htmx loads after it.

On PostgreSQL the seeded database is vacuumed and analysed (`vacuum_seconds`) before anything is measured.

Before measuring, the ticket facts by day and by month (the service scorecard's rollup,
carefront/insights/metrics/facts.py) are stored as the queue's job stores them from nothing: `rollup.rebuild_seconds`
is that full rebuild from the raw rows, `rollup.days` how many (family, day) arrays it stored (the months, joined from
them, are not counted) and `rollup.refresh_seconds` a second pass that finds nothing changed (the five-minute job's
cost). Prints one JSON object per size; `over_target` lists the cases whose p95 is
over 300 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

import bench.seed as seed_module
from bench.seed import Loader, configure, database_drop

TARGET_P95_MS = 300.0
SPAN_DAYS = 3 * 365
SEED = 7


def _stretch_seed() -> None:
    """Three years of tickets rather than the seed's two (its status table ends at its span)."""
    seed_module.SPAN_DAYS = SPAN_DAYS
    *rest, (_limit, weights) = seed_module.STATUS_BY_AGE
    seed_module.STATUS_BY_AGE = [*rest, (SPAN_DAYS + 1, weights)]
    original = seed_module._bulk_models

    def models() -> list[Any]:
        from django.apps import apps

        return [
            *original(),
            apps.get_model("core", "Event"),
            apps.get_model("desk", "SlaClock"),
            apps.get_model("feedback", "Invitation"),
            apps.get_model("feedback", "Response"),
        ]

    seed_module._bulk_models = models


EXTRA_TABLES = ["core_event", "desk_slaclock", "feedback_invitation", "feedback_response"]
EVENT_COLUMNS = [
    "id",
    "subject_kind",
    "subject_id",
    "action",
    "field",
    "old_value",
    "new_value",
    "reason",
    "actor_label",
    "occurred_at",
    "account_id",
]
CLOCK_COLUMNS = [
    "id",
    "ticket_id",
    "metric",
    "priority",
    "calendar_id",
    "status",
    "target_seconds",
    "warn_percent",
    "elapsed",
    "started_at",
    "stopped_at",
    "breached_at",
]
INVITATION_COLUMNS = [
    "id",
    "key",
    "survey_id",
    "kind",
    "reason",
    "account_id",
    "contact_id",
    "ticket_id",
    "agent_id",
    "advisor_id",
    "language",
    "state",
    "skip_reason",
    "error",
    "created_at",
    "sent_at",
    "answered_at",
    "answer_score",
]
RESPONSE_COLUMNS = [
    "id",
    "invitation_id",
    "survey_id",
    "kind",
    "score",
    "comment",
    "answers",
    "account_id",
    "contact_id",
    "ticket_id",
    "agent_id",
    "advisor_id",
    "language",
    "created_at",
    "updated_at",
]
TARGETS = {"urgent": 3600, "high": 4 * 3600, "normal": 8 * 3600, "low": 24 * 3600}
CSAT_SCORES = [(5, 55), (4, 22), (3, 10), (2, 6), (1, 7)]
NPS_SCORES = [(10, 20), (9, 22), (8, 18), (7, 14), (6, 8), (5, 6), (4, 4), (3, 3), (2, 2), (1, 1), (0, 2)]


def _json(value: Any) -> str:
    return json.dumps(value)


def _epoch(value: Any) -> float:
    if isinstance(value, str):  # SQLite: naive UTC text
        return datetime.fromisoformat(value).replace(tzinfo=UTC).timestamp()
    return float(value.timestamp())


def extras_load() -> dict[str, int]:
    """Events, SLA clocks and survey rows for every seeded ticket, written through the seed's bulk loader (without
    the ticket facts' triggers, the days they touch marked afterwards)."""
    with Loader().fact_marks_paused(EXTRA_TABLES):
        return _extras_load()


def _extras_load() -> dict[str, int]:
    from django.db import connection, transaction

    from carefront.desk.models import Calendar
    from carefront.feedback.models import Survey

    rng = Random(SEED)
    loader = Loader()
    ts = loader.timestamp()
    calendar = Calendar.objects.create(name="Bench hours", time_zone="UTC")
    csat = Survey.objects.create(kind="csat", name="CSAT")
    nps = Survey.objects.create(kind="nps", name="NPS")
    csat_scores = [score for score, weight in CSAT_SCORES for _ in range(weight)]
    nps_scores = [score for score, weight in NPS_SCORES for _ in range(weight)]
    indexes = loader.secondary_indexes(EXTRA_TABLES)
    for name, _statement in indexes:
        loader.execute(f'DROP INDEX "{name}"')
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.id, t.status, t.priority, t.tier, t.account_id, t.requester_id, t.assignee_id, t.created_at, "
            "t.first_responded_at, t.solved_at, t.closed_at, a.owner_id, a.service_model "
            "FROM desk_ticket t JOIN accounts_account a ON a.id = t.account_id ORDER BY t.id"
        )
        tickets = cursor.fetchall()
    now = time.time()
    events: list[tuple[Any, ...]] = []
    clocks: list[tuple[Any, ...]] = []
    invitations: list[tuple[Any, ...]] = []
    responses: list[tuple[Any, ...]] = []
    counts = dict.fromkeys(("events", "clocks", "invitations", "responses"), 0)

    def flush() -> None:
        with transaction.atomic():
            loader.insert("core_event", EVENT_COLUMNS, events)
            loader.insert("desk_slaclock", CLOCK_COLUMNS, clocks)
            loader.insert("feedback_invitation", INVITATION_COLUMNS, invitations)
            loader.insert("feedback_response", RESPONSE_COLUMNS, responses)
        for name, rows in (("events", events), ("clocks", clocks), ("invitations", invitations)):
            counts[name] += len(rows)
        counts["responses"] += len(responses)
        for rows in (events, clocks, invitations, responses):
            rows.clear()

    def event(subject: int, account: int, action: str, field: str, old: Any, new: Any, at: float) -> None:
        events.append(
            (
                counts["events"] + len(events) + 1,
                "ticket",
                subject,
                action,
                field,
                _json(old),
                _json(new),
                "",
                "",
                ts(at),
                account,
            )
        )

    for row in tickets:
        ticket_id, _status, priority, tier, account, requester, assignee, created_at = row[:8]
        first_responded_at, solved_at, closed_at, owner, model = row[8:]
        created = _epoch(created_at)
        first_tier = 1 if tier in (2, 3) and rng.random() < 0.3 else tier
        event(ticket_id, account, "created", "tier", None, first_tier, created)
        if first_tier != tier:
            event(ticket_id, account, "escalated", "tier", first_tier, tier, created + rng.random() * 7200)
        target = TARGETS[priority]
        if first_responded_at is not None:
            responded = _epoch(first_responded_at)
            elapsed = int((responded - created) * 0.45)
            breached = ts(created + target * 2.2) if elapsed > target else None
            clocks.append(
                (counts["clocks"] + len(clocks) + 1, ticket_id, "first_response", priority, calendar.pk, "stopped",
                 target, 80, elapsed, ts(created), ts(responded), breached)
            )  # fmt: skip
            if rng.random() < 0.3:
                started = responded + rng.expovariate(1 / 20000) + 60
                stopped = started + rng.expovariate(1 / 14400) + 30
                if stopped < now:
                    elapsed = int((stopped - started) * 0.45)
                    clocks.append(
                        (counts["clocks"] + len(clocks) + 1, ticket_id, "next_response", priority, calendar.pk,
                         "stopped", target, 80, elapsed, ts(started), ts(stopped),
                         ts(started + target * 2.2) if elapsed > target else None)
                    )  # fmt: skip
        resolution_target = target * 6
        if solved_at is not None:
            solved = _epoch(solved_at)
            if rng.random() < 0.07:
                # Solved once, reopened by the requester, solved again.
                first_solve = created + (solved - created) * rng.uniform(0.2, 0.6)
                reopened = first_solve + (solved - first_solve) * rng.uniform(0.1, 0.8)
                event(ticket_id, account, "updated", "status", "open", "solved", first_solve)
                event(ticket_id, account, "reopened", "status", "solved", "open", reopened)
            event(ticket_id, account, "updated", "status", "open", "solved", solved)
            if closed_at is not None:
                event(ticket_id, account, "closed", "status", "solved", "closed", _epoch(closed_at))
            elapsed = int((solved - created) * 0.4)
            clocks.append(
                (counts["clocks"] + len(clocks) + 1, ticket_id, "resolution", priority, calendar.pk, "stopped",
                 resolution_target, 80, elapsed, ts(created), ts(solved),
                 ts(created + resolution_target * 2.2) if elapsed > resolution_target else None)
            )  # fmt: skip
            if rng.random() < 0.6:
                sent = solved + 600
                number = counts["invitations"] + len(invitations) + 1
                answered = sent + rng.expovariate(1 / 7200) if rng.random() < 0.25 else None
                agent = assignee
                score = rng.choice(csat_scores) if answered is not None and answered < now else None
                invitations.append(
                    (number, f"bench:csat:{ticket_id}", csat.pk, "csat", "ticket_solved", account, requester,
                     ticket_id, agent, owner, "en", "sent", "", "", ts(sent), ts(sent),
                     ts(answered) if answered else None, score)
                )  # fmt: skip
                if score is not None and answered is not None:
                    responses.append(
                        (counts["responses"] + len(responses) + 1, number, csat.pk, "csat", score,
                         "", "{}", account, requester, ticket_id, agent, owner, "en", ts(answered), ts(answered))
                    )  # fmt: skip
        else:
            running_for = now - created
            breached = ts(created + resolution_target * 2.2) if running_for * 0.4 > resolution_target else None
            clocks.append(
                (counts["clocks"] + len(clocks) + 1, ticket_id, "resolution", priority, calendar.pk, "running",
                 resolution_target, 80, 0, ts(created), None, breached)
            )  # fmt: skip
        # NPS: one client ticket in eight, one customer ticket in a hundred, leads to an answer within weeks.
        if rng.random() < (0.12 if model == "client" else 0.01):
            at = created + rng.random() * 21 * 86400
            if at < now:
                number = counts["invitations"] + len(invitations) + 1
                score = rng.choice(nps_scores)
                invitations.append(
                    (number, f"bench:nps:{ticket_id}", nps.pk, "nps", "schedule", account, requester, None, None,
                     owner, "en", "sent", "", "", ts(at - 3600), ts(at - 3600), ts(at), score)
                )  # fmt: skip
                responses.append(
                    (counts["responses"] + len(responses) + 1, number, nps.pk, "nps", score, "",
                     "{}", account, requester, None, None, owner, "en", ts(at), ts(at))
                )  # fmt: skip
        if len(events) >= 100_000:
            flush()
    flush()
    loader.create_indexes([statement for _name, statement in indexes])
    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), seed_module._bulk_models()[-4:]):
            cursor.execute(statement)
    loader.execute("ANALYZE" if loader.vendor == "sqlite" else "VACUUM (ANALYZE)")
    return counts


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


MAX_SECONDS = 20.0  # per case: fewer calls (at least three) when a case is slow


def _time(function: Callable[[], Any], requests: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    function()
    with CaptureQueriesContext(connection) as queries:
        function()
    timings: list[float] = []
    began = time.perf_counter()
    while len(timings) < requests and (len(timings) < 3 or time.perf_counter() - began < MAX_SECONDS):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return {
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(_percentile(timings, 0.95), 1),
        "queries": len(queries),
        "calls": len(timings),
    }


def rollup_rebuild() -> dict[str, Any]:
    """Store every day and month of ticket facts from the raw rows (the queue's job, from nothing), then check them
    again."""
    from carefront.insights.models import TicketFactDay
    from carefront.insights.services_facts import fact_days_refresh_all

    TicketFactDay.objects.all().delete()
    started = time.monotonic()
    stored = fact_days_refresh_all()
    rebuilt = time.monotonic() - started
    started = time.monotonic()
    fact_days_refresh_all()
    return {
        "rebuild_seconds": round(rebuilt, 1),
        "days": sum(counts["stored"] for counts in stored.values()),
        "refresh_seconds": round(time.monotonic() - started, 2),
    }


def cases(requests: int, only: str = "") -> dict[str, dict[str, Any]]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from carefront.core.models import Team
    from carefront.insights.metrics.definitions import MetricFilters
    from carefront.insights.metrics.relationship import relationship_scorecard
    from carefront.insights.metrics.series import TRENDABLE, figure_series
    from carefront.insights.metrics.service import service_scorecard

    manager = get_user_model().objects.get(username="manager1")
    team = Team.objects.get(name="Specialists").pk
    end = datetime.now(tz=UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    periods = {"30d": end - timedelta(days=30), "12m": end - timedelta(days=365)}
    todo: dict[str, tuple[Callable[[], Any], dict[str, Any]]] = {}
    for period, start in periods.items():
        for label, extra in (("", {}), ("_team", {"team": team}), ("_client", {"service_model": "client"})):
            filters = MetricFilters(start=start, end=end, **extra)
            todo[f"service_{period}{label}"] = (lambda f=filters: service_scorecard(filters=f), {})
            if label != "_team":
                todo[f"relationship_{period}{label}"] = (
                    lambda f=filters: relationship_scorecard(filters=f, user=manager),
                    {},
                )
    series_periods = {"day": timedelta(days=90), "week": timedelta(days=365), "month": timedelta(days=365)}
    for bucket, length in series_periods.items():
        for name in TRENDABLE:
            filters = MetricFilters(start=end - length, end=end)
            todo[f"series_{name}_{bucket}"] = (
                lambda n=name, f=filters, b=bucket: figure_series(name=n, filters=f, bucket=b),
                {},
            )
    # Each figure's drill-down, the first page of the tickets or accounts behind it over the last 30 days.
    from carefront.insights.metrics.drilldown import DRILLABLE, drill_build, drill_page

    last_30 = MetricFilters(start=periods["30d"], end=end)
    for name in sorted(DRILLABLE):
        todo[f"drill_{name}_30d"] = (
            lambda n=name: drill_page(drill_build(name=n, filters=last_30, user=manager), before=None, size=50),
            {},
        )
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    # As Django's test runner does: keep the one connection across requests, so their queries can be counted.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    client = Client()
    client.force_login(manager)
    day = timedelta(days=1)

    def get(url: str) -> None:
        # The people cards are a fragment htmx loads after the page.
        response = client.get(url, headers={"HX-Request": "true"} if "/people/" in url else {})
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.content[:300]!r}")

    for period, start in periods.items():
        query = f"start={start.date()}&end={(end - day).date()}&time_zone=UTC"
        urls = {
            f"api_service_{period}": f"/api/v1/metrics/service?{query}",
            f"api_service_{period}_team": f"/api/v1/metrics/service?{query}&team={team}",
            f"api_relationship_{period}": f"/api/v1/metrics/relationship?{query}",
        }
        for name in ("ticket_volume", "backlog", "csat", "sla_achievement"):
            bucket = "day" if period == "30d" else "week"
            urls[f"api_series_{name}_{period}_{bucket}"] = (
                f"/api/v1/metrics/figures/{name}/series?{query}&bucket={bucket}"
            )
        if period == "30d":
            page_query = f"period=custom&start={start.date()}&end={(end - day).date()}"
            urls["page_scorecards_30d"] = f"/insights/scorecards/?{page_query}"
            urls["page_scorecards_people_30d"] = f"/insights/scorecards/people/?{page_query}"
        for name, url in urls.items():
            todo[name] = (lambda u=url: get(u), {"url": url})
    prefixes = [text.strip() for text in only.split(",") if text.strip()]
    return {
        name: {**extra, **_time(function, requests)}
        for name, (function, extra) in todo.items()
        if not prefixes or any(name.startswith(prefix) for prefix in prefixes)
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="ticket counts, comma-separated")
    parser.add_argument("--requests", type=int, default=20, help="timed calls per case (after two warm-ups)")
    parser.add_argument("--orders", type=float, default=3.0, help="orders per account on average")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("CAREFRONT_DATA_DIR", ".bench-data/metrics")),
        help="data dir for the SQLite file (default: $CAREFRONT_DATA_DIR or .bench-data/metrics)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the last database")
    parser.add_argument("--no-seed", action="store_true", help="measure the existing database as it is")
    parser.add_argument("--cases", default="", help="only the cases whose names start so (comma-separated)")
    parser.add_argument("--seed-only", action="store_true", help="seed and keep the database, measure nothing")
    args = parser.parse_args(argv)
    args.data_dir = args.data_dir.resolve()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    configure(data_dir=args.data_dir, database_url=os.environ.get("DATABASE_URL"))
    _stretch_seed()
    from django.conf import settings
    from django.db import connection

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    database = "sqlite" if connection.vendor == "sqlite" else "postgresql"
    for size in [int(text) for text in args.sizes.split(",") if text.strip()]:
        result: dict[str, Any] = {"benchmark": "metrics", "database": database, "tickets": size}
        if not args.no_seed:
            seeded = seed_module.seed(tickets=size, orders=args.orders)
            started = time.monotonic()
            result["rows"] = {**{k: seeded[k] for k in ("messages", "accounts", "orders")}, **extras_load()}
            result["seed_seconds"] = round(seeded["seconds"] + time.monotonic() - started, 1)
            if database == "postgresql":
                # As a database in use would be: the bulk load's statistics and visibility map in place, so that
                # autovacuum does not run during the cases and index-only scans need not visit the tables.
                started = time.monotonic()
                with connection.cursor() as cursor:
                    cursor.execute("VACUUM ANALYZE")
                result["vacuum_seconds"] = round(time.monotonic() - started, 1)
        if args.seed_only:
            print(json.dumps(result), flush=True)
            return
        # A fresh database's marks have the ids the last size's had, so their signatures match the arrays this
        # process kept of that database: forget them (a web process serves one database).
        from carefront.insights.metrics.facts import facts_cache_clear

        facts_cache_clear()
        result["rollup"] = rollup_rebuild()
        load_before = os.getloadavg()[0]
        measured = cases(args.requests, args.cases)
        result.update(
            requests=args.requests,
            target_p95_ms=TARGET_P95_MS,
            over_target=[name for name, value in measured.items() if value["p95_ms"] > TARGET_P95_MS],
            cases=measured,
            load_average=[round(load_before, 2), round(os.getloadavg()[0], 2)],
        )
        print(json.dumps(result), flush=True)
    if not args.keep:
        database_drop()


if __name__ == "__main__":
    main()
