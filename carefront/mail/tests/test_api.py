"""The email channel's REST endpoints: mailboxes, the webhook for raw messages, the quarantine, delivery states."""

from __future__ import annotations

from typing import Any

import pytest

from carefront.desk.services import ticket_reply
from carefront.mail.models import InboundEmail, InboundState, Mailbox
from carefront.mail.tests.conftest import email_bytes

pytestmark = pytest.mark.django_db


def test_admin_adds_and_changes_a_mailbox(api_client: Any, ada: Any, front_line: Any) -> None:
    client = api_client(ada)
    created = client.post(
        "/api/v1/mail/mailboxes",
        {"address": "Help@Carefront.example", "name": "Help", "team_id": front_line.pk, "tier": 2, "language": "fr"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["address"] == "help@carefront.example" and body["team_id"] == front_line.pk and body["tier"] == 2
    changed = client.patch(
        f"/api/v1/mail/mailboxes/{body['id']}", {"signature": "— Help"}, content_type="application/json"
    )
    assert changed.status_code == 200 and changed.json()["signature"] == "— Help"
    again = client.post(
        "/api/v1/mail/mailboxes", {"address": "help@carefront.example"}, content_type="application/json"
    )
    assert again.status_code == 409 and again.json()["field"] == "address"


def test_mailbox_with_unknown_team_or_bad_language_is_refused(api_client: Any, ada: Any) -> None:
    client = api_client(ada)
    response = client.post(
        "/api/v1/mail/mailboxes", {"address": "a@b.example", "team_id": 999}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["field"] == "team_id"
    response = client.post(
        "/api/v1/mail/mailboxes", {"address": "a@b.example", "language": "xx"}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["field"] == "language"
    assert not Mailbox.objects.exists()


def test_agents_cannot_manage_mailboxes_or_read_received_mail(api_client: Any, alice: Any, support: Mailbox) -> None:
    client = api_client(alice)
    assert client.get("/api/v1/mail/mailboxes").status_code == 403
    assert client.get(f"/api/v1/mail/mailboxes/{support.pk}").status_code == 404
    assert client.post("/api/v1/mail/inbound", email_bytes(), content_type="message/rfc822").status_code == 403
    assert client.get("/api/v1/mail/inbound").status_code == 403


def test_webhook_stores_raw_message_once_and_files_it(
    api_client: Any, ada: Any, support: Mailbox, carol: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = api_client(ada)
    raw = email_bytes(subject="Via the provider")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/mail/inbound?to=support@carefront.example&from=carol@acme.example",
            raw,
            content_type="message/rfc822",
        )
    assert response.status_code == 202 and response.json()["created"] is True
    stored = InboundEmail.objects.get(pk=response.json()["id"])
    assert bytes(stored.raw) == raw and stored.via == "webhook" and stored.mailbox == support
    assert stored.state == InboundState.PROCESSED
    assert stored.ticket is not None and stored.ticket.subject == "Via the provider"
    again = client.post("/api/v1/mail/inbound", raw, content_type="message/rfc822")
    assert again.status_code == 202 and again.json() == {"id": stored.pk, "created": False, "state": "processed"}


def test_webhook_refuses_an_empty_body_or_one_that_is_not_a_message(api_client: Any, ada: Any) -> None:
    response = api_client(ada).post("/api/v1/mail/inbound", b"", content_type="message/rfc822")
    assert response.status_code == 400 and response.json()["field"] == "raw"
    response = api_client(ada).post("/api/v1/mail/inbound", b"just some words\n", content_type="message/rfc822")
    assert response.status_code == 400 and "no header fields" in response.json()["detail"]
    assert not InboundEmail.objects.exists()


def test_quarantine_lists_downloads_and_reprocesses(
    api_client: Any, ada: Any, receive: Any, support: Mailbox, django_capture_on_commit_callbacks: Any
) -> None:
    raw = b"Subject: no sender\r\n\r\nWho wrote this?\r\n"
    stored = receive(raw)
    client = api_client(ada)
    listed = client.get("/api/v1/mail/inbound")
    assert [item["id"] for item in listed.json()["results"]] == [stored.pk]
    assert "no sender" in listed.json()["results"][0]["reason"]
    download = client.get(f"/api/v1/mail/inbound/{stored.pk}/raw")
    assert download.status_code == 200 and download.content == raw
    assert download["Content-Type"] == "message/rfc822"
    with django_capture_on_commit_callbacks(execute=True):
        reprocessed = client.post(f"/api/v1/mail/inbound/{stored.pk}/reprocess")
    assert reprocessed.status_code == 202
    stored.refresh_from_db()
    assert stored.state == InboundState.QUARANTINED and stored.attempts == 2
    assert client.post(f"/api/v1/mail/inbound/{stored.pk}/reprocess").status_code == 202
    processed = receive(email_bytes())
    refused = client.post(f"/api/v1/mail/inbound/{processed.pk}/reprocess")
    assert refused.status_code == 409


def test_ticket_emails_show_each_delivery_state(
    api_client: Any, alice: Any, charlie: Any, receive: Any, support: Mailbox, carol: Any, portal_user_for: Any
) -> None:
    ticket = receive(email_bytes()).ticket
    reply = ticket_reply(ticket=ticket, body="On its way.", staff=alice, actor=alice)
    response = api_client(alice).get(f"/api/v1/tickets/{ticket.pk}/emails")
    assert response.status_code == 200
    kinds = [(item["kind"], item["state"], item["message_id_in_ticket"]) for item in response.json()["results"]]
    assert kinds == [("acknowledgement", "sent", None), ("reply", "queued", reply.pk)]
    assert response.json()["results"][1]["to"] == ["carol@acme.example"]
    outsider = api_client(portal_user_for(charlie)).get(f"/api/v1/tickets/{ticket.pk}/emails")
    assert outsider.status_code == 404


def test_staff_set_an_organisations_domains_and_a_person_cannot_have_any(
    api_client: Any, alice: Any, acme: Any, globex: Any
) -> None:
    client = api_client(alice)
    response = client.put(
        f"/api/v1/accounts/{acme.pk}/domains",
        {"domains": ["Acme.example", "@acme.test"]},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json() == {"domains": ["acme.example", "acme.test"]}
    assert client.get(f"/api/v1/accounts/{acme.pk}/domains").json() == {"domains": ["acme.example", "acme.test"]}
    taken = client.put(
        f"/api/v1/accounts/{globex.pk}/domains", {"domains": ["acme.example"]}, content_type="application/json"
    )
    assert taken.status_code == 409 and "Acme Ltd" in taken.json()["detail"]
    bad = client.put(
        f"/api/v1/accounts/{globex.pk}/domains", {"domains": ["not a domain"]}, content_type="application/json"
    )
    assert bad.status_code == 400 and bad.json()["field"] == "domains"
