"""Every write to the knowledge base: categories, articles and their translations, feedback, deflections.

Writes to categories and articles are for managers and admins (`access.require_writer`), atomic and
audited (`core.Event`, subject kinds "article" and "article_category"). A translation's HTML and plain text
are rendered here, when it is saved, so readers never wait for Markdown and never see unsanitised HTML.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carefront.core.access import portal_account_id
from carefront.core.exceptions import ApplicationError
from carefront.core.services import Actor, Change, events_record
from carefront.core.validation import clean_choice, clean_text
from carefront.knowledge.access import require_writer
from carefront.knowledge.markdown import html_text, markdown_render
from carefront.knowledge.models import (
    Article,
    ArticleFeedback,
    ArticleStatus,
    ArticleTranslation,
    ArticleVisibility,
    Category,
    Deflection,
)

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG_CHARS = 120
MAX_TITLE_CHARS = 200
MAX_BODY_CHARS = 100_000
MAX_CATEGORY_NAME_CHARS = 100
MAX_POSITION = 1_000_000
MAX_SUBJECT_CHARS = 250
DEFLECTION_REPEAT_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class ArticleText:
    """An article's title and Markdown body in one language, as a writer gives them."""

    title: str
    body: str


def languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def clean_language(value: Any, *, field: str = "language") -> str:
    return str(clean_choice(value, choices=languages(), field=field))


def clean_slug(value: Any, *, field: str = "slug", max_length: int = MAX_SLUG_CHARS) -> str:
    slug = clean_text(value, field=field, max_length=max_length, required=True)
    if not SLUG.match(slug):
        raise ApplicationError(
            _("Use lower-case letters, digits and hyphens only, like {example}.").format(example="track-my-order"),
            field=field,
        )
    return slug


# --- categories ------------------------------------------------------------------------------------------


def _clean_names(names: Mapping[str, str]) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    for language, name in names.items():
        clean_language(language, field="names")
        text = clean_text(name, field="names", max_length=MAX_CATEGORY_NAME_CHARS)
        if text:
            cleaned[language] = text
    if not cleaned:
        raise ApplicationError(_("Name the category in at least one language."), field="names")
    return cleaned


def _clean_position(position: Any) -> int:
    if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position <= MAX_POSITION:
        raise ApplicationError(_("A whole number from 0 to {max}.").format(max=MAX_POSITION), field="position")
    return position


@transaction.atomic
def category_create(*, actor: Actor, slug: str, names: Mapping[str, str], position: int = 0) -> Category:
    require_writer(actor)
    slug = clean_slug(slug, max_length=80)
    cleaned = _clean_names(names)
    position = _clean_position(position)
    if Category.objects.filter(slug=slug).exists():
        message = _("A category with the slug “{slug}” exists.").format(slug=slug)
        raise ApplicationError(message, field="slug", status=409)
    category = Category.objects.create(slug=slug, names=cleaned, position=position)
    events_record(subject_kind="article_category", subject_id=category.pk, action="created", actor=actor)
    return category


@transaction.atomic
def category_update(
    *,
    actor: Actor,
    category: Category,
    slug: str | None = None,
    names: Mapping[str, str] | None = None,
    position: int | None = None,
) -> Category:
    require_writer(actor)
    category = Category.objects.select_for_update().get(pk=category.pk)
    new = {
        "slug": category.slug if slug is None else clean_slug(slug, max_length=80),
        "names": category.names if names is None else _clean_names(names),
        "position": category.position if position is None else _clean_position(position),
    }
    if Category.objects.filter(slug=new["slug"]).exclude(pk=category.pk).exists():
        raise ApplicationError(
            _("A category with the slug “{slug}” exists.").format(slug=new["slug"]), field="slug", status=409
        )
    changes = [Change(f, getattr(category, f), v) for f, v in new.items() if getattr(category, f) != v]
    if changes:
        for change in changes:
            setattr(category, change.field, change.new)
        category.save(update_fields=[change.field for change in changes])
        events_record(
            subject_kind="article_category", subject_id=category.pk, action="updated", changes=changes, actor=actor
        )
    return category


@transaction.atomic
def category_delete(*, actor: Actor, category: Category) -> None:
    """Delete an empty category; one that still holds articles is refused (move them first)."""
    require_writer(actor)
    if Article.objects.filter(category_id=category.pk).exists():
        raise ApplicationError(
            _("This category still holds articles: move or delete them first."), field="category", status=409
        )
    events_record(
        subject_kind="article_category",
        subject_id=category.pk,
        action="deleted",
        changes=[Change("slug", category.slug, None)],
        actor=actor,
    )
    category.delete()


# --- articles --------------------------------------------------------------------------------------------


def _clean_texts(texts: Mapping[str, ArticleText], *, default_language: str) -> dict[str, ArticleText]:
    cleaned: dict[str, ArticleText] = {}
    for language, text in texts.items():
        clean_language(language, field="translations")
        title = clean_text(
            text.title, field=f"translations.{language}.title", max_length=MAX_TITLE_CHARS, required=True
        )
        body = clean_text(text.body, field=f"translations.{language}.body", max_length=MAX_BODY_CHARS, required=True)
        cleaned[language] = ArticleText(title=title, body=body)
    if default_language not in cleaned:
        raise ApplicationError(
            _("Write the article in its default language ({language}).").format(language=default_language),
            field="translations",
        )
    return cleaned


def _translation(article: Article, language: str, text: ArticleText, now: Any) -> ArticleTranslation:
    body_html = markdown_render(text.body)
    return ArticleTranslation(
        article=article,
        language=language,
        title=text.title,
        body=text.body,
        body_html=body_html,
        body_text=html_text(body_html),
        updated_at=now,
    )


def _texts_write(article: Article, texts: dict[str, ArticleText], now: Any) -> list[str]:
    """Make the article's translations exactly `texts`; the languages whose text changed."""
    existing = {t.language: t for t in ArticleTranslation.objects.filter(article=article)}
    changed: list[str] = []
    for language, old in existing.items():
        if language not in texts:
            old.delete()
            changed.append(language)
    for language, text in texts.items():
        old_row = existing.get(language)
        if old_row is not None and (old_row.title, old_row.body) == (text.title, text.body):
            continue
        row = _translation(article, language, text, now)
        if old_row is None:
            row.save()
        else:
            row.pk = old_row.pk
            row.save(force_update=True)
        changed.append(language)
    return sorted(changed)


def _category_check(category: Category | None) -> None:
    if category is not None and not Category.objects.filter(pk=category.pk).exists():
        raise ApplicationError(_("No such category."), field="category")


@transaction.atomic
def article_create(
    *,
    actor: Actor,
    slug: str,
    texts: Mapping[str, ArticleText],
    category: Category | None = None,
    visibility: str = ArticleVisibility.PUBLIC,
    default_language: str = settings.LANGUAGE_CODE,
    status: str = ArticleStatus.DRAFT,
) -> Article:
    """A new article with its translations; a draft unless `status` says published."""
    require_writer(actor)
    slug = clean_slug(slug)
    visibility = clean_choice(visibility, choices=ArticleVisibility.values, field="visibility")
    status = clean_choice(status, choices=ArticleStatus.values, field="status")
    default_language = clean_language(default_language, field="default_language")
    cleaned = _clean_texts(texts, default_language=default_language)
    _category_check(category)
    if Article.objects.filter(slug=slug).exists():
        message = _("An article with the slug “{slug}” exists.").format(slug=slug)
        raise ApplicationError(message, field="slug", status=409)
    now = timezone.now()
    article = Article.objects.create(
        slug=slug,
        category=category,
        visibility=visibility,
        default_language=default_language,
        status=status,
        author_id=actor.pk if actor is not None and actor.is_authenticated else None,
        created_at=now,
        updated_at=now,
        published_at=now if status == ArticleStatus.PUBLISHED else None,
    )
    _texts_write(article, cleaned, now)
    events_record(subject_kind="article", subject_id=article.pk, action="created", actor=actor)
    if status == ArticleStatus.PUBLISHED:
        events_record(subject_kind="article", subject_id=article.pk, action="published", actor=actor)
    return article


_UNSET: Any = object()


@transaction.atomic
def article_update(
    *,
    actor: Actor,
    article: Article,
    slug: str | None = None,
    texts: Mapping[str, ArticleText] | None = None,
    category: Category | None = _UNSET,
    visibility: str | None = None,
    default_language: str | None = None,
) -> Article:
    """Change an article; `texts`, when given, is the whole set of translations (a language left out is removed)."""
    require_writer(actor)
    article = Article.objects.select_for_update().get(pk=article.pk)
    new: dict[str, Any] = {
        "slug": article.slug if slug is None else clean_slug(slug),
        "visibility": article.visibility
        if visibility is None
        else clean_choice(visibility, choices=ArticleVisibility.values, field="visibility"),
        "default_language": article.default_language
        if default_language is None
        else clean_language(default_language, field="default_language"),
    }
    if category is not _UNSET:
        _category_check(category)
        new["category_id"] = category.pk if category is not None else None
    if texts is None:
        current = {t.language: ArticleText(t.title, t.body) for t in article.translations.all()}
        cleaned = _clean_texts(current, default_language=new["default_language"])
    else:
        cleaned = _clean_texts(texts, default_language=new["default_language"])
    if Article.objects.filter(slug=new["slug"]).exclude(pk=article.pk).exists():
        raise ApplicationError(
            _("An article with the slug “{slug}” exists.").format(slug=new["slug"]), field="slug", status=409
        )
    now = timezone.now()
    changes = [Change(f, getattr(article, f), v) for f, v in new.items() if getattr(article, f) != v]
    for change in changes:
        setattr(article, change.field, change.new)
    changed_languages = _texts_write(article, cleaned, now) if texts is not None else []
    if changed_languages:
        changes.append(Change("translations", None, changed_languages))
    if changes:
        article.updated_at = now
        article.save(update_fields=[*(c.field for c in changes if c.field != "translations"), "updated_at"])
        events_record(subject_kind="article", subject_id=article.pk, action="updated", changes=changes, actor=actor)
    return article


@transaction.atomic
def article_publish(*, actor: Actor, article: Article) -> Article:
    require_writer(actor)
    article = Article.objects.select_for_update().get(pk=article.pk)
    if article.status != ArticleStatus.PUBLISHED:
        article.status = ArticleStatus.PUBLISHED
        article.published_at = article.updated_at = timezone.now()
        article.save(update_fields=["status", "published_at", "updated_at"])
        events_record(subject_kind="article", subject_id=article.pk, action="published", actor=actor)
    return article


@transaction.atomic
def article_unpublish(*, actor: Actor, article: Article) -> Article:
    """Back to draft: off the portal and out of suggestions; its feedback and deflections stay."""
    require_writer(actor)
    article = Article.objects.select_for_update().get(pk=article.pk)
    if article.status != ArticleStatus.DRAFT:
        article.status = ArticleStatus.DRAFT
        article.updated_at = timezone.now()
        article.save(update_fields=["status", "updated_at"])
        events_record(subject_kind="article", subject_id=article.pk, action="unpublished", actor=actor)
    return article


@transaction.atomic
def article_delete(*, actor: Actor, article: Article) -> None:
    """Delete an article with its translations and feedback. The audit trail keeps its slug; deflections
    it caused go with it, so the tier report of past periods counts fewer (unpublish keeps them)."""
    require_writer(actor)
    events_record(
        subject_kind="article",
        subject_id=article.pk,
        action="deleted",
        changes=[Change("slug", article.slug, None)],
        actor=actor,
    )
    article.delete()


# --- readers ---------------------------------------------------------------------------------------------


def article_feedback_record(
    *, article: Article, language: str, helpful: bool, user: Any, session_key: str
) -> ArticleFeedback:
    """A reader's answer to "Did this answer your question?": one per reader and article, the latest kept.

    A signed-in reader is known by their user, anyone else by their session."""
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    if not signed_in and not session_key:
        raise ApplicationError(_("Your browser must accept cookies to answer."), field="helpful")
    language = clean_language(language)
    who: dict[str, Any] = {"user": user} if signed_in else {"user": None, "session_key": session_key[:64]}
    for _attempt in range(2):
        try:
            with transaction.atomic():
                feedback, _created = ArticleFeedback.objects.update_or_create(
                    article=article,
                    **who,
                    defaults={"helpful": bool(helpful), "language": language, "created_at": timezone.now()},
                )
            return feedback
        except IntegrityError:
            # Two answers at once from one reader: the unique constraint kept one; update it.
            continue
    raise ApplicationError(_("Your answer could not be saved; try again."), field="helpful", status=409)


@transaction.atomic
def deflection_record(*, article: Article, user: Any, subject: str, language: str) -> Deflection:
    """A signed-in customer says a suggested article solved their problem: they file nothing, and the
    deflection counts as an L0 resolution. Only for a portal contact and a published public article."""
    account_id = portal_account_id(user)
    if account_id is None:
        raise ApplicationError(_("Only a signed-in customer may do this."), status=403)
    if article.status != ArticleStatus.PUBLISHED or article.visibility != ArticleVisibility.PUBLIC:
        raise ApplicationError(_("This article is not published."), field="article", status=404)
    text = " ".join(str(subject or "").replace("\x00", " ").split())[:MAX_SUBJECT_CHARS]
    # A second click (or a resubmitted form) on the same article soon after is the same deflection.
    recent = Deflection.objects.filter(
        article=article, user=user, created_at__gte=timezone.now() - DEFLECTION_REPEAT_WINDOW
    ).first()
    if recent is not None:
        return recent
    return Deflection.objects.create(
        article=article,
        account_id=account_id,
        contact=getattr(user, "contact", None),
        user=user,
        subject=text,
        language=clean_language(language),
    )
