"""Working from the keyboard, and seeing a colleague on the same ticket, in a real browser."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from carefront.desk.models import Message, Ticket, Visibility
from carefront.desk.services import ticket_create
from tests.browser.helpers import login

pytestmark = [pytest.mark.browser]


@pytest.fixture
def three_tickets(transactional_db: Any, carol: Any, ticket: Ticket) -> list[Ticket]:
    """Carol's tickets, oldest first."""
    return [
        ticket,
        ticket_create(actor=None, requester=carol, subject="Refund for order 1002", body="Returned last week."),
        ticket_create(actor=None, requester=carol, subject="Wrong size delivered", body="Ordered M, got XL."),
    ]


def test_agent_moves_selects_and_opens_tickets_from_the_keyboard(
    three_tickets: list[Ticket], alice: Any, page: Page
) -> None:
    oldest, middle, newest = three_tickets
    login(page, "alice")
    rows = page.locator("[data-inbox-row]")
    expect(rows).to_have_count(3)

    page.keyboard.press("j")
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.get_by_label(f"Select ticket #{newest.number}")).to_be_checked()
    expect(page.get_by_label(f"Select ticket #{middle.number}")).to_be_checked()
    expect(page.get_by_label(f"Select ticket #{oldest.number}")).not_to_be_checked()
    page.get_by_label("Assign to").select_option(label="Me")
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(rows.filter(has_text=newest.subject)).to_contain_text("Alice")
    expect(rows.filter(has_text=middle.subject)).to_contain_text("Alice")
    expect(rows.filter(has_text=oldest.subject)).to_contain_text("Unassigned")

    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/tickets/{middle.number}/$"))
    page.wait_for_load_state()

    page.keyboard.press("?")
    shortcuts = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(shortcuts).to_be_visible()
    page.keyboard.press("Escape")
    expect(shortcuts).to_be_hidden()

    page.keyboard.press("n")
    expect(page.get_by_role("radio", name=re.compile("^Internal note"))).to_be_checked()
    expect(page.get_by_label("Message")).to_be_focused()
    page.keyboard.type("Refund approved by finance.")
    page.get_by_role("button", name="Add note").click()
    note = page.locator(".message-internal").filter(has_text="Refund approved by finance.")
    expect(note).to_contain_text("Internal note")
    assert Message.objects.get(ticket=middle, body_text="Refund approved by finance.").visibility == Visibility.INTERNAL

    page.locator("h1").click()
    page.keyboard.press("r")
    expect(page.get_by_role("radio", name=re.compile("^Public reply"))).to_be_checked()
    page.locator("h1").click()
    page.keyboard.press("j")
    expect(page).to_have_url(re.compile(rf"/tickets/{oldest.number}/$"))
    page.wait_for_load_state()
    page.keyboard.press("k")
    expect(page).to_have_url(re.compile(rf"/tickets/{middle.number}/$"))


def test_agents_on_the_same_ticket_see_each_other_viewing_and_replying(
    transactional_db: Any, new_context: Any, alice: Any, bob: Any, ticket: Ticket
) -> None:
    """GIVEN Bob has Carol's ticket open
    WHEN Alice opens it and starts writing a reply
    THEN Alice is told Bob is viewing it, and Bob is told Alice is replying.
    """
    bobs = new_context().new_page()
    login(bobs, "bob")
    with bobs.expect_response(re.compile(r"/presence/$")):
        bobs.goto(f"/tickets/{ticket.number}/")

    alices = new_context().new_page()
    login(alices, "alice")
    alices.goto(f"/tickets/{ticket.number}/")
    expect(alices.locator("#ticket-presence")).to_have_text("Bob is viewing")
    with alices.expect_response(re.compile(r"/presence/$")):
        alices.get_by_label("Message").fill("Let me check with the carrier")

    bobs.reload()
    expect(bobs.locator("#ticket-presence")).to_have_text("Alice is replying")
