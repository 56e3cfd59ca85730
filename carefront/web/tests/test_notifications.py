"""The bell: unread count fetched after the page loads, the list, and marking read on the way to the ticket."""

from __future__ import annotations

from typing import Any

from django.test import Client

from carefront.core.models import Notification
from carefront.desk.models import Ticket
from carefront.desk.services import ticket_assign


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_assignment_rings_the_bell_and_opening_it_marks_it_read(
    alice: Any, bob: Any, ticket: Ticket, django_capture_on_commit_callbacks: Any, mailoutbox: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ticket_assign(ticket=ticket, actor=alice, assignee=bob)
    client = _client(bob)
    page = client.get("/").content.decode()
    assert 'hx-get="/notifications/bell/"' in page
    assert "1 unread" in client.get("/notifications/bell/").content.decode()
    listed = client.get("/notifications/").content.decode()
    assert f"Ticket #{ticket.number} “Parcel never arrived” was assigned to you." in listed
    notification = Notification.objects.get(recipient=bob)
    opened = client.post(
        "/notifications/read/", {"notification": notification.pk, "next": f"/tickets/{ticket.number}/"}
    )
    assert opened.status_code == 302 and opened["Location"] == f"/tickets/{ticket.number}/"
    assert "unread" not in client.get("/notifications/bell/").content.decode()
    # The email links to the ticket in the workspace.
    assert f"/tickets/{ticket.number}/" in mailoutbox[0].body


def test_marking_all_read_touches_only_ones_own_and_an_outside_next_is_ignored(
    alice: Any, bob: Any, ticket: Ticket, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ticket_assign(ticket=ticket, actor=alice, assignee=bob)
        ticket_assign(ticket=ticket, actor=bob, assignee=alice)
    response = _client(bob).post("/notifications/read/", {"next": "https://evil.example/"})
    assert response["Location"] == "/notifications/"
    assert Notification.objects.get(recipient=bob).read_at is not None
    assert Notification.objects.get(recipient=alice).read_at is None
    # Bob's list shows his one notification, not the one Alice got.
    assert _client(bob).get("/notifications/").content.decode().count('name="notification"') == 1


def test_contacts_have_no_bell(carol: Any, portal_user_for: Any) -> None:
    client = Client()
    client.force_login(portal_user_for(carol))
    assert client.get("/notifications/").status_code in {302, 403}
    assert client.get("/notifications/bell/").status_code in {302, 403}


def test_a_mention_in_a_note_notifies_that_staff_member_only(
    alice: Any, bob: Any, dana: Any, ticket: Ticket, carol: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from carefront.desk.services import ticket_add_note

    with django_capture_on_commit_callbacks(execute=True):
        ticket_add_note(
            ticket=ticket, actor=alice, body="@Bob can you check? Copying @alice and carol@acme.example, not @nobody."
        )
    assert list(Notification.objects.values_list("recipient__username", "verb")) == [("bob", "mentioned")]
    assert (
        Notification.objects.get().text
        == f"Alice mentioned you in a note on ticket #{ticket.number} “Parcel never arrived”."
    )
