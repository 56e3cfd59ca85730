"""Writing the knowledge base: Markdown made safe, one text per language, validation, access and audit."""

from __future__ import annotations

import re
from typing import Any

import pytest

from carefront.core.exceptions import ApplicationError
from carefront.core.models import Event
from carefront.knowledge.models import Article, ArticleFeedback, ArticleStatus, ArticleTranslation, Category
from carefront.knowledge.services import (
    ArticleText,
    article_create,
    article_delete,
    article_feedback_record,
    article_publish,
    article_unpublish,
    article_update,
    category_delete,
    category_update,
    deflection_record,
)

pytestmark = pytest.mark.django_db


def test_markdown_is_rendered_and_scripts_and_unsafe_links_are_removed(make_article: Any) -> None:
    body = (
        "# Returns\n\nSee [our policy](https://shop.example/returns) and **act fast**.\n\n"
        "<script>alert(1)</script>\n\n[click](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n"
        '<a href="javascript:alert(2)" onclick="x()">raw</a>'
    )
    article = make_article("returns", {"en": ("Returns", body)})
    text = ArticleTranslation.objects.get(article=article)
    assert "<h1>Returns</h1>" in text.body_html
    assert "<strong>act fast</strong>" in text.body_html
    assert 'href="https://shop.example/returns"' in text.body_html
    assert 'rel="noopener noreferrer nofollow"' in text.body_html
    lowered = text.body_html.lower()
    # Raw HTML is shown as text, never as markup; no link may run script.
    assert "<script" not in lowered and "&lt;script&gt;" in lowered
    tags = re.findall(r"<[a-z][^>]*>", lowered)
    assert not [tag for tag in tags if "javascript" in tag or re.search(r"\son\w+\s*=", tag)]
    assert not [tag for tag in tags if tag.startswith(("<img", "<script", '<a href="javascript'))]
    # The plain text the index reads has no markup.
    assert "<strong>" not in text.body_text and "See our policy and act fast." in text.body_text


def test_one_translation_per_language(tracking: Article, morgan: Any) -> None:
    assert sorted(tracking.translations.values_list("language", flat=True)) == ["en", "fr"]
    article_update(
        actor=morgan,
        article=tracking,
        texts={"en": ArticleText("Track my parcel", "Follow the link."), "fr": ArticleText("Suivre", "Le lien.")},
    )
    assert ArticleTranslation.objects.filter(article=tracking).count() == 2
    assert ArticleTranslation.objects.get(article=tracking, language="en").title == "Track my parcel"
    event = Event.objects.filter(subject_kind="article", subject_id=tracking.pk, action="updated").get()
    assert (event.field, event.new_value) == ("translations", ["en", "fr"])


def test_a_language_left_out_of_an_update_is_removed(tracking: Article, morgan: Any) -> None:
    article_update(actor=morgan, article=tracking, texts={"en": ArticleText("Track my order", "Link.")})
    assert list(tracking.translations.values_list("language", flat=True)) == ["en"]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"slug": "Not A Slug"}, "slug"),
        ({"slug": "a" * 121}, "slug"),
        ({"texts": {}}, "translations"),
        ({"texts": {"de": ArticleText("Titel", "Text")}}, "translations"),
        ({"texts": {"en": ArticleText("", "Body")}}, "translations.en.title"),
        ({"texts": {"en": ArticleText("Title", "  ")}}, "translations.en.body"),
        ({"texts": {"en": ArticleText("Title\x00", "Body")}}, "translations.en.title"),
        ({"texts": {"fr": ArticleText("Titre", "Texte")}}, "translations"),  # no text in the default language
        ({"visibility": "secret"}, "visibility"),
        ({"status": "archived"}, "status"),
        ({"default_language": "xx"}, "default_language"),
    ],
)
def test_bad_input_is_refused_naming_the_field(morgan: Any, values: dict[str, Any], field: str) -> None:
    arguments: dict[str, Any] = {"slug": "good-slug", "texts": {"en": ArticleText("Title", "Body")}, **values}
    with pytest.raises(ApplicationError) as refused:
        article_create(actor=morgan, **arguments)
    assert refused.value.field == field
    assert not Article.objects.exists()


def test_a_second_article_with_the_same_slug_is_a_conflict(tracking: Article, make_article: Any) -> None:
    with pytest.raises(ApplicationError) as refused:
        make_article("track-my-order", {"en": ("Other", "Other")})
    assert (refused.value.field, refused.value.status) == ("slug", 409)


def test_only_managers_and_admins_write(alice: Any, tracking: Article) -> None:
    with pytest.raises(ApplicationError) as refused:
        article_create(actor=alice, slug="mine", texts={"en": ArticleText("T", "B")})
    assert refused.value.status == 403
    with pytest.raises(ApplicationError):
        article_unpublish(actor=alice, article=tracking)
    with pytest.raises(ApplicationError):
        article_delete(actor=alice, article=tracking)


def test_publish_unpublish_and_delete_are_audited(make_article: Any, morgan: Any) -> None:
    article = make_article("draft-one", {"en": ("Draft", "Body")}, status=ArticleStatus.DRAFT)
    assert article.published_at is None
    article = article_publish(actor=morgan, article=article)
    assert article.status == ArticleStatus.PUBLISHED and article.published_at is not None
    article_unpublish(actor=morgan, article=article)
    article_id = article.pk
    article_delete(actor=morgan, article=article)
    actions = list(Event.objects.filter(subject_kind="article", subject_id=article_id).values_list("action", flat=True))
    assert actions == ["created", "published", "unpublished", "deleted"]
    assert not Article.objects.exists()


def test_a_category_holding_articles_is_not_deleted(tracking: Article, orders: Category, morgan: Any) -> None:
    with pytest.raises(ApplicationError) as refused:
        category_delete(actor=morgan, category=orders)
    assert refused.value.status == 409
    category_update(actor=morgan, category=orders, names={"en": "Your orders"}, position=2)
    orders.refresh_from_db()
    assert (orders.names, orders.position) == ({"en": "Your orders"}, 2)


def test_feedback_is_one_answer_per_reader_the_latest_kept(tracking: Article, carol: Any, portal_user_for: Any) -> None:
    user = portal_user_for(carol)
    article_feedback_record(article=tracking, language="en", helpful=False, user=user, session_key="")
    article_feedback_record(article=tracking, language="en", helpful=True, user=user, session_key="")
    article_feedback_record(article=tracking, language="fr", helpful=True, user=None, session_key="abc")
    article_feedback_record(article=tracking, language="fr", helpful=True, user=None, session_key="abc")
    assert ArticleFeedback.objects.count() == 2
    assert ArticleFeedback.objects.get(user=user).helpful is True
    with pytest.raises(ApplicationError):
        article_feedback_record(article=tracking, language="en", helpful=True, user=None, session_key="")


def test_deflection_needs_a_portal_contact_and_a_public_published_article(
    tracking: Article, make_article: Any, carol: Any, portal_user_for: Any, alice: Any
) -> None:
    user = portal_user_for(carol)
    deflection = deflection_record(article=tracking, user=user, subject="Where is my\x00 parcel?", language="en")
    assert (deflection.account_id, deflection.contact, deflection.subject) == (
        carol.account_id,
        carol,
        "Where is my parcel?",
    )
    again = deflection_record(article=tracking, user=user, subject="Where is my parcel?", language="en")
    assert again == deflection  # a double click within the hour counts once
    with pytest.raises(ApplicationError):
        deflection_record(article=tracking, user=alice, subject="x", language="en")
    internal = make_article("internal-notes", {"en": ("Refund rules", "Staff only.")}, visibility="internal")
    with pytest.raises(ApplicationError):
        deflection_record(article=internal, user=user, subject="x", language="en")
