"""Reading a received message with the standard library's `email` package (policy.default).

Pure functions of the raw bytes: no database. Whatever the message throws at us (lying charsets, broken
MIME, 8-bit headers, encoded words in file names), the result is either a `ParsedEmail` or a
`ParseFailure` with a reason a person can act on.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parsedate_to_datetime
from functools import cached_property

import html2text
import nh3
import puremagic
from django.core.exceptions import SuspiciousFileOperation
from django.utils.text import get_valid_filename
from mailparser_reply import EmailReplyParser

# Text we show is capped (the original stays one click away); the reply parser's patterns run on at most this.
MAX_TEXT_CHARS = 100_000
REPLY_PARSER_MAX_CHARS = 20_000
MAX_PARTS = 500
MAX_CC_FOLLOWERS = 50
# Languages whose quoting and signature conventions the reply parser knows, in the order tried.
REPLY_LANGUAGES = ["en", "fr", "de", "es", "it", "nl", "pl", "sv", "da", "cs", "ja", "ko", "zh"]
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]+")
TICKET_REFERENCE = re.compile(r"\[#(\d{1,18})\]")
AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
# An RFC 2047 encoded word, and what stands in for one while an address header is split (see _addresses).
ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")
ENCODED_WORD_STAND_IN = re.compile(r"cfencodedword(\d{1,6})x")


class ParseFailure(Exception):
    """The message cannot become a ticket message; `reason` says why, for the quarantine."""

    def __init__(self, reason: str) -> None:
        # The reason may quote what broke, and what broke may hold NUL bytes (which PostgreSQL refuses).
        reason = one_line(reason, limit=500)
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Address:
    name: str
    email: str


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content_type: str
    content: bytes
    inline: bool = False
    content_id: str = ""
    note: str = ""


@dataclass(frozen=True)
class Bounce:
    """A delivery-status notification: which of our messages failed, to whom, and why."""

    recipients: list[str]
    reason: str
    original_message_id: str


@dataclass
class ParsedEmail:
    message_id: str
    subject: str
    sender: Address | None
    to: list[Address]
    cc: list[Address]
    reply_to: list[Address]
    in_reply_to: list[str]
    references: list[str]
    date: datetime | None
    text: str
    html: str
    attachments: list[ParsedAttachment] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    auto_reply: str = ""
    bounce: Bounce | None = None
    # The text was cut at MAX_TEXT_CHARS for display (the original email is kept whole).
    truncated: bool = False

    @cached_property
    def reply_text(self) -> str:
        """The text without the quoted conversation and signature: read only for replies (a new request is shown
        whole), and the reply parser, with its many languages, costs a fifth of parsing a message."""
        return reply_text(self.text)

    @property
    def ticket_number(self) -> int | None:
        match = TICKET_REFERENCE.search(self.subject)
        return int(match.group(1)) if match else None


def message_id_key(value: str) -> str:
    """A Message-ID as stored and compared: without angle brackets or spaces; a very long one by its hash."""
    value = CONTROL_CHARACTERS.sub("", storable(value or "")).strip().strip("<>").strip()
    if len(value) > 250:
        return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogateescape")).hexdigest()
    return value


def message_ids(value: str) -> list[str]:
    """The ids in an In-Reply-To or References header, in order (a malformed one is taken as one id)."""
    found = re.findall(r"<([^<>\s]+)>", value or "")
    if not found and (value or "").strip():
        found = [value.strip()]
    return [key for key in (message_id_key(item) for item in found) if key]


def storable(value: str) -> str:
    """Text any database takes: no NUL (PostgreSQL refuses it) and no lone surrogate (UTF-8 cannot hold one; a
    lying UTF-7 part or encoded word makes them)."""
    return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def one_line(value: str, *, limit: int = 250) -> str:
    """A header value as one line of plain text: no CR, LF or other control characters (no header injection)."""
    return " ".join(CONTROL_CHARACTERS.sub(" ", storable(value or "")).split())[:limit]


def _raw_values(message: Message, name: str) -> list[str]:
    """Every value of a header as it came, unfolded, its 8-bit bytes (sent without encoded words, which the
    parser keeps as surrogate escapes) read as UTF-8 or else Windows-1252 rather than replacement characters."""
    values = []
    for key, raw in message.raw_items():
        if key.lower() == name.lower():
            value = str(raw)
            if not value.isascii():
                value = _charset_decode(value.encode("utf-8", "surrogateescape"), None)
            values.append(value.replace("\r", "").replace("\n", ""))
    return values


def _decoded(value: str) -> str:
    """A header's text with its RFC 2047 encoded words decoded."""
    try:
        return str(policy.default.header_factory("x-carefront-text", value))
    except Exception:  # the policy's parser raises on some encoded words (one decoding to a lone surrogate)
        return _decoded_leniently(value)


def _decoded_leniently(value: str) -> str:
    """Encoded words decoded by the older, laxer decoder; the text as it is when even that fails."""
    try:
        return str(make_header(decode_header(value)))
    except Exception:  # a malformed encoded word: the raw text will do
        return value


def _header(message: Message, name: str) -> str:
    """A header's decoded value (the first, if it is repeated); a header the policy cannot parse is read as plain
    text, never raised."""
    values = _raw_values(message, name)
    if not values:
        return ""
    try:
        return str(policy.default.header_factory(name, values[0]))
    except Exception:  # an unparseable structured header or encoded word
        return _decoded_leniently(values[0])


def _raw_header(message: Message, name: str) -> str:
    values = _raw_values(message, name)
    return values[0] if values else ""


def _addresses(message: Message, name: str, *, limit: int | None = None) -> list[Address]:
    """The addresses of a header (all of its copies). Split before encoded words are decoded, so that a display
    name cannot smuggle in an address, a comma or a line break; and quick with ten thousand of them (the
    policy's structured parser takes seconds)."""
    # An encoded word is one atom whatever it holds: a ":", "," or "@" left unencoded inside one (RFC 2047 says
    # to encode them; not every mailer does) must not split the header or pass for an address, so each encoded
    # word stands aside while the header is split.
    words: list[str] = []

    def stand_in(match: re.Match[str]) -> str:
        words.append(match.group(0))
        return f"cfencodedword{len(words) - 1}x"

    def put_back(match: re.Match[str]) -> str:
        index = int(match.group(1))
        return words[index] if index < len(words) else match.group(0)  # the sender's own text, not a stand-in

    def restored(text: str) -> str:
        return ENCODED_WORD_STAND_IN.sub(put_back, text)

    found: list[Address] = []
    seen: set[str] = set()
    values = [ENCODED_WORD.sub(stand_in, value) for value in _raw_values(message, name)]
    for display, address in getaddresses(values):
        address = one_line(restored(address), limit=254).lower()
        if "@" not in address or address in seen:
            continue
        seen.add(address)
        found.append(Address(name=one_line(_decoded(restored(display)), limit=200), email=address))
        if limit is not None and len(found) >= limit:
            break
    return found


def has_headers(raw: bytes) -> bool:
    """Whether bytes begin like an email message: at least one header field."""
    try:
        return bool(BytesHeaderParser(policy=policy.default).parsebytes(raw[:65536]).keys())
    except Exception:  # the parser gives up on some garbage: that is not a message either
        return False


def envelope_summary(raw: bytes) -> tuple[str, str, str]:
    """Message-ID, subject and sender read from the headers alone: what is stored at receipt."""
    try:
        headers = BytesHeaderParser(policy=policy.default).parsebytes(raw)
        message_id = message_id_key(_header(headers, "Message-ID"))
        subject = one_line(_header(headers, "Subject"))
        senders = _addresses(headers, "From", limit=1)
    except Exception:  # anything odd waits for the full parse, which quarantines with a reason
        return "", "", ""
    return message_id, subject, senders[0].email if senders else ""


def _charset_decode(payload: bytes, declared: str | None) -> str:
    """Bytes as text: the declared charset when it is true, else UTF-8, else Windows-1252 (which never fails)."""
    for charset in (declared, "utf-8"):
        if not charset:
            continue
        try:
            return payload.decode(charset)
        except (LookupError, ValueError):  # unknown, not a text codec (base64), or bytes it refuses
            continue
    return payload.decode("cp1252", errors="replace")


def _children(part: Message) -> list[Message]:
    """The parts inside a multipart or message/* part (never the strings a broken one may hold instead)."""
    payload = part.get_payload()
    return [child for child in payload if isinstance(child, Message)] if isinstance(payload, list) else []


def _part_bytes(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload
    return b""


def _part_text(part: Message) -> str:
    return storable(_charset_decode(_part_bytes(part), part.get_content_charset()))


def _safe_filename(name: str) -> str:
    """A file name that names no directory, or "" when storage could make no file name of it (".." say)."""
    name = one_line(name, limit=200).replace("/", "_").replace("\\", "_")
    try:
        get_valid_filename(name)
    except SuspiciousFileOperation:
        return ""
    return name


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:  # a broken RFC 2231 parameter: the name is lost, the content is not
        name = ""
    return _safe_filename(name)


def sniff_content_type(content: bytes, *, fallback: str = "application/octet-stream", filename: str = "") -> str:
    """The type the bytes say they are (magic numbers), not what the sender's header claims."""
    if not content:
        return "application/x-empty"
    head = content[:8192]
    try:
        # The name only ranks the signatures the bytes match (a ZIP named .zip is not a .docx); it never adds one.
        matches = [match for match in puremagic.magic_string(head, filename=filename or None) if match.mime_type]
    except (puremagic.PureError, ValueError):
        matches = []
    # A signature is at the start of a file; one found further in is taken only for what is not text (plain
    # text that happens to hold the word "text" is no OpenDocument file).
    for match in matches:
        if match.offset == 0:
            return str(match.mime_type)[:100]
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return str(matches[0].mime_type)[:100] if matches else one_line(fallback, limit=100)
    return "text/plain"


def html_to_text(html: str) -> str:
    converter = html2text.HTML2Text()
    converter.ignore_images = True
    converter.body_width = 0
    return str(converter.handle(html)).strip()


def html_sanitise(html: str) -> str:
    """HTML safe to show: nh3's allow-list, links made inert to referrers, and no remote images (they load
    only if someone asks; a tracking pixel never fires by itself)."""

    def drop_remote_images(element: str, attribute: str, value: str) -> str | None:
        if element == "img" and attribute == "src" and not value.startswith("cid:"):
            return None
        return value

    return str(
        nh3.clean(
            html,
            link_rel="noopener noreferrer nofollow",
            url_schemes={"http", "https", "mailto", "cid"},
            attribute_filter=drop_remote_images,
        )
    )


def reply_text(text: str) -> str:
    """The newest reply in a message, without the quoted conversation and the signature below it."""
    if not text.strip():
        return ""
    head = text[:REPLY_PARSER_MAX_CHARS]
    try:
        reply = EmailReplyParser(languages=REPLY_LANGUAGES).parse_reply(head)
    except Exception:  # the reply parser is a convenience: on any failure the whole text is shown
        reply = None
    return (reply or "").strip() or text.strip()


def _auto_reply(message: Message) -> str:
    """Why this message is an automatic one (RFC 3834 and the common vendor headers), or ""."""
    auto_submitted = one_line(_header(message, "Auto-Submitted"), limit=40).lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        value = one_line(_header(message, name), limit=40)
        if value and (name != "X-Auto-Response-Suppress" or "all" in value.lower() or "oof" in value.lower()):
            return f"{name}: {value}"
    precedence = one_line(_header(message, "Precedence"), limit=40).lower()
    if precedence in AUTO_PRECEDENCE:
        return f"Precedence: {precedence}"
    if _header(message, "List-Id") or _header(message, "List-Unsubscribe"):
        return "List-Id"
    return ""


def _delivery_status(report: Message) -> Bounce | None:
    """The failed recipients of a multipart/report; report-type=delivery-status (RFC 3464)."""
    recipients: list[str] = []
    reasons: list[str] = []
    original_id = ""
    for part in _children(report):
        content_type = part.get_content_type()
        if content_type == "message/delivery-status":
            for block in _children(part):
                action = _header(block, "Action").strip().lower()
                recipient = _header(block, "Final-Recipient") or _header(block, "Original-Recipient")
                if action and action not in {"failed", "delayed"}:
                    continue
                if recipient:
                    address = recipient.split(";", 1)[-1].strip().strip("<>").lower()
                    if "@" in address:
                        recipients.append(one_line(address, limit=254))
                status = one_line(_header(block, "Status"), limit=100)
                diagnostic = one_line(_header(block, "Diagnostic-Code"), limit=300)
                reason = " ".join(item for item in (status, diagnostic) if item)
                if reason:
                    reasons.append(reason)
        elif content_type in {"message/rfc822", "text/rfc822-headers", "message/rfc822-headers"}:
            if content_type == "message/rfc822":
                original = next(iter(_children(part)), None)
            else:
                original = BytesHeaderParser(policy=policy.default).parsebytes(_part_bytes(part))
            if original is not None:
                original_id = message_id_key(_header(original, "Message-ID"))
    if not recipients and not original_id:
        return None
    # One reason per failed recipient is often the same reason many times over.
    reason = "; ".join(dict.fromkeys(reasons))[:500]
    return Bounce(recipients=list(dict.fromkeys(recipients)), reason=reason, original_message_id=original_id)


def _bounce(message: Message) -> Bounce | None:
    if message.get_content_type() == "multipart/report":
        found = _delivery_status(message)
        if found is not None:
            return found
    failed = _addresses(message, "X-Failed-Recipients", limit=100)
    if failed:
        recipients = [address.email for address in failed]
        return Bounce(
            recipients=recipients, reason=one_line(_header(message, "Subject"), limit=300), original_message_id=""
        )
    return None


def _walk(message: Message) -> list[Message]:
    """Every part, depth first, refusing absurd structures instead of recursing without end."""
    parts: list[Message] = []
    stack: list[tuple[Message, int]] = [(message, 0)]
    while stack:
        part, depth = stack.pop()
        if depth > 100:
            raise ParseFailure(f"MIME structure nested more than 100 levels deep (at {part.get_content_type()})")
        parts.append(part)
        if len(parts) > MAX_PARTS:
            raise ParseFailure(f"more than {MAX_PARTS} MIME parts")
        if part.is_multipart() and part.get_content_type() != "message/rfc822":
            stack.extend((child, depth + 1) for child in reversed(_children(part)))
    return parts


def _body_and_attachments(message: Message) -> tuple[str, str, list[ParsedAttachment], list[str]]:
    texts: list[str] = []
    htmls: list[str] = []
    attachments: list[ParsedAttachment] = []
    notes: list[str] = []
    for part in _walk(message):
        content_type = part.get_content_type()
        if part.is_multipart() and content_type != "message/rfc822":
            continue
        disposition = (part.get_content_disposition() or "").lower()
        filename = _filename(part)
        if content_type == "message/rfc822":
            # A forwarded email is kept whole, as a file (it holds a multipart of its own, never walked into).
            forwarded = next(iter(_children(part)), None)
            content = forwarded.as_bytes(policy=policy.compat32) if forwarded is not None else _part_bytes(part)
            subject = one_line(_header(forwarded, "Subject"), limit=80) if forwarded is not None else ""
            attachments.append(
                ParsedAttachment(
                    filename=filename or _safe_filename(f"{subject or 'forwarded message'}.eml"),
                    content_type="message/rfc822",
                    content=content,
                    note="forwarded",
                )
            )
            continue
        if part.get_content_maintype() == "multipart":
            # Its boundary never appears: what it holds is read as text, not lost in a nameless file.
            texts.append(_part_text(part))
            continue
        if content_type in {"text/plain", "text/html"} and disposition != "attachment" and not filename:
            (texts if content_type == "text/plain" else htmls).append(_part_text(part))
            continue
        content = _part_bytes(part)
        if content_type == "application/ms-tnef" or filename.lower() == "winmail.dat":
            notes.append("winmail.dat")
        elif content_type == "text/calendar":
            filename = filename or "invite.ics"
        attachments.append(
            ParsedAttachment(
                filename=filename or f"attachment-{len(attachments) + 1}",
                content_type=sniff_content_type(content, fallback=content_type, filename=filename),
                content=content,
                inline=disposition == "inline",
                content_id=message_id_key(_header(part, "Content-ID")),
            )
        )
    text = "\n\n".join(item.strip() for item in texts if item.strip())
    html = "\n".join(htmls)
    if not text and html:
        text = html_to_text(html)
    return text, html, attachments, notes


def parse(raw: bytes, *, envelope_from: str = "") -> ParsedEmail:
    """Read a message; raises ParseFailure with the reason when it cannot become a ticket message."""
    if not raw.strip():
        raise ParseFailure("the message is empty")
    try:
        message = message_from_bytes(raw, policy=policy.default)
    except Exception as exc:  # the standard library's parser is lenient; anything it still throws is quarantined
        raise ParseFailure(f"the message could not be parsed: {exc.__class__.__name__}: {exc}") from exc
    if not message.keys():
        raise ParseFailure("the message has no headers")
    senders = _addresses(message, "From", limit=1)
    sender = senders[0] if senders else None
    if sender is None and envelope_from and "@" in envelope_from:
        sender = Address(name="", email=one_line(envelope_from, limit=254).lower())
    try:
        text, html, attachments, notes = _body_and_attachments(message)
        bounce = _bounce(message)
    except ParseFailure:
        raise
    except Exception as exc:  # a part the standard library cannot decode: keep the original, say what broke
        raise ParseFailure(f"a MIME part could not be read: {exc.__class__.__name__}: {exc}") from exc
    if sender is None and bounce is None:
        raise ParseFailure("the message has no sender address (no From header and no envelope sender)")
    try:
        date = parsedate_to_datetime(_header(message, "Date")) if _header(message, "Date") else None
    except (TypeError, ValueError, IndexError):
        date = None
    if date is not None and date.tzinfo is None:
        date = None
    text = text.replace("\r\n", "\n")
    truncated = len(text) > MAX_TEXT_CHARS
    text = text[:MAX_TEXT_CHARS]
    return ParsedEmail(
        message_id=message_id_key(_header(message, "Message-ID")),
        subject=one_line(_header(message, "Subject")),
        sender=sender,
        to=_addresses(message, "To", limit=MAX_CC_FOLLOWERS),
        cc=_addresses(message, "Cc", limit=MAX_CC_FOLLOWERS),
        reply_to=_addresses(message, "Reply-To", limit=1),
        in_reply_to=message_ids(_header(message, "In-Reply-To")),
        references=message_ids(_raw_header(message, "References") or _header(message, "References"))[-50:],
        date=date,
        text=text,
        html=html_sanitise(html) if html else "",
        attachments=attachments,
        notes=notes,
        auto_reply=_auto_reply(message) if bounce is None else "",
        bounce=bounce,
        truncated=truncated,
    )


def content_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def dedupe_key(*, message_id: str, sha256: str) -> str:
    return hashlib.sha256(f"{message_id}\x00{sha256}".encode("utf-8", "surrogateescape")).hexdigest()
