"""The triggers that mark the ticket facts' days (migration 0004, insights/metrics/facts.py), put back after `migrate`.

On SQLite, Django alters a table by copying it into a new one and dropping the old: the old table's triggers go with
it, and triggers of other tables that read it may be left pointing at the dropped one. Without this, a later
migration of the tickets, messages, clocks or events would silently stop marking days, and stored facts would go
stale. PostgreSQL alters tables in place and keeps its triggers.
"""

from __future__ import annotations

from importlib import import_module

from django.db import DEFAULT_DB_ALIAS, connections, transaction

TRIGGERED_TABLES = ("desk_ticket", "desk_message", "desk_slaclock", "core_event")


def fact_triggers_ensure(*, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Create the SQLite triggers again (all of them, from the migration's statements) and, if some were missing,
    mark every day that holds rows so that the days written meanwhile are built again. Returns the missing ones."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return []
    migration = import_module("carefront.insights.migrations.0004_fact_changes")
    wanted = {statement.split()[2] for statement in migration.SQLITE}
    with transaction.atomic(using=using), connection.cursor() as cursor:
        tables = {row[0] for row in cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "insights_factchange" not in tables or not set(TRIGGERED_TABLES) <= tables:
            return []  # not migrated that far
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'carefront_fact_%'")
        present = {row[0] for row in cursor.fetchall()}
        missing = sorted(wanted - present)
        for name in present:
            cursor.execute(f'DROP TRIGGER "{name}"')
        for statement in migration.SQLITE:
            cursor.execute(statement)
        if missing:
            for statement in migration._backfill("substr({}, 1, 10)"):
                cursor.execute(statement)
    return missing
