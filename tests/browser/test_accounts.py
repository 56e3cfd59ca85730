"""Account pages in a real browser: the 360° view, and making an account a client."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from carefront.accounts.models import Account, ServiceModel
from carefront.accounts.services import order_create
from tests.browser.helpers import axe_check, login, screenshot

pytestmark = [pytest.mark.browser]


def test_admin_makes_an_account_a_client_and_its_tickets_show_the_client_badge(
    transactional_db: Any, page: Page, ada: Any, dana: Any, acme: Account, ticket: Any
) -> None:
    """GIVEN Acme, a customer account with Carol's ticket
    WHEN an admin makes Acme a client owned by Dana, with a reason, on the account page
    THEN the account page shows the client badge and the reason, and the inbox marks Acme's ticket as a client's.
    """
    now = timezone.now()
    for days, amount in ((400, "129.90"), (90, "840.00"), (12, "59.00")):
        order_create(
            actor=None,
            account=acme,
            external_id=f"A-{1000 + days}",
            placed_at=now - timedelta(days=days),
            currency="GBP",
            amount=amount,
        )
    login(page, "ada")
    inbox_row = page.get_by_role("row").filter(has_text=ticket.subject)
    expect(inbox_row).to_be_visible()
    expect(inbox_row.locator(".badge-client")).to_have_count(0)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Accounts").click()
    page.get_by_role("link", name="Acme Ltd").click()
    expect(page.get_by_role("heading", name="Acme Ltd", level=1)).to_be_visible()
    page.get_by_text("Change service model or owner").click()
    page.get_by_label("Service model").select_option(label="Client")
    page.get_by_label("Owner").select_option(label="Dana")
    page.get_by_label("Reason").fill("Signed the premium plan; Dana looks after them now.")
    page.get_by_role("button", name="Save change").click()

    expect(page.locator(".account-facts .badge-client")).to_have_text("Client · Dana")
    expect(page.locator("#timeline")).to_contain_text("Signed the premium plan; Dana looks after them now.")
    axe_check(page)
    screenshot(page, "account")
    acme.refresh_from_db()
    assert (acme.service_model, acme.owner) == (ServiceModel.CLIENT, dana)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Inbox").click()
    expect(inbox_row.locator(".badge-client")).to_have_text("Client · Dana")
