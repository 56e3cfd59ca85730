"""The public answer pages: one click in the email records the score and opens the comment page; the score can
be changed and a comment added until submitted; then the link is used up. Expired, altered and unknown links get
a clear page and status; the page speaks the contact's language; the form is CSRF-protected."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client, override_settings

from carefront.accounts.models import Account, Contact
from carefront.accounts.services import contact_create
from carefront.desk.models import Ticket
from carefront.desk.services import ticket_create
from carefront.feedback.models import Invitation, Response, Survey
from carefront.feedback.services import survey_create
from carefront.feedback.services_sending import answer_url
from carefront.feedback.tests.conftest import NOW, score_links
from carefront.relationships.models import AccountHealth

pytestmark = pytest.mark.django_db


@pytest.fixture
def links(clock: Any, csat: Survey, ticket: Ticket, solve: Callable[[Ticket], Ticket]) -> dict[int, str]:
    solve(ticket)
    return score_links()


def _token_path(links: dict[int, str]) -> str:
    return links[1].split("?")[0]


def test_one_click_records_the_score_and_opens_the_comment_page(links: dict[int, str], alice: Any) -> None:
    page = Client().get(links[4])
    assert page.status_code == 200
    response = Response.objects.get()
    assert (response.score, response.kind, response.agent, response.submitted_at) == (4, "csat", alice, None)
    assert response.ticket is not None and response.account_id == response.ticket.account_id
    html = page.content.decode()
    assert 'name="score" value="4" checked' in html
    assert 'name="comment"' in html and "csrfmiddlewaretoken" in html
    assert 'name="viewport" content="width=device-width' in html


def test_the_score_can_change_until_submitted_then_the_link_is_used_up(links: dict[int, str]) -> None:
    browser = Client()
    browser.get(links[2])
    browser.get(links[5])  # changed their mind
    assert Response.objects.get().score == 5
    # The scorecards count the score copied on the invitation: it follows every change.
    assert Invitation.objects.get().answer_score == 5
    done = browser.post(_token_path(links), {"score": "3", "comment": "Quick, but I had to ask twice."})
    assert done.status_code == 200
    assert "Thank you" in done.content.decode()
    response = Response.objects.get()
    assert (response.score, response.comment, response.submitted_at) == (3, "Quick, but I had to ask twice.", NOW)
    assert (Invitation.objects.get().answered_at, Invitation.objects.get().answer_score) == (NOW, 3)
    # The link is used up: another click changes nothing and says so.
    again = browser.get(links[1])
    assert again.status_code == 409
    assert "already answered" in again.content.decode()
    assert Response.objects.get().score == 3
    assert browser.post(_token_path(links), {"score": "1"}).status_code == 409
    assert Response.objects.get().score == 3


def test_a_score_outside_the_scale_is_refused_with_the_form(links: dict[int, str]) -> None:
    page = Client().get(_token_path(links) + "?score=9")
    assert page.status_code == 400
    assert "Choose a score from 1 to 5." in page.content.decode()
    assert not Response.objects.exists()
    posted = Client().post(_token_path(links), {"score": "", "comment": "No score"})
    assert posted.status_code == 400
    assert "No score" in posted.content.decode()  # nothing typed is lost
    assert not Response.objects.exists()


def test_an_expired_link_says_so_with_410(clock: Any, links: dict[int, str]) -> None:
    clock.move_to(NOW + timedelta(days=15))
    page = Client().get(links[5])
    assert page.status_code == 410
    assert "expired" in page.content.decode()
    assert not Response.objects.exists()


@override_settings(CAREFRONT_SURVEY_LINK_DAYS=30)
def test_expiry_is_the_invitations_even_when_the_setting_grew(clock: Any, links: dict[int, str]) -> None:
    """GIVEN a link sent when links lasted 14 days WHEN the setting is now 30 and 20 days passed THEN it expired."""
    clock.move_to(NOW + timedelta(days=20))
    assert Client().get(links[5]).status_code == 410


def test_an_altered_or_unknown_link_gets_a_clear_page_not_a_500(links: dict[int, str]) -> None:
    path = _token_path(links)
    altered = path.replace("/survey/", "/survey/9")
    page = Client().get(altered + "?score=5")
    assert page.status_code == 400
    assert "not valid" in page.content.decode()
    Invitation.objects.all().delete()
    assert Client().get(links[5]).status_code == 404
    assert Client().get("/survey/%00/").status_code in {400, 404}


def test_the_form_needs_its_csrf_token(links: dict[int, str]) -> None:
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(_token_path(links), {"score": "5"}).status_code == 403
    assert not Response.objects.exists()
    page = strict.get(_token_path(links))
    token = page.cookies["csrftoken"].value
    done = strict.post(_token_path(links), {"score": "5", "csrfmiddlewaretoken": token})
    assert done.status_code == 200
    assert Response.objects.get().submitted_at is not None


def test_the_page_speaks_the_contacts_language(
    clock: Any, globex: Account, morgan: Any, solve: Callable[[Ticket], Ticket]
) -> None:
    survey_create(actor=morgan, kind="csat", name="CSAT", texts={"fr": {"comment": "Dites-nous en plus"}})
    french = contact_create(actor=None, account=globex, name="Chloé", email="chloe@globex.example", language="fr")
    solve(ticket_create(actor=None, requester=french, subject="Facture", body="x"))
    page = Client().get(score_links()[5])
    html = page.content.decode()
    assert '<html lang="fr">' in html
    assert "Dites-nous en plus" in html


def test_a_nps_answer_of_a_client_marks_its_health_for_recompute(
    clock: Any, globex: Account, charlie: Contact, dana: Any, morgan: Any
) -> None:
    from carefront.accounts.services import account_change_service_model
    from carefront.feedback.models import InvitationReason
    from carefront.feedback.services_sending import invitation_send
    from carefront.relationships.services_health import health_recompute_accounts

    globex = account_change_service_model(account=globex, actor=morgan, service_model="client", owner=dana, reason="x")
    health_recompute_accounts(account_ids=[globex.pk])
    nps = survey_create(actor=morgan, kind="nps", name="NPS")
    invitation = invitation_send(
        key="test", survey=nps, reason=InvitationReason.CAMPAIGN, account=globex, contact=charlie
    )
    before = AccountHealth.objects.get(account=globex).changes
    page = Client().get(answer_url(invitation, 10))
    assert page.status_code == 200
    response = Response.objects.get()
    assert (response.kind, response.score, response.advisor) == ("nps", 10, dana)
    assert AccountHealth.objects.get(account=globex).changes == before + 1


def test_a_custom_survey_asks_its_questions_and_keeps_the_answers(
    clock: Any, acme: Account, carol: Contact, morgan: Any
) -> None:
    from carefront.feedback.models import InvitationReason
    from carefront.feedback.services_sending import invitation_send

    survey = survey_create(
        actor=morgan,
        kind="custom",
        name="Delivery",
        texts={"en": {"question": "How was the delivery?"}},
        questions=[
            {"type": "yes_no", "label": "Did it arrive on time?", "required": True},
            {"type": "choice", "label": "Which carrier?", "choices": ["Post", "Courier"]},
            {"type": "text", "label": "Anything else?"},
        ],
    )
    invitation = invitation_send(
        key="custom", survey=survey, reason=InvitationReason.CAMPAIGN, account=acme, contact=carol
    )
    page = Client().get(answer_url(invitation, 4))
    html = page.content.decode()
    assert "How was the delivery?" in html and "Did it arrive on time?" in html and "Courier" in html
    missing = Client().post(answer_url(invitation), {"score": "4"})
    assert missing.status_code == 400
    done = Client().post(
        answer_url(invitation), {"score": "4", "answer-q1": "no", "answer-q2": "1", "answer-q3": "Box was wet"}
    )
    assert done.status_code == 200
    assert Response.objects.get().answers == {"q1": False, "q2": 1, "q3": "Box was wet"}
