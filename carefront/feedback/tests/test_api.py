"""The feedback API: staff read surveys, campaigns, invitations and responses (filtered, cursor-paginated, a
constant number of queries); managers write surveys and campaigns; portal tokens get 403; bad input is a 4xx with
{"detail"} and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from carefront.accounts.models import Account, Contact
from carefront.accounts.services import contact_create
from carefront.desk.models import Ticket
from carefront.feedback.models import Campaign, InvitationReason, Response, Survey
from carefront.feedback.services import survey_create
from carefront.feedback.services_answers import response_submit
from carefront.feedback.services_sending import invitation_send
from carefront.feedback.tests.conftest import NOW

pytestmark = pytest.mark.django_db
BASE = "/api/v1/feedback"
JSON = "application/json"


@pytest.fixture
def responses(clock: Any, acme: Account, morgan: Any, alice: Any) -> list[Response]:
    """Twelve answers of Acme's: CSAT 1–5 and NPS 0–10 in turn, one a day back in time."""
    csat = survey_create(actor=morgan, kind="csat", name="CSAT")
    nps = survey_create(actor=morgan, kind="nps", name="NPS")
    rows = []
    for index in range(12):
        contact = contact_create(actor=None, account=acme, name=f"P{index}", email=f"p{index}@acme.example")
        survey = csat if index % 2 else nps
        invitation = invitation_send(
            key=f"api-{index}",
            survey=survey,
            reason=InvitationReason.CAMPAIGN,
            account=acme,
            contact=contact,
            agent=alice,
            now=NOW - timedelta(days=index),
        )
        score = 1 + index % 5 if survey is csat else index % 11
        rows.append(response_submit(invitation=invitation, score=score, now=NOW - timedelta(days=index)))
    return rows


def test_staff_list_responses_with_filters_and_cursor_pages(
    responses: list[Response], api_client: Callable[..., Any], alice: Any, django_assert_max_num_queries: Any
) -> None:
    client = api_client(alice)
    with django_assert_max_num_queries(6):
        first = client.get(f"{BASE}/responses?page_size=5").json()
    assert [row["id"] for row in first["results"]] == sorted((row.pk for row in responses), reverse=True)[:5]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 5 and second["results"][0]["id"] < first["results"][-1]["id"]
    csat = client.get(f"{BASE}/responses?kind=csat").json()["results"]
    assert {row["kind"] for row in csat} == {"csat"} and len(csat) == 6
    positive = client.get(f"{BASE}/responses?band=positive").json()["results"]
    expected = {r.pk for r in responses if (r.kind == "csat" and r.score >= 4) or (r.kind == "nps" and r.score >= 9)}
    assert {row["id"] for row in positive} == expected
    since = (NOW - timedelta(days=2, hours=1)).isoformat()
    recent = client.get(f"{BASE}/responses", {"since": since}).json()["results"]
    assert len(recent) == 3
    by_agent = client.get(f"{BASE}/responses?agent={alice.pk}").json()["results"]
    assert len(by_agent) == 12 and by_agent[0]["agent_id"] == alice.pk
    one = client.get(f"{BASE}/responses/{responses[0].pk}").json()
    assert (one["score"], one["account_id"], one["submitted_at"] is not None) == (
        responses[0].score,
        responses[0].account_id,
        True,
    )
    assert client.get(f"{BASE}/responses/999999").status_code == 404
    assert client.get(f"{BASE}/responses?band=great").status_code == 422
    invitations = client.get(f"{BASE}/invitations?state=sent").json()["results"]
    assert len(invitations) == 12 and invitations[0]["kind"] in {"csat", "nps"}


def test_portal_tokens_and_strangers_see_nothing(
    responses: list[Response], api_client: Callable[..., Any], carol: Contact, portal_user_for: Any
) -> None:
    portal = api_client(portal_user_for(carol))
    for path in ("/responses", f"/responses/{responses[0].pk}", "/invitations", "/surveys", "/campaigns"):
        assert portal.get(BASE + path).status_code == 403, path
    from django.test import Client

    assert Client().get(f"{BASE}/responses").status_code == 401


def test_managers_write_surveys_and_campaigns_and_bad_input_changes_nothing(
    clock: Any, api_client: Callable[..., Any], alice: Any, morgan: Any
) -> None:
    agent, manager = api_client(alice), api_client(morgan)
    body = {"kind": "csat", "name": "After a ticket", "texts": {"fr": {"question": "Satisfait ?"}}}
    assert agent.post(f"{BASE}/surveys", body, content_type=JSON).status_code == 403
    created = manager.post(f"{BASE}/surveys", body, content_type=JSON)
    assert created.status_code == 201
    survey = created.json()
    assert survey["texts"] == {"fr": {"question": "Satisfait ?"}} and survey["version"] == 1
    bad = manager.post(f"{BASE}/surveys", {**body, "texts": {"xx": {"question": "?"}}}, content_type=JSON)
    assert bad.status_code == 400 and bad.json()["field"] == "texts"
    clash = manager.post(f"{BASE}/surveys", {**body, "name": "Second"}, content_type=JSON)
    assert clash.status_code == 409
    assert Survey.objects.count() == 1
    stale = manager.patch(f"{BASE}/surveys/{survey['id']}", {"name": "X", "version": 7}, content_type=JSON)
    assert stale.status_code == 409
    off = manager.patch(f"{BASE}/surveys/{survey['id']}", {"is_active": False, "version": 1}, content_type=JSON)
    assert off.status_code == 200 and off.json()["is_active"] is False and off.json()["version"] == 2
    custom = manager.post(
        f"{BASE}/surveys",
        {
            "kind": "custom",
            "name": "Onboarding",
            "questions": [{"type": "choice", "label": {"en": "Pick"}, "choices": ["A"]}],
        },
        content_type=JSON,
    )
    assert custom.status_code == 400 and custom.json()["field"] == "questions.0.choices"
    nps = manager.post(f"{BASE}/surveys", {"kind": "nps", "name": "NPS"}, content_type=JSON).json()
    campaign = manager.post(
        f"{BASE}/campaigns",
        {
            "name": "Quarterly",
            "survey_id": nps["id"],
            "trigger": "schedule",
            "rule": "FREQ=MONTHLY;INTERVAL=3",
            "starts_at": "2026-04-01T08:00:00Z",
        },
        content_type=JSON,
    )
    assert campaign.status_code == 201
    assert campaign.json()["next_run_at"] == "2026-04-01T08:00:00Z"
    wrong = manager.post(
        f"{BASE}/campaigns",
        {"name": "CSAT campaign", "survey_id": survey["id"], "trigger": "nth_order", "order_count": 3},
        content_type=JSON,
    )
    assert wrong.status_code == 400 and wrong.json()["field"] == "survey_id"
    assert Campaign.objects.count() == 1
    listed = agent.get(f"{BASE}/campaigns").json()["results"]
    assert [row["name"] for row in listed] == ["Quarterly"]


def test_an_answer_through_the_link_is_in_the_api_within_the_minute(
    clock: Any, csat_ticket_links: Any, api_client: Callable[..., Any], alice: Any
) -> None:
    """GIVEN a CSAT email WHEN the contact clicks 5 (nothing more) THEN the API lists the response at once."""
    from django.test import Client

    ticket, links = csat_ticket_links
    Client().get(links[5])
    rows = api_client(alice).get(f"{BASE}/responses?ticket={ticket.pk}").json()["results"]
    assert [(row["score"], row["submitted_at"]) for row in rows] == [(5, None)]


@pytest.fixture
def csat_ticket_links(csat: Survey, ticket: Ticket, solve: Callable[[Ticket], Ticket]) -> tuple[Ticket, dict[int, str]]:
    from carefront.feedback.tests.conftest import score_links

    return solve(ticket), score_links()
