"""IMAP polling: mail waiting in a mailbox is fetched byte for byte, stored through the ingestion service, and
only then flagged \\Seen (or moved to the processed folder) on the server.

A crash between the store and the flag fetches the message again next time; the store recognises it (Message-ID
plus content hash), so it is kept once. The `carefront mail poll` process runs this, as a child of
`carefront serve` when CAREFRONT_IMAP_URL is set.
"""

from __future__ import annotations

import imaplib
import logging
import re
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, close_old_connections
from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import ImapToolsError, MailboxFetchError, MailboxFlagError
from imap_tools.mailbox import BaseMailBox
from imap_tools.utils import check_command_status

from carefront.core.exceptions import ApplicationError
from carefront.mail.models import Via
from carefront.mail.services import inbound_store

logger = logging.getLogger(__name__)

VARIABLE = "CAREFRONT_IMAP_URL"
SCHEMES = {"imaps": "tls", "imap+starttls": "starttls", "imap": "plain"}
# Seconds a connection attempt or one command may take before the connection counts as broken.
COMMAND_TIMEOUT_SECONDS = 60.0
# An IDLE is renewed this often even when nothing happens (RFC 2177 asks for less than 29 minutes; NAT
# routers often forget a silent connection sooner).
IDLE_RENEW_SECONDS = 600.0
# Reconnection after a failure waits 1, 2, 4, … seconds, at most this long.
MAX_RECONNECT_DELAY_SECONDS = 300.0
# How often a wait looks at the stop request.
STOP_CHECK_SECONDS = 1.0
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


@dataclass(frozen=True)
class ImapMailbox:
    """Where to poll, read from CAREFRONT_IMAP_URL (or `--url`)."""

    security: str  # "tls", "starttls" or "plain"
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    folder: str
    # Processed mail is moved here; empty: it is flagged \Seen and only unseen mail is fetched.
    processed_folder: str
    verify: bool

    def __str__(self) -> str:
        """For logs and messages: never the password."""
        return f"{self.user}@{self.host}:{self.port}/{self.folder}"


@dataclass(frozen=True)
class PollResult:
    """What one pass over the folder did."""

    stored: int = 0
    already_known: int = 0
    refused: int = 0


def _bad(problem: str) -> ImproperlyConfigured:
    # The URL holds a password: the message describes the problem and never repeats the URL.
    return ImproperlyConfigured(
        f"{VARIABLE} {problem}; expected imaps://USER:PASSWORD@HOST:993/FOLDER, "
        "imap+starttls://USER:PASSWORD@HOST:143/FOLDER or imap://USER:PASSWORD@HOST:143/FOLDER "
        "(options: ?processed=FOLDER, ?verify=0)"
    )


def imap_url_parse(url: str) -> ImapMailbox:
    """The mailbox a URL names; user, password and folders are percent-decoded.

    Raises ImproperlyConfigured naming CAREFRONT_IMAP_URL for anything it cannot use.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:  # a port that is not a number, a malformed IPv6 host
        raise _bad("has a bad host or port") from exc
    security = SCHEMES.get(parts.scheme.lower())
    if security is None:
        raise _bad(f"has the scheme {parts.scheme or '(none)'!r}")
    if not parts.hostname:
        raise _bad("names no host")
    if not parts.username or parts.password is None:
        raise _bad("names no user and password")
    if parts.fragment:
        raise _bad("has a #fragment (write # in a password as %23)")
    folder = unquote(parts.path[1:]) if parts.path.startswith("/") else ""
    options: dict[str, str] = {}
    try:
        for name, value in parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query)):
            if name in options:
                raise _bad(f"repeats the option {name!r}")
            options[name] = value
    except ValueError as exc:
        raise _bad("has a malformed query") from exc
    unknown = sorted(set(options) - {"processed", "verify"})
    if unknown:
        raise _bad(f"has unknown options {', '.join(unknown)}")
    verify = options.get("verify", "1").lower()
    if verify not in {"0", "1", "false", "true", "no", "yes"}:
        raise _bad("has verify set to something other than 0 or 1")
    if "processed" in options and not options["processed"]:
        raise _bad("has an empty processed folder")
    return ImapMailbox(
        security=security,
        host=parts.hostname,
        port=port or (993 if security == "tls" else 143),
        user=unquote(parts.username),
        password=unquote(parts.password),
        folder=folder or "INBOX",
        processed_folder=options.get("processed", ""),
        verify=verify in {"1", "true", "yes"},
    )


def _tls_context(mailbox: ImapMailbox) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if not mailbox.verify:
        # verify=0: a test server's self-signed certificate.
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _connect(mailbox: ImapMailbox) -> BaseMailBox:
    """Log in, create the processed folder if it is missing, and select the folder to poll."""
    client: BaseMailBox
    if mailbox.security == "tls":
        client = MailBox(mailbox.host, mailbox.port, timeout=COMMAND_TIMEOUT_SECONDS, ssl_context=_tls_context(mailbox))
    elif mailbox.security == "starttls":
        client = MailBoxStartTls(
            mailbox.host, mailbox.port, timeout=COMMAND_TIMEOUT_SECONDS, ssl_context=_tls_context(mailbox)
        )
    else:
        client = MailBoxUnencrypted(mailbox.host, mailbox.port, timeout=COMMAND_TIMEOUT_SECONDS)
    try:
        if (mailbox.user + mailbox.password).isascii():
            client.login(mailbox.user, mailbox.password, initial_folder=None)
        else:  # LOGIN's arguments are ASCII; AUTHENTICATE PLAIN carries UTF-8
            client.login_utf8(mailbox.user, mailbox.password, initial_folder=None)
        # Servers announce more (MOVE, IDLE) once the user is logged in; imaplib keeps the greeting's list.
        typ, data = client.client.capability()
        if typ == "OK" and data and isinstance(data[-1], bytes):
            client.client.capabilities = tuple(data[-1].decode("ascii", "replace").upper().split())
        if mailbox.processed_folder and not client.folder.exists(mailbox.processed_folder):
            client.folder.create(mailbox.processed_folder)
            logger.info("Created the IMAP folder %s for processed mail", mailbox.processed_folder)
        client.folder.set(mailbox.folder)
    except BaseException:
        _close(client, broken=True)
        raise
    return client


def _close(client: BaseMailBox, *, broken: bool = False) -> None:
    """Log out (or, on a connection already in trouble, just close the socket)."""
    try:
        if broken:
            client.client.shutdown()
        else:
            client.logout()
    except (OSError, imaplib.IMAP4.error, ImapToolsError):
        logger.debug("Closing the IMAP connection failed", exc_info=True)


def _size(client: BaseMailBox, uid: str) -> int | None:
    result = client.client.uid("FETCH", uid, "(RFC822.SIZE)")
    check_command_status(result, MailboxFetchError)
    for item in result[1]:
        line = item[0] if isinstance(item, tuple) else item
        match = _SIZE.search(line) if isinstance(line, bytes) else None
        if match:
            return int(match.group(1))
    return None  # expunged meanwhile (another client)


def _raw(client: BaseMailBox, uid: str) -> bytes | None:
    """The message exactly as the server holds it; BODY.PEEK leaves \\Seen alone until we have stored it."""
    result = client.client.uid("FETCH", uid, "(BODY.PEEK[])")
    check_command_status(result, MailboxFetchError)
    for item in result[1]:
        if isinstance(item, tuple) and b"BODY[]" in item[0]:
            return bytes(item[1])
    return None


def _done(client: BaseMailBox, mailbox: ImapMailbox, uid: str) -> None:
    if mailbox.processed_folder:
        client.move(uid, mailbox.processed_folder)
    else:
        # A plain UID STORE: imap-tools' flag() also expunges the folder, which would erase mail another
        # client has marked deleted.
        result = client.client.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen)")
        check_command_status(result, MailboxFlagError)


def _poll(client: BaseMailBox, mailbox: ImapMailbox, *, stop: Callable[[], bool] | None = None) -> PollResult:
    """Store every waiting message of the selected folder, then flag or move it; stops early when asked."""
    stored = known = refused = 0
    criteria = "UNDELETED" if mailbox.processed_folder else "UNSEEN UNDELETED"
    limit = settings.CAREFRONT_MAX_EMAIL_BYTES
    # No CHARSET in the SEARCH: the criteria are plain keywords, and some servers refuse one.
    for uid in sorted(client.uids(criteria, charset=None), key=int):
        if stop is not None and stop():
            break
        size = _size(client, uid)
        if size is None:
            continue  # expunged meanwhile by another client
        if size > limit:
            # Not even fetched; marked done like any refused message below.
            refused += 1
            logger.warning("IMAP %s: message UID %s refused: %s bytes is over the limit", mailbox, uid, size)
            _done(client, mailbox, uid)
            continue
        raw = _raw(client, uid)
        if raw is None:
            continue
        try:
            _row, created = inbound_store(raw=raw, via=Via.IMAP)
        except ApplicationError as exc:
            # Marked done all the same: a message we will never take must not come back on every poll.
            refused += 1
            logger.warning("IMAP %s: message UID %s refused: %s", mailbox, uid, exc.message)
        else:
            if created:
                stored += 1
            else:
                known += 1
        _done(client, mailbox, uid)
    return PollResult(stored=stored, already_known=known, refused=refused)


def _log(mailbox: ImapMailbox, result: PollResult) -> None:
    if result.stored or result.already_known or result.refused:
        logger.info(
            "IMAP %s: %s stored, %s already received, %s refused",
            mailbox,
            result.stored,
            result.already_known,
            result.refused,
        )


def imap_poll_once(*, url: str) -> PollResult:
    """Connect, store and flag (or move) every waiting message, log out. Errors are the caller's."""
    mailbox = imap_url_parse(url)
    client = _connect(mailbox)
    try:
        result = _poll(client, mailbox)
    except BaseException:
        _close(client, broken=True)
        raise
    _close(client)
    _log(mailbox, result)
    return result


# Connection trouble, a server that says no, or a database that is away: log, wait, connect again.
RETRYABLE = (OSError, imaplib.IMAP4.error, ImapToolsError, DatabaseError)
_never_set = threading.Event()


def reconnect_delay(failures: int) -> float:
    """Seconds to wait after `failures` failures in a row: 1, 2, 4, … up to five minutes."""
    return min(2.0 ** max(failures - 1, 0), MAX_RECONNECT_DELAY_SECONDS)


def _pause(seconds: float, stop: Callable[[], bool]) -> None:
    """Wait `seconds`, or less once stop() says so (looked at every second)."""
    deadline = time.monotonic() + seconds
    while not stop():
        left = deadline - time.monotonic()
        if left <= 0:
            return
        _never_set.wait(min(left, STOP_CHECK_SECONDS))


def _idle(client: BaseMailBox, mailbox: ImapMailbox, *, stop: Callable[[], bool], announce: bool) -> None:
    """IDLE until the server reports a change, the renewal time passes, or stop() says so."""
    client.idle.start()
    logger.log(logging.INFO if announce else logging.DEBUG, "IMAP %s: waiting for new mail (IDLE)", mailbox)
    deadline = time.monotonic() + IDLE_RENEW_SECONDS
    while not stop():
        left = deadline - time.monotonic()
        # A short poll of the socket, so that a stop request is seen within a second.
        if left <= 0 or client.idle.poll(timeout=min(left, STOP_CHECK_SECONDS)):
            break
    client.idle.stop()


def imap_watch(*, url: str, stop: Callable[[], bool]) -> None:
    """Poll, then wait for new mail (IDLE when the server offers it, else CAREFRONT_IMAP_POLL_SECONDS), until
    stop() is true. A failed connection or poll is logged and retried after a growing delay."""
    mailbox = imap_url_parse(url)
    failures = 0
    while not stop():
        client: BaseMailBox | None = None
        try:
            client = _connect(mailbox)
            idle = "IDLE" in client.client.capabilities
            logger.info(
                "IMAP %s: connected (%s)",
                mailbox,
                "IDLE" if idle else f"no IDLE: checking every {settings.CAREFRONT_IMAP_POLL_SECONDS} s",
            )
            first = True
            while not stop():
                # A long-lived process: a database connection that went stale or broke is replaced.
                close_old_connections()
                _log(mailbox, _poll(client, mailbox, stop=stop))
                failures = 0
                if stop():
                    break
                if idle:
                    _idle(client, mailbox, stop=stop, announce=first)
                else:
                    _pause(settings.CAREFRONT_IMAP_POLL_SECONDS, stop)
                first = False
        except RETRYABLE as exc:
            failures += 1
            delay = reconnect_delay(failures)
            logger.warning("IMAP %s: %s: %s; connecting again in %.0f s", mailbox, exc.__class__.__name__, exc, delay)
            if client is not None:
                _close(client, broken=True)
                client = None
            _pause(delay, stop)
        finally:
            if client is not None:
                _close(client)
    logger.info("IMAP %s: stopped watching", mailbox)
