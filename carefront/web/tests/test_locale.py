"""The workspace in each staff member's language, with dates, times and money in their format and zone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.test import Client

from carefront.accounts.services import order_create
from carefront.desk.models import Ticket


def _client(user: Any, *, language: str | None = None) -> Client:
    if language is not None:
        user.staff_profile.language = language
        user.staff_profile.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    return client


def test_staff_member_whose_language_is_french_sees_the_inbox_in_french(alice, ticket):
    html = _client(alice, language="fr").get("/").content.decode()
    assert '<html lang="fr">' in html
    assert ">Boîte de réception</a>" in html
    assert '<span class="status status-new">Nouveau</span>' in html
    assert ">Se déconnecter</button>" in html
    assert ">Inbox<" not in html


def test_staff_member_whose_language_is_english_sees_the_inbox_in_english(bob, ticket):
    html = _client(bob).get("/", headers={"Accept-Language": "fr"}).content.decode()
    assert '<html lang="en">' in html
    assert ">Inbox</a>" in html
    assert '<span class="status status-new">New</span>' in html


def test_sign_in_page_follows_the_browser_language(db):
    html = Client().get("/login/", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).content.decode()
    assert '<html lang="fr">' in html
    assert "Se connecter à Carefront" in html


def test_dates_times_and_amounts_follow_the_viewers_language_and_zone(alice, dana, ticket: Ticket):
    """GIVEN a message written at noon UTC on 15 January 2025 and an order of 1,234.50 EUR
    WHEN Dana (French, Paris) and Alice (English, UTC) open the ticket
    THEN each reads the time in their zone and the date and amount in their language's format."""
    ticket.messages.update(created_at=datetime(2025, 1, 15, 12, 0, tzinfo=UTC))
    order_create(
        actor=None,
        account=ticket.account,
        external_id="order-1",
        placed_at=datetime(2025, 1, 10, 9, 0, tzinfo=UTC),
        currency="EUR",
        amount="1234.50",
    )
    french = _client(dana, language="fr").get(f"/tickets/{ticket.number}/").content.decode()
    assert ">15 janvier 2025 13:00</time>" in french
    assert "10/01/2025 · 1\xa0234,50 EUR" in french
    english = _client(alice).get(f"/tickets/{ticket.number}/").content.decode()
    assert ">Jan. 15, 2025, noon</time>" in english
    assert "01/10/2025 · 1,234.50 EUR" in english
