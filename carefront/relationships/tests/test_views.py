"""The workspace's relationships screens: planning from the account page, the engagement page with its progress and
blockers, the lists at a constant query count, and who may open what."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from carefront.accounts.models import Account, Contact
from carefront.core.exceptions import ApplicationError
from carefront.relationships.models import Commitment, Dependency, Engagement
from carefront.relationships.services import (
    Blocked,
    commitment_create,
    dependency_create,
    dependency_receive,
    milestone_create,
)
from carefront.relationships.tests.conftest import NOW, left_without_hand_over

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _local(delta: timedelta) -> str:
    """A datetime-local value as Dana types it, in her zone (Europe/Paris, summer time from 29 March)."""
    return (NOW + delta).astimezone(ZoneInfo("Europe/Paris")).strftime("%Y-%m-%dT%H:%M")


def test_an_advisor_plans_an_engagement_from_the_clients_page(
    client_account: Account, dana: Any, charlie: Contact
) -> None:
    client = _client(dana)
    page = client.get(f"/accounts/{client_account.pk}/")
    assert "Plan an engagement" in page.content.decode()
    created = client.post(
        f"/relationships/engagements/new/?account={client_account.pk}",
        {
            "kind": "call_review",
            "title": "Call quality review",
            "scope": "Twenty calls a week.",
            "owner": dana.pk,
            "status": "active",
            "starts_at": _local(timedelta()),
            "due_at": _local(timedelta(days=30)),
        },
    )
    engagement = Engagement.objects.get(title="Call quality review")
    assert created.status_code == 302
    assert engagement.due_at == NOW + timedelta(days=30)
    client.post(
        f"/relationships/engagements/{engagement.pk}/milestones/",
        {"title": "Recordings reviewed", "due_at": _local(timedelta(days=10))},
    )
    milestone = engagement.milestones.get()
    added = client.post(
        f"/relationships/engagements/{engagement.pk}/dependencies/",
        {
            "what": "Access to the call recordings",
            "contact": charlie.pk,
            "due_at": _local(timedelta(days=2)),
            "blocks": f"milestone:{milestone.pk}",
        },
    )
    assert added.status_code == 302
    assert Dependency.objects.get().blocks_milestone == milestone
    shown = client.get(f"/relationships/engagements/{engagement.pk}/").content.decode()
    assert "Waiting on client" in shown
    assert "Access to the call recordings" in shown


def test_a_refused_form_comes_back_with_the_reason_on_its_field(engagement: Engagement, dana: Any) -> None:
    response = _client(dana).post(
        f"/relationships/engagements/{engagement.pk}/commitments/",
        {"title": "Too late", "owner": dana.pk, "due_at": _local(timedelta(days=-1))},
    )
    assert response.status_code == 400
    assert "Choose a date and time in the future." in response.content.decode()


def test_the_engagement_page_shows_progress_and_the_time_lost_waiting(
    engagement: Engagement, charlie: Contact, dana: Any, clock: Any, django_assert_max_num_queries: Any
) -> None:
    """GIVEN an engagement whose milestone waited two days on the client, and a commitment still waiting
    WHEN its page is opened
    THEN it shows the progress, "waiting on client" and the time lost, in as many queries however much it holds."""
    milestone = milestone_create(engagement=engagement, actor=dana, title="Plan agreed", due_at=NOW + timedelta(days=5))
    dependency = dependency_create(
        actor=dana,
        what="Sign-off",
        contact=charlie,
        due_at=NOW + timedelta(days=1),
        blocks=Blocked(milestone=milestone),
    )
    clock.move_to(NOW + timedelta(days=2))
    dependency_receive(dependency=dependency, actor=dana)
    client = _client(dana)
    with django_assert_max_num_queries(60) as small:
        page = client.get(f"/relationships/engagements/{engagement.pk}/").content.decode()
    assert 'id="time-waited">2 days<' in page
    assert "0% done: 0 of 1 milestones" in page
    for n in range(6):
        item = milestone_create(engagement=engagement, actor=dana, title=f"Step {n}", due_at=NOW + timedelta(days=9))
        promise = commitment_create(
            actor=dana,
            account=engagement.account,
            title=f"Promise {n}",
            owner=dana,
            due_at=NOW + timedelta(days=8),
            engagement=engagement,
        )
        dependency_create(
            actor=dana,
            what=f"Thing {n}",
            contact=charlie,
            due_at=NOW + timedelta(days=3),
            blocks=Blocked(milestone=item),
        )
        dependency_create(
            actor=dana,
            what=f"Other {n}",
            contact=charlie,
            due_at=NOW + timedelta(days=3),
            blocks=Blocked(commitment=promise),
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(f"/relationships/engagements/{engagement.pk}/").content.decode()
    assert page.count("Waiting on client") >= 13


def test_the_commitments_list_pages_by_due_date_at_a_constant_query_count(
    client_account: Account, dana: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(3):
        commitment_create(
            actor=dana, account=client_account, title=f"P{n}", owner=dana, due_at=NOW + timedelta(days=n + 1)
        )
    client = _client(dana)
    with django_assert_max_num_queries(60) as small:
        first = client.get("/relationships/commitments/").content.decode()
    assert "P0" in first and "P2" in first
    for n in range(3, 60):
        commitment_create(
            actor=dana, account=client_account, title=f"P{n}", owner=dana, due_at=NOW + timedelta(days=n + 1)
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get("/relationships/commitments/")
    assert page.context["page"].rows[0].title == "P0"
    cursor = page.context["page"].next_cursor
    following = client.get("/relationships/commitments/", {"after": cursor})
    assert [c.title for c in following.context["page"].rows] == [f"P{n}" for n in range(50, 60)]


def test_marking_a_commitment_done_from_the_list_swaps_its_row(commitment: Commitment, dana: Any) -> None:
    response = _client(dana).post(f"/relationships/commitments/{commitment.pk}/done/", headers=HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.strip().startswith(f'<tr id="commitment-{commitment.pk}"')
    assert "Done" in body
    assert Commitment.objects.get(pk=commitment.pk).state == "done"


def test_the_account_page_lists_open_commitments_and_dependencies(
    commitment: Commitment, charlie: Contact, dana: Any
) -> None:
    dependency_create(
        actor=dana,
        what="The customer list",
        contact=charlie,
        due_at=NOW + timedelta(days=1),
        blocks=Blocked(commitment=commitment),
    )
    page = _client(dana).get(f"/accounts/{commitment.account_id}/").content.decode()
    card = page.split('id="relationship-card"', 1)[1].split("</section>", 1)[0]
    assert "Send the survey plan" in card
    assert "The customer list" in card
    assert "Waiting on client" in card


def test_a_ticket_waiting_on_the_client_says_so(
    client_account: Account, charlie: Contact, dana: Any, alice: Any
) -> None:
    from carefront.desk.services import ticket_create

    ticket = ticket_create(actor=None, requester=charlie, subject="Our calls", body="Please review.")
    assert "Waiting on client" not in _client(alice).get(f"/tickets/{ticket.number}/").content.decode()
    response = _client(dana).post(
        f"/relationships/dependencies/new/?account={client_account.pk}",
        {
            "what": "Recordings",
            "contact": charlie.pk,
            "due_at": _local(timedelta(days=1)),
            "blocks": f"ticket:{ticket.pk}",
        },
    )
    assert response.status_code == 302
    assert "Waiting on client" in _client(alice).get(f"/tickets/{ticket.number}/").content.decode()


def test_another_advisor_cannot_open_or_change_danas_engagement(
    engagement: Engagement, commitment: Commitment, erin: Any, alice: Any, dana: Any
) -> None:
    client = _client(erin)
    assert client.get(f"/relationships/engagements/{engagement.pk}/").status_code == 404
    assert client.post(f"/relationships/commitments/{commitment.pk}/done/").status_code == 404
    assert "Send the survey plan" not in client.get("/relationships/commitments/").content.decode()
    # Agents see no Relationships link; advisors do.
    assert "Relationships</a>" not in _client(alice).get("/relationships/").content.decode()
    assert "Relationships</a>" in _client(dana).get("/relationships/").content.decode()


def test_the_waiting_report_per_client_and_per_engagement(
    engagement: Engagement, commitment: Commitment, charlie: Contact, dana: Any, clock: Any
) -> None:
    milestone = milestone_create(engagement=engagement, actor=dana, title="Plan agreed", due_at=NOW + timedelta(days=5))
    for blocked in (Blocked(milestone=milestone), Blocked(commitment=commitment)):
        dependency_create(actor=dana, what="List", contact=charlie, due_at=NOW + timedelta(days=1), blocks=blocked)
    clock.move_to(NOW + timedelta(hours=5))
    client = _client(dana)
    per_client = client.get("/relationships/waiting/").content.decode()
    assert "Globex SA" in per_client and "5 hours" in per_client
    per_engagement = client.get("/relationships/waiting/", {"by": "engagement"}).context["report"].rows
    assert [(row.label, row.hours, row.open) for row in per_engagement] == [("Customer satisfaction survey", 5.0, 1)]


def test_the_back_office_reads_but_does_not_write(commitment: Commitment, ada: Any) -> None:
    client = _client(ada)
    for model in ("engagement", "commitment", "dependency"):
        assert client.get(f"/admin/relationships/{model}/").status_code == 200
        assert client.get(f"/admin/relationships/{model}/add/").status_code == 403
    assert "Send the survey plan" in client.get("/admin/relationships/commitment/").content.decode()


def test_a_manager_reassigns_the_commitment_of_someone_who_left_from_the_list(
    client_account: Account, dana: Any, alice: Any, ada: Any, morgan: Any, bob: Any
) -> None:
    from carefront.core.services import staff_deactivate

    owed = commitment_create(
        actor=dana, account=client_account, title="Onboarding call", owner=alice, due_at=NOW + timedelta(days=3)
    )
    with pytest.raises(ApplicationError):
        staff_deactivate(user=alice, actor=ada)  # the workspace asks for a hand-over first
    left_without_hand_over(alice)
    # Dana sees the commitment is stranded but only managers are offered the reassignment.
    assert "Reassign" not in _client(dana).get("/relationships/commitments/").content.decode()
    client = _client(morgan)
    listed = client.get("/relationships/commitments/").content.decode()
    assert "(inactive)" in listed and "Reassign" in listed
    client.post(
        f"/relationships/commitments/{owed.pk}/reassign/",
        {"owner": bob.pk, "reason": "Alice left the company", "next": "/relationships/commitments/"},
    )
    assert Commitment.objects.get(pk=owed.pk).owner == bob
    refused = client.post(f"/relationships/commitments/{owed.pk}/reassign/", {"owner": dana.pk}, follow=True)
    assert "This field is required." in refused.content.decode()
    assert Commitment.objects.get(pk=owed.pk).owner == bob
