"""The triggers that mark the ticket facts' days (migrations 0004 and 0006, insights/metrics/facts.py), put back after
`migrate`.

On SQLite, Django alters a table by copying it into a new one and dropping the old: the old table's triggers go with
it, and triggers of other tables that read it may be left pointing at the dropped one. Without this, a later
migration of the tickets, messages, clocks or events would silently stop marking days, and stored facts would go
stale. PostgreSQL alters tables in place and keeps its triggers.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import import_module
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.recorder import MigrationRecorder

# The insights migrations that create the triggers, each with its SQLITE statements and its `_backfill(day)`.
TRIGGER_MIGRATIONS = ("0004_fact_changes", "0006_survey_fact_changes")


def _migrations(names: Iterable[str]) -> list[Any]:
    return [import_module(f"carefront.insights.migrations.{name}") for name in names]


def fact_marks_backfill(day: str) -> list[str]:
    """The statements that mark every day holding rows the facts read (and drop the stored facts), as the migrations
    do; `day` turns a column into its UTC day in the database's SQL."""
    return [statement for migration in _migrations(TRIGGER_MIGRATIONS) for statement in migration._backfill(day)]


def fact_triggers_ensure(*, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Create the SQLite triggers again (all of them, from the migration's statements) and, if some were missing,
    mark every day that holds rows so that the days written meanwhile are built again. Returns the missing ones."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return []
    # Only the applied migrations' triggers: a later migration creates its own.
    applied = [
        name for name in TRIGGER_MIGRATIONS if ("insights", name) in MigrationRecorder(connection).applied_migrations()
    ]
    if not applied:
        return []
    migrations = _migrations(applied)
    statements = [statement for migration in migrations for statement in migration.SQLITE]
    wanted = {statement.split()[2] for statement in statements}
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'carefront_fact_%'")
        present = {row[0] for row in cursor.fetchall()}
        missing = sorted(wanted - present)
        for name in present:
            cursor.execute(f'DROP TRIGGER "{name}"')
        for statement in statements:
            cursor.execute(statement)
        if missing:
            for statement in (found for migration in migrations for found in migration._backfill("substr({}, 1, 10)")):
                cursor.execute(statement)
    return missing
