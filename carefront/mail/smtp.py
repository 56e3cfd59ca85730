"""The SMTP listener: aiosmtpd accepts mail for our mailboxes and stores it through the ingestion service; the
sender's server gets its 250 only once the message is committed."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import close_old_connections

from carefront.core.exceptions import ApplicationError
from carefront.mail import selectors
from carefront.mail.models import Via
from carefront.mail.services import inbound_store

logger = logging.getLogger(__name__)


def listen_address(value: str) -> tuple[str, int]:
    """`host:port` (IPv6 as `[::1]:2525`) from CAREFRONT_SMTP_LISTEN or --listen."""
    host, separator, port = value.rpartition(":")
    if not separator or not port.isdigit() or not 0 < int(port) < 65536:
        raise ImproperlyConfigured(f"CAREFRONT_SMTP_LISTEN must be HOST:PORT, such as 127.0.0.1:2525, got {value!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def _store(raw: bytes, envelope_from: str, envelope_to: list[str]) -> None:
    close_old_connections()
    inbound_store(raw=raw, via=Via.SMTP, envelope_from=envelope_from, envelope_to=envelope_to)


def _accepts(address: str) -> bool:
    close_old_connections()
    return selectors.recipient_accepted(address)


class InboundHandler:
    """aiosmtpd's handler: recipients are checked against our mailboxes; the message is stored, then answered."""

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        try:
            accepted = await sync_to_async(_accepts, thread_sensitive=False)(address)
        except Exception:  # the database is away: the sender tries again later
            logger.exception("Checking recipient %s failed", address)
            return "451 4.3.0 Temporary failure, try again later"
        if not accepted:
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        mail_from = envelope.mail_from or ""
        try:
            # Each connection stores in a thread of its own: one slow commit does not hold up the others.
            await sync_to_async(_store, thread_sensitive=False)(bytes(raw), str(mail_from), list(envelope.rcpt_tos))
        except ApplicationError as exc:
            code = "552 5.3.4" if exc.status == 413 else "554 5.6.0"
            return f"{code} {exc.message}"
        except Exception:  # nothing was committed: a 4xx makes the sender keep the message and retry
            logger.exception("Storing a received message failed")
            return "451 4.3.0 Could not store the message, try again later"
        return "250 2.0.0 Message accepted"


def smtp_factory(handler: InboundHandler) -> SMTP:
    return SMTP(
        handler,
        data_size_limit=settings.CAREFRONT_MAX_EMAIL_BYTES,
        enable_SMTPUTF8=True,
        decode_data=False,
        hostname=settings.CAREFRONT_MAIL_DOMAIN,
        ident="Carefront",
    )


async def _serve(host: str, port: int, ready: Any = None) -> None:
    loop = asyncio.get_running_loop()
    handler = InboundHandler()
    server = await loop.create_server(lambda: smtp_factory(handler), host=host, port=port, reuse_address=True)
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    logger.info("Listening for SMTP on %s:%s", host, port)
    if ready is not None:
        ready(host, port)
    async with server:
        await stop.wait()
    logger.info("SMTP listener stopped")


def serve(address: str, *, ready: Any = None) -> None:
    """Run the listener until SIGINT or SIGTERM (the `carefront mail listen` process)."""
    host, port = listen_address(address)
    asyncio.run(_serve(host, port, ready))
