"""Settings in a real browser: an admin's overview, and a team made from it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from carefront.core.models import Team
from tests.browser.helpers import axe_check, login, screenshot

pytestmark = [pytest.mark.browser]


def test_admin_opens_settings_and_creates_a_team(
    transactional_db: Any, page: Page, ada: Any, alice: Any, dana: Any
) -> None:
    login(page, "ada")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()

    expect(page.get_by_role("heading", name="Settings", level=1)).to_be_visible()
    axe_check(page)
    screenshot(page, "settings")

    page.get_by_role("link", name="Teams", exact=True).first.click()
    new_team = page.get_by_role("region", name="New team")
    new_team.get_by_label("Name").fill("Client care")
    new_team.get_by_label("Description").fill("Advisors and their backup for client accounts.")
    new_team.get_by_role("button", name="Create team").click()
    expect(page.get_by_role("heading", name="Client care", level=1)).to_be_visible()
    axe_check(page)
    assert Team.objects.filter(name="Client care").exists()


def test_agent_picks_her_language_and_time_zone_and_the_workspace_follows(
    transactional_db: Any, page: Page, alice: Any, ticket: Any
) -> None:
    login(page, "alice")
    page.get_by_role("banner").get_by_role("link", name="Alice").click()
    page.get_by_label("Language").select_option("fr")
    page.get_by_label("Time zone").select_option("Asia/Tokyo")
    page.get_by_role("button", name="Save preferences").click()

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    # The whole workspace speaks French: navigation, forms, the ticket page.
    navigation = page.get_by_role("navigation", name="Navigation principale")
    expect(navigation.get_by_role("link", name="Boîte de réception")).to_be_visible()
    expect(navigation.get_by_role("link", name="Comptes")).to_be_visible()
    expect(page.get_by_role("button", name="Enregistrer les préférences")).to_be_visible()
    axe_check(page)
    page.goto(f"/tickets/{ticket.number}/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("button", name="Envoyer la réponse")).to_be_visible()
    # Times are written in the viewer's zone, offset included.
    expect(page.locator(".message-head time").first).to_have_attribute("datetime", re.compile(r"\+09:00$"))
