"""The demo's help centre: 30+ articles in English and French, some for agents only, found by search."""

from __future__ import annotations

from typing import Any

import pytest

from carefront.knowledge.demo_articles import demo_articles_load
from carefront.knowledge.models import Article, ArticleTranslation, Category
from carefront.knowledge.selectors import Audience, article_search, article_suggest

pytestmark = pytest.mark.django_db


def test_the_demo_writes_thirty_articles_in_two_languages_once(db: Any) -> None:
    assert demo_articles_load(actor=None) >= 30
    assert demo_articles_load(actor=None) == 0
    articles = Article.objects.count()
    assert articles >= 30 and Category.objects.count() >= 5
    assert ArticleTranslation.objects.filter(language="en").count() == articles
    assert ArticleTranslation.objects.filter(language="fr").count() == articles
    assert Article.objects.filter(visibility="internal").count() >= 3
    assert not ArticleTranslation.objects.filter(body_html__contains="<script").exists()


def test_demo_articles_answer_common_questions_in_both_languages(db: Any) -> None:
    demo_articles_load(actor=None)
    english = article_suggest(text="I forgot my password", language="en", audience=Audience.PORTAL)
    assert english[0].article.slug == "reset-my-password"
    french = article_search(text="remboursement", language="fr", audience=Audience.PORTAL)
    assert "refund-times" in [hit.article.slug for hit in french]
    assert all(hit.translation.language == "fr" for hit in french)
    assert "refund-limits-for-agents" not in [
        hit.article.slug for hit in article_search(text="refund", language="en", audience=Audience.PORTAL)
    ]
