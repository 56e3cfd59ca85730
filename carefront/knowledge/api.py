"""REST endpoints for the knowledge base: articles and categories (staff read, managers and admins write),
ranked search and suggestions, and the deflections counted as L0 resolutions."""

from datetime import datetime
from typing import Any, Literal

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StrictInt

from carefront.api.common import (
    ERRORS,
    Id,
    IdCursorPagination,
    IsoDatetime,
    OldestFirstPagination,
    StrictIn,
    actor,
    staff_actor,
)
from carefront.core.access import is_staff_member, portal_account_id
from carefront.core.exceptions import ApplicationError
from carefront.knowledge.access import access_article, access_category
from carefront.knowledge.models import Article, Category
from carefront.knowledge.selectors import (
    ArticleHit,
    Audience,
    article_portal_url,
    article_search,
    article_suggest,
    articles_staff_list,
    articles_with_counts,
    categories_list,
    deflections_list,
    reader_language,
)
from carefront.knowledge.services import (
    MAX_POSITION,
    ArticleText,
    article_create,
    article_delete,
    article_publish,
    article_unpublish,
    article_update,
    category_create,
    category_delete,
    category_update,
)

router = Router(tags=["knowledge"])

LanguageCode = Literal["en", "fr"]
StatusName = Literal["draft", "published"]
VisibilityName = Literal["public", "internal"]
MAX_RESULTS = 50


# --- schemas -----------------------------------------------------------------------------------------------


class TextIn(StrictIn):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=100_000, description="Markdown; raw HTML is shown as text.")


class TextOut(Schema):
    title: str
    body: str
    body_html: str = Field(description="The body rendered and sanitised.")


class ArticleIn(StrictIn):
    slug: str = Field(min_length=1, max_length=120, description="Lower-case letters, digits and hyphens.")
    category_id: Id | None = None
    visibility: VisibilityName = "public"
    status: StatusName = "draft"
    default_language: LanguageCode = "en"
    translations: dict[LanguageCode, TextIn] = Field(min_length=1, description="Title and body per language.")


class ArticlePatch(StrictIn):
    slug: str | None = Field(None, min_length=1, max_length=120)
    category_id: Id | None = Field(None, description="null removes the category.")
    visibility: VisibilityName | None = None
    default_language: LanguageCode | None = None
    translations: dict[LanguageCode, TextIn] | None = Field(
        None, min_length=1, description="The whole set: a language left out loses its text."
    )


class ArticleOut(Schema):
    id: int
    slug: str
    category_id: int | None
    status: str
    visibility: str
    default_language: str
    author: str | None
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    portal_url: str | None = Field(description="Where customers read it (published public articles only).")
    translations: dict[str, TextOut]
    helpful_count: int
    not_helpful_count: int
    deflection_count: int

    @staticmethod
    def resolve_author(obj: Article) -> str | None:
        return obj.author.get_username() if obj.author is not None else None

    @staticmethod
    def resolve_portal_url(obj: Article) -> str | None:
        if obj.status == "published" and obj.visibility == "public":
            return article_portal_url(obj.slug)
        return None

    @staticmethod
    def resolve_translations(obj: Article) -> dict[str, Any]:
        return {t.language: t for t in obj.translations.all()}


class ArticleFilters(Schema):
    status: StatusName | None = None
    visibility: VisibilityName | None = None
    category_id: Id | None = None
    language: LanguageCode | None = Field(None, description="Only articles with a text in this language.")
    q: str | None = Field(None, max_length=200, description="Words: only the best matches (at most 100).")


class HitOut(Schema):
    article_id: int
    slug: str
    language: str = Field(description="The language of the text found: the reader's, or the article's default.")
    title: str
    snippet: str
    score: float
    visibility: str
    portal_url: str | None


class SearchQuery(Schema):
    q: str = Field(max_length=200)
    language: LanguageCode | None = Field(None, description="The reader's language (default: yours).")
    limit: StrictInt = Field(10, ge=1, le=MAX_RESULTS)


class CategoryIn(StrictIn):
    slug: str = Field(min_length=1, max_length=80)
    names: dict[LanguageCode, str] = Field(min_length=1)
    position: StrictInt = Field(0, ge=0, le=MAX_POSITION)


class CategoryPatch(StrictIn):
    slug: str | None = Field(None, min_length=1, max_length=80)
    names: dict[LanguageCode, str] | None = Field(None, min_length=1)
    position: StrictInt | None = Field(None, ge=0, le=MAX_POSITION)


class CategoryOut(Schema):
    id: int
    slug: str
    names: dict[str, str]
    position: int
    article_count: int


class DeflectionOut(Schema):
    id: int
    article_id: int
    account_id: int
    contact_id: int | None
    language: str
    subject: str
    created_at: datetime


class DeflectionFilters(Schema):
    since: IsoDatetime | None = None
    until: IsoDatetime | None = None


# --- helpers -----------------------------------------------------------------------------------------------


def _texts(translations: dict[Any, TextIn]) -> dict[str, ArticleText]:
    return {str(language): ArticleText(text.title, text.body) for language, text in translations.items()}


def _category(user: Any, category_id: int | None) -> Category | None:
    if category_id is None:
        return None
    try:
        return access_category(user=user, category_id=category_id)
    except Http404 as exc:  # a category that does not exist is a bad field, not a missing page
        raise ApplicationError(_("No such category."), field="category_id") from exc


def _detail(article_id: int) -> Article:
    return articles_with_counts().prefetch_related("translations").get(pk=article_id)


def _hit(hit: ArticleHit) -> dict[str, Any]:
    article = hit.article
    public = article.status == "published" and article.visibility == "public"
    return {
        "article_id": article.pk,
        "slug": article.slug,
        "language": hit.translation.language,
        "title": hit.translation.title,
        "snippet": hit.snippet,
        "score": hit.score,
        "visibility": article.visibility,
        "portal_url": article_portal_url(article.slug) if public else None,
    }


# --- articles ----------------------------------------------------------------------------------------------


@router.get("/articles", response={200: list[ArticleOut], **ERRORS}, summary="Articles, newest first")
@paginate(IdCursorPagination)
def list_articles(request: HttpRequest, filters: Query[ArticleFilters]) -> Any:
    user = staff_actor(request)
    articles = articles_staff_list(
        status=filters.status or "",
        visibility=filters.visibility or "",
        category_id=filters.category_id,
        language=filters.language or "",
    ).prefetch_related("translations")
    if filters.q:
        language = reader_language(user.staff_profile.language)
        hits = article_search(text=filters.q, language=language, audience=Audience.ALL, limit=100)
        articles = articles.filter(id__in=[hit.article.pk for hit in hits])
    return articles


@router.get(
    "/articles/search",
    response={200: list[HitOut], **ERRORS},
    summary="Articles holding every word, best first (staff: drafts and internal articles too)",
)
def search_articles(request: HttpRequest, params: Query[SearchQuery]) -> Any:
    user = staff_actor(request)
    language = reader_language(params.language or user.staff_profile.language)
    return [
        _hit(hit) for hit in article_search(text=params.q, language=language, audience=Audience.ALL, limit=params.limit)
    ]


@router.get(
    "/articles/suggest",
    response={200: list[HitOut], **ERRORS},
    summary="Articles that may answer a subject (staff: published incl. internal; customers: public only)",
)
def suggest_articles(request: HttpRequest, params: Query[SearchQuery]) -> Any:
    user = actor(request)
    if is_staff_member(user):
        audience, own = Audience.STAFF, user.staff_profile.language
    elif portal_account_id(user) is not None:
        audience, own = Audience.PORTAL, user.contact.language
    else:
        raise ApplicationError(_("Only staff and customers may do this."), status=403)
    language = reader_language(params.language or own)
    return [
        _hit(hit) for hit in article_suggest(text=params.q, language=language, audience=audience, limit=params.limit)
    ]


@router.post("/articles", response={201: ArticleOut, **ERRORS}, summary="Create an article (managers and admins)")
def create_article(request: HttpRequest, payload: ArticleIn) -> Any:
    user = staff_actor(request)
    article = article_create(
        actor=user,
        slug=payload.slug,
        texts=_texts(payload.translations),
        category=_category(user, payload.category_id),
        visibility=payload.visibility,
        status=payload.status,
        default_language=payload.default_language,
    )
    return Status(201, _detail(article.pk))


@router.get("/articles/{article_id}", response={200: ArticleOut, **ERRORS}, summary="Get an article")
def get_article(request: HttpRequest, article_id: Id) -> Any:
    article = access_article(user=staff_actor(request), article_id=article_id)
    return _detail(article.pk)


@router.patch("/articles/{article_id}", response={200: ArticleOut, **ERRORS}, summary="Change an article")
def update_article(request: HttpRequest, article_id: Id, payload: ArticlePatch) -> Any:
    user = staff_actor(request)
    article = access_article(user=user, article_id=article_id)
    values = payload.dict(exclude_unset=True)
    changes: dict[str, Any] = {k: values[k] for k in ("slug", "visibility", "default_language") if values.get(k)}
    if "category_id" in values:
        changes["category"] = _category(user, values["category_id"])
    if payload.translations is not None:
        changes["texts"] = _texts(payload.translations)
    article_update(actor=user, article=article, **changes)
    return _detail(article.pk)


@router.post("/articles/{article_id}/publish", response={200: ArticleOut, **ERRORS}, summary="Publish an article")
def publish_article(request: HttpRequest, article_id: Id) -> Any:
    user = staff_actor(request)
    article_publish(actor=user, article=access_article(user=user, article_id=article_id))
    return _detail(article_id)


@router.post(
    "/articles/{article_id}/unpublish", response={200: ArticleOut, **ERRORS}, summary="Make an article a draft again"
)
def unpublish_article(request: HttpRequest, article_id: Id) -> Any:
    user = staff_actor(request)
    article_unpublish(actor=user, article=access_article(user=user, article_id=article_id))
    return _detail(article_id)


@router.delete("/articles/{article_id}", response={204: None, **ERRORS}, summary="Delete an article")
def delete_article(request: HttpRequest, article_id: Id) -> Any:
    user = staff_actor(request)
    article_delete(actor=user, article=access_article(user=user, article_id=article_id))
    return Status(204, None)


# --- categories --------------------------------------------------------------------------------------------


@router.get("/article-categories", response={200: list[CategoryOut], **ERRORS}, summary="Article categories")
@paginate(OldestFirstPagination)
def list_categories(request: HttpRequest) -> Any:
    staff_actor(request)
    return categories_list()


@router.post("/article-categories", response={201: CategoryOut, **ERRORS}, summary="Create a category")
def create_category(request: HttpRequest, payload: CategoryIn) -> Any:
    category = category_create(actor=staff_actor(request), **payload.dict())
    return Status(201, categories_list().get(pk=category.pk))


@router.get("/article-categories/{category_id}", response={200: CategoryOut, **ERRORS}, summary="Get a category")
def get_category(request: HttpRequest, category_id: Id) -> Any:
    category = access_category(user=staff_actor(request), category_id=category_id)
    return categories_list().get(pk=category.pk)


@router.patch("/article-categories/{category_id}", response={200: CategoryOut, **ERRORS}, summary="Change a category")
def update_category(request: HttpRequest, category_id: Id, payload: CategoryPatch) -> Any:
    user = staff_actor(request)
    category = access_category(user=user, category_id=category_id)
    category_update(actor=user, category=category, **payload.dict(exclude_unset=True, exclude_none=True))
    return categories_list().get(pk=category.pk)


@router.delete("/article-categories/{category_id}", response={204: None, **ERRORS}, summary="Delete an empty category")
def delete_category(request: HttpRequest, category_id: Id) -> Any:
    user = staff_actor(request)
    category_delete(actor=user, category=access_category(user=user, category_id=category_id))
    return Status(204, None)


# --- deflections -------------------------------------------------------------------------------------------


@router.get(
    "/deflections",
    response={200: list[DeflectionOut], **ERRORS},
    summary="Customers whom an article answered and who filed nothing (L0 resolutions), newest first",
)
@paginate(IdCursorPagination)
def list_deflections(request: HttpRequest, filters: Query[DeflectionFilters]) -> Any:
    staff_actor(request)
    return deflections_list(since=filters.since, until=filters.until)
