"""Engagements, commitments and dependencies through their services: rules, states, due dates and the audit trail."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from carefront.accounts.models import Account, Contact
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Event
from carefront.core.services import staff_deactivate
from carefront.relationships.models import Commitment, CommitmentState, Dependency, Engagement, Wait
from carefront.relationships.services import (
    Blocked,
    commitment_complete,
    commitment_create,
    commitment_drop,
    commitment_reassign,
    commitment_update,
    commitments_hand_over,
    commitments_mark_late,
    dependency_cancel,
    dependency_create,
    dependency_receive,
    engagement_create,
    engagement_update,
    milestone_complete,
    milestone_create,
)
from carefront.relationships.tests.conftest import NOW, left_without_hand_over

pytestmark = pytest.mark.django_db


def _history(account: Account) -> list[tuple[str, str]]:
    return list(
        Event.objects.filter(subject_kind="account", subject_id=account.pk)
        .exclude(action__in=["created", "updated"])
        .order_by("id")
        .values_list("action", "field")
    )


def _dependency(commitment: Commitment, contact: Contact, actor: Any, *, days: int = 3) -> Dependency:
    return dependency_create(
        actor=actor,
        what="The customer list",
        contact=contact,
        due_at=NOW + timedelta(days=days),
        blocks=Blocked(commitment=commitment),
    )


# --- engagements ---------------------------------------------------------------------------------


def test_an_engagement_is_for_a_client_and_its_creation_is_on_the_accounts_history(
    engagement: Engagement, client_account: Account
) -> None:
    assert engagement.status == "active"
    assert _history(client_account)[-1] == ("engagement_created", "engagement")
    event = Event.objects.filter(subject_id=client_account.pk, action="engagement_created").get()
    assert (event.new_value or {})["title"] == "Customer satisfaction survey"
    assert event.actor_label == "dana"


def test_a_customer_account_gets_no_engagement(clock: Any, acme: Account, morgan: Any) -> None:
    with pytest.raises(ApplicationError) as refused:
        engagement_create(
            actor=morgan, account=acme, title="Survey", owner=morgan, starts_at=NOW, due_at=NOW + timedelta(days=1)
        )
    assert refused.value.field == "account"


def test_another_advisor_may_not_plan_work_for_danas_client(client_account: Account, erin: Any) -> None:
    with pytest.raises(ApplicationError) as refused:
        engagement_create(
            actor=erin, account=client_account, title="X", owner=erin, starts_at=NOW, due_at=NOW + timedelta(days=1)
        )
    assert refused.value.status == 403


def test_an_engagement_update_checks_the_version_and_records_what_changed(
    engagement: Engagement, dana: Any, client_account: Account
) -> None:
    with pytest.raises(ApplicationError) as stale:
        engagement_update(engagement=engagement, actor=dana, version=7, title="New")
    assert stale.value.status == 409
    engagement_update(engagement=engagement, actor=dana, version=1, status="done", title="CSAT survey")
    event = Event.objects.filter(subject_id=client_account.pk, action="engagement_updated").get()
    assert event.old_value == {"id": engagement.pk, "title": "Customer satisfaction survey", "status": "active"}
    assert event.new_value == {"id": engagement.pk, "title": "CSAT survey", "status": "done"}
    with pytest.raises(ApplicationError):
        milestone_create(engagement=Engagement.objects.get(pk=engagement.pk), actor=dana, title="Late", due_at=NOW)


# --- commitments ---------------------------------------------------------------------------------


def test_a_commitment_done_by_its_due_date_is_kept(commitment: Commitment, dana: Any, clock: Any) -> None:
    clock.move_to(NOW + timedelta(days=9))
    done = commitment_complete(commitment=commitment, actor=dana)
    assert (done.state, done.done_at) == (CommitmentState.DONE, NOW + timedelta(days=9))


def test_a_commitment_done_after_its_due_date_is_late(commitment: Commitment, dana: Any, clock: Any) -> None:
    clock.move_to(NOW + timedelta(days=11))
    done = commitment_complete(commitment=commitment, actor=dana)
    assert done.state == CommitmentState.LATE
    assert done.done_at == NOW + timedelta(days=11)
    with pytest.raises(ApplicationError) as again:
        commitment_complete(commitment=done, actor=dana)
    assert again.value.status == 409


def test_the_job_marks_open_commitments_past_due_late_once(
    commitment: Commitment, dana: Any, clock: Any, client_account: Account
) -> None:
    clock.move_to(NOW + timedelta(days=10))
    assert commitments_mark_late() == 0  # due at this very moment: not late yet
    clock.move_to(NOW + timedelta(days=10, minutes=1))
    assert commitments_mark_late() == 1
    assert commitments_mark_late() == 0
    late = Commitment.objects.get(pk=commitment.pk)
    assert (late.state, late.done_at) == (CommitmentState.LATE, None)
    # Still owed: delivering it later keeps it late and records when.
    delivered = commitment_complete(commitment=late, actor=dana)
    assert (delivered.state, delivered.done_at) == (CommitmentState.LATE, NOW + timedelta(days=10, minutes=1))
    assert ("commitment_late", "commitment") in _history(client_account)


def test_dropping_a_commitment_needs_a_reason(commitment: Commitment, dana: Any, client_account: Account) -> None:
    with pytest.raises(ApplicationError) as refused:
        commitment_drop(commitment=commitment, actor=dana, reason="  ")
    assert refused.value.field == "reason"
    dropped = commitment_drop(commitment=commitment, actor=dana, reason="Folded into the quarterly review")
    assert (dropped.state, dropped.dropped_reason) == ("dropped", "Folded into the quarterly review")
    event = Event.objects.filter(subject_id=client_account.pk, action="commitment_dropped").get()
    assert event.reason == "Folded into the quarterly review"


def test_a_new_due_date_is_a_renegotiated_promise_with_a_reason(commitment: Commitment, dana: Any) -> None:
    with pytest.raises(ApplicationError) as refused:
        commitment_update(commitment=commitment, actor=dana, due_at=NOW + timedelta(days=20))
    assert refused.value.field == "reason"
    moved = commitment_update(
        commitment=commitment, actor=dana, due_at=NOW + timedelta(days=20), reason="The client asked for more time"
    )
    assert moved.due_at == moved.promised_due_at == NOW + timedelta(days=20)


def test_a_commitment_links_only_to_its_own_accounts_work(
    client_account: Account, erins_client: Account, dana: Any, morgan: Any
) -> None:
    other = engagement_create(
        actor=morgan,
        account=erins_client,
        title="Training",
        owner=morgan,
        starts_at=NOW,
        due_at=NOW + timedelta(days=5),
    )
    with pytest.raises(ApplicationError) as refused:
        commitment_create(
            actor=dana,
            account=client_account,
            title="X",
            owner=dana,
            due_at=NOW + timedelta(days=1),
            engagement=other,
        )
    assert refused.value.field == "engagement"


def test_a_commitment_is_due_in_the_future(client_account: Account, dana: Any) -> None:
    with pytest.raises(ApplicationError) as refused:
        commitment_create(actor=dana, account=client_account, title="X", owner=dana, due_at=NOW)
    assert refused.value.field == "due_at"


def test_a_commitment_whose_owner_leaves_is_reassigned_not_orphaned(
    commitment: Commitment, client_account: Account, morgan: Any, ada: Any, alice: Any, bob: Any
) -> None:
    """GIVEN a commitment Dana made, owned by Alice, who then leaves (deactivated)
    WHEN a manager hands Alice's commitments over to Bob
    THEN Bob owns it, nothing is left with an inactive owner, and the account's history says who and why."""
    commitment_reassign(commitment=commitment, actor=morgan, owner=alice, reason="Alice runs the survey")
    with pytest.raises(ApplicationError):
        staff_deactivate(user=alice, actor=ada)  # the workspace asks for a hand-over first
    left_without_hand_over(alice)
    with pytest.raises(ApplicationError) as refused:
        commitment_reassign(commitment=commitment, actor=morgan, owner=alice, reason="back")
    assert refused.value.field == "owner"
    with pytest.raises(ApplicationError) as not_manager:
        commitments_hand_over(from_owner=alice, to_owner=bob, actor=bob, reason="Alice left")
    assert not_manager.value.status == 403
    assert commitments_hand_over(from_owner=alice, to_owner=bob, actor=morgan, reason="Alice left") == 1
    assert Commitment.objects.get(pk=commitment.pk).owner == bob
    event = Event.objects.filter(subject_id=client_account.pk, action="commitment_reassigned").last()
    assert event is not None
    assert (event.old_value, event.new_value, event.reason) == (
        {"id": commitment.pk, "title": "Send the survey plan", "owner": "alice"},
        {"id": commitment.pk, "title": "Send the survey plan", "owner": "bob"},
        "Alice left",
    )


# --- dependencies --------------------------------------------------------------------------------


def test_a_received_dependency_pushes_the_commitment_due_date_on_by_the_time_waited(
    commitment: Commitment, charlie: Contact, dana: Any, clock: Any, client_account: Account
) -> None:
    """GIVEN a commitment due in 10 days, blocked on day 2 by the customer list the client owes
    WHEN the list arrives on day 7
    THEN the commitment is due 5 days later than promised, and delivering it on day 14 is on time."""
    clock.move_to(NOW + timedelta(days=2))
    dependency = _dependency(commitment, charlie, dana)
    clock.move_to(NOW + timedelta(days=7))
    dependency_receive(dependency=dependency, actor=dana)
    moved = Commitment.objects.get(pk=commitment.pk)
    assert moved.promised_due_at == NOW + timedelta(days=10)
    assert moved.due_at == NOW + timedelta(days=15)
    wait = Wait.objects.get(dependency=dependency)
    assert (wait.started_at, wait.ended_at) == (NOW + timedelta(days=2), NOW + timedelta(days=7))
    clock.move_to(NOW + timedelta(days=14))
    assert commitment_complete(commitment=moved, actor=dana).state == "done"
    history = _history(client_account)
    assert ("dependency_created", "dependency") in history
    assert ("dependency_received", "dependency") in history


def test_a_commitment_waiting_on_the_client_is_not_marked_late(
    commitment: Commitment, charlie: Contact, dana: Any, clock: Any
) -> None:
    clock.move_to(NOW + timedelta(days=9))
    _dependency(commitment, charlie, dana)
    clock.move_to(NOW + timedelta(days=30))
    assert commitments_mark_late() == 0
    assert Commitment.objects.get(pk=commitment.pk).state == "open"


def test_a_wait_that_begins_after_the_due_date_changes_nothing(
    commitment: Commitment, charlie: Contact, dana: Any, clock: Any
) -> None:
    clock.move_to(NOW + timedelta(days=12))
    dependency = _dependency(commitment, charlie, dana)
    clock.move_to(NOW + timedelta(days=15))
    dependency_cancel(dependency=dependency, actor=dana, reason="We used last year's list")
    assert Commitment.objects.get(pk=commitment.pk).due_at == NOW + timedelta(days=10)
    assert commitments_mark_late() == 1


def test_a_dependency_cannot_block_work_already_done(
    commitment: Commitment, engagement: Engagement, charlie: Contact, dana: Any
) -> None:
    commitment_complete(commitment=commitment, actor=dana)
    with pytest.raises(ApplicationError) as refused:
        _dependency(Commitment.objects.get(pk=commitment.pk), charlie, dana)
    assert (refused.value.field, refused.value.status) == ("blocks", 409)
    milestone = milestone_create(engagement=engagement, actor=dana, title="Plan agreed", due_at=NOW + timedelta(days=5))
    milestone_complete(milestone=milestone, actor=dana)
    with pytest.raises(ApplicationError):
        dependency_create(
            actor=dana,
            what="Sign-off",
            contact=charlie,
            due_at=NOW + timedelta(days=1),
            blocks=Blocked(milestone=milestone),
        )
    assert not Dependency.objects.exists()


def test_delivering_blocked_work_ends_its_wait_but_not_the_dependency(
    commitment: Commitment, charlie: Contact, dana: Any, clock: Any
) -> None:
    dependency = _dependency(commitment, charlie, dana)
    clock.move_to(NOW + timedelta(days=12))
    done = commitment_complete(commitment=commitment, actor=dana)
    # The wait began before the due date, so the commitment was on time while it waited.
    assert done.state == "done"
    assert Wait.objects.get(dependency=dependency).ended_at == NOW + timedelta(days=12)
    assert Dependency.objects.get(pk=dependency.pk).state == "open"


def test_a_dependency_names_a_contact_of_the_blocked_accounts(
    commitment: Commitment, initech_contact: Contact, dana: Any
) -> None:
    with pytest.raises(ApplicationError) as refused:
        _dependency(commitment, initech_contact, dana)
    assert refused.value.field == "contact"


def test_a_dependency_of_a_milestone_belongs_to_its_engagement_and_extends_it(
    engagement: Engagement, charlie: Contact, dana: Any, clock: Any
) -> None:
    milestone = milestone_create(engagement=engagement, actor=dana, title="Survey sent", due_at=NOW + timedelta(days=5))
    dependency = dependency_create(
        actor=dana,
        what="Access to the recordings",
        contact=charlie,
        due_at=NOW + timedelta(days=2),
        blocks=Blocked(milestone=milestone),
    )
    assert dependency.engagement == engagement
    clock.move_to(NOW + timedelta(days=1, hours=12))
    dependency_receive(dependency=dependency, actor=dana)
    milestone.refresh_from_db()
    assert milestone.due_at == NOW + timedelta(days=6, hours=12)
    with pytest.raises(ApplicationError) as twice:
        dependency_receive(dependency=dependency, actor=dana)
    assert twice.value.status == 409
