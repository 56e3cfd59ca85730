"""The dashboards in a real browser: a manager opens the scorecards from Insights, filters by a team, clicks the
backlog and lands on exactly the tickets behind that number, then opens one of them. The trend charts are not
checked here (they read the trend API, which another part of the work provides)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from carefront.accounts.models import Contact
from carefront.core.models import Team
from carefront.desk.models import Ticket
from carefront.desk.services import ticket_change_status, ticket_create
from tests.browser.conftest import PHONE
from tests.browser.helpers import assert_no_horizontal_scroll, axe_check, login, screenshot

pytestmark = [pytest.mark.browser]


@pytest.fixture
def queues(transactional_db: Any, carol: Contact, alice: Any, morgan: Any) -> dict[str, Ticket]:
    """Billing has two open tickets and one solved; the front line two open ones."""
    billing = Team.objects.create(name="Billing")
    front = Team.objects.create(name="Front line desk")

    def opened(subject: str, team: Team) -> Ticket:
        return ticket_create(
            actor=None, requester=carol, subject=subject, body="Help.", team=team, assignee=alice, route=False
        )

    tickets = {
        "refund": opened("Refund for order 1001", billing),
        "invoice": opened("Invoice address is wrong", billing),
        "paid": opened("Paid twice", billing),
        "parcel": opened("Parcel never arrived", front),
        "password": opened("Cannot sign in", front),
    }
    ticket_change_status(ticket=tickets["paid"], actor=alice, status="solved")
    return tickets


def test_a_manager_drills_from_a_teams_backlog_to_its_tickets(
    page: Page, queues: dict[str, Ticket], new_context: Any
) -> None:
    """GIVEN Billing's two open tickets and one solved, and two open tickets of another team
    WHEN a manager filters the scorecards by Billing and clicks the backlog
    THEN the list holds exactly Billing's two open tickets, and one click opens a ticket."""
    login(page, "morgan")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Insights").click()
    page.get_by_role("link", name="Scorecards").click()
    expect(page.get_by_role("heading", name="Scorecards", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Service scorecard")).to_be_visible()
    expect(page.get_by_role("heading", name="Relationship scorecard")).to_be_visible()
    page.get_by_label("Team").select_option(label="Billing")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"period=30&.*team=\d+"))
    backlog = page.locator("tr[data-figure='backlog'] td").first
    expect(backlog).to_have_text("2")
    axe_check(page)
    screenshot(page, "scorecards")

    backlog.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Backlog")
    expect(page.locator(".insights-header")).to_contain_text("Team: Billing")
    listed = page.locator(".drill-table tbody tr")
    expect(listed).to_have_count(2)
    expect(listed.filter(has_text="Refund for order 1001")).to_have_count(1)
    expect(listed.filter(has_text="Invoice address is wrong")).to_have_count(1)
    expect(page.locator(".drill-table")).not_to_contain_text("Paid twice")
    expect(page.locator(".drill-table")).not_to_contain_text("Parcel never arrived")
    expect(page.get_by_role("link", name="Download CSV")).to_be_visible()
    axe_check(page)
    screenshot(page, "scorecards-drill")

    page.get_by_role("link", name=re.compile("Refund for order 1001")).click()
    expect(page).to_have_url(re.compile(rf"/tickets/{queues['refund'].number}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Refund for order 1001")


def test_the_scorecards_stack_on_a_phone(page: Page, queues: dict[str, Ticket], new_context: Any) -> None:
    phone = new_context(viewport=PHONE).new_page()
    login(phone, "morgan")
    phone.goto("/insights/scorecards/")
    expect(phone.get_by_role("heading", name="Relationship scorecard")).to_be_visible()
    service = phone.get_by_role("heading", name="Service scorecard").bounding_box()
    relationship = phone.get_by_role("heading", name="Relationship scorecard").bounding_box()
    assert service is not None and relationship is not None
    assert relationship["y"] > service["y"]  # one above the other
    assert_no_horizontal_scroll(phone, PHONE["width"])
