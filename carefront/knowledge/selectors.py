"""Reads of the knowledge base: full-text search and suggestions, the portal's lists, the staff list, counts.

Search (`article_search`) and suggestions (`article_suggest`) are one query on each database. What the reader
typed never reaches the query language: `core.search.query_parse` cuts it into words of letters and digits,
each is quoted. Search needs every word (AND); a suggestion from a subject needs any of its meaningful words
(OR, after dropping short words and a few common ones), since a subject is a sentence, not a query. Both
match the last word as a prefix (the customer may still be typing it) and rank: bm25 on SQLite with the title
weighted ten times the body, ts_rank on PostgreSQL with the title in weight A and the body in B.

Each article is searched in the reader's language, or in its default language when it has no translation
in the reader's: exactly one text per article is a candidate.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Q, QuerySet
from django.urls import reverse

from carefront.core.search import query_parse
from carefront.core.selectors import supported_language
from carefront.knowledge.models import (
    Article,
    ArticleFeedback,
    ArticleStatus,
    ArticleTranslation,
    ArticleVisibility,
    Category,
    Deflection,
)
from carefront.knowledge.search_index import ARTICLES, pg_configs

SEARCH_LIMIT = 20
SUGGEST_LIMIT = 5
SNIPPET_CHARS = 200
MIN_SUGGEST_TERM_CHARS = 3
# Words too common in a subject to say what it is about (PostgreSQL's English and French configurations drop
# their own stop words; SQLite's tokenizer has none, and bm25 alone would still let them match).
_STOP_WORDS_TEXT = (
    "the and for with not are was how can what why when where who you your our this that have has from does did "
    "doesn don any get got but all its it's they them their there here about into out one also been will would "
    "les des une est pas pour dans avec que qui mon mes votre vos sur par plus comment pourquoi quand quoi "
    "être avoir fait cette ces son ses leur ils elle nous vous mais donc car sans tout très"
)
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


class Audience(enum.StrEnum):
    """Who reads: the portal (published public articles), staff (published, internal too), or the staff list
    (everything, drafts included)."""

    PORTAL = "portal"
    STAFF = "staff"
    ALL = "all"


_AUDIENCE_SQL = {
    Audience.PORTAL: f"a.status = '{ArticleStatus.PUBLISHED}' AND a.visibility = '{ArticleVisibility.PUBLIC}'",
    Audience.STAFF: f"a.status = '{ArticleStatus.PUBLISHED}'",
    Audience.ALL: "1 = 1",
}


def reader_language(language: str | None) -> str:
    """The interface language that serves `language`, else the default."""
    return supported_language(language) or settings.LANGUAGE_CODE


@dataclass(frozen=True)
class ArticleHit:
    """One article found: the text shown (reader's language or the default) and how relevant (higher is better)."""

    translation: ArticleTranslation
    score: float

    @property
    def article(self) -> Article:
        return self.translation.article

    @property
    def snippet(self) -> str:
        text = self.translation.body_text
        return text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + "…"


def _terms(text: str, *, any_word: bool) -> list[str]:
    terms = list(query_parse(text).terms)
    if any_word:
        terms = [t for t in terms if len(t) >= MIN_SUGGEST_TERM_CHARS and t not in STOP_WORDS]
    return terms


def _fts5(terms: Sequence[str], *, any_word: bool) -> str:
    quoted = [f'"{term}"' for term in terms]
    quoted[-1] += "*"
    return (" OR " if any_word else " ").join(quoted)


def _tsquery(terms: Sequence[str], *, any_word: bool) -> str:
    quoted = [f"'{term}'" for term in terms]
    quoted[-1] += ":*"
    return (" | " if any_word else " & ").join(quoted)


_LANGUAGE_SQL = (
    "(t.language = %s OR (t.language = a.default_language AND NOT EXISTS "
    "(SELECT 1 FROM knowledge_articletranslation o WHERE o.article_id = t.article_id AND o.language = %s)))"
)


def _candidates(terms: Sequence[str], *, language: str, audience: Audience, any_word: bool, limit: int) -> list[Any]:
    where = f"{_AUDIENCE_SQL[audience]} AND {_LANGUAGE_SQL}"
    if connection.vendor == "sqlite":
        sql = (
            f'SELECT t.id, -bm25("{ARTICLES.name}", 10.0, 1.0) AS score FROM "{ARTICLES.name}" '  # noqa: S608
            f'JOIN knowledge_articletranslation t ON t.id = "{ARTICLES.name}".rowid '
            f"JOIN knowledge_article a ON a.id = t.article_id "
            f'WHERE "{ARTICLES.name}" MATCH %s AND {where} ORDER BY score DESC, t.id LIMIT %s'
        )
        params: list[Any] = [_fts5(terms, any_word=any_word), language, language, limit]
    elif connection.vendor == "postgresql":
        # One query in each language's configuration, OR-ed: constant, so the GIN index serves it whatever
        # configuration each row was indexed with.
        query = " || ".join(f"to_tsquery('{config}'::regconfig, %s)" for config in pg_configs())
        sql = (
            f"WITH q AS (SELECT ({query}) AS query) "  # noqa: S608
            "SELECT t.id, ts_rank(t.search_vector, q.query) AS score FROM q, knowledge_articletranslation t "
            "JOIN knowledge_article a ON a.id = t.article_id "
            f"WHERE t.search_vector @@ q.query AND {where} ORDER BY score DESC, t.id LIMIT %s"
        )
        tsquery = _tsquery(terms, any_word=any_word)
        params = [*(tsquery for _config in pg_configs()), language, language, limit]
    else:
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _search(text: str, *, language: str, audience: Audience, any_word: bool, limit: int) -> list[ArticleHit]:
    terms = _terms(text, any_word=any_word)
    if not terms:
        return []
    rows = _candidates(terms, language=reader_language(language), audience=audience, any_word=any_word, limit=limit)
    if not rows:
        return []
    translations = ArticleTranslation.objects.select_related("article__category").defer("body", "body_html")
    by_id = translations.in_bulk([row[0] for row in rows])
    return [ArticleHit(translation=by_id[row[0]], score=float(row[1])) for row in rows if row[0] in by_id]


def article_search(*, text: str, language: str, audience: Audience, limit: int = SEARCH_LIMIT) -> list[ArticleHit]:
    """Articles holding every word of `text`, best first, in the reader's language (or each one's default)."""
    return _search(text, language=language, audience=audience, any_word=False, limit=limit)


def article_suggest(*, text: str, language: str, audience: Audience, limit: int = SUGGEST_LIMIT) -> list[ArticleHit]:
    """Articles that may answer a subject: any of its meaningful words, ranked, best first."""
    return _search(text, language=language, audience=audience, any_word=True, limit=limit)


# --- texts in the reader's language -------------------------------------------------------------------------


def article_texts(*, article_ids: Iterable[int], language: str, full: bool = False) -> dict[int, ArticleTranslation]:
    """For each article, its translation in `language`, else in its default language: one query."""
    ids = list(article_ids)
    if not ids:
        return {}
    rows = ArticleTranslation.objects.filter(article_id__in=ids).filter(
        Q(language=language) | Q(language=F("article__default_language"))
    )
    if not full:
        rows = rows.defer("body", "body_html", "body_text")
    chosen: dict[int, ArticleTranslation] = {}
    for row in rows:
        if row.article_id not in chosen or row.language == language:
            chosen[row.article_id] = row
    return chosen


def article_text(*, article: Article, language: str) -> ArticleTranslation | None:
    return article_texts(article_ids=[article.pk], language=language, full=True).get(article.pk)


@dataclass(frozen=True)
class ArticleItem:
    """An article in a list, with the text it is shown in."""

    article: Article
    translation: ArticleTranslation

    @property
    def title(self) -> str:
        return self.translation.title


def _items(articles: Sequence[Article], language: str) -> list[ArticleItem]:
    texts = article_texts(article_ids=[a.pk for a in articles], language=language)
    return [ArticleItem(article=a, translation=texts[a.pk]) for a in articles if a.pk in texts]


def portal_articles() -> QuerySet[Article]:
    return Article.objects.filter(status=ArticleStatus.PUBLISHED, visibility=ArticleVisibility.PUBLIC)


@dataclass(frozen=True)
class CategoryShelf:
    """A category on the help centre's home page with its articles in the reader's language."""

    category: Category
    name: str
    items: list[ArticleItem]


def help_centre_shelves(*, language: str, per_category: int = 6) -> list[CategoryShelf]:
    """Every category holding published public articles, with its first articles: three queries."""
    categories = list(Category.objects.all())
    articles = list(portal_articles().filter(category__isnull=False).order_by("category_id", "-published_at", "id"))
    by_category: dict[int, list[Article]] = {}
    for article in articles:
        shelf = by_category.setdefault(article.category_id or 0, [])
        if len(shelf) < per_category:
            shelf.append(article)
    items = _items([a for shelf in by_category.values() for a in shelf], language)
    items_by_category: dict[int, list[ArticleItem]] = {}
    for item in items:
        items_by_category.setdefault(item.article.category_id or 0, []).append(item)
    return [
        CategoryShelf(category=c, name=c.name_in(language), items=items_by_category[c.pk])
        for c in categories
        if items_by_category.get(c.pk)
    ]


def category_articles(*, category: Category, language: str) -> list[ArticleItem]:
    """A category's published public articles for the portal, newest first."""
    articles = list(portal_articles().filter(category=category).order_by("-published_at", "-id"))
    return _items(articles, language)


def category_by_slug(*, slug: str) -> Category | None:
    return Category.objects.filter(slug=slug).first()


def reader_feedback(*, article: Article, user: Any, session_key: str) -> ArticleFeedback | None:
    """The reader's own answer on this article, if they gave one."""
    if user is not None and getattr(user, "is_authenticated", False):
        return ArticleFeedback.objects.filter(article=article, user=user).first()
    if not session_key:
        return None
    return ArticleFeedback.objects.filter(article=article, user__isnull=True, session_key=session_key).first()


# --- staff ------------------------------------------------------------------------------------------------


def articles_with_counts() -> QuerySet[Article]:
    """Articles with their feedback and deflection counts, for the staff list and the API."""
    return Article.objects.select_related("category", "author").annotate(
        helpful_count=Count("feedback", filter=Q(feedback__helpful=True), distinct=True),
        not_helpful_count=Count("feedback", filter=Q(feedback__helpful=False), distinct=True),
        deflection_count=Count("deflections", distinct=True),
    )


def articles_staff_list(
    *, status: str = "", category_id: int | None = None, language: str = "", visibility: str = ""
) -> QuerySet[Article]:
    """Every article for staff, newest first, filtered; the caller pages it by id (keyset)."""
    articles = articles_with_counts().order_by("-id")
    if status:
        articles = articles.filter(status=status)
    if visibility:
        articles = articles.filter(visibility=visibility)
    if category_id is not None:
        articles = articles.filter(category_id=category_id)
    if language:
        articles = articles.filter(translations__language=language)
    return articles


def articles_page(
    *,
    language: str,
    status: str = "",
    category_id: int | None = None,
    text_language: str = "",
    after: int | None = None,
    size: int = 50,
) -> tuple[list[ArticleItem], int | None]:
    """One page of the staff list (ids below `after`), with each article's text; the next cursor or None."""
    articles = articles_staff_list(status=status, category_id=category_id, language=text_language)
    if after is not None:
        articles = articles.filter(id__lt=after)
    rows = list(articles[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return _items(rows, language), (rows[-1].pk if more and rows else None)


def categories_list() -> QuerySet[Category]:
    return Category.objects.annotate(article_count=Count("articles")).order_by("position", "id")


def deflections_count(*, since: datetime, until: datetime) -> int:
    """Deflections in [since, until): each one an L0 resolution (deflection_time_idx)."""
    return Deflection.objects.filter(created_at__gte=since, created_at__lt=until).count()


def deflections_list(*, since: datetime | None = None, until: datetime | None = None) -> QuerySet[Deflection]:
    """Deflections, newest first, optionally in [since, until); the caller pages them by id."""
    deflections = Deflection.objects.order_by("-id")
    if since is not None:
        deflections = deflections.filter(created_at__gte=since)
    if until is not None:
        deflections = deflections.filter(created_at__lt=until)
    return deflections


def article_portal_url(slug: str) -> str:
    """Where a customer reads the article: what a link in a reply points at."""
    return settings.BASE_URL + reverse("portal:help-article", kwargs={"slug": slug})
