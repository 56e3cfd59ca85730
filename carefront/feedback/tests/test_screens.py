"""The staff screens: the responses list (filters, keyset pages, a constant number of queries), Settings → Surveys
for managers only, and responses on the account timeline (staff only) and its API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from carefront.accounts.models import Account, Contact
from carefront.accounts.selectors_timeline import account_timeline, timeline_sources
from carefront.accounts.services import contact_create
from carefront.feedback.models import Campaign, Invitation, InvitationReason, Response, Survey
from carefront.feedback.services import survey_create
from carefront.feedback.services_answers import response_record_score, response_submit
from carefront.feedback.services_sending import invitation_send
from carefront.feedback.tests.conftest import NOW

pytestmark = pytest.mark.django_db


def _login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def answered(clock: Any, acme: Account, morgan: Any, alice: Any) -> Callable[..., Response]:
    """Make a submitted response of Acme's: a contact of its own each (no quiet period between them)."""
    surveys: dict[str, Survey] = {}

    def make(kind: str, score: int, comment: str = "", at_days: int = 0) -> Response:
        if kind not in surveys:
            surveys[kind] = survey_create(actor=morgan, kind=kind, name=kind.upper())
        contact = contact_create(
            actor=None,
            account=acme,
            name=f"C {Response.objects.count()}",
            email=f"c{Response.objects.count()}@x.example",
        )
        invitation = invitation_send(
            key=f"k{contact.pk}",
            survey=surveys[kind],
            reason=InvitationReason.CAMPAIGN,
            account=acme,
            contact=contact,
            agent=alice,
            now=NOW - timedelta(days=at_days),
        )
        return response_submit(invitation=invitation, score=score, comment=comment, now=NOW - timedelta(days=at_days))

    return make


def test_the_responses_list_filters_by_kind_band_period_and_account(
    answered: Callable[..., Response], alice: Any, django_assert_max_num_queries: Any
) -> None:
    happy = answered("csat", 5, "Lovely")
    grumpy = answered("csat", 1, "Slow", at_days=40)
    promoter = answered("nps", 10, "Great team")
    detractor = answered("nps", 3)
    client = _login(alice)

    def ids(query: str) -> set[int]:
        html = client.get(f"/feedback/responses/?{query}").content.decode()
        return {row.pk for row in (happy, grumpy, promoter, detractor) if f'id="response-{row.pk}"' in html}

    assert ids("") == {happy.pk, grumpy.pk, promoter.pk, detractor.pk}
    assert ids("kind=csat") == {happy.pk, grumpy.pk}
    assert ids("band=positive") == {happy.pk, promoter.pk}
    assert ids("band=negative") == {grumpy.pk, detractor.pk}
    assert ids(f"since={(NOW - timedelta(days=10)).date().isoformat()}") == {happy.pk, promoter.pk, detractor.pk}
    assert ids(f"account={happy.account_id}") == {happy.pk, grumpy.pk, promoter.pk, detractor.pk}
    assert ids("account=999999") == set()
    page = client.get("/feedback/responses/").content.decode()
    assert f'href="/accounts/{happy.account_id}/"' in page and "Lovely" in page


def test_the_responses_list_costs_the_same_queries_for_1_or_60_rows_and_pages_by_keyset(
    answered: Callable[..., Response], alice: Any, django_assert_num_queries: Any
) -> None:
    client = _login(alice)
    answered("csat", 4)
    with django_assert_num_queries(4) as one:  # signing in, then one query for the page
        client.get("/feedback/responses/")
    for index in range(59):
        answered("csat", 1 + index % 5)
    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get("/feedback/responses/").content.decode()
    assert page.count('id="response-') == 50
    oldest_on_page = min(int(part.split('"')[0]) for part in page.split('id="response-')[1:])
    assert f"before={oldest_on_page}" in page
    older = client.get(f"/feedback/responses/?before={oldest_on_page}").content.decode()
    assert older.count('id="response-') == 10


def test_portal_contacts_and_strangers_cannot_see_responses(
    answered: Callable[..., Response], carol: Contact, portal_user_for: Any
) -> None:
    answered("csat", 5)
    assert Client().get("/feedback/responses/").status_code == 302
    assert _login(portal_user_for(carol)).get("/feedback/responses/").status_code == 403


def test_only_managers_manage_surveys_and_campaigns(clock: Any, alice: Any, morgan: Any) -> None:
    assert _login(alice).get("/settings/surveys/").status_code == 403
    manager = _login(morgan)
    assert manager.get("/settings/surveys/").status_code == 200
    created = manager.post(
        "/settings/surveys/new/",
        {"kind": "csat", "name": "After a ticket", "is_active": "on", "question_fr": "Êtes-vous satisfait ?"},
    )
    survey = Survey.objects.get()
    assert created.status_code == 302 and created["Location"] == f"/settings/surveys/{survey.pk}/"
    assert survey.texts == {"fr": {"question": "Êtes-vous satisfait ?"}}
    # A second active CSAT survey is refused on the form; nothing is stored.
    refused = manager.post("/settings/surveys/new/", {"kind": "csat", "name": "Another", "is_active": "on"})
    assert refused.status_code == 409 and "Another CSAT survey is active" in refused.content.decode()
    assert Survey.objects.count() == 1
    # Deactivated from its page.
    manager.post(f"/settings/surveys/{survey.pk}/", {"name": "After a ticket"})
    survey.refresh_from_db()
    assert not survey.is_active
    nps = survey_create(actor=morgan, kind="nps", name="NPS")
    made = manager.post(
        "/settings/surveys/campaigns/new/",
        {
            "name": "Twice a year",
            "survey": nps.pk,
            "trigger": "schedule",
            "rule": "FREQ=MONTHLY;INTERVAL=6",
            "starts_on": "2026-04-01",
            "starts_time": "09:00",
            "is_active": "on",
        },
    )
    assert made.status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.next_run_at is not None and campaign.next_run_at.isoformat() == "2026-04-01T09:00:00+00:00"
    bad = manager.post(f"/settings/surveys/campaigns/{campaign.pk}/", {"name": "x", "rule": "FREQ=SOMETIMES"})
    assert bad.status_code == 400 and "not a valid recurrence rule" in bad.content.decode()
    listing = manager.get("/settings/surveys/").content.decode()
    assert "Twice a year" in listing and "FREQ=MONTHLY;INTERVAL=6" in listing


def test_a_response_is_on_the_account_timeline_for_staff_only(
    answered: Callable[..., Response], alice: Any, carol: Contact, portal_user_for: Any
) -> None:
    response = answered("csat", 2, "Took three emails")
    account = response.account
    entries = account_timeline(user=alice, account=account, kinds=["survey_response"]).entries
    assert [entry.item.pk for entry in entries] == [response.pk]
    described = entries[0].describe()
    assert described.title == "CSAT survey: 2" and described.summary == "Took three emails"
    assert described.links["response_id"] == response.pk
    html = _login(alice).get(f"/accounts/{account.pk}/").content.decode()
    assert "timeline-survey_response" in html and "Took three emails" in html
    card = html[html.index('id="survey-card"') :]
    assert "CSAT 2" in card and f"/feedback/responses/?account={account.pk}" in card
    portal = portal_user_for(carol)
    assert "survey_response" not in {source.key for source in timeline_sources(user=portal)}


def test_a_score_recorded_but_not_submitted_is_already_counted(
    clock: Any, acme: Account, carol: Contact, morgan: Any
) -> None:
    """GIVEN a CSAT email WHEN the contact clicks 4 and closes the page THEN the response exists with score 4 (the
    scorecards count it), not yet submitted, and the link still lets them finish."""
    survey = survey_create(actor=morgan, kind="csat", name="CSAT")
    invitation = invitation_send(
        key="x", survey=survey, reason=InvitationReason.TICKET_SOLVED, account=acme, contact=carol
    )
    response = response_record_score(invitation=invitation, score="4")
    assert (response.score, response.submitted_at) == (4, None)
    assert Response.objects.filter(kind="csat", score__gte=4).count() == 1


def test_the_ticket_page_loads_its_survey_card_with_the_answer_or_why_none_was_sent(
    clock: Any, csat: Survey, carol: Contact, morgan: Any, alice: Any, solve: Callable[..., Any]
) -> None:
    from carefront.desk.services import ticket_create
    from carefront.relationships.services_followups import contact_outreach_opt_out

    first = solve(ticket_create(actor=None, requester=carol, subject="One", body="x"))
    client = _login(alice)
    assert 'hx-get="/feedback/tickets/' in client.get(f"/tickets/{first.number}/").content.decode()
    assert "not answered yet" in client.get(f"/feedback/tickets/{first.number}/").content.decode()
    invitation = Invitation.objects.get(ticket=first)
    response_submit(invitation=invitation, score=2, comment="Slow")
    card = client.get(f"/feedback/tickets/{first.number}/").content.decode()
    assert "CSAT 2" in card and "Slow" in card
    contact_outreach_opt_out(contact=carol, actor=morgan)
    second = solve(ticket_create(actor=None, requester=carol, subject="Two", body="x"))
    assert "The contact opted out" in client.get(f"/feedback/tickets/{second.number}/").content.decode()
