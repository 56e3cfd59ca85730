"""IMAP polling against a real Dovecot: every waiting message is stored byte for byte, once, and only then
flagged \\Seen or moved; over plain IMAP, IMAPS and STARTTLS; by `carefront mail poll` once or watching with
IDLE, with a real worker filing what it stored."""

from __future__ import annotations

import logging
import ssl
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.test import override_settings

from carefront.core.tests.processes import CarefrontProcess, free_port
from carefront.desk.models import Ticket
from carefront.mail.imap import PollResult, imap_poll_once, imap_url_parse, imap_watch, reconnect_delay
from carefront.mail.models import InboundEmail, InboundState, Mailbox
from carefront.mail.services import inbound_store
from carefront.mail.tests.conftest import email_bytes
from carefront.mail.tests.dovecot import Dovecot

pytestmark = pytest.mark.imap
SEEN = "\\Seen"


def _seen(flags: list[set[str]]) -> list[bool]:
    return [SEEN in message for message in flags]


# --- the URL ---------------------------------------------------------------------------------------------------


def test_url_gives_security_port_folder_and_options_percent_decoded() -> None:
    tls = imap_url_parse("imaps://help%40carefront.example:p%40ss%2Fw%3Ard%23@imap.example.com/Support%20Inbox")
    assert (tls.security, tls.host, tls.port) == ("tls", "imap.example.com", 993)
    assert (tls.user, tls.password, tls.folder) == ("help@carefront.example", "p@ss/w:rd#", "Support Inbox")
    assert tls.processed_folder == "" and tls.verify is True
    assert "p@ss" not in str(tls) and "p@ss" not in repr(tls)

    starttls = imap_url_parse("imap+starttls://u:p@mail.example:1143?processed=Done%2FCarefront&verify=0")
    assert (starttls.security, starttls.port, starttls.folder) == ("starttls", 1143, "INBOX")
    assert starttls.processed_folder == "Done/Carefront" and starttls.verify is False

    plain = imap_url_parse("imap://u:p@127.0.0.1/INBOX")
    assert (plain.security, plain.port) == ("plain", 143)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("pop3://u:hunter2@mail.example/INBOX", "scheme 'pop3'"),
        ("imaps://mail.example/INBOX", "no user and password"),
        ("imaps://u:hunter2@/INBOX", "no host"),
        ("imaps://u:hunter2@mail.example:port/INBOX", "bad host or port"),
        ("imaps://u:hunter2@mail.example/INBOX?archive=Done", "unknown options archive"),
        ("imaps://u:hunter2@mail.example/INBOX?verify=maybe", "verify"),
        ("imaps://u:hunter2@mail.example/INBOX?processed=", "empty processed folder"),
        ("imaps://u:hunter2@mail.example/INBOX#Done", "fragment"),
    ],
)
def test_bad_url_is_refused_naming_the_variable_and_never_the_password(url: str, problem: str) -> None:
    with pytest.raises(ImproperlyConfigured) as refused:
        imap_url_parse(url)
    message = str(refused.value)
    assert message.startswith("CAREFRONT_IMAP_URL ") and problem in message
    assert "hunter2" not in message


def test_poll_command_with_a_bad_url_says_what_is_wrong(db: Any) -> None:
    with pytest.raises(CommandError, match=r"CAREFRONT_IMAP_URL has the scheme 'https'"):
        call_command("mail", "poll", "--once", "--url", "https://u:p@mail.example/INBOX")
    with override_settings(CAREFRONT_IMAP_URL=""), pytest.raises(CommandError, match="CAREFRONT_IMAP_URL"):
        call_command("mail", "poll", "--once")


# --- polling ---------------------------------------------------------------------------------------------------


def test_polling_stores_each_message_byte_for_byte_once_and_flags_it_seen(
    db: Any, dovecot: Dovecot, imap_folder: str
) -> None:
    first = email_bytes(subject="Printer on fire", message_id="<first@mail.example>")
    second = email_bytes(subject="Still on fire", message_id="<second@mail.example>").replace(b"\n", b"\r\n")
    dovecot.append(imap_folder, first)
    dovecot.append(imap_folder, second)

    assert imap_poll_once(url=dovecot.url(imap_folder)) == PollResult(stored=2)

    rows = list(InboundEmail.objects.order_by("id"))
    # Dovecot keeps mail with CRLF line ends; what is stored is what the server holds, byte for byte.
    assert [bytes(row.raw) for row in rows] == [first.replace(b"\n", b"\r\n"), second]
    assert [(row.via, row.state, row.subject) for row in rows] == [
        ("imap", InboundState.RECEIVED, "Printer on fire"),
        ("imap", InboundState.RECEIVED, "Still on fire"),
    ]
    assert _seen(dovecot.flags(imap_folder)) == [True, True]

    assert imap_poll_once(url=dovecot.url(imap_folder)) == PollResult()
    assert InboundEmail.objects.count() == 2


def test_mail_already_seen_by_someone_is_left_alone_when_flagging(db: Any, dovecot: Dovecot, imap_folder: str) -> None:
    with dovecot.client() as connection:
        connection.append(f'"{imap_folder}"', "(\\Seen)", None, email_bytes(subject="Read by a person"))
    dovecot.append(imap_folder, email_bytes(subject="New"))

    assert imap_poll_once(url=dovecot.url(imap_folder)) == PollResult(stored=1)
    assert InboundEmail.objects.get().subject == "New"


def test_polling_with_a_processed_folder_moves_mail_there_and_creates_it(
    db: Any, dovecot: Dovecot, imap_folder: str
) -> None:
    done = f"{imap_folder} done"
    dovecot.append(imap_folder, email_bytes(subject="Printer on fire"))

    assert imap_poll_once(url=dovecot.url(imap_folder, processed=done)) == PollResult(stored=1)

    assert dovecot.flags(imap_folder) == []
    assert _seen(dovecot.flags(done)) == [False]
    # Mail a person has read is still new to us: with a processed folder, everything waiting is taken.
    with dovecot.client() as connection:
        connection.append(f'"{imap_folder}"', "(\\Seen)", None, email_bytes(subject="Read by a person"))
    assert imap_poll_once(url=dovecot.url(imap_folder, processed=done)) == PollResult(stored=1)
    assert len(dovecot.flags(done)) == 2


def test_message_stored_before_a_crash_is_not_stored_twice_and_gets_flagged(
    db: Any, dovecot: Dovecot, imap_folder: str
) -> None:
    """GIVEN a message stored from the server, and a crash before it was flagged (so it is still unseen there)
    WHEN the mailbox is polled again THEN the store recognises it, keeps one copy, and the message is flagged."""
    raw = email_bytes(subject="Printer on fire").replace(b"\n", b"\r\n")
    dovecot.append(imap_folder, raw)
    inbound_store(raw=raw, via="imap")

    assert imap_poll_once(url=dovecot.url(imap_folder)) == PollResult(already_known=1)

    assert InboundEmail.objects.count() == 1
    assert _seen(dovecot.flags(imap_folder)) == [True]


@override_settings(CAREFRONT_MAX_EMAIL_BYTES=2048)
def test_message_the_store_refuses_is_flagged_logged_and_not_fetched_again(
    db: Any, dovecot: Dovecot, imap_folder: str, caplog: pytest.LogCaptureFixture
) -> None:
    dovecot.append(imap_folder, email_bytes(subject="Huge", body="x" * 4000))
    dovecot.append(imap_folder, b"\r\n\r\n")  # empty: the store refuses it
    dovecot.append(imap_folder, email_bytes(subject="Fine"))

    with caplog.at_level(logging.WARNING, logger="carefront.mail.imap"):
        assert imap_poll_once(url=dovecot.url(imap_folder)) == PollResult(stored=1, refused=2)

    assert InboundEmail.objects.get().subject == "Fine"
    assert _seen(dovecot.flags(imap_folder)) == [True, True, True]
    refusals = [record.getMessage() for record in caplog.records if "refused" in record.getMessage()]
    assert len(refusals) == 2 and "over the limit" in refusals[0] and "empty" in refusals[1]
    assert imap_poll_once(url=dovecot.url(imap_folder)) == PollResult()


@pytest.mark.parametrize("scheme", ["imaps", "imap+starttls"])
def test_imaps_and_starttls_poll_a_self_signed_server_with_verify_0(
    db: Any, dovecot: Dovecot, imap_folder: str, scheme: str
) -> None:
    dovecot.append(imap_folder, email_bytes(subject=f"Over {scheme}"))

    assert imap_poll_once(url=dovecot.url(imap_folder, scheme=scheme, verify="0")) == PollResult(stored=1)
    assert InboundEmail.objects.get().subject == f"Over {scheme}"
    assert _seen(dovecot.flags(imap_folder)) == [True]


@pytest.mark.parametrize("scheme", ["imaps", "imap+starttls"])
def test_tls_certificate_is_verified_unless_verify_0(db: Any, dovecot: Dovecot, imap_folder: str, scheme: str) -> None:
    dovecot.append(imap_folder, email_bytes())

    with pytest.raises(ssl.SSLCertVerificationError):
        imap_poll_once(url=dovecot.url(imap_folder, scheme=scheme))
    assert not InboundEmail.objects.exists()
    assert _seen(dovecot.flags(imap_folder)) == [False]


def test_wrong_password_is_a_clear_command_error(db: Any, dovecot: Dovecot, imap_folder: str) -> None:
    url = dovecot.url(imap_folder).replace("s3cret", "wrong", 1)
    with pytest.raises(CommandError, match=r"Polling help@carefront\.example@127\.0\.0\.1:\d+/Support \w+ failed"):
        call_command("mail", "poll", "--once", "--url", url)


# --- watching --------------------------------------------------------------------------------------------------


def test_reconnect_delay_doubles_up_to_five_minutes() -> None:
    assert [reconnect_delay(failures) for failures in (1, 2, 3, 4, 9, 10, 50)] == [1, 2, 4, 8, 256, 300, 300]


def test_watch_logs_a_server_it_cannot_reach_and_waits_before_trying_again(caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()
    with caplog.at_level(logging.INFO, logger="carefront.mail.imap"):
        # Stops as soon as the failure has been logged, while waiting to reconnect.
        imap_watch(url=f"imap://u:p@127.0.0.1:{port}/INBOX", stop=lambda: "connecting again" in caplog.text)
    assert f"IMAP u@127.0.0.1:{port}/INBOX: ConnectionRefusedError" in caplog.text
    assert "connecting again in 1 s" in caplog.text
    assert "stopped watching" in caplog.text


@pytest.mark.queue
def test_poll_once_command_stores_mail_and_a_real_worker_files_it_as_a_ticket(
    transactional_db: Any, real_queue: dict[str, str], dovecot: Dovecot, imap_folder: str, carol: Any
) -> None:
    Mailbox.objects.create(address="support@carefront.example")
    dovecot.append(imap_folder, email_bytes(subject="Printer on fire"))

    poll = CarefrontProcess(["mail", "poll", "--once", "--url", dovecot.url(imap_folder)], env=real_queue)
    poll.wait_for(r"^1 stored, 0 already received, 0 refused\.$", timeout=60)
    code = poll.popen.wait(timeout=60)
    poll.stop()
    assert code == 0, poll.output()
    assert InboundEmail.objects.get().state == InboundState.RECEIVED
    assert _seen(dovecot.flags(imap_folder)) == [True]

    worker = CarefrontProcess(["worker", "--workers", "1"], env=real_queue)
    try:
        worker.wait_for(r"carefront\.mail\.tasks\.process_inbound: .* executed in", timeout=60)
    finally:
        worker.stop()
    assert InboundEmail.objects.get().state == InboundState.PROCESSED
    ticket = Ticket.objects.get()
    assert ticket.subject == "Printer on fire" and ticket.requester == carol


@pytest.mark.queue
def test_watching_with_idle_picks_up_mail_that_arrives_later_and_stops_on_sigterm(
    transactional_db: Any, real_queue: dict[str, str], dovecot: Dovecot, imap_folder: str, tmp_path: Path
) -> None:
    """GIVEN `carefront mail poll` watching an empty folder (with a poll interval far longer than the test)
    and a worker WHEN a message is appended THEN IDLE wakes the poller, which stores it, and the worker files
    it; SIGTERM then stops the poller cleanly."""
    Mailbox.objects.create(address="support@carefront.example")
    env = {**real_queue, "CAREFRONT_IMAP_URL": dovecot.url(imap_folder), "CAREFRONT_IMAP_POLL_SECONDS": "3600"}
    poller = CarefrontProcess(["mail", "poll"], env=env)
    worker = CarefrontProcess(["worker", "--workers", "1"], env=real_queue)
    try:
        poller.wait_for(r"waiting for new mail \(IDLE\)", timeout=60)
        dovecot.append(imap_folder, email_bytes(subject="Arrived later"))
        poller.wait_for(r": 1 stored, 0 already received, 0 refused$", timeout=60)
        worker.wait_for(r"carefront\.mail\.tasks\.process_inbound: .* executed in", timeout=60)
    finally:
        code = poller.stop()
        worker.stop()
    assert code == 0, poller.output()
    assert "Stopped watching the IMAP mailbox." in poller.output()
    assert Ticket.objects.get().subject == "Arrived later"
    assert _seen(dovecot.flags(imap_folder)) == [True]
