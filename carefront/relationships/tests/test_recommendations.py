"""Advisors' morning recommendations: each signal with its reason in plain words, made once a morning, never open
twice, closed when the reason goes away, turned into a commitment or a check-in in one click or dismissed with a
reason (and then not made again for a while), at a constant number of queries per chunk of accounts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from carefront.accounts.models import Account, Contact
from carefront.accounts.services import account_create, contact_create, order_create
from carefront.core.exceptions import ApplicationError
from carefront.desk.services import ticket_create
from carefront.relationships.models import (
    AdvisorRecommendation,
    Commitment,
    RecommendationRun,
    RecommendationState,
)
from carefront.relationships.selectors_recommendations import recommendation_reason, recommendations_open
from carefront.relationships.services import Blocked, commitment_create, dependency_create, dependency_receive
from carefront.relationships.services_recommendations import (
    recommendation_commit,
    recommendation_dismiss,
    recommendation_plan_check_in,
    recommendations_run,
)
from carefront.relationships.tests.conftest import NOW

pytestmark = pytest.mark.django_db

API = "/api/v1/relationships"


@pytest.fixture
def camille(client_account: Account) -> Contact:
    return contact_create(actor=None, account=client_account, name="Camille Roux", email="camille@globex.example")


def _late_dependency(client_account: Account, dana: Any, camille: Contact) -> Any:
    promise = commitment_create(
        actor=dana, account=client_account, title="Survey report", owner=dana, due_at=NOW + timedelta(days=20)
    )
    return dependency_create(
        actor=dana,
        what="The customer list",
        contact=camille,
        due_at=NOW + timedelta(days=1),
        blocks=Blocked(commitment=promise),
    )


def _open(advisor: Any) -> dict[str, AdvisorRecommendation]:
    return {row.kind: row for row in AdvisorRecommendation.objects.filter(advisor=advisor, state="open")}


def test_the_morning_list_says_in_plain_words_why_each_client_needs_attention(
    clock: Any, client_account: Account, camille: Contact, dana: Any
) -> None:
    """GIVEN Globex owes a customer list since yesterday, opened a ticket this morning, spent much less this quarter
    than the last, and nobody talked to them for over a month
    WHEN the morning job runs after 6 in Dana's zone
    THEN Dana's list has one recommendation per reason, each in plain words."""
    order_create(
        actor=None,
        account=client_account,
        external_id="G-1",
        placed_at=NOW - timedelta(days=60),
        currency="EUR",
        amount="1000",
    )
    _late_dependency(client_account, dana, camille)
    clock.shift(timedelta(days=40))
    now = NOW + timedelta(days=40)
    order_create(
        actor=None,
        account=client_account,
        external_id="G-2",
        placed_at=now - timedelta(days=5),
        currency="EUR",
        amount="200",
    )
    ticket_create(actor=None, requester=camille, subject="Invoice is wrong", body="Please check.")

    opened = recommendations_run()

    found = _open(dana)
    assert set(found) == {"no_contact", "dependency_late", "new_ticket", "spend_drop"}
    assert opened == 4
    assert recommendation_reason(found["dependency_late"]) == (
        "Camille Roux owes us “The customer list”, due 03/03/2026: 39 days late."
    )
    assert recommendation_reason(found["spend_drop"]).startswith("Spend fell by 80%: 200.00 EUR in the last 90 days")
    assert recommendation_reason(found["new_ticket"]).endswith(": Invoice is wrong")
    assert recommendation_reason(found["no_contact"]) == "No contact recorded since they became a client."
    assert RecommendationRun.objects.filter(advisor=dana, created=4).count() == 1


def test_the_job_makes_each_list_once_a_morning_and_never_opens_a_suggestion_twice(
    clock: Any, client_account: Account, camille: Contact, dana: Any
) -> None:
    _late_dependency(client_account, dana, camille)
    clock.shift(timedelta(days=3))

    assert recommendations_run() == 1
    assert recommendations_run() == 0  # the day's list is made
    assert recommendations_run(advisor_ids=[dana.pk]) == 0  # made again now: still open, not doubled
    assert AdvisorRecommendation.objects.filter(advisor=dana).count() == 1


def test_an_advisor_before_their_morning_gets_no_list_yet(
    clock: Any, client_account: Account, camille: Contact, dana: Any
) -> None:
    _late_dependency(client_account, dana, camille)
    # 03:00 in Paris (02:00 UTC), three days on.
    clock.move_to(NOW.replace(hour=2) + timedelta(days=3))
    assert recommendations_run() == 0
    assert not RecommendationRun.objects.exists()


def test_a_suggestion_whose_reason_went_away_is_closed(
    clock: Any, client_account: Account, camille: Contact, dana: Any
) -> None:
    dependency = _late_dependency(client_account, dana, camille)
    clock.shift(timedelta(days=3))
    recommendations_run()
    dependency_receive(dependency=dependency, actor=dana)

    recommendations_run(advisor_ids=[dana.pk])

    row = AdvisorRecommendation.objects.get(kind="dependency_late")
    assert row.state == RecommendationState.RESOLVED
    assert recommendations_open(advisor=dana).rows == []


def test_one_click_makes_a_commitment_or_a_check_in_and_a_dismissal_needs_a_reason(
    clock: Any, client_account: Account, camille: Contact, dana: Any
) -> None:
    dependency = _late_dependency(client_account, dana, camille)
    clock.shift(timedelta(days=40))
    ticket_create(actor=None, requester=camille, subject="Login fails", body="Since Monday.")
    recommendations_run()
    found = _open(dana)

    commitment = recommendation_commit(recommendation=found["dependency_late"], actor=dana)
    assert commitment.title == "Ask Globex SA again for “The customer list”"
    assert (commitment.owner_id, commitment.account_id) == (dana.pk, client_account.pk)
    assert commitment.due_at == NOW + timedelta(days=42)

    check_in = recommendation_plan_check_in(recommendation=found["no_contact"], actor=dana)
    # Forty days on is Saturday 11 April; Dana works from 9:00 in Paris, Monday to Friday: Monday 09:00 CEST.
    assert check_in.scheduled_at.isoformat() == "2026-04-13T07:00:00+00:00"

    with pytest.raises(ApplicationError) as silent:
        recommendation_dismiss(recommendation=found["new_ticket"], actor=dana, reason=" ")
    assert silent.value.field == "reason"
    recommendation_dismiss(recommendation=found["new_ticket"], actor=dana, reason="Alice has it in hand")
    with pytest.raises(ApplicationError) as twice:
        recommendation_commit(recommendation=found["new_ticket"], actor=dana)
    assert twice.value.status == 409

    states = dict(AdvisorRecommendation.objects.values_list("kind", "state"))
    assert states == {"dependency_late": "acted", "no_contact": "acted", "new_ticket": "dismissed"}
    # Dismissed or acted on: not made again tomorrow, though the reasons still hold.
    clock.shift(timedelta(days=1))
    assert recommendations_run() == 0
    assert dependency.pk  # still open: the snooze, not the reason, keeps it away


def test_another_advisor_cannot_act_on_dana_s_recommendations(
    clock: Any, client_account: Account, camille: Contact, dana: Any, erin: Any, morgan: Any
) -> None:
    _late_dependency(client_account, dana, camille)
    clock.shift(timedelta(days=3))
    recommendations_run()
    row = AdvisorRecommendation.objects.get()
    with pytest.raises(ApplicationError) as refused:
        recommendation_commit(recommendation=row, actor=erin)
    assert refused.value.status == 403
    erin_client = Client()
    erin_client.force_login(erin)
    assert erin_client.post(f"/relationships/recommendations/{row.pk}/commit/").status_code == 404
    assert not Commitment.objects.filter(title__startswith="Ask").exists()


def test_the_job_costs_the_same_queries_for_ten_clients_or_forty(clock: Any, dana: Any) -> None:
    def run_with(count: int) -> int:
        for n in range(count):
            account = account_create(
                actor=None, name=f"Client {count}-{n}", kind="organisation", service_model="client", owner=dana
            )
            order_create(
                actor=None,
                account=account,
                external_id=f"O-{count}-{n}",
                placed_at=NOW - timedelta(days=100),
                currency="EUR",
                amount=Decimal("50"),
            )
        with CaptureQueriesContext(connection) as queries:
            recommendations_run(advisor_ids=[dana.pk])
        return len(queries)

    clock.shift(timedelta(days=40))
    assert run_with(10) == run_with(30)
    assert AdvisorRecommendation.objects.filter(kind="spend_drop").count() == 40


def test_the_portfolio_shows_today_s_list_and_one_click_makes_the_commitment(
    clock: Any, client_account: Account, camille: Contact, dana: Any
) -> None:
    _late_dependency(client_account, dana, camille)
    clock.shift(timedelta(days=3))
    client = Client()
    client.force_login(dana)
    client.post(f"/relationships/portfolio/{dana.pk}/recommendations/refresh/")
    page = client.get("/relationships/portfolio/").content.decode()
    assert "Camille Roux owes us “The customer list”" in page
    row = AdvisorRecommendation.objects.get()

    response = client.post(f"/relationships/recommendations/{row.pk}/commit/", headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "Commitment made: Ask Globex SA again for “The customer list”" in response.content.decode()
    assert Commitment.objects.filter(title="Ask Globex SA again for “The customer list”").exists()


def test_the_recommendations_api_lists_acts_and_dismisses(
    clock: Any, api_client: Any, client_account: Account, camille: Contact, dana: Any, erin: Any
) -> None:
    _late_dependency(client_account, dana, camille)
    clock.shift(timedelta(days=40))
    dana_api = api_client(dana)
    assert dana_api.post(f"{API}/recommendations/refresh").json() == {"opened": 2}
    listed = dana_api.get(f"{API}/recommendations").json()["results"]
    assert {row["kind"] for row in listed} == {"dependency_late", "no_contact"}
    by_kind = {row["kind"]: row for row in listed}
    assert "owes us" in by_kind["dependency_late"]["reason"]
    assert api_client(erin).get(f"{API}/recommendations", {"advisor_id": dana.pk}).status_code == 404

    made = dana_api.post(f"{API}/recommendations/{by_kind['dependency_late']['id']}/commitment")
    assert made.status_code == 201 and Commitment.objects.filter(pk=made.json()["commitment_id"]).exists()
    refused = dana_api.post(
        f"{API}/recommendations/{by_kind['no_contact']['id']}/dismiss", {"reason": ""}, content_type="application/json"
    )
    assert refused.status_code == 422  # a reason is required, as everywhere in the API
    dismissed = dana_api.post(
        f"{API}/recommendations/{by_kind['no_contact']['id']}/dismiss",
        {"reason": "We met at the trade fair"},
        content_type="application/json",
    )
    assert dismissed.status_code == 204
    assert dana_api.get(f"{API}/recommendations").json()["results"] == []


def test_a_renewal_and_a_goal_coming_up_are_recommended_with_their_dates(
    clock: Any, client_account: Account, dana: Any
) -> None:
    from datetime import date

    from carefront.relationships.services_profile import client_service_create, goal_create

    client_service_create(
        actor=dana,
        account=client_account,
        name="Premium support",
        started_on=date(2025, 4, 1),
        amount="1200.00",
        currency="EUR",
        period="year",
        renews_on=date(2026, 4, 1),
    )
    goal_create(actor=dana, account=client_account, title="Cut churn 5 %", target_date=date(2026, 3, 20))
    goal_create(actor=dana, account=client_account, title="Open in Spain", target_date=date(2026, 9, 1))

    recommendations_run(advisor_ids=[dana.pk])

    found = _open(dana)
    assert {"renewal_near", "goal_near"} <= set(found)
    assert recommendation_reason(found["renewal_near"]) == "“Premium support” renews on 04/01/2026, in 30 days."
    assert recommendation_reason(found["goal_near"]) == "Their goal “Cut churn 5 %” is due on 03/20/2026, in 18 days."
    assert AdvisorRecommendation.objects.filter(kind="goal_near").count() == 1  # September's is too far off
