"""At 375 px wide (a small phone) the main pages fit the screen and stay accessible."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from carefront.desk.services import ticket_reply
from carefront.portal.services import portal_password_set
from tests.browser.conftest import PHONE
from tests.browser.helpers import PASSWORD, assert_no_horizontal_scroll, axe_check, login, portal_login, screenshot

pytestmark = [pytest.mark.browser]
WIDTH = PHONE["width"]


def _fits(page: Page) -> None:
    assert_no_horizontal_scroll(page, WIDTH)
    axe_check(page)


def test_workspace_pages_fit_a_phone_screen(
    transactional_db: Any, new_context: Any, alice: Any, dana: Any, ticket: Any
) -> None:
    ticket_reply(ticket=ticket, staff=dana, body="We are on it: the carrier has been asked where the parcel is.")
    page = new_context(phone=True).new_page()
    login(page, "alice")

    expect(page.get_by_role("link", name=ticket.subject)).to_be_visible()
    _fits(page)
    screenshot(page, "inbox-phone")

    page.get_by_role("link", name=ticket.subject).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(ticket.subject)
    _fits(page)

    page.get_by_role("link", name=ticket.account.name).first.click()
    expect(page.get_by_role("heading", name=ticket.account.name, level=1)).to_be_visible()
    _fits(page)


def test_portal_pages_fit_a_phone_screen(
    transactional_db: Any, new_context: Any, portal_user_for: Any, carol: Any, dana: Any, ticket: Any
) -> None:
    portal_password_set(user=portal_user_for(carol), password=PASSWORD, actor=None)
    ticket_reply(ticket=ticket, staff=dana, body="We are on it: the carrier has been asked where the parcel is.")
    page = new_context(phone=True).new_page()

    page.goto("/portal/")
    _fits(page)
    portal_login(page, carol.email)

    expect(page.get_by_role("link", name=ticket.subject)).to_be_visible()
    _fits(page)
    page.get_by_role("link", name=ticket.subject).click()
    expect(page.get_by_text("the carrier has been asked where the parcel is")).to_be_visible()
    _fits(page)
    screenshot(page, "portal-phone")

    page.get_by_role("navigation", name="Portal").get_by_role("link", name="New request").click()
    expect(page.get_by_label("Subject")).to_be_visible()
    _fits(page)
