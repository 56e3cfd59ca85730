"""The email channel in a real browser: Settings → Email, a message's original, and a reply's delivery."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from playwright.sync_api import Page, expect

from carefront.mail.models import InboundEmail, Mailbox
from carefront.mail.services import inbound_store
from carefront.mail.tests.conftest import email_bytes
from tests.browser.helpers import axe_check, login, screenshot

pytestmark = [pytest.mark.browser]


def _receive(raw: bytes) -> InboundEmail:
    # The queue is immediate in this process: the message is filed as soon as it is stored.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        row, _created = inbound_store(raw=raw, via="smtp", envelope_to=["support@carefront.example"])
    return InboundEmail.objects.get(pk=row.pk)


def test_admin_adds_a_mailbox_and_sees_the_quarantine(transactional_db: Any, page: Page, ada: Any) -> None:
    quarantined = _receive(b"Subject: Who sent this?\r\n\r\nNo sender at all.\r\n")
    login(page, "ada")
    page.goto("/settings/")
    page.get_by_role("navigation", name="Settings sections").get_by_role("link", name="Email").click()
    expect(page.get_by_role("heading", name="Email", level=1)).to_be_visible()
    quarantine = page.get_by_role("region", name="Quarantine")
    expect(quarantine).to_contain_text("Who sent this?")
    expect(quarantine).to_contain_text("no sender address")
    expect(quarantine.get_by_role("link", name="Download .eml")).to_have_attribute(
        "href", f"/settings/mail/inbound/{quarantined.pk}.eml"
    )

    new_mailbox = page.get_by_role("region", name="New mailbox")
    new_mailbox.get_by_label("Address").fill("help@carefront.example")
    new_mailbox.get_by_label("Sender name").fill("Carefront Help")
    new_mailbox.get_by_role("button", name="Add mailbox").click()
    expect(
        page.get_by_role("region", name="Mailboxes").get_by_role("link", name="help@carefront.example")
    ).to_be_visible()
    axe_check(page)
    screenshot(page, "settings-email")
    assert Mailbox.objects.get(address="help@carefront.example").name == "Carefront Help"


def test_agent_opens_the_original_email_and_sees_the_reply_emailed(
    transactional_db: Any, page: Page, alice: Any, carol: Any
) -> None:
    Mailbox.objects.create(address="support@carefront.example", name="Support")
    row = _receive(
        email_bytes(
            subject="Invoice is wrong",
            body="The amount is doubled.\n\nOn Monday, Support wrote:\n> Here is your invoice.",
        )
    )
    ticket = row.ticket
    assert ticket is not None
    login(page, "alice")
    page.goto(f"/tickets/{ticket.number}/")
    message = page.locator(f"#message-{row.message_id}")
    expect(message).to_contain_text("The amount is doubled.")
    message.get_by_role("link", name="Original email").click()
    expect(page.get_by_role("heading", name="Original email", level=1)).to_be_visible()
    expect(page.get_by_role("region", name="Full text")).to_contain_text("Here is your invoice.")
    axe_check(page)

    page.go_back()
    page.get_by_label("Message").fill("We corrected the invoice and sent it again.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("#message-list")).to_contain_text("We corrected the invoice")
    page.reload()
    expect(page.locator(".delivery").last).to_contain_text("Emailed to carol@acme.example")
    email_card = page.get_by_role("region", name="Email")
    expect(email_card).to_contain_text("Reply → carol@acme.example")
    axe_check(page)
