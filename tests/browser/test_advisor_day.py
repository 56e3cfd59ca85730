"""An advisor's morning in a real browser — portfolio, a recommendation, a check-in planned and logged, its next step
made a commitment, a late dependency's reminder sent, the time lost on the engagement — and a manager handing over
the portfolio of an advisor who leaves."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Page, expect

from carefront.accounts.models import Account, Contact
from carefront.accounts.services import account_change_service_model
from carefront.core.models import Role
from carefront.core.services import staff_create
from carefront.relationships.models import Commitment, Dependency
from carefront.relationships.services import Blocked, dependency_create, engagement_create, milestone_create
from carefront.relationships.services_recommendations import recommendations_run
from tests.browser.helpers import PASSWORD, axe_check, login, screenshot

pytestmark = [pytest.mark.browser]


@pytest.fixture
def dana_s_client(transactional_db: Any, globex: Account, charlie: Contact, dana: Any, morgan: Any) -> Account:
    """Globex, Dana's client for two months: its survey has waited five days for the customer list Charlie owes (due
    two days ago), nobody has logged a contact with it, and Dana's morning list is made."""
    account = account_change_service_model(
        account=globex, actor=morgan, service_model="client", owner=dana, reason="Signed"
    )
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=5), tick=False):
        survey = engagement_create(
            actor=dana,
            account=account,
            kind="survey",
            title="Customer satisfaction survey",
            owner=dana,
            starts_at=now - timedelta(days=5),
            due_at=now + timedelta(days=40),
            status="active",
        )
        sampling = milestone_create(
            engagement=survey, actor=dana, title="Sampling plan", due_at=now + timedelta(days=3)
        )
        dependency_create(
            actor=dana,
            what="Customer list for the survey",
            contact=charlie,
            due_at=now - timedelta(days=2),
            blocks=Blocked(milestone=sampling),
            engagement=survey,
        )
    # A client for two months already, with no contact logged.
    Account.objects.filter(pk=account.pk).update(created_at=now - timedelta(days=60))
    # Made now, as the hourly job does once Dana's morning has come (whatever the hour this test runs at).
    recommendations_run(advisor_ids=[dana.pk])
    return account


def test_an_advisor_s_morning_from_portfolio_to_the_time_lost_on_the_engagement(
    page: Page, carefront_server: Any, dana_s_client: Account, dana: Any
) -> None:
    login(page, "dana")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Relationships").click()
    page.get_by_role("link", name="Portfolio").click()
    clients = page.get_by_role("table")
    expect(clients.get_by_role("row").filter(has_text="Globex SA")).to_contain_text("1")
    today = page.get_by_role("region", name="Recommended today")
    expect(today).to_contain_text("Charlie Martin owes us “Customer list for the survey”")
    expect(today).to_contain_text("No contact recorded since they became a client.")
    axe_check(page)
    screenshot(page, "portfolio")

    # The recommendation to get in touch becomes a check-in in one click.
    no_contact = today.get_by_role("listitem").filter(has_text="No contact recorded")
    no_contact.get_by_role("button", name="Plan a check-in").click()
    expect(today).to_contain_text("Check-in planned")

    # The call is held early (Charlie rang): Dana logs it, and its next step becomes a commitment.
    page.get_by_role("link", name="Check-ins").click()
    page.get_by_role("row").filter(has_text="Globex SA").get_by_role("link", name="Log as held").click()
    page.get_by_label("How").select_option(label="Call")
    local_now = (timezone.now() - timedelta(minutes=5)).astimezone(ZoneInfo("Europe/Paris"))
    page.get_by_label("When").fill(local_now.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Notes").fill("Charlie will chase the customer list internally.")
    page.get_by_label("Next steps, one a line").fill("Send Charlie the list template")
    page.get_by_role("button", name="Log it").click()
    page.get_by_role("listitem").filter(has_text="Send Charlie the list template").get_by_role(
        "button", name="Make it a commitment"
    ).click()
    expect(page.get_by_text("Send Charlie the list template").first).to_be_visible()
    assert Commitment.objects.filter(title="Send Charlie the list template", owner=dana).exists()

    # The customer list is two days late: Dana reminds Charlie from the engagement, and the mail goes out.
    page.goto("/relationships/")
    page.get_by_role("link", name="Customer satisfaction survey").click()
    blockers = page.get_by_role("region", name="What blocks it")
    expect(blockers).to_contain_text("Waiting on client")
    blockers.get_by_role("button", name="Remind now").click()
    expect(page.get_by_text("Charlie Martin was reminded of “Customer list for the survey”.")).to_be_visible()
    mail = carefront_server.wait_for_mail("charlie@globex.example", subject="Customer list for the survey")
    assert len(mail) == 1  # in Charlie's language (French, as his account's)
    assert Dependency.objects.get(what="Customer list for the survey").reminders_sent == 1

    # The time the survey has lost waiting on the client, since the list was asked for five days ago.
    expect(page.locator("#time-waited")).to_have_text(re.compile(r"^5 days"))
    axe_check(page)


def test_a_manager_hands_over_the_portfolio_of_an_advisor_who_leaves(
    page: Page, dana_s_client: Account, dana: Any, ada: Any
) -> None:
    staff_create(
        username="erin",
        email="erin@carefront.example",
        role=Role.ADVISOR,
        password=PASSWORD,
        first_name="Erin",
        last_name="Walsh",
    )
    login(page, "ada")
    page.goto(f"/settings/staff/{dana.pk}/")
    page.get_by_role("link", name="Hand over their portfolio and deactivate them").click()
    owned = page.locator("#owned-items")
    expect(owned).to_contain_text("1 account (1 clients)")
    expect(owned).to_contain_text("1 open engagement")
    form = page.get_by_role("form", name="Give everything to")
    form.get_by_label("New owner").select_option(label="Erin Walsh")
    form.get_by_label("Why").fill("Dana leaves the company")
    expect(form.get_by_label("Deactivate them once everything is handed over")).to_be_checked()
    axe_check(page)
    form.get_by_role("button", name="Hand over").click()

    expect(page.get_by_role("heading", name="Portfolio of Erin Walsh")).to_be_visible()
    expect(page.get_by_role("table").get_by_role("row").filter(has_text="Globex SA")).to_be_visible()
    expect(page.get_by_text("dana was deactivated.")).to_be_visible()
    dana.refresh_from_db()
    assert not dana.is_active
    page.goto(f"/accounts/{dana_s_client.pk}/")
    expect(page.get_by_text("Dana leaves the company").first).to_be_visible()
