"""Real SMTP: the listener process takes mail with smtplib, a worker process files it; replies go out over
SMTP to a local sink, threaded, with their delivery state kept."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings

from carefront.core.tests.processes import CarefrontProcess, free_port
from carefront.desk.models import Ticket
from carefront.desk.services import ticket_reply
from carefront.mail.models import DeliveryState, InboundEmail, InboundState, Mailbox, OutboundEmail, OutboundKind
from carefront.mail.services import outbound_deliver
from carefront.mail.tests.conftest import email_bytes
from carefront.mail.tests.sink import Sink, smtp_sink


@pytest.fixture
def listener(transactional_db: Any, real_queue: dict[str, str]) -> Iterator[tuple[str, int]]:
    port = free_port()
    process = CarefrontProcess(["mail", "listen", "--listen", f"127.0.0.1:{port}"], env=real_queue)
    try:
        process.wait_for(r"Listening for SMTP on", timeout=60)
        yield "127.0.0.1", port
    finally:
        assert process.stop() == 0, process.output()


@pytest.fixture
def sink() -> Iterator[Sink]:
    with (
        smtp_sink() as running,
        override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST=running.host,
            EMAIL_PORT=running.port,
            EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False,
        ),
    ):
        yield running


@pytest.mark.queue
def test_mail_sent_to_listener_is_stored_before_250_and_filed_by_worker(
    listener: tuple[str, int], real_queue: dict[str, str], carol: Any
) -> None:
    """GIVEN the SMTP listener and, later, a worker on the same database and queue
    WHEN a message is sent with smtplib THEN it is stored by the time the 250 arrives (no worker yet),
    and the worker, once started, files it as a ticket."""
    Mailbox.objects.create(address="support@carefront.example")
    with smtplib.SMTP(*listener, timeout=30) as client:
        refused = client.sendmail(
            "carol@acme.example", ["support@carefront.example"], email_bytes(subject="Printer on fire")
        )
    assert refused == {}
    stored = InboundEmail.objects.get()
    assert stored.state == InboundState.RECEIVED and stored.via == "smtp"
    assert stored.envelope_to == ["support@carefront.example"]

    worker = CarefrontProcess(["worker", "--workers", "1"], env=real_queue)
    try:
        worker.wait_for(r"carefront\.mail\.tasks\.process_inbound: .* executed in", timeout=60)
    finally:
        worker.stop()
    stored.refresh_from_db()
    assert stored.state == InboundState.PROCESSED
    assert Ticket.objects.get().subject == "Printer on fire"


@pytest.mark.queue
def test_listener_refuses_addresses_that_are_not_our_mailboxes(listener: tuple[str, int]) -> None:
    Mailbox.objects.create(address="support@carefront.example")
    with smtplib.SMTP(*listener, timeout=30) as client, pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        client.sendmail("carol@acme.example", ["nobody@carefront.example"], email_bytes(to="nobody@carefront.example"))
    assert refused.value.recipients["nobody@carefront.example"][0] == 550
    assert not InboundEmail.objects.exists()


def test_agent_reply_reaches_the_sink_threaded_as_text_and_html(
    sink: Sink, receive: Any, support: Mailbox, carol: Any, alice: Any, django_capture_on_commit_callbacks: Any
) -> None:
    opened = receive(email_bytes(message_id="<question@mail.example>"))
    acknowledgement = sink.wait_for(1)[0]
    assert acknowledgement["Auto-Submitted"] == "auto-replied"
    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket_reply(ticket=opened.ticket, body="We are sending a new parcel.", staff=alice, actor=alice)
    sent = sink.wait_for(2)[1]
    assert sent["To"] == "carol@acme.example"
    assert sent["From"] == "Carefront Support <support@carefront.example>"
    assert sent["Reply-To"] == "support@carefront.example"
    assert sent["In-Reply-To"] == "<question@mail.example>"
    assert "<question@mail.example>" in sent["References"]
    assert f"[#{opened.ticket.number}]" in sent["Subject"]
    assert "Auto-Submitted" not in sent
    text = sent.get_body(preferencelist=("plain",))
    html = sent.get_body(preferencelist=("html",))
    assert text is not None and "We are sending a new parcel." in text.get_content()
    assert html is not None and "We are sending a new parcel." in html.get_content()
    assert "The support team" in text.get_content()
    row = OutboundEmail.objects.get(message=reply)
    assert row.state == DeliveryState.SENT and row.kind == OutboundKind.REPLY
    assert sent["Message-ID"] == f"<{row.message_id_header}>"


def test_temporary_refusal_defers_with_growing_delay_and_permanent_one_fails_with_reason(
    sink: Sink, support: Mailbox, ticket: Ticket, alice: Any
) -> None:
    reply = ticket_reply(ticket=ticket, body="Here is the answer.", staff=alice, actor=alice)
    row = OutboundEmail.objects.get(message=reply)
    sink.answer = "451 4.3.0 Mailbox busy"
    first = outbound_deliver(outbound_id=row.pk)
    second = outbound_deliver(outbound_id=row.pk)
    assert first.state == second.state == DeliveryState.DEFERRED
    assert first.retry_in is not None and second.retry_in is not None and second.retry_in == 2 * first.retry_in
    row.refresh_from_db()
    assert row.attempts == 2 and "451" in row.last_error and "Mailbox busy" in row.last_error

    sink.answer = "550 5.1.1 User unknown"
    assert outbound_deliver(outbound_id=row.pk).state == DeliveryState.FAILED
    row.refresh_from_db()
    assert row.state == DeliveryState.FAILED and "User unknown" in row.last_error
    assert sink.messages == []


def test_delivery_to_a_server_that_is_down_is_deferred(support: Mailbox, ticket: Ticket, alice: Any) -> None:
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=free_port()
    ):
        reply = ticket_reply(ticket=ticket, body="Here is the answer.", staff=alice, actor=alice)
        delivery = outbound_deliver(outbound_id=OutboundEmail.objects.get(message=reply).pk)
    assert delivery.state == DeliveryState.DEFERRED
    assert "ConnectionRefusedError" in OutboundEmail.objects.get(message=reply).last_error
