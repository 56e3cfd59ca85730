"""A local SMTP server standing in for the outside world's mail servers: it keeps what it is sent, or answers
with the reply code a test chooses."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from carefront.core.tests.processes import free_port


@dataclass
class Sink:
    """What the sink received (each message parsed), and the answer it gives to the next messages."""

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    answer: str = "250 OK"
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, *, timeout: float = 30.0) -> list[EmailMessage]:
        """Block until `count` messages have arrived (a condition variable, not a sleep)."""
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout):
                raise AssertionError(f"the sink received {len(self.messages)} of {count} messages in {timeout}s")
            return list(self.messages)


class _Handler:
    def __init__(self, sink: Sink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if not self.sink.answer.startswith("250"):
            return self.sink.answer
        raw = envelope.original_content or b""
        parsed = message_from_bytes(bytes(raw), policy=policy.default)
        with self.sink.arrived:
            assert isinstance(parsed, EmailMessage)
            self.sink.messages.append(parsed)
            self.sink.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
            self.sink.arrived.notify_all()
        return "250 OK"


@contextmanager
def smtp_sink() -> Iterator[Sink]:
    """Run a sink on a free local port for the duration of the block."""
    port = free_port()
    sink = Sink(host="127.0.0.1", port=port)
    controller: Any = Controller(_Handler(sink), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()
