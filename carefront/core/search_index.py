"""The full-text index behind global search, on each database.

SQLite: FTS5 external-content tables over tickets, messages, accounts and contacts, kept current by triggers
(so bulk inserts, imports and raw SQL are indexed too). PostgreSQL: GIN indexes over the same text (over
expressions, and for message bodies over a stored generated column), which the database keeps current by
itself; `carefront.core.search` queries them through `django.contrib.postgres.search`.

The same words match on both: punctuation separates words, case and accents are ignored ("reclamation"
finds "réclamation"), and e-mail addresses and phone numbers are also matched as substrings (trigrams).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.models import Expression, F, Func, TextField, Value

# --- SQLite: FTS5 ---------------------------------------------------------------------------------------------

# unicode61 splits on anything but letters and digits; remove_diacritics 2 folds accents, also in words
# written with combining characters.
WORDS = "unicode61 remove_diacritics 2"
# Trigrams find any substring of three characters or more, case-insensitively: e-mail and phone fragments.
TRIGRAMS = "trigram"


@dataclass(frozen=True)
class FtsTable:
    """One FTS5 table that mirrors some text columns of a model table, row for row (same rowid)."""

    name: str
    source: str
    columns: tuple[str, ...]
    tokenize: str
    prefix: str = ""

    def create_sql(self) -> str:
        columns = ", ".join(f'"{column}"' for column in self.columns)
        prefix = f", prefix='{self.prefix}'" if self.prefix else ""
        return (
            f'CREATE VIRTUAL TABLE IF NOT EXISTS "{self.name}" USING fts5({columns}, '
            f"content='{self.source}', content_rowid='id', tokenize='{self.tokenize}'{prefix})"
        )

    def _values(self, row: str) -> str:
        return ", ".join(f'{row}."{column}"' for column in self.columns)

    def trigger_sql(self) -> list[str]:
        """Insert, delete and update triggers; an external-content delete must repeat the old values exactly."""
        columns = ", ".join(f'"{column}"' for column in self.columns)
        # Names are this module's constants, never input.
        insert = f'INSERT INTO "{self.name}"(rowid, {columns}) VALUES (new."id", {self._values("new")});'  # noqa: S608
        delete = (
            f'INSERT INTO "{self.name}"("{self.name}", rowid, {columns}) '  # noqa: S608
            f"VALUES ('delete', old.\"id\", {self._values('old')});"
        )
        watched = ", ".join(f'"{column}"' for column in ("id", *self.columns))
        changed = " OR ".join(f'old."{column}" IS NOT new."{column}"' for column in ("id", *self.columns))
        return [
            f'CREATE TRIGGER IF NOT EXISTS "{self.name}_ai" AFTER INSERT ON "{self.source}" BEGIN {insert} END',
            f'CREATE TRIGGER IF NOT EXISTS "{self.name}_ad" AFTER DELETE ON "{self.source}" BEGIN {delete} END',
            # Only when an indexed column really changes: status or assignee updates cost nothing.
            f'CREATE TRIGGER IF NOT EXISTS "{self.name}_au" AFTER UPDATE OF {watched} ON "{self.source}" '
            f"WHEN {changed} BEGIN {delete} {insert} END",
        ]

    @property
    def trigger_names(self) -> tuple[str, ...]:
        return (f"{self.name}_ai", f"{self.name}_ad", f"{self.name}_au")


# Prefix indexes for 2 to 5 characters: without them "inv*" merges the lists of every word starting with "inv",
# 20-100 ms over a million subjects; with them a few ms, for a table about three times larger.
TICKETS = FtsTable("search_ticket_fts", "desk_ticket", ("subject", "number"), WORDS, prefix="2 3 4 5")
MESSAGES = FtsTable("search_message_fts", "desk_message", ("body_text",), WORDS)
ACCOUNTS = FtsTable("search_account_fts", "accounts_account", ("name", "external_id"), WORDS)
CONTACTS = FtsTable("search_contact_fts", "accounts_contact", ("name",), WORDS)
CONTACT_TRIGRAMS = FtsTable("search_contact_trigram", "accounts_contact", ("email", "phone"), TRIGRAMS)
FTS_TABLES = (TICKETS, MESSAGES, ACCOUNTS, CONTACTS, CONTACT_TRIGRAMS)


# --- PostgreSQL: expression GIN indexes ----------------------------------------------------------------------

# 'simple' (no stemming, no stop words: right for every language) with accents folded by unaccent.
PG_CONFIG = "carefront_search"
# POSIX punctuation becomes a space before parsing, so "ACC-0000001", "carol@acme.example" and "+4420…"
# split into words as SQLite's unicode61 splits them (PostgreSQL's parser keeps e-mails and signed numbers whole).
PUNCTUATION = "[[:punct:]]+"


def _words(field: str) -> Func:
    return Func(
        F(field), Value(PUNCTUATION), Value(" "), Value("g"), function="regexp_replace", output_field=TextField()
    )


def ticket_vector() -> SearchVector:
    return SearchVector(_words("subject"), "number", config=PG_CONFIG)


# Messages keep their vector in a stored generated column (PostgreSQL computes it on every insert and
# update), not only in an expression index: search walks the newest messages and tests each one, and
# recomputing the vector per message (about 10 µs, with unaccent) cost 80 ms for a common phrase over three
# million messages; reading the stored one costs a tenth of that. The model does not declare it (SQLite has
# no such column): `MessageSearchVector` names it in queries.
MESSAGE_VECTOR_COLUMN = "search_vector"
MESSAGE_VECTOR_SQL = (
    f"to_tsvector('{PG_CONFIG}'::regconfig, COALESCE(regexp_replace(body_text, '{PUNCTUATION}', ' ', 'g'), ''))"
)
MESSAGE_VECTOR_INDEX = "search_message_idx"


class MessageSearchVector(Expression):
    """The stored vector of desk_message, under whatever alias the query gives the table (U0 in a subquery)."""

    output_field = SearchVectorField()

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        alias = compiler.query.get_initial_alias()
        # A list, as Django's own columns give: the search lookups add it to the other side's list.
        return f"{compiler.quote_name_unless_alias(alias)}.{connection.ops.quote_name(MESSAGE_VECTOR_COLUMN)}", []


def _pg_message_vector_install(cursor: Any) -> None:
    cursor.execute(f'DROP INDEX IF EXISTS "{MESSAGE_VECTOR_INDEX}"')
    cursor.execute(
        f'ALTER TABLE "desk_message" ADD COLUMN IF NOT EXISTS "{MESSAGE_VECTOR_COLUMN}" tsvector '
        f"GENERATED ALWAYS AS ({MESSAGE_VECTOR_SQL}) STORED"
    )
    cursor.execute(f'CREATE INDEX "{MESSAGE_VECTOR_INDEX}" ON "desk_message" USING gin ("{MESSAGE_VECTOR_COLUMN}")')


def _pg_message_vector_uninstall(cursor: Any) -> None:
    cursor.execute(f'DROP INDEX IF EXISTS "{MESSAGE_VECTOR_INDEX}"')
    cursor.execute(f'ALTER TABLE "desk_message" DROP COLUMN IF EXISTS "{MESSAGE_VECTOR_COLUMN}"')


def message_vector_install(apps: Any, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Migration step: replace the expression index over message bodies by the stored column and its index."""
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            _pg_message_vector_install(cursor)


def message_vector_uninstall(apps: Any, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            _pg_message_vector_uninstall(cursor)
            cursor.execute(
                f'CREATE INDEX "{MESSAGE_VECTOR_INDEX}" ON "desk_message" USING gin (({MESSAGE_VECTOR_SQL}))'
            )


def account_vector() -> SearchVector:
    return SearchVector(_words("name"), _words("external_id"), config=PG_CONFIG)


def contact_vector() -> SearchVector:
    return SearchVector(_words("name"), config=PG_CONFIG)


# (app label, model, index): the search code filters on exactly these expressions, so the planner can use them.
# Plain (non-unique) indexes, so bench/seed.py drops them before its bulk load and builds them once after it.
PG_VECTOR_INDEXES: tuple[tuple[str, str, Any], ...] = (
    ("desk", "Ticket", lambda: GinIndex(ticket_vector(), name="search_ticket_idx")),
    # Messages: the stored column of core migration 0005 (see MessageSearchVector), not an expression index.
    ("accounts", "Account", lambda: GinIndex(account_vector(), name="search_account_idx")),
    ("accounts", "Contact", lambda: GinIndex(contact_vector(), name="search_contact_idx")),
)
# `email__icontains` compiles to UPPER("email"::text) LIKE UPPER(…) and `phone__contains` to "phone"::text LIKE …;
# written out because Django's OpClass needs django.contrib.postgres installed, for nothing else.
PG_TRIGRAM_INDEXES: tuple[tuple[str, str], ...] = (
    (
        "search_email_trgm_idx",
        'CREATE INDEX "search_email_trgm_idx" ON "accounts_contact" USING gin (UPPER("email") gin_trgm_ops)',
    ),
    (
        "search_phone_trgm_idx",
        'CREATE INDEX "search_phone_trgm_idx" ON "accounts_contact" USING gin ("phone" gin_trgm_ops)',
    ),
)


def _pg_extension(cursor: Any, name: str) -> bool:
    """Create a contrib extension if the server ships it; False when it cannot (missing, or not allowed)."""
    cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = %s", [name])
    if cursor.fetchone() is None:
        return False
    try:
        # A savepoint, so a refusal (no CREATE privilege) leaves the migration's transaction usable.
        with transaction.atomic(using=cursor.db.alias):
            cursor.execute(f"CREATE EXTENSION IF NOT EXISTS {name}")
    except Exception:  # the driver's error types differ; any failure means "not available here"
        return False
    return True


def _pg_install(schema_editor: BaseDatabaseSchemaEditor, apps: Any) -> None:
    with schema_editor.connection.cursor() as cursor:
        # unaccent and pg_trgm are "trusted" extensions since PostgreSQL 13: a database owner may create them.
        unaccent = _pg_extension(cursor, "unaccent")
        trigrams = _pg_extension(cursor, "pg_trgm")
        cursor.execute("SELECT 1 FROM pg_ts_config WHERE cfgname = %s", [PG_CONFIG])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE TEXT SEARCH CONFIGURATION {PG_CONFIG} (COPY = simple)")
            if unaccent:
                cursor.execute(
                    f"ALTER TEXT SEARCH CONFIGURATION {PG_CONFIG} ALTER MAPPING FOR "
                    "asciiword, asciihword, hword_asciipart, word, hword, hword_part WITH unaccent, simple"
                )
        if trigrams:
            for _name, statement in PG_TRIGRAM_INDEXES:
                cursor.execute(statement)
    for app_label, model_name, index in PG_VECTOR_INDEXES:
        schema_editor.add_index(apps.get_model(app_label, model_name), index())


def _pg_uninstall(schema_editor: BaseDatabaseSchemaEditor, apps: Any) -> None:
    with schema_editor.connection.cursor() as cursor:
        names = [index().name for _app_label, _model_name, index in PG_VECTOR_INDEXES]
        for name in [*names, MESSAGE_VECTOR_INDEX, *(name for name, _statement in PG_TRIGRAM_INDEXES)]:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
        cursor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {PG_CONFIG}")


# --- Both: install, rebuild, check ---------------------------------------------------------------------------


def _sqlite_triggers_create(cursor: Any) -> None:
    for table in FTS_TABLES:
        for statement in table.trigger_sql():
            cursor.execute(statement)


def _sqlite_triggers_drop(cursor: Any) -> None:
    for table in FTS_TABLES:
        for name in table.trigger_names:
            cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')


def _sqlite_rebuild(cursor: Any) -> None:
    for table in FTS_TABLES:
        # Re-reads every row of the source table: also what indexes rows that existed before the index did.
        cursor.execute(f'INSERT INTO "{table.name}"("{table.name}") VALUES (\'rebuild\')')  # noqa: S608


def search_index_install(apps: Any, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Create the index for this database and fill it from the rows already there (used by the migration)."""
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        with schema_editor.connection.cursor() as cursor:
            for table in FTS_TABLES:
                cursor.execute(table.create_sql())
            _sqlite_triggers_create(cursor)
            _sqlite_rebuild(cursor)
    elif vendor == "postgresql":
        _pg_install(schema_editor, apps)


def search_index_uninstall(apps: Any, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        with schema_editor.connection.cursor() as cursor:
            _sqlite_triggers_drop(cursor)
            for table in FTS_TABLES:
                cursor.execute(f'DROP TABLE IF EXISTS "{table.name}"')
    elif vendor == "postgresql":
        _pg_uninstall(schema_editor, apps)


def _sqlite_installed(cursor: Any) -> bool:
    cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [TICKETS.name])
    return cursor.fetchone() is not None


def _sqlite_missing_triggers(cursor: Any) -> list[str]:
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    present = {row[0] for row in cursor.fetchall()}
    return [name for table in FTS_TABLES for name in table.trigger_names if name not in present]


def search_index_rebuild(*, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Refill the SQLite full-text tables from the data; False on PostgreSQL, whose indexes need nothing."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return False
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if not _sqlite_installed(cursor):
            return False
        _sqlite_triggers_create(cursor)
        _sqlite_rebuild(cursor)
    return True


def search_index_ensure(*, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Put back triggers a migration removed, then rebuild; returns the names of the triggers recreated.

    On SQLite, Django alters a table by copying it into a new one and dropping the old one, and the old
    table's triggers go with it: after `migrate` the index would silently stop following the data.
    """
    connection = connections[using]
    if connection.vendor != "sqlite":
        return []
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if not _sqlite_installed(cursor):
            return []
        missing = _sqlite_missing_triggers(cursor)
        if missing:
            # Rows may have changed while the triggers were gone: rebuild from the data.
            _sqlite_triggers_create(cursor)
            _sqlite_rebuild(cursor)
    return missing


def search_index_problems(*, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """What is wrong with the SQLite index (missing triggers, entries that disagree with the data); [] when sound."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return []
    problems: list[str] = []
    with connection.cursor() as cursor:
        if not _sqlite_installed(cursor):
            return ["search index not installed"]
        problems += [f"missing trigger {name}" for name in _sqlite_missing_triggers(cursor)]
        for table in FTS_TABLES:
            try:
                # rank = 1: also compare the index with the rows of the content table.
                with transaction.atomic(using=using):
                    check = f'INSERT INTO "{table.name}"("{table.name}", rank) VALUES (\'integrity-check\', 1)'  # noqa: S608
                    cursor.execute(check)
            except Exception as exc:  # sqlite reports corruption as a DatabaseError
                problems.append(f"{table.name}: {exc}")
    return problems


@contextmanager
def search_index_paused(*, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """For bulk loads: no per-row index upkeep inside the block, one rebuild at its end (SQLite only)."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        installed = _sqlite_installed(cursor)
        if installed:
            _sqlite_triggers_drop(cursor)
    try:
        yield
    finally:
        if installed:
            search_index_rebuild(using=using)
