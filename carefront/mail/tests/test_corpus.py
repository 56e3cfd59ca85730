"""Hostile and odd mail, each message proven to end as exactly one thing: a ticket with the right subject,
requester and text, a recognised bounce or automatic reply, or the quarantine with a reason. Never an exception,
a hang, or a message left waiting. The messages are in corpus/ (see its README); the big ones are made here."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from carefront.accounts.models import Contact
from carefront.desk.models import Attachment, MessageFlag, Ticket, TicketFollower, Visibility
from carefront.desk.services import MAX_BODY_CHARS, ticket_reply
from carefront.mail.models import DeliveryState, InboundEmail, InboundKind, InboundState, OutboundEmail, OutboundKind
from carefront.mail.parsing import MAX_CC_FOLLOWERS, ParsedEmail, ParseFailure, html_sanitise, parse
from carefront.mail.tests.conftest import email_bytes

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).parent / "corpus"
CPYTHON = sorted((CORPUS / "cpython").glob("msg_*.txt"))
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
# On a machine shared with other work, "quick" is generous; a hang or a quadratic parse is far slower.
QUICK_SECONDS = 15


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def assert_ends_well(row: InboundEmail) -> None:
    """One end, never none: filed with what it became, or quarantined saying why."""
    assert row.state in {InboundState.PROCESSED, InboundState.DUPLICATE, InboundState.QUARANTINED}, row.state
    if row.state == InboundState.QUARANTINED:
        assert row.reason.strip() and row.ticket is None
    elif row.kind == InboundKind.MESSAGE:
        assert row.ticket is not None and row.message is not None
    else:
        assert row.kind in {InboundKind.AUTO_REPLY, InboundKind.BOUNCE}
        assert row.ticket is not None or row.reason.strip()


def opened(row: InboundEmail) -> Ticket:
    """The ticket a message opened, with its first message's text."""
    assert_ends_well(row)
    assert row.state == InboundState.PROCESSED and row.kind == InboundKind.MESSAGE
    assert row.ticket is not None
    return row.ticket


def first_text(ticket: Ticket) -> str:
    return str(ticket.messages.get().body_text)


def multipart(*parts: bytes, subject: str = "Corpus", headers: str = "") -> bytes:
    """A multipart/mixed message from Carol whose parts are given as bytes (headers, blank line, body)."""
    head = (
        "From: Carol Jones <carol@acme.example>\r\nTo: support@carefront.example\r\n"
        f"Subject: {subject}\r\nMIME-Version: 1.0\r\n{headers}"
        'Content-Type: multipart/mixed; boundary="part"\r\n\r\n'
    ).encode()
    return head + b"".join(b"--part\r\n" + part + b"\r\n" for part in parts) + b"--part--\r\n"


# --- structure ---------------------------------------------------------------------------------------------------


def test_boundary_that_never_comes_is_read_as_text(receive: Any, support: Any, carol: Contact) -> None:
    ticket = opened(receive(corpus("broken-boundary-missing.eml")))
    assert ticket.subject == "Boundary that never comes" and ticket.requester == carol
    assert "The printer on floor 3 jams on every page." in first_text(ticket)
    assert not Attachment.objects.exists()


def test_unterminated_boundaries_still_give_the_text(receive: Any, support: Any, carol: Contact) -> None:
    ticket = opened(receive(corpus("broken-boundary-unterminated.eml")))
    assert ticket.subject == "Boundary never closed"
    assert "The invoice total is wrong." in first_text(ticket)


def test_two_hundred_nested_multiparts_end_quickly_in_the_quarantine(receive: Any, support: Any) -> None:
    depth = 200
    raw = b"From: carol@acme.example\r\nSubject: Deep\r\nMIME-Version: 1.0\r\n"
    raw += b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n"
    for level in range(1, depth):
        raw += b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (level - 1, level)
    raw += b"--b%d\r\nContent-Type: text/plain\r\n\r\nat the bottom\r\n" % (depth - 1)
    raw += b"".join(b"--b%d--\r\n" % level for level in reversed(range(depth)))
    started = time.monotonic()
    row = receive(raw)
    assert time.monotonic() - started < QUICK_SECONDS
    assert_ends_well(row)
    assert row.state == InboundState.QUARANTINED and "nested" in row.reason


def test_ten_thousand_recipients_are_filed_quickly_with_followers_capped(receive: Any, support: Any) -> None:
    crowd = ",\r\n ".join(f"Person {n} <person{n}@crowd.example>" for n in range(10_000))
    raw = (
        f"From: Carol Jones <carol@acme.example>\r\nTo: {crowd}\r\nCc: {crowd}\r\nSubject: Reply all\r\n"
        "Message-ID: <crowd@acme.example>\r\n\r\nSee everyone copied.\r\n"
    ).encode()
    started = time.monotonic()
    row = receive(raw)
    assert time.monotonic() - started < QUICK_SECONDS
    ticket = opened(row)
    assert ticket.subject == "Reply all" and ticket.requester.email == "carol@acme.example"
    assert TicketFollower.objects.filter(ticket=ticket).count() == MAX_CC_FOLLOWERS


def test_text_over_the_display_limit_is_cut_and_the_original_kept(receive: Any, support: Any, carol: Contact) -> None:
    body = "".join(f"line {n:06d} of a very long log\n" for n in range(6_000))
    assert len(body) > MAX_BODY_CHARS
    row = receive(email_bytes(subject="Long log", body=body))
    text = first_text(opened(row))
    assert len(text) <= MAX_BODY_CHARS
    assert text.startswith("line 000000 of a very long log") and "the whole email is kept" in text
    assert "line 005999" not in text
    assert b"line 005999" in bytes(InboundEmail.objects.get(pk=row.pk).raw)


# --- charsets and headers --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["lying-charset-utf8.eml", "lying-charset-latin1.eml"])
def test_us_ascii_label_on_8bit_text_still_gives_readable_text(
    receive: Any, support: Any, carol: Contact, name: str
) -> None:
    text = first_text(opened(receive(corpus(name))))
    assert "Café crème" in text and "déjà trois fois." in text
    assert "\ufffd" not in text


@pytest.mark.parametrize(
    ("name", "subject", "sender", "text"),
    [
        (
            "raw-8bit-headers-utf8.eml",
            "Größe der Lieferung – falsch",
            "Jürgen Müller",
            "Die Lieferung hat die falsche Größe.",
        ),
        ("raw-8bit-headers-latin1.eml", "Señal débil en la oficina", "José Pérez", "La señal es débil."),
    ],
)
def test_raw_8bit_headers_become_readable_subject_and_name(
    receive: Any, support: Any, name: str, subject: str, sender: str, text: str
) -> None:
    ticket = opened(receive(corpus(name)))
    assert ticket.subject == subject
    assert ticket.requester.name == sender
    assert text in first_text(ticket)


def test_encoded_word_subject_and_rfc2231_file_names_are_decoded(receive: Any, support: Any) -> None:
    ticket = opened(receive(corpus("encoded-words.eml")))
    assert ticket.subject == "Facture n° 42 — échéance"
    assert ticket.requester.name == "André Pirard" and ticket.requester.email == "andre@ulg.example"
    assert "Voir la pièce jointe." in first_text(ticket)
    names = set(Attachment.objects.filter(message__ticket=ticket).values_list("filename", flat=True))
    assert names == {"Déclaration d'impôt 2026.pdf", "reçu.pdf"}


def test_line_breaks_in_encoded_words_never_reach_a_header_we_write(receive: Any, support: Any) -> None:
    """GIVEN a subject and a display name whose encoded words hold CR LF and a Bcc header
    WHEN the message opens a ticket and is acknowledged
    THEN the ticket, the contact and the acknowledgement hold one line each, and the email is sent to Carol only."""
    ticket = opened(receive(corpus("header-injection.eml")))
    assert ticket.subject == "Hello Bcc: victim@evil.example Injected body"
    assert ticket.requester.email == "carol@acme.example"
    assert "\n" not in ticket.requester.name and "\r" not in ticket.requester.name
    ack = OutboundEmail.objects.get(ticket=ticket, kind=OutboundKind.ACKNOWLEDGEMENT)
    assert "\r" not in ack.subject and "\n" not in ack.subject
    assert ack.state == DeliveryState.SENT
    sent = mail.outbox[-1]
    assert sent.to == ["carol@acme.example"] and not sent.cc and not sent.bcc
    written = message_from_bytes(sent.message().as_bytes(), policy=policy.default)
    assert written["Bcc"] is None and written["Cc"] is None
    assert "victim" not in str(written["To"])


def test_nul_bytes_are_dropped_from_everything_stored(receive: Any, support: Any, carol: Contact) -> None:
    ticket = opened(receive(corpus("nul-bytes.eml")))
    assert ticket.subject == "Nul in the subject"
    assert "The log has NUL bytes." in first_text(ticket)
    attachment = Attachment.objects.get(message__ticket=ticket)
    assert attachment.filename == "log.txt"
    with attachment.file.open("rb") as stored:
        assert stored.read().startswith(b"line 1\x00\x00line 2")  # a file keeps its bytes; only text is cleaned


def test_nul_bytes_in_an_automatic_reply_header_are_dropped(receive: Any, support: Any, carol: Contact) -> None:
    row = receive(corpus("nul-auto-reply.eml"))
    assert_ends_well(row)
    assert row.kind == InboundKind.AUTO_REPLY and row.ticket is None
    assert "\x00" not in row.reason and "X-Autoreply: yes" in row.reason


def test_lone_surrogates_from_a_utf7_part_are_replaced(receive: Any, support: Any, carol: Contact) -> None:
    ticket = opened(receive(corpus("utf7-charset.eml")))
    assert ticket.subject == "? lone surrogate"
    assert "A lone surrogate: ? and then text." in first_text(ticket)


@pytest.mark.parametrize("name", ["empty-body.eml", "headers-only.eml"])
def test_message_without_text_opens_a_ticket_saying_so(receive: Any, support: Any, carol: Contact, name: str) -> None:
    ticket = opened(receive(corpus(name)))
    assert ticket.requester == carol
    assert first_text(ticket) == "(This email has no text.)"


def test_message_without_from_uses_the_envelope_sender(receive: Any, support: Any, carol: Contact) -> None:
    ticket = opened(receive(corpus("no-from.eml"), envelope_from="carol@acme.example"))
    assert ticket.subject == "Who sent this?" and ticket.requester == carol
    assert "There is no From header here." in first_text(ticket)


def test_message_without_from_or_envelope_sender_is_quarantined(receive: Any, support: Any) -> None:
    row = receive(corpus("no-from.eml"))
    assert_ends_well(row)
    assert row.state == InboundState.QUARANTINED and "no sender" in row.reason
    assert not Ticket.objects.exists()


# --- attachments --------------------------------------------------------------------------------------------------


def test_attachment_over_the_limit_is_left_out_and_the_text_says_so(
    receive: Any, support: Any, carol: Contact, settings: Any
) -> None:
    size = 25 * 1_048_576
    assert size > settings.CAREFRONT_MAX_ATTACHMENT_BYTES
    raw = multipart(
        b"Content-Type: text/plain\r\n\r\nThe full export is attached.",
        b'Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="export.bin"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(b"\x01\x02\x03\x04" * (size // 4)),
        b'Content-Type: image/png\r\nContent-Disposition: attachment; filename="small.png"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(PNG),
        subject="Big export",
    )
    ticket = opened(receive(raw))
    assert ticket.subject == "Big export" and ticket.requester == carol
    text = first_text(ticket)
    assert "The full export is attached." in text
    assert "export.bin (25.0 MB) was not kept" in text
    assert list(Attachment.objects.filter(message__ticket=ticket).values_list("filename", flat=True)) == ["small.png"]


def test_attachment_type_comes_from_its_bytes_not_its_header(receive: Any, support: Any, carol: Contact) -> None:
    ticket = opened(receive(corpus("png-declared-pdf.eml")))
    attachment = Attachment.objects.get(message__ticket=ticket)
    assert attachment.filename == "screenshot.pdf" and attachment.content_type == "image/png"


def test_html_only_mail_gets_text_and_loads_no_remote_image(receive: Any, support: Any, carol: Contact) -> None:
    raw = corpus("html-only.eml")
    ticket = opened(receive(raw))
    text = first_text(ticket)
    assert "Hello, my **order 1001** never arrived." in text
    assert "<p>" not in text and "alert" not in text and "tracker.example" not in text
    html = parse(raw).html
    assert "tracker.example" not in html and "cdn.example" not in html and "<script" not in html
    assert 'href="https://shop.example/orders/1001"' in html


def test_html_sanitise_drops_remote_images_and_keeps_cid_ones() -> None:
    cleaned = html_sanitise(
        '<p>Hi</p><img src="http://tracker.example/p.gif"><img src="https://cdn.example/a.png" alt="a">'
        '<img src="cid:logo@corpus.example" alt="logo">'
    )
    assert "tracker.example" not in cleaned and "cdn.example" not in cleaned
    assert 'src="cid:logo@corpus.example"' in cleaned and "<p>Hi</p>" in cleaned


def test_inline_cid_image_is_kept_as_an_attachment(receive: Any, support: Any, carol: Contact) -> None:
    raw = corpus("inline-cid.eml")
    ticket = opened(receive(raw))
    assert "Our logo looks like this:" in first_text(ticket)
    attachment = Attachment.objects.get(message__ticket=ticket)
    assert (attachment.filename, attachment.content_type) == ("logo.png", "image/png")
    parsed = parse(raw)
    assert parsed.attachments[0].inline and parsed.attachments[0].content_id == "logo@corpus.example"
    assert 'src="cid:logo@corpus.example"' in parsed.html


def test_forwarded_message_is_kept_as_an_eml_attachment(receive: Any, support: Any, carol: Contact) -> None:
    ticket = opened(receive(corpus("forwarded-rfc822.eml")))
    assert ticket.subject == "Fwd: Original problem"
    assert "See the message below from our warehouse." in first_text(ticket)
    attachment = Attachment.objects.get(message__ticket=ticket)
    assert (attachment.filename, attachment.content_type) == ("Original problem.eml", "message/rfc822")
    with attachment.file.open("rb") as stored:
        assert b"Pallet 7 is missing." in stored.read()


def test_winmail_dat_is_kept_and_noted(receive: Any, support: Any, carol: Contact) -> None:
    ticket = opened(receive(corpus("winmail-dat.eml")))
    text = first_text(ticket)
    assert "Please see the attached document." in text and "winmail.dat (Outlook's TNEF format)" in text
    attachment = Attachment.objects.get(message__ticket=ticket)
    assert (attachment.filename, attachment.content_type) == ("winmail.dat", "application/ms-tnef")


def test_calendar_invite_is_kept_as_an_attachment(receive: Any, support: Any, carol: Contact) -> None:
    ticket = opened(receive(corpus("calendar-invite.eml")))
    assert ticket.subject == "Invitation: Account review"
    assert "You are invited to an account review." in first_text(ticket)
    kept = list(
        Attachment.objects.filter(message__ticket=ticket).order_by("id").values_list("filename", "content_type")
    )
    assert kept == [("invite.ics", "text/calendar"), ("invite.ics", "text/calendar")]


def test_attachment_names_that_are_paths_are_made_plain(receive: Any, support: Any, carol: Contact) -> None:
    ticket = opened(receive(corpus("attachment-dot-names.eml")))
    names = list(Attachment.objects.filter(message__ticket=ticket).order_by("id").values_list("filename", flat=True))
    assert names == ["attachment-1", ".._.._etc_passwd"]


# --- bounces and robots ---------------------------------------------------------------------------------------------


def test_bounce_of_our_reply_marks_the_address_failing_and_notes_its_ticket(
    receive: Any, support: Any, carol: Contact, alice: Any
) -> None:
    ticket = opened(receive(email_bytes()))
    reply = ticket_reply(ticket=ticket, body="We are on it.", staff=alice, actor=alice)
    ours = OutboundEmail.objects.get(message=reply)
    row = receive(corpus("bounce-our-reply.eml").replace(b"@@MESSAGE_ID@@", ours.message_id_header.encode()))
    assert_ends_well(row)
    assert row.state == InboundState.PROCESSED and row.kind == InboundKind.BOUNCE and row.ticket == ticket
    carol.refresh_from_db()
    assert carol.email_failing_since is not None and "mailbox unknown" in (carol.email_failure or "")
    note = row.message
    assert note.ticket == ticket and note.flag == MessageFlag.BOUNCE and note.visibility == Visibility.INTERNAL
    assert "carol@acme.example" in note.body_text
    ours.refresh_from_db()
    assert ours.state == DeliveryState.FAILED
    assert Ticket.objects.count() == 1


def test_bounce_of_a_message_we_never_sent_is_recognised_and_opens_nothing(
    receive: Any, support: Any, charlie: Contact
) -> None:
    row = receive(corpus("bounce-unknown.eml"))
    assert_ends_well(row)
    assert row.state == InboundState.PROCESSED and row.kind == InboundKind.BOUNCE and row.ticket is None
    assert "nobody@globex.example" in row.reason
    charlie.refresh_from_db()
    assert charlie.email_failing_since is None
    assert not Ticket.objects.exists() and not OutboundEmail.objects.exists()


def test_out_of_office_to_our_acknowledgement_is_a_flagged_note_never_answered(
    receive: Any, support: Any, carol: Contact
) -> None:
    ticket = opened(receive(email_bytes()))
    ack = OutboundEmail.objects.get(ticket=ticket, kind=OutboundKind.ACKNOWLEDGEMENT)
    row = receive(
        email_bytes(
            subject=f"Automatic reply: {ack.subject}",
            body="I am out of the office until Monday.",
            in_reply_to=f"<{ack.message_id_header}>",
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    assert_ends_well(row)
    assert row.kind == InboundKind.AUTO_REPLY and row.ticket == ticket
    assert row.message.flag == MessageFlag.AUTO_REPLY and row.message.visibility == Visibility.INTERNAL
    assert OutboundEmail.objects.count() == 1


def test_two_robots_answering_our_mail_stop(receive: Any, support: Any, settings: Any) -> None:
    """GIVEN two robots that answer every email we send them: one writes a fresh message each time, one marks its
    answers as automatic (RFC 3834) WHEN their first messages arrive THEN the fresh-message robot is acknowledged
    CAREFRONT_MAIL_ACK_PER_HOUR times and no more, the polite one's answer is a note never answered, and the
    conversation ends."""
    settings.CAREFRONT_MAIL_ACK_PER_HOUR = 3
    robots: dict[str, Callable[[OutboundEmail], bytes]] = {
        "away@robot.example": lambda _sent: email_bytes(
            sender="away@robot.example", subject="Out of office", body="I am away."
        ),
        "monitor@robot.example": lambda sent: email_bytes(
            sender="monitor@robot.example",
            subject=f"Auto: {sent.subject}",
            body="This mailbox is not read.",
            in_reply_to=f"<{sent.message_id_header}>",
            headers={"Auto-Submitted": "auto-replied"},
        ),
    }
    waiting = [
        email_bytes(sender="away@robot.example", subject="Out of office", body="I am away."),
        email_bytes(sender="monitor@robot.example", subject="Disk almost full", body="/var is 95% full."),
    ]
    answered: set[int] = set()
    for _turn in range(30):
        if not waiting:
            break
        assert_ends_well(receive(waiting.pop(0)))
        for sent in OutboundEmail.objects.exclude(pk__in=answered).order_by("id"):
            answered.add(sent.pk)
            waiting.append(robots[sent.to_address](sent))
    assert not waiting, "the robots were still writing"
    acks = OutboundEmail.objects.filter(kind=OutboundKind.ACKNOWLEDGEMENT)
    assert acks.filter(to_address="away@robot.example").count() == 3
    assert InboundEmail.objects.filter(sender="away@robot.example", kind=InboundKind.MESSAGE).count() == 4
    assert acks.filter(to_address="monitor@robot.example").count() == 1
    first = InboundEmail.objects.get(sender="monitor@robot.example", kind=InboundKind.MESSAGE)
    note = InboundEmail.objects.get(sender="monitor@robot.example", kind=InboundKind.AUTO_REPLY)
    assert note.ticket == first.ticket and note.message is not None
    assert note.message.flag == MessageFlag.AUTO_REPLY and note.message.visibility == Visibility.INTERNAL
    assert OutboundEmail.objects.count() == 4


# --- every message of the corpus ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.eml")), ids=lambda path: path.name)
def test_every_corpus_message_ends_well(receive: Any, support: Any, carol: Contact, path: Path) -> None:
    assert_ends_well(receive(path.read_bytes()))


@pytest.mark.parametrize("path", CPYTHON, ids=lambda path: path.name)
def test_every_cpython_sample_ends_well(receive: Any, support: Any, path: Path) -> None:
    assert_ends_well(receive(path.read_bytes()))


def test_cpython_samples_are_all_here() -> None:
    assert len(CPYTHON) == 48


def test_cpython_delivery_failure_is_a_bounce(receive: Any, support: Any) -> None:
    row = receive(corpus("cpython/msg_16.txt"))
    assert row.state == InboundState.PROCESSED and row.kind == InboundKind.BOUNCE
    assert "jangel1@cougar.noc.ucla.edu" in row.reason and "recipient reached disk quota" in row.reason


def test_cpython_auto_generated_failure_with_broken_boundary_is_an_automatic_reply(receive: Any, support: Any) -> None:
    row = receive(corpus("cpython/msg_25.txt"))
    assert row.state == InboundState.PROCESSED and row.kind == InboundKind.AUTO_REPLY
    assert "auto-generated" in row.reason and not Ticket.objects.exists()


def test_cpython_bulk_precedence_is_an_automatic_reply(receive: Any, support: Any) -> None:
    row = receive(corpus("cpython/msg_32.txt"))
    assert row.state == InboundState.PROCESSED and row.kind == InboundKind.AUTO_REPLY
    assert "Precedence: bulk" in row.reason and not OutboundEmail.objects.exists()


def test_cpython_message_without_from_is_quarantined(receive: Any, support: Any) -> None:
    row = receive(corpus("cpython/msg_05.txt"))
    assert row.state == InboundState.QUARANTINED and "no sender" in row.reason


def test_cpython_multipart_without_its_boundary_keeps_its_text(receive: Any, support: Any) -> None:
    ticket = opened(receive(corpus("cpython/msg_17.txt")))
    assert ticket.subject == "Here is your dingus fish"
    assert "This is the dingus fish." in first_text(ticket)


def test_cpython_forwarded_message_is_kept(receive: Any, support: Any) -> None:
    ticket = opened(receive(corpus("cpython/msg_46.txt")))
    attachment = Attachment.objects.get(message__ticket=ticket)
    assert (attachment.filename, attachment.content_type) == ("GroupwiseForwardingTest.eml", "message/rfc822")


# --- any bytes at all -------------------------------------------------------------------------------------------------

HEADER_NAMES = [
    b"From",
    b"To",
    b"Cc",
    b"Subject",
    b"Message-ID",
    b"In-Reply-To",
    b"References",
    b"Date",
    b"Content-Type",
    b"Content-Transfer-Encoding",
    b"Content-Disposition",
    b"Auto-Submitted",
    b"X-Failed-Recipients",
]
HEADER_VALUES = [
    b"Carol <carol@acme.example>",
    b"=?utf-7?q?+2D0-?= <a@b.example>",
    b"=?utf-8?q?a=0D=0Ab=00?= <c@d.example>",
    b"multipart/mixed; boundary=x",
    b"multipart/report; report-type=delivery-status; boundary=x",
    b"message/rfc822",
    b"message/delivery-status",
    b"text/plain; charset=utf-7",
    b"text/html; charset=idna",
    b"application/octet-stream; name*=utf-8''%ff%fe",
    b"attachment; filename*0*=x''%E9; filename*1=..",
    b"base64",
    b"quoted-printable",
    b"\xff\xfe\x00caf\xe9",
]
BODY_PIECES = [
    b"--x\r\n",
    b"--x--\r\n",
    b"Content-Type: text/plain; charset=utf-7\r\n\r\n+2D0-\r\n",
    b"Content-Type: message/rfc822\r\n\r\nFrom: a@b.example\r\n\r\nhi\r\n",
    b"Final-Recipient: rfc822; x@y.example\r\nAction: failed\r\n\r\n",
    b"<img src='http://x.example/a.gif'>\x00",
]
header_lines = st.builds(
    lambda name, value: name + b": " + value,
    st.sampled_from(HEADER_NAMES),
    st.one_of(st.sampled_from(HEADER_VALUES), st.binary(max_size=60)),
)
message_like = st.builds(
    lambda headers, body: b"\r\n".join(headers) + b"\r\n\r\n" + b"".join(body),
    st.lists(header_lines, max_size=8),
    st.lists(st.one_of(st.sampled_from(BODY_PIECES), st.binary(max_size=80)), max_size=8),
)


def stored_texts(parsed: ParsedEmail) -> list[str]:
    """Everything of a parsed message that is written to the database as text."""
    texts = [parsed.subject, parsed.text, parsed.reply_text, parsed.message_id, parsed.auto_reply]
    texts += [
        item for address in [parsed.sender, *parsed.to, *parsed.cc] if address for item in (address.name, address.email)
    ]
    texts += [item for attachment in parsed.attachments for item in (attachment.filename, attachment.content_type)]
    if parsed.bounce is not None:
        texts += [parsed.bounce.reason, parsed.bounce.original_message_id, *parsed.bounce.recipients]
    return texts


@hypothesis_settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.one_of(st.binary(max_size=2000), message_like))
def test_any_bytes_give_a_parsed_email_or_a_parse_failure(raw: bytes) -> None:
    try:
        parsed = parse(raw)
    except ParseFailure as failure:
        assert failure.reason
        return
    assert isinstance(parsed, ParsedEmail)
    for text in stored_texts(parsed):
        assert "\x00" not in text
        text.encode("utf-8")  # no lone surrogate: the database could not store one
