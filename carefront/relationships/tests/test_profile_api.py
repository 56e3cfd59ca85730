"""The client profile's endpoints: reads for any staff member, writes for the account's advisor or a manager (403 for
another advisor, as for commitments), field definitions for managers, nothing for a portal contact's token; bad
values refused as {"detail", "field"}; lists by cursor at a constant query count."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client

from carefront.accounts.models import Account, Contact
from carefront.relationships.models import ClientProfile
from carefront.relationships.services_profile import (
    client_service_create,
    goal_create,
    key_person_add,
    profile_field_create,
)

pytestmark = pytest.mark.django_db

BASE = "/api/v1/relationships"
JSON = "application/json"


@pytest.fixture
def dana_api(api_client: Any, dana: Any) -> Client:
    return api_client(dana)


@pytest.fixture
def tier(morgan: Any) -> Any:
    return profile_field_create(
        actor=morgan, key="tier", label="Support tier", kind="choice", choices=["Gold", "Silver"]
    )


def test_an_advisor_reads_and_patches_the_profile_of_her_client(
    dana_api: Client, client_account: Account, tier: Any
) -> None:
    empty = dana_api.get(f"{BASE}/accounts/{client_account.pk}/profile")
    assert empty.status_code == 200
    assert (empty.json()["version"], empty.json()["fields"], empty.json()["updated_at"]) == (1, {}, None)
    changed = dana_api.patch(
        f"{BASE}/accounts/{client_account.pk}/profile",
        {
            "preferred_channel": "video",
            "meeting_days": "24",
            "meeting_from": "14:00",
            "meeting_until": "16:30",
            "fields": {"tier": "Gold"},
            "version": 1,
        },
        content_type=JSON,
    )
    assert changed.status_code == 200, changed.json()
    body = changed.json()
    assert (body["preferred_channel"], body["meeting_from"], body["fields"], body["version"]) == (
        "video",
        "14:00:00",
        {"tier": "Gold"},
        2,
    )
    assert body["time_zone"] == client_account.time_zone
    cleared = dana_api.patch(
        f"{BASE}/accounts/{client_account.pk}/profile",
        {"meeting_from": None, "meeting_until": None, "preferred_channel": None},
        content_type=JSON,
    )
    assert (cleared.json()["meeting_from"], cleared.json()["preferred_channel"]) == (None, "")


def test_bad_profile_values_are_refused_naming_the_field_and_nothing_is_lost(
    dana_api: Client, client_account: Account, tier: Any
) -> None:
    url = f"{BASE}/accounts/{client_account.pk}/profile"
    dana_api.patch(url, {"fields": {"tier": "Silver"}}, content_type=JSON)
    unknown = dana_api.patch(url, {"fields": {"tier": "Gold", "shoe_size": 42}}, content_type=JSON)
    assert unknown.status_code == 400
    assert unknown.json()["field"] == "shoe_size"
    assert "shoe_size" in unknown.json()["detail"]
    wrong = dana_api.patch(url, {"fields": {"tier": "Platinum"}}, content_type=JSON)
    assert (wrong.status_code, wrong.json()["field"]) == (400, "tier")
    stale = dana_api.patch(url, {"meeting_notes": "x", "version": 1}, content_type=JSON)
    assert stale.status_code == 409
    typo = dana_api.patch(url, {"prefered_channel": "call"}, content_type=JSON)
    assert typo.status_code in (400, 422)
    assert ClientProfile.objects.get(account=client_account).fields == {"tier": "Silver"}


def test_goals_are_created_listed_achieved_and_abandoned(dana_api: Client, client_account: Account) -> None:
    created = dana_api.post(
        f"{BASE}/goals",
        {"account_id": client_account.pk, "title": "Retire at 60", "target_date": "2031-05-01"},
        content_type=JSON,
    )
    assert created.status_code == 201, created.json()
    goal_id = created.json()["id"]
    past = dana_api.post(
        f"{BASE}/goals",
        {"account_id": client_account.pk, "title": "Cut churn 5 %", "target_date": "2026-01-31"},
        content_type=JSON,
    )
    assert past.status_code == 201
    moved = dana_api.patch(f"{BASE}/goals/{goal_id}", {"target_date": "2030-05-01", "version": 1}, content_type=JSON)
    assert (moved.status_code, moved.json()["version"]) == (200, 2)
    assert dana_api.patch(f"{BASE}/goals/{goal_id}", {"title": None}, content_type=JSON).status_code == 400
    due = dana_api.get(f"{BASE}/goals", {"account": str(client_account.pk), "target_before": "2026-12-31"}).json()
    assert [goal["title"] for goal in due["results"]] == ["Cut churn 5 %"]
    assert dana_api.post(f"{BASE}/goals/{goal_id}/achieve").json()["state"] == "achieved"
    assert dana_api.post(f"{BASE}/goals/{goal_id}/achieve").status_code == 409
    abandoned = dana_api.post(f"{BASE}/goals/{past.json()['id']}/abandon", {"reason": "New CEO"}, content_type=JSON)
    assert (abandoned.json()["state"], abandoned.json()["abandoned_reason"]) == ("abandoned", "New CEO")
    states = dana_api.get(f"{BASE}/goals", {"state": "open"}).json()["results"]
    assert states == []


def test_key_people_must_be_contacts_of_the_account(
    dana_api: Client, client_account: Account, charlie: Contact, initech_contact: Contact
) -> None:
    url = f"{BASE}/accounts/{client_account.pk}/key-people"
    elsewhere = dana_api.post(url, {"contact_id": initech_contact.pk, "role": "billing"}, content_type=JSON)
    assert (elsewhere.status_code, elsewhere.json()["field"]) == (400, "contact")
    made = dana_api.post(url, {"contact_id": charlie.pk, "role": "decision_maker"}, content_type=JSON)
    assert made.status_code == 201
    assert made.json()["contact"]["name"] == "Charlie Martin"
    person = made.json()["id"]
    changed = dana_api.patch(f"{BASE}/key-people/{person}", {"role": "champion"}, content_type=JSON)
    assert changed.json()["role"] == "champion"
    listed = dana_api.get(f"{BASE}/key-people", {"account": client_account.pk}).json()["results"]
    assert [row["role"] for row in listed] == ["champion"]
    assert dana_api.delete(f"{BASE}/key-people/{person}").status_code == 204
    assert dana_api.get(f"{BASE}/key-people").json()["results"] == []


def test_services_bought_carry_money_as_decimal_and_renewals_filter(dana_api: Client, client_account: Account) -> None:
    made = dana_api.post(
        f"{BASE}/client-services",
        {
            "account_id": client_account.pk,
            "name": "Quarterly survey",
            "started_on": "2025-04-01",
            "renews_on": "2026-04-01",
            "amount": "4500.00",
            "currency": "EUR",
            "period": "quarter",
        },
        content_type=JSON,
    )
    assert made.status_code == 201, made.json()
    assert (made.json()["amount"], made.json()["period"]) == ("4500.00", "quarter")
    service = made.json()["id"]
    bad = dana_api.patch(f"{BASE}/client-services/{service}", {"currency": "E1R"}, content_type=JSON)
    assert (bad.status_code, bad.json()["field"]) == (400, "currency")
    renewing = dana_api.get(f"{BASE}/client-services", {"renews_before": "2026-05-01"}).json()["results"]
    assert [row["id"] for row in renewing] == [service]
    ended = dana_api.patch(
        f"{BASE}/client-services/{service}", {"status": "ended", "renews_on": None}, content_type=JSON
    )
    assert (ended.json()["status"], ended.json()["renews_on"]) == ("ended", None)


def test_another_advisor_reads_but_may_not_change_a_profile(
    api_client: Any, erin: Any, dana: Any, client_account: Account, charlie: Contact
) -> None:
    goal = goal_create(actor=dana, account=client_account, title="Retire at 60", target_date=date(2031, 5, 1))
    person = key_person_add(actor=dana, account=client_account, contact=charlie, role="billing")
    erin_api = api_client(erin)
    assert erin_api.get(f"{BASE}/accounts/{client_account.pk}/profile").status_code == 200
    assert erin_api.get(f"{BASE}/goals/{goal.pk}").status_code == 200
    refused = [
        erin_api.patch(f"{BASE}/accounts/{client_account.pk}/profile", {"meeting_notes": "x"}, content_type=JSON),
        erin_api.post(
            f"{BASE}/goals",
            {"account_id": client_account.pk, "title": "x", "target_date": "2027-01-01"},
            content_type=JSON,
        ),
        erin_api.post(f"{BASE}/goals/{goal.pk}/achieve"),
        erin_api.delete(f"{BASE}/key-people/{person.pk}"),
    ]
    assert [response.status_code for response in refused] == [403, 403, 403, 403]
    assert "advisor or a manager" in refused[0].json()["detail"]


def test_a_contact_token_sees_nothing_of_the_profile(
    api_client: Any, portal_user_for: Any, dana: Any, client_account: Account, charlie: Contact
) -> None:
    goal = goal_create(actor=dana, account=client_account, title="Retire at 60", target_date=date(2031, 5, 1))
    charlie_api = api_client(portal_user_for(charlie))
    for url in (
        f"{BASE}/accounts/{client_account.pk}/profile",
        f"{BASE}/goals",
        f"{BASE}/goals/{goal.pk}",
        f"{BASE}/key-people",
        f"{BASE}/client-services",
        f"{BASE}/profile-fields",
    ):
        assert charlie_api.get(url).status_code == 403, url
    assert charlie_api.post(f"{BASE}/goals/{goal.pk}/achieve").status_code == 403


def test_only_managers_define_profile_fields(dana_api: Client, api_client: Any, morgan: Any) -> None:
    payload = {"key": "budget", "label": "Budget", "kind": "number"}
    assert dana_api.post(f"{BASE}/profile-fields", payload, content_type=JSON).status_code == 403
    morgan_api = api_client(morgan)
    made = morgan_api.post(f"{BASE}/profile-fields", payload, content_type=JSON)
    assert made.status_code == 201
    field = made.json()["id"]
    retired = morgan_api.patch(f"{BASE}/profile-fields/{field}", {"active": False, "version": 1}, content_type=JSON)
    assert (retired.json()["active"], retired.json()["version"]) == (False, 2)
    assert morgan_api.patch(f"{BASE}/profile-fields/{field}", {"kind": "text"}, content_type=JSON).status_code == 422
    assert [row["key"] for row in dana_api.get(f"{BASE}/profile-fields").json()["results"]] == ["budget"]
    assert dana_api.patch(f"{BASE}/profile-fields/{field}", {"label": "x"}, content_type=JSON).status_code == 403


def test_profile_lists_cost_the_same_queries_for_one_row_or_many(
    dana_api: Client, dana: Any, client_account: Account, charlie: Contact, django_assert_max_num_queries: Any
) -> None:
    def add(count: int) -> None:
        for index in range(count):
            goal_create(actor=dana, account=client_account, title=f"Goal {index}", target_date=date(2027, 1, 1))
            client_service_create(
                actor=dana,
                account=client_account,
                name=f"Service {index}",
                started_on=date(2025, 1, 1),
                amount="10",
                currency="EUR",
            )

    add(1)
    key_person_add(actor=dana, account=client_account, contact=charlie, role="billing")
    urls = [f"{BASE}/goals", f"{BASE}/client-services", f"{BASE}/key-people"]
    counts = []
    for url in urls:
        with django_assert_max_num_queries(100) as small:
            dana_api.get(url)
        counts.append(len(small.captured_queries))
    add(12)
    key_person_add(actor=dana, account=client_account, contact=charlie, role="technical")
    for url, count in zip(urls, counts, strict=True):
        with django_assert_max_num_queries(count):
            assert dana_api.get(url).status_code == 200
