"""Surveys of a client's customers: the customer list import (accounts served for the client, all or nothing,
errors by row and column), the list as an open dependency of an engagement until it arrives, and the campaign sent
under the client's name in each customer's language, with the quiet period and the opt-out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from email.utils import parseaddr
from typing import Any

import pytest
from django.core import mail

from carefront.accounts.csvio import customer_external_id
from carefront.accounts.models import Account, Contact
from carefront.core.csvio import CsvImportError
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Event
from carefront.feedback.models import Campaign, Invitation, InvitationState, Survey, SurveySkipReason
from carefront.feedback.services_clients import client_campaign_create, customer_list_upload
from carefront.feedback.services_sending import campaigns_run
from carefront.feedback.tests.conftest import NOW, customer_csv, score_links
from carefront.relationships.models import DependencyState, Engagement, Milestone
from carefront.relationships.services import engagement_create
from carefront.relationships.services_followups import contact_outreach_opt_out

pytestmark = pytest.mark.django_db


def test_the_list_creates_customers_served_for_the_client_and_updates_them_later(
    globex_client: Account, dana: Any
) -> None:
    result = customer_list_upload(
        client=globex_client,
        source=customer_csv("c-1,Ana Lima,ana@example.com,pt", "c-2,Jean Roux,jean@example.com,fr"),
        actor=dana,
    )
    assert (result.counts.rows, result.counts.created) == (2, 2)
    customers = Account.objects.filter(served_for=globex_client).order_by("external_id")
    assert [(a.name, a.external_id, a.locale) for a in customers] == [
        ("Ana Lima", customer_external_id(globex_client, "c-1"), "pt"),
        ("Jean Roux", customer_external_id(globex_client, "c-2"), "fr"),
    ]
    contact = Contact.objects.get(account__external_id=customer_external_id(globex_client, "c-2"))
    assert (contact.name, contact.email, contact.language) == ("Jean Roux", "jean@example.com", "fr")
    # The same list again, with a new address: the customer is updated, not doubled.
    customer_list_upload(
        client=globex_client, source=customer_csv("c-2,Jean Roux,jean.roux@example.com,fr"), actor=dana
    )
    assert Account.objects.filter(served_for=globex_client).count() == 2
    assert Contact.objects.get(pk=contact.pk).email == "jean.roux@example.com"


def test_a_wrong_row_imports_nothing_and_every_problem_is_named_by_row_and_column(
    globex_client: Account, dana: Any
) -> None:
    with pytest.raises(CsvImportError) as caught:
        customer_list_upload(
            client=globex_client,
            source=customer_csv(
                "c-1,Ana Lima,ana@example.com,pt",
                "c-2,,jean@example.com,fr",
                "c-3,Zoe Park,not-an-address,en",
                "c-1,Ana Again,ana2@example.com,pt",
            ),
            actor=dana,
        )
    found = {(error.row, error.column) for error in caught.value.errors}
    assert {(3, "name"), (4, "email"), (5, "external_id")} <= found
    assert all(error.column in {"name", "email", "external_id"} for error in caught.value.errors)
    # The client's own ids, not our prefixed ones, are in the messages.
    assert any("“c-1” is also on row 2" in error.message for error in caught.value.errors)
    assert not Account.objects.filter(served_for=globex_client).exists()
    assert not Contact.objects.filter(account__served_for=globex_client).exists()


def test_a_bad_contact_cell_on_valid_accounts_rolls_back_the_accounts_too(globex_client: Account, dana: Any) -> None:
    with pytest.raises(CsvImportError) as caught:
        customer_list_upload(
            client=globex_client,
            source=customer_csv("c-1,Ana Lima,ana@example.com,pt", "c-2,Jean Roux,jean@,fr"),
            actor=dana,
        )
    assert [(error.row, error.column) for error in caught.value.errors] == [(3, "email")]
    assert not Account.objects.filter(served_for=globex_client).exists()


def test_only_the_clients_advisor_or_a_manager_uploads_and_only_for_a_client(
    globex_client: Account, acme: Account, alice: Any, morgan: Any
) -> None:
    with pytest.raises(ApplicationError) as caught:
        customer_list_upload(client=globex_client, source=customer_csv("c-1,Ana,ana@example.com,en"), actor=alice)
    assert caught.value.status == 403
    with pytest.raises(ApplicationError):
        customer_list_upload(client=acme, source=customer_csv("c-1,Ana,ana@example.com,en"), actor=morgan)
    assert not Account.objects.filter(served_for__isnull=False).exists()


def _engagement(client: Account, dana: Any) -> Engagement:
    return engagement_create(
        actor=dana,
        account=client,
        kind="survey",
        title="Customer satisfaction survey",
        owner=dana,
        starts_at=NOW,
        due_at=NOW + timedelta(days=60),
        status="active",
    )


def test_the_list_is_an_open_dependency_of_the_engagement_until_it_arrives(
    globex_client: Account,
    dana: Any,
    csat_for_clients: Survey,
    clock: Any,
    run: Callable[..., Any],
) -> None:
    """GIVEN a campaign for Globex's customers within a survey engagement, and no customer list yet
    WHEN the campaign comes due, THEN nothing is sent: it waits on the list, an open dependency of the engagement
    WHEN the list is uploaded, THEN the dependency is received and the next run sends the surveys, which completes
    the engagement's milestone "survey sent" on the timeline"""
    engagement = _engagement(globex_client, dana)
    campaign = client_campaign_create(
        actor=dana,
        client=globex_client,
        survey_id=csat_for_clients.pk,
        starts_at=NOW + timedelta(days=1),
        engagement=engagement,
    )
    dependency = campaign.dependency
    assert dependency is not None
    assert (dependency.state, dependency.engagement_id, dependency.what) == (
        DependencyState.OPEN,
        engagement.pk,
        "Customer list",
    )
    assert dependency.contact.account_id == globex_client.pk
    assert dependency.blocks_milestone is not None
    assert Milestone.objects.get(pk=dependency.blocks_milestone.pk).engagement_id == engagement.pk
    clock.move_to(NOW + timedelta(days=2))
    assert run(campaigns_run) == 0 and not mail.outbox
    result = run(
        customer_list_upload, client=globex_client, source=customer_csv("c-1,Ana,ana@example.com,en"), actor=dana
    )
    assert [d.pk for d in result.received] == [dependency.pk]
    dependency.refresh_from_db()
    assert dependency.state == DependencyState.RECEIVED and dependency.resolved_at is not None
    milestone = Milestone.objects.get(pk=dependency.blocks_milestone.pk)
    assert milestone.done_at is None  # the list arrived, the survey is not sent yet
    assert run(campaigns_run) == 1 and len(mail.outbox) == 1
    campaign.refresh_from_db()
    assert campaign.next_run_at is None and campaign.last_run_at is not None
    milestone.refresh_from_db()
    assert milestone.done_at == campaign.last_run_at
    assert Event.objects.filter(subject_kind="account", subject_id=globex_client.pk, action="milestone_done").exists()


def test_with_the_list_on_file_no_dependency_is_recorded(
    globex_client: Account, dana: Any, csat_for_clients: Survey
) -> None:
    customer_list_upload(client=globex_client, source=customer_csv("c-1,Ana,ana@example.com,en"), actor=dana)
    campaign = client_campaign_create(
        actor=dana,
        client=globex_client,
        survey_id=csat_for_clients.pk,
        starts_at=NOW,
        engagement=_engagement(globex_client, dana),
    )
    assert campaign.dependency is None


def test_the_campaign_asks_each_customer_under_the_clients_name_in_their_language(
    globex_client: Account,
    dana: Any,
    csat_for_clients: Survey,
    clock: Any,
    run: Callable[..., Any],
    client: Any,
    carol: Contact,
) -> None:
    customer_list_upload(
        client=globex_client,
        source=customer_csv(
            "c-1,Ana Lima,ana@example.com,en",
            "c-2,Jean Roux,jean@example.com,fr",
            "c-3,Zoe Park,zoe@example.com,en",
            "c-4,No Mail,,en",
        ),
        actor=dana,
    )
    zoe = Contact.objects.get(email="zoe@example.com")
    contact_outreach_opt_out(contact=zoe, actor=None, source="link")  # her own unsubscribe link
    client_campaign_create(actor=dana, client=globex_client, survey_id=csat_for_clients.pk, starts_at=NOW)
    assert run(campaigns_run, now=NOW) == 4
    states = {
        email: (state, skip_reason)
        for email, state, skip_reason in Invitation.objects.values_list("contact__email", "state", "skip_reason")
    }
    assert states == {
        "ana@example.com": (InvitationState.SENT, ""),
        "jean@example.com": (InvitationState.SENT, ""),
        "zoe@example.com": (InvitationState.SKIPPED, SurveySkipReason.OPTED_OUT),
        "": (InvitationState.SKIPPED, SurveySkipReason.NO_EMAIL),
    }
    by_address = {parseaddr(message.to[0])[1]: message for message in mail.outbox}
    assert set(by_address) == {"ana@example.com", "jean@example.com"}
    for message in by_address.values():
        assert parseaddr(message.from_email)[0] == "Globex SA"
        assert "Globex SA" in message.subject and "Globex SA" in str(message.body)
        assert "Carefront" not in parseaddr(message.from_email)[0]
    assert "Globex SA would like your opinion." in str(by_address["ana@example.com"].body)
    assert "How would you rate" in str(by_address["ana@example.com"].body)
    assert "How would you rate" not in str(by_address["jean@example.com"].body)
    # The answer page names the client too.
    index = list(mail.outbox).index(by_address["ana@example.com"])
    page = client.get(score_links(index)[5])
    assert page.status_code == 200
    assert '<p class="sender" id="survey-sender">Globex SA</p>' in page.content.decode()
    # Surveyed once: a later run within the quiet period sends nothing more.
    client_campaign_create(actor=dana, client=globex_client, survey_id=csat_for_clients.pk, starts_at=NOW)
    run(campaigns_run, now=NOW + timedelta(days=1))
    assert len(mail.outbox) == 2
    assert Invitation.objects.filter(skip_reason=SurveySkipReason.QUIET_PERIOD).count() == 2
    assert Campaign.objects.filter(client=globex_client).count() == 2


def test_the_clients_customers_answers_stay_out_of_our_scorecards(
    globex_client: Account, dana: Any, csat_for_clients: Survey, run: Callable[..., Any], morgan: Any
) -> None:
    """A client's customers judge the client's service, not ours: their answers are the client's report's."""
    from carefront.feedback.metrics import feedback_counts
    from carefront.feedback.services import survey_create
    from carefront.feedback.services_answers import response_submit
    from carefront.feedback.tests.test_metrics import Period

    nps = survey_create(actor=morgan, kind="nps", name="Client customers' NPS")
    customer_list_upload(
        client=globex_client,
        source=customer_csv("c-1,Ana,ana@example.com,en", "c-2,Ben,ben@example.com,en"),
        actor=dana,
    )
    csat_campaign = client_campaign_create(
        actor=dana, client=globex_client, survey_id=csat_for_clients.pk, starts_at=NOW
    )
    run(campaigns_run, now=NOW)
    ana = Invitation.objects.get(campaign=csat_campaign, contact__email="ana@example.com")
    response_submit(invitation=ana, score=5, now=NOW)
    # Ben, asked NPS later on Globex's behalf (after the quiet period).
    client_campaign_create(actor=dana, client=globex_client, survey_id=nps.pk, starts_at=NOW + timedelta(days=40))
    run(campaigns_run, now=NOW + timedelta(days=40))
    ben = Invitation.objects.get(kind="nps", contact__email="ben@example.com")
    response_submit(invitation=ben, score=10, now=NOW + timedelta(days=40))
    counts = feedback_counts(Period(start=NOW - timedelta(days=1), end=NOW + timedelta(days=60)))
    assert (counts.csat_invitations, counts.csat_answers, counts.nps_answers) == (0, 0, 0)
