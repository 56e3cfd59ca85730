#!/usr/bin/env python3
"""Turn a CDNOW transaction log into accounts.csv and orders.csv for `carefront import`.

    python scripts/cdnow_to_csv.py CDNOW_master.txt --output-dir /tmp/cdnow
    carefront import accounts /tmp/cdnow/accounts.csv
    carefront import orders /tmp/cdnow/orders.csv

The CDNOW log (the purchases of 23,570 customers of an online CD shop, January 1997 to June 1998; shipped
in the `lifetimes` package as CDNOW_master.txt, and a tenth of its customers as CDNOW_sample.txt) has one
purchase a line, separated by spaces:

- CDNOW_master.txt: customer id, date YYYYMMDD, number of CDs, dollar value, after a header line;
- CDNOW_sample.txt: the same with the customer's number within the sample after the id, and no header.
  The master id is the one used, so a customer has the same external id in both files.

Every customer becomes a person account `cdnow-<id>` (leading zeros dropped), a customer in service
model; accounts carry no currency. Every line becomes an order `cdnow-<id>-<n>`, where n counts that
customer's lines from 1 in file order: the sample holds the same lines as the master for its customers, so
importing one file after the other adds only what is new. An order is placed at noon UTC on its date (the
log has no times; noon is the same date in every time zone from UTC-12 to UTC+11), in USD, with one
item "CDs" (category music) of the line's quantity at the average price rounded to the cent. The order's
amount is the dollar value exactly; quantity × unit price may differ from it by up to half a cent a CD,
which the importer accepts (it checks the items against the amount only when the amount is left empty).

Lines with no CDs are skipped and counted (an order item needs a quantity of at least 1; there are none in
the published files). Lines with CDs and a dollar value of 0 (80 in the master) are kept: they record a
purchase, which frequency and recency models count.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

CENT = Decimal("0.01")
ACCOUNT_HEADER = ("external_id", "name", "kind", "service_model")
ORDER_HEADER = ("external_id", "account", "placed_at", "amount", "currency", "items")


class CdnowError(ValueError):
    """A line that is not a CDNOW purchase; the message names the line."""


@dataclass(frozen=True)
class Purchase:
    """One line of the log."""

    line: int
    customer: int
    date: str
    cds: int
    amount: Decimal


@dataclass
class Summary:
    """What a conversion wrote and skipped."""

    accounts: int = 0
    orders: int = 0
    skipped_no_cds: int = 0
    free_orders: int = 0


def purchases_read(path: Path) -> Iterator[Purchase]:
    """The purchases of a CDNOW log, in file order; raises CdnowError on a malformed line."""
    with path.open(encoding="ascii", newline="") as source:
        for number, text in enumerate(source, start=1):
            fields = text.split()
            if not fields:
                continue
            if number == 1 and not fields[0].isdigit():
                continue
            yield _purchase_parse(number, fields)


def _purchase_parse(number: int, fields: list[str]) -> Purchase:
    if len(fields) == 5:
        # The sample's own customer number (second field) is dropped for the master id.
        fields = [fields[0], *fields[2:]]
    if len(fields) != 4:
        raise CdnowError(f"line {number}: expected 4 or 5 fields, found {len(fields)}")
    customer, date, cds, amount = fields
    try:
        day = datetime.strptime(date, "%Y%m%d").date()
        parsed = Purchase(
            line=number, customer=int(customer), date=day.isoformat(), cds=int(cds), amount=Decimal(amount)
        )
    except (ValueError, InvalidOperation) as exc:
        raise CdnowError(f"line {number}: {' '.join(fields)!r} is not id, YYYYMMDD, CDs, dollars") from exc
    if parsed.customer < 0 or parsed.cds < 0 or not parsed.amount.is_finite() or parsed.amount < 0:
        raise CdnowError(f"line {number}: negative or non-finite values in {' '.join(fields)!r}")
    if parsed.amount != parsed.amount.quantize(CENT):
        raise CdnowError(f"line {number}: {amount} has more than two decimal places")
    return parsed


def cdnow_convert(source: Path, output_dir: Path) -> Summary:
    """Write accounts.csv and orders.csv for the log at `source` into `output_dir`."""
    output_dir.mkdir(parents=True, exist_ok=True)
    summary = Summary()
    lines_of: dict[int, int] = {}
    with (
        (output_dir / "accounts.csv").open("w", encoding="utf-8", newline="") as accounts_file,
        (output_dir / "orders.csv").open("w", encoding="utf-8", newline="") as orders_file,
    ):
        accounts = csv.writer(accounts_file, lineterminator="\n")
        orders = csv.writer(orders_file, lineterminator="\n")
        accounts.writerow(ACCOUNT_HEADER)
        orders.writerow(ORDER_HEADER)
        for purchase in purchases_read(source):
            reference = f"cdnow-{purchase.customer}"
            if purchase.customer not in lines_of:
                lines_of[purchase.customer] = 0
                accounts.writerow((reference, f"CDNOW customer {purchase.customer}", "person", "customer"))
                summary.accounts += 1
            # Counted before skipping, so a skipped line never shifts the ids of the lines after it.
            lines_of[purchase.customer] += 1
            if purchase.cds == 0:
                summary.skipped_no_cds += 1
                continue
            if purchase.amount == 0:
                summary.free_orders += 1
            unit_price = (purchase.amount / purchase.cds).quantize(CENT, rounding=ROUND_HALF_UP)
            item = {"name": "CDs", "category": "music", "quantity": purchase.cds, "unit_price": str(unit_price)}
            orders.writerow(
                (
                    f"{reference}-{lines_of[purchase.customer]}",
                    reference,
                    f"{purchase.date}T12:00:00Z",
                    str(purchase.amount),
                    "USD",
                    json.dumps([item]),
                )
            )
            summary.orders += 1
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Turn a CDNOW transaction log (CDNOW_master.txt or CDNOW_sample.txt) into accounts.csv and "
        "orders.csv for `carefront import accounts` and `carefront import orders`."
    )
    parser.add_argument("source", type=Path, help="the CDNOW log")
    parser.add_argument(
        "--output-dir", type=Path, default=Path(), help="where to write the two CSV files (default: here)"
    )
    args = parser.parse_args(argv)
    try:
        summary = cdnow_convert(args.source, args.output_dir)
    except (OSError, ValueError) as exc:
        print(f"{args.source}: {exc}", file=sys.stderr)
        return 1
    print(
        f"{summary.accounts} accounts and {summary.orders} orders ({summary.free_orders} at $0) written to "
        f"{args.output_dir}; lines skipped for having no CDs: {summary.skipped_no_cds}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
