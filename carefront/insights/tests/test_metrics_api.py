"""GET /api/v1/metrics/…: each figure with its definition's name, value, unit, count and the previous period's
value; filters validated (422); managers see everything, agents their own tickets, advisors their accounts,
contacts nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from carefront.accounts.services import account_change_service_model
from carefront.desk.services import ticket_create
from carefront.insights.metrics.definitions import DEFINITIONS

pytestmark = pytest.mark.django_db


@pytest.fixture
def today() -> dict[str, str]:
    day = timezone.localdate()
    return {"start": (day - timedelta(days=6)).isoformat(), "end": day.isoformat()}


@pytest.fixture
def two_tickets(carol: Any, alice: Any, bob: Any) -> None:
    ticket_create(actor=None, requester=carol, subject="One", body="Help.", assignee=alice)
    ticket_create(actor=None, requester=carol, subject="Two", body="Help.", assignee=bob)


def _by_name(body: dict[str, Any]) -> dict[str, Any]:
    return {item["name"]: item for item in body["figures"]}


def test_a_manager_reads_every_service_figure_with_its_definition_and_the_previous_period(
    api_client: Any, morgan: Any, two_tickets: None, today: dict[str, str], django_assert_max_num_queries: Any
) -> None:
    client = api_client(morgan)
    # Both periods, their ticket facts built from the tickets (nothing is stored yet): a bound whatever the size.
    with django_assert_max_num_queries(40):
        response = client.get("/api/v1/metrics/service", today)
    assert response.status_code == 200
    body = response.json()
    figures = _by_name(body)
    assert set(figures) == {d.name for d in DEFINITIONS.values() if d.scorecard == "service"}
    volume = figures["ticket_volume"]
    assert (volume["value"], volume["count"], volume["unit"], volume["previous_value"]) == (2, 2, "count", 0)
    assert volume["formula"]
    assert figures["first_response_time_calendar_median"]["value"] is None
    assert body["previous_period"]["end"] == body["period"]["start"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-11-30", "end": "2026-11-01"}, "end"),
        ({"start": "yesterday", "end": "2026-11-01"}, "start"),
        ({"start": "2026-11-01T09:00:00", "end": "2026-11-30"}, "start"),
        ({"start": "2026-11-01", "end": "2026-11-30", "channel": "fax"}, "channel"),
        ({"start": "2026-11-01", "end": "2026-11-30", "tier": 7}, "tier"),
        ({"start": "2026-11-01", "end": "2026-11-30", "team": 999999}, "team"),
        ({"start": "2026-11-01", "end": "2026-11-30", "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"start": "2020-01-01", "end": "2026-11-30"}, "end"),
    ],
)
def test_bad_filters_are_refused_with_the_field(
    api_client: Any, morgan: Any, params: dict[str, Any], field: str
) -> None:
    response = api_client(morgan).get("/api/v1/metrics/service", params)
    assert response.status_code == 422
    body = response.json()
    assert body["detail"]
    assert field in (body.get("field") or body["detail"])


def test_an_agent_sees_the_figures_of_their_own_tickets_only(
    api_client: Any, alice: Any, bob: Any, two_tickets: None, today: dict[str, str]
) -> None:
    client = api_client(alice)
    assert _by_name(client.get("/api/v1/metrics/service", today).json())["ticket_volume"]["value"] == 1
    assert client.get("/api/v1/metrics/service", {**today, "agent": bob.pk}).status_code == 403
    assert client.get("/api/v1/metrics/relationship", today).status_code == 403


def test_an_advisor_sees_the_accounts_they_own(
    api_client: Any, dana: Any, morgan: Any, acme: Any, globex: Any, two_tickets: None, today: dict[str, str]
) -> None:
    """GIVEN Acme (Carol's account, two tickets) is not Dana's and Globex becomes her client
    THEN her service scorecard counts no ticket and her relationship scorecard answers; another advisor's is refused."""
    account_change_service_model(account=globex, actor=morgan, service_model="client", owner=dana, reason="Signed")
    client = api_client(dana)
    assert _by_name(client.get("/api/v1/metrics/service", today).json())["ticket_volume"]["value"] == 0
    response = client.get("/api/v1/metrics/relationship", today)
    assert response.status_code == 200
    assert client.get("/api/v1/metrics/relationship", {**today, "advisor": morgan.pk}).status_code == 403


def test_a_portal_contact_is_refused(api_client: Any, portal_user_for: Any, carol: Any, today: dict[str, str]) -> None:
    client = api_client(portal_user_for(carol))
    for path in ("service", "relationship", "definitions", "figures/ticket_volume"):
        assert client.get(f"/api/v1/metrics/{path}", today).status_code == 403


def test_one_figure_by_its_name(api_client: Any, morgan: Any, two_tickets: None, today: dict[str, str]) -> None:
    client = api_client(morgan)
    body = client.get("/api/v1/metrics/figures/ticket_volume", today).json()
    assert [item["name"] for item in body["figures"]] == ["ticket_volume"]
    assert body["figures"][0]["value"] == 2
    assert client.get("/api/v1/metrics/figures/happiness", today).status_code == 404


def test_the_definitions_list_every_figure(api_client: Any, morgan: Any) -> None:
    body = api_client(morgan).get("/api/v1/metrics/definitions").json()
    assert {item["name"] for item in body} == set(DEFINITIONS)
    revenue = next(item for item in body if item["name"] == "revenue")
    assert (revenue["unit"], revenue["scorecard"], "channel" in revenue["filters"]) == ("money", "relationship", False)
