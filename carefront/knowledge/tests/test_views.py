"""The workspace's Knowledge screens and the ticket page's suggested articles."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from carefront.core.models import Event
from carefront.desk.models import Ticket
from carefront.knowledge.models import Article, ArticleStatus, Category

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(**values: Any) -> dict[str, Any]:
    data = {
        "slug": "returns",
        "category": "",
        "visibility": "public",
        "default_language": "en",
        "title_en": "Return an item",
        "body_en": "Print the **label**.",
        "title_fr": "",
        "body_fr": "",
    }
    data.update(values)
    return data


def test_every_staff_member_reads_drafts_and_internal_articles(
    alice: Any, make_article: Any, tracking: Article, django_assert_max_num_queries: Any
) -> None:
    make_article("refund-rules", {"en": ("Refund rules", "Internal.")}, visibility="internal")
    make_article("draft-one", {"en": ("Draft one", "Soon.")}, status=ArticleStatus.DRAFT)
    client = _client(alice)
    with django_assert_max_num_queries(8):
        page = client.get("/knowledge/").content.decode()
    assert "Refund rules" in page and "Draft one" in page and "Track my order" in page
    assert "New article" not in page  # agents read only
    assert "Refund rules" in client.get("/knowledge/", {"q": "refund"}).content.decode()
    drafts = client.get("/knowledge/", {"status": "draft"}).content.decode()
    assert "Draft one" in drafts and "Track my order" not in drafts
    french = client.get("/knowledge/", {"language": "fr"}).content.decode()
    assert "Track my order" in french and "Draft one" not in french
    article = client.get(f"/knowledge/{tracking.pk}/").content.decode()
    assert "<strong>My orders</strong>" in article and "Suivre ma commande" in article


def test_the_list_pages_by_keyset_and_its_queries_do_not_grow(
    alice: Any, make_article: Any, django_assert_max_num_queries: Any
) -> None:
    for number in range(55):
        make_article(f"article-{number}", {"en": (f"Article {number}", "Body")})
    client = _client(alice)
    with django_assert_max_num_queries(8):
        first = client.get("/knowledge/").content.decode()
    assert "Article 54" in first and "Article 4<" not in first
    cursor = first.split("after=", 1)[1].split('"', 1)[0]
    second = client.get(f"/knowledge/?after={cursor}").content.decode()
    assert "Article 4<" in second and "Article 54" not in second and "after=" not in second


def test_agents_cannot_write(alice: Any, tracking: Article, orders: Category) -> None:
    client = _client(alice)
    assert client.get("/knowledge/new/").status_code == 403
    assert client.post("/knowledge/new/", _form()).status_code == 403
    assert client.post(f"/knowledge/{tracking.pk}/", _form(slug="x")).status_code == 403
    assert client.post(f"/knowledge/{tracking.pk}/unpublish/").status_code == 403
    assert client.post(f"/knowledge/{tracking.pk}/delete/").status_code == 403
    assert client.post("/knowledge/categories/", {"slug": "x", "position": 0, "name_en": "X"}).status_code == 403
    assert client.post(f"/knowledge/categories/{orders.pk}/delete/").status_code == 403
    tracking.refresh_from_db()
    assert (tracking.slug, tracking.status) == ("track-my-order", ArticleStatus.PUBLISHED)


def test_contacts_and_strangers_are_kept_out(reader: Client, tracking: Article) -> None:
    assert reader.get("/knowledge/").status_code == 403
    assert reader.get(f"/knowledge/{tracking.pk}/").status_code == 403
    assert Client().get("/knowledge/").status_code == 302


def test_a_manager_writes_publishes_and_deletes_an_article(morgan: Any, orders: Category) -> None:
    client = _client(morgan)
    refused = client.post("/knowledge/new/", _form(title_en="", body_en=""))
    assert refused.status_code == 400
    assert "Write the article in its default language" in refused.content.decode()
    refused = client.post("/knowledge/new/", _form(title_en=""))
    assert 'id="id_title_en_error"' in refused.content.decode()
    response = client.post("/knowledge/new/", _form(category=orders.pk, title_fr="Retourner", body_fr="Le *bon*."))
    assert response.status_code == 302
    article = Article.objects.get(slug="returns")
    assert (article.status, article.category, article.translations.count()) == ("draft", orders, 2)
    client.post(f"/knowledge/{article.pk}/publish/")
    client.post(f"/knowledge/{article.pk}/", _form(category=orders.pk, visibility="internal"))
    article.refresh_from_db()
    assert (article.status, article.visibility, article.translations.count()) == ("published", "internal", 1)
    client.post(f"/knowledge/{article.pk}/delete/")
    assert not Article.objects.exists()
    actions = list(Event.objects.filter(subject_kind="article").values_list("action", flat=True))
    assert actions[0] == "created" and "published" in actions and "updated" in actions and actions[-1] == "deleted"


def test_the_preview_renders_sanitised_markdown(morgan: Any) -> None:
    response = _client(morgan).post(
        "/knowledge/preview/", {"field": "body_en", "body_en": "**bold** <script>x</script>"}
    )
    assert "<strong>bold</strong>" in response.content.decode()
    assert "<script>" not in response.content.decode()


def test_categories_are_managed_by_managers(morgan: Any, tracking: Article, orders: Category) -> None:
    client = _client(morgan)
    response = client.post("/knowledge/categories/", {"slug": "billing", "position": 2, "name_en": "Billing"})
    assert response.status_code == 302
    billing = Category.objects.get(slug="billing")
    assert billing.names == {"en": "Billing"}
    client.post(f"/knowledge/categories/{billing.pk}/delete/")
    client.post(f"/knowledge/categories/{orders.pk}/delete/")  # still holds an article: refused
    assert list(Category.objects.values_list("slug", flat=True)) == ["orders"]


def test_the_ticket_page_loads_suggested_articles_lazily(
    alice: Any, ticket: Ticket, tracking: Article, make_article: Any, django_assert_num_queries: Any
) -> None:
    """GIVEN a ticket about a parcel, a public article and an internal one about parcels
    WHEN Alice opens the ticket page and it loads its panel
    THEN the page only holds the panel's trigger, and the panel lists both with a Markdown link for the public one,
    in a constant number of queries.
    """
    make_article("parcel-rules", {"en": ("Parcel refund rules", "Agents only: late parcels.")}, visibility="internal")
    client = _client(alice)
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert f'hx-get="/tickets/{ticket.number}/articles/"' in page
    with django_assert_num_queries(8):
        panel = client.get(f"/tickets/{ticket.number}/articles/").content.decode()
    make_article("parcel-more", {"en": ("More parcels", "Parcel arrived late again.")})
    with django_assert_num_queries(8):
        client.get(f"/tickets/{ticket.number}/articles/")
    assert "Parcel refund rules" in panel and "Internal" in panel
    assert 'data-insert-link="[Track my order](http://' in panel
    assert "/portal/help/articles/track-my-order/)" in panel
    assert panel.count("data-insert-link") == 1  # an internal article's link would be a 404 for the customer


def test_the_panel_of_a_ticket_one_may_not_see_is_404(reader: Client, ticket: Ticket) -> None:
    assert reader.get(f"/tickets/{ticket.number}/articles/").status_code == 403
    assert _client_missing(ticket).status_code == 404


def _client_missing(ticket: Ticket) -> Any:
    from carefront.core.services import staff_create

    advisor = staff_create(username="eve", email="eve@carefront.example", role="advisor", password="x" * 12)
    return _client(advisor).get(f"/tickets/{ticket.number + 1000}/articles/")
