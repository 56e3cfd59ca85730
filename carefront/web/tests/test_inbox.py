"""The inbox: saved views and their counts, filters, sorts with keyset paging, bulk actions, personal views."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from carefront.accounts.services import account_change_service_model, contact_create
from carefront.core.models import Event, Team
from carefront.desk.models import Ticket
from carefront.desk.services import ticket_create, ticket_update, tickets_bulk_update
from carefront.web.models import SavedView
from carefront.web.selectors import PAGE_SIZE

MAX_INBOX_QUERIES = 12


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _ids(response: Any) -> list[int]:
    """The ticket ids of the listed rows, in page order."""
    assert response.status_code == 200, response.content[:500]
    return [int(pk) for pk in re.findall(r'name="ticket" value="(\d+)"', response.content.decode())]


def _counts(response: Any) -> dict[str, int]:
    """The live count shown beside each sidebar view (the inbox fetches them from /inbox/sidebar/)."""
    return _counts_in(response.content.decode())


def _counts_in(page: str) -> dict[str, int]:
    found = re.findall(
        r'id="view-([\w-]+)"[^>]*>\s*<span class="view-label">[^<]*</span>\s*<span class="view-count"[^>]*>(\d+)', page
    )
    return {key: int(count) for key, count in found}


def _link(response: Any, rel: str) -> str | None:
    match = re.search(rf'<a href="([^"]*)"[^>]*rel="{rel}"', response.content.decode())
    return html.unescape(match.group(1)) if match else None


def _new(requester: Any, subject: str, **extra: Any) -> Ticket:
    return ticket_create(actor=None, requester=requester, subject=subject, body="Details.", **extra)


def _solve(ticket: Ticket, *, days_ago: float = 0, close: bool = False) -> Ticket:
    ticket = ticket_update(ticket=ticket, actor=None, status="solved")
    if close:
        ticket = ticket_update(ticket=ticket, actor=None, status="closed")
    if days_ago:
        Ticket.objects.filter(pk=ticket.pk).update(solved_at=timezone.now() - timedelta(days=days_ago))
    return ticket


@pytest.fixture
def specialists(db: Any) -> Team:
    return Team.objects.create(name="Specialists")


@pytest.fixture
def desk(alice, bob, dana, morgan, carol, charlie, front_line, specialists) -> dict[str, Ticket]:
    """GIVEN one ticket for each corner of the saved views (Globex is a client of Dana's)."""
    account_change_service_model(account=charlie.account, actor=morgan, service_model="client", owner=dana, reason="r")
    tickets = {
        "mine_open": _new(carol, "Mine, open", assignee=alice, team=front_line),
        "mine_pending": _new(carol, "Mine, pending", assignee=alice),
        "bob_open": _new(carol, "Bob's", assignee=bob, team=front_line, tier=2),
        "unassigned_new": _new(carol, "Nobody's yet", tier=0),
        "specialists": _new(carol, "Specialists' queue", team=specialists, tier=3, priority="urgent"),
        "client_open": _new(charlie, "Client asks", channel="phone", tags=["vip"]),
        "solved_recent": _new(carol, "Solved yesterday", team=front_line),
        "closed_recent": _new(carol, "Solved and closed this week"),
        "solved_old": _new(carol, "Solved long ago"),
    }
    ticket_update(ticket=tickets["mine_pending"], actor=alice, status="pending")
    _solve(tickets["solved_recent"], days_ago=1)
    _solve(tickets["closed_recent"], days_ago=3, close=True)
    _solve(tickets["solved_old"], days_ago=10, close=True)
    return tickets


def _expected(desk: dict[str, Ticket], *names: str) -> set[int]:
    return {desk[name].pk for name in names}


VIEWS = {
    "mine": ("mine_open",),
    "unassigned": ("unassigned_new", "specialists", "client_open"),
    "team": ("mine_open", "bob_open"),
    "tier-0": ("unassigned_new",),
    "tier-1": ("mine_open", "mine_pending", "client_open"),
    "tier-2": ("bob_open",),
    "tier-3": ("specialists",),
    "client": ("client_open",),
    # No SLA policy times these tickets: carefront/desk/tests/test_sla.py fills the SLA queues.
    "sla-breached": (),
    "sla-warning": (),
    "pending": ("mine_pending",),
    "solved": ("solved_recent", "closed_recent"),
}


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_each_saved_view_lists_exactly_its_tickets_and_counts_them(view, alice, desk):
    client = _client(alice)
    response = client.get("/", {"view": view})
    assert set(_ids(response)) == _expected(desk, *VIEWS[view])
    assert _counts(client.get("/inbox/sidebar/", {"active": view}))[view] == len(VIEWS[view])


def test_sidebar_counts_every_view_at_once(alice, desk):
    counts = _counts(_client(alice).get("/inbox/sidebar/"))
    assert counts == {view: len(names) for view, names in VIEWS.items()}


def test_the_inbox_shows_at_once_and_fetches_its_counts_as_it_loads(alice, desk, django_assert_num_queries):
    """The page does not wait for the counts (an aggregate over every open ticket): the sidebar asks for them
    when it loads, then every minute."""
    client = _client(alice)
    body = client.get("/").content.decode()
    assert _counts_in(body) == {}
    sidebar = re.search(r'<nav id="inbox-views"[^>]*>', body)
    assert sidebar is not None
    assert (
        'hx-get="/inbox/sidebar/?active=all"' in sidebar.group() and 'hx-trigger="load, every 60s"' in sidebar.group()
    )
    fetched = client.get("/inbox/sidebar/", {"active": "all"}).content.decode()
    assert _counts_in(fetched) and 'hx-trigger="every 60s"' in fetched


def test_my_views_follow_the_viewer(bob, desk):
    """GIVEN the same tickets WHEN Bob looks THEN "mine" is Bob's and "my team" is still Front line's."""
    client = _client(bob)
    response = client.get("/", {"view": "mine"})
    assert set(_ids(response)) == _expected(desk, "bob_open")
    assert _counts(client.get("/inbox/sidebar/"))["team"] == 2


def test_staff_without_a_team_have_an_empty_team_view(morgan, desk):
    client = _client(morgan)
    response = client.get("/", {"view": "team"})
    assert _ids(response) == []
    assert _counts(client.get("/inbox/sidebar/"))["team"] == 0


def test_all_tickets_is_the_default_view_newest_first(alice, desk):
    response = _client(alice).get("/")
    assert _ids(response) == sorted((t.pk for t in desk.values()), reverse=True)
    assert 'id="view-all" href="/" aria-current="page"' in response.content.decode()


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"status": ["new", "pending"]}, ("unassigned_new", "specialists", "client_open", "mine_pending")),
        ({"priority": "urgent"}, ("specialists",)),
        ({"tier": "2"}, ("bob_open",)),
        ({"channel": "phone"}, ("client_open",)),
        ({"tag": "VIP"}, ("client_open",)),
        ({"service_model": "client"}, ("client_open",)),
        ({"assignee": "none", "status": ["new"]}, ("unassigned_new", "specialists", "client_open")),
        ({"view": "team", "status": ["open"]}, ("mine_open", "bob_open")),
        ({"view": "unassigned", "tier": "3"}, ("specialists",)),
    ],
)
def test_filters_narrow_the_list(params, names, alice, desk):
    assert set(_ids(_client(alice).get("/", params))) == _expected(desk, *names)


def test_team_and_assignee_filters_take_ids(alice, bob, desk, specialists):
    client = _client(alice)
    assert set(_ids(client.get("/", {"team": specialists.pk}))) == _expected(desk, "specialists")
    assert set(_ids(client.get("/", {"assignee": bob.pk}))) == _expected(desk, "bob_open")
    assert set(_ids(client.get("/", {"assignee": "me"}))) == _expected(desk, "mine_open", "mine_pending")


def test_bad_filter_values_are_reported_not_fatal(alice, desk):
    response = _client(alice).get("/", {"tier": "9", "assignee": "someone", "team": "-1", "after": "x_y", "sort": "z"})
    assert set(_ids(response)) == {t.pk for t in desk.values()}
    assert 'role="alert"' in response.content.decode()


def test_filter_form_refreshes_only_the_list_over_htmx(alice, desk):
    response = _client(alice).get("/", {"priority": "urgent"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert _ids(response) == [desk["specialists"].pk]
    assert body.lstrip().startswith('<div id="inbox-results"')
    assert "<html" not in body
    # The sidebar rides along so its counts follow the change.
    assert 'id="inbox-views"' in body and 'hx-swap-oob="true"' in body
    assert "HX-Request" in response.headers["Vary"]


def test_rows_show_the_ticket_and_link_to_it_by_number(alice, desk):
    ticket = desk["client_open"]
    body = _client(alice).get("/").content.decode()
    assert f'href="/tickets/{ticket.number}/"' in body
    assert "Charlie Martin" in body and "Globex SA" in body
    assert "Client · Dana" in body
    # Customer tickets carry no client badge: one badge, for the one client ticket.
    assert body.count("badge badge-client") == 1


def test_updated_time_is_shown_in_the_viewers_zone(dana, ticket):
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=datetime(2026, 1, 15, 12, 0, tzinfo=UTC))
    body = _client(dana).get("/").content.decode()
    assert 'datetime="2026-01-15T13:00:00+01:00"' in body


def test_rows_are_ready_for_the_keyboard(alice, ticket):
    body = _client(alice).get("/").content.decode()
    assert "/static/web/inbox.js" in body
    assert "data-inbox-row" in body and "data-inbox-open" in body


def test_contacts_cannot_reach_the_inbox_endpoints(carol, ticket, portal_user_for):
    client = _client(portal_user_for(carol))
    assert client.get("/inbox/sidebar/").status_code == 403
    assert (
        client.post("/inbox/bulk/", {"ticket": [ticket.pk], "action": "status", "status": "solved"}).status_code == 403
    )
    ticket.refresh_from_db()
    assert ticket.status == "new"


# --- Sorts and keyset paging -------------------------------------------------------------------------


@pytest.fixture
def many(alice, carol) -> list[Ticket]:
    """GIVEN 70 tickets (three pages) with repeated priorities and update times; a third of them Alice's."""
    priorities = ["low", "normal", "high", "urgent", "normal"]
    tickets = [
        _new(carol, f"Ticket {i}", priority=priorities[i % 5], assignee=alice if i % 3 == 0 else None)
        for i in range(70)
    ]
    base = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    for i, ticket in enumerate(tickets):
        # Every group of four shares one update time, so paging must break ties by id.
        Ticket.objects.filter(pk=ticket.pk).update(
            updated_at=base + timedelta(minutes=(i * 7) % 13, microseconds=i // 4)
        )
    return list(Ticket.objects.order_by("id"))


RANK = {"urgent": 3, "high": 2, "normal": 1, "low": 0}
SORT_KEYS = {
    "newest": lambda t: (-t.pk,),
    "oldest": lambda t: (t.pk,),
    "updated": lambda t: (-t.updated_at.timestamp(), -t.updated_at.microsecond, -t.pk),
    "priority": lambda t: (-RANK[t.priority], -t.pk),
}


@pytest.mark.parametrize("sort", sorted(SORT_KEYS))
def test_every_sort_pages_through_every_ticket_once_in_order(sort, alice, many):
    client = _client(alice)
    pages: list[list[int]] = []
    url: str | None = f"/?sort={sort}"
    while url is not None:
        response = client.get(url)
        pages.append(_ids(response))
        url = _link(response, "next")
        assert len(pages) <= 4
    listed = [pk for page in pages for pk in page]
    assert [len(page) for page in pages] == [PAGE_SIZE, PAGE_SIZE, 70 - 2 * PAGE_SIZE]
    assert listed == [t.pk for t in sorted(many, key=SORT_KEYS[sort])]

    # And back again with "previous": the same pages, in reverse.
    back: list[list[int]] = []
    url = _link(response, "prev")
    while url is not None:
        response = client.get(url)
        back.append(_ids(response))
        url = _link(response, "prev")
    assert back == pages[-2::-1]


def test_paging_keeps_the_filters(alice, many):
    client = _client(alice)
    first = client.get("/", {"assignee": "none", "sort": "updated"})
    second = client.get(_link(first, "next") or "/?missing-next-link")
    unassigned = {t.pk for t in many if t.assignee_id is None}
    assert len(unassigned) == 46
    assert len(_ids(first)) == PAGE_SIZE
    assert set(_ids(first)) | set(_ids(second)) == unassigned
    assert _link(second, "next") is None


# --- Bulk actions ------------------------------------------------------------------------------------


def test_bulk_assign_reports_the_closed_ticket_and_changes_the_rest(alice, bob, desk):
    chosen = [desk["unassigned_new"], desk["specialists"], desk["solved_old"]]
    response = _client(alice).post(
        "/inbox/bulk/",
        {"ticket": [t.pk for t in chosen], "action": "assign", "assignee": bob.pk, "next": "view=unassigned"},
        follow=True,
    )
    assert response.redirect_chain[0] == ("/?view=unassigned", 303)
    body = response.content.decode()
    assert "2 tickets updated." in body
    assert f"#{desk['solved_old'].number}: Ticket #{desk['solved_old'].number} is closed" in body
    assert Ticket.objects.get(pk=desk["unassigned_new"].pk).assignee == bob
    assert Ticket.objects.get(pk=desk["specialists"].pk).status == "open"
    assert Ticket.objects.get(pk=desk["solved_old"].pk).assignee is None
    # Applied through ticket_update: each change is audited with the actor.
    assert Event.objects.filter(subject_id=desk["unassigned_new"].pk, field="assignee", actor=alice).exists()
    # The list comes back without the tickets that left the view.
    assert set(_ids(response)) == _expected(desk, "client_open")


def test_bulk_status_and_tag_over_htmx_return_the_refreshed_list(alice, desk):
    client = _client(alice)
    chosen = [desk["mine_open"].pk, desk["client_open"].pk]
    response = client.post(
        "/inbox/bulk/",
        {"ticket": chosen, "action": "tag", "tag": "Escalated", "next": "view=mine"},
        headers={"HX-Request": "true"},
        follow=True,
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="inbox-results"')
    assert "2 tickets updated." in body
    client_ticket = Ticket.objects.get(pk=desk["client_open"].pk)
    assert sorted(client_ticket.tags.values_list("name", flat=True)) == ["escalated", "vip"]

    client.post("/inbox/bulk/", {"ticket": chosen, "action": "status", "status": "pending"})
    assert set(Ticket.objects.filter(pk__in=chosen).values_list("status", flat=True)) == {"pending"}


def test_bulk_without_a_selection_or_a_value_changes_nothing(alice, desk):
    client = _client(alice)
    response = client.post("/inbox/bulk/", {"action": "status", "status": "solved"}, follow=True)
    assert "Select at least one ticket." in response.content.decode()
    response = client.post("/inbox/bulk/", {"ticket": [desk["mine_open"].pk], "action": "assign"}, follow=True)
    assert "Choose whom to assign the tickets to." in response.content.decode()
    assert Ticket.objects.get(pk=desk["mine_open"].pk).assignee_id == desk["mine_open"].assignee_id


def test_bulk_service_returns_updated_and_refused_with_reasons(alice, desk):
    ids = [desk["mine_open"].pk, desk["closed_recent"].pk, 10**9]
    updated, refused = tickets_bulk_update(ticket_ids=ids, actor=alice, changes={"status": "solved"})
    assert [t.pk for t in updated] == [desk["mine_open"].pk]
    assert updated[0].status == "solved"
    assert [(r.ticket_id, r.number) for r in refused] == [
        (desk["closed_recent"].pk, desk["closed_recent"].number),
        (10**9, None),
    ]
    assert "closed" in refused[0].reason


def test_bulk_service_refuses_non_staff_and_unknown_fields(carol, alice, ticket, portal_user_for):
    from carefront.core.exceptions import ApplicationError

    with pytest.raises(ApplicationError):
        tickets_bulk_update(ticket_ids=[ticket.pk], actor=portal_user_for(carol), changes={"status": "open"})
    with pytest.raises(ApplicationError):
        tickets_bulk_update(ticket_ids=[ticket.pk], actor=alice, changes={"subject": "x"})


# --- Personal saved views ----------------------------------------------------------------------------


def test_a_saved_view_is_listed_counted_and_opened_for_its_owner_only(alice, bob, desk):
    client = _client(alice)
    response = client.post("/inbox/views/", {"name": "Urgent unassigned", "query": "view=unassigned&priority=urgent"})
    saved = SavedView.objects.get(owner=alice)
    assert response.status_code == 303 and response.headers["Location"] == f"/?saved={saved.pk}"

    page = client.get(response.headers["Location"])
    assert set(_ids(page)) == _expected(desk, "specialists")
    assert _counts(client.get("/inbox/sidebar/"))[f"saved-{saved.pk}"] == 1
    body = page.content.decode()
    assert '<h1 id="inbox-title">Urgent unassigned</h1>' in body
    # The filter form shows the saved filters, ready to adjust.
    assert '<option value="urgent" selected>' in body

    other = _client(bob)
    assert "Urgent unassigned" not in other.get("/").content.decode()
    assert other.get(f"/?saved={saved.pk}").status_code == 404
    assert other.post(f"/inbox/views/{saved.pk}/delete/").status_code == 404
    assert SavedView.objects.filter(pk=saved.pk).exists()

    client.post(f"/inbox/views/{saved.pk}/delete/")
    assert not SavedView.objects.filter(pk=saved.pk).exists()
    assert f'id="view-saved-{saved.pk}"' not in client.get("/").content.decode()


def test_saving_a_view_twice_under_one_name_is_refused(alice, bob, desk):
    client = _client(alice)
    client.post("/inbox/views/", {"name": "Mine", "query": "view=mine"})
    response = client.post("/inbox/views/", {"name": "mine", "query": "view=team"}, follow=True)
    assert "You already have a view named" in response.content.decode()
    assert SavedView.objects.filter(owner=alice).count() == 1
    # Another person may use the same name.
    _client(bob).post("/inbox/views/", {"name": "Mine", "query": "view=mine"})
    assert SavedView.objects.filter(name="Mine").count() == 2


def test_saved_view_keeps_filters_and_sort(alice, desk):
    client = _client(alice)
    client.post("/inbox/views/", {"name": "Open by priority", "query": "status=open&status=new&sort=priority"})
    saved = SavedView.objects.get(owner=alice)
    assert saved.query == {"view": "all", "filters": {"statuses": ["open", "new"]}, "sort": "priority"}
    listed = _ids(client.get(f"/?saved={saved.pk}"))
    assert listed[0] == desk["specialists"].pk
    assert set(listed) == _expected(desk, "mine_open", "bob_open", "unassigned_new", "specialists", "client_open")


def test_a_saved_view_of_any_status_lists_all_and_leaves_closed_tickets_out_of_its_count(alice, carol, desk):
    """GIVEN a view of every VIP ticket, one of them closed WHEN it is counted THEN the closed one is not."""
    closed_vip = _solve(_new(carol, "Old VIP matter", tags=["vip"]), close=True)
    client = _client(alice)
    client.post("/inbox/views/", {"name": "VIP", "query": "tag=vip"})
    saved = SavedView.objects.get(owner=alice)
    page = client.get(f"/?saved={saved.pk}")
    assert set(_ids(page)) == {desk["client_open"].pk, closed_vip.pk}
    sidebar = client.get("/inbox/sidebar/")
    assert _counts(sidebar)[f"saved-{saved.pk}"] == 1
    assert "Closed tickets are not counted" in sidebar.content.decode()


def test_the_sidebar_poll_returns_fresh_counts(alice, carol, desk):
    client = _client(alice)
    before = _counts(client.get("/inbox/sidebar/", {"active": "mine"}))
    _new(carol, "Another one for me", assignee=alice)
    after = client.get("/inbox/sidebar/", {"active": "mine"})
    assert _counts(after)["mine"] == before["mine"] + 1
    assert 'id="view-mine" href="/?view=mine" aria-current="page"' in after.content.decode()


# --- Queries -----------------------------------------------------------------------------------------


def _fill(count: int, *, carol: Any, charlie: Any, alice: Any, bob: Any, team: Team, start: int = 0) -> None:
    """Tickets of every shape a row can take: assigned or not, with a team, tags, a client badge."""
    for i in range(start, start + count):
        requester = carol if i % 2 else charlie
        if i % 5 == 0:
            requester = contact_create(
                actor=None, account=carol.account, name=f"Person {i}", email=f"p{i}@acme.example"
            )
        _new(
            requester,
            f"Row {i}",
            assignee=[None, alice, bob][i % 3],
            team=team if i % 2 else None,
            tags=["vip", f"t{i % 4}"] if i % 3 == 0 else [],
            tier=i % 4,
        )


@pytest.mark.parametrize("rows", [3, 60])
def test_inbox_query_count_does_not_grow_with_rows(
    rows, alice, bob, dana, morgan, carol, charlie, front_line, django_assert_max_num_queries
):
    account_change_service_model(account=charlie.account, actor=morgan, service_model="client", owner=dana, reason="r")
    _fill(rows, carol=carol, charlie=charlie, alice=alice, bob=bob, team=front_line)
    client = _client(alice)
    client.post("/inbox/views/", {"name": "Tagged", "query": "tag=vip&sort=updated"})
    saved = SavedView.objects.get(owner=alice)
    for url, headers in [
        ("/", {}),
        ("/?view=team&sort=priority", {}),
        ("/?status=open&assignee=none&tag=vip", {"HX-Request": "true"}),
        (f"/?saved={saved.pk}", {}),
    ]:
        with django_assert_max_num_queries(MAX_INBOX_QUERIES):
            response = client.get(url, headers=headers)
        assert response.status_code == 200
    assert len(_ids(client.get("/"))) == min(rows, PAGE_SIZE)


def test_inbox_query_count_is_the_same_for_3_and_60_tickets(alice, bob, dana, morgan, carol, charlie, front_line):
    account_change_service_model(account=charlie.account, actor=morgan, service_model="client", owner=dana, reason="r")
    client = _client(alice)
    measured = []
    for start, rows in ((0, 3), (3, 57)):
        _fill(rows, carol=carol, charlie=charlie, alice=alice, bob=bob, team=front_line, start=start)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/?sort=updated").status_code == 200
        measured.append(len(queries))
    assert Ticket.objects.count() == 60
    assert measured[0] == measured[1] <= MAX_INBOX_QUERIES


def test_one_count_query_agrees_with_counting_each_set_alone(alice, desk):
    """GIVEN filter sets whose status ranges overlap (solved at any age, solved or closed this week, any
    status) WHEN counted together in one query THEN each count equals that set's own list."""
    from carefront.desk.selectors import TicketFilters, tickets_count_by, tickets_list

    week_ago = timezone.now() - timedelta(days=7)
    sets = {
        "solved": TicketFilters(statuses=("solved",)),
        "recent": TicketFilters(statuses=("solved", "closed"), solved_since=week_ago),
        "open_tier_1": TicketFilters(statuses=("open",), tier=1),
        "nothing": TicketFilters(statuses=()),
    }
    with CaptureQueriesContext(connection) as queries:
        counts = tickets_count_by(user=alice, named_filters=sets)
    assert len(queries) == 1
    assert counts == {name: tickets_list(user=alice, filters=filters).count() for name, filters in sets.items()}
    assert counts["recent"] == 2 and counts["solved"] == 1
    # A set of any status leaves nothing to narrow by: still one query, still exact.
    counts = tickets_count_by(user=alice, named_filters={**sets, "any": TicketFilters(tag="vip")})
    assert counts["any"] == 1 and counts["recent"] == 2
