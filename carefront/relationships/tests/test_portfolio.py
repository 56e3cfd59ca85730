"""Advisor portfolios: what needs attention first, in one query a page; a manager reassigns a client (its open work
follows) or hands a whole portfolio over before the advisor leaves; nothing is ever orphaned."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from carefront.accounts.models import Account
from carefront.accounts.services import account_create, account_update
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Event
from carefront.core.services import staff_deactivate
from carefront.relationships.models import Cadence, CheckIn, CheckInState, Commitment, Engagement
from carefront.relationships.selectors_portfolio import owned_items, portfolio_page
from carefront.relationships.services import commitment_complete, commitment_create
from carefront.relationships.services_checkins import cadence_create
from carefront.relationships.services_portfolio import account_reassign, portfolio_hand_over
from carefront.relationships.tests.conftest import NOW

pytestmark = pytest.mark.django_db

API = "/api/v1/relationships"


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _weekly(account: Account, actor: Any) -> Cadence:
    return cadence_create(
        actor=actor,
        account=account,
        name="Weekly call",
        rule="FREQ=WEEKLY;BYDAY=TU",
        starts_on=date(2026, 3, 3),
        time_of_day=time(14),
        duration_minutes=30,
    )


def _clients(advisor: Any, count: int) -> list[Account]:
    return [
        account_create(actor=None, name=f"Client {n:03}", kind="organisation", service_model="client", owner=advisor)
        for n in range(count)
    ]


def test_a_client_with_overdue_work_comes_first_with_its_figures(
    clock: Any, client_account: Account, paris_client: Account, dana: Any
) -> None:
    commitment_create(
        actor=dana, account=paris_client, title="Send the plan", owner=dana, due_at=NOW + timedelta(days=1)
    )
    commitment_create(actor=dana, account=client_account, title="Call back", owner=dana, due_at=NOW + timedelta(days=9))
    clock.shift(timedelta(days=2))

    page = portfolio_page(advisor=dana)

    assert [account.pk for account in page.accounts] == [paris_client.pk, client_account.pk]
    first, second = page.accounts
    assert (first.overdue, first.overdue_commitments, first.open_commitments) == (1, 1, 1)  # type: ignore[attr-defined]
    assert (second.overdue, second.open_commitments) == (0, 1)  # type: ignore[attr-defined]


def test_the_portfolio_is_one_query_a_page_and_its_keyset_visits_every_client_once(
    clock: Any, dana: Any, django_assert_num_queries: Any
) -> None:
    accounts = _clients(dana, 7)
    overdue = accounts[4]
    commitment_create(actor=dana, account=overdue, title="Report", owner=dana, due_at=NOW + timedelta(hours=1))
    clock.shift(timedelta(hours=2))

    seen: list[int] = []
    cursor = None
    while True:
        with django_assert_num_queries(1):
            page = portfolio_page(advisor=dana, after=cursor, size=3)
        seen += [account.pk for account in page.accounts]
        if page.next_cursor is None:
            break
        from carefront.relationships.selectors_portfolio import PortfolioCursor

        cursor = PortfolioCursor.decode(page.next_cursor)

    assert seen[0] == overdue.pk
    assert sorted(seen) == sorted(account.pk for account in accounts)
    assert len(seen) == len(set(seen))


def test_the_portfolio_page_shows_the_advisors_clients_and_not_anyone_elses(
    clock: Any, client_account: Account, erins_client: Account, dana: Any, erin: Any, morgan: Any
) -> None:
    _clients(dana, 30)
    client = _client(dana)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/relationships/portfolio/")
    assert response.status_code == 200
    body = response.content.decode()
    assert client_account.name in body and erins_client.name not in body
    # Session, user, profile, the page of accounts, the on-time rate… whatever the portfolio's size.
    assert len(queries) <= 12

    assert client.get(f"/relationships/portfolio/{erin.pk}/").status_code == 404
    assert _client(morgan).get(f"/relationships/portfolio/{erin.pk}/").status_code == 200
    assert (
        erins_client.name
        in _client(morgan).get(f"/relationships/portfolio/?advisor={erin.pk}", follow=True).content.decode()
    )


def test_reassigning_a_client_moves_the_old_advisors_open_work_and_says_why(
    clock: Any,
    client_account: Account,
    engagement: Engagement,
    commitment: Commitment,
    dana: Any,
    erin: Any,
    morgan: Any,
) -> None:
    kept = commitment_create(
        actor=dana, account=client_account, title="Kept", owner=dana, due_at=NOW + timedelta(days=3)
    )
    commitment_complete(commitment=kept, actor=dana)
    cadence = _weekly(client_account, dana)

    account_reassign(account=client_account, actor=morgan, owner=erin, reason="Dana moves to the Paris office")

    client_account.refresh_from_db()
    assert client_account.owner_id == erin.pk
    assert Commitment.objects.get(pk=commitment.pk).owner_id == erin.pk
    assert Commitment.objects.get(pk=kept.pk).owner_id == dana.pk  # history stays as it was
    assert Engagement.objects.get(pk=engagement.pk).owner_id == erin.pk
    assert Cadence.objects.get(pk=cadence.pk).owner_id == erin.pk
    scheduled = CheckIn.objects.filter(cadence=cadence, state=CheckInState.SCHEDULED)
    assert scheduled.exists() and not scheduled.exclude(owner=erin).exists()
    events = Event.objects.filter(
        subject_kind="account", subject_id=client_account.pk, reason="Dana moves to the Paris office"
    )
    moves = {(event.action, event.field) for event in events}
    assert {
        ("updated", "owner"),
        ("work_handed_over", "commitments_moved"),
        ("work_handed_over", "cadences_moved"),
    } <= moves


def test_changing_the_owner_on_the_account_itself_moves_the_work_too(
    clock: Any, client_account: Account, commitment: Commitment, erin: Any, morgan: Any
) -> None:
    account_update(account=client_account, actor=morgan, owner=erin, reason="Erin speaks German")
    assert Commitment.objects.get(pk=commitment.pk).owner_id == erin.pk


def test_only_a_manager_reassigns_and_a_refusal_changes_nothing(
    clock: Any, client_account: Account, commitment: Commitment, dana: Any, erin: Any, morgan: Any
) -> None:
    with pytest.raises(ApplicationError) as refused:
        account_reassign(account=client_account, actor=dana, owner=erin, reason="I am too busy")
    assert refused.value.status == 403
    with pytest.raises(ApplicationError) as same:
        account_reassign(account=client_account, actor=morgan, owner=dana, reason="Same")
    assert same.value.field == "owner"
    with pytest.raises(ApplicationError) as silent:
        account_reassign(account=client_account, actor=morgan, owner=erin, reason="  ")
    assert silent.value.field == "reason"
    client_account.refresh_from_db()
    assert client_account.owner_id == dana.pk
    assert Commitment.objects.get(pk=commitment.pk).owner_id == dana.pk


def test_an_advisor_with_work_on_a_colleagues_client_cannot_be_deactivated(
    clock: Any, erins_client: Account, dana: Any, morgan: Any
) -> None:
    """GIVEN Dana owns no account but promised Erin's client something
    WHEN an admin deactivates Dana
    THEN it is refused: the promise would be left with someone who cannot act."""
    commitment_create(
        actor=morgan, account=erins_client, title="Cover the call", owner=dana, due_at=NOW + timedelta(days=2)
    )
    with pytest.raises(ApplicationError) as refused:
        staff_deactivate(user=dana, actor=morgan)
    assert refused.value.status == 409 and "hand over" in refused.value.message
    dana.refresh_from_db()
    assert dana.is_active


def test_a_manager_hands_over_a_leaving_advisors_whole_portfolio_and_deactivates_them(
    clock: Any,
    client_account: Account,
    paris_client: Account,
    erins_client: Account,
    engagement: Engagement,
    commitment: Commitment,
    dana: Any,
    erin: Any,
    morgan: Any,
) -> None:
    cadence = _weekly(paris_client, dana)
    cover = commitment_create(
        actor=morgan, account=erins_client, title="Cover the call", owner=dana, due_at=NOW + timedelta(days=2)
    )
    customer = account_create(actor=None, name="Walk-in", kind="person", owner=dana)

    moved = portfolio_hand_over(advisor=dana, actor=morgan, to=erin, reason="Dana leaves", deactivate=True)

    dana.refresh_from_db()
    assert not dana.is_active
    assert (moved.accounts, moved.commitments, moved.engagements, moved.cadences) == (3, 2, 1, 1)
    assert moved.check_ins == CheckIn.objects.filter(cadence=cadence, state=CheckInState.SCHEDULED).count() > 0
    assert owned_items(user_id=dana.pk).total == 0
    assert set(Account.objects.filter(owner=erin).values_list("pk", flat=True)) >= {
        client_account.pk,
        paris_client.pk,
        customer.pk,
    }
    assert Commitment.objects.get(pk=cover.pk).owner_id == erin.pk
    assert Event.objects.filter(subject_id=erins_client.pk, action="work_handed_over", reason="Dana leaves").exists()


def test_handing_over_part_of_a_portfolio_cannot_deactivate_and_leaves_everything_as_it_was(
    clock: Any,
    client_account: Account,
    paris_client: Account,
    commitment: Commitment,
    dana: Any,
    erin: Any,
    morgan: Any,
) -> None:
    with pytest.raises(ApplicationError) as refused:
        portfolio_hand_over(
            advisor=dana, actor=morgan, to=erin, reason="Half", account_ids=[client_account.pk], deactivate=True
        )
    assert refused.value.status == 409
    dana.refresh_from_db()
    client_account.refresh_from_db()
    assert dana.is_active and client_account.owner_id == dana.pk
    assert Commitment.objects.get(pk=commitment.pk).owner_id == dana.pk

    with pytest.raises(ApplicationError) as stranger:
        portfolio_hand_over(advisor=dana, actor=morgan, to=erin, reason="Wrong", account_ids=[999_999])
    assert stranger.value.field == "accounts"


def test_the_hand_over_screen_moves_everything_and_deactivates(
    clock: Any, client_account: Account, commitment: Commitment, dana: Any, erin: Any, morgan: Any
) -> None:
    client = _client(morgan)
    page = client.get(f"/relationships/portfolio/{dana.pk}/hand-over/?leaving=1")
    assert page.status_code == 200 and 'name="deactivate"' in page.content.decode()
    refused = client.post(f"/relationships/portfolio/{dana.pk}/hand-over/", {"owner": dana.pk, "reason": "x"})
    assert refused.status_code == 400

    done = client.post(
        f"/relationships/portfolio/{dana.pk}/hand-over/",
        {"owner": erin.pk, "reason": "Dana leaves", "deactivate": "on"},
    )

    assert done.status_code == 302 and done["Location"] == f"/relationships/portfolio/{erin.pk}/"
    dana.refresh_from_db()
    assert not dana.is_active
    assert Commitment.objects.get(pk=commitment.pk).owner_id == erin.pk
    assert _client(erin).get(f"/relationships/portfolio/{dana.pk}/hand-over/").status_code == 404


def test_the_portfolio_api_pages_by_attention_and_guards_other_portfolios(
    clock: Any, api_client: Any, client_account: Account, dana: Any, erin: Any, morgan: Any
) -> None:
    _clients(dana, 4)
    dana_api = api_client(dana)
    first = dana_api.get(f"{API}/portfolio")
    assert first.status_code == 200, first.json()
    body = first.json()
    assert body["advisor"]["id"] == dana.pk and len(body["results"]) == 5
    assert {"overdue", "next_check_in", "open_tickets", "open_commitments"} <= set(body["results"][0])
    assert dana_api.get(f"{API}/portfolio", {"advisor_id": erin.pk}).status_code == 404
    assert api_client(morgan).get(f"{API}/portfolio", {"advisor_id": dana.pk}).status_code == 200

    denied = dana_api.post(
        f"{API}/accounts/{client_account.pk}/reassign",
        {"owner_id": erin.pk, "reason": "Mine"},
        content_type="application/json",
    )
    assert denied.status_code == 403
    moved = api_client(morgan).post(
        f"{API}/advisors/{dana.pk}/hand-over",
        {"to_id": erin.pk, "reason": "Dana leaves", "deactivate": True},
        content_type="application/json",
    )
    assert moved.status_code == 200, moved.json()
    assert moved.json()["accounts"] == 5
    assert api_client(morgan).get(f"{API}/advisors/{dana.pk}/owned").json()["accounts"] == 0


def test_among_clients_with_nothing_overdue_the_least_healthy_comes_first(
    clock: Any, client_account: Account, paris_client: Account, dana: Any
) -> None:
    from carefront.relationships.models import AccountHealth

    AccountHealth.objects.create(account=client_account, score=82, band="green")
    AccountHealth.objects.create(account=paris_client, score=31, band="red")
    unscored = _clients(dana, 1)[0]

    page = portfolio_page(advisor=dana)

    assert [account.pk for account in page.accounts] == [paris_client.pk, unscored.pk, client_account.pk]
    assert [account.health_band for account in page.accounts] == ["red", None, "green"]  # type: ignore[attr-defined]
    html = _client(dana).get("/relationships/portfolio/").content.decode()
    assert "31 · At risk" in html and "not scored yet" in html
