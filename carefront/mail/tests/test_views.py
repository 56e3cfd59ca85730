"""Settings → Email, a message's original email, and the email parts of the ticket page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from carefront.desk.services import ticket_reply
from carefront.mail.models import InboundState, Mailbox
from carefront.mail.tests.conftest import email_bytes

pytestmark = pytest.mark.django_db


def _signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_admin_adds_a_mailbox_in_settings(ada: Any, front_line: Any) -> None:
    client = _signed_in(ada)
    page = client.get(reverse("web:settings-mail"))
    assert page.status_code == 200 and "No mailboxes yet" in page.content.decode()
    response = client.post(
        reverse("web:settings-mail"),
        {
            "address": "help@carefront.example",
            "name": "Help",
            "team": front_line.pk,
            "language": "en",
            "tier": 1,
            "auto_acknowledge": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    mailbox = Mailbox.objects.get()
    assert mailbox.address == "help@carefront.example" and mailbox.team == front_line and mailbox.auto_acknowledge


def test_duplicate_mailbox_is_shown_as_a_form_error(ada: Any, support: Mailbox) -> None:
    response = _signed_in(ada).post(
        reverse("web:settings-mail"), {"address": support.address, "language": "en", "tier": 1}
    )
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert Mailbox.objects.count() == 1


def test_quarantine_lists_reason_and_offers_download_and_refiling(ada: Any, receive: Any, support: Mailbox) -> None:
    stored = receive(b"Subject: orphan\r\n\r\nNo sender.\r\n")
    client = _signed_in(ada)
    page = client.get(reverse("web:settings-mail")).content.decode()
    assert "orphan" in page and "no sender address" in page
    download = client.get(reverse("web:mail-inbound-download", args=[stored.pk]))
    assert download.content == bytes(stored.raw) and "attachment" in download["Content-Disposition"]
    assert client.post(reverse("web:mail-inbound-reprocess", args=[stored.pk])).status_code == 302


def test_agents_cannot_open_email_settings_or_quarantined_mail(alice: Any, receive: Any, support: Mailbox) -> None:
    stored = receive(b"Subject: orphan\r\n\r\nNo sender.\r\n")
    client = _signed_in(alice)
    assert client.get(reverse("web:settings-mail")).status_code == 403
    assert client.get(reverse("web:mail-inbound-download", args=[stored.pk])).status_code == 403
    assert stored.state == InboundState.QUARANTINED


def test_original_email_shows_full_text_and_strips_remote_images(
    alice: Any, receive: Any, support: Mailbox, carol: Any
) -> None:
    raw = (
        b"From: Carol Jones <carol@acme.example>\r\nTo: support@carefront.example\r\nSubject: Styled\r\n"
        b"Message-ID: <styled@mail.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b'<p>Hello <b>there</b></p><img src="https://tracker.example/pixel.gif"><script>alert(1)</script>\r\n'
    )
    row = receive(raw)
    client = _signed_in(alice)
    ticket_page = client.get(reverse("web:ticket", args=[row.ticket.number])).content.decode()
    original_url = reverse("web:mail-original", args=[row.ticket.number, row.message.pk])
    assert original_url in ticket_page
    page = client.get(original_url).content.decode()
    assert "<b>there</b>" in page and "tracker.example" not in page and "alert(1)" not in page
    download = client.get(reverse("web:mail-original-download", args=[row.ticket.number, row.message.pk]))
    assert download.content == raw


def test_ticket_page_shows_flags_and_delivery_states(
    alice: Any, receive: Any, support: Mailbox, carol: Any, charlie: Any
) -> None:
    ticket = receive(email_bytes(message_id="<q@mail.example>")).ticket
    receive(email_bytes(sender="charlie@globex.example", in_reply_to="<q@mail.example>", body="Me too"))
    ticket_reply(ticket=ticket, body="We are on it.", staff=alice, actor=alice)
    client = _signed_in(alice)
    page = client.get(reverse("web:ticket", args=[ticket.number])).content.decode()
    assert "From a non-participant" in page
    assert "Emailed to carol@acme.example: Queued" in page
    card = client.get(reverse("web:mail-ticket-card", args=[ticket.number])).content.decode()
    assert "Acknowledgement" in card and "Sent" in card and "Reply" in card


def test_email_card_warns_when_the_requesters_address_bounces(
    alice: Any, receive: Any, support: Mailbox, carol: Any
) -> None:
    from carefront.accounts.services import contact_set_email_failing

    ticket = receive(email_bytes()).ticket
    contact_set_email_failing(contact=carol, failing=True, reason="550 5.1.1 User unknown")
    card = _signed_in(alice).get(reverse("web:mail-ticket-card", args=[ticket.number])).content.decode()
    assert "bounces" in card and "User unknown" in card
