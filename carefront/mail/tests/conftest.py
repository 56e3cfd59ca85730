"""Fixtures of the email channel: a support mailbox, a way to receive a message as the listener does, and a
private Dovecot for the IMAP tests."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

import pytest
from django.utils import timezone

from carefront.core.models import Team
from carefront.mail.models import InboundEmail, Mailbox
from carefront.mail.services import inbound_store
from carefront.mail.tests.dovecot import Dovecot, dovecot_server


@pytest.fixture
def support(db: Any, front_line: Team) -> Mailbox:
    return Mailbox.objects.create(
        address="support@carefront.example", name="Carefront Support", team=front_line, signature="The support team"
    )


def email_bytes(
    *,
    sender: str = "Carol Jones <carol@acme.example>",
    to: str = "support@carefront.example",
    subject: str = "Parcel never arrived",
    body: str = "Order 1001 is late.",
    cc: str = "",
    message_id: str | None = None,
    in_reply_to: str = "",
    references: str = "",
    headers: dict[str, str] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = message_id or make_msgid(domain="mail.example")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message.as_bytes()


@pytest.fixture
def receive(django_capture_on_commit_callbacks: Any) -> Callable[..., InboundEmail]:
    """Store a message as the SMTP listener does and run its filing job (the queue is immediate in tests)."""

    def deliver(
        raw: bytes,
        *,
        via: str = "smtp",
        envelope_to: tuple[str, ...] = ("support@carefront.example",),
        envelope_from: str = "",
    ) -> InboundEmail:
        with django_capture_on_commit_callbacks(execute=True):
            row, _created = inbound_store(raw=raw, via=via, envelope_to=envelope_to, envelope_from=envelope_from)
        return InboundEmail.objects.get(pk=row.pk)

    return deliver


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """One Dovecot for the session (each xdist worker has its own); each test polls a folder of its own."""
    with dovecot_server() as server:
        yield server


@pytest.fixture
def imap_folder(dovecot: Dovecot) -> str:
    """A new, empty folder on the test server (with a space, so that its URL is percent-encoded)."""
    name = f"Support {uuid.uuid4().hex[:10]}"
    dovecot.create(name)
    return name
