"""The help centre in a real browser: a customer finds the answer in a suggested article and files nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from carefront.desk.models import Ticket
from carefront.knowledge.models import Deflection
from carefront.knowledge.services import ArticleText, article_create, category_create
from carefront.portal.services import portal_password_set
from tests.browser.helpers import PASSWORD, axe_check, login, portal_login, screenshot

pytestmark = [pytest.mark.browser]


def test_a_customer_finds_the_answer_in_a_suggested_article_and_files_nothing(
    transactional_db: Any, new_context: Any, portal_user_for: Any, carol: Any, morgan: Any
) -> None:
    """GIVEN a published article about tracking parcels, and Carol with a portal password
    WHEN she starts a new request, types a subject, opens the suggested article and says it solved her problem
    THEN she is thanked, no ticket exists, and one deflection is counted for her account.
    """
    delivery = category_create(actor=morgan, slug="delivery", names={"en": "Delivery", "fr": "Livraison"})
    article_create(
        actor=morgan,
        slug="track-your-parcel",
        category=delivery,
        status="published",
        texts={
            "en": ArticleText(
                "Where is my parcel?", "Open **My orders** and follow the carrier's tracking link for your parcel."
            )
        },
    )
    portal_password_set(user=portal_user_for(carol), password=PASSWORD, actor=None)
    customer = new_context().new_page()
    portal_login(customer, carol.email)

    customer.get_by_role("link", name="New request").first.click()
    customer.get_by_label("Subject").press_sequentially("My parcel has not arrived")
    suggestions = customer.get_by_role("region", name="These articles may answer your question")
    expect(suggestions.get_by_role("link", name="Where is my parcel?")).to_be_visible()
    axe_check(customer)
    screenshot(customer, "portal-suggestions")

    with customer.context.expect_page() as opened:
        suggestions.get_by_role("link", name="Where is my parcel?").click()
    article: Page = opened.value
    expect(article.get_by_role("heading", level=1)).to_have_text("Where is my parcel?")
    expect(article.locator(".article-body strong")).to_have_text("My orders")
    axe_check(article)
    screenshot(article, "help-article")
    article.get_by_role("button", name="This solved my problem").click()

    expect(article.get_by_role("heading", level=1)).to_have_text("Glad it helped")
    expect(article.get_by_text("we did not open a request")).to_be_visible()
    assert not Ticket.objects.exists()
    deflection = Deflection.objects.get()
    assert (deflection.account_id, deflection.subject) == (carol.account_id, "My parcel has not arrived")


def test_an_agent_inserts_a_suggested_article_link_into_the_reply_in_one_click(
    transactional_db: Any, page: Page, alice: Any, morgan: Any, ticket: Any
) -> None:
    """GIVEN a published article about parcels and Carol's ticket "Parcel never arrived"
    WHEN Alice opens the ticket and clicks "Insert link" in the suggested articles
    THEN the reply box holds a Markdown link to the article on the portal.
    """
    article_create(
        actor=morgan,
        slug="lost-parcels",
        status="published",
        texts={"en": ArticleText("Lost parcels", "When a parcel never arrived we send another one.")},
    )
    login(page, "alice")
    page.goto(f"/tickets/{ticket.number}/")
    panel = page.get_by_role("region", name="Suggested articles")
    expect(panel.get_by_role("link", name="Lost parcels")).to_be_visible()
    axe_check(page)
    panel.get_by_role("button", name="Insert link").click()
    expect(page.locator("#editor-body")).to_have_value(
        re.compile(r"^\[Lost parcels\]\(http://[^)]+/portal/help/articles/lost-parcels/\)$")
    )
    expect(panel.get_by_role("button", name="Link inserted")).to_be_visible()
