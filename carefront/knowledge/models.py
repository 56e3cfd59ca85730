"""The knowledge base (L0 self-service): categories, articles in Markdown with one text per language,
readers' feedback, and deflections (a customer who found the answer and filed no request)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class ArticleVisibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    INTERNAL = "internal", _("Internal (staff only)")


class Category(models.Model):
    """A shelf of the help centre, with its name in each language."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    # {"en": "Orders", "fr": "Commandes"}: a handful of short names, read with the category every time.
    names = models.JSONField(_("names"), default=dict)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("article category")
        verbose_name_plural = _("article categories")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.slug

    def name_in(self, language: str) -> str:
        """The name in `language`, else the default language's, else any."""
        names: dict[str, str] = self.names or {}
        return names.get(language) or names.get(settings.LANGUAGE_CODE) or next(iter(names.values()), self.slug)


class Article(models.Model):
    """A help-centre article: draft or published, public or for staff only, in one or more languages."""

    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="articles", verbose_name=_("category")
    )
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    status = models.CharField(_("status"), max_length=16, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT)
    visibility = models.CharField(
        _("visibility"), max_length=16, choices=ArticleVisibility.choices, default=ArticleVisibility.PUBLIC
    )
    default_language = models.CharField(_("default language"), max_length=16, default="en")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [
            # The portal's lists: published articles of one category, by visibility.
            models.Index(fields=["status", "visibility", "category"], name="article_listing_idx"),
        ]

    def __str__(self) -> str:
        return self.slug


class ArticleTranslation(models.Model):
    """An article's title and Markdown body in one language, with the sanitised HTML rendered when saved."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="translations", verbose_name=_("article")
    )
    language = models.CharField(_("language"), max_length=16)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body (Markdown)"))
    body_html = models.TextField(_("body (HTML)"), editable=False)
    # The body's words without markup: what the full-text index reads.
    body_text = models.TextField(_("body (text)"), editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("article translation")
        verbose_name_plural = _("article translations")
        constraints = [
            models.UniqueConstraint(fields=["article", "language"], name="article_translation_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} {self.language}"


class ArticleFeedback(models.Model):
    """One reader's answer to "Did this answer your question?" on one article (a later answer replaces it)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback", verbose_name=_("article"))
    language = models.CharField(_("language"), max_length=16)
    helpful = models.BooleanField(_("helpful"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    # Readers who are not signed in are told apart by their session.
    session_key = models.CharField(_("session"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("article feedback")
        verbose_name_plural = _("article feedback")
        constraints = [
            models.UniqueConstraint(
                fields=["article", "user"], condition=Q(user__isnull=False), name="article_feedback_user_unique"
            ),
            models.UniqueConstraint(
                fields=["article", "session_key"],
                condition=Q(user__isnull=True),
                name="article_feedback_session_unique",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(session_key=""), name="article_feedback_has_reader"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} {'+' if self.helpful else '-'}"


class Deflection(models.Model):
    """A customer who found the answer in a suggested article and filed no request: an L0 resolution."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="deflections", verbose_name=_("article")
    )
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", verbose_name=_("account")
    )
    contact = models.ForeignKey(
        "accounts.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contact"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    language = models.CharField(_("language"), max_length=16)
    subject = models.CharField(_("subject typed"), max_length=250, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("deflection")
        verbose_name_plural = _("deflections")
        indexes = [
            # The tier report counts a period's deflections; an article's page counts its own.
            models.Index(fields=["created_at"], name="deflection_time_idx"),
            models.Index(fields=["article", "created_at"], name="deflection_article_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} {self.created_at:%Y-%m-%d}"
