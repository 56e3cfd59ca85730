"""CSV import and export: bad input, upserts with audit, all-or-nothing, round trips, the two commands."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from importlib import import_module
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.core.management.base import BaseCommand
from django.db import connection

from carefront.accounts.models import Account, Contact, Order
from carefront.accounts.services import account_create, order_create
from carefront.core.csvio import (
    MAX_FIELD_CHARS,
    CsvImportError,
    ImportCounts,
    csv_export,
    csv_import,
    datetime_adapter,
)
from carefront.core.management.commands.export import Command as ExportCommand
from carefront.core.models import Event, Team
from carefront.desk.models import Ticket
from carefront.desk.services import ticket_assign, ticket_create, ticket_update

# `import` is a keyword, so the command module is loaded by name.
ImportCommand = import_module("carefront.core.management.commands.import").Command
ORDERS_HEADER = "external_id,account,placed_at,amount,currency,items\n"


def run_import(kind: str, content: str | bytes, actor: Any = None) -> ImportCounts:
    data = content.encode() if isinstance(content, str) else content
    return csv_import(kind=kind, source=io.BytesIO(data), actor=actor)


def import_errors(kind: str, content: str | bytes) -> list[str]:
    with pytest.raises(CsvImportError) as info:
        run_import(kind, content)
    return [str(error) for error in info.value.errors]


def export_text(kind: str) -> str:
    out = io.StringIO()
    csv_export(kind=kind, out=out)
    return out.getvalue()


# Bad input: a clear message naming row and column, nothing written ---------------------------------


def test_missing_required_column_is_named_and_nothing_is_written(acme: Account) -> None:
    errors = import_errors("orders", "account,placed_at,amount,currency\nacct-acme,2025-01-02,10,EUR\n")
    assert errors == ["Row 1: Missing required columns: external_id."]
    assert Order.objects.count() == 0


def test_unknown_header_columns_are_named(acme: Account) -> None:
    errors = import_errors("orders", "external_id,account,colour,size\no-1,acct-acme,red,XL\n")
    assert len(errors) == 1
    assert errors[0].startswith("Row 1: Unknown columns: colour, size.")


def test_header_matching_ignores_case_and_surrounding_spaces(acme: Account) -> None:
    counts = run_import(
        "orders", " External_ID ,ACCOUNT, Placed_At ,Amount,  currency\no-1,acct-acme,2025-01-02T10:00:00Z,12.50,eur\n"
    )
    assert counts.created == 1
    order = Order.objects.get(external_id="o-1")
    assert (order.amount, order.currency, order.account_id) == (Decimal("12.50"), "EUR", acme.pk)


def test_bad_date_names_row_and_column_and_the_good_rows_are_not_written(acme: Account) -> None:
    errors = import_errors(
        "orders", ORDERS_HEADER + "o-1,acct-acme,2025-01-02,10,EUR,[]\no-2,acct-acme,2025-02-30,10,EUR,[]\n"
    )
    assert errors == ["Row 3, column placed_at: “2025-02-30” is not a date and time like 2025-03-01T14:30:00Z."]
    assert Order.objects.count() == 0


def test_bad_amount_names_row_and_column(acme: Account) -> None:
    errors = import_errors("orders", ORDERS_HEADER + "o-1,acct-acme,2025-01-02,12;50,EUR,[]\n")
    assert errors == ["Row 2, column amount: “12;50” is not a number."]


def test_negative_quantity_names_the_item(acme: Account) -> None:
    items = json.dumps([{"name": "Kettle", "quantity": -2, "unit_price": "10"}]).replace('"', '""')
    errors = import_errors("orders", ORDERS_HEADER + f'o-1,acct-acme,2025-01-02,,EUR,"{items}"\n')
    assert errors == ["Row 2, column items: items[0].quantity: Quantity must be between 1 and 1,000,000."]
    assert Order.objects.count() == 0


def test_unknown_choice_names_row_and_column(db: Any) -> None:
    errors = import_errors("accounts", "external_id,name,kind\na-1,Ann,person\na-2,Bo,alien\n")
    assert errors == ["Row 3, column kind: “alien” is not one of: person, organisation."]
    assert Account.objects.count() == 0


def test_duplicate_external_id_in_the_file_names_both_rows(acme: Account) -> None:
    errors = import_errors(
        "orders", ORDERS_HEADER + "o-1,acct-acme,2025-01-02,10,EUR,[]\no-1,acct-acme,2025-01-03,11,EUR,[]\n"
    )
    assert errors == ["Row 3, column external_id: “o-1” is also on row 2; each external id may appear once."]
    assert Order.objects.count() == 0


def test_text_that_is_not_utf8_names_row_and_column(db: Any) -> None:
    data = b"external_id,name,segment\na-1,Ann,retail\n" + "a-2,Café Noir,retail\n".encode("latin-1")
    errors = import_errors("accounts", data)
    assert errors == ["Row 3, column name: “Caf� Noir” is not UTF-8 text; save the file as CSV UTF-8."]
    assert Account.objects.count() == 0


def test_utf16_file_is_refused_with_a_hint(db: Any) -> None:
    errors = import_errors("accounts", "external_id,name\na-1,Ann\n".encode("utf-16"))
    assert errors == ["Row 1: The file is UTF-16 text; save it as CSV UTF-8."]


def test_utf8_bom_is_accepted_transparently(db: Any) -> None:
    counts = run_import("accounts", "\ufeffexternal_id,name\na-1,Zoë\n".encode())
    assert counts.created == 1
    assert Account.objects.get(external_id="a-1").name == "Zoë"


def test_empty_file_is_refused_with_the_columns_it_needs(db: Any) -> None:
    errors = import_errors("orders", b"")
    assert errors == [
        "The file is empty; it needs a header row naming its columns, such as: "
        "external_id,account,placed_at,amount,currency,items."
    ]


def test_header_without_rows_imports_nothing(db: Any) -> None:
    assert run_import("orders", ORDERS_HEADER) == ImportCounts(rows=0)


def test_row_with_the_wrong_number_of_values_is_named(acme: Account) -> None:
    errors = import_errors("orders", ORDERS_HEADER + "o-1,acct-acme,2025-01-02,10,EUR\n")
    assert errors == ["Row 2: 5 values, but the header has 6 columns."]


def test_ten_megabyte_field_is_refused_cleanly(db: Any, tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("external_id,name,segment\na-1,Ann,retail\na-2,Bo,")
        out.write("x" * 10_000_000)
        out.write("\n")
    with path.open("rb") as source, pytest.raises(CsvImportError) as info:
        csv_import(kind="accounts", source=source)
    assert [str(e) for e in info.value.errors] == [
        f"Row 3, column segment: The value has 10000000 characters; at most {MAX_FIELD_CHARS} are allowed."
    ]
    assert Account.objects.count() == 0


def test_errors_from_every_row_are_listed_in_row_order(acme: Account) -> None:
    errors = import_errors(
        "orders",
        ORDERS_HEADER + "o-1,acct-acme,yesterday,10,EUR,[]\no-2,nobody,2025-01-02,-1,EURO,[]\n",
    )
    assert errors == [
        "Row 2, column placed_at: “yesterday” is not a date and time like 2025-03-01T14:30:00Z.",
        "Row 3, column amount: Must be at least 0.",
        "Row 3, column currency: “EURO” is not an ISO 4217 currency code like EUR.",
    ]


# Upserts, audit and all-or-nothing ------------------------------------------------------------------


def test_upsert_updates_existing_account_and_audits_each_change(acme: Account, alice: Any) -> None:
    before = Event.objects.count()
    counts = run_import(
        "accounts",
        "external_id,name,segment,tags\nacct-acme,Acme Group,enterprise,vip;uk\nnew-1,Newco,smb,\n",
        actor=alice,
    )
    assert (counts.created, counts.updated, counts.unchanged) == (1, 1, 0)
    acme.refresh_from_db()
    assert (acme.name, acme.segment, acme.version) == ("Acme Group", "enterprise", 2)
    assert sorted(acme.tags.values_list("name", flat=True)) == ["uk", "vip"]
    changes = {
        (e.field, json.dumps(e.old_value), json.dumps(e.new_value))
        for e in Event.objects.filter(subject_kind="account", subject_id=acme.pk, action="updated")
    }
    assert changes == {
        ("name", '"Acme Ltd"', '"Acme Group"'),
        ("segment", '""', '"enterprise"'),
        ("tags", "[]", '["uk", "vip"]'),
    }
    newco = Account.objects.get(external_id="new-1")
    imported = Event.objects.get(subject_kind="account", subject_id=newco.pk)
    assert (imported.action, imported.actor, imported.actor_label) == ("imported", alice, "alice")
    assert Event.objects.count() == before + 4


def test_one_bad_row_writes_nothing_and_leaves_existing_rows_untouched(acme: Account) -> None:
    events = Event.objects.count()
    errors = import_errors(
        "accounts", "external_id,name,country\nacct-acme,Renamed,FR\nnew-1,Newco,GB\nnew-2,Badco,Atlantis\n"
    )
    assert errors == ["Row 4, column country: “ATLANTIS” is not an ISO 3166 country code like FR or GB."]
    acme.refresh_from_db()
    assert (acme.name, acme.country, acme.version) == ("Acme Ltd", "GB", 1)
    assert Account.objects.count() == 1
    assert Event.objects.count() == events


def test_failure_after_the_first_batch_rolls_back_the_batches_already_written(acme: Account) -> None:
    rows = "".join(f"o-{n},acct-acme,2025-01-02,10,EUR,[]\n" for n in range(2500))
    errors = import_errors("orders", ORDERS_HEADER + rows + "o-last,acct-acme,2025-01-02,ten,EUR,[]\n")
    assert errors == ["Row 2502, column amount: “ten” is not a number."]
    assert Order.objects.count() == 0


def test_progress_is_reported_in_bytes_up_to_the_whole_file(acme: Account) -> None:
    data = (ORDERS_HEADER + "".join(f"o-{n},acct-acme,2025-01-02,10,EUR,[]\n" for n in range(1500))).encode()
    seen: list[int] = []
    csv_import(kind="orders", source=io.BytesIO(data), progress=seen.append)
    assert len(seen) >= 2
    assert seen == sorted(seen)
    assert seen[-1] == len(data)


# Export, and the round trip that changes nothing -----------------------------------------------------


@pytest.fixture
def desk_world(acme: Account, globex: Account, carol: Contact, charlie: Contact, dana: Any, alice: Any) -> None:
    """Every kind with the awkward cases: no external ids, tags, owners, served_for, items, odd text."""
    client = account_create(
        actor=None,
        name='Initech, "the" bank',
        kind="organisation",
        service_model="client",
        owner=dana,
        tags=["vip", "fintech"],
        external_id="acct-initech",
        custom_fields={"plan": "gold", "seats": 12, "note": "multi\nline"},
    )
    account_create(actor=None, name="Initech customer", served_for=client, locale="fr-CA", time_zone="America/Toronto")
    order_create(
        actor=None,
        account=acme,
        external_id="ord-1",
        placed_at="2024-11-05T09:15:30.123456+01:00",
        currency="GBP",
        items=[{"sku": "K-1", "name": "Kettle, steel", "quantity": 2, "unit_price": "19.99"}],
    )
    order_create(actor=None, account=globex, external_id="ord-2", placed_at="2025-01-02", currency="EUR", amount="5")
    team = Team.objects.get(name="Front line")
    first = ticket_create(
        actor=None, requester=carol, subject="Parcel never arrived", body="Where is it?", tags=["delivery"], team=team
    )
    ticket_assign(ticket=first, actor=alice, assignee=alice)
    ticket_update(ticket=first, actor=alice, status="solved")
    ticket_create(actor=None, requester=charlie, subject="Facture", body="Bonjour", channel="phone", priority="high")


@pytest.mark.parametrize("kind", ["accounts", "contacts", "orders", "tickets"])
def test_importing_an_export_changes_nothing(desk_world: None, kind: str) -> None:
    exported = export_text(kind)
    events = Event.objects.count()
    versions = {
        model.__name__: sorted(model.objects.values_list("pk", "version"))
        for model in (Account, Contact, Order, Ticket)
    }
    counts = run_import(kind, exported)
    assert counts.rows == counts.unchanged > 0
    assert Event.objects.count() == events
    assert versions == {
        model.__name__: sorted(model.objects.values_list("pk", "version"))
        for model in (Account, Contact, Order, Ticket)
    }
    assert export_text(kind) == exported


def test_export_names_rows_without_external_id_by_their_id(desk_world: None, globex: Account) -> None:
    lines = export_text("accounts").splitlines()
    assert lines[0] == (
        "external_id,name,kind,service_model,lifecycle_stage,owner,locale,time_zone,country,segment,tags,"
        "served_for,custom_fields"
    )
    assert f"id:{globex.pk},Globex SA,organisation,customer,new,,fr,UTC,FR,,,," in lines


def test_export_streams_orders_with_items_as_json(desk_world: None) -> None:
    lines = export_text("orders").splitlines()
    assert lines[1] == (
        "ord-1,acct-acme,2024-11-05T08:15:30.123456Z,39.98,GBP,"
        '"[{""category"":"""",""name"":""Kettle, steel"",""quantity"":2,""sku"":""K-1"",""unit_price"":""19.99""}]"'
    )


# The commands -----------------------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "in.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_import_command_reports_what_it_did(acme: Account, tmp_path: Path) -> None:
    out = io.StringIO()
    path = write(tmp_path, ORDERS_HEADER + "o-1,acct-acme,2025-01-02,10,EUR,[]\n")
    call_command("import", "orders", str(path), stdout=out)
    assert out.getvalue() == "orders: 1 row, 1 created, 0 updated, 0 unchanged.\n"


def test_import_command_lists_fifty_errors_then_how_many_more_and_exits_1(acme: Account, tmp_path: Path) -> None:
    path = write(tmp_path, ORDERS_HEADER + "".join(f"o-{n},acct-acme,2025-01-02,x,EUR,[]\n" for n in range(60)))
    err = io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("import", "orders", str(path), stderr=err)
    assert info.value.returncode == 1
    assert str(info.value) == f"Nothing was imported: 60 problems in {path}."
    lines = err.getvalue().splitlines()
    assert len(lines) == 51
    assert lines[0] == "Row 2, column amount: “x” is not a number."
    assert lines[-1] == "… and 10 more."
    assert Order.objects.count() == 0


def test_import_command_refuses_a_ten_megabyte_field_without_a_traceback(db: Any, tmp_path: Path) -> None:
    path = write(tmp_path, "external_id,name\na-1," + "y" * 10_000_000 + "\n")
    err = io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("import", "accounts", str(path), stderr=err)
    assert info.value.returncode == 1
    assert err.getvalue().startswith("Row 2, column name: The value has 10000000 characters")


def test_import_command_names_the_actor_in_the_audit_trail(acme: Account, alice: Any, tmp_path: Path) -> None:
    path = write(tmp_path, "external_id,segment\nacct-acme,retail\n")
    call_command("import", "accounts", str(path), "--actor", "alice", stdout=io.StringIO())
    event = Event.objects.get(subject_id=acme.pk, action="updated")
    assert (event.field, event.actor, event.reason) == ("segment", alice, "CSV import")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["orders", "missing.csv"], "Cannot read missing.csv: No such file or directory"),
        (["orders", "in.csv", "--actor", "nobody"], "nobody is not an active staff member."),
    ],
)
def test_import_command_misuse_exits_2(
    db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, arguments: list[str], message: str
) -> None:
    write(tmp_path, ORDERS_HEADER)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CommandError) as info:
        call_command("import", *arguments)
    assert (info.value.returncode, str(info.value)) == (2, message)


def test_export_command_writes_a_file_that_imports_back(desk_world: None, tmp_path: Path) -> None:
    path = tmp_path / "tickets.csv"
    out = io.StringIO()
    call_command("export", "tickets", "--output", str(path), stdout=out)
    assert out.getvalue() == f"2 tickets written to {path}.\n"
    assert not list(tmp_path.glob(".*.partial"))
    out = io.StringIO()
    call_command("import", "tickets", str(path), stdout=out)
    assert out.getvalue() == "tickets: 2 rows, 0 created, 0 updated, 2 unchanged.\n"


def test_export_command_streams_to_stdout(desk_world: None) -> None:
    out = io.StringIO()
    call_command("export", "contacts", stdout=out)
    assert out.getvalue() == export_text("contacts")
    assert out.getvalue().count("\n") == 3


def test_cli_exits_2_on_an_unknown_kind(tmp_path: Path) -> None:
    env = {**os.environ, "CAREFRONT_DATA_DIR": str(tmp_path)}
    wrong = subprocess.run(
        [sys.executable, "-m", "carefront.cli", "import", "planets", "x.csv"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert wrong.returncode == 2
    assert "invalid choice: 'planets'" in wrong.stderr


@pytest.mark.parametrize("command", [ImportCommand, ExportCommand])
def test_help_lists_the_columns_of_every_kind(command: type[BaseCommand]) -> None:
    text = command().create_parser("carefront", "import").format_help()
    assert "  requester: the contact's external id, or their email within the account; new tickets only" in text
    assert '  custom_fields: a JSON object, such as {"plan": "gold"}' in text


@pytest.mark.parametrize("kind", ["accounts", "contacts", "orders", "tickets"])
def test_export_queries_do_not_grow_with_the_rows(
    desk_world: None, kind: str, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(2):
        assert export_text(kind).count("\n") > 2


def test_fast_datetime_adapter_writes_what_django_writes(db: Any) -> None:
    moments = [
        datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2025, 3, 30, 2, 30, tzinfo=ZoneInfo("Europe/Paris")),
        datetime(1999, 12, 31, 19, 0, tzinfo=ZoneInfo("America/New_York")),
    ]
    adapt = datetime_adapter()
    assert [adapt(m) for m in moments] == [connection.ops.adapt_datetimefield_value(m) for m in moments]
