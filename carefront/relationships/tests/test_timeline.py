"""The account timeline with every kind on it: Lumière (Dana's client in Paris) has a ticket with a reply and an
internal note, an order, a held and a missed check-in (the held one an interaction), an engagement, a commitment
and the dependency blocking it, and the changes of all these. The kind filter, keyset paging across kinds with
equal instants (a Hypothesis property), one query per kind, who sees what, the screen and the API.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carefront.accounts.models import Account, Contact, Order
from carefront.accounts.selectors_timeline import (
    TimelineCursor,
    TimelineSource,
    TimelineSummary,
    account_timeline,
    timeline_source_register,
    timeline_sources,
)
from carefront.accounts.services import account_update, contact_create, order_create
from carefront.core.models import Event
from carefront.desk.models import Message, Ticket
from carefront.desk.services import ticket_add_note, ticket_create, ticket_reply
from carefront.relationships.models import CheckIn, Commitment, Interaction
from carefront.relationships.services import Blocked, commitment_create, dependency_create, engagement_create
from carefront.relationships.services_checkins import Held, cadence_create, check_in_hold, checkins_run
from carefront.relationships.tests.conftest import NOW

pytestmark = pytest.mark.django_db

ALL_KINDS = {
    "change",
    "ticket_change",
    "message",
    "ticket",
    "order",
    "interaction",
    "check_in",
    "commitment",
    "dependency",
    "engagement",
}
CLIENT_KINDS = {"message", "ticket", "order", "commitment", "dependency"}
# Every kind registered: the ones above and the feedback app's survey responses (staff only; `busy` has none).
REGISTERED_KINDS = ALL_KINDS | {"survey_response"}


@pytest.fixture
def camille(paris_client: Account) -> Contact:
    return contact_create(actor=None, account=paris_client, name="Camille Roux", email="camille@lumiere.example")


@pytest.fixture
def busy(paris_client: Account, dana: Any, camille: Contact, clock: Any) -> dict[str, Any]:
    """One of each kind on Lumière's timeline, and the clock after all of it."""
    cadence = cadence_create(
        actor=dana,
        account=paris_client,
        name="Weekly call",
        rule="FREQ=WEEKLY;BYDAY=TU",
        starts_on=date(2026, 3, 3),
        time_of_day=time(14),
        duration_minutes=30,
    )
    first, second = CheckIn.objects.filter(cadence=cadence).order_by("scheduled_at")[:2]
    clock.move_to(first.scheduled_at + timedelta(minutes=40))
    interaction = check_in_hold(
        check_in=first,
        actor=dana,
        held=Held(kind="video", occurred_at=first.scheduled_at, notes="Reviewed the delivery times."),
    )
    checkins_run(now=second.scheduled_at + timedelta(days=2))
    clock.move_to(second.scheduled_at + timedelta(days=2, hours=1))
    engagement = engagement_create(
        actor=dana,
        account=paris_client,
        kind="survey",
        title="Survey of Lumière's customers",
        scope="",
        owner=dana,
        starts_at=NOW,
        due_at=NOW + timedelta(days=90),
        status="active",
    )
    commitment = commitment_create(
        actor=dana,
        account=paris_client,
        title="Send the questionnaire",
        owner=dana,
        due_at=NOW + timedelta(days=30),
        engagement=engagement,
    )
    dependency = dependency_create(
        actor=dana,
        what="The customer list",
        contact=camille,
        due_at=NOW + timedelta(days=20),
        blocks=Blocked(commitment=commitment),
    )
    ticket = ticket_create(actor=None, requester=camille, subject="Invoice twice", body="We were billed twice.")
    ticket_reply(ticket=ticket, staff=dana, actor=dana, body="Refunded the second one.")
    ticket_add_note(ticket=ticket, actor=dana, body="Billing bug, see the finance team.")
    order = order_create(
        actor=None, account=paris_client, external_id="LUM-1", placed_at=NOW, amount="120.00", currency="EUR"
    )
    account_update(account=paris_client, actor=dana, segment="premium")
    return {
        "account": paris_client,
        "check_ins": (first, second),
        "interaction": interaction,
        "engagement": engagement,
        "commitment": commitment,
        "dependency": dependency,
        "ticket": ticket,
        "order": order,
    }


def _everything(user: Any, account: Account, **options: Any) -> list[tuple[str, int]]:
    seen: list[tuple[str, int]] = []
    before = None
    while True:
        page = account_timeline(user=user, account=account, before=before, **options)
        seen += [(entry.kind, entry.item.pk) for entry in page.entries]
        if page.next_cursor is None:
            return seen
        before = TimelineCursor.decode(page.next_cursor)


def test_every_kind_is_on_the_timeline_newest_first(busy: dict[str, Any], dana: Any) -> None:
    entries = account_timeline(user=dana, account=busy["account"], limit=100).entries
    assert {entry.kind for entry in entries} == ALL_KINDS
    assert [entry.cursor for entry in entries] == sorted((entry.cursor for entry in entries), reverse=True)
    items = {(entry.kind, entry.item.pk) for entry in entries}
    first, second = busy["check_ins"]
    assert {
        ("interaction", busy["interaction"].pk),
        ("check_in", first.pk),
        ("check_in", second.pk),
        ("engagement", busy["engagement"].pk),
        ("commitment", busy["commitment"].pk),
        ("dependency", busy["dependency"].pk),
        ("ticket", busy["ticket"].pk),
        ("order", busy["order"].pk),
    } <= items
    states = {entry.item.state for entry in entries if entry.kind == "check_in"}
    assert states == {"held", "missed"}
    # The internal note is a message; the relationships' changes are the account's own audit events.
    notes = [entry.item for entry in entries if entry.kind == "message" and entry.item.visibility == "internal"]
    assert [note.body_text for note in notes] == ["Billing bug, see the finance team."]
    changed = {entry.item.field for entry in entries if entry.kind == "change"}
    assert {"segment", "engagement", "commitment", "dependency", "check_in"} <= changed


def test_check_ins_ahead_are_not_on_the_timeline_yet(busy: dict[str, Any], dana: Any) -> None:
    ahead = CheckIn.objects.filter(account=busy["account"], state="scheduled")
    assert ahead.exists()
    shown = {
        entry.item.pk for entry in account_timeline(user=dana, account=busy["account"], kinds=["check_in"]).entries
    }
    assert shown == {check_in.pk for check_in in busy["check_ins"]}
    assert not shown & set(ahead.values_list("pk", flat=True))


def test_the_kind_filter_runs_only_the_kinds_chosen(
    busy: dict[str, Any], dana: Any, django_assert_num_queries: Any
) -> None:
    # The page's keys across the two kinds, then each kind's rows.
    with django_assert_num_queries(3):
        page = account_timeline(user=dana, account=busy["account"], kinds=["commitment", "dependency"])
    assert [(entry.kind, entry.item.pk) for entry in page.entries] == [
        ("dependency", busy["dependency"].pk),
        ("commitment", busy["commitment"].pk),
    ]
    with django_assert_num_queries(1):
        only = account_timeline(user=dana, account=busy["account"], kinds=["commitment"])
    assert [(entry.kind, entry.item.pk) for entry in only.entries] == [("commitment", busy["commitment"].pk)]
    with django_assert_num_queries(1 + len(ALL_KINDS)):
        account_timeline(user=dana, account=busy["account"], kinds=[], limit=100)


def test_a_page_reads_the_rows_of_the_kinds_on_it_only(
    busy: dict[str, Any], dana: Any, django_assert_num_queries: Any
) -> None:
    newest = account_timeline(user=dana, account=busy["account"], limit=100).entries
    with django_assert_num_queries(2):
        page = account_timeline(user=dana, account=busy["account"], limit=1)
    assert [(entry.kind, entry.item.pk) for entry in page.entries] == [(newest[0].kind, newest[0].item.pk)]
    assert page.next_cursor == newest[0].cursor.encode()


def test_a_page_costs_one_query_per_kind_whatever_the_partials_show(
    busy: dict[str, Any], morgan: Any, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1 + len(ALL_KINDS)):
        page = account_timeline(user=morgan, account=busy["account"], limit=100)
        described = [entry.describe() for entry in page.entries]
    by_kind = {entry.kind: summary for entry, summary in zip(page.entries, described, strict=True)}
    assert by_kind["dependency"].links["commitment_id"] == busy["commitment"].pk
    assert by_kind["commitment"].links["engagement_id"] == busy["engagement"].pk
    assert by_kind["ticket"].links["ticket_number"] == busy["ticket"].number
    held = [
        summary
        for entry, summary in zip(page.entries, described, strict=True)
        if entry.kind == "check_in" and entry.item.state == "held"
    ]
    assert [summary.links["interaction_id"] for summary in held] == [busy["interaction"].pk]


def test_another_advisor_sees_the_account_but_not_dana_s_relationship_items(
    busy: dict[str, Any], erin: Any, dana: Any
) -> None:
    kinds = {entry.kind for entry in account_timeline(user=erin, account=busy["account"], limit=100).entries}
    assert kinds == {"change", "ticket_change", "message", "ticket", "order"}


def test_a_portal_contact_sees_only_what_is_meant_for_the_client(
    busy: dict[str, Any], camille: Contact, portal_user_for: Any, django_assert_num_queries: Any
) -> None:
    contact_user = portal_user_for(camille)
    assert {source.key for source in timeline_sources(user=contact_user)} == CLIENT_KINDS
    with django_assert_num_queries(1 + len(CLIENT_KINDS)):
        entries = account_timeline(user=contact_user, account=busy["account"], limit=100).entries
    assert {entry.kind for entry in entries} == CLIENT_KINDS
    bodies = [entry.item.body_text for entry in entries if entry.kind == "message"]
    assert "Billing bug, see the finance team." not in bodies
    assert "Refunded the second one." in bodies


def test_a_kind_registered_twice_under_another_rank_or_key_is_refused() -> None:
    from django.core.exceptions import ImproperlyConfigured

    order = next(source for source in timeline_sources(user=None) if source.key == "order")
    timeline_source_register(order)  # the same source again: harmless
    clash = TimelineSource(
        key="survey",
        label="Surveys",
        rank=order.rank,
        rows=lambda user, account_id: Order.objects.none(),
        time_field="placed_at",
        template="web/timeline/order.html",
        describe=lambda row: TimelineSummary(title=""),
    )
    with pytest.raises(ImproperlyConfigured):
        timeline_source_register(clash)
    assert "survey" not in {source.key for source in timeline_sources(user=None)}


# --- keyset paging across kinds ---------------------------------------------------------------------------------


INSTANTS = [datetime(2026, 1, 5, 9, tzinfo=UTC) + timedelta(minutes=minutes) for minutes in (0, 0, 1, 1, 1, 7)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["order", "interaction", "commitment", "change"]), st.sampled_from(INSTANTS)),
        max_size=24,
    ),
    limit=st.integers(min_value=1, max_value=7),
    kinds=st.sets(st.sampled_from(["order", "interaction", "commitment", "change", "engagement"])),
)
def test_paging_never_skips_or_repeats_an_entry(
    paris_client: Account, dana: Any, rows: list[tuple[str, datetime]], limit: int, kinds: set[str]
) -> None:
    """GIVEN entries of four kinds, many at the same instants, WHEN the timeline is read page by page (of any
    size, any kinds), THEN every entry of the chosen kinds comes exactly once, in the order of a single sort."""
    with transaction.atomic():
        created: list[tuple[datetime, str, int]] = []
        for index, (kind, at) in enumerate(rows):
            if kind == "order":
                item: Any = Order.objects.create(
                    account=paris_client, external_id=f"P-{index}", placed_at=at, amount=1, currency="EUR"
                )
            elif kind == "interaction":
                item = Interaction.objects.create(account=paris_client, kind="call", occurred_at=at, author=dana)
            elif kind == "commitment":
                item = Commitment.objects.create(
                    account=paris_client, title="x", owner=dana, promised_due_at=at, due_at=at, created_at=at
                )
            else:
                item = Event.objects.create(
                    subject_kind="account", subject_id=paris_client.pk, action="updated", occurred_at=at
                )
            created.append((at, kind, item.pk))
        chosen = kinds or {"order", "interaction", "commitment", "change", "engagement"}
        # The account's own earlier history (its creation, its owner) is on the timeline too.
        expected = {(kind, pk) for _, kind, pk in created if kind in chosen}
        seen = _everything(dana, paris_client, kinds=sorted(kinds), limit=limit)
        assert len(seen) == len(set(seen))
        assert expected <= set(seen)
        assert {pair for pair in seen if pair[0] != "change"} == {pair for pair in expected if pair[0] != "change"}
        whole = [
            (entry.kind, entry.item.pk)
            for entry in account_timeline(user=dana, account=paris_client, kinds=sorted(kinds), limit=1000).entries
        ]
        assert seen == whole
        transaction.set_rollback(True)


# --- the screen ------------------------------------------------------------------------------------------------


def _login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_account_page_shows_each_kind_with_a_link_to_it(busy: dict[str, Any], dana: Any) -> None:
    html = _login(dana).get(f"/accounts/{busy['account'].pk}/").content.decode()
    timeline = html[html.index('id="timeline"') :]
    for kind in ALL_KINDS:
        assert f'class="timeline-entry timeline-{kind}' in timeline, kind
    assert f'href="/relationships/interactions/{busy["interaction"].pk}/"' in timeline
    assert f'href="/relationships/engagements/{busy["engagement"].pk}/"' in timeline
    assert f'href="/tickets/{busy["ticket"].number}/"' in timeline
    assert "Order LUM-1 placed" in timeline
    assert "timeline-internal" in timeline
    # A filter chip per kind.
    assert html.count('type="checkbox" name="kind"') == len(REGISTERED_KINDS)


def test_times_are_shown_in_the_viewer_s_zone(busy: dict[str, Any], dana: Any) -> None:
    dana.staff_profile.time_zone = "Asia/Tokyo"
    dana.staff_profile.save(update_fields=["time_zone"])
    html = _login(dana).get(f"/accounts/{busy['account'].pk}/?kind=order").content.decode()
    # The order was placed at 09:00 UTC, 18:00 in Tokyo.
    assert 'datetime="2026-03-02T18:00:00+09:00"' in html


def test_the_filter_and_older_pages_work_with_and_without_htmx(busy: dict[str, Any], dana: Any) -> None:
    client = _login(dana)
    url = f"/accounts/{busy['account'].pk}/"
    plain = client.get(url, {"kind": ["commitment", "dependency", "nonsense"]}).content.decode()
    timeline = plain[plain.index('id="timeline"') :]
    assert timeline.count('<li class="timeline-entry') == 2
    assert 'value="commitment" checked' in plain and 'value="order" checked' not in plain
    fragment = client.get(url, {"kind": "order"}, headers={"HX-Request": "true", "HX-Target": "timeline"})
    body = fragment.content.decode()
    assert "<h1>" not in body
    assert body.count('<li class="timeline-entry timeline-order') == 1
    assert "timeline-ticket" not in body


def test_show_older_keeps_the_kinds_chosen(busy: dict[str, Any], dana: Any, camille: Contact) -> None:
    for index in range(35):
        ticket_create(actor=None, requester=camille, subject=f"Question {index}", body="?")
    client = _login(dana)
    url = f"/accounts/{busy['account'].pk}/"
    html = client.get(url, {"kind": "ticket"}).content.decode()
    older = html[html.index('class="timeline-more"') :]
    link = older[older.index('href="') + 6 : older.index('#timeline-heading"')].replace("&amp;", "&")
    assert "kind=ticket&before=" in link
    rest = client.get(link, headers={"HX-Request": "true"}).content.decode()
    assert rest.count('<li class="timeline-entry timeline-ticket') == 36 - 30
    assert "timeline-message" not in rest
    assert Ticket.objects.filter(account=busy["account"]).count() == 36
    assert Message.objects.filter(account=busy["account"]).exists()


# --- the API ---------------------------------------------------------------------------------------------------


def _timeline(client: Client, account: Account, **query: Any) -> Any:
    return client.get(f"/api/v1/accounts/{account.pk}/timeline", query)


def test_the_api_pages_through_typed_entries_of_the_kinds_asked(
    busy: dict[str, Any], dana: Any, api_client: Any, django_assert_max_num_queries: Any
) -> None:
    client = api_client(dana)
    account = busy["account"]
    whole = _timeline(client, account, limit=100).json()
    assert whole["next_cursor"] is None
    assert {entry["kind"] for entry in whole["results"]} == ALL_KINDS
    engagement = next(entry for entry in whole["results"] if entry["kind"] == "engagement")
    assert engagement["title"] == "Engagement: Survey of Lumière's customers"
    assert engagement["links"] == {"engagement_id": busy["engagement"].pk}
    ticket = next(entry for entry in whole["results"] if entry["kind"] == "ticket")
    assert ticket["links"] == {"ticket_id": busy["ticket"].pk, "ticket_number": busy["ticket"].number}
    seen: list[tuple[str, str]] = []
    cursor = None
    while True:
        with django_assert_max_num_queries(len(ALL_KINDS) + 6):
            page = _timeline(client, account, limit=4, **({"cursor": cursor} if cursor else {})).json()
        seen += [(entry["kind"], entry["cursor"]) for entry in page["results"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [(entry["kind"], entry["cursor"]) for entry in whole["results"]]
    only = _timeline(client, account, kind=["commitment", "dependency"]).json()["results"]
    assert [entry["kind"] for entry in only] == ["dependency", "commitment"]
    kinds = client.get(f"/api/v1/accounts/{account.pk}/timeline/kinds").json()
    assert {kind["key"] for kind in kinds} == REGISTERED_KINDS


def test_the_api_refuses_a_bad_cursor_or_an_unknown_kind(busy: dict[str, Any], dana: Any, api_client: Any) -> None:
    client = api_client(dana)
    bad = _timeline(client, busy["account"], cursor="zzz")
    assert bad.status_code == 422
    assert "Invalid cursor" in bad.json()["detail"]
    unknown = _timeline(client, busy["account"], kind=["order", "gossip"])
    assert unknown.status_code == 422
    assert "gossip" in unknown.json()["detail"]


def test_a_contact_token_reads_only_its_own_account_and_only_the_client_kinds(
    busy: dict[str, Any], camille: Contact, initech_contact: Contact, portal_user_for: Any, api_client: Any
) -> None:
    client = api_client(portal_user_for(camille))
    own = _timeline(client, busy["account"], limit=100)
    assert own.status_code == 200
    results = own.json()["results"]
    assert {entry["kind"] for entry in results} == CLIENT_KINDS
    assert not [entry for entry in results if entry["title"].startswith("Internal note")]
    assert _timeline(client, busy["account"], kind="change").status_code == 422
    assert _timeline(client, initech_contact.account).status_code == 404
    kinds = client.get(f"/api/v1/accounts/{busy['account'].pk}/timeline/kinds").json()
    assert {kind["key"] for kind in kinds} == CLIENT_KINDS
