"""The core story in a real browser: an agent answers, the customer answers back in the portal."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from carefront.accounts.services import account_change_service_model, contact_create
from carefront.desk.models import Status, Ticket
from carefront.desk.services import ticket_create
from tests.browser.conftest import CarefrontServer
from tests.browser.helpers import axe_check, htmx_settled, login, screenshot

pytestmark = [pytest.mark.browser]


@pytest.fixture
def busy_inbox(transactional_db: Any, acme: Any, globex: Any, carol: Any, dana: Any, bob: Any, ticket: Any) -> Any:
    """A few more tickets around Carol's, one of them from a client account, so the inbox looks real."""
    account_change_service_model(
        account=globex, actor=None, service_model="client", owner=dana, reason="Strategic account"
    )
    noor = contact_create(actor=None, account=globex, name="Noor Haddad", email="noor@globex.example")
    ticket_create(actor=None, requester=noor, subject="Invoice shows the wrong VAT number", body="Please fix.")
    ticket_create(
        actor=None,
        requester=carol,
        subject="How do I add a second delivery address?",
        body="Asking for our warehouse.",
        priority="low",
        tier=0,
        tags=["how-to"],
    )
    ticket_create(
        actor=None,
        requester=noor,
        subject="Checkout fails with error 502",
        body="Since 9:00.",
        priority="urgent",
        assignee=bob,
    )
    return ticket


def _magic_link(server: CarefrontServer, address: str) -> str:
    """The sign-in link the portal emailed to `address`, once the queue worker has sent it."""
    [message] = server.wait_for_mail(address, subject="sign-in link")
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return re.search(rf"{re.escape(server.url)}/portal/login/link/\S+", body.get_content()).group(0)


def test_agent_replies_and_solves_then_customer_answers_in_portal_and_ticket_reopens(
    busy_inbox: Ticket, alice: Any, carefront_server: CarefrontServer, page: Page, new_context: Any
) -> None:
    """GIVEN Carol's new ticket in the inbox
    WHEN Alice replies and marks it solved, and Carol signs in to the portal by emailed link and answers
    THEN Carol sees Alice's reply, and Alice sees the ticket open again with Carol's answer.
    """
    ticket = busy_inbox
    login(page, "alice")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    # The views' counts arrive just after the page: "Unassigned" counts Carol's new ticket.
    unassigned = page.get_by_role("navigation", name="Inbox views").get_by_role("link", name=re.compile("^Unassigned"))
    expect(unassigned.locator(".view-count")).to_have_text(re.compile(r"^[1-9]\d*$"))
    axe_check(page)
    screenshot(page, "inbox")

    page.get_by_role("link", name=ticket.subject).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(ticket.subject)
    # The conversation is not Django's flash messages (a context named "messages" once showed it as both).
    expect(page.locator(".flash")).to_have_count(0)
    axe_check(page)
    page.get_by_label("Message").fill("Sorry about that! A replacement parcel left our warehouse today.")
    page.get_by_role("button", name="Send reply").click()
    conversation = page.locator("#message-list")
    expect(conversation).to_contain_text("A replacement parcel left our warehouse today.")
    htmx_settled(page)
    page.get_by_label("Status").select_option(label="Solved")
    expect(page.locator("#ticket-history")).to_contain_text("Solved")
    axe_check(page)
    screenshot(page, "ticket")
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    [emailed] = carefront_server.wait_for_mail("carol@acme.example", subject=f"[#{ticket.number}]")
    emailed_text = emailed.get_body(preferencelist=("plain",))
    assert emailed_text is not None
    assert "A replacement parcel left our warehouse today." in emailed_text.get_content()

    customer = new_context().new_page()
    customer.goto("/portal/")
    sign_in = customer.get_by_role("region", name="Sign in to your support portal")
    sign_in.get_by_label("Email address").fill("carol@acme.example")
    sign_in.get_by_role("button", name="Email me a sign-in link").click()
    expect(customer.get_by_role("heading", name="Check your email")).to_be_visible()
    customer.goto(_magic_link(carefront_server, "carol@acme.example"))
    customer.get_by_role("button", name="Sign in").click()
    customer.get_by_role("link", name=re.compile(re.escape(ticket.subject))).click()
    expect(customer.get_by_text("A replacement parcel left our warehouse today.")).to_be_visible()
    axe_check(customer)
    customer.get_by_label("Your reply").fill("It arrived this morning, but the box was damaged.")
    customer.get_by_role("button", name="Send reply").click()
    expect(customer.get_by_text("It arrived this morning, but the box was damaged.")).to_be_visible()
    axe_check(customer)
    screenshot(customer, "portal-ticket")

    page.reload()
    expect(page.get_by_label("Status")).to_have_value(Status.OPEN)
    expect(conversation).to_contain_text("It arrived this morning, but the box was damaged.")
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
