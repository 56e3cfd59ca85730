"""Knowledge-base fixtures: articles written by Morgan (a manager) through the services."""

from __future__ import annotations

from typing import Any

import pytest

from carefront.knowledge.models import Article, ArticleStatus, ArticleVisibility, Category
from carefront.knowledge.services import ArticleText, article_create, category_create


@pytest.fixture
def orders(morgan: Any) -> Category:
    return category_create(actor=morgan, slug="orders", names={"en": "Orders", "fr": "Commandes"}, position=1)


@pytest.fixture
def make_article(morgan: Any) -> Any:
    """Write an article: `texts` maps a language to (title, body); published and public unless told."""

    def make(
        slug: str,
        texts: dict[str, tuple[str, str]],
        *,
        category: Category | None = None,
        status: str = ArticleStatus.PUBLISHED,
        visibility: str = ArticleVisibility.PUBLIC,
        default_language: str = "en",
    ) -> Article:
        return article_create(
            actor=morgan,
            slug=slug,
            texts={language: ArticleText(title, body) for language, (title, body) in texts.items()},
            category=category,
            status=status,
            visibility=visibility,
            default_language=default_language,
        )

    return make


@pytest.fixture
def tracking(make_article: Any, orders: Category) -> Article:
    return make_article(
        "track-my-order",
        {
            "en": ("Track my order", "Open **My orders** and follow the carrier's link to see where your parcel is."),
            "fr": ("Suivre ma commande", "Ouvrez **Mes commandes** et suivez le lien du transporteur."),
        },
        category=orders,
    )


@pytest.fixture
def reader(carol: Any, portal_user_for: Any) -> Any:
    """Carol (Acme) signed in to the portal."""
    from django.test import Client

    client = Client()
    client.force_login(portal_user_for(carol))
    return client
