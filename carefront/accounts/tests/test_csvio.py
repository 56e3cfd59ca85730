"""CSV import of accounts, contacts and orders: the rules of each kind."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from typing import Any

import pytest

from carefront.accounts.models import Account, Contact, Order
from carefront.accounts.services import order_create
from carefront.core.csvio import CsvImportError, ImportCounts, csv_import
from carefront.core.models import Event


def run_import(kind: str, text: str, actor: Any = None) -> ImportCounts:
    return csv_import(kind=kind, source=io.BytesIO(text.encode()), actor=actor)


def import_errors(kind: str, text: str) -> list[str]:
    with pytest.raises(CsvImportError) as info:
        run_import(kind, text)
    return [str(error) for error in info.value.errors]


def cell(value: Any) -> str:
    return '"' + json.dumps(value).replace('"', '""') + '"'


# Accounts ------------------------------------------------------------------------------------------


def test_served_for_may_name_a_later_row_of_the_same_file(db: Any) -> None:
    counts = run_import(
        "accounts",
        "external_id,name,served_for\nend-1,End customer,payer\npayer,Paying client,\n",
    )
    assert counts.created == 2
    end = Account.objects.get(external_id="end-1")
    assert end.served_for == Account.objects.get(external_id="payer")
    assert Event.objects.filter(subject_id=end.pk, subject_kind="account").values_list("action", flat=True).get() == (
        "imported"
    )


def test_served_for_refuses_itself_a_chain_and_an_unknown_account(db: Any) -> None:
    errors = import_errors(
        "accounts",
        "external_id,name,served_for\na,A,a\nb,B,c\nc,C,d\nd,D,\ne,E,nowhere\n",
    )
    assert errors == [
        "Row 2, column served_for: An account cannot be served for itself.",
        "Row 3, column served_for: c is itself served for another account; choose the paying account.",
        "Row 6, column served_for: No account has the external id “nowhere”.",
    ]


def test_client_without_owner_is_refused(dana: Any) -> None:
    errors = import_errors("accounts", "external_id,name,service_model,owner\nc-1,Client,client,\n")
    assert errors == ["Row 2, column owner: A client needs an owner (their advisor)."]


def test_client_with_owner_by_email_starts_in_the_client_stage(dana: Any) -> None:
    run_import("accounts", "external_id,name,service_model,owner\nc-1,Client,Client,DANA@carefront.example\n")
    account = Account.objects.get(external_id="c-1")
    assert (account.service_model, account.owner, account.lifecycle_stage) == ("client", dana, "client")


def test_owner_must_be_active_staff(dana: Any, carol: Contact) -> None:
    dana.is_active = False
    dana.save()
    errors = import_errors("accounts", "external_id,name,owner\nc-1,Client,dana\nc-2,Other,carol\n")
    assert errors == [
        "Row 2, column owner: dana cannot own accounts: only active staff can.",
        "Row 3, column owner: No staff member has the username or email “carol”.",
    ]


def test_making_an_account_a_client_is_audited_with_the_import_as_reason(acme: Account, dana: Any) -> None:
    run_import("accounts", "external_id,service_model,owner\nacct-acme,client,dana\n", actor=dana)
    acme.refresh_from_db()
    assert (acme.service_model, acme.lifecycle_stage, acme.owner, acme.version) == ("client", "client", dana, 2)
    changes = {
        (e.field, e.old_value, e.new_value, e.reason)
        for e in Event.objects.filter(subject_id=acme.pk, subject_kind="account", action="updated")
    }
    assert changes == {
        ("service_model", "customer", "client", "CSV import"),
        ("lifecycle_stage", "new", "client", "CSV import"),
        ("owner", None, "dana", "CSV import"),
    }


def test_empty_cells_clear_optional_fields_and_keep_required_ones(acme: Account) -> None:
    run_import("accounts", "external_id,name,country,locale\nacct-acme,,,\n")
    acme.refresh_from_db()
    assert (acme.name, acme.country, acme.locale) == ("Acme Ltd", "", "en-GB")


def test_the_id_form_updates_an_account_without_external_id(globex: Account) -> None:
    run_import("accounts", f"external_id,segment\nid:{globex.pk},retail\n")
    globex.refresh_from_db()
    assert (globex.segment, globex.external_id) == ("retail", None)


def test_the_id_form_never_creates(db: Any) -> None:
    errors = import_errors("accounts", "external_id,name\nid:999999,Ghost\nid:abc,Ghost\n")
    assert errors == [
        "Row 2, column external_id: Nothing has this id; the id:<number> form only names rows that exist.",
        "Row 3, column external_id: External ids starting with “id:” are reserved for id:<number> references.",
    ]


def test_custom_fields_must_be_a_json_object(db: Any) -> None:
    errors = import_errors("accounts", 'external_id,name,custom_fields\na,A,"[1, 2]"\nb,B,{oops}\n')
    assert errors == [
        "Row 2, column custom_fields: Custom fields must be an object of names to values.",
        "Row 3, column custom_fields: Not valid JSON (Expecting property name enclosed in double quotes).",
    ]


# Contacts ------------------------------------------------------------------------------------------


def test_contacts_are_created_with_the_accounts_defaults_and_audited(acme: Account) -> None:
    counts = run_import("contacts", "external_id,account,name,phone\nct-1,acct-acme,Dee,020 7183 8750\n")
    assert counts.created == 1
    contact = Contact.objects.get(external_id="ct-1")
    # A national number is read in the account's country (GB); the language follows the account's locale.
    assert (contact.account, contact.phone, contact.language) == (acme, "+442071838750", "en")
    event = Event.objects.get(subject_id=acme.pk, action="contact_added")
    assert (event.new_value, event.reason) == ("Dee", "CSV import")


def test_contact_email_is_unique_within_an_account(carol: Contact, globex: Account) -> None:
    errors = import_errors(
        "contacts",
        "external_id,account,name,email\n"
        "ct-1,acct-acme,Carol Two,carol@acme.example\n"
        f"ct-2,id:{globex.pk},Gina,gina@example.com\n"
        f"ct-3,id:{globex.pk},Gina Again,GINA@example.com\n",
    )
    assert errors == [
        "Row 2, column email: This account already has a contact with email carol@acme.example.",
        "Row 4, column email: The email gina@example.com is also on row 3 for the same account.",
    ]


def test_contact_updates_bump_the_version_and_cannot_move_accounts(carol: Contact, globex: Account) -> None:
    carol.external_id = "ct-carol"
    carol.save()
    run_import("contacts", "external_id,name,preferred_channel\nct-carol,Carol Smith,PHONE\n")
    carol.refresh_from_db()
    assert (carol.name, carol.preferred_channel, carol.version) == ("Carol Smith", "phone", 2)
    errors = import_errors("contacts", f"external_id,account\nct-carol,id:{globex.pk}\n")
    assert errors == ["Row 2, column account: A contact cannot move to another account."]


def test_a_new_contact_needs_an_account_and_a_name(acme: Account) -> None:
    errors = import_errors("contacts", "external_id,account,name\nct-1,,Dee\nct-2,acct-acme,\nct-3,nowhere,X\n")
    assert errors == [
        "Row 2, column account: This field is required.",
        "Row 3, column name: This field is required.",
        "Row 4, column account: No account has the external id “nowhere”.",
    ]


# Orders --------------------------------------------------------------------------------------------

ORDERS = "external_id,account,placed_at,amount,currency,items\n"


def test_order_amount_defaults_to_the_items_total(acme: Account) -> None:
    items = [{"sku": "A", "name": "Mug", "quantity": 3, "unit_price": "4.50"}, {"name": "Tea", "unit_price": 2}]
    run_import("orders", ORDERS + f"o-1,acct-acme,2025-03-01T12:00:00+02:00,,eur,{cell(items)}\n")
    order = Order.objects.get(external_id="o-1")
    assert (order.amount, order.currency, order.placed_at.isoformat()) == (
        Decimal("15.50"),
        "EUR",
        "2025-03-01T10:00:00+00:00",
    )
    assert list(order.items.order_by("id").values_list("sku", "name", "quantity", "unit_price")) == [
        ("A", "Mug", 3, Decimal("4.50")),
        ("", "Tea", 1, Decimal("2.00")),
    ]


def test_a_new_order_needs_an_amount_or_items(acme: Account) -> None:
    errors = import_errors("orders", ORDERS + "o-1,acct-acme,2025-01-02,,EUR,[]\no-2,acct-acme,,1,EUR,\n")
    assert errors == [
        "Row 2, column amount: Give an amount or at least one item.",
        "Row 3, column placed_at: This field is required.",
    ]


def test_order_update_replaces_items_and_bumps_the_version(acme: Account) -> None:
    order = order_create(
        actor=None, account=acme, external_id="o-1", placed_at="2025-01-02", currency="EUR", amount="10"
    )
    items = [{"name": "Kettle", "quantity": 2, "unit_price": "20"}]
    counts = run_import("orders", ORDERS + f"o-1,acct-acme,2025-01-02,,EUR,{cell(items)}\n")
    assert (counts.updated, counts.unchanged) == (1, 0)
    order.refresh_from_db()
    assert (order.amount, order.version, order.items.get().name) == (Decimal("40.00"), 2, "Kettle")
    counts = run_import("orders", ORDERS + f"o-1,acct-acme,2025-01-02,,EUR,{cell(items)}\n")
    assert (counts.updated, counts.unchanged) == (0, 1)


def test_orders_cannot_move_to_another_account(acme: Account, globex: Account) -> None:
    order_create(actor=None, account=acme, external_id="o-1", placed_at="2025-01-02", currency="EUR", amount="10")
    errors = import_errors("orders", f"external_id,account\no-1,id:{globex.pk}\n")
    assert errors == ["Row 2, column account: An order cannot move to another account."]


def test_orders_keep_their_account_when_only_other_columns_are_given(acme: Account) -> None:
    order_create(actor=None, account=acme, external_id="o-1", placed_at="2025-01-02", currency="EUR", amount="10")
    counts = run_import("orders", "external_id,currency\no-1,GBP\n")
    assert counts.updated == 1
    order = Order.objects.get(external_id="o-1")
    assert (order.account, order.currency, order.amount) == (acme, "GBP", Decimal("10.00"))
