"""Who may read and write the knowledge base, and the rows a person may open (else 404).

Every staff member reads every article (drafts and internal ones included); managers and admins write.
The portal shows published public articles to anyone, signed in or not: the help centre is public, as
most help centres are, and nothing else of the knowledge base is ever on it.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _

from carefront.core.access import is_manager, is_staff_member
from carefront.core.exceptions import ApplicationError
from carefront.knowledge.models import Article, ArticleStatus, ArticleVisibility, Category


def may_write(user: Any) -> bool:
    return is_manager(user)


def require_writer(user: Any) -> None:
    """Managers and admins write; None is the system itself (`carefront import`, the demo loader)."""
    if user is not None and not may_write(user):
        raise ApplicationError(_("Only managers and admins may change the knowledge base."), status=403)


def access_article(*, user: Any, article_id: int) -> Article:
    """Any article, for staff; 404 for everyone else."""
    article = Article.objects.filter(pk=article_id).first() if is_staff_member(user) else None
    if article is None:
        raise Http404
    return article


def access_category(*, user: Any, category_id: int) -> Category:
    category = Category.objects.filter(pk=category_id).first() if is_staff_member(user) else None
    if category is None:
        raise Http404
    return category


def access_public_article(*, slug: str) -> Article:
    """A published public article by its slug: what the portal may show to anyone; else 404."""
    article = (
        Article.objects.filter(slug=slug, status=ArticleStatus.PUBLISHED, visibility=ArticleVisibility.PUBLIC)
        .select_related("category")
        .first()
    )
    if article is None:
        raise Http404
    return article
