"""GET /api/v1/metrics/figures/{name}/series: the exact shape the dashboards' charts read, the same filters and
access as the scorecards (an agent their own tickets, advisors their accounts, contacts nothing), 404 with a detail
for a figure that is unknown or has no series."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from carefront.desk.services import ticket_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def week() -> dict[str, str]:
    day = timezone.localdate()
    return {"start": (day - timedelta(days=6)).isoformat(), "end": day.isoformat()}


@pytest.fixture
def two_tickets(carol: Any, alice: Any, bob: Any) -> None:
    ticket_create(actor=None, requester=carol, subject="One", body="Help.", assignee=alice)
    ticket_create(actor=None, requester=carol, subject="Two", body="Help.", assignee=bob)


def test_a_manager_reads_a_figure_by_day_in_the_charts_shape(
    api_client: Any, morgan: Any, two_tickets: None, week: dict[str, str], django_assert_max_num_queries: Any
) -> None:
    client = api_client(morgan)
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/metrics/figures/ticket_volume/series", {**week, "bucket": "day"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"name", "bucket", "unit", "points"}
    assert (body["name"], body["bucket"], body["unit"]) == ("ticket_volume", "day", "count")
    assert body["points"][0]["start"] == week["start"]
    assert len(body["points"]) == 7
    assert all(set(point) == {"start", "value", "count"} for point in body["points"])
    assert body["points"][-1] == {"start": week["end"], "value": 2.0, "count": 2}
    assert sum(point["count"] for point in body["points"]) == 2


def test_the_bucket_defaults_to_the_week_and_a_rate_without_data_is_null(
    api_client: Any, morgan: Any, week: dict[str, str]
) -> None:
    body = api_client(morgan).get("/api/v1/metrics/figures/csat/series", week).json()
    assert body["bucket"] == "week" and body["unit"] == "percent"
    assert all(point["value"] is None and point["count"] == 0 for point in body["points"])


def test_an_unknown_or_untrendable_figure_is_a_404_with_a_detail(
    api_client: Any, morgan: Any, week: dict[str, str]
) -> None:
    client = api_client(morgan)
    for name in ("happiness", "health_distribution"):
        response = client.get(f"/api/v1/metrics/figures/{name}/series", week)
        assert response.status_code == 404
        assert name in response.json()["detail"]


def test_bad_buckets_and_filters_are_refused(api_client: Any, morgan: Any, week: dict[str, str]) -> None:
    client = api_client(morgan)
    assert client.get("/api/v1/metrics/figures/backlog/series", {**week, "bucket": "year"}).status_code == 422
    response = client.get("/api/v1/metrics/figures/backlog/series", {**week, "channel": "fax"})
    assert response.status_code == 422


def test_an_agent_reads_the_series_of_their_own_tickets_only(
    api_client: Any, alice: Any, bob: Any, two_tickets: None, week: dict[str, str]
) -> None:
    client = api_client(alice)
    body = client.get("/api/v1/metrics/figures/ticket_volume/series", {**week, "bucket": "month"}).json()
    assert sum(point["count"] for point in body["points"]) == 1
    assert client.get("/api/v1/metrics/figures/ticket_volume/series", {**week, "agent": bob.pk}).status_code == 403
    # NPS and revenue belong to the relationship scorecard, which is not an agent's.
    assert client.get("/api/v1/metrics/figures/nps/series", week).status_code == 403


def test_an_advisor_reads_the_accounts_they_own(
    api_client: Any, dana: Any, morgan: Any, two_tickets: None, week: dict[str, str]
) -> None:
    client = api_client(dana)
    body = client.get("/api/v1/metrics/figures/ticket_volume/series", week).json()
    assert sum(point["count"] for point in body["points"]) == 0  # Carol's account is not Dana's
    assert client.get("/api/v1/metrics/figures/revenue/series", week).status_code == 200
    assert client.get("/api/v1/metrics/figures/revenue/series", {**week, "advisor": morgan.pk}).status_code == 403


def test_a_portal_contact_and_a_stranger_are_refused(
    api_client: Any, portal_user_for: Any, carol: Any, client: Any, week: dict[str, str]
) -> None:
    path = "/api/v1/metrics/figures/ticket_volume/series"
    assert api_client(portal_user_for(carol)).get(path, week).status_code == 403
    assert client.get(path, week).status_code == 401
