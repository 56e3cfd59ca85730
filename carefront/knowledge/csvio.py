"""CSV import and export of articles (`carefront import|export articles`): one row per translation.

Rows with the same slug make one article; its own fields (category, status, visibility, default language)
must agree across them. An article that exists gets the texts of the file's languages (its other languages
are kept); a category named by slug that does not exist is created, named in each row's language by
`category_name`. Everything is checked before anything is written, and written through the services (so
Markdown is rendered and sanitised and each change audited), in one transaction: all or nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carefront.core.csvio import Column, CsvKind, CsvRow, ImportCounts, RowErrors, csv_kind_register
from carefront.core.exceptions import ApplicationError
from carefront.core.services import Actor
from carefront.core.validation import clean_choice, clean_text
from carefront.knowledge.access import require_writer
from carefront.knowledge.models import Article, ArticleStatus, ArticleVisibility, Category
from carefront.knowledge.services import (
    MAX_BODY_CHARS,
    MAX_CATEGORY_NAME_CHARS,
    MAX_TITLE_CHARS,
    ArticleText,
    article_create,
    article_publish,
    article_unpublish,
    article_update,
    category_create,
    category_update,
    clean_language,
    clean_slug,
)

ARTICLE_COLUMNS = (
    Column(
        "slug", gettext_lazy("the article's address, e.g. track-my-order; rows with one slug are one article"), True
    ),
    Column("language", gettext_lazy("the language of this row's title and body: en or fr"), True),
    Column("title", gettext_lazy("the title in this language"), True),
    Column("body", gettext_lazy("the body in Markdown, in this language"), True),
    Column("category", gettext_lazy("the category's slug (created when new)")),
    Column("category_name", gettext_lazy("the category's name in this row's language")),
    Column("status", gettext_lazy("draft or published (default draft)")),
    Column("visibility", gettext_lazy("public or internal (default public)")),
    Column("default_language", gettext_lazy("the language shown when the reader's is missing (default en)")),
)
ARTICLE_FIELDS = ("category", "status", "visibility", "default_language")

CLEANERS: dict[str, Callable[[str], Any]] = {
    "slug": clean_slug,
    "language": clean_language,
    "title": lambda v: clean_text(v, field="title", max_length=MAX_TITLE_CHARS, required=True),
    "body": lambda v: clean_text(v, field="body", max_length=MAX_BODY_CHARS, required=True),
    "category": lambda v: clean_slug(v, field="category", max_length=80),
    "category_name": lambda v: clean_text(v, field="category_name", max_length=MAX_CATEGORY_NAME_CHARS),
    "status": lambda v: clean_choice(v.strip().lower(), choices=ArticleStatus.values, field="status"),
    "visibility": lambda v: clean_choice(v.strip().lower(), choices=ArticleVisibility.values, field="visibility"),
    "default_language": lambda v: clean_language(v.strip().lower(), field="default_language"),
}


@dataclass
class _Planned:
    """One article as the file describes it: its fields, its texts, and the rows that said so."""

    first_row: int
    fields: dict[str, tuple[Any, int]] = field(default_factory=dict)
    texts: dict[str, ArticleText] = field(default_factory=dict)
    text_rows: dict[str, int] = field(default_factory=dict)


def _clean_row(row: CsvRow, errors: RowErrors) -> dict[str, Any] | None:
    cleaned: dict[str, Any] = {}
    valid = True
    for column, value in row.values.items():
        if not value.strip():
            cleaned[column] = None
            continue
        try:
            cleaned[column] = CLEANERS[column](value) if column in CLEANERS else value
        except ApplicationError as exc:
            errors.add_exception(row.number, exc, column=column)
            valid = False
    for column in ("slug", "language", "title", "body"):
        if valid and cleaned.get(column) is None:
            errors.add(row.number, column, _("This field is required."))
            valid = False
    return cleaned if valid else None


def _plan(
    rows: Iterable[CsvRow], errors: RowErrors, counts: ImportCounts
) -> tuple[dict[str, _Planned], dict[str, dict[str, str]]]:
    planned: dict[str, _Planned] = {}
    category_names: dict[str, dict[str, str]] = {}
    for row in rows:
        counts.rows += 1
        values = _clean_row(row, errors)
        if values is None:
            continue
        article = planned.setdefault(values["slug"], _Planned(first_row=row.number))
        language = values["language"]
        if language in article.text_rows:
            errors.add(
                row.number,
                "language",
                _("Row {row} already holds this article's “{language}” text.").format(
                    row=article.text_rows[language], language=language
                ),
            )
            continue
        article.texts[language] = ArticleText(values["title"], values["body"])
        article.text_rows[language] = row.number
        for name in ARTICLE_FIELDS:
            value = values.get(name)
            if value is None:
                continue
            seen = article.fields.get(name)
            if seen is not None and seen[0] != value:
                message = _("Row {row} of this article says “{value}”.").format(row=seen[1], value=seen[0])
                errors.add(row.number, name, message)
                continue
            article.fields[name] = (value, row.number)
        if values.get("category") and values.get("category_name"):
            category_names.setdefault(values["category"], {})[language] = values["category_name"]
    return planned, category_names


def _categories(names: dict[str, dict[str, str]], slugs: set[str], actor: Actor) -> dict[str, Category]:
    existing = {category.slug: category for category in Category.objects.filter(slug__in=slugs)}
    for slug in sorted(slugs):
        given = names.get(slug, {})
        category = existing.get(slug)
        if category is None:
            existing[slug] = category_create(actor=actor, slug=slug, names=given or {settings.LANGUAGE_CODE: slug})
        elif given and {**category.names, **given} != category.names:
            existing[slug] = category_update(actor=actor, category=category, names={**category.names, **given})
    return existing


def _write(plan: _Planned, slug: str, article: Article | None, categories: dict[str, Category], actor: Actor) -> str:
    """Create or change one article; "created", "updated" or "unchanged"."""
    values = {name: value for name, (value, _row) in plan.fields.items()}
    category = categories.get(values["category"]) if values.get("category") else None
    status = values.get("status")
    if article is None:
        article_create(
            actor=actor,
            slug=slug,
            texts=plan.texts,
            category=category,
            status=status or ArticleStatus.DRAFT,
            visibility=values.get("visibility") or ArticleVisibility.PUBLIC,
            default_language=values.get("default_language") or settings.LANGUAGE_CODE,
        )
        return "created"
    before = (article.updated_at, article.status)
    texts = {t.language: ArticleText(t.title, t.body) for t in article.translations.all()} | plan.texts
    changes: dict[str, Any] = {"texts": texts}
    for name in ("visibility", "default_language"):
        if values.get(name):
            changes[name] = values[name]
    if values.get("category"):
        changes["category"] = category
    article = article_update(actor=actor, article=article, **changes)
    if status == ArticleStatus.PUBLISHED:
        article = article_publish(actor=actor, article=article)
    elif status == ArticleStatus.DRAFT:
        article = article_unpublish(actor=actor, article=article)
    return "unchanged" if (article.updated_at, article.status) == before else "updated"


def _where(plan: _Planned, field: str) -> tuple[int, str]:
    """The row and column a service's refusal concerns ("translations.fr.title" is the fr row's title)."""
    if field.startswith("translations."):
        _prefix, language, column = [*field.split("."), "", ""][:3]
        return plan.text_rows.get(language, plan.first_row), column
    if field in plan.fields:
        return plan.fields[field][1], field
    return plan.first_row, field if field in CLEANERS else ""


@transaction.atomic
def articles_import_rows(
    *, rows: Iterable[CsvRow], columns: frozenset[str], actor: Actor, errors: RowErrors | None = None
) -> ImportCounts:
    """Create or update articles from CSV rows (one per translation), all or nothing."""
    errors = errors if errors is not None else RowErrors()
    require_writer(actor)
    counts = ImportCounts()
    planned, category_names = _plan(rows, errors, counts)
    existing = {a.slug: a for a in Article.objects.filter(slug__in=planned).prefetch_related("translations")}
    for slug, plan in planned.items():
        article = existing.get(slug)
        default = plan.fields.get("default_language", (None, 0))[0]
        default = default or (article.default_language if article else settings.LANGUAGE_CODE)
        has = set(plan.texts) | ({t.language for t in article.translations.all()} if article else set())
        if default not in has:
            row, column = _where(plan, "default_language")
            message = _("Write the article in its default language ({language}).").format(language=default)
            errors.add(row, column or "language", message)
    errors.raise_if_any()
    categories = _categories(
        category_names, {plan.fields["category"][0] for plan in planned.values() if "category" in plan.fields}, actor
    )
    for slug, plan in planned.items():
        try:
            outcome = _write(plan, slug, existing.get(slug), categories, actor)
        except ApplicationError as exc:
            errors.add(*_where(plan, exc.field or ""), exc.message)
            continue
        setattr(counts, outcome, getattr(counts, outcome) + 1)
    # A refusal above leaves earlier articles written: raising here rolls the whole import back.
    errors.raise_if_any()
    return counts


def articles_export_rows() -> Iterator[list[str]]:
    """Every article's translations as CSV cells in ARTICLE_COLUMNS order, by article then language."""
    articles = Article.objects.select_related("category").prefetch_related("translations").order_by("id")
    for article in articles.iterator(chunk_size=500):
        category = article.category
        for text in sorted(article.translations.all(), key=lambda t: t.language):
            yield [
                article.slug,
                text.language,
                text.title,
                text.body,
                category.slug if category else "",
                (category.names or {}).get(text.language, "") if category else "",
                article.status,
                article.visibility,
                article.default_language,
            ]


csv_kind_register(
    CsvKind(
        name="articles",
        help=gettext_lazy("knowledge-base articles, one row per article and language"),
        columns=ARTICLE_COLUMNS,
        import_rows=articles_import_rows,
        export_rows=articles_export_rows,
    )
)
