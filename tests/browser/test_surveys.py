"""A CSAT survey answered on a phone: the agent solves a ticket in the workspace, the server's worker emails the
survey, the customer follows the "4" link from that email on a 375×667 screen, adds a comment and submits; the
agent then sees the answer on the account's timeline and in CSAT on the scorecards at once (the scorecards count the
answers themselves: no rollup or queue stands between an answer and the dashboard)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from carefront.accounts.models import Contact
from carefront.desk.models import Ticket
from carefront.desk.services import ticket_create, ticket_update
from carefront.feedback.models import Response
from carefront.feedback.services import survey_create
from tests.browser.conftest import CarefrontServer
from tests.browser.helpers import assert_no_horizontal_scroll, axe_check, htmx_settled, login, screenshot

pytestmark = [pytest.mark.browser]

SMALL_PHONE = {"width": 375, "height": 667}


@pytest.fixture
def carols_ticket(transactional_db: Any, carol: Contact, alice: Any, morgan: Any) -> Ticket:
    survey_create(actor=morgan, kind="csat", name="After a ticket")
    ticket = ticket_create(actor=None, requester=carol, subject="Parcel never arrived", body="Order 1001 is late.")
    return ticket_update(ticket=ticket, actor=alice, assignee=alice)


def test_a_csat_survey_answered_on_a_phone_is_on_the_account_timeline(
    carols_ticket: Ticket, carefront_server: CarefrontServer, page: Page, new_context: Any
) -> None:
    """GIVEN an active CSAT survey and Carol's ticket assigned to Alice
    WHEN Alice solves it, and Carol taps "4" in the survey email on a 375 px phone, comments and sends
    THEN the score is recorded at the tap, the comment on sending, Alice sees both on Acme's timeline, and CSAT on
    her scorecards goes from "no data" to 100 % on one answer."""
    ticket = carols_ticket
    login(page, "alice")
    page.goto(f"/tickets/{ticket.number}/")
    htmx_settled(page)
    page.get_by_label("Status").select_option(label="Solved")
    expect(page.locator("#ticket-history")).to_contain_text("Solved")

    [emailed] = carefront_server.wait_for_mail("carol@acme.example", subject="How did we do?")
    text = emailed.get_body(preferencelist=("plain",))
    assert text is not None
    found = re.search(r"^4 ?: (http\S+)$", text.get_content(), re.M)
    assert found is not None, text.get_content()
    link = found.group(1)
    assert link.startswith(carefront_server.url + "/survey/")
    page.goto("/insights/scorecards/")
    csat = page.locator("tr[data-figure='csat'] td")
    expect(csat.first).to_have_text("no data")  # asked, not yet answered

    phone = new_context(viewport=SMALL_PHONE).new_page()
    phone.goto(link)
    expect(phone.get_by_role("status")).to_contain_text("your score was recorded")
    expect(phone.get_by_role("radio", name="4")).to_be_checked()
    assert Response.objects.get(ticket=ticket).score == 4  # counted from the tap, before any comment
    assert_no_horizontal_scroll(phone, SMALL_PHONE["width"])
    axe_check(phone)
    screenshot(phone, "survey-phone")
    # Carol thinks again: a 5, and a word for Alice.
    phone.get_by_role("radio", name="5").click()
    phone.get_by_label("Anything you would like to add? (optional)").fill("Alice found the parcel within the hour.")
    phone.get_by_role("button", name="Send my answer").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you")
    response = Response.objects.get(ticket=ticket)
    assert (response.score, response.comment) == (5, "Alice found the parcel within the hour.")
    assert response.submitted_at is not None
    # The link is used up.
    phone.goto(link)
    expect(phone.get_by_role("status")).to_contain_text("already answered")

    page.goto(f"/accounts/{ticket.account_id}/")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Carol Jones answered the CSAT survey: 5")
    expect(timeline).to_contain_text("Alice found the parcel within the hour.")
    axe_check(page)

    page.goto("/insights/scorecards/")
    expect(csat.first).to_have_text("100.0 %")
    expect(csat.nth(1)).to_have_text("1")  # the answers it counts
