"""The full-text index over article translations, on each database.

SQLite: an FTS5 external-content table over (title, body_text) of `knowledge_articletranslation`, kept
current by triggers (as core's global search does), with the Porter stemmer in front of unicode61 (accents
folded). PostgreSQL: a stored generated `tsvector` column, title weighted A and body B, built with the text
search configuration of the translation's own language (English or French stemming, accents folded by
unaccent when the server has it; 'simple' for other languages), under a GIN index.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from carefront.core.search_index import PG_CONFIG, FtsTable

TABLE = "knowledge_articletranslation"
# Prefix indexes: suggestions match the word being typed as a prefix.
ARTICLES = FtsTable(
    "knowledge_article_fts", TABLE, ("title", "body_text"), "porter unicode61 remove_diacritics 2", prefix="2 3 4"
)

# PostgreSQL: one configuration per language that has a stemmer, copied from the built-in one.
PG_LANGUAGE_CONFIGS = {"en": ("carefront_kb_english", "english"), "fr": ("carefront_kb_french", "french")}
VECTOR_COLUMN = "search_vector"
VECTOR_INDEX = "knowledge_article_search_idx"


def pg_config(language: str) -> str:
    """The text search configuration for a language: its own stemmer, or core's 'simple' one."""
    entry = PG_LANGUAGE_CONFIGS.get(language)
    return entry[0] if entry else PG_CONFIG


def pg_configs() -> list[str]:
    """Every configuration a translation may be indexed with: a query is built in each of them."""
    return sorted({pg_config(code) for code, _name in settings.LANGUAGES} | {PG_CONFIG})


def _pg_config_case() -> str:
    cases = " ".join(f"WHEN '{code}' THEN '{name}'::regconfig" for code, (name, _base) in PG_LANGUAGE_CONFIGS.items())
    return f"CASE language {cases} ELSE '{PG_CONFIG}'::regconfig END"


def _pg_vector_sql() -> str:
    config = _pg_config_case()
    return (
        f"setweight(to_tsvector({config}, coalesce(title, '')), 'A') || "
        f"setweight(to_tsvector({config}, coalesce(body_text, '')), 'B')"
    )


def _pg_install(cursor: Any) -> None:
    cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'unaccent'")
    unaccent = cursor.fetchone() is not None
    for name, base in PG_LANGUAGE_CONFIGS.values():
        cursor.execute("SELECT 1 FROM pg_ts_config WHERE cfgname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE TEXT SEARCH CONFIGURATION {name} (COPY = {base})")
            if unaccent:
                cursor.execute(
                    f"ALTER TEXT SEARCH CONFIGURATION {name} ALTER MAPPING FOR "
                    f"word, hword, hword_part WITH unaccent, {base}_stem"
                )
    cursor.execute(
        f'ALTER TABLE "{TABLE}" ADD COLUMN IF NOT EXISTS "{VECTOR_COLUMN}" tsvector '
        f"GENERATED ALWAYS AS ({_pg_vector_sql()}) STORED"
    )
    cursor.execute(f'CREATE INDEX IF NOT EXISTS "{VECTOR_INDEX}" ON "{TABLE}" USING gin ("{VECTOR_COLUMN}")')


def _pg_uninstall(cursor: Any) -> None:
    cursor.execute(f'DROP INDEX IF EXISTS "{VECTOR_INDEX}"')
    cursor.execute(f'ALTER TABLE "{TABLE}" DROP COLUMN IF EXISTS "{VECTOR_COLUMN}"')
    for name, _base in PG_LANGUAGE_CONFIGS.values():
        cursor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {name}")


def _sqlite_rebuild(cursor: Any) -> None:
    cursor.execute(f'INSERT INTO "{ARTICLES.name}"("{ARTICLES.name}") VALUES (\'rebuild\')')  # noqa: S608


def article_index_install(apps: Any, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Migration step: create the index for this database and fill it from the rows already there."""
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "sqlite":
            cursor.execute(ARTICLES.create_sql())
            for statement in ARTICLES.trigger_sql():
                cursor.execute(statement)
            _sqlite_rebuild(cursor)
        elif schema_editor.connection.vendor == "postgresql":
            _pg_install(cursor)


def article_index_uninstall(apps: Any, schema_editor: BaseDatabaseSchemaEditor) -> None:
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "sqlite":
            for name in ARTICLES.trigger_names:
                cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
            cursor.execute(f'DROP TABLE IF EXISTS "{ARTICLES.name}"')
        elif schema_editor.connection.vendor == "postgresql":
            _pg_uninstall(cursor)


def article_index_ensure(*, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Put back triggers a migration removed (SQLite rebuilds altered tables without them), then rebuild."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return []
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [ARTICLES.name])
        if cursor.fetchone() is None:
            return []
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        present = {row[0] for row in cursor.fetchall()}
        missing = [name for name in ARTICLES.trigger_names if name not in present]
        if missing:
            for statement in ARTICLES.trigger_sql():
                cursor.execute(statement)
            _sqlite_rebuild(cursor)
    return missing
