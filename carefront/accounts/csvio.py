"""CSV import and export of accounts, contacts and orders (`carefront import|export KIND`).

Imports upsert by external id in bulk: each batch of rows is validated with the same cleaners
the services use, its references are resolved with one query, and new and changed rows are
written with bulk_create and bulk_update (orders, the large kind, with rows_insert), all inside
one transaction. An empty cell clears a field that may be empty and leaves one that may not (a
name, a locale) unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from functools import partial
from typing import Any, BinaryIO

from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carefront.accounts.models import (
    Account,
    AccountKind,
    Channel,
    Contact,
    LifecycleStage,
    Order,
    OrderItem,
    ServiceModel,
)
from carefront.accounts.services import (
    OrderLine,
    _clean_account_value,
    _service_model_apply,
    order_lines_clean,
    owner_validate,
)
from carefront.core.csvio import (
    BatchImport,
    ChangeSet,
    Cleaners,
    Column,
    CsvImportError,
    CsvKind,
    CsvRow,
    ImportCounts,
    RowErrors,
    StaffDirectory,
    choice_parse,
    chunked,
    csv_kind_register,
    csv_rows,
    datetime_adapter,
    datetime_cell,
    external_id_clean,
    id_reference,
    ids_by_external_id,
    json_cell,
    json_parse,
    list_cell,
    list_parse,
    reference_cell,
    rows_by_reference,
    rows_clean,
    rows_insert,
    tags_of,
    tags_replace,
    unknown_id_error,
    values_by_reference,
)
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Event, Tag
from carefront.core.services import Actor, Change, tag_names_normalise
from carefront.core.validation import (
    clean_choice,
    clean_currency,
    clean_datetime,
    clean_decimal,
    clean_email,
    clean_locale,
    clean_phone,
    clean_text,
)
from carefront.relationships.services_health import health_mark_stale

EXPORT_CHUNK = 2000


def _required(column: str) -> ApplicationError:
    return ApplicationError(_("This field is required."), field=column)


def _no_account(column: str, reference: str) -> ApplicationError:
    return ApplicationError(
        _("No account has the external id “{reference}”.").format(reference=reference[:100]), field=column
    )


# Accounts ---------------------------------------------------------------------------------------

ACCOUNT_COLUMNS = (
    Column("external_id", gettext_lazy("your id for the account; matches an existing account to update"), True),
    Column("name", gettext_lazy("required for a new account")),
    Column("kind", gettext_lazy("person or organisation (default person)")),
    Column("service_model", gettext_lazy("customer or client (default customer); a client needs an owner")),
    Column("lifecycle_stage", gettext_lazy("prospect, new, repeat, client, at_risk or churned")),
    Column("owner", gettext_lazy("the advisor: a staff member's username or email")),
    Column("locale", gettext_lazy("language code such as en or fr-CA (default en)")),
    Column("time_zone", gettext_lazy("IANA time zone such as Europe/Paris (default UTC)")),
    Column("country", gettext_lazy("ISO 3166 code such as FR")),
    Column("segment", gettext_lazy("free text, up to 64 characters")),
    Column("tags", gettext_lazy("tags separated by ;")),
    Column("served_for", gettext_lazy("external id of the paying account (may be a row of the same file)")),
    Column("custom_fields", gettext_lazy('a JSON object, such as {"plan": "gold"}')),
)

ACCOUNT_CLEANERS: Cleaners = {
    "external_id": external_id_clean,
    "name": lambda v: _clean_account_value("name", v),
    "kind": lambda v: _clean_account_value("kind", choice_parse(v)),
    "service_model": lambda v: clean_choice(choice_parse(v), choices=ServiceModel.values, field="service_model"),
    "lifecycle_stage": lambda v: _clean_account_value("lifecycle_stage", choice_parse(v)),
    "locale": lambda v: _clean_account_value("locale", v),
    "time_zone": lambda v: _clean_account_value("time_zone", v),
    "country": lambda v: _clean_account_value("country", v),
    "segment": lambda v: _clean_account_value("segment", v),
    "tags": lambda v: tag_names_normalise(list_parse(v)),
    "served_for": external_id_clean,
    "custom_fields": lambda v: _clean_account_value("custom_fields", json_parse(v, column="custom_fields")),
}
# Fields that keep their value when the cell is empty, and those an empty cell clears.
ACCOUNT_KEPT = ("name", "kind", "lifecycle_stage", "locale", "time_zone")
ACCOUNT_CLEARED: tuple[tuple[str, Any], ...] = (("country", ""), ("segment", ""), ("custom_fields", {}))


class _AccountsImport(BatchImport):
    """One accounts import: its options, what it has seen so far, and its counts."""

    cleaners = ACCOUNT_CLEANERS

    def __init__(self, *, columns: frozenset[str], actor: Actor, errors: RowErrors | None) -> None:
        super().__init__(columns=columns, actor=actor, errors=errors)
        self.staff = StaffDirectory() if "owner" in columns else None
        # For served_for, resolved once every row is known because it may name a later row.
        self.row_of_alias: dict[str, int] = {}
        self.pk_of_row: dict[int, int] = {}
        self.target_of_row: dict[int, str | None] = {}
        self.created: set[int] = set()
        self.bumped: set[int] = set()

    def _owner(self, values: dict[str, Any]) -> Any:
        reference = values.get("owner")
        if reference is None or self.staff is None:
            return None
        return self.staff.get(reference, column="owner")

    def _new(self, reference: str, values: dict[str, Any]) -> tuple[Account, list[str]]:
        if id_reference(reference) is not None:
            raise unknown_id_error()
        if values.get("name") is None:
            raise _required("name")
        account = Account(
            external_id=reference,
            name=values["name"],
            kind=values.get("kind") or AccountKind.PERSON,
            locale=values.get("locale") or "en",
            time_zone=values.get("time_zone") or "UTC",
            country=values.get("country") or "",
            segment=values.get("segment") or "",
            custom_fields=values.get("custom_fields") or {},
            lifecycle_stage=LifecycleStage.NEW,
            created_at=self.now,
            updated_at=self.now,
        )
        owner = self._owner(values)
        owner_validate(owner)
        # The same rules as changing an existing account: a client needs an owner and starts as a client.
        _service_model_apply(
            account=account,
            service_model=values.get("service_model") or ServiceModel.CUSTOMER,
            owner=owner,
            reason=self.reason,
        )
        if values.get("lifecycle_stage"):
            account.lifecycle_stage = values["lifecycle_stage"]
        return account, values.get("tags") or []

    def _changed(self, account: Account, values: dict[str, Any], old_tags: list[str]) -> tuple[ChangeSet, list[str]]:
        changes = ChangeSet()
        if "service_model" in self.columns or "owner" in self.columns:
            owner = self._owner(values) if "owner" in self.columns else account.owner
            service_model = values.get("service_model") or account.service_model
            for change in _service_model_apply(
                account=account, service_model=service_model, owner=owner, reason=self.reason
            ):
                changes.record(change.field, change.old, change.new)
        for field in ACCOUNT_KEPT:
            if values.get(field) is not None:
                changes.record(field, getattr(account, field), values[field])
                setattr(account, field, values[field])
        for field, empty in ACCOUNT_CLEARED:
            if field in self.columns:
                value = values[field] if values.get(field) is not None else empty
                changes.record(field, getattr(account, field), value)
                setattr(account, field, value)
        tags = old_tags
        if "tags" in self.columns:
            tags = values.get("tags") or []
            changes.record("tags", old_tags, tags)
        return changes, tags

    def batch(self, cleaned: list[tuple[CsvRow, str, dict[str, Any]]]) -> None:
        existing = rows_by_reference(
            Account.objects.select_for_update(of=("self",)).select_related("owner"), (r for _, r, _ in cleaned)
        )
        old_tags = tags_of(Account.tags.through, "account", (a.pk for a in existing.values()))
        created: list[tuple[int, Account, list[str]]] = []
        updated: list[tuple[Account, ChangeSet, list[str]]] = []
        for row, reference, values in cleaned:
            account = existing.get(reference)
            try:
                if account is None:
                    created.append((row.number, *self._new(reference, values)))
                else:
                    changes, tags = self._changed(account, values, old_tags.get(account.pk, []))
                    if changes:
                        updated.append((account, changes, tags))
                    else:
                        self.counts.unchanged += 1
            except ApplicationError as exc:
                self.errors.add_exception(row.number, exc)
                continue
            self.row_of_alias[reference] = row.number
            if account is not None:
                self.pk_of_row[row.number] = account.pk
                self.row_of_alias[f"id:{account.pk}"] = row.number
                if account.external_id:
                    self.row_of_alias[account.external_id] = row.number
            if "served_for" in self.columns:
                self.target_of_row[row.number] = values.get("served_for")
        if self.errors:
            return
        self._write(created, updated)

    def _write(
        self, created: list[tuple[int, Account, list[str]]], updated: list[tuple[Account, ChangeSet, list[str]]]
    ) -> None:
        events: list[Event] = []
        if created:
            Account.objects.bulk_create([account for _, account, _ in created])
            tags_replace(Account.tags.through, "account", {a.pk: tags for _, a, tags in created if tags})
            for number, account, _ in created:
                self.pk_of_row[number] = account.pk
                self.created.add(account.pk)
                events += self.events("account", account.pk, "imported")
            self.counts.created += len(created)
        if updated:
            fields: set[str] = set()
            for account, changes, _ in updated:
                account.version += 1
                account.updated_at = self.now
                fields |= changes.fields() - {"tags"}
                self.bumped.add(account.pk)
                events += self.events("account", account.pk, "updated", changes.changes.values())
            Account.objects.bulk_update([a for a, _, _ in updated], sorted(fields | {"version", "updated_at"}))
            tags_replace(
                Account.tags.through,
                "account",
                {a.pk: tags for a, changes, tags in updated if "tags" in changes.changes},
            )
            self.counts.updated += len(updated)
        Event.objects.bulk_create(events)

    def finish(self) -> None:
        """Check and set served_for once every row of the file is known."""
        targets = {t for t in self.target_of_row.values() if t is not None and t not in self.row_of_alias}
        outside: dict[str, Account] = {}
        for batch in chunked(targets):
            outside |= rows_by_reference(Account.objects.only("id", "external_id", "name", "served_for"), batch)
        for number, target in self.target_of_row.items():
            if target is None:
                continue
            target_row = self.row_of_alias.get(target)
            if target_row == number:
                self.errors.add(number, "served_for", _("An account cannot be served for itself."))
            elif target_row is not None:
                if self.target_of_row.get(target_row) is not None:
                    self.errors.add(
                        number,
                        "served_for",
                        _("{name} is itself served for another account; choose the paying account.").format(
                            name=target
                        ),
                    )
            elif target not in outside:
                self.errors.add(number, "served_for", _no_account("served_for", target).message)
            elif outside[target].served_for_id is not None:
                self.errors.add(
                    number,
                    "served_for",
                    _("{name} is itself served for another account; choose the paying account.").format(
                        name=outside[target].name
                    ),
                )
        if self.errors:
            return
        wanted: dict[int, int | None] = {}
        for number, target in self.target_of_row.items():
            if target is None:
                target_pk = None
            elif target in outside:
                target_pk = outside[target].pk
            else:
                target_pk = self.pk_of_row[self.row_of_alias[target]]
            wanted[self.pk_of_row[number]] = target_pk
        self._served_for_write(wanted)

    def _served_for_write(self, wanted: dict[int, int | None]) -> None:
        events: list[Event] = []
        for batch in chunked(list(wanted)):
            changed: list[Account] = []
            for account in Account.objects.filter(pk__in=batch).only("id", "served_for", "version"):
                new = wanted[account.pk]
                if account.served_for_id == new:
                    continue
                if account.pk not in self.created:
                    events += self.events(
                        "account", account.pk, "updated", [Change("served_for", account.served_for_id, new)]
                    )
                    if account.pk not in self.bumped:
                        self.bumped.add(account.pk)
                        account.version += 1
                        self.counts.unchanged -= 1
                        self.counts.updated += 1
                account.served_for_id = new
                account.updated_at = self.now
                changed.append(account)
            Account.objects.bulk_update(changed, ["served_for", "version", "updated_at"])
        Event.objects.bulk_create(events)


@transaction.atomic
def accounts_import_rows(
    *, rows: Iterable[CsvRow], columns: frozenset[str], actor: Actor, errors: RowErrors | None = None
) -> ImportCounts:
    """Create or update accounts from CSV rows, all or nothing; raises CsvImportError listing every problem."""
    return _AccountsImport(columns=columns, actor=actor, errors=errors).run(rows)


def accounts_export_rows() -> Iterator[list[str]]:
    """Every account as CSV cells in ACCOUNT_COLUMNS order, by id, a chunk at a time."""
    accounts = (
        Account.objects.select_related("owner", "served_for")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.only("id", "name")))
        .order_by("id")
    )
    for account in accounts.iterator(chunk_size=EXPORT_CHUNK):
        served_for = account.served_for
        yield [
            reference_cell(account.pk, account.external_id),
            account.name,
            account.kind,
            account.service_model,
            account.lifecycle_stage,
            account.owner.get_username() if account.owner else "",
            account.locale,
            account.time_zone,
            account.country,
            account.segment,
            list_cell(sorted(tag.name for tag in account.tags.all())),
            reference_cell(served_for.pk, served_for.external_id) if served_for else "",
            json_cell(account.custom_fields) if account.custom_fields else "",
        ]


# Contacts ---------------------------------------------------------------------------------------

CONTACT_COLUMNS = (
    Column("external_id", gettext_lazy("your id for the contact; matches an existing contact to update"), True),
    Column("account", gettext_lazy("external id of the contact's account; required for a new contact")),
    Column("name", gettext_lazy("required for a new contact")),
    Column("email", gettext_lazy("unique within the account")),
    Column("phone", gettext_lazy("international form such as +33142685300, or national in the account's country")),
    Column("language", gettext_lazy("language code (default: the account's locale)")),
    Column("preferred_channel", gettext_lazy("email, portal, chat, phone, social or api (default email)")),
)

CONTACT_CLEANERS: Cleaners = {
    "external_id": external_id_clean,
    "account": external_id_clean,
    "name": lambda v: clean_text(v, field="name", max_length=200, required=True),
    "email": clean_email,
    "language": lambda v: clean_locale(v, field="language"),
    "preferred_channel": lambda v: clean_choice(choice_parse(v), choices=Channel.values, field="preferred_channel"),
}


class _ContactsImport(BatchImport):
    """One contacts import: its options, what it has seen so far, and its counts."""

    cleaners = CONTACT_CLEANERS

    def __init__(self, *, columns: frozenset[str], actor: Actor, errors: RowErrors | None) -> None:
        super().__init__(columns=columns, actor=actor, errors=errors)
        self.emails: dict[tuple[int, str], int] = {}

    def batch(self, cleaned: list[tuple[CsvRow, str, dict[str, Any]]]) -> None:
        existing = rows_by_reference(
            Contact.objects.select_for_update(of=("self",)).select_related("account"), (r for _, r, _ in cleaned)
        )
        accounts = rows_by_reference(
            Account.objects.only("id", "external_id", "country", "locale"),
            {v["account"] for _, _, v in cleaned if v.get("account")},
        )
        account_ids = {a.pk for a in accounts.values()} | {c.account_id for c in existing.values()}
        emails = {v["email"] for _, _, v in cleaned if v.get("email")}
        taken = {
            (account_id, email): pk
            for pk, account_id, email in Contact.objects.filter(
                account_id__in=account_ids, email__in=emails
            ).values_list("pk", "account_id", "email")
        }
        created: list[Contact] = []
        updated: list[tuple[Contact, set[str]]] = []
        for row, reference, values in cleaned:
            try:
                contact = existing.get(reference)
                result = self._apply(contact, reference, values, accounts, taken, row.number)
            except ApplicationError as exc:
                self.errors.add_exception(row.number, exc)
                continue
            if contact is None:
                created.append(result[0])
            elif result[1]:
                updated.append(result)
            else:
                self.counts.unchanged += 1
        if self.errors:
            return
        self._write(created, updated)

    def _apply(
        self,
        contact: Contact | None,
        reference: str,
        values: dict[str, Any],
        accounts: dict[str, Account],
        taken: dict[tuple[int, str], int],
        number: int,
    ) -> tuple[Contact, set[str]]:
        account: Account | None = None
        if values.get("account") is not None:
            account = accounts.get(values["account"])
            if account is None:
                raise _no_account("account", values["account"])
        if contact is None:
            if id_reference(reference) is not None:
                raise unknown_id_error()
            if account is None:
                raise _required("account")
            if values.get("name") is None:
                raise _required("name")
            contact = Contact(
                account=account,
                external_id=reference,
                name=values["name"],
                language=account.locale.split("-")[0].split("_")[0],
                preferred_channel=Channel.EMAIL,
                created_at=self.now,
                updated_at=self.now,
            )
        elif account is not None and account.pk != contact.account_id:
            raise ApplicationError(_("A contact cannot move to another account."), field="account")
        region = contact.account.country
        changed: set[str] = set()
        proposed: dict[str, Any] = {}
        for field in ("name", "language", "preferred_channel"):
            if values.get(field) is not None:
                proposed[field] = values[field]
        if "email" in self.columns:
            proposed["email"] = values.get("email") or ""
        if "phone" in self.columns:
            proposed["phone"] = clean_phone(values.get("phone") or "", region=region)
        for field, value in proposed.items():
            if getattr(contact, field) != value:
                setattr(contact, field, value)
                changed.add(field)
        if "email" in changed and contact.email:
            key = (contact.account_id, contact.email)
            other = taken.get(key)
            if key in self.emails:
                raise ApplicationError(
                    _("The email {email} is also on row {row} for the same account.").format(
                        email=contact.email, row=self.emails[key]
                    ),
                    field="email",
                )
            if other is not None and other != contact.pk:
                raise ApplicationError(
                    _("This account already has a contact with email {email}.").format(email=contact.email),
                    field="email",
                )
            self.emails[key] = number
        return contact, changed

    def _write(self, created: list[Contact], updated: list[tuple[Contact, set[str]]]) -> None:
        events: list[Event] = []
        if created:
            Contact.objects.bulk_create(created)
            for contact in created:
                # The same audit trail as contact_create: the account gained a contact.
                events += self.events(
                    "account", contact.account_id, "contact_added", [Change("contact", None, contact.name)]
                )
            self.counts.created += len(created)
        if updated:
            fields: set[str] = set()
            for contact, changed in updated:
                contact.version += 1
                contact.updated_at = self.now
                fields |= changed
            Contact.objects.bulk_update([c for c, _ in updated], sorted(fields | {"version", "updated_at"}))
            self.counts.updated += len(updated)
        Event.objects.bulk_create(events)


@transaction.atomic
def contacts_import_rows(
    *, rows: Iterable[CsvRow], columns: frozenset[str], actor: Actor, errors: RowErrors | None = None
) -> ImportCounts:
    """Create or update contacts from CSV rows, all or nothing; raises CsvImportError listing every problem."""
    return _ContactsImport(columns=columns, actor=actor, errors=errors).run(rows)


def contacts_export_rows() -> Iterator[list[str]]:
    """Every contact as CSV cells in CONTACT_COLUMNS order, by id, a chunk at a time."""
    contacts = Contact.objects.select_related("account").order_by("id")
    for contact in contacts.iterator(chunk_size=EXPORT_CHUNK):
        yield [
            reference_cell(contact.pk, contact.external_id),
            reference_cell(contact.account_id, contact.account.external_id),
            contact.name,
            contact.email,
            contact.phone,
            contact.language,
            contact.preferred_channel,
        ]


# A client's customer list -----------------------------------------------------------------------

CUSTOMER_COLUMNS = (
    Column("external_id", gettext_lazy("the client's own id for its customer; matches one imported before"), True),
    Column("name", gettext_lazy("the customer's name; required for a new customer")),
    Column("email", gettext_lazy("where the customer's surveys go")),
    Column("phone", gettext_lazy("international form such as +33142685300, or national in the country given")),
    Column("language", gettext_lazy("language code such as en or fr (default en): the surveys' language")),
    Column("country", gettext_lazy("ISO 3166 code such as FR")),
    Column("kind", gettext_lazy("person or organisation (default person)")),
)
# The customer file's columns that feed the account and the contact of each customer.
_CUSTOMER_ACCOUNT = {"external_id": "external_id", "name": "name", "country": "country", "kind": "kind"}
_CUSTOMER_CONTACT = {"external_id": "external_id", "name": "name", "email": "email", "phone": "phone"}
# A column of the account or contact import named back as the customer file calls it.
_CUSTOMER_COLUMN_OF = {"locale": "language", "account": "external_id", "served_for": "external_id"}


def customer_external_id(client: Account, reference: str) -> str:
    """Where a client's own id for its customer is kept: prefixed with the client, so two clients' customer
    number 1001 are two accounts (external ids are unique across all accounts)."""
    return f"client-{client.pk}:{reference}"


def _customer_rows(client: Account, rows: list[CsvRow], columns: frozenset[str]) -> tuple[list[CsvRow], list[CsvRow]]:
    """Each customer row as an accounts row (served for the client) and a contacts row, with the same row
    number so that every error names the customer file's row."""
    client_reference = reference_cell(client.pk, client.external_id)
    accounts: list[CsvRow] = []
    contacts: list[CsvRow] = []
    for row in rows:
        reference = row.values.get("external_id", "").strip()
        key = customer_external_id(client, reference) if reference else ""
        account = {target: row.values[source] for source, target in _CUSTOMER_ACCOUNT.items() if source in columns}
        account |= {"external_id": key, "served_for": client_reference}
        contact = {target: row.values[source] for source, target in _CUSTOMER_CONTACT.items() if source in columns}
        contact |= {"external_id": key, "account": key}
        if "language" in columns:
            account["locale"] = contact["language"] = row.values["language"]
        accounts.append(CsvRow(row.number, account))
        contacts.append(CsvRow(row.number, contact))
    return accounts, contacts


def _customer_errors(errors: RowErrors, found: CsvImportError, client: Account) -> None:
    """The account and contact imports' errors, named by the customer file's columns and ids, once each."""
    seen = {(error.row, error.column) for error in errors.items}
    prefix = customer_external_id(client, "")
    for error in found.errors:
        column = _CUSTOMER_COLUMN_OF.get(error.column, error.column)
        if (error.row, column) not in seen:
            seen.add((error.row, column))
            errors.add(error.row, column, error.message.replace(prefix, ""))


def client_customers_import(*, client: Account, source: BinaryIO, actor: Actor) -> ImportCounts:
    """A client's list of its own customers: each row becomes (or updates) an account served for the client
    with one contact, through the accounts and contacts imports and their checks. All or nothing: any wrong
    row raises CsvImportError with every problem by row and column (as the customer file names them)."""
    if client.service_model != ServiceModel.CLIENT:
        raise ApplicationError(_("Only a client supplies a list of its customers."), field="account")
    if client.served_for_id is not None:
        raise ApplicationError(_("This client is itself served for another account."), field="account")
    kind = CsvKind(
        name="customers", help="", columns=CUSTOMER_COLUMNS, import_rows=accounts_import_rows, export_rows=list
    )
    errors = RowErrors()
    columns, reader = csv_rows(source=source, kind=kind, errors=errors)
    rows = list(reader)
    account_rows, contact_rows = _customer_rows(client, rows, columns)
    account_columns = frozenset({_CUSTOMER_ACCOUNT[c] for c in columns if c in _CUSTOMER_ACCOUNT}) | {
        "external_id",
        "served_for",
    }
    contact_columns = frozenset({_CUSTOMER_CONTACT[c] for c in columns if c in _CUSTOMER_CONTACT}) | {
        "external_id",
        "account",
    }
    if "language" in columns:
        account_columns |= {"locale"}
        contact_columns |= {"language"}
    with transaction.atomic():
        try:
            with transaction.atomic():
                counts = _AccountsImport(columns=account_columns, actor=actor, errors=None).run(account_rows)
        except CsvImportError as found:
            _customer_errors(errors, found, client)
            # The contacts' own checks (an email, a phone) still report, though their accounts were not written.
            contacts_check = RowErrors()
            rows_clean(contact_rows, CONTACT_CLEANERS, contacts_check, {})
            _customer_errors(errors, CsvImportError(contacts_check.items, contacts_check.total), client)
            errors.raise_if_any()
            raise
        try:
            _ContactsImport(columns=contact_columns, actor=actor, errors=None).run(contact_rows)
        except CsvImportError as found:
            _customer_errors(errors, found, client)
        errors.raise_if_any()
    return counts


# Orders -----------------------------------------------------------------------------------------

ORDER_COLUMNS = (
    Column("external_id", gettext_lazy("your id for the order; matches an existing order to update"), True),
    Column("account", gettext_lazy("external id of the buying account; required for a new order")),
    Column("placed_at", gettext_lazy("ISO 8601 time such as 2025-03-01T14:30:00Z; required for a new order")),
    Column("amount", gettext_lazy("decimal such as 129.90; empty means the items' total")),
    Column("currency", gettext_lazy("ISO 4217 code such as EUR; required for a new order")),
    Column("items", gettext_lazy("JSON array of {sku, name, category, quantity, unit_price}; may be []")),
)

ORDER_CLEANERS: Cleaners = {
    "external_id": external_id_clean,
    "account": external_id_clean,
    "placed_at": partial(clean_datetime, field="placed_at"),
    "amount": partial(clean_decimal, field="amount"),
    "currency": clean_currency,
    "items": lambda v: order_lines_clean(json_parse(v, column="items")),
}
ORDER_INSERT_FIELDS = (
    "account",
    "external_id",
    "placed_at",
    "amount",
    "currency",
    "version",
    "created_at",
    "updated_at",
)
ORDER_ITEM_FIELDS = ("order", "sku", "name", "category", "quantity", "unit_price")


def _lines_total(lines: list[OrderLine]) -> Decimal:
    return clean_decimal(sum((line[4] * line[3] for line in lines), Decimal("0")), field="amount")


class _OrdersImport(BatchImport):
    """The hot path of imports (100,000s of rows): tuples instead of model instances, rows_insert for new rows."""

    cleaners = ORDER_CLEANERS

    def __init__(self, *, columns: frozenset[str], actor: Actor, errors: RowErrors | None) -> None:
        super().__init__(columns=columns, actor=actor, errors=errors)
        self.account_pks: dict[str, int] = {}
        self.db_datetime = datetime_adapter()
        self.db_now = self.db_datetime(self.now)

    def _accounts_resolve(self, references: set[str]) -> None:
        """Learn the ids of accounts not met in earlier batches, in one query."""
        missing = references - self.account_pks.keys()
        found = values_by_reference(Account.objects.all(), missing)
        self.account_pks.update({reference: row[0] for reference, row in found.items()})

    def batch(self, cleaned: list[tuple[CsvRow, str, dict[str, Any]]]) -> None:
        self._accounts_resolve({v["account"] for _, _, v in cleaned if v.get("account")})
        # A plain query first: in the usual import of new orders it finds none and the ORM query is skipped.
        present = ids_by_external_id(Order, [r for _, r, _ in cleaned])
        existing = values_by_reference(
            Order.objects.select_for_update(),
            (r for _, r, _ in cleaned if r in present or id_reference(r) is not None),
            "account_id",
            "placed_at",
            "amount",
            "currency",
            "version",
        )
        old_lines: dict[int, list[OrderLine]] = {}
        if existing and "items" in self.columns:
            for order_id, *line in (
                OrderItem.objects.filter(order_id__in=[row[0] for row in existing.values()])
                .order_by("id")
                .values_list("order_id", "sku", "name", "category", "quantity", "unit_price")
            ):
                old_lines.setdefault(order_id, []).append(tuple(line))  # type: ignore[arg-type]
        created: list[tuple[tuple[Any, ...], list[OrderLine]]] = []
        updated: list[tuple[Order, list[str], list[OrderLine] | None]] = []
        for row, reference, values in cleaned:
            current = existing.get(reference)
            try:
                account_id = None
                if values.get("account") is not None:
                    account_id = self.account_pks.get(values["account"])
                    if account_id is None:
                        raise _no_account("account", values["account"])
                if current is None:
                    created.append(self._new(reference, account_id, values))
                    continue
                change = self._changed(current, account_id, values, old_lines.get(current[0], []))
            except ApplicationError as exc:
                self.errors.add_exception(row.number, exc)
                continue
            if change is None:
                self.counts.unchanged += 1
            else:
                updated.append(change)
        if self.errors:
            return
        self._write(created, updated)

    def _new(
        self, reference: str, account_id: int | None, values: dict[str, Any]
    ) -> tuple[tuple[Any, ...], list[OrderLine]]:
        if id_reference(reference) is not None:
            raise unknown_id_error()
        for column in ("account", "placed_at", "currency"):
            if values.get(column) is None:
                raise _required(column)
        lines: list[OrderLine] = values.get("items") or []
        amount = values.get("amount")
        if amount is None:
            if not lines:
                raise ApplicationError(_("Give an amount or at least one item."), field="amount")
            amount = _lines_total(lines)
        row = (
            account_id,
            reference,
            self.db_datetime(values["placed_at"]),
            amount,
            values["currency"],
            1,
            self.db_now,
            self.db_now,
        )
        return row, lines

    def _changed(
        self, current: tuple[Any, ...], account_id: int | None, values: dict[str, Any], old_lines: list[OrderLine]
    ) -> tuple[Order, list[str], list[OrderLine] | None] | None:
        pk, current_account_id, placed_at, amount, currency, version = current
        if account_id is not None and account_id != current_account_id:
            raise ApplicationError(_("An order cannot move to another account."), field="account")
        lines: list[OrderLine] | None = None
        if "items" in self.columns:
            new_lines: list[OrderLine] = values.get("items") or []
            if new_lines != old_lines:
                lines = new_lines
        new_amount = values.get("amount")
        if new_amount is None and values.get("items"):
            new_amount = _lines_total(values["items"])
        order = Order(pk=pk, version=version + 1, updated_at=self.now)
        changed: list[str] = []
        for field, old, new in (
            ("placed_at", placed_at, values.get("placed_at")),
            ("amount", amount, new_amount),
            ("currency", currency, values.get("currency")),
        ):
            if new is not None and new != old:
                setattr(order, field, new)
                changed.append(field)
        if not changed and lines is None:
            return None
        return order, changed, lines

    def _write(
        self,
        created: list[tuple[tuple[Any, ...], list[OrderLine]]],
        updated: list[tuple[Order, list[str], list[OrderLine] | None]],
    ) -> None:
        if updated:
            fields: set[str] = set()
            for _, changed, _ in updated:
                fields.update(changed)
            Order.objects.bulk_update([order for order, _, _ in updated], sorted(fields | {"version", "updated_at"}))
            replaced = [(order.pk, lines) for order, _, lines in updated if lines is not None]
            OrderItem.objects.filter(order_id__in=[pk for pk, _ in replaced]).delete()
            rows_insert(OrderItem, ORDER_ITEM_FIELDS, [(pk, *line) for pk, lines in replaced for line in lines])
            self.counts.updated += len(updated)
        if created:
            rows_insert(Order, ORDER_INSERT_FIELDS, [row for row, _ in created])
            pks = ids_by_external_id(Order, [row[1] for row, _ in created])
            rows_insert(
                OrderItem, ORDER_ITEM_FIELDS, [(pks[row[1]], *line) for row, lines in created for line in lines]
            )
            self.counts.created += len(created)
            # New orders move their clients' spend trend (corrections are left to the hourly recompute).
            health_mark_stale(account_ids={row[0] for row, _ in created})


@transaction.atomic
def orders_import_rows(
    *, rows: Iterable[CsvRow], columns: frozenset[str], actor: Actor, errors: RowErrors | None = None
) -> ImportCounts:
    """Create or update orders and their items from CSV rows, all or nothing; raises CsvImportError."""
    return _OrdersImport(columns=columns, actor=actor, errors=errors).run(rows)


def orders_export_rows() -> Iterator[list[str]]:
    """Every order with its items as CSV cells in ORDER_COLUMNS order, by id, a chunk at a time."""
    orders = (
        Order.objects.select_related("account")
        .only("id", "external_id", "placed_at", "amount", "currency", "account__id", "account__external_id")
        .prefetch_related(Prefetch("items", queryset=OrderItem.objects.order_by("id")))
        .order_by("id")
    )
    for order in orders.iterator(chunk_size=EXPORT_CHUNK):
        items = [
            {
                "sku": item.sku,
                "name": item.name,
                "category": item.category,
                "quantity": item.quantity,
                "unit_price": str(item.unit_price),
            }
            for item in order.items.all()
        ]
        yield [
            reference_cell(order.pk, order.external_id),
            reference_cell(order.account_id, order.account.external_id),
            datetime_cell(order.placed_at),
            str(order.amount),
            order.currency,
            json_cell(items),
        ]


csv_kind_register(
    CsvKind(
        name="accounts",
        help=gettext_lazy("accounts, one per row; served_for may name another row of the file"),
        columns=ACCOUNT_COLUMNS,
        import_rows=accounts_import_rows,
        export_rows=accounts_export_rows,
    )
)
csv_kind_register(
    CsvKind(
        name="contacts",
        help=gettext_lazy("contacts of existing accounts, one per row"),
        columns=CONTACT_COLUMNS,
        import_rows=contacts_import_rows,
        export_rows=contacts_export_rows,
    )
)
csv_kind_register(
    CsvKind(
        name="orders",
        help=gettext_lazy("orders of existing accounts, one per row with its items as JSON"),
        columns=ORDER_COLUMNS,
        import_rows=orders_import_rows,
        export_rows=orders_export_rows,
    )
)
