# Triggers written by hand, as in 0004.

from typing import Any

from django.db import migrations, models

# The CSAT invitations' facts (insights/metrics/facts.py, the `csat` family) are keyed by their sending day: every
# write to a CSAT invitation marks the days it was sent, before and after the write (its answer's score is copied
# on it in the same transaction, so an answer marks the day too). Like 0004's, the triggers read no other table.

CSAT = "{row}.kind = 'csat'"


def _postgresql_function() -> str:
    def guarded(row: str) -> str:
        skipped = "INSERT" if row == "OLD" else "DELETE"
        return (
            f"    IF TG_OP <> '{skipped}' AND {CSAT.format(row=row)} THEN\n"
            f"        PERFORM carefront_fact_mark('survey', {row}.sent_at);\n    END IF;\n"
        )

    return (
        "CREATE FUNCTION carefront_fact_invitation_changed() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
        f"{guarded('OLD')}{guarded('NEW')}    RETURN NULL;\nEND\n$$"
    )


POSTGRESQL = [
    _postgresql_function(),
    "CREATE TRIGGER carefront_fact_invitation AFTER INSERT OR UPDATE OR DELETE ON feedback_invitation "
    "FOR EACH ROW EXECUTE FUNCTION carefront_fact_invitation_changed()",
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS carefront_fact_invitation ON feedback_invitation",
    "DROP FUNCTION IF EXISTS carefront_fact_invitation_changed()",
]

OPERATIONS = (("insert", ["NEW"]), ("update", ["OLD", "NEW"]), ("delete", ["OLD"]))
SQLITE = [
    f"CREATE TRIGGER carefront_fact_invitation_{operation} AFTER {operation.upper()} ON feedback_invitation "
    "FOR EACH ROW WHEN "
    + " OR ".join(f"({CSAT.format(row=row)})" for row in rows)
    + " BEGIN INSERT INTO insights_factchange (kind, day) SELECT DISTINCT 'survey', substr(moment, 1, 10) FROM ("
    + " UNION ALL ".join(
        f"SELECT CASE WHEN {CSAT.format(row=row)} THEN {row}.sent_at END" + (" AS moment" if not i else "")
        for i, row in enumerate(rows)
    )
    + ") WHERE moment IS NOT NULL; END"
    for operation, rows in OPERATIONS
]
SQLITE_REVERSE = [f"DROP TRIGGER IF EXISTS carefront_fact_invitation_{operation}" for operation, _rows in OPERATIONS]


def _backfill(day: str) -> list[str]:
    """One mark for each day on which CSAT invitations were sent."""
    return [
        "INSERT INTO insights_factchange (kind, day) SELECT DISTINCT 'survey', found_day FROM "
        f"(SELECT {day.format('sent_at')} AS found_day FROM feedback_invitation WHERE kind = 'csat') AS found "
        "WHERE found_day IS NOT NULL"
    ]


def triggers_create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        statements = POSTGRESQL + _backfill("({} AT TIME ZONE 'UTC')::date")
    else:
        statements = SQLITE + _backfill("substr({}, 1, 10)")
    for statement in statements:
        schema_editor.execute(statement, params=None)


def triggers_drop(apps: Any, schema_editor: Any) -> None:
    reverse = POSTGRESQL_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE
    for statement in reverse:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0005_fact_months"),
        ("feedback", "0003_invitation_answer_score"),
    ]

    operations = [
        migrations.AlterField(
            model_name="factchange",
            name="kind",
            field=models.CharField(
                choices=[
                    ("ticket", "Ticket"),
                    ("event", "Status or tier change"),
                    ("clock", "SLA clock"),
                    ("message", "Message"),
                    ("survey", "CSAT invitation"),
                ],
                max_length=8,
                verbose_name="kind",
            ),
        ),
        migrations.RunPython(triggers_create, triggers_drop),
    ]
