"""Writing many rows of one table at once, for the jobs that rewrite a value per account (insights).

Django's `bulk_create(update_conflicts=True)` prepares every value of every row through its field (a few
microseconds each): for a million rows of twenty columns that was most of a refresh. Here the caller gives
plain tuples already in the database's terms (numbers, text, JSON as text, times through
`datetime_value`), and they go in through each database's fast path: `executemany` of one upsert
statement on SQLite, `COPY` into a temporary table and one `INSERT … ON CONFLICT` on PostgreSQL.
Table and column names come from the models, never from input.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from django.db import connection
from django.db.models import Field, Model


def datetime_value(moment: datetime | None) -> Any:
    """A timestamp as this database stores it (Django's own adapter: naive UTC text on SQLite)."""
    return connection.ops.adapt_datetimefield_value(moment)


def json_value(value: Any) -> str:
    """A JSON column's value as text (orjson: a tenth of the standard library's time on these small documents)."""
    return orjson.dumps(value).decode()


def _column(model: type[Model], name: str) -> str:
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or not field.column:
        raise TypeError(f"{model.__name__}.{name} is not a concrete column")
    return str(field.column)


def _names(model: type[Model], fields: Sequence[str]) -> tuple[str, list[str]]:
    return model._meta.db_table, [_column(model, name) for name in fields]


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(connection.ops.quote_name(name) for name in names)


def rows_upsert(*, model: type[Model], fields: Sequence[str], rows: Sequence[tuple[Any, ...]], key: str) -> int:
    """Insert the rows, or update every other field of the row that has the same `key` (a unique column)."""
    if not rows:
        return 0
    table, columns = _names(model, fields)
    key_column = _column(model, key)
    updates = ", ".join(
        f"{connection.ops.quote_name(column)} = excluded.{connection.ops.quote_name(column)}"
        for column in columns
        if column != key_column
    )
    conflict = f"ON CONFLICT ({connection.ops.quote_name(key_column)}) DO UPDATE SET {updates}"
    if connection.vendor == "postgresql":
        return _copy_then(table, columns, rows, conflict)
    marks = ", ".join("%s" for _ in columns)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {connection.ops.quote_name(table)} ({_quoted(columns)}) VALUES ({marks}) {conflict}",  # noqa: S608
            rows,
        )
    return len(rows)


def rows_insert(*, model: type[Model], fields: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> int:
    """Insert new rows (their ids from the table's sequence)."""
    if not rows:
        return 0
    table, columns = _names(model, fields)
    if connection.vendor == "postgresql":
        statement = f"COPY {connection.ops.quote_name(table)} ({_quoted(columns)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        return len(rows)
    marks = ", ".join("%s" for _ in columns)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {connection.ops.quote_name(table)} ({_quoted(columns)}) VALUES ({marks})",  # noqa: S608
            rows,
        )
    return len(rows)


def _copy_then(table: str, columns: list[str], rows: Sequence[tuple[Any, ...]], conflict: str) -> int:
    staging = connection.ops.quote_name(f"{table}_staging")
    names = _quoted(columns)
    with connection.cursor() as cursor:
        # Shaped like the table, gone at the end of the transaction the caller holds.
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} "
            f"(LIKE {connection.ops.quote_name(table)} INCLUDING DEFAULTS) ON COMMIT DROP"
        )
        with cursor.cursor.copy(f"COPY {staging} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(table)} ({names}) SELECT {names} FROM {staging} {conflict}"  # noqa: S608
        )
        cursor.execute(f"TRUNCATE {staging}")
    return len(rows)
