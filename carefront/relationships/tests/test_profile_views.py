"""The client profile on screen: the account page's card and the ticket sidebar's (loaded after the ticket page), at
a constant query count; the form pages for preferences, goals, key people and services (a refusal stays on its field
and saves nothing); the managers' settings page that defines the profile fields."""

from __future__ import annotations

from datetime import date, time
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from carefront.accounts.models import Account, Contact
from carefront.accounts.services import contact_create
from carefront.desk.services import ticket_create
from carefront.relationships.models import ClientGoal, ClientProfile, ProfileField
from carefront.relationships.services_profile import (
    client_service_create,
    goal_create,
    key_person_add,
    profile_field_create,
    profile_field_update,
    profile_update,
)

pytestmark = pytest.mark.django_db


def _login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _card(html: str, marker: str) -> str:
    return html.split(marker, 1)[1].split("</section>", 1)[0]


@pytest.fixture
def tier(morgan: Any) -> ProfileField:
    return profile_field_create(
        actor=morgan, key="tier", label="Support tier", kind="choice", choices=["Gold", "Silver"]
    )


def _fill(account: Account, advisor: Any, contact: Contact, count: int, *, start: int = 0) -> None:
    for index in range(start, start + count):
        goal_create(actor=advisor, account=account, title=f"Goal {index}", target_date=date(2026, 4, 1 + index % 28))
        client_service_create(
            actor=advisor,
            account=account,
            name=f"Service {index}",
            started_on=date(2025, 1, 1),
            renews_on=date(2026, 5, 1),
            amount="100",
            currency="EUR",
        )
        person = contact_create(actor=None, account=account, name=f"Person {index}", email=f"p{index}@globex.example")
        key_person_add(actor=advisor, account=account, contact=person, role="user")


def test_the_account_page_shows_the_client_profile(
    client_account: Account, dana: Any, charlie: Contact, tier: ProfileField
) -> None:
    goal_create(actor=dana, account=client_account, title="Cut churn 5 % this year", target_date=date(2026, 12, 31))
    goal_create(actor=dana, account=client_account, title="Retire at 60", target_date=date(2026, 1, 15))
    profile_update(
        account=client_account,
        actor=dana,
        preferred_channel="video",
        meeting_days="24",
        meeting_from=time(14),
        meeting_until=time(16),
        fields={"tier": "Gold"},
    )
    key_person_add(actor=dana, account=client_account, contact=charlie, role="decision_maker")
    client_service_create(
        actor=dana,
        account=client_account,
        name="Premium support",
        started_on=date(2025, 4, 1),
        renews_on=date(2026, 4, 1),
        amount="1500",
        currency="EUR",
    )
    html = _login(dana).get(f"/accounts/{client_account.pk}/").content.decode()
    card = _card(html, 'id="profile-card"')
    for text in (
        "Cut churn 5 % this year",
        "Retire at 60",
        "Date passed",  # Retire at 60's date is before today
        "Video call",
        "Tuesday, Thursday",
        "Support tier",
        "Gold",
        "Charlie Martin",
        "Decision maker",
        "Premium support",
        "1,500.00 EUR per month",
        "Record a goal",
        "Change preferences",
    ):
        assert text in card, text
    assert card.index("Retire at 60") < card.index("Cut churn")  # soonest date first


def test_another_advisor_sees_the_profile_without_the_editing_links(
    client_account: Account, dana: Any, erin: Any
) -> None:
    goal_create(actor=dana, account=client_account, title="Retire at 60", target_date=date(2031, 5, 1))
    client = _login(erin)
    card = _card(client.get(f"/accounts/{client_account.pk}/").content.decode(), 'id="profile-card"')
    assert "Retire at 60" in card
    assert "Record a goal" not in card and "Achieved" not in card
    assert client.get(f"/relationships/accounts/{client_account.pk}/goals/new/").status_code == 403
    refused = client.post(
        f"/relationships/accounts/{client_account.pk}/goals/new/", {"title": "x", "target_date": "2027-01-01"}
    )
    assert refused.status_code == 403
    assert ClientGoal.objects.count() == 1


def test_the_profile_card_costs_the_same_queries_for_a_small_or_a_full_profile(
    client_account: Account, dana: Any, charlie: Contact, tier: ProfileField
) -> None:
    client = _login(dana)
    _fill(client_account, dana, charlie, 1)
    with CaptureQueriesContext(connection) as few:
        client.get(f"/accounts/{client_account.pk}/")
    with CaptureQueriesContext(connection) as few_sidebar:
        client.get(f"/relationships/accounts/{client_account.pk}/profile/sidebar/")
    _fill(client_account, dana, charlie, 15, start=1)
    profile_update(account=client_account, actor=dana, fields={"tier": "Silver"}, meeting_notes="Afternoons")
    with CaptureQueriesContext(connection) as many:
        html = client.get(f"/accounts/{client_account.pk}/").content.decode()
    with CaptureQueriesContext(connection) as many_sidebar:
        sidebar = client.get(f"/relationships/accounts/{client_account.pk}/profile/sidebar/").content.decode()
    assert len(many.captured_queries) <= len(few.captured_queries)
    assert len(many_sidebar.captured_queries) <= len(few_sidebar.captured_queries)
    assert "Only the goals due soonest are shown." in html
    assert sidebar.count("<li>") == 9  # three goals, three key people, three services


def test_the_ticket_page_loads_the_profile_into_its_sidebar_after_the_page(
    client_account: Account, dana: Any, alice: Any, charlie: Contact, django_assert_max_num_queries: Any
) -> None:
    ticket = ticket_create(actor=None, requester=charlie, subject="Invoice question", body="Hello")
    goal_create(actor=dana, account=client_account, title="Retire at 60", target_date=date(2031, 5, 1))
    profile_update(
        account=client_account, actor=dana, preferred_channel="call", meeting_from=time(9), meeting_until=time(10)
    )
    key_person_add(actor=dana, account=client_account, contact=charlie, role="billing")
    client = _login(alice)  # an agent, not the advisor: anyone who helps the client should know them
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert f'hx-get="/relationships/accounts/{client_account.pk}/profile/sidebar/"' in page
    with django_assert_max_num_queries(12):
        sidebar = client.get(f"/relationships/accounts/{client_account.pk}/profile/sidebar/").content.decode()
    for text in ("Retire at 60", "Charlie Martin", "Billing", "Call", "09:00–10:00"):
        assert text in sidebar, text


def test_portal_users_get_no_profile(client_account: Account, charlie: Contact, portal_user_for: Any) -> None:
    client = _login(portal_user_for(charlie))
    response = client.get(f"/relationships/accounts/{client_account.pk}/profile/sidebar/")
    assert response.status_code in (302, 403)


def test_the_preferences_form_refuses_a_bad_value_on_its_field_and_keeps_what_was_stored(
    client_account: Account, dana: Any, tier: ProfileField, morgan: Any
) -> None:
    budget = profile_field_create(actor=morgan, key="budget", label="Budget", kind="number")
    profile_update(account=client_account, actor=dana, fields={"tier": "Silver", "budget": 5})
    url = f"/relationships/accounts/{client_account.pk}/profile/"
    client = _login(dana)
    form = client.get(url).content.decode()
    assert 'name="field_tier"' in form and 'name="field_budget"' in form
    bad = client.post(
        url,
        {
            "preferred_channel": "email",
            "meeting_from": "15:00",
            "meeting_until": "14:00",
            "field_tier": "Silver",
            "field_budget": "5",
            "version": "2",
        },
    )
    assert bad.status_code == 400
    assert "The meeting window ends after it starts." in bad.content.decode()
    assert ClientProfile.objects.get(account=client_account).preferred_channel == ""
    # Silver is no longer offered: the form keeps it selectable, so saving other changes leaves it as it was.
    profile_field_update(field=tier, actor=morgan, choices=["Gold"])
    form = client.get(url).content.decode()
    assert "Silver (no longer offered)" in form
    saved = client.post(
        url,
        {
            "preferred_channel": "email",
            "meeting_days": ["1", "5"],
            "meeting_from": "09:00",
            "meeting_until": "11:00",
            "field_tier": "Silver",
            "field_budget": "7.5",
            "version": "2",
        },
    )
    assert saved.status_code == 302, saved.content.decode()
    profile = ClientProfile.objects.get(account=client_account)
    assert (profile.fields, profile.meeting_days, profile.preferred_channel) == (
        {"tier": "Silver", "budget": 7.5},
        "15",
        "email",
    )
    assert budget.key in profile.fields


def test_the_advisor_records_a_goal_a_key_person_and_a_service_from_the_account_page(
    client_account: Account, dana: Any, charlie: Contact, initech_contact: Contact
) -> None:
    client = _login(dana)
    base = f"/relationships/accounts/{client_account.pk}"
    goal = client.post(f"{base}/goals/new/", {"title": "Retire at 60", "target_date": "2031-05-01"})
    assert goal.status_code == 302 and goal["Location"].endswith("#profile-card")
    # Only the account's contacts are offered; another account's is refused.
    form = client.get(f"{base}/key-people/new/").content.decode()
    assert "Charlie Martin" in form and "Ivy Ng" not in form
    wrong = client.post(f"{base}/key-people/new/", {"contact": initech_contact.pk, "role": "billing"})
    assert wrong.status_code == 400
    person = client.post(f"{base}/key-people/new/", {"contact": charlie.pk, "role": "champion", "notes": "Ally"})
    assert person.status_code == 302
    service = client.post(
        f"{base}/services/new/",
        {
            "name": "Call review",
            "status": "active",
            "started_on": "2026-01-01",
            "renews_on": "2025-01-01",
            "amount": "900",
            "currency": "EUR",
            "period": "quarter",
        },
    )
    assert service.status_code == 400
    assert "renews on or after the day it started" in service.content.decode()
    goal_row = ClientGoal.objects.get()
    achieved = client.post(f"/relationships/goals/{goal_row.pk}/achieve/")
    assert achieved.status_code == 302
    goal_row.refresh_from_db()
    assert goal_row.state == "achieved"
    card = _card(client.get(f"/accounts/{client_account.pk}/").content.decode(), 'id="profile-card"')
    assert "Champion" in card and "No open goal." in card and "No service recorded." in card


def test_managers_define_profile_fields_in_settings(morgan: Any, dana: Any) -> None:
    client = _login(morgan)
    assert _login(dana).get("/settings/profile-fields/").status_code == 403
    made = client.post(
        "/settings/profile-fields/",
        {"key": "tier", "label": "Support tier", "kind": "choice", "choices": "Gold\nSilver\n", "position": "1"},
    )
    assert made.status_code == 302
    field = ProfileField.objects.get()
    assert (field.choices, field.active) == (["Gold", "Silver"], True)
    no_choices = client.post(
        "/settings/profile-fields/", {"key": "size", "label": "Size", "kind": "choice", "position": "0"}
    )
    assert no_choices.status_code == 400
    assert "at least one choice" in no_choices.content.decode()
    retired = client.post(
        f"/settings/profile-fields/{field.pk}/",
        {"label": "Tier", "choices": "Gold", "position": "1", "version": "1"},
    )
    assert retired.status_code == 302
    field.refresh_from_db()
    assert (field.label, field.choices, field.active, field.key, field.kind) == (
        "Tier",
        ["Gold"],
        False,
        "tier",
        "choice",
    )
    page = client.get("/settings/profile-fields/").content.decode()
    assert "Tier" in page and "Retired" in page


def test_a_customer_with_nothing_recorded_gets_no_sidebar_card(acme: Account, carol: Contact, alice: Any) -> None:
    response = _login(alice).get(f"/relationships/accounts/{acme.pk}/profile/sidebar/")
    assert (response.status_code, response.content) == (200, b"")


def test_goals_and_services_are_changed_from_their_pages_and_key_people_read_by_role(
    client_account: Account, dana: Any, charlie: Contact
) -> None:
    goal = goal_create(actor=dana, account=client_account, title="Retire at 60", target_date=date(2031, 5, 1))
    service = client_service_create(
        actor=dana,
        account=client_account,
        name="Premium support",
        started_on=date(2025, 4, 1),
        renews_on=date(2026, 4, 1),
        amount="1500",
        currency="EUR",
    )
    ivy = contact_create(actor=None, account=client_account, name="Ada Billing", email="ada@globex.example")
    key_person_add(actor=dana, account=client_account, contact=ivy, role="billing")
    key_person_add(actor=dana, account=client_account, contact=charlie, role="decision_maker")
    client = _login(dana)
    page = client.get(f"/relationships/goals/{goal.pk}/").content.decode()
    assert 'value="Retire at 60"' in page and 'value="2031-05-01"' in page
    moved = client.post(
        f"/relationships/goals/{goal.pk}/", {"title": "Retire at 60", "target_date": "2030-05-01", "version": "1"}
    )
    assert moved.status_code == 302
    goal.refresh_from_db()
    assert (goal.target_date, goal.version) == (date(2030, 5, 1), 2)
    stale = client.post(
        f"/relationships/goals/{goal.pk}/", {"title": "Retire at 61", "target_date": "2030-05-01", "version": "1"}
    )
    assert stale.status_code == 409
    assert "changed by someone else" in stale.content.decode()
    fields = {
        "name": "Premium support",
        "status": "paused",
        "started_on": "2025-04-01",
        "renews_on": "",
        "amount": "1500.00",
        "currency": "EUR",
        "period": "month",
        "version": "1",
    }
    assert client.post(f"/relationships/services/{service.pk}/", fields).status_code == 302
    service.refresh_from_db()
    assert (service.status, service.renews_on, service.version) == ("paused", None, 2)
    card = _card(client.get(f"/accounts/{client_account.pk}/").content.decode(), 'id="profile-card"')
    assert card.index("Charlie Martin") < card.index("Ada Billing")  # the decision maker first
    assert "Premium support" in card and "Paused" in card
