"""The relationships API: lists with filters and cursors at a constant query count, writes and state transitions,
and who may see what (Dana's own accounts, Morgan everything, Erin none of Dana's, Charlie's token his account's
commitments and dependencies, read-only)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from carefront.accounts.models import Account, Contact
from carefront.core.exceptions import ApplicationError
from carefront.relationships.models import Commitment, Engagement
from carefront.relationships.services import Blocked, commitment_create, dependency_create
from carefront.relationships.tests.conftest import NOW, left_without_hand_over

pytestmark = pytest.mark.django_db

BASE = "/api/v1/relationships"


def _iso(delta: timedelta) -> str:
    return (NOW + delta).isoformat()


@pytest.fixture
def dana_api(api_client: Any, dana: Any) -> Client:
    return api_client(dana)


def _commitments(account: Account, owner: Any, count: int) -> list[Commitment]:
    return [
        commitment_create(
            actor=owner, account=account, title=f"Promise {n}", owner=owner, due_at=NOW + timedelta(days=n + 1)
        )
        for n in range(count)
    ]


def test_an_advisor_records_a_commitment_and_delivers_it(
    dana_api: Client, client_account: Account, dana: Any, engagement: Engagement
) -> None:
    created = dana_api.post(
        f"{BASE}/commitments",
        {
            "account_id": client_account.pk,
            "title": "Share the survey questions",
            "owner_id": dana.pk,
            "due_at": _iso(timedelta(days=5)),
            "engagement_id": engagement.pk,
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["state"], body["waiting_on_client"], body["engagement_id"]) == ("open", False, engagement.pk)
    done = dana_api.post(f"{BASE}/commitments/{body['id']}/done")
    assert (done.status_code, done.json()["state"]) == (200, "done")
    again = dana_api.post(f"{BASE}/commitments/{body['id']}/done")
    assert again.status_code == 409
    assert "detail" in again.json()


def test_dropping_needs_a_reason(dana_api: Client, commitment: Commitment) -> None:
    refused = dana_api.post(f"{BASE}/commitments/{commitment.pk}/drop", {}, content_type="application/json")
    assert refused.status_code == 422
    dropped = dana_api.post(
        f"{BASE}/commitments/{commitment.pk}/drop", {"reason": "Not needed"}, content_type="application/json"
    )
    assert (dropped.json()["state"], dropped.json()["dropped_reason"]) == ("dropped", "Not needed")


def test_a_dependency_makes_the_commitment_wait_on_the_client(
    dana_api: Client, commitment: Commitment, charlie: Contact, clock: Any
) -> None:
    created = dana_api.post(
        f"{BASE}/dependencies",
        {
            "what": "The customer list",
            "contact_id": charlie.pk,
            "due_at": _iso(timedelta(days=2)),
            "blocks_commitment_id": commitment.pk,
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["holding"] is True
    listed = dana_api.get(f"{BASE}/commitments", {"account": commitment.account_id}).json()["results"]
    assert [(c["id"], c["waiting_on_client"]) for c in listed] == [(commitment.pk, True)]
    clock.move_to(NOW + timedelta(days=4))
    received = dana_api.post(f"{BASE}/dependencies/{created.json()['id']}/received")
    assert (received.json()["state"], received.json()["holding"]) == ("received", False)
    moved = dana_api.get(f"{BASE}/commitments/{commitment.pk}").json()
    assert moved["due_at"] == "2026-03-16T09:00:00Z"
    assert moved["promised_due_at"] == "2026-03-12T09:00:00Z"
    report = dana_api.get(f"{BASE}/waiting", {"by": "account"}).json()
    assert [(r["label"], r["hours"], r["dependencies"], r["open"]) for r in report["results"]] == [
        ("Globex SA", 96.0, 1, 0)
    ]


def test_a_dependency_naming_two_things_is_refused(
    dana_api: Client, commitment: Commitment, engagement: Engagement, charlie: Contact
) -> None:
    milestone = dana_api.post(
        f"{BASE}/engagements/{engagement.pk}/milestones",
        {"title": "Questions agreed", "due_at": _iso(timedelta(days=3))},
        content_type="application/json",
    ).json()
    refused = dana_api.post(
        f"{BASE}/dependencies",
        {
            "what": "X",
            "contact_id": charlie.pk,
            "due_at": _iso(timedelta(days=2)),
            "blocks_commitment_id": commitment.pk,
            "blocks_milestone_id": milestone["id"],
        },
        content_type="application/json",
    )
    assert (refused.status_code, refused.json()["field"]) == (400, "blocks")


def test_list_filters_by_state_owner_and_due_dates(
    dana_api: Client, client_account: Account, dana: Any, morgan: Any
) -> None:
    _commitments(client_account, dana, 3)
    commitment_create(actor=morgan, account=client_account, title="Morgan's", owner=morgan, due_at=_iso(timedelta(1)))
    by_owner = dana_api.get(f"{BASE}/commitments", {"owner": morgan.pk}).json()["results"]
    assert [c["title"] for c in by_owner] == ["Morgan's"]
    due = dana_api.get(
        f"{BASE}/commitments", {"due_after": _iso(timedelta(days=2)), "due_before": _iso(timedelta(days=3, hours=1))}
    ).json()["results"]
    assert sorted(c["title"] for c in due) == ["Promise 1", "Promise 2"]
    assert dana_api.get(f"{BASE}/commitments", {"state": "done"}).json()["results"] == []


def test_the_commitments_list_costs_the_same_queries_whatever_the_page_holds(
    dana_api: Client, client_account: Account, dana: Any, charlie: Contact, django_assert_max_num_queries: Any
) -> None:
    first = _commitments(client_account, dana, 2)
    dependency_create(
        actor=dana, what="List", contact=charlie, due_at=_iso(timedelta(1)), blocks=Blocked(commitment=first[0])
    )
    with django_assert_max_num_queries(100) as small:
        assert dana_api.get(f"{BASE}/commitments").status_code == 200
    _commitments(client_account, dana, 30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = dana_api.get(f"{BASE}/commitments", {"page_size": 20}).json()
    assert len(page["results"]) == 20
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert dana_api.get(f"{BASE}/dependencies").status_code == 200
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert dana_api.get(f"{BASE}/engagements").status_code == 200


def test_the_cursor_walks_the_whole_list_once(dana_api: Client, client_account: Account, dana: Any) -> None:
    made = _commitments(client_account, dana, 5)
    seen: list[int] = []
    url: str | None = f"{BASE}/commitments?page_size=2"
    while url:
        page = dana_api.get(url).json()
        seen += [c["id"] for c in page["results"]]
        url = page["next"]
    assert seen == sorted((c.pk for c in made), reverse=True)


def test_on_time_rate_per_owner_and_for_everything_in_view(
    dana_api: Client, client_account: Account, dana: Any, morgan: Any, clock: Any, api_client: Any
) -> None:
    """GIVEN Dana's four commitments: one kept, one delivered late, one dropped, one open and not yet due
    WHEN the on-time rate is asked for
    THEN it is 1 kept out of 2 decided (dropped and not-yet-due aside): 50 %."""
    kept, late, dropped, _pending = _commitments(client_account, dana, 4)
    dana_api.post(f"{BASE}/commitments/{kept.pk}/done")
    dana_api.post(f"{BASE}/commitments/{dropped.pk}/drop", {"reason": "x"}, content_type="application/json")
    clock.move_to(NOW + timedelta(days=2, hours=1))
    dana_api.post(f"{BASE}/commitments/{late.pk}/done")
    whole = dana_api.get(f"{BASE}/on-time-rate").json()
    assert whole == [{"key": None, "label": "", "kept": 1, "late": 1, "dropped": 1, "pending": 1, "rate": 0.5}]
    by_owner = api_client(morgan).get(f"{BASE}/on-time-rate", {"by": "owner"}).json()
    assert [(r["label"], r["rate"]) for r in by_owner] == [("dana", 0.5)]
    by_account = dana_api.get(f"{BASE}/on-time-rate", {"by": "account"}).json()
    assert [(r["key"], r["kept"], r["late"]) for r in by_account] == [(client_account.pk, 1, 1)]


# --- permissions ---------------------------------------------------------------------------------


def test_another_advisor_sees_none_of_danas_clients_items(
    api_client: Any, erin: Any, commitment: Commitment, engagement: Engagement, charlie: Contact, dana: Any
) -> None:
    dependency = dependency_create(
        actor=dana, what="List", contact=charlie, due_at=_iso(timedelta(1)), blocks=Blocked(commitment=commitment)
    )
    erin_api = api_client(erin)
    assert erin_api.get(f"{BASE}/commitments").json()["results"] == []
    assert erin_api.get(f"{BASE}/engagements").json()["results"] == []
    assert erin_api.get(f"{BASE}/dependencies").json()["results"] == []
    assert erin_api.get(f"{BASE}/commitments/{commitment.pk}").status_code == 404
    assert erin_api.get(f"{BASE}/engagements/{engagement.pk}").status_code == 404
    assert erin_api.post(f"{BASE}/dependencies/{dependency.pk}/received").status_code == 404
    assert erin_api.get(f"{BASE}/waiting").json()["results"] == []
    refused = erin_api.post(
        f"{BASE}/commitments",
        {"account_id": commitment.account_id, "title": "X", "owner_id": erin.pk, "due_at": _iso(timedelta(1))},
        content_type="application/json",
    )
    assert refused.status_code == 403


def test_a_manager_sees_and_changes_every_advisors_items(
    api_client: Any, morgan: Any, commitment: Commitment, engagement: Engagement, erin: Any
) -> None:
    morgan_api = api_client(morgan)
    assert [c["id"] for c in morgan_api.get(f"{BASE}/commitments").json()["results"]] == [commitment.pk]
    assert morgan_api.get(f"{BASE}/engagements/{engagement.pk}").json()["title"] == "Customer satisfaction survey"
    moved = morgan_api.post(
        f"{BASE}/commitments/{commitment.pk}/reassign",
        {"owner_id": erin.pk, "reason": "Dana is on leave"},
        content_type="application/json",
    )
    assert moved.json()["owner"]["username"] == "erin"
    # Erin now owns it, so she sees it, though not the rest of Dana's client.
    assert [c["id"] for c in api_client(erin).get(f"{BASE}/commitments").json()["results"]] == [commitment.pk]


def test_a_contact_token_reads_its_own_accounts_commitments_and_dependencies_only(
    api_client: Any,
    portal_user_for: Any,
    commitment: Commitment,
    charlie: Contact,
    dana: Any,
    engagement: Engagement,
    erins_client: Account,
    erin: Any,
    initech_contact: Contact,
) -> None:
    dependency = dependency_create(
        actor=dana, what="List", contact=charlie, due_at=_iso(timedelta(1)), blocks=Blocked(commitment=commitment)
    )
    elsewhere = commitment_create(
        actor=erin, account=erins_client, title="Initech's", owner=erin, due_at=_iso(timedelta(1))
    )
    charlie_api = api_client(portal_user_for(charlie))
    assert [c["id"] for c in charlie_api.get(f"{BASE}/commitments").json()["results"]] == [commitment.pk]
    assert [d["id"] for d in charlie_api.get(f"{BASE}/dependencies").json()["results"]] == [dependency.pk]
    assert charlie_api.get(f"{BASE}/commitments/{commitment.pk}").status_code == 200
    assert charlie_api.get(f"{BASE}/commitments/{elsewhere.pk}").status_code == 404
    # Read-only, and engagements and reports stay internal.
    assert charlie_api.post(f"{BASE}/commitments/{commitment.pk}/done").status_code == 403
    assert charlie_api.post(f"{BASE}/dependencies/{dependency.pk}/received").status_code == 403
    assert charlie_api.get(f"{BASE}/engagements").status_code == 403
    assert charlie_api.get(f"{BASE}/engagements/{engagement.pk}").status_code == 403
    assert charlie_api.get(f"{BASE}/on-time-rate").status_code == 403
    assert Commitment.objects.get(pk=commitment.pk).state == "open"


def test_a_manager_finds_the_commitments_of_someone_who_left_and_reassigns_them(
    api_client: Any, morgan: Any, ada: Any, alice: Any, client_account: Account, dana: Any
) -> None:
    """GIVEN a commitment owned by Alice, who is then deactivated
    WHEN a manager lists the commitments whose owner is inactive, and reassigns the one found
    THEN it is listed until it has an active owner, and the change is on the account's history."""
    from carefront.core.models import Event
    from carefront.core.services import staff_deactivate

    owed = commitment_create(
        actor=dana, account=client_account, title="Onboarding call", owner=alice, due_at=_iso(timedelta(days=3))
    )
    with pytest.raises(ApplicationError):
        staff_deactivate(user=alice, actor=ada)  # the workspace asks for a hand-over first
    left_without_hand_over(alice)
    morgan_api = api_client(morgan)
    orphans = morgan_api.get(f"{BASE}/commitments", {"owner_inactive": "true"}).json()["results"]
    assert [c["id"] for c in orphans] == [owed.pk]
    refused = morgan_api.post(
        f"{BASE}/commitments/{owed.pk}/reassign", {"owner_id": alice.pk, "reason": "x"}, content_type="application/json"
    )
    assert (refused.status_code, refused.json()["field"]) == (400, "owner")
    morgan_api.post(
        f"{BASE}/commitments/{owed.pk}/reassign",
        {"owner_id": dana.pk, "reason": "Alice left"},
        content_type="application/json",
    )
    assert morgan_api.get(f"{BASE}/commitments", {"owner_inactive": "true"}).json()["results"] == []
    assert Event.objects.filter(
        subject_id=client_account.pk, action="commitment_reassigned", reason="Alice left"
    ).exists()
