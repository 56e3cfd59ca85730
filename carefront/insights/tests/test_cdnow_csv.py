"""scripts/cdnow_to_csv.py: a CDNOW transaction log, converted and imported through `carefront import`."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.management import call_command

from carefront.accounts.models import Account, AccountKind, Order, ServiceModel

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "cdnow_to_csv.py"

# CDNOW_master.txt's layout: a header, then id, date, CDs, dollars, with CRLF line ends.
MASTER = (
    " customer_id  date number_of_cds  dollar_value\r\n"
    " 00001 19970101  1   11.77\r\n"
    " 00002 19970112  1   12.00\r\n"
    " 00002 19970112  5   77.00\r\n"
    " 00003 19970102  3   20.00\r\n"
    " 00003 19970330  2    0.00\r\n"
    " 00003 19970402  0   19.54\r\n"
    " 00003 19971115  3   20.76\r\n"
)
# CDNOW_sample.txt's: the customer's number within the sample after the id, no header.
SAMPLE = " 00002 0001 19970112  1   12.00\r\n 00002 0001 19970112  5   77.00\r\n 00004 0002 19980630  2   29.33\r\n"


def convert(directory: Path, text: str) -> subprocess.CompletedProcess[str]:
    """Run the script as a person would, on `text` written to a file; the CSVs go to directory/out."""
    directory.mkdir(parents=True, exist_ok=True)
    source = directory / "cdnow.txt"
    source.write_bytes(text.encode("ascii"))
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(source), "--output-dir", str(directory / "out")],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def import_csv(kind: str, path: Path) -> str:
    out = io.StringIO()
    call_command("import", kind, str(path), stdout=out)
    return out.getvalue()


def test_a_cdnow_log_imports_as_accounts_and_dated_orders(db: Any, tmp_path: Path) -> None:
    result = convert(tmp_path, MASTER)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("3 accounts and 6 orders (1 at $0) written to ")
    assert result.stdout.endswith("; lines skipped for having no CDs: 1.\n")

    assert import_csv("accounts", tmp_path / "out" / "accounts.csv") == (
        "accounts: 3 rows, 3 created, 0 updated, 0 unchanged.\n"
    )
    assert (
        import_csv("orders", tmp_path / "out" / "orders.csv") == "orders: 6 rows, 6 created, 0 updated, 0 unchanged.\n"
    )

    account = Account.objects.get(external_id="cdnow-3")
    assert (account.name, account.kind, account.service_model) == (
        "CDNOW customer 3",
        AccountKind.PERSON,
        ServiceModel.CUSTOMER,
    )
    orders = {
        order.external_id: (order.account.external_id, order.placed_at, order.amount, order.currency)
        for order in Order.objects.select_related("account")
    }
    noon = datetime(1997, 1, 12, 12, tzinfo=UTC)
    assert orders == {
        "cdnow-1-1": ("cdnow-1", datetime(1997, 1, 1, 12, tzinfo=UTC), Decimal("11.77"), "USD"),
        "cdnow-2-1": ("cdnow-2", noon, Decimal("12.00"), "USD"),
        "cdnow-2-2": ("cdnow-2", noon, Decimal("77.00"), "USD"),
        "cdnow-3-1": ("cdnow-3", datetime(1997, 1, 2, 12, tzinfo=UTC), Decimal("20.00"), "USD"),
        "cdnow-3-2": ("cdnow-3", datetime(1997, 3, 30, 12, tzinfo=UTC), Decimal("0.00"), "USD"),
        # Line 3 of customer 3 had no CDs: skipped, and the next line keeps its own number.
        "cdnow-3-4": ("cdnow-3", datetime(1997, 11, 15, 12, tzinfo=UTC), Decimal("20.76"), "USD"),
    }


def test_the_item_carries_the_cds_at_their_average_price_and_the_order_the_exact_amount(
    db: Any, tmp_path: Path
) -> None:
    assert convert(tmp_path, MASTER).returncode == 0
    import_csv("accounts", tmp_path / "out" / "accounts.csv")
    import_csv("orders", tmp_path / "out" / "orders.csv")

    # 20.76 / 3 is 6.92 exactly; 20.00 / 3 rounds to 6.67, three of which are 20.01.
    exact = Order.objects.get(external_id="cdnow-3-4")
    rounded = Order.objects.get(external_id="cdnow-3-1")
    assert list(exact.items.values_list("name", "category", "quantity", "unit_price")) == [
        ("CDs", "music", 3, Decimal("6.92"))
    ]
    assert list(rounded.items.values_list("quantity", "unit_price")) == [(3, Decimal("6.67"))]
    assert rounded.amount == Decimal("20.00")
    free = Order.objects.get(external_id="cdnow-3-2")
    assert list(free.items.values_list("quantity", "unit_price")) == [(2, Decimal("0.00"))]


def test_the_sample_uses_the_master_ids_so_importing_both_adds_only_whats_new(db: Any, tmp_path: Path) -> None:
    """
    GIVEN the sample's layout (master id, sample number, date, CDs, dollars) converted and imported
    WHEN the master's lines for the same customers are converted and imported next
    THEN the orders already there are unchanged and only the other customers' orders are created
    """
    assert convert(tmp_path / "sample", SAMPLE).returncode == 0
    import_csv("accounts", tmp_path / "sample" / "out" / "accounts.csv")
    assert import_csv("orders", tmp_path / "sample" / "out" / "orders.csv").startswith("orders: 3 rows, 3 created")
    assert Order.objects.get(external_id="cdnow-4-1").placed_at == datetime(1998, 6, 30, 12, tzinfo=UTC)

    assert convert(tmp_path, MASTER).returncode == 0
    import_csv("accounts", tmp_path / "out" / "accounts.csv")
    assert import_csv("orders", tmp_path / "out" / "orders.csv") == (
        "orders: 6 rows, 4 created, 0 updated, 2 unchanged.\n"
    )
    assert Order.objects.filter(account__external_id="cdnow-2").count() == 2


def test_a_line_that_is_not_a_purchase_is_reported_with_its_number(tmp_path: Path) -> None:
    result = convert(tmp_path, " 00001 19970101  1   11.77\r\n 00002 19971301  1   12.00\r\n")
    assert result.returncode == 1
    assert "line 2: '00002 19971301 1 12.00' is not id, YYYYMMDD, CDs, dollars" in result.stderr


def test_the_cdnow_sample_imported_and_refreshed_gives_segments_values_and_advice(tmp_path: Path, db: Any) -> None:
    """GIVEN the CDNOW sample (2,357 real customers) converted and imported like any orders file
    WHEN the insights are refreshed as of the log's end
    THEN the fit holds, every account has a segment, repeat buyers have a lifetime value, and the advisor
    recommends some frequent buyers for client service, each with a review for a manager."""
    from carefront.insights.models import AccountInsight, ModelFit, Review

    sample = Path(__file__).parent / "fixtures" / "CDNOW_sample.txt"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(sample), "--output-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "2357 accounts" in result.stdout
    call_command("import", "accounts", str(tmp_path / "accounts.csv"), stdout=io.StringIO())
    call_command("import", "orders", str(tmp_path / "orders.csv"), stdout=io.StringIO())
    call_command("insights", "refresh", "--as-of", "1998-06-30", stdout=io.StringIO())
    assert AccountInsight.objects.count() == 2357
    assert not ModelFit.objects.filter(kind="bg_nbd").exclude(problem="").exists()
    assert AccountInsight.objects.filter(orders__gte=2, clv__gt=0).count() > 1000
    assert AccountInsight.objects.exclude(rfm_segment="no_orders").count() == 2357
    offered = AccountInsight.objects.filter(advice="offer_client")
    assert offered.exists()
    assert Review.objects.filter(state="open").count() == offered.count()
    assert all(row.currency == "USD" for row in offered)
