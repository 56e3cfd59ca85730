"""The Insights page in a real browser: a manager decides on the advisor's suggestion, the account follows."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from carefront.accounts.models import Account, Contact, ServiceModel
from carefront.accounts.services import account_change_service_model
from carefront.core.models import Role
from carefront.core.services import cost_rate_set
from carefront.desk.services import ticket_create
from carefront.insights.models import Review
from carefront.insights.tests.books import customers_book, orders_placed
from tests.browser.conftest import PHONE
from tests.browser.helpers import assert_no_horizontal_scroll, axe_check, htmx_settled, login, screenshot

pytestmark = [pytest.mark.browser]


@pytest.fixture
def scored(transactional_db: Any, acme: Account, globex: Account, carol: Contact, dana: Any, morgan: Any) -> Any:
    """150 ordinary customers; Acme buying more and more with tax questions for the specialists; Globex, a client
    of Dana's, gone quiet. Then a full refresh, run in this process (the test queue is immediate)."""
    cost_rate_set(actor=None, role=Role.ADVISOR, hourly=Decimal("60"))
    cost_rate_set(actor=None, role=Role.AGENT, hourly=Decimal("30"))
    customers_book(count=150, seed=0)
    orders_placed(acme, days_ago=[700, 500, 400, 300, 200, 120, 90, 60, 40, 20, 10, 3], amount="1500.00")
    tickets = [
        ticket_create(actor=None, requester=carol, subject=subject, body="Can we talk?", tier=2, tags=["tax-planning"])
        for subject in ("Tax planning for 2027", "Tax planning: holding company", "Audit of our accounts")
    ]
    account_change_service_model(account=globex, actor=morgan, service_model="client", owner=dana, reason="Signed")
    orders_placed(globex, days_ago=[720, 690, 660, 630, 600, 570, 540, 510, 480], amount="400.00")
    call_command("insights", "refresh")
    assert Review.objects.filter(account=acme, state="open").exists()
    return tickets[0]


def test_manager_accepts_the_advisors_suggestion_and_the_account_becomes_a_client(
    page: Page, scored: Any, acme: Account, dana: Any, morgan: Any
) -> None:
    """GIVEN a full refresh that recommends client service for Acme, a customer buying more and more
    WHEN a manager opens Insights, reads why, chooses Dana as the advisor and accepts
    THEN the review reads as accepted in place, Acme's page shows a client owned by Dana, and its timeline the decision.
    """
    login(page, "morgan")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Insights").click()
    expect(page.get_by_role("heading", name="Insights", level=1)).to_be_visible()
    review = page.locator(".review").filter(has=page.get_by_role("link", name="Acme Ltd"))
    expect(review).to_contain_text("Offer client service")
    expect(review).to_contain_text("orders in 12 months")
    expect(review).to_contain_text("L2/L3 tickets about tax-planning")
    expect(page.get_by_role("region", name="Clients at risk")).to_contain_text("Globex SA")
    # Both charts are drawn from the page's JSON blocks.
    for source in ("transitions-data", "clv-data"):
        drawn = f"() => !!window.Chart.getChart(document.querySelector('canvas[data-chart=\"{source}\"]'))"
        page.wait_for_function(drawn)
    axe_check(page)
    screenshot(page, "insights")

    review.get_by_label("Advisor").select_option(label="Dana")
    review.get_by_label("Note (optional)").fill("Dana looks after our tax-planning clients.")
    review.get_by_role("button", name="Accept").click()
    expect(review.get_by_role("status")).to_contain_text("Acme Ltd is now a client, owned by Dana.")
    htmx_settled(page)
    axe_check(page)

    review.get_by_role("link", name="Acme Ltd").click()
    expect(page.get_by_role("heading", name="Acme Ltd", level=1)).to_be_visible()
    expect(page.locator(".account-facts .badge-client")).to_have_text("Client · Dana")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("accepted the insights' suggestion")
    expect(timeline).to_contain_text("Dana looks after our tax-planning clients.")
    card = page.locator("#insight-card")
    expect(card).to_contain_text("Champions")
    expect(card).to_contain_text("Changes of advice")
    axe_check(page)
    acme.refresh_from_db()
    assert (acme.service_model, acme.owner) == (ServiceModel.CLIENT, dana)
    assert Review.objects.get(account=acme).decided_by == morgan


def test_insight_card_loads_into_the_ticket_page_and_insights_fit_a_phone(
    new_context: Any, scored: Any, alice: Any
) -> None:
    page = new_context().new_page()
    login(page, "alice")
    page.goto(f"/tickets/{scored.number}/")
    card = page.locator("#insight-card")
    expect(card).to_contain_text("Client fit")
    expect(card).to_contain_text("Offer client service")
    axe_check(page)

    phone = new_context(phone=True).new_page()
    login(phone, "alice")
    phone.goto("/insights/")
    expect(phone.get_by_role("heading", name="Reviews to decide")).to_be_visible()
    assert_no_horizontal_scroll(phone, PHONE["width"])
    axe_check(phone)
    screenshot(phone, "insights-phone")
    phone.goto(f"/tickets/{scored.number}/")
    expect(phone.locator("#insight-card")).to_contain_text("Client fit")
    assert_no_horizontal_scroll(phone, PHONE["width"])
