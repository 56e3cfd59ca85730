"""Time a CSV import of orders through the function `carefront import orders` uses, and print JSON.

    .venv/bin/python bench/import.py [--rows 100000] [--accounts 2000]

A fresh database is created for the run and dropped afterwards (Django's test-database machinery):
SQLite in a temporary data dir by default, PostgreSQL when DATABASE_URL names a server (the
benchmark creates and drops `test_<name>` beside it). The CSV is generated first (deterministic,
one to three items per order, half the rows without an amount so it comes from the items), then
imported once (all rows new) and a second time (all rows unchanged: the upsert's no-op path).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from random import Random
from typing import Any

SEED = 42
SHIPPING = Decimal("4.95")
CURRENCIES = ["EUR", "GBP", "USD", "JPY", "CAD"]
PRODUCTS = [
    ("K-100", "Kettle", "kitchen", "24.90"),
    ("T-200", "Toaster", "kitchen", "39.00"),
    ("M-300", "Coffee mill", "kitchen", "59.50"),
    ("B-400", "Bath towel", "home", "12.00"),
    ("L-500", "Desk lamp", "home", "31.99"),
    ("S-600", "Subscription, monthly", "services", "9.99"),
    ("G-700", "Gift card", "other", "50.00"),
]


def configure(data_dir: Path) -> None:
    os.environ["CAREFRONT_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carefront.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()


def accounts_create(count: int) -> list[tuple[str, str]]:
    """Bulk-create the accounts the orders belong to; returns (external id, currency) pairs."""
    from carefront.accounts.models import Account

    rng = Random(SEED)
    rows = [(f"acct-{n:06d}", rng.choice(CURRENCIES)) for n in range(count)]
    Account.objects.bulk_create(
        [Account(name=f"Account {ext}", external_id=ext, kind="organisation") for ext, _ in rows], batch_size=1000
    )
    return rows


def csv_write(path: Path, *, rows: int, accounts: list[tuple[str, str]]) -> int:
    """Write the orders file; returns how many item lines it holds."""
    rng = Random(SEED)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    items_total = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["external_id", "account", "placed_at", "amount", "currency", "items"])
        for n in range(rows):
            account, currency = accounts[rng.randrange(len(accounts))]
            placed = start + timedelta(seconds=rng.randrange(2 * 365 * 86400))
            lines = [(*product, rng.randint(1, 4)) for product in rng.sample(PRODUCTS, rng.randint(1, 3))]
            items = [
                {"sku": sku, "name": name, "category": category, "quantity": quantity, "unit_price": price}
                for sku, name, category, price, quantity in lines
            ]
            items_total += len(items)
            # Half the orders state their amount (items plus shipping); the others leave it to the items.
            total = sum((quantity * Decimal(price) for *_, price, quantity in lines), SHIPPING)
            amount = "" if n % 2 else str(total)
            writer.writerow(
                [
                    f"ord-{n:07d}",
                    account,
                    placed.isoformat().replace("+00:00", "Z"),
                    amount,
                    currency,
                    json.dumps(items, separators=(",", ":")),
                ]
            )
    return items_total


def timed_import(path: Path) -> tuple[float, float, Any]:
    from carefront.core.csvio import csv_import

    started = time.perf_counter()
    cpu = time.process_time()
    with path.open("rb") as source:
        counts = csv_import(kind="orders", source=source, actor=None)
    return time.perf_counter() - started, time.process_time() - cpu, counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="orders in the CSV (default 100000)")
    parser.add_argument("--accounts", type=int, default=2000, help="accounts the orders spread over (default 2000)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="carefront-bench-import-") as tmp:
        configure(Path(tmp))
        from django.db import connection

        configured_name = connection.settings_dict["NAME"]
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            accounts = accounts_create(args.accounts)
            path = Path(tmp) / "orders.csv"
            items = csv_write(path, rows=args.rows, accounts=accounts)
            seconds, cpu_seconds, counts = timed_import(path)
            assert counts.created == args.rows, counts
            again, _, recounts = timed_import(path)
            assert recounts.unchanged == args.rows, recounts
            result = {
                "benchmark": "import",
                "database": connection.vendor,
                "rows": args.rows,
                "items": items,
                "file_mb": round(path.stat().st_size / 1_048_576, 1),
                "seconds": round(seconds, 2),
                "rows_per_second": round(args.rows / seconds),
                # This process's CPU time: what the wall time would be on an otherwise idle machine.
                "cpu_seconds": round(cpu_seconds, 2),
                "reimport_seconds": round(again, 2),
                "reimport_rows_per_second": round(args.rows / again),
            }
        finally:
            connection.creation.destroy_test_db(configured_name, verbosity=0)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
