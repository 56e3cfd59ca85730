"""SLA clocks at scale: the periodic check and the set-based recomputation over every open ticket.

    .venv/bin/python -m bench.sla [--sizes 10000,100000,1000000] [--data-dir .bench-data/sla] [--keep]

For each size: seed the benchmark dataset with bench/seed.py's `seed()`, make every ticket open, lay out
the demo's two business calendars (London and Paris, with their public holidays) and two policies
(clients and customers, four priorities each), and give every ticket its first-response and resolution clocks as
`ticket_create` would. Then time, through the same functions the jobs call:

- `recompute_seconds`: `sla_clocks_recompute()` after every target of both policies was tightened by a
  tenth, what the queue runs after such an edit (every running clock gets its new target, due and
  warning positions and due time);
- `calendar_recompute_seconds`: `sla_clocks_recompute(calendar_id=…)` for the bigger calendar, what a
  change of hours or days off runs (due times only);
- `check_seconds`: `sla_clocks_check()` at a moment when many clocks pass their due or warning
  positions at once (the periodic job, marking them), and `check_idle_seconds` for the next run, which
  finds nothing new (the every-minute steady state);
- `routing_ms_p50/p95/max`: what routing adds to creating a ticket with 50 active rules and team strategies
  (`route_new`, timed alone over 1,000 real requesters), and `create_ms_p95_with/without_routing`, whole
  `ticket_create` calls for 300 tickets each way, alternately.

Prints one JSON object per size. SQLite in the data dir by default; PostgreSQL when DATABASE_URL names it.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.seed import configure, database_drop, seed

BATCH = 20_000


def _tighter(minutes: int | None) -> int | None:
    return None if minutes is None else max(1, minutes * 9 // 10)


def bench_size(*, size: int, args: argparse.Namespace, database: str) -> dict[str, Any]:
    from django.db import connection, transaction

    from carefront.core.demo import demo_sla_configure
    from carefront.desk.business_time import epoch
    from carefront.desk.models import Calendar, ClockStatus, SlaClock, SlaMetric, SlaPolicy, SlaTarget, Ticket
    from carefront.desk.sla_services import (
        TargetMinutes,
        business_line,
        sla_clocks_check,
        sla_clocks_recompute,
        sla_policy_update,
    )

    seeded = seed(tickets=size)
    started = time.monotonic()
    now = datetime.now(tz=UTC)
    demo_sla_configure(now=now)
    calendars = {calendar.name: calendar for calendar in Calendar.objects.all()}
    policies = {policy.service_model: policy for policy in SlaPolicy.objects.select_related("calendar")}
    Ticket.objects.update(status="open", solved_at=None, closed_at=None)
    minutes = {(t.policy_id, t.priority): t for t in SlaTarget.objects.filter(policy__in=list(policies.values()))}
    clocks = 0
    rows = Ticket.objects.order_by().values_list("id", "created_at", "priority", "account__service_model")
    batch: list[SlaClock] = []
    for ticket_id, created_at, priority, service_model in rows.iterator(chunk_size=BATCH):
        policy: SlaPolicy = policies[service_model]
        line = business_line(policy.calendar)
        base = line.position(epoch(created_at))
        target = minutes[(policy.pk, priority)]
        for metric in (SlaMetric.FIRST_RESPONSE, SlaMetric.RESOLUTION):
            seconds = (target.minutes(metric) or 0) * 60
            due = line.instant(base + seconds)
            batch.append(
                SlaClock(
                    ticket_id=ticket_id,
                    metric=metric,
                    priority=priority,
                    policy=policy,
                    calendar=policy.calendar,
                    status=ClockStatus.RUNNING,
                    target_seconds=seconds,
                    warn_percent=policy.warn_percent,
                    base=base,
                    due_position=base + seconds,
                    warn_position=base + seconds * policy.warn_percent // 100,
                    due_at=datetime.fromtimestamp(due, tz=UTC) if due is not None else None,
                    started_at=created_at,
                )
            )
        if len(batch) >= BATCH:
            with transaction.atomic():
                SlaClock.objects.bulk_create(batch)
            clocks += len(batch)
            batch = []
    if batch:
        SlaClock.objects.bulk_create(batch)
        clocks += len(batch)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) desk_slaclock")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    prepared = time.monotonic()

    # An admin tightens every target of both policies by a tenth: the worst edit, every clock changes.
    for policy in policies.values():
        sla_policy_update(
            actor=None,
            policy=policy,
            targets={
                t.priority: TargetMinutes(
                    first_response=_tighter(t.first_response_minutes),
                    next_response=_tighter(t.next_response_minutes),
                    resolution=_tighter(t.resolution_minutes),
                )
                for t in policy.targets.all()
            },
        )
    began = time.monotonic()
    with transaction.atomic():
        rescheduled = sla_clocks_recompute()
    recompute_seconds = time.monotonic() - began

    busiest = max(calendars.values(), key=lambda c: SlaClock.objects.filter(calendar=c).count())
    began = time.monotonic()
    with transaction.atomic():
        calendar_rescheduled = sla_clocks_recompute(calendar_id=busiest.pk)
    calendar_seconds = time.monotonic() - began

    # The seeded tickets were created over two years, so at `now` most clocks are past due: the first check
    # marks them all, the heaviest run the job can meet. The one after it is the steady state.
    began = time.monotonic()
    found = sla_clocks_check(now=now)
    check_seconds = time.monotonic() - began
    began = time.monotonic()
    idle = sla_clocks_check(now=now + timedelta(minutes=1))
    idle_seconds = time.monotonic() - began

    routing = _bench_routing()

    result: dict[str, Any] = {
        "benchmark": "sla",
        "database": database,
        "tickets": size,
        "open_tickets": Ticket.objects.filter(status="open").count(),
        "clocks": clocks,
        "recompute_seconds": round(recompute_seconds, 2),
        "recompute_clocks": rescheduled,
        "calendar_recompute_seconds": round(calendar_seconds, 2),
        "calendar_recompute_clocks": calendar_rescheduled,
        "check_seconds": round(check_seconds, 2),
        "check_marked": {"breached": len(found.breached), "warned": len(found.warned)},
        "check_idle_seconds": round(idle_seconds, 3),
        "check_idle_marked": {"breached": len(idle.breached), "warned": len(idle.warned)},
        "prepare_seconds": round(prepared - started, 1),
        **routing,
    }
    result["seed_seconds"] = seeded["seconds"]
    connection.close()
    return result


ROUTING_RULES = 50
ROUTING_SAMPLES = 1000
CREATE_SAMPLES = 300


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def _bench_routing() -> dict[str, Any]:
    """What routing adds to creating a ticket, with 50 active rules (words, tags, channels, languages, service
    models, tiers; a few match) and team strategies: `route_new`, the step `ticket_create` runs, timed alone on
    real requesters, then whole ticket creations with and without routing."""
    from django.db import transaction

    from carefront.accounts.models import Contact
    from carefront.core.models import Team
    from carefront.desk.models import RoutingRule, Ticket
    from carefront.desk.routing_services import route_new, routing_rule_create, team_assignment_set
    from carefront.desk.services import ticket_create

    teams = list(Team.objects.order_by("pk"))
    for team, strategy in zip(teams, ["round_robin", "least_open", "skill_language", "round_robin"], strict=False):
        team_assignment_set(actor=None, team=team, strategy=strategy)
    channels = ["email", "chat", "phone", "portal", "social", "api"]
    RoutingRule.objects.all().delete()
    for index in range(ROUTING_RULES):
        conditions: dict[str, Any] = {
            "channel": [channels[index % len(channels)]],
            "words": [f"product{index}", f"error code {index}", "refund" if index % 10 == 0 else f"rare{index}"],
        }
        if index % 3 == 0:
            conditions["service_model"] = ["client" if index % 2 else "customer"]
        if index % 4 == 0:
            conditions["language"] = ["fr", "de"]
        if index % 5 == 0:
            conditions["tags_none"] = ["spam"]
        actions: dict[str, Any] = {"tags_add": [f"rule{index}"]}
        if index % 7 == 0:
            actions["team"] = teams[index % len(teams)].pk
        routing_rule_create(actor=None, name=f"Bench rule {index}", conditions=conditions, actions=actions)

    requesters = list(Contact.objects.select_related("account").order_by("?")[:ROUTING_SAMPLES])
    subjects = ["Refund for order 1234", "Login error code 7", "Where is my parcel?", "Invoice question"]
    timings = []
    for index, requester in enumerate(requesters):
        began = time.perf_counter()
        with transaction.atomic():
            route_new(
                account=requester.account,
                language=requester.language,
                channel=channels[index % len(channels)],
                priority="normal",
                tier=1,
                tags=[],
                team_id=None,
                assignee_id=None,
                text=f"{subjects[index % len(subjects)]}\nPlease help with product{index % 60}, thanks.",
            )
        timings.append((time.perf_counter() - began) * 1000)

    # Alternately without and with routing, so that both see the same database as it grows.
    unrouted: list[float] = []
    routed: list[float] = []
    for index, requester in enumerate(requesters[: CREATE_SAMPLES * 2]):
        began = time.perf_counter()
        ticket_create(
            actor=None,
            requester=requester,
            subject=subjects[index % len(subjects)],
            body=f"Please help with product{index % 60}.",
            channel=channels[index % len(channels)],
            route=index % 2 == 1,
        )
        (routed if index % 2 else unrouted).append((time.perf_counter() - began) * 1000)

    routed_tickets = Ticket.objects.filter(routing__isnull=False).count()
    return {
        "routing_rules": ROUTING_RULES,
        "routing_ms_p50": round(_percentile(timings, 0.5), 2),
        "routing_ms_p95": round(_percentile(timings, 0.95), 2),
        "routing_ms_max": round(max(timings), 2),
        "create_ms_p50_without_routing": round(_percentile(unrouted, 0.5), 2),
        "create_ms_p50_with_routing": round(_percentile(routed, 0.5), 2),
        "create_ms_p95_without_routing": round(_percentile(unrouted, 0.95), 2),
        "create_ms_p95_with_routing": round(_percentile(routed, 0.95), 2),
        "routed_tickets": routed_tickets,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated ticket counts")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("CAREFRONT_DATA_DIR", ".bench-data/sla")),
        help="data dir of the benchmark database (default: $CAREFRONT_DATA_DIR or .bench-data/sla)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the last database instead of deleting it")
    args = parser.parse_args(argv)
    args.data_dir = args.data_dir.resolve()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    configure(data_dir=args.data_dir, database_url=os.environ.get("DATABASE_URL"))
    from django.db import connection

    database = "sqlite" if connection.vendor == "sqlite" else "postgresql"
    for size in [int(size) for size in args.sizes.split(",") if size.strip()]:
        print(json.dumps(bench_size(size=size, args=args, database=database)), flush=True)
    if not args.keep:
        database_drop()


if __name__ == "__main__":
    main()
