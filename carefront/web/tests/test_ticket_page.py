"""The ticket page: conversation, editor, in-place property changes, history, account sidebar, presence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from carefront.accounts.services import contact_create, order_create
from carefront.desk.models import Status, Ticket, TicketPresence
from carefront.desk.services import NewAttachment, ticket_add_note, ticket_create, ticket_reply, ticket_update

HTMX = {"HX-Request": "true"}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _page(client: Client, ticket: Ticket) -> str:
    response = client.get(f"/tickets/{ticket.number}/")
    assert response.status_code == 200
    return response.content.decode()


def test_conversation_tells_replies_from_notes_and_links_attachments(alice, ticket):
    reply = ticket_reply(
        ticket=ticket,
        staff=alice,
        actor=alice,
        body="We have sent a new parcel.",
        attachments=[NewAttachment(filename="label.pdf", content_type="application/pdf", content=b"%PDF-1.4")],
    )
    ticket_add_note(ticket=ticket, actor=alice, body="Courier confirmed the loss.")
    html = _page(_client(alice), ticket)
    assert 'class="message message-public message-contact"' in html
    assert 'class="message message-public message-staff"' in html
    assert 'class="message message-internal message-staff"' in html
    assert "Courier confirmed the loss." in html
    attachment = reply.attachments.get()
    url = f"/api/v1/tickets/{ticket.pk}/messages/{reply.pk}/attachments/{attachment.pk}"
    assert f'href="{url}"' in html
    assert "channel-badge channel-email" in html
    assert _client(alice).get(url).status_code == 200


def test_times_are_shown_in_the_viewers_zone(alice, dana, ticket):
    ticket.messages.update(created_at=datetime(2025, 1, 15, 12, 0, tzinfo=UTC))
    # Dana works from Paris (UTC+1 in January); Alice's profile says UTC.
    assert 'datetime="2025-01-15T13:00:00+01:00"' in _page(_client(dana), ticket)
    assert 'datetime="2025-01-15T12:00:00+00:00"' in _page(_client(alice), ticket)


def test_reply_through_htmx_appends_message_and_sets_status(alice, ticket):
    response = _client(alice).post(
        f"/tickets/{ticket.number}/messages/",
        {"kind": "reply", "body": "A new parcel is on its way.", "status": "pending"},
        headers=HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'hx-swap-oob="beforeend:#message-list"' in html
    assert "A new parcel is on its way." in html
    assert (
        'id="ticket-properties" class="card ticket-properties" aria-labelledby="properties-heading" hx-swap-oob' in html
    )
    assert 'id="ticket-history"' in html
    assert '<option value="pending" selected>' in html
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    assert ticket.first_responded_at is not None
    message = ticket.messages.order_by("id").last()
    assert message.visibility == "public"
    assert message.author_user == alice


def test_reply_without_htmx_redirects_to_the_message(alice, ticket):
    response = _client(alice).post(f"/tickets/{ticket.number}/messages/", {"kind": "reply", "body": "Hello"})
    message = ticket.messages.order_by("id").last()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/tickets/{ticket.number}/#message-{message.pk}"


def test_note_through_htmx_stays_internal_and_keeps_the_note_tab(alice, ticket):
    response = _client(alice).post(
        f"/tickets/{ticket.number}/messages/",
        {"kind": "note", "body": "Check the courier.", "status": ""},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert 'id="kind-note" value="note" checked' in response.content.decode()
    note = ticket.messages.order_by("id").last()
    assert note.visibility == "internal"
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    assert ticket.first_responded_at is None


def test_note_cannot_set_a_status(alice, ticket):
    response = _client(alice).post(
        f"/tickets/{ticket.number}/messages/", {"kind": "note", "body": "x", "status": "solved"}, headers=HTMX
    )
    assert response.status_code == 400
    assert "A note does not change the status" in response.content.decode()
    assert ticket.messages.count() == 1


def test_reply_uploads_attachments(alice, ticket):
    files = [
        SimpleUploadedFile("invoice.pdf", b"%PDF-1.4 invoice", content_type="application/pdf"),
        SimpleUploadedFile("photo.png", b"\x89PNG fake", content_type="image/png"),
    ]
    response = _client(alice).post(
        f"/tickets/{ticket.number}/messages/",
        {"kind": "reply", "body": "Attached.", "attachments": files},
        headers=HTMX,
    )
    assert response.status_code == 200
    message = ticket.messages.order_by("id").last()
    stored = {a.filename: a for a in message.attachments.all()}
    assert set(stored) == {"invoice.pdf", "photo.png"}
    assert stored["invoice.pdf"].file.read() == b"%PDF-1.4 invoice"
    assert "invoice.pdf" in response.content.decode()


def test_too_large_attachment_is_refused_inline_and_the_text_kept(alice, ticket, settings):
    settings.CAREFRONT_MAX_ATTACHMENT_BYTES = 10
    response = _client(alice).post(
        f"/tickets/{ticket.number}/messages/",
        {"kind": "reply", "body": "My long answer", "attachments": [SimpleUploadedFile("big.bin", b"x" * 11)]},
        headers=HTMX,
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "big.bin is larger than" in html
    assert "My long answer</textarea>" in html
    assert ticket.messages.count() == 1


def test_empty_reply_is_refused_inline(alice, ticket):
    response = _client(alice).post(f"/tickets/{ticket.number}/messages/", {"kind": "reply", "body": " "}, headers=HTMX)
    assert response.status_code == 400
    assert 'id="editor-body-error"' in response.content.decode()


def _close(ticket: Ticket, actor) -> None:
    ticket_update(ticket=ticket, actor=actor, status="solved")
    ticket_update(ticket=ticket, actor=actor, status="closed")


def test_reply_to_closed_ticket_is_refused_inline_and_nothing_lost(alice, ticket):
    _close(ticket, alice)
    response = _client(alice).post(
        f"/tickets/{ticket.number}/messages/", {"kind": "reply", "body": "Sorry for the wait!"}, headers=HTMX
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert f"Ticket #{ticket.number} is closed and cannot change" in html
    assert 'role="alert"' in html
    assert "Sorry for the wait!</textarea>" in html
    assert ticket.messages.count() == 1


def test_status_change_on_closed_ticket_is_refused_inline(alice, ticket):
    _close(ticket, alice)
    response = _client(alice).post(f"/tickets/{ticket.number}/properties/status/", {"status": "open"}, headers=HTMX)
    assert response.status_code == 409
    html = response.content.decode()
    assert f"Ticket #{ticket.number} is closed and cannot change" in html
    assert 'id="ticket-properties"' in html
    # The agent's choice stays in the control beside the reason.
    assert '<option value="open" selected>' in html
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_status_change_returns_properties_and_history(alice, ticket):
    response = _client(alice).post(f"/tickets/{ticket.number}/properties/status/", {"status": "on_hold"}, headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="ticket-properties"')
    assert '<option value="on_hold" selected>' in html
    assert (
        'id="ticket-history" class="card ticket-history" aria-labelledby="history-heading" hx-swap-oob="true"' in html
    )
    assert "New → On hold" in html
    ticket.refresh_from_db()
    assert ticket.status == Status.ON_HOLD


@pytest.mark.parametrize(
    ("field", "value", "check"),
    [
        ("priority", "urgent", lambda t, ctx: t.priority == "urgent"),
        ("tier", "3", lambda t, ctx: t.tier == 3),
        ("assignee", "bob", lambda t, ctx: t.assignee == ctx["bob"]),
        ("team", "front_line", lambda t, ctx: t.team == ctx["front_line"]),
        (
            "tags",
            "Refund, courier  late",
            lambda t, ctx: sorted(t.tags.values_list("name", flat=True)) == ["courier", "late", "refund"],
        ),
    ],
)
def test_each_property_changes_in_place(alice, bob, front_line, ticket, field, value, check):
    ctx = {"bob": bob, "front_line": front_line}
    posted = {"bob": str(bob.pk), "front_line": str(front_line.pk)}.get(value, value)
    response = _client(alice).post(f"/tickets/{ticket.number}/properties/{field}/", {field: posted}, headers=HTMX)
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert check(ticket, ctx)
    assert 'hx-swap-oob="true"' in response.content.decode()
    assert ticket.version == 2 or field == "assignee"


def test_unassigning_and_invalid_values(alice, bob, ticket):
    client = _client(alice)
    ticket_update(ticket=ticket, actor=alice, assignee=bob)
    assert (
        client.post(f"/tickets/{ticket.number}/properties/assignee/", {"assignee": ""}, headers=HTMX).status_code == 200
    )
    ticket.refresh_from_db()
    assert ticket.assignee is None
    bad = client.post(f"/tickets/{ticket.number}/properties/priority/", {"priority": "whenever"}, headers=HTMX)
    assert bad.status_code == 400
    assert "Select a valid choice" in bad.content.decode()
    assert client.post(f"/tickets/{ticket.number}/properties/subject/", {"subject": "x"}).status_code == 404


def test_property_change_without_htmx_redirects_back(alice, ticket):
    response = _client(alice).post(f"/tickets/{ticket.number}/properties/priority/", {"priority": "high"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/tickets/{ticket.number}/"


def test_history_lists_who_changed_what_oldest_first(alice, bob, ticket):
    ticket_update(ticket=ticket, actor=alice, priority="high")
    ticket_update(ticket=ticket, actor=bob, assignee=bob)
    html = _page(_client(alice), ticket)
    history = html[html.index('id="ticket-history"') :]
    assert history.index("Normal → High") < history.index("— → bob")
    assert "<strong>Bob</strong>" in history
    assert "System" in history  # the ticket was opened by the system (actor None)


def test_presence_between_two_users(alice, bob, ticket):
    alice_client, bob_client = _client(alice), _client(bob)
    first = alice_client.post(f"/tickets/{ticket.number}/presence/", {"state": "viewing"}, headers=HTMX)
    assert first.status_code == 200
    assert "is viewing" not in first.content.decode()
    bob_sees = bob_client.post(f"/tickets/{ticket.number}/presence/", {"state": "replying"}, headers=HTMX)
    assert "Alice is viewing" in bob_sees.content.decode()
    alice_sees = alice_client.post(f"/tickets/{ticket.number}/presence/", {"state": "viewing"}, headers=HTMX)
    assert "Bob is replying" in alice_sees.content.decode()
    assert "Bob is replying" in _page(alice_client, ticket)
    assert TicketPresence.objects.filter(ticket=ticket).count() == 2


def test_presence_older_than_thirty_seconds_is_ignored(alice, bob, ticket):
    _client(bob).post(f"/tickets/{ticket.number}/presence/", {"state": "replying"})
    TicketPresence.objects.filter(user=bob).update(seen_at=timezone.now() - timedelta(seconds=31))
    response = _client(alice).post(f"/tickets/{ticket.number}/presence/", {"state": "viewing"})
    assert "Bob" not in response.content.decode()


def test_presence_poll_is_a_ten_second_htmx_trigger(alice, ticket):
    html = _page(_client(alice), ticket)
    assert f'hx-post="/tickets/{ticket.number}/presence/" hx-trigger="load, every 10s, cf-presence"' in html


def test_sidebar_shows_account_figures(alice, dana, morgan, ticket, carol):
    from carefront.accounts.services import account_change_service_model

    account = account_change_service_model(
        account=ticket.account, actor=morgan, service_model="client", owner=dana, reason="Big buyer"
    )
    now = timezone.now()
    for index in range(7):
        order_create(
            actor=None,
            account=account,
            external_id=f"o-{index}",
            placed_at=now - timedelta(days=index),
            currency="EUR" if index % 2 else "GBP",
            amount=Decimal("100.25") * (index + 1),
        )
    other = ticket_create(actor=None, requester=carol, subject="Wrong size", body="Too small.")
    solved = ticket_create(actor=None, requester=carol, subject="Old question", body="?")
    ticket_update(ticket=solved, actor=alice, status="solved")
    carol.time_zone = "Asia/Tokyo"
    carol.save(update_fields=["time_zone"])

    html = _page(_client(alice), ticket)
    sidebar = html[html.index('class="card account-sidebar"') :]
    assert "Client · Dana" in sidebar
    assert "<dd>Client</dd>" in sidebar  # the lifecycle stage follows the service model
    assert "<dd>en-GB</dd>" in sidebar
    assert "(Asia/Tokyo)" in sidebar
    # GBP orders are 1, 3, 5, 7 x 100.25; EUR orders 2, 4, 6 x 100.25.
    assert "1,604.00 GBP" in sidebar
    assert "1,203.00 EUR" in sidebar
    assert sidebar.count('<span class="muted">o-') == 5
    assert "o-5" not in sidebar
    assert f'href="/tickets/{other.number}/"' in sidebar
    assert f"#{solved.number}" not in sidebar
    assert f"#{ticket.number} " not in sidebar


def test_requester_time_falls_back_to_the_account_zone(alice, ticket):
    html = _page(_client(alice), ticket)
    assert "(Europe/London)" in html


def test_j_and_k_lead_to_the_neighbouring_tickets_of_the_inbox(alice, carol, ticket):
    newer = ticket_create(actor=None, requester=carol, subject="Newer", body="b")
    newest = ticket_create(actor=None, requester=carol, subject="Newest", body="b")
    html = _page(_client(alice), newer)
    assert f'<link rel="next" href="/tickets/{ticket.number}/">' in html
    assert f'<link rel="prev" href="/tickets/{newest.number}/">' in html
    assert f'href="/tickets/{ticket.number}/" rel="next" data-shortcut="j"' in html
    assert f'href="/tickets/{newest.number}/" rel="prev" data-shortcut="k"' in html
    assert 'data-shortcut="r"' in html
    assert 'data-shortcut="n"' in html
    assert 'data-shortcut="?"' in html
    assert 'id="shortcuts-dialog"' in html


def test_page_is_staff_only_and_unknown_numbers_are_404(alice, carol, ticket, portal_user_for):
    contact_client = Client()
    contact_client.force_login(portal_user_for(carol))
    assert contact_client.get(f"/tickets/{ticket.number}/").status_code == 403
    assert contact_client.post(f"/tickets/{ticket.number}/presence/").status_code == 403
    assert _client(alice).get(f"/tickets/{ticket.number + 100}/").status_code == 404
    assert _client(alice).get(f"/tickets/{ticket.number}/presence/").status_code == 405


def _grow(ticket: Ticket, alice, bob, carol, rounds: int, start: int = 0) -> None:
    for index in range(start, start + rounds):
        ticket_reply(ticket=ticket, staff=alice, actor=alice, body=f"Reply {index}")
        ticket_add_note(
            ticket=ticket,
            actor=bob,
            body=f"Note {index}",
            attachments=[NewAttachment(filename=f"n{index}.txt", content_type="text/plain", content=b"x")],
        )
        ticket_update(ticket=ticket, actor=alice, priority="high" if index % 2 else "low", tags=[f"t{index}"])
        order_create(
            actor=None,
            account=ticket.account,
            external_id=f"grow-{ticket.pk}-{index}",
            placed_at=timezone.now(),
            currency="EUR",
            amount="10",
        )
        ticket_create(actor=None, requester=carol, subject=f"Other {index}", body="b")
        contact_create(actor=None, account=ticket.account, name=f"Person {index}", email=f"p{index}@acme.example")


def test_page_query_count_does_not_grow_with_the_conversation(alice, bob, carol, ticket, django_assert_max_num_queries):
    client = _client(alice)
    client.post(f"/tickets/{ticket.number}/presence/", {"state": "viewing"})
    _client(bob).post(f"/tickets/{ticket.number}/presence/", {"state": "viewing"})
    _grow(ticket, alice, bob, carol, 1)
    with CaptureQueriesContext(connection) as small:
        _page(client, ticket)
    _grow(ticket, alice, bob, carol, 12, start=1)
    with django_assert_max_num_queries(len(small.captured_queries)):
        html = _page(client, ticket)
    assert "Reply 12" in html
    assert "Bob is viewing" in html
    # Session and user, the ticket with its tags and SLA clocks (and its routing), the conversation, history,
    # sidebar (with the cost to serve and the cost rates), neighbours, presence, form choices, the macro menu and
    # the linked tickets; and, from the email channel, which messages came by email and each emailed reply's delivery.
    assert len(small.captured_queries) <= 24, [q["sql"][:90] for q in small.captured_queries]


def test_endpoint_query_counts_do_not_grow(alice, bob, carol, ticket, django_assert_max_num_queries):
    client = _client(alice)
    _grow(ticket, alice, bob, carol, 1)
    with CaptureQueriesContext(connection) as small_property:
        client.post(f"/tickets/{ticket.number}/properties/priority/", {"priority": "urgent"}, headers=HTMX)
    with CaptureQueriesContext(connection) as small_reply:
        client.post(f"/tickets/{ticket.number}/messages/", {"kind": "reply", "body": "x"}, headers=HTMX)
    _grow(ticket, alice, bob, carol, 10, start=1)
    with django_assert_max_num_queries(len(small_property.captured_queries)):
        client.post(f"/tickets/{ticket.number}/properties/priority/", {"priority": "normal"}, headers=HTMX)
    with django_assert_max_num_queries(len(small_reply.captured_queries)):
        client.post(f"/tickets/{ticket.number}/messages/", {"kind": "reply", "body": "y"}, headers=HTMX)
    with django_assert_max_num_queries(8):
        client.post(f"/tickets/{ticket.number}/presence/", {"state": "viewing"}, headers=HTMX)
