"""The account list (search, filters, keyset pages) and the 360° account page with its timeline."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from carefront.accounts.models import Account
from carefront.accounts.selectors_timeline import TimelineCursor, account_timeline, timeline_sources
from carefront.accounts.services import (
    account_change_service_model,
    account_create,
    account_update,
    contact_create,
    order_create,
)
from carefront.core.models import Event
from carefront.desk.models import Message
from carefront.desk.services import ticket_add_note, ticket_create, ticket_reply, ticket_update

HTMX = {"HX-Request": "true"}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _names(html: str) -> list[str]:
    return re.findall(r'<td><a href="/accounts/\d+/">([^<]+)</a></td>', html)


def _match(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    assert found is not None, pattern
    return found.group(1)


def _list(client: Client, query: str = "") -> str:
    response = client.get(f"/accounts/{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_list_searches_names_and_external_ids(alice, acme, globex):
    client = _client(alice)
    assert _names(_list(client, "?q=acme")) == ["Acme Ltd"]
    assert _names(_list(client, "?q=ACCT-AC")) == ["Acme Ltd"]
    assert _names(_list(client, "?q=ex S")) == ["Globex SA"]
    assert _names(_list(client)) == ["Globex SA", "Acme Ltd"]
    assert "No accounts match." in _list(client, "?q=nobody")


def test_list_filters_by_service_model_stage_owner_segment_and_country(alice, morgan, dana, acme, globex):
    account_change_service_model(account=acme, actor=morgan, service_model="client", owner=dana, reason="Growing")
    account_update(account=globex, actor=morgan, segment="smb", lifecycle_stage="at_risk")
    client = _client(alice)
    assert _names(_list(client, "?service_model=client")) == ["Acme Ltd"]
    assert _names(_list(client, "?service_model=customer")) == ["Globex SA"]
    assert _names(_list(client, "?lifecycle_stage=at_risk")) == ["Globex SA"]
    assert _names(_list(client, f"?owner={dana.pk}")) == ["Acme Ltd"]
    assert _names(_list(client, "?segment=smb")) == ["Globex SA"]
    assert _names(_list(client, "?country=fr")) == ["Globex SA"]
    assert _names(_list(client, "?country=GB&service_model=client")) == ["Acme Ltd"]
    html = _list(client, "?service_model=client")
    assert "Client · Dana" in html
    # Every control has a label.
    for control in ("id_q", "id_service_model", "id_lifecycle_stage", "id_owner", "id_segment", "id_country"):
        assert f'<label for="{control}">' in html


def test_list_ignores_bad_filter_values_with_an_error(alice, acme):
    html = _list(_client(alice), "?service_model=vip&before=abc")
    assert "Select a valid choice" in html
    assert _names(html) == ["Acme Ltd"]


def _accounts(count: int, **extra) -> list[Account]:
    return [account_create(actor=None, name=f"Account {index:03d}", **extra) for index in range(count)]


def test_list_pages_by_keyset_both_ways(alice):
    created = _accounts(60, segment="retail")
    client = _client(alice)
    first = _list(client, "?segment=retail")
    names = _names(first)
    assert names[0] == "Account 059"
    assert len(names) == 50
    older = _match(r'href="\?([^"]+)" rel="next"', first).replace("&amp;", "&")
    assert older == f"segment=retail&before={created[10].pk}"
    assert 'rel="prev"' not in first
    second = _list(client, f"?{older}")
    assert _names(second) == [f"Account {index:03d}" for index in range(9, -1, -1)]
    assert 'rel="next"' not in second
    newer = _match(r'href="\?([^"]+)" rel="prev"', second).replace("&amp;", "&")
    assert newer == f"segment=retail&after={created[9].pk}"
    back = _list(client, f"?{newer}")
    assert _names(back) == names


def test_list_query_count_does_not_grow(alice, dana, django_assert_max_num_queries):
    client = _client(alice)
    _accounts(3, service_model="client", owner=dana)
    with CaptureQueriesContext(connection) as few:
        _list(client, f"?owner={dana.pk}&q=Account")
    _accounts(80, service_model="client", owner=dana)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = _list(client, f"?owner={dana.pk}&q=Account")
    assert len(_names(html)) == 50
    assert len(few.captured_queries) <= 8


def test_account_page_shows_contacts_orders_with_totals_and_tickets(alice, acme, carol, ticket):
    for index, (amount, currency) in enumerate([("10.50", "EUR"), ("20.00", "EUR"), ("5.25", "GBP")]):
        order_create(
            actor=None,
            account=acme,
            external_id=f"ord-{index}",
            placed_at=timezone.now() - timedelta(days=index),
            amount=amount,
            currency=currency,
        )
    response = _client(alice).get(f"/accounts/{acme.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Acme Ltd</h1>" in html
    assert "Carol Jones" in html
    assert "carol@acme.example" in html
    assert '<dd class="total">30.50 EUR</dd>' in html
    assert '<dd class="total">5.25 GBP</dd>' in html
    assert "EUR total, 2 orders" in html
    assert "ord-2" in html
    assert f'<a href="/tickets/{ticket.number}/">#{ticket.number} Parcel never arrived</a>' in html


def test_timeline_mixes_account_changes_ticket_changes_and_messages_newest_first(alice, morgan, acme, ticket):
    ticket_reply(ticket=ticket, staff=alice, actor=alice, body="On its way.")
    ticket_add_note(ticket=ticket, actor=alice, body="Courier called.")
    account_update(account=acme, actor=morgan, segment="enterprise")
    html = _client(alice).get(f"/accounts/{acme.pk}/").content.decode()
    timeline = html[html.index('id="timeline"') :]
    order = [
        timeline.index("Segment"),
        timeline.index("Courier called."),
        timeline.index("On its way."),
        timeline.index("Order 1001 is late."),
    ]
    assert order == sorted(order)
    assert "added an internal note on" in timeline
    # The note's own audit event would only repeat the note.
    assert "added an internal note <a" not in timeline
    assert "timeline-internal" in timeline
    assert f'<a href="/tickets/{ticket.number}/">#{ticket.number}</a>: Status' in timeline


def _busy_account(acme, carol, alice, count: int) -> None:
    for index in range(count):
        extra = ticket_create(actor=None, requester=carol, subject=f"Question {index}", body=f"Body {index}")
        ticket_reply(ticket=extra, staff=alice, actor=alice, body=f"Answer {index}")
        account_update(account=acme, actor=alice, segment=f"s{index}")
        contact_create(actor=None, account=acme, name=f"Person {index}", email=f"person{index}@acme.example")
        order_create(
            actor=None, account=acme, external_id=f"busy-{index}", placed_at=timezone.now(), amount="1", currency="EUR"
        )


def test_timeline_pages_by_keyset_without_gaps_or_repeats(alice, acme, carol):
    _busy_account(acme, carol, alice, 12)
    # Several entries share one instant, so ties between kinds and ids are exercised.
    same = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
    Message.objects.filter(ticket__account=acme).update(created_at=same)
    seen: list[tuple[str, int]] = []
    before = None
    while True:
        page = account_timeline(user=alice, account=acme, before=before, limit=7)
        seen += [(entry.kind, entry.cursor.id) for entry in page.entries]
        if page.next_cursor is None:
            break
        before = TimelineCursor.decode(page.next_cursor)
    ticket_ids = list(acme.tickets.values_list("id", flat=True))
    expected = (
        Event.objects.filter(subject_kind="account", subject_id=acme.pk).count()
        + Event.objects.filter(subject_kind="ticket", subject_id__in=ticket_ids)
        .exclude(action__in=["created", "noted"])
        .exclude(action="replied", field="")
        .count()
        + Message.objects.filter(ticket__account=acme).count()
        + len(ticket_ids)
        + acme.orders.count()
    )
    assert len(seen) == expected == len(set(seen))


def test_timeline_page_through_htmx_returns_the_next_entries(alice, acme, carol):
    _busy_account(acme, carol, alice, 20)
    client = _client(alice)
    html = client.get(f"/accounts/{acme.pk}/").content.decode()
    cursor = _match(r'hx-get="/accounts/\d+/\?before=([0-9-]+)"', html)
    more = client.get(f"/accounts/{acme.pk}/?before={cursor}", headers=HTMX)
    assert more.status_code == 200
    fragment = more.content.decode()
    assert "<h1>" not in fragment
    assert fragment.count('<li class="timeline-entry') == 30
    plain = client.get(f"/accounts/{acme.pk}/?before={cursor}").content.decode()
    assert "Back to the newest" in plain
    # A forged cursor is ignored rather than failing.
    assert client.get(f"/accounts/{acme.pk}/?before=zzz").status_code == 200


def test_account_page_query_count_does_not_grow(alice, morgan, acme, carol, ticket, django_assert_max_num_queries):
    _busy_account(acme, carol, alice, 2)
    client = _client(morgan)
    deep = f"/accounts/{acme.pk}/?before={TimelineCursor(timezone.now() + timedelta(days=1), 2, 10**9).encode()}"
    with CaptureQueriesContext(connection) as few:
        client.get(f"/accounts/{acme.pk}/")
    with CaptureQueriesContext(connection) as few_page:
        client.get(deep, headers=HTMX)
    for index in range(2, 40):
        extra = ticket_create(actor=None, requester=carol, subject=f"Q {index}", body="b")
        ticket_reply(ticket=extra, staff=alice, actor=alice, body="a")
        ticket_update(ticket=extra, actor=alice, priority="high")
        account_update(account=acme, actor=alice, segment=f"seg{index}")
        contact_create(actor=None, account=acme, name=f"P {index}", email=f"p{index}@acme.example")
        order_create(
            actor=None, account=acme, external_id=f"q-{index}", placed_at=timezone.now(), amount="1", currency="EUR"
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(f"/accounts/{acme.pk}/").content.decode()
    with django_assert_max_num_queries(len(few_page.captured_queries)):
        fragment = client.get(deep, headers=HTMX).content.decode()
    assert "Showing the first 50 contacts." not in html  # 41 contacts fit on the page
    assert "Only the latest tickets are shown." in html
    assert fragment.count('<li class="timeline-entry') == 30
    # 13 for the page itself, four for the relationships card (open commitments, open dependencies, cadences,
    # next check-ins), two for follow-ups (the recent ones, the contacts who opted out), one for the health score,
    # five for the client profile card (profile fields, profile, open goals, key people, services), and one per
    # kind of timeline entry.
    assert len(few.captured_queries) <= 25 + len(timeline_sources(user=morgan))


def test_timeline_costs_one_query_then_one_per_kind_on_the_page(alice, acme, carol):
    _busy_account(acme, carol, alice, 5)
    numbers = set(acme.tickets.values_list("number", flat=True))
    with CaptureQueriesContext(connection) as queries:
        page = account_timeline(user=alice, account=acme, limit=40)
        # What the partials show is joined in: reading it costs nothing more.
        shown = {entry.item.ticket.number for entry in page.entries if entry.kind == "message"}
        shown |= {entry.item.ticket_number for entry in page.entries if entry.kind == "ticket_change"}
        messages = [entry.item for entry in page.entries if entry.kind == "message"]
        authors = {message.author_user or message.author_contact for message in messages}
        requesters = {entry.item.requester for entry in page.entries if entry.kind == "ticket"}
    kinds_on_page = {entry.kind for entry in page.entries}
    assert {"message", "ticket_change", "ticket"} <= kinds_on_page
    assert len(queries) == 1 + len(kinds_on_page)
    assert shown and shown <= numbers
    assert authors == {alice, carol}
    assert requesters == {carol}


def test_manager_changes_service_model_with_reason_and_it_shows_on_the_timeline(morgan, dana, acme):
    client = _client(morgan)
    page = client.get(f"/accounts/{acme.pk}/").content.decode()
    assert "Change service model or owner" in page
    response = client.post(
        f"/accounts/{acme.pk}/service-model/",
        {"service_model": "client", "owner": dana.pk, "reason": "Ordered 40k this year", "version": acme.version},
    )
    assert response.status_code == 302
    acme.refresh_from_db()
    assert acme.service_model == "client"
    assert acme.owner == dana
    html = client.get(response.headers["Location"].split("#")[0]).content.decode()
    timeline = html[html.index('id="timeline"') :]
    assert "Service model" in timeline
    assert "Customer → Client" in timeline
    assert "— → dana" in timeline
    assert "Reason: Ordered 40k this year" in timeline
    assert "Client · Dana" in html


def test_the_change_form_is_read_when_its_card_is_opened_not_with_every_page(morgan, alice, dana, acme):
    client = _client(morgan)
    page = client.get(f"/accounts/{acme.pk}/").content.decode()
    form_url = f"/accounts/{acme.pk}/service-model/"
    # The page carries no staff list: the form comes when the card is opened (htmx) or by its own page.
    assert 'name="reason"' not in page
    assert f'hx-get="{form_url}"' in page
    assert f'<a href="{form_url}">' in page
    fragment = client.get(form_url, headers={"HX-Request": "true"}).content.decode()
    assert 'name="reason"' in fragment
    assert "<html" not in fragment
    assert f'<option value="{dana.pk}">' in fragment
    whole = client.get(form_url)
    assert whole.status_code == 200
    assert "<html" in whole.content.decode()
    assert 'name="reason"' in whole.content.decode()
    assert _client(alice).get(form_url).status_code == 403


def test_manager_hands_account_to_another_owner(morgan, dana, ada, acme):
    account_change_service_model(account=acme, actor=morgan, service_model="client", owner=dana, reason="r")
    acme.refresh_from_db()
    response = _client(ada).post(
        f"/accounts/{acme.pk}/service-model/",
        {"service_model": "client", "owner": morgan.pk, "reason": "Dana on leave", "version": acme.version},
    )
    assert response.status_code == 302
    acme.refresh_from_db()
    assert acme.owner == morgan
    assert Event.objects.filter(
        subject_kind="account", subject_id=acme.pk, field="owner", reason="Dana on leave"
    ).exists()


def test_change_without_reason_or_owner_is_refused_inline(morgan, acme):
    client = _client(morgan)
    no_reason = client.post(f"/accounts/{acme.pk}/service-model/", {"service_model": "client", "owner": morgan.pk})
    assert no_reason.status_code == 400
    assert "This field is required." in no_reason.content.decode()
    no_owner = client.post(f"/accounts/{acme.pk}/service-model/", {"service_model": "client", "reason": "Why not"})
    assert no_owner.status_code == 400
    assert "A client needs an owner (their advisor)." in no_owner.content.decode()
    stale = client.post(
        f"/accounts/{acme.pk}/service-model/",
        {"service_model": "client", "owner": morgan.pk, "reason": "r", "version": acme.version + 5},
    )
    assert stale.status_code == 409
    assert "changed by someone else" in stale.content.decode()
    acme.refresh_from_db()
    assert acme.service_model == "customer"


def test_agents_neither_see_nor_use_the_service_model_change(alice, dana, acme):
    client = _client(alice)
    assert "Change service model or owner" not in client.get(f"/accounts/{acme.pk}/").content.decode()
    response = client.post(
        f"/accounts/{acme.pk}/service-model/", {"service_model": "client", "owner": dana.pk, "reason": "I think so"}
    )
    assert response.status_code == 403
    acme.refresh_from_db()
    assert acme.service_model == "customer"


def test_account_pages_are_staff_only(carol, acme, alice, portal_user_for):
    contact = Client()
    contact.force_login(portal_user_for(carol))
    assert contact.get("/accounts/").status_code == 403
    assert contact.get(f"/accounts/{acme.pk}/").status_code == 403
    assert _client(alice).get("/accounts/999999/").status_code == 404
    assert Client().get("/accounts/").status_code == 302


def test_lifetime_spend_keeps_currencies_apart(alice, acme):
    from carefront.accounts.selectors import account_lifetime_spend

    for index, (amount, currency) in enumerate([("1.10", "EUR"), ("2.20", "EUR"), ("3.00", "USD")]):
        order_create(
            actor=None,
            account=acme,
            external_id=f"s-{index}",
            placed_at=timezone.now(),
            amount=amount,
            currency=currency,
        )
    spend = account_lifetime_spend(user=alice, account_id=acme.pk)
    assert [(s.currency, s.total, s.orders) for s in spend] == [
        ("EUR", Decimal("3.30"), 2),
        ("USD", Decimal("3.00"), 1),
    ]
