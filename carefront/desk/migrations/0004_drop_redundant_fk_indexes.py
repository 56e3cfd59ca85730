"""Drop the single-column indexes Django gives foreign keys where a composite (column, id) index already
exists: every ticket and message insert maintained them for nothing.

A database-only step by introspection, not AlterField: on SQLite AlterField rebuilds the whole table (and
drops the search triggers on it), and on PostgreSQL it leaves the index in place.
"""

import django.db.models.deletion
from django.db import migrations, models

REDUNDANT = {
    # Not assignee_id or team_id: their composites put status before id, and on SQLite the single-column
    # index (which ends in the rowid) is what walks one agent's or team's tickets newest first.
    "desk_ticket": ("account_id", "requester_id"),
    "desk_message": ("ticket_id",),
}


def drop_single_column_indexes(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for table, columns in REDUNDANT.items():
            constraints = connection.introspection.get_constraints(cursor, table)
            for name, details in constraints.items():
                if (
                    details["index"]
                    and not details["unique"]
                    and not details["primary_key"]
                    and len(details["columns"]) == 1
                    and details["columns"][0] in columns
                ):
                    schema_editor.execute(
                        schema_editor.sql_delete_index
                        % {"name": schema_editor.quote_name(name), "table": schema_editor.quote_name(table)}
                    )


def recreate_single_column_indexes(apps, schema_editor):
    quote = schema_editor.quote_name
    for table, columns in REDUNDANT.items():
        for column in columns:
            schema_editor.execute(f"CREATE INDEX {quote(table + '_' + column)} ON {quote(table)} ({quote(column)})")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_viewer_preferences"),
        ("core", "0004_search_index"),
        ("desk", "0003_inbox_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="message",
                    name="ticket",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="messages",
                        to="desk.ticket",
                        verbose_name="ticket",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="account",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="tickets",
                        to="accounts.account",
                        verbose_name="account",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="requester",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="tickets",
                        to="accounts.contact",
                        verbose_name="requester",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_single_column_indexes, recreate_single_column_indexes)],
        ),
    ]
