"""Client relationships at scale: the account timeline, the advisor portfolio and the morning recommendations job.

    .venv/bin/python -m bench.relationships [--only timeline] [--items 100000] [--requests 60] [--data-dir DIR]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cf_bench .venv/bin/python -m bench.relationships

A fresh database (the SQLite file in the data dir, or the PostgreSQL database DATABASE_URL names, dropped and
created again) is seeded with bench/seed.py's `seed()` as background (`--background` tickets of other accounts),
then each section chosen with `--only` adds what it measures and prints one JSON object. Sections are functions
in `SECTIONS`: add one as `def bench_<name>(args) -> dict` and list it there.

`timeline`: one client account with `--items` timeline entries spread over every kind (tickets, messages and
internal notes, ticket changes, account changes, orders, interactions, check-ins held and missed, commitments,
dependencies, engagements; times over three years, some at the same instant), written with bulk_create. Then,
in-process through Django's test client signed in as a manager (who sees every kind), each URL is requested
`--requests` times after a warm-up, and its server time's p50/p95 (ms) and SQL query count are reported, with
the process's CPU time per request (`cpu_p50_ms`, `cpu_p95_ms`: the database runs in-process for SQLite, so on
a machine shared with other work this says what the request itself costs, where the wall time also counts
waiting for a CPU):

- `page_first`: the account page (`/accounts/{id}/`) with the newest timeline entries;
- `page_deep`: the same page at a cursor in the middle of the history (`?before=`);
- `fragment_first`: the timeline alone, as htmx asks for it when a kind chip is ticked (none ticked here);
- `fragment_deep`: the htmx "Show older" fragment at that cursor (the timeline alone);
- `page_filtered`: the page with two kinds chosen (`?kind=commitment&kind=dependency`);
- `api_first`, `api_deep`: `GET /api/v1/accounts/{id}/timeline`, first page and at the middle cursor.

`portfolio`: a new advisor with `--clients-per-advisor` clients (each with five commitments, some late, a late or
coming dependency, check-ins held and coming, interactions, three tickets and a health score); then the
portfolio page (`page_first`), its second page (`page_second`, keyset) and `GET /api/v1/relationships/portfolio`
(`api_first`), signed in as the advisor, measured as above.

The target for the timeline and the portfolio: every one under 100 ms at the 95th percentile, on SQLite and
PostgreSQL.

`recommendations`: `--clients` client accounts over `--advisors` new advisors, all two months old without a
contact logged (so every one is recommended for contact), a fifth with spend down this quarter, one in twenty
owing a late customer list and with a ticket opened today; then the morning job for all of them, timed twice
(`first` opens every recommendation; `again` finds them open and opens none), with its SQL query count. Target:
the first run under 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from random import Random
from typing import Any

from bench.seed import configure, database_drop, seed

TARGET_P95_MS = 100
JOB_TARGET_SECONDS = 60
BATCH = 5_000
# How the timeline's entries are shared out between the kinds (they add up to 1).
SHARES = {
    "ticket": 0.04,
    "message": 0.24,
    "ticket_change": 0.20,
    "change": 0.13,
    "order": 0.10,
    "interaction": 0.08,
    "check_in": 0.08,
    "commitment": 0.08,
    "dependency": 0.04,
    "engagement": 0.01,
}
SPAN = timedelta(days=3 * 365)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


class Clock:
    """Random moments over the last three years, one in ten repeating the one before (ties between kinds)."""

    def __init__(self, rng: Random, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.last = now - SPAN / 2

    def __call__(self) -> datetime:
        if self.rng.random() >= 0.1:
            self.last = (self.now - SPAN + self.rng.random() * SPAN).replace(microsecond=0)
        return self.last


def _timeline_account(*, items: int, rng: Random) -> dict[str, Any]:
    """One client account of advisor1 with `items` timeline entries, written in bulk; what was written."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from carefront.accounts.models import Account, Contact, Order
    from carefront.core.models import Event
    from carefront.desk.models import Message, Ticket
    from carefront.relationships.models import (
        Cadence,
        CheckIn,
        Commitment,
        Dependency,
        Engagement,
        Interaction,
    )

    now = datetime.now(tz=UTC)
    when = Clock(rng, now)
    users = get_user_model().objects
    advisor = users.get(username="advisor1")
    agents = list(users.filter(username__startswith="agent")[:8])
    counts = {kind: int(items * share) for kind, share in SHARES.items()}
    counts["message"] += items - sum(counts.values())
    with transaction.atomic():
        account = Account.objects.create(
            name="Bench Timeline Ltd", kind="organisation", service_model="client", owner=advisor, time_zone="UTC"
        )
        contacts = Contact.objects.bulk_create(
            Contact(account=account, name=f"Person {index}", email=f"person{index}@timeline.bench")
            for index in range(20)
        )
        first_number = 900_000_000
        tickets = Ticket.objects.bulk_create(
            (
                Ticket(
                    number=first_number + index,
                    subject=f"Question {index} about the X200",
                    status=rng.choice(["open", "pending", "solved", "closed"]),
                    account=account,
                    requester=rng.choice(contacts),
                    created_at=(moment := when()),
                    updated_at=moment,
                )
                for index in range(counts["ticket"])
            ),
            batch_size=BATCH,
        )
        Message.objects.bulk_create(
            (
                Message(
                    ticket=(ticket := rng.choice(tickets)),
                    account=account,
                    visibility="internal" if index % 5 == 4 else "public",
                    author_user=rng.choice(agents) if index % 2 else None,
                    author_contact=None if index % 2 else ticket.requester,
                    body_text=f"Message {index}: the parcel, the invoice, the login; thank you.",
                    created_at=when(),
                )
                for index in range(counts["message"])
            ),
            batch_size=BATCH,
        )
        # Each ticket's creation is on the timeline as the ticket: its "created" event is stored but not shown.
        Event.objects.bulk_create(
            (
                Event(
                    subject_kind="ticket",
                    subject_id=ticket.pk,
                    account=account,
                    action="created",
                    occurred_at=ticket.created_at,
                )
                for ticket in tickets
            ),
            batch_size=BATCH,
        )
        Event.objects.bulk_create(
            (
                Event(
                    subject_kind="ticket",
                    subject_id=rng.choice(tickets).pk,
                    account=account,
                    action="updated",
                    field="status",
                    old_value="open",
                    new_value="pending",
                    actor=rng.choice(agents),
                    actor_label="agent",
                    occurred_at=when(),
                )
                for _ in range(counts["ticket_change"])
            ),
            batch_size=BATCH,
        )
        Event.objects.bulk_create(
            (
                Event(
                    subject_kind="account",
                    subject_id=account.pk,
                    action="updated",
                    field="segment",
                    old_value=f"s{index}",
                    new_value=f"s{index + 1}",
                    actor=advisor,
                    actor_label="advisor1",
                    occurred_at=when(),
                )
                for index in range(counts["change"])
            ),
            batch_size=BATCH,
        )
        Order.objects.bulk_create(
            (
                Order(
                    account=account,
                    external_id=f"timeline-{index}",
                    placed_at=when(),
                    amount=f"{19 + index % 400}.00",
                    currency="EUR",
                )
                for index in range(counts["order"])
            ),
            batch_size=BATCH,
        )
        cadence = Cadence.objects.create(
            account=account,
            name="Monthly call",
            duration_minutes=30,
            rule="FREQ=MONTHLY",
            starts_on=(now - SPAN).date(),
            time_of_day=dtime(14),
            owner=advisor,
        )
        check_ins = CheckIn.objects.bulk_create(
            (
                CheckIn(
                    cadence=cadence,
                    account=account,
                    owner=advisor,
                    occurs_at=(moment := now - SPAN + timedelta(minutes=index)),
                    scheduled_at=when(),
                    duration_minutes=30,
                    state="held" if index % 2 else "missed",
                )
                for index in range(counts["check_in"])
            ),
            batch_size=BATCH,
        )
        held = iter([check_in for check_in in check_ins if check_in.state == "held"])
        Interaction.objects.bulk_create(
            (
                Interaction(
                    account=account,
                    kind="video",
                    occurred_at=when(),
                    author=advisor,
                    check_in=next(held, None) if index % 2 else None,
                    notes=f"Call {index}: reviewed the quarter.",
                )
                for index in range(counts["interaction"])
            ),
            batch_size=BATCH,
        )
        engagements = Engagement.objects.bulk_create(
            (
                Engagement(
                    account=account,
                    kind="survey",
                    title=f"Survey {index}",
                    owner=advisor,
                    status="done",
                    starts_at=(moment := when()),
                    due_at=moment + timedelta(days=60),
                    created_at=moment,
                )
                for index in range(max(1, counts["engagement"]))
            ),
            batch_size=BATCH,
        )
        commitments = Commitment.objects.bulk_create(
            (
                Commitment(
                    account=account,
                    title=f"Promise {index}",
                    owner=advisor,
                    state="done",
                    promised_due_at=(moment := when()) + timedelta(days=14),
                    due_at=moment + timedelta(days=14),
                    engagement=rng.choice(engagements) if index % 3 == 0 else None,
                    created_at=moment,
                )
                for index in range(counts["commitment"])
            ),
            batch_size=BATCH,
        )
        Dependency.objects.bulk_create(
            (
                Dependency(
                    account=account,
                    what=f"Customer list {index}",
                    contact=rng.choice(contacts),
                    due_at=(moment := when()) + timedelta(days=10),
                    state="received",
                    blocks_commitment=rng.choice(commitments),
                    created_at=moment,
                )
                for index in range(counts["dependency"])
            ),
            batch_size=BATCH,
        )
    _analyze()
    return {"account_id": account.pk, "counts": counts, "middle": now - SPAN / 2}


def _analyze() -> None:
    """Fresh statistics for the planners, as after any bulk load; on PostgreSQL a VACUUM too, as bench/seed.py
    does: it sets the visibility map, without which the planner does not trust an index-only scan."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.vendor == "sqlite" else "VACUUM (ANALYZE)")


def _measure(client: Any, url: str, *, requests: int, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """p50/p95 (ms) of `requests` requests after three warm-ups, and the SQL queries of one."""
    from django.db import connection

    for _ in range(3):
        client.get(url, headers=headers or {})
    queries: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries.append(sql)
        return execute(sql, params, many, context)

    # A wrapper rather than CaptureQueriesContext: the client's request_finished may reconnect, which empties
    # the connection's query log.
    with connection.execute_wrapper(count):
        response = client.get(url, headers=headers or {})
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}")
    timings: list[float] = []
    cpu: list[float] = []
    for _ in range(requests):
        started, cpu_started = time.perf_counter(), time.process_time()
        client.get(url, headers=headers or {})
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    return {
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(_percentile(timings, 0.95), 1),
        "cpu_p50_ms": round(statistics.median(cpu), 1),
        "cpu_p95_ms": round(_percentile(cpu, 0.95), 1),
        "queries": len(queries),
        "bytes": len(response.content),
    }


def bench_timeline(args: argparse.Namespace) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from carefront.accounts.selectors_timeline import TimelineCursor

    started = time.monotonic()
    made = _timeline_account(items=args.items, rng=Random(args.seed))
    load_seconds = round(time.monotonic() - started, 1)
    account_id = made["account_id"]
    client = Client()
    client.force_login(get_user_model().objects.get(username="manager1"))
    middle = TimelineCursor(at=made["middle"], rank=99, id=2**62).encode()
    page = f"/accounts/{account_id}/"
    api = f"/api/v1/accounts/{account_id}/timeline"
    urls: dict[str, tuple[str, dict[str, str] | None]] = {
        "page_first": (page, None),
        "page_deep": (f"{page}?before={middle}", None),
        "fragment_first": (page, {"HX-Request": "true", "HX-Target": "timeline"}),
        "fragment_deep": (f"{page}?before={middle}", {"HX-Request": "true"}),
        "page_filtered": (f"{page}?kind=commitment&kind=dependency", None),
        "api_first": (api, None),
        "api_deep": (f"{api}?cursor={middle}", None),
    }
    measured = {
        name: _measure(client, url, requests=args.requests, headers=headers) for name, (url, headers) in urls.items()
    }
    return {
        "items": sum(made["counts"].values()),
        "per_kind": made["counts"],
        "load_seconds": load_seconds,
        "requests": args.requests,
        "target_p95_ms": TARGET_P95_MS,
        "within_target": all(result["p95_ms"] < TARGET_P95_MS for result in measured.values()),
        **measured,
    }


def _portfolio_accounts(*, clients: int, rng: Random) -> Any:
    """A new advisor with `clients` client accounts, each with what the portfolio counts: commitments (some late),
    dependencies (some late), check-ins (past and coming), interactions, open tickets and a health score."""
    from django.db import transaction

    from carefront.accounts.models import Account, Contact
    from carefront.core.models import Role
    from carefront.core.services import staff_create
    from carefront.desk.models import Ticket
    from carefront.relationships.models import (
        AccountHealth,
        Cadence,
        CheckIn,
        Commitment,
        Dependency,
        Interaction,
    )

    now = datetime.now(tz=UTC)
    advisor = staff_create(username="portfolio.bench", email="portfolio@bench.example", role=Role.ADVISOR)
    with transaction.atomic():
        accounts = Account.objects.bulk_create(
            Account(name=f"Portfolio client {n:04}", kind="organisation", service_model="client", owner=advisor)
            for n in range(clients)
        )
        contacts = Contact.objects.bulk_create(
            Contact(account=account, name=f"Contact {n}", email=f"c{n}@portfolio.bench")
            for n, account in enumerate(accounts)
        )
        commitments = Commitment.objects.bulk_create(
            Commitment(
                account=account,
                title=f"Promise {n}-{k}",
                owner=advisor,
                state="open",
                promised_due_at=(due := now + timedelta(days=rng.randint(-10, 30))),
                due_at=due,
                created_at=now - timedelta(days=40),
            )
            for n, account in enumerate(accounts)
            for k in range(5)
        )
        Dependency.objects.bulk_create(
            Dependency(
                account=commitment.account,
                what=f"Access {n}",
                contact=contacts[n // 5],
                due_at=now + timedelta(days=rng.randint(-10, 20)),
                blocks_commitment=commitment,
                created_at=now - timedelta(days=30),
            )
            for n, commitment in enumerate(commitments)
            if n % 5 == 0
        )
        cadences = Cadence.objects.bulk_create(
            Cadence(
                account=account,
                name="Monthly call",
                duration_minutes=30,
                rule="FREQ=MONTHLY",
                starts_on=now.date(),
                time_of_day=dtime(10),
                owner=advisor,
            )
            for account in accounts
        )
        CheckIn.objects.bulk_create(
            CheckIn(
                cadence=cadence,
                account=cadence.account,
                owner=advisor,
                occurs_at=(moment := now + timedelta(days=30 * month - 45, hours=rng.randint(0, 9))),
                scheduled_at=moment,
                duration_minutes=30,
                state="scheduled" if month > 1 else "held",
            )
            for cadence in cadences
            for month in range(4)
        )
        Interaction.objects.bulk_create(
            Interaction(
                account=account, kind="call", occurred_at=now - timedelta(days=rng.randint(1, 90)), author=advisor
            )
            for account in accounts
            for _ in range(3)
        )
        first_number = 800_000_000
        Ticket.objects.bulk_create(
            Ticket(
                number=first_number + n,
                subject=f"Question {n}",
                status=rng.choice(["open", "pending", "solved"]),
                account=contact.account,
                requester=contact,
                created_at=now - timedelta(days=2),
                updated_at=now - timedelta(days=2),
            )
            for n, contact in enumerate(contacts * 3)
        )
        AccountHealth.objects.bulk_create(
            AccountHealth(account=account, score=rng.randint(10, 100), band="green", computed_at=now)
            for account in accounts
        )
    return advisor


def bench_portfolio(args: argparse.Namespace) -> dict[str, Any]:
    from django.test import Client

    from carefront.relationships.selectors_portfolio import PAGE, portfolio_page

    started = time.monotonic()
    advisor = _portfolio_accounts(clients=args.clients_per_advisor, rng=Random(args.seed))
    load_seconds = round(time.monotonic() - started, 1)
    _analyze()
    client = Client()
    client.force_login(advisor)
    second = portfolio_page(advisor=advisor).next_cursor
    urls: dict[str, tuple[str, dict[str, str] | None]] = {
        "page_first": ("/relationships/portfolio/", None),
        "page_second": (f"/relationships/portfolio/?after={second}", None),
        "api_first": ("/api/v1/relationships/portfolio", None),
    }
    measured = {
        name: _measure(client, url, requests=args.requests, headers=headers) for name, (url, headers) in urls.items()
    }
    return {
        "clients": args.clients_per_advisor,
        "page_size": PAGE,
        "load_seconds": load_seconds,
        "requests": args.requests,
        "target_p95_ms": TARGET_P95_MS,
        "within_target": all(result["p95_ms"] < TARGET_P95_MS for result in measured.values()),
        **measured,
    }


def _recommendation_accounts(*, clients: int, advisors: int, rng: Random) -> list[int]:
    """`clients` client accounts over `advisors` new advisors, two months old: every one has a signal of some kind
    (none logged a contact; a fifth spent much less this quarter; one in twenty owes us something late; one in
    twenty opened a ticket today)."""
    from django.db import transaction

    from carefront.accounts.models import Account, Contact, Order
    from carefront.core.models import Role
    from carefront.core.services import staff_create
    from carefront.desk.models import Ticket
    from carefront.relationships.models import Commitment, Dependency

    now = datetime.now(tz=UTC)
    owners = [
        staff_create(username=f"recommend{n}", email=f"recommend{n}@bench.example", role=Role.ADVISOR)
        for n in range(advisors)
    ]
    batch = 5000
    with transaction.atomic():
        accounts = Account.objects.bulk_create(
            (
                Account(
                    name=f"Recommendation client {n:06}",
                    kind="organisation",
                    service_model="client",
                    owner=owners[n % advisors],
                    created_at=now - timedelta(days=60),
                )
                for n in range(clients)
            ),
            batch_size=batch,
        )
        chosen = accounts[::20]
        contacts = Contact.objects.bulk_create(
            (
                Contact(account=account, name=f"Contact {n}", email=f"r{n}@recommend.bench")
                for n, account in enumerate(chosen)
            ),
            batch_size=batch,
        )
        Order.objects.bulk_create(
            (
                Order(
                    account=account,
                    external_id=f"recommend-{n}-{k}",
                    placed_at=now - timedelta(days=100 + k * 10 if k else 20),
                    amount=f"{rng.randint(50, 500)}.00",
                    currency="EUR",
                )
                for n, account in enumerate(accounts[::5])
                for k in range(3)
            ),
            batch_size=batch,
        )
        commitments = Commitment.objects.bulk_create(
            (
                Commitment(
                    account=contact.account,
                    title="Survey report",
                    owner=contact.account.owner,
                    promised_due_at=now + timedelta(days=20),
                    due_at=now + timedelta(days=20),
                )
                for contact in contacts
            ),
            batch_size=batch,
        )
        Dependency.objects.bulk_create(
            (
                Dependency(
                    account=contact.account,
                    what="Customer list",
                    contact=contact,
                    due_at=now - timedelta(days=3),
                    blocks_commitment=commitment,
                )
                for contact, commitment in zip(contacts, commitments, strict=True)
            ),
            batch_size=batch,
        )
        Ticket.objects.bulk_create(
            (
                Ticket(
                    number=700_000_000 + n,
                    subject=f"Problem {n}",
                    status="open",
                    account=contact.account,
                    requester=contact,
                    created_at=now - timedelta(hours=3),
                    updated_at=now - timedelta(hours=3),
                )
                for n, contact in enumerate(contacts)
            ),
            batch_size=batch,
        )
    return [owner.pk for owner in owners]


def bench_recommendations(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection

    from carefront.relationships.models import AdvisorRecommendation
    from carefront.relationships.services_recommendations import recommendations_run

    started = time.monotonic()
    advisor_ids = _recommendation_accounts(clients=args.clients, advisors=args.advisors, rng=Random(args.seed))
    load_seconds = round(time.monotonic() - started, 1)
    _analyze()
    runs: list[dict[str, Any]] = []
    for label in ("first", "again"):
        queries: list[str] = []

        def count(execute: Any, sql: str, params: Any, many: bool, context: Any, into: list[str] = queries) -> Any:
            into.append(sql)
            return execute(sql, params, many, context)

        started, cpu_started = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(count):
            opened = recommendations_run(advisor_ids=advisor_ids)
        runs.append(
            {
                "run": label,
                "seconds": round(time.perf_counter() - started, 2),
                "cpu_seconds": round(time.process_time() - cpu_started, 2),
                "opened": opened,
                "queries": len(queries),
            }
        )
    return {
        "clients": args.clients,
        "advisors": args.advisors,
        "load_seconds": load_seconds,
        "recommendations": AdvisorRecommendation.objects.count(),
        "target_seconds": JOB_TARGET_SECONDS,
        "within_target": runs[0]["seconds"] < JOB_TARGET_SECONDS,
        "runs": runs,
    }


SECTIONS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "timeline": bench_timeline,
    "portfolio": bench_portfolio,
    "recommendations": bench_recommendations,
}


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections ({', '.join(SECTIONS)})")
    parser.add_argument("--items", type=int, default=100_000, help="timeline entries of the account (default 100000)")
    parser.add_argument("--background", type=int, default=20_000, help="tickets of other accounts (default 20000)")
    parser.add_argument("--requests", type=int, default=60, help="timed requests per URL (default 60)")
    parser.add_argument(
        "--clients-per-advisor", type=int, default=200, help="clients in the benchmarked portfolio (default 200)"
    )
    parser.add_argument("--clients", type=int, default=100_000, help="client accounts for the job (default 100000)")
    parser.add_argument("--advisors", type=int, default=500, help="their advisors (default 500)")
    parser.add_argument("--seed", type=int, default=42, help="the generator's seed (default 42)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("CAREFRONT_DATA_DIR", ".bench-data/relationships")),
        help="data dir of the benchmark database (default: $CAREFRONT_DATA_DIR or .bench-data/relationships)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database instead of deleting it")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    sections = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in sections if name not in SECTIONS]
    if unknown:
        raise SystemExit(f"unknown section {', '.join(unknown)}: choose among {', '.join(SECTIONS)}")
    args.data_dir = args.data_dir.resolve()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    configure(data_dir=args.data_dir, database_url=os.environ.get("DATABASE_URL"))
    from django.db import connection

    database = "sqlite" if connection.vendor == "sqlite" else "postgresql"
    seed(tickets=args.background)
    for name in sections:
        load_before = os.getloadavg()[0]
        result = SECTIONS[name](args)
        print(
            json.dumps(
                {
                    "benchmark": f"relationships.{name}",
                    "database": database,
                    **result,
                    "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
                },
                default=str,
            ),
            flush=True,
        )
    if not args.keep:
        database_drop()


if __name__ == "__main__":
    main()
