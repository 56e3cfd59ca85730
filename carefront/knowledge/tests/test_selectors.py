"""Reading the knowledge base: ranked full-text search in the reader's language, and who sees what."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from carefront.knowledge.models import Article, ArticleStatus, Category
from carefront.knowledge.selectors import (
    Audience,
    article_search,
    article_suggest,
    article_texts,
    deflections_count,
    help_centre_shelves,
)
from carefront.knowledge.services import deflection_record

pytestmark = pytest.mark.django_db


def _slugs(hits: list[Any]) -> list[str]:
    return [hit.article.slug for hit in hits]


def test_a_title_match_outranks_a_body_match(make_article: Any) -> None:
    make_article("body-only", {"en": ("Payment methods", "We accept cards. A refund goes back to the card.")})
    make_article("in-title", {"en": ("Refund times", "Money comes back within five days.")})
    assert _slugs(article_search(text="refund", language="en", audience=Audience.PORTAL)) == ["in-title", "body-only"]


def test_every_word_must_match_and_the_last_is_a_prefix(make_article: Any, tracking: Article) -> None:
    make_article("returns", {"en": ("Return an item", "Print the label and drop the parcel off.")})
    assert _slugs(article_search(text="track ord", language="en", audience=Audience.PORTAL)) == ["track-my-order"]
    assert _slugs(article_search(text="track label", language="en", audience=Audience.PORTAL)) == []


def test_words_are_stemmed_and_accents_ignored(make_article: Any) -> None:
    make_article("delivery", {"en": ("Delivery delays", "Parcels are delivered in three days.")})
    make_article("reclamation", {"fr": ("Réclamation", "Déposer une réclamation.")}, default_language="fr")
    assert _slugs(article_search(text="delivering", language="en", audience=Audience.PORTAL)) == ["delivery"]
    assert _slugs(article_search(text="reclamation", language="fr", audience=Audience.PORTAL)) == ["reclamation"]


def test_the_reader_gets_their_language_and_others_the_default(tracking: Article, make_article: Any) -> None:
    make_article("only-english", {"en": ("Gift cards", "Gift cards for any order never expire.")})
    hits = article_search(text="commande", language="fr", audience=Audience.PORTAL)
    assert [(hit.article.slug, hit.translation.language) for hit in hits] == [("track-my-order", "fr")]
    # An article with no French text is found, in English, by a French reader.
    hits = article_search(text="gift", language="fr", audience=Audience.PORTAL)
    assert [(hit.article.slug, hit.translation.language) for hit in hits] == [("only-english", "en")]
    # The English text of a translated article is not a second candidate for a French reader.
    assert article_search(text="carrier", language="fr", audience=Audience.PORTAL) == []
    texts = article_texts(article_ids=[tracking.pk], language="fr-CA")
    assert texts[tracking.pk].language == "en"  # not a supported code: the caller normalises
    assert article_texts(article_ids=[tracking.pk], language="fr")[tracking.pk].title == "Suivre ma commande"


def test_internal_and_draft_articles_never_reach_the_portal(make_article: Any) -> None:
    make_article("refund-rules", {"en": ("Refund rules", "Agents may refund up to 50.")}, visibility="internal")
    make_article("refund-draft", {"en": ("Refund draft", "Not yet.")}, status=ArticleStatus.DRAFT)
    make_article("refund-public", {"en": ("Refund policy", "Thirty days.")})
    assert _slugs(article_search(text="refund", language="en", audience=Audience.PORTAL)) == ["refund-public"]
    assert sorted(_slugs(article_search(text="refund", language="en", audience=Audience.STAFF))) == [
        "refund-public",
        "refund-rules",
    ]
    assert len(article_search(text="refund", language="en", audience=Audience.ALL)) == 3
    assert _slugs(article_suggest(text="refund", language="en", audience=Audience.PORTAL)) == ["refund-public"]


def test_a_suggestion_needs_any_meaningful_word_and_ranks(make_article: Any, tracking: Article) -> None:
    make_article("lost-parcel", {"en": ("My parcel is lost", "If the carrier lost your parcel we send another.")})
    hits = article_suggest(text="Where is my parcel? I can't track it", language="en", audience=Audience.PORTAL)
    assert set(_slugs(hits)) == {"lost-parcel", "track-my-order"}
    assert article_suggest(text="where is it, how can the", language="en", audience=Audience.PORTAL) == []
    assert article_suggest(text='"); DROP TABLE x; -- *', language="en", audience=Audience.PORTAL) == []
    assert article_search(text="NEAR(a b) OR \x00 :*", language="en", audience=Audience.PORTAL) == []


def test_help_centre_shelves_hold_published_public_articles_in_few_queries(
    make_article: Any, orders: Category, django_assert_max_num_queries: Any
) -> None:
    for number in range(8):
        make_article(
            f"order-{number}",
            {"en": (f"Order {number}", "Body"), "fr": (f"Commande {number}", "Corps")},
            category=orders,
        )
    make_article("secret", {"en": ("Secret", "Body")}, category=orders, visibility="internal")
    with django_assert_max_num_queries(3):
        shelves = help_centre_shelves(language="fr")
    assert [shelf.name for shelf in shelves] == ["Commandes"]
    assert len(shelves[0].items) == 6
    assert all(item.title.startswith("Commande") for item in shelves[0].items)


def test_deflections_are_counted_in_the_half_open_period(tracking: Article, carol: Any, portal_user_for: Any) -> None:
    user = portal_user_for(carol)
    deflection = deflection_record(article=tracking, user=user, subject="Where is it", language="en")
    at = deflection.created_at
    assert deflections_count(since=at, until=at + timedelta(seconds=1)) == 1
    assert deflections_count(since=at - timedelta(days=1), until=at) == 0
    assert deflections_count(since=timezone.now() + timedelta(days=1), until=timezone.now() + timedelta(days=2)) == 0


def test_lost_sqlite_triggers_are_put_back_and_the_index_rebuilt(make_article: Any) -> None:
    """GIVEN a migration rebuilt the translations table on SQLite (which drops its triggers)
    WHEN articles change meanwhile and post_migrate runs article_index_ensure
    THEN the triggers are back and the index holds what the rows hold."""
    from django.db import connection

    from carefront.knowledge.search_index import ARTICLES, article_index_ensure

    if connection.vendor != "sqlite":
        assert article_index_ensure() == []
        return
    with connection.cursor() as cursor:
        for name in ARTICLES.trigger_names:
            cursor.execute(f'DROP TRIGGER "{name}"')
    make_article("written-meanwhile", {"en": ("Written meanwhile", "Invisible to search until rebuilt.")})
    assert article_search(text="meanwhile", language="en", audience=Audience.PORTAL) == []
    assert sorted(article_index_ensure()) == sorted(ARTICLES.trigger_names)
    assert _slugs(article_search(text="meanwhile", language="en", audience=Audience.PORTAL)) == ["written-meanwhile"]
    assert article_index_ensure() == []
