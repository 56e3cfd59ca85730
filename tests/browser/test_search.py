"""Global search in a real browser: `/` jumps to the box, results come grouped by kind."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from carefront.accounts.services import account_create, contact_create
from carefront.desk.services import ticket_create
from tests.browser.helpers import axe_check, login, screenshot

pytestmark = [pytest.mark.browser]


def test_slash_focuses_search_and_a_query_finds_tickets_accounts_and_contacts(
    transactional_db: Any, page: Page, alice: Any, carol: Any, ticket: Any
) -> None:
    parcelhub = account_create(actor=None, name="Parcelhub GmbH", kind="organisation", country="DE", locale="de")
    jonas = contact_create(actor=None, account=parcelhub, name="Jonas Parcelmann", email="jonas@parcelhub.example")
    ticket_create(actor=None, requester=jonas, subject="Label printer offline", body="No parcel labels since Monday.")
    ticket_create(actor=None, requester=carol, subject="Change my billing address", body="We moved to Leeds.")
    login(page, "alice")

    page.locator("body").press("/")
    search_box = page.get_by_role("searchbox", name="Search tickets, accounts and contacts")
    expect(search_box).to_be_focused()
    search_box.fill("parcel")
    search_box.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Results for “parcel”")
    tickets = page.get_by_role("region", name="Tickets")
    expect(tickets.get_by_role("link", name=f"#{ticket.number} Parcel never arrived")).to_be_visible()
    expect(tickets.get_by_role("link", name="Label printer offline")).to_be_visible()
    expect(tickets).not_to_contain_text("Change my billing address")
    expect(page.get_by_role("region", name="Accounts").get_by_role("link", name="Parcelhub GmbH")).to_be_visible()
    expect(page.get_by_role("region", name="Contacts")).to_contain_text("Jonas Parcelmann")
    axe_check(page)
    screenshot(page, "search")

    tickets.get_by_role("link", name=f"#{ticket.number} Parcel never arrived").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Parcel never arrived")
