"""The portal's help centre: public reading, nothing private, feedback once, suggestions and deflections."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from carefront.desk.models import Ticket
from carefront.knowledge.models import Article, ArticleFeedback, ArticleStatus, Category, Deflection

pytestmark = pytest.mark.django_db


@pytest.fixture
def internal(make_article: Any, orders: Category) -> Article:
    return make_article(
        "refund-limits",
        {"en": ("Refund limits for agents", "Agents refund parcels up to 50 EUR.")},
        category=orders,
        visibility="internal",
    )


@pytest.fixture
def draft(make_article: Any, orders: Category) -> Article:
    return make_article(
        "parcel-draft", {"en": ("Parcel draft", "Unfinished parcel text.")}, category=orders, status=ArticleStatus.DRAFT
    )


def test_anyone_reads_the_help_centre_without_signing_in(tracking: Article, django_assert_max_num_queries: Any) -> None:
    client = Client()
    with django_assert_max_num_queries(6):
        home = client.get("/portal/help/")
    assert home.status_code == 200
    assert "Track my order" in home.content.decode() and "Orders" in home.content.decode()
    page = client.get("/portal/help/articles/track-my-order/")
    assert page.status_code == 200
    assert "<strong>My orders</strong>" in page.content.decode()
    assert client.get("/portal/help/categories/orders/").status_code == 200


def test_internal_and_draft_articles_never_reach_the_portal(
    tracking: Article, internal: Article, draft: Article, reader: Client
) -> None:
    for client in (Client(), reader):
        assert client.get("/portal/help/articles/refund-limits/").status_code == 404
        assert client.get("/portal/help/articles/parcel-draft/").status_code == 404
        for url in ("/portal/help/", "/portal/help/categories/orders/", "/portal/help/search/?q=parcel refund"):
            body = client.get(url).content.decode()
            assert "Refund limits" not in body and "Parcel draft" not in body
    suggestions = reader.get("/portal/help/suggestions/", {"subject": "refund parcel"}).content.decode()
    assert "Refund limits" not in suggestions and "Parcel draft" not in suggestions
    assert reader.post("/portal/help/articles/refund-limits/solved/", {"subject": "x"}).status_code == 404
    assert not Deflection.objects.exists()


def test_a_french_reader_reads_french_and_the_default_where_there_is_no_french(
    tracking: Article, make_article: Any, orders: Category
) -> None:
    make_article("gift-cards", {"en": ("Gift cards", "They never expire.")}, category=orders)
    client = Client(headers={"accept-language": "fr"})
    home = client.get("/portal/help/").content.decode()
    assert "Commandes" in home and "Suivre ma commande" in home and "Gift cards" in home
    page = client.get("/portal/help/articles/gift-cards/").content.decode()
    assert "pas encore disponible dans votre langue" in page
    results = client.get("/portal/help/search/", {"q": "commande"}).content.decode()
    assert "Suivre ma commande" in results


def test_search_ranks_and_shows_nothing_for_nothing(tracking: Article, django_assert_max_num_queries: Any) -> None:
    client = Client()
    with django_assert_max_num_queries(4):
        client.get("/portal/help/search/", {"q": "order"})
    assert "Track my order" in client.get("/portal/help/search/", {"q": "carrier"}).content.decode()
    assert client.get("/portal/help/search/", {"q": '\x00*")'}).status_code == 200


def test_feedback_is_recorded_once_per_reader(tracking: Article, reader: Client) -> None:
    url = "/portal/help/articles/track-my-order/feedback/"
    reader.post(url, {"helpful": "no"})
    reader.post(url, {"helpful": "yes"})
    anonymous = Client()
    anonymous.post(url, {"helpful": "yes"})
    anonymous.post(url, {"helpful": "yes"})
    assert ArticleFeedback.objects.count() == 2
    assert sorted(ArticleFeedback.objects.values_list("helpful", flat=True)) == [True, True]
    assert "You answered yes" in reader.get("/portal/help/articles/track-my-order/").content.decode()
    assert reader.post(url, {"helpful": "maybe"}).status_code == 302
    assert ArticleFeedback.objects.count() == 2


def test_suggestions_appear_for_the_subject_typed(tracking: Article, reader: Client) -> None:
    page = reader.get("/portal/tickets/new/").content.decode()
    assert 'hx-get="/portal/help/suggestions/"' in page
    fragment = reader.get("/portal/help/suggestions/", {"subject": "Where can I track my parcel?"}).content.decode()
    assert "Track my order" in fragment and "This solved my problem" in fragment
    assert reader.get("/portal/help/suggestions/", {"subject": ""}).content.decode().strip() == ""
    # Opened from a suggestion, the article offers both ways; "still need help" keeps the subject.
    article = reader.get("/portal/help/articles/track-my-order/", {"subject": "Where is it?"}).content.decode()
    assert "This solved my problem" in article
    assert "/portal/tickets/new/?subject=Where%20is%20it%3F" in article
    form = reader.get("/portal/tickets/new/", {"subject": "Where is it?"}).content.decode()
    assert 'value="Where is it?"' in form
    # Suggestions and deflections are for signed-in customers.
    assert Client().get("/portal/help/suggestions/", {"subject": "track"}).status_code == 302


def test_this_solved_my_problem_files_nothing_and_counts_a_deflection(
    tracking: Article, reader: Client, carol: Any
) -> None:
    response = reader.post("/portal/help/articles/track-my-order/solved/", {"subject": "Where is my parcel?"})
    assert response.status_code == 302
    thanks = reader.get(response["Location"]).content.decode()
    assert "we did not open a request" in thanks
    assert not Ticket.objects.exists()
    deflection = Deflection.objects.get()
    assert (deflection.article, deflection.account_id, deflection.contact, deflection.subject) == (
        tracking,
        carol.account_id,
        carol,
        "Where is my parcel?",
    )


def test_staff_and_strangers_cannot_record_a_deflection(tracking: Article, alice: Any) -> None:
    staff = Client()
    staff.force_login(alice)
    staff.post("/portal/help/articles/track-my-order/solved/", {"subject": "x"})
    Client().post("/portal/help/articles/track-my-order/solved/", {"subject": "x"})
    assert not Deflection.objects.exists()
