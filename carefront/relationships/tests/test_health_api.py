"""Health scores through the API and on screen: who reads a score (Dana her clients, Morgan all, Erin none of
Dana's, a portal contact nothing), its history, the settings (managers change them, a bad value is a clear error),
the recompute trigger, the account page's card and chart, Settings → Health scores; at a constant query count."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from carefront.accounts.models import Account
from carefront.accounts.services import contact_create
from carefront.relationships.models import AccountHealth, HealthSettings, HealthSnapshot
from carefront.relationships.services import commitment_complete, commitment_create
from carefront.relationships.services_health import health_recompute_all
from carefront.relationships.tests.conftest import NOW

pytestmark = pytest.mark.django_db

BASE = "/api/v1/relationships"
JSON = "application/json"


@pytest.fixture
def scored(client_account: Account, dana: Any, clock: Any) -> Account:
    """Globex with one commitment kept, scored on three days (100, then 100 again, then 50 after a late one)."""
    kept = commitment_create(
        actor=dana, account=client_account, title="Plan", owner=dana, due_at=NOW + timedelta(hours=1)
    )
    commitment_complete(commitment=kept, actor=dana)
    health_recompute_all(now=NOW + timedelta(days=1))
    late = commitment_create(
        actor=dana, account=client_account, title="Report", owner=dana, due_at=NOW + timedelta(days=2)
    )
    clock.move_to(NOW + timedelta(days=4))
    commitment_complete(commitment=late, actor=dana)
    health_recompute_all(now=NOW + timedelta(days=4))
    return client_account


def _login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_advisor_reads_her_clients_score_with_each_signals_part(
    api_client: Any, dana: Any, scored: Account
) -> None:
    body = api_client(dana).get(f"{BASE}/accounts/{scored.pk}/health").json()
    assert (body["score"], body["band"], body["band_label"], body["stale"]) == (70, "green", "Healthy", False)
    parts = {part["key"]: part for part in body["contributions"]}
    assert parts["commitments"]["value"] == 0.5
    assert parts["commitments"]["points"] == 30.0
    assert parts["commitments"]["explanation"] == "1 of 2 commitments kept on time in the last 90 days."
    assert parts["check_ins"]["value"] is None
    assert parts["check_ins"]["explanation"].endswith("left out of the score.")
    assert parts["tickets"]["points"] == 40.0


def test_the_history_is_each_day_the_score_changed(api_client: Any, dana: Any, scored: Account) -> None:
    days = api_client(dana).get(f"{BASE}/accounts/{scored.pk}/health/history").json()
    assert [(day["day"], day["score"]) for day in days] == [
        ((NOW + timedelta(days=1)).date().isoformat(), 100),
        ((NOW + timedelta(days=4)).date().isoformat(), 70),
    ]
    since = (NOW + timedelta(days=2)).date().isoformat()
    assert len(api_client(dana).get(f"{BASE}/accounts/{scored.pk}/health/history?since={since}").json()) == 1


def test_who_reads_a_score(
    api_client: Any,
    scored: Account,
    erin: Any,
    morgan: Any,
    alice: Any,
    acme: Account,
    portal_user_for: Any,
) -> None:
    camille = contact_create(actor=None, account=scored, name="Camille Roux", email="camille@globex.example")
    path = f"{BASE}/accounts/{scored.pk}/health"
    assert api_client(morgan).get(path).status_code == 200
    assert api_client(erin).get(path).status_code == 404
    assert api_client(alice).get(path).status_code == 404
    assert api_client(morgan).get(f"{BASE}/accounts/{acme.pk}/health").status_code == 404  # a customer
    portal = api_client(portal_user_for(camille))
    assert portal.get(path).status_code == 403
    assert portal.get(f"{path}/history").status_code == 403
    assert api_client(erin).get(f"{path}/history").status_code == 404


def test_a_client_not_yet_scored_reads_as_no_score(api_client: Any, dana: Any, client_account: Account) -> None:
    body = api_client(dana).get(f"{BASE}/accounts/{client_account.pk}/health").json()
    assert (body["score"], body["band"], body["contributions"]) == (None, "", [])


def test_managers_change_the_settings_and_a_bad_value_changes_nothing(
    api_client: Any, dana: Any, morgan: Any, django_capture_on_commit_callbacks: Any, scored: Account
) -> None:
    read = api_client(dana).get(f"{BASE}/health/settings")
    assert read.status_code == 200
    assert {signal["key"]: signal["weight"] for signal in read.json()["signals"]} == {
        "check_ins": 3,
        "commitments": 3,
        "dependencies": 2,
        "tickets": 2,
        "spend": 2,
        "surveys": 2,
    }
    refused = api_client(dana).put(f"{BASE}/health/settings", {"red_below": 30}, content_type=JSON)
    assert refused.status_code == 403
    bad = api_client(morgan).put(
        f"{BASE}/health/settings", {"weights": {"tickets": 0}, "red_below": 75}, content_type=JSON
    )
    assert bad.status_code == 400
    assert bad.json()["field"] == "amber_below"
    assert "below the amber band" in bad.json()["detail"]
    assert HealthSettings.objects.get().weights == {}
    # Tickets no longer count: Globex is judged by its commitments alone, and every score is recomputed.
    with django_capture_on_commit_callbacks(execute=True):
        saved = api_client(morgan).put(
            f"{BASE}/health/settings", {"weights": {"tickets": 0}, "version": 1}, content_type=JSON
        )
    assert saved.status_code == 200
    assert saved.json()["version"] == 2
    assert AccountHealth.objects.get(account=scored).score == 50
    stale = api_client(morgan).put(f"{BASE}/health/settings", {"red_below": 30, "version": 1}, content_type=JSON)
    assert stale.status_code == 409


def test_a_manager_queues_a_recompute_of_every_score(
    api_client: Any, dana: Any, morgan: Any, client_account: Account
) -> None:
    assert api_client(dana).post(f"{BASE}/health/recompute").status_code == 403
    queued = api_client(morgan).post(f"{BASE}/health/recompute")
    assert (queued.status_code, queued.json()) == (202, {"queued": True})
    assert AccountHealth.objects.filter(account=client_account, computed_at__isnull=False).exists()


def test_reading_a_score_costs_the_same_queries_however_long_its_history(
    api_client: Any, dana: Any, scored: Account, django_assert_max_num_queries: Any
) -> None:
    dana_api = api_client(dana)

    def counted(path: str) -> int:
        with django_assert_max_num_queries(20) as context:
            assert dana_api.get(path).status_code == 200
        return len(context.captured_queries)

    paths = [f"{BASE}/accounts/{scored.pk}/health", f"{BASE}/accounts/{scored.pk}/health/history"]
    dana_api.get(paths[0])  # the token's first use is recorded once
    before = [counted(path) for path in paths]
    HealthSnapshot.objects.bulk_create(
        HealthSnapshot(account=scored, day=(NOW - timedelta(days=n)).date(), score=n % 100, band="amber")
        for n in range(10, 60)
    )
    assert [counted(path) for path in paths] == before


# --- screens -------------------------------------------------------------------------------------


def test_the_account_page_shows_the_score_its_parts_and_the_chart(
    scored: Account, dana: Any, erin: Any, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(60) as context:
        page = _login(dana).get(f"/accounts/{scored.pk}/").content.decode()
    assert 'id="health-card"' in page
    assert '<span class="health-score">70' in page
    assert "Healthy" in page  # the band in words, not colour alone
    assert "1 of 2 commitments kept on time in the last 90 days." in page
    assert "left out" in page
    assert 'id="health-data" type="application/json"' in page
    assert "relationships/health.js" in page
    assert "Health settings" not in page  # managers only
    first = len(context.captured_queries)
    HealthSnapshot.objects.bulk_create(
        HealthSnapshot(account=scored, day=(NOW - timedelta(days=n)).date(), score=40, band="amber")
        for n in range(10, 40)
    )
    with django_assert_max_num_queries(first):
        _login(dana).get(f"/accounts/{scored.pk}/")
    other = _login(erin).get(f"/accounts/{scored.pk}/")
    assert other.status_code != 200 or 'id="health-card"' not in other.content.decode()


def test_a_manager_edits_the_settings_page_and_a_bad_band_is_shown_on_its_field(morgan: Any, dana: Any) -> None:
    assert _login(dana).get("/settings/health/").status_code == 403
    browser = _login(morgan)
    page = browser.get("/settings/health/")
    assert page.status_code == 200
    assert "Weight: Check-ins held" in page.content.decode()
    form = {
        "red_below": 80,
        "amber_below": 60,
        "ticket_norm": 5,
        "version": 1,
        **{f"weight_{key}": 1 for key in ("check_ins", "commitments", "dependencies", "tickets", "spend", "surveys")},
        **{f"window_{key}": 90 for key in ("check_ins", "commitments", "dependencies", "tickets", "spend", "surveys")},
    }
    refused = browser.post("/settings/health/", form)
    assert refused.status_code == 400
    assert "The red band must end below the amber band" in refused.content.decode()
    assert HealthSettings.objects.get().red_below == 40
    saved = browser.post("/settings/health/", {**form, "red_below": 30, "weight_spend": 0})
    assert saved.status_code == 302
    row = HealthSettings.objects.get()
    assert (row.red_below, row.weights["spend"], row.windows["tickets"]) == (30, 0.0, 90)
    assert browser.post("/settings/health/recompute/").status_code == 302
