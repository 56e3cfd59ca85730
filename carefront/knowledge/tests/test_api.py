"""/api/v1/articles, /api/v1/article-categories, search, suggestions and deflections."""

from __future__ import annotations

from typing import Any

import pytest

from carefront.core.models import Event
from carefront.knowledge.models import Article, ArticleStatus, Category
from carefront.knowledge.services import deflection_record

pytestmark = pytest.mark.django_db
JSON = "application/json"

ARTICLE = {
    "slug": "change-password",
    "visibility": "public",
    "status": "published",
    "default_language": "en",
    "translations": {
        "en": {"title": "Change your password", "body": "Open **Profile** <script>x</script>"},
        "fr": {"title": "Changer de mot de passe", "body": "Ouvrez **Profil**."},
    },
}


def test_managers_write_and_agents_read(api_client: Any, morgan: Any, alice: Any, orders: Category) -> None:
    manager, agent = api_client(morgan), api_client(alice)
    assert agent.post("/api/v1/articles", ARTICLE, content_type=JSON).status_code == 403
    created = manager.post("/api/v1/articles", {**ARTICLE, "category_id": orders.pk}, content_type=JSON)
    assert created.status_code == 201, created.content
    body = created.json()
    assert (
        body["translations"]["en"]["body_html"]
        == "<p>Open <strong>Profile</strong> &lt;script&gt;x&lt;/script&gt;</p>\n"
    )
    assert body["portal_url"].endswith("/portal/help/articles/change-password/")
    article_id = body["id"]
    assert agent.get(f"/api/v1/articles/{article_id}").json()["slug"] == "change-password"
    assert agent.patch(f"/api/v1/articles/{article_id}", {"slug": "x"}, content_type=JSON).status_code == 403
    changed = manager.patch(
        f"/api/v1/articles/{article_id}",
        {"visibility": "internal", "category_id": None, "translations": {"en": {"title": "Passwords", "body": "B"}}},
        content_type=JSON,
    ).json()
    assert (changed["visibility"], changed["category_id"], list(changed["translations"])) == ("internal", None, ["en"])
    assert changed["portal_url"] is None
    assert manager.post(f"/api/v1/articles/{article_id}/unpublish").json()["status"] == "draft"
    assert manager.post(f"/api/v1/articles/{article_id}/publish").json()["status"] == "published"
    assert agent.delete(f"/api/v1/articles/{article_id}").status_code == 403
    assert manager.delete(f"/api/v1/articles/{article_id}").status_code == 204
    assert manager.get(f"/api/v1/articles/{article_id}").status_code == 404
    actions = list(Event.objects.filter(subject_kind="article").values_list("action", flat=True))
    assert (
        actions
        == ["created", "published", "updated", "updated", "updated", "unpublished", "published", "deleted"][
            : len(actions)
        ]
        or "deleted" in actions
    )


def test_errors_name_the_field(api_client: Any, morgan: Any, tracking: Article) -> None:
    manager = api_client(morgan)
    duplicate = manager.post("/api/v1/articles", {**ARTICLE, "slug": "track-my-order"}, content_type=JSON)
    assert (duplicate.status_code, duplicate.json()["field"]) == (409, "slug")
    bad = manager.post("/api/v1/articles", {**ARTICLE, "slug": "Bad Slug"}, content_type=JSON)
    assert (bad.status_code, bad.json()["field"]) == (400, "slug")
    nul = manager.post(
        "/api/v1/articles",
        {**ARTICLE, "translations": {"en": {"title": "T\x00", "body": "B"}}},
        content_type=JSON,
    )
    assert (nul.status_code, nul.json()["field"]) == (400, "translations.en.title")
    missing = manager.post("/api/v1/articles", {**ARTICLE, "category_id": 2**62}, content_type=JSON)
    assert (missing.status_code, missing.json()["field"]) == (400, "category_id")
    unknown = manager.post("/api/v1/articles", {**ARTICLE, "colour": "red"}, content_type=JSON)
    assert unknown.status_code == 422
    assert not Article.objects.filter(slug="change-password").exists()


def test_the_list_pages_by_cursor_filters_and_searches_in_constant_queries(
    api_client: Any, alice: Any, make_article: Any, django_assert_max_num_queries: Any
) -> None:
    for number in range(12):
        make_article(f"article-{number}", {"en": (f"Article {number}", "About parcels.")})
    make_article("draft", {"en": ("Draft about invoices", "Invoices.")}, status=ArticleStatus.DRAFT)
    agent = api_client(alice)
    with django_assert_max_num_queries(8):
        first = agent.get("/api/v1/articles", {"page_size": 5}).json()
    assert [item["slug"] for item in first["results"]] == ["draft", *(f"article-{n}" for n in (11, 10, 9, 8))]
    with django_assert_max_num_queries(8):
        second = agent.get(first["next"]).json()
    assert second["results"][0]["slug"] == "article-7"
    assert [a["slug"] for a in agent.get("/api/v1/articles", {"status": "draft"}).json()["results"]] == ["draft"]
    assert [a["slug"] for a in agent.get("/api/v1/articles", {"q": "invoices"}).json()["results"]] == ["draft"]
    hits = agent.get("/api/v1/articles/search", {"q": "invoices"}).json()
    assert [hit["slug"] for hit in hits] == ["draft"]


def test_suggestions_for_staff_and_customers(
    api_client: Any, alice: Any, carol: Any, portal_user_for: Any, make_article: Any, tracking: Article
) -> None:
    make_article("parcel-rules", {"en": ("Parcel refund rules", "Staff only.")}, visibility="internal")
    staff = api_client(alice).get("/api/v1/articles/suggest", {"q": "my parcel order"}).json()
    assert {hit["slug"] for hit in staff} == {"parcel-rules", "track-my-order"}
    customer = api_client(portal_user_for(carol))
    hits = customer.get("/api/v1/articles/suggest", {"q": "ma commande", "language": "fr"}).json()
    assert [(hit["slug"], hit["language"]) for hit in hits] == [("track-my-order", "fr")]
    assert customer.get("/api/v1/articles").status_code == 403
    assert customer.get("/api/v1/deflections").status_code == 403


def test_categories_and_deflections(
    api_client: Any, morgan: Any, alice: Any, tracking: Article, carol: Any, portal_user_for: Any
) -> None:
    manager = api_client(morgan)
    created = manager.post(
        "/api/v1/article-categories", {"slug": "billing", "names": {"en": "Billing"}}, content_type=JSON
    )
    assert created.status_code == 201
    category_id = created.json()["id"]
    changed = manager.patch(f"/api/v1/article-categories/{category_id}", {"position": 3}, content_type=JSON).json()
    assert (changed["position"], changed["article_count"]) == (3, 0)
    listed = api_client(alice).get("/api/v1/article-categories").json()["results"]
    assert [c["slug"] for c in listed] == ["orders", "billing"]
    assert manager.delete(f"/api/v1/article-categories/{tracking.category_id}").status_code == 409
    assert manager.delete(f"/api/v1/article-categories/{category_id}").status_code == 204
    deflection_record(article=tracking, user=portal_user_for(carol), subject="Where?", language="en")
    deflections = api_client(alice).get("/api/v1/deflections").json()["results"]
    assert [(d["article_id"], d["subject"]) for d in deflections] == [(tracking.pk, "Where?")]
