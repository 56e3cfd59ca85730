"""The customer portal in a real browser: a new request with a file reaches the desk."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from carefront.accounts.models import Channel
from carefront.desk.models import Ticket
from carefront.portal.services import portal_password_set
from tests.browser.helpers import PASSWORD, axe_check, login, portal_login

pytestmark = [pytest.mark.browser]
RECEIPT = b"%PDF-1.4\n% a receipt\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _downloaded(page: Page, link_name: str) -> bytes:
    with page.expect_download() as download:
        page.get_by_role("link", name=link_name).click()
    return Path(download.value.path()).read_bytes()


def test_customer_submits_a_request_with_a_file_and_the_agent_sees_both(
    transactional_db: Any, new_context: Any, page: Page, portal_user_for: Any, carol: Any, alice: Any
) -> None:
    """GIVEN Carol has a portal password
    WHEN she sends a new request with a PDF attached
    THEN she sees it in her requests and can download the file, and Alice finds it in the inbox, from the portal,
    with the same file.
    """
    portal_password_set(user=portal_user_for(carol), password=PASSWORD, actor=None)
    customer = new_context().new_page()
    portal_login(customer, carol.email)

    customer.get_by_role("link", name="New request").first.click()
    customer.get_by_label("Subject").fill("Box arrived damaged")
    customer.get_by_label("How can we help?").fill("The corner was crushed; the receipt is attached.")
    customer.get_by_label("Attachments").set_input_files(
        files=[{"name": "receipt.pdf", "mimeType": "application/pdf", "buffer": RECEIPT}]
    )
    axe_check(customer)
    customer.get_by_role("button", name="Send request").click()

    expect(customer.get_by_role("heading", level=1)).to_contain_text("Box arrived damaged")
    expect(customer.get_by_text("The corner was crushed; the receipt is attached.")).to_be_visible()
    assert _downloaded(customer, "receipt.pdf") == RECEIPT
    axe_check(customer)
    ticket = Ticket.objects.get(subject="Box arrived damaged")
    assert (ticket.channel, ticket.requester) == (Channel.PORTAL, carol)
    customer.get_by_role("link", name="← All requests").click()
    expect(customer.get_by_role("link", name=re.compile("Box arrived damaged"))).to_be_visible()

    login(page, "alice")
    page.get_by_role("link", name="Box arrived damaged").click()
    expect(page.locator(".ticket-meta")).to_contain_text("Portal")
    assert _downloaded(page, "receipt.pdf") == RECEIPT
