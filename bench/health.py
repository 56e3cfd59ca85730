"""Health scores at scale: the periodic recompute of every client account (issue 9 part 11).

    .venv/bin/python -m bench.health [--accounts 100000] [--data-dir .bench-data/health]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cf_bench .venv/bin/python -m bench.health

Makes a fresh database (the SQLite file in --data-dir, or DROPs and recreates the PostgreSQL database of
DATABASE_URL), migrates it and loads --accounts client accounts of one advisor, each with a cadence and three
check-ins (held or missed), two commitments (kept, late or open), two orders over the last six months, a ticket
for every other account and an open dependency for every tenth. Then it times, printing one JSON object:

- `first_seconds`: `health_recompute_all()` with no score stored (every row inserted, history written);
- `again_seconds`: the same an hour later (the hourly steady state: every row rewritten, no history change);
- `stale_1000_seconds`: 1,000 accounts marked stale, then `health_recompute_stale()` (the queued sweep);
- `queries_per_batch`: the queries of one batch of 1,000 accounts.

Target: 100,000 clients in well under 60 s on SQLite.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from datetime import date, timedelta
from datetime import time as clock_time
from decimal import Decimal
from pathlib import Path

TARGET_SECONDS = 60.0
CHUNK = 5000


def _load(accounts: int) -> dict[str, int]:
    from django.db import transaction
    from django.utils import timezone

    from carefront.accounts.models import Account, Contact, Order
    from carefront.core.models import Role
    from carefront.core.services import staff_create
    from carefront.desk.models import Ticket
    from carefront.relationships.models import Cadence, CheckIn, Commitment, Dependency

    rng = random.Random(42)
    now = timezone.now()
    advisor = staff_create(username="bench-advisor", email="advisor@bench.example", role=Role.ADVISOR)
    counts = dict.fromkeys(("accounts", "check_ins", "commitments", "orders", "tickets", "dependencies"), 0)
    with transaction.atomic():
        made = Account.objects.bulk_create(
            (
                Account(name=f"Client {n}", kind="organisation", service_model="client", owner=advisor)
                for n in range(accounts)
            ),
            batch_size=CHUNK,
        )
        ids = [account.pk for account in made]
        counts["accounts"] = len(ids)
        cadences = Cadence.objects.bulk_create(
            (
                Cadence(
                    account_id=account_id,
                    name="Monthly call",
                    duration_minutes=30,
                    rule="FREQ=MONTHLY",
                    starts_on=date(2025, 1, 1),
                    time_of_day=clock_time(10),
                    owner=advisor,
                )
                for account_id in ids
            ),
            batch_size=CHUNK,
        )
        check_ins = []
        for cadence in cadences:
            for month in range(3):
                moment = now - timedelta(days=10 + 30 * month)
                state = "held" if rng.random() < 0.8 else "missed"
                check_ins.append(
                    CheckIn(
                        cadence=cadence,
                        account_id=cadence.account_id,
                        owner=advisor,
                        occurs_at=moment,
                        scheduled_at=moment,
                        duration_minutes=30,
                        state=state,
                    )
                )
        counts["check_ins"] = len(CheckIn.objects.bulk_create(check_ins, batch_size=CHUNK))
        commitments = []
        for account_id in ids:
            for _ in range(2):
                due = now + timedelta(days=rng.randint(-60, 30))
                state = "open" if due > now else rng.choice(["done", "done", "done", "late"])
                commitments.append(
                    Commitment(
                        account_id=account_id,
                        title="Promise",
                        owner=advisor,
                        state=state,
                        promised_due_at=due,
                        due_at=due,
                        done_at=due if state == "done" else None,
                    )
                )
        made_commitments = Commitment.objects.bulk_create(commitments, batch_size=CHUNK)
        counts["commitments"] = len(made_commitments)
        orders = [
            Order(
                account_id=account_id,
                external_id=f"o-{account_id}-{k}",
                placed_at=now - timedelta(days=rng.randint(1, 180)),
                amount=Decimal(rng.randint(50, 5000)),
                currency="EUR",
            )
            for account_id in ids
            for k in range(2)
        ]
        counts["orders"] = len(Order.objects.bulk_create(orders, batch_size=CHUNK))
        some = ids[::2]
        contacts = Contact.objects.bulk_create(
            (Contact(account_id=account_id, name="Contact") for account_id in some), batch_size=CHUNK
        )
        tickets = [
            Ticket(
                number=n + 1,
                subject="Help",
                priority=rng.choice(["low", "normal", "normal", "high", "urgent"]),
                account_id=contact.account_id,
                requester=contact,
                created_at=now - timedelta(days=rng.randint(0, 40)),
            )
            for n, contact in enumerate(contacts)
        ]
        counts["tickets"] = len(Ticket.objects.bulk_create(tickets, batch_size=CHUNK))
        dependencies = [
            Dependency(
                account_id=contact.account_id,
                what="Customer list",
                contact=contact,
                due_at=now + timedelta(days=rng.randint(-20, 20)),
                blocks_commitment=made_commitments[2 * index_of],
            )
            for index_of, contact in zip(range(0, len(ids), 2), contacts, strict=False)
            if index_of % 10 == 0
        ]
        counts["dependencies"] = len(Dependency.objects.bulk_create(dependencies, batch_size=CHUNK))
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--data-dir", default=os.environ.get("CAREFRONT_DATA_DIR", ".bench-data/health"))
    parser.add_argument("--reuse", action="store_true", help="measure again on the database a previous run loaded")
    args = parser.parse_args(argv)

    from bench.seed import configure, database_recreate

    Path(args.data_dir).mkdir(parents=True, exist_ok=True)
    configure(data_dir=Path(args.data_dir).resolve(), database_url=os.environ.get("DATABASE_URL"))

    from django.core.management import call_command
    from django.db import connection
    from django.db.models import F
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from carefront.accounts.models import Account
    from carefront.relationships.models import AccountHealth, HealthSnapshot
    from carefront.relationships.services_health import (
        BATCH,
        health_config,
        health_recompute_accounts,
        health_recompute_all,
        health_recompute_stale,
    )

    began = time.perf_counter()
    if args.reuse:
        AccountHealth.objects.all().delete()
        HealthSnapshot.objects.all().delete()
        counts = {"accounts": Account.objects.filter(service_model="client").count()}
    else:
        database_recreate()
        call_command("migrate", verbosity=0, interactive=False)
        began = time.perf_counter()
        counts = _load(args.accounts)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    loaded = time.perf_counter()
    now = timezone.now()
    first = health_recompute_all(now=now)
    scored = time.perf_counter()
    health_recompute_all(now=now + timedelta(hours=1))
    again = time.perf_counter()
    changed = list(AccountHealth.objects.order_by("?").values_list("account_id", flat=True)[:1000])
    AccountHealth.objects.filter(account_id__in=changed).update(changes=F("changes") + 1)
    marked = time.perf_counter()
    stale = health_recompute_stale(now=now + timedelta(hours=1))
    swept = time.perf_counter()
    batch = list(AccountHealth.objects.order_by("account_id").values_list("account_id", flat=True)[:BATCH])
    config = health_config()
    with CaptureQueriesContext(connection) as captured:
        health_recompute_accounts(account_ids=batch, now=now, config=config)
    scores = list(AccountHealth.objects.values_list("score", flat=True))
    print(
        json.dumps(
            {
                "benchmark": "health",
                "database": connection.vendor,
                **counts,
                "load_seconds": round(loaded - began, 1),
                "first_seconds": round(scored - loaded, 2),
                "again_seconds": round(again - scored, 2),
                "stale_1000_seconds": round(swept - marked, 2),
                "stale_scored": stale,
                "scored": first.accounts,
                "batches": first.batches,
                "queries_per_batch": len(captured.captured_queries),
                "history_rows": HealthSnapshot.objects.count(),
                "mean_score": round(sum(s for s in scores if s is not None) / max(1, len(scores)), 1),
                "target_seconds": TARGET_SECONDS,
                "load_average": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
