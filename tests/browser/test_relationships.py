"""Relationships in a real browser: an advisor plans an engagement, records what the client owes, and sees the work
waiting on the client and the time it has lost."""

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
from carefront.relationships.models import Dependency
from carefront.relationships.services import Blocked, dependency_create, engagement_create, milestone_create
from tests.browser.helpers import axe_check, login, screenshot

pytestmark = [pytest.mark.browser]


def _typed(moment: Any) -> str:
    """A datetime-local value as Dana types it, in her own zone (Europe/Paris)."""
    return str(moment.astimezone(ZoneInfo("Europe/Paris")).strftime("%Y-%m-%dT%H:%M"))


@pytest.fixture
def client_of_dana(transactional_db: Any, globex: Account, charlie: Contact, dana: Any, morgan: Any) -> Account:
    """Globex, Dana's client, with an onboarding that has waited three days for the client's sign-off (written in
    this process three days ago, so the server reads a wait that is really three days old)."""
    account = account_change_service_model(
        account=globex, actor=morgan, service_model="client", owner=dana, reason="Signed"
    )
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=3), tick=False):
        onboarding = engagement_create(
            actor=dana,
            account=account,
            kind="onboarding",
            title="Onboarding",
            owner=dana,
            starts_at=now - timedelta(days=3),
            due_at=now + timedelta(days=20),
        )
        step = milestone_create(engagement=onboarding, actor=dana, title="Accounts set up", due_at=now)
        dependency_create(
            actor=dana,
            what="Sign-off of the user list",
            contact=charlie,
            due_at=now - timedelta(days=1),
            blocks=Blocked(milestone=step),
        )
    return account


def test_an_advisor_plans_an_engagement_that_waits_on_the_client(
    page: Page, client_of_dana: Account, dana: Any
) -> None:
    """GIVEN Globex, a client of Dana's with a contact, Charlie
    WHEN Dana plans a call review from Globex's page, adds a milestone and records that it waits for access to
    the call recordings, which Charlie owes
    THEN the engagement shows "Waiting on client" and the time lost, the account page lists what the client owes,
    receipt clears the wait, and the waiting report shows the time each engagement lost."""
    now = timezone.now()
    login(page, "dana")
    page.goto(f"/accounts/{client_of_dana.pk}/")
    page.get_by_role("link", name="Plan an engagement").click()
    page.get_by_label("Kind").select_option(label="Call review")
    page.get_by_label("Title").fill("Call-quality review")
    page.get_by_label("Scope").fill("Twenty recorded calls a week, scored against the quality guide.")
    page.get_by_label("Status").select_option(label="Active")
    page.get_by_label("Starts").fill(_typed(now))
    page.get_by_label("Due").fill(_typed(now + timedelta(days=42)))
    page.get_by_role("button", name="Plan it").click()
    expect(page.get_by_role("heading", name="Call-quality review", level=1)).to_be_visible()

    milestones = page.locator("details", has_text="Add a milestone")
    milestones.locator("summary").click()
    milestones.get_by_label("Milestone").fill("First twenty calls scored")
    milestones.get_by_label("Due").fill(_typed(now + timedelta(days=10)))
    milestones.get_by_role("button", name="Add").click()
    expect(page.locator("#milestones")).to_contain_text("First twenty calls scored")

    owed = page.locator("details", has_text="Record what the client owes")
    owed.locator("summary").click()
    owed.get_by_label("What the client owes us").fill("Secure access to the call recordings")
    owed.get_by_label("Client contact").select_option(label="Charlie Martin")
    owed.get_by_label("Due").fill(_typed(now + timedelta(days=2)))
    owed.get_by_label("It blocks").select_option(label="First twenty calls scored")
    owed.get_by_role("button", name="Record it").click()

    blockers = page.get_by_role("region", name="What blocks it")
    expect(blockers).to_contain_text("Waiting on client")
    expect(blockers).to_contain_text("Secure access to the call recordings")
    expect(page.locator("#milestones")).to_contain_text("Waiting on client")
    # Waiting since a moment ago: a few minutes at most, and counting.
    expect(page.locator("#time-waited")).to_have_text(re.compile(r"^[0-9] minutes?$"))
    axe_check(page)
    screenshot(page, "engagement")

    page.get_by_role("link", name="Globex SA").click()
    card = page.get_by_role("region", name="Promises and what the client owes")
    expect(card).to_contain_text("Secure access to the call recordings")
    expect(card).to_contain_text("Sign-off of the user list")
    page.go_back()

    blockers.get_by_role("listitem").filter(has_text="Secure access").get_by_role("button", name="Received").click()
    expect(blockers).to_contain_text("Received")
    expect(blockers).not_to_contain_text("Waiting on client")
    assert Dependency.objects.get(what="Secure access to the call recordings").state == "received"

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Relationships").click()
    page.get_by_role("link", name="Time lost waiting").click()
    page.get_by_role("link", name="Per engagement").click()
    onboarding = page.get_by_role("row").filter(has_text="Onboarding")
    expect(onboarding).to_contain_text("3 days")
    expect(page.get_by_role("row").filter(has_text="Call-quality review")).to_contain_text("minute")
    axe_check(page)
