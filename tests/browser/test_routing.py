"""Routing and difficult conversations in a real browser: an admin writes a rule from the settings form, a new
ticket says why it went where it did, and an agent flags a difficult conversation and works its checklist."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from carefront.desk.models import RoutingRule, Ticket
from carefront.desk.services import ticket_create
from tests.browser.helpers import axe_check, login, screenshot

pytestmark = [pytest.mark.browser]


def test_admin_writes_a_rule_and_the_ticket_says_why_it_is_here(
    transactional_db: Any, page: Page, ada: Any, alice: Any, carol: Any, front_line: Any
) -> None:
    login(page, "ada")
    page.goto("/settings/routing/")
    expect(page.get_by_role("heading", name="Routing", level=1)).to_be_visible()
    axe_check(page)
    page.get_by_role("link", name="New rule").click()
    page.get_by_label("Name").fill("Refunds to the front line")
    page.get_by_label("Subject or first message contains").fill("refund, money back")
    page.get_by_label("Set team").select_option(label="Front line")
    page.get_by_label("Set priority").select_option("high")
    axe_check(page)
    page.get_by_role("button", name="Save rule").click()
    expect(page.get_by_role("cell", name="Refunds to the front line")).to_be_visible()
    screenshot(page, "settings-routing")
    rule = RoutingRule.objects.get()
    assert rule.conditions == {"words": ["money back", "refund"]}

    ticket = ticket_create(actor=None, requester=carol, subject="Refund please", body="I want my money back.")
    assert (ticket.team, ticket.priority) == (front_line, "high")
    page.goto(f"/tickets/{ticket.number}/")
    why = page.get_by_role("region", name="Why it is here")
    expect(why).to_contain_text("Refunds to the front line")


def test_agent_flags_a_difficult_conversation_and_ticks_the_checklist(
    transactional_db: Any, page: Page, alice: Any, carol: Any
) -> None:
    ticket = ticket_create(actor=None, requester=carol, subject="Third delay", body="This is unacceptable.")
    login(page, "alice")
    page.goto(f"/tickets/{ticket.number}/")
    difficult = page.get_by_role("region", name="Difficult conversation")
    difficult.get_by_label("Why").fill("Third delay in a row; the customer is angry")
    difficult.get_by_role("button", name="Flag as a difficult conversation").click()
    checklist = page.get_by_role("list", name="De-escalation checklist")
    expect(checklist).to_be_visible()
    checklist.get_by_role("button", name="Apologise for the experience, without blaming anyone").click()
    expect(
        page.get_by_role("list", name="De-escalation checklist").get_by_role(
            "button", name="Apologise for the experience, without blaming anyone"
        )
    ).to_have_attribute("aria-pressed", "true")
    axe_check(page)
    screenshot(page, "ticket-difficult")
    assert Ticket.objects.get(pk=ticket.pk).difficult_checklist == ["apologise"]
