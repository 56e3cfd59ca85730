"""Every write of the customer portal: sign-in links and passwords, requests and replies from contacts."""

from __future__ import annotations

import codecs
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from carefront.accounts.models import Channel, Contact
from carefront.accounts.services import contact_grant_portal_access
from carefront.core.access import portal_account_id
from carefront.core.exceptions import ApplicationError
from carefront.core.selectors import supported_language
from carefront.core.services import Actor, events_record
from carefront.core.validation import clean_email
from carefront.desk.models import Message, Status, Ticket
from carefront.desk.services import NewAttachment, ticket_create, ticket_reply
from carefront.portal.models import MagicLinkUse
from carefront.portal.selectors import (
    MAGIC_LINK_SALT,
    email_fingerprint,
    magic_link_contact,
    magic_link_token_hash,
    portal_contact,
    portal_password_usernames,
)

MAX_ATTACHMENTS = 10
SNIFF_BYTES = 2048


# --- signing in -------------------------------------------------------------------------------


def magic_link_token_create(*, contact: Contact) -> str:
    """A signed, timestamped sign-in token for one contact.

    It names the contact and a digest of their current email (a changed address voids it), plus a
    nonce so that two links asked for in the same second differ and each can be used once.
    """
    payload = {"c": contact.pk, "e": email_fingerprint(contact.email), "n": secrets.token_urlsafe(6)}
    return signing.dumps(payload, salt=MAGIC_LINK_SALT)


def magic_link_request(*, email: str) -> None:
    """Queue the sign-in email for an address, whether or not a contact has it.

    Looking the address up happens in the job, so the answer and its timing say nothing about
    which addresses are known.
    """
    address = clean_email(email)
    if not address:
        raise ApplicationError(_("Enter your email address."), field="email")
    from carefront.portal.tasks import send_magic_links

    transaction.on_commit(lambda: send_magic_links(email=address))


@dataclass(frozen=True)
class SignInLink:
    """One link of a sign-in email: the account it opens and its address."""

    account: str
    url: str


def magic_links_send(*, email: str) -> int:
    """Email one sign-in link per contact with this address (one per account); returns how many links."""
    address = clean_email(email)
    if not address:
        return 0
    contacts = [
        contact
        for contact in Contact.objects.filter(email=address)
        .select_related("account", "user")
        .order_by("account__name", "pk")
        if contact.user is None or contact.user.is_active
    ]
    if not contacts:
        return 0
    links = [
        SignInLink(
            account=contact.account.name,
            url=settings.BASE_URL
            + reverse("portal:magic_link", kwargs={"token": magic_link_token_create(contact=contact)}),
        )
        for contact in contacts
    ]
    minutes = settings.CAREFRONT_MAGIC_LINK_MINUTES
    with translation.override(supported_language(contacts[0].language) or settings.LANGUAGE_CODE):
        lines = [_("Hello {name},").format(name=contacts[0].name), ""]
        if len(links) == 1:
            lines += [_("Use this link to sign in to your support portal:"), links[0].url]
        else:
            lines += [
                _("Your address belongs to several organisations. Use the link for the one you want to sign in to:"),
                "",
                *(f"{link.account}: {link.url}" for link in links),
            ]
        lines += [
            "",
            ngettext(
                "Each link works once and expires in {minutes} minute.",
                "Each link works once and expires in {minutes} minutes.",
                minutes,
            ).format(minutes=minutes),
            _("If you did not ask to sign in, you can ignore this email."),
        ]
        subject = _("Your sign-in link")
    send_mail(subject=subject, message="\n".join(lines) + "\n", from_email=None, recipient_list=[address])
    return len(links)


@transaction.atomic
def magic_link_redeem(*, token: str) -> Any:
    """The portal user a sign-in link opens, created on first use; each link works once, within its lifetime.

    Use is recorded by the token's hash under a unique constraint, so two requests racing with the
    same link cannot both succeed.
    """
    contact = magic_link_contact(token=token)
    try:
        with transaction.atomic():
            MagicLinkUse.objects.create(token_hash=magic_link_token_hash(token), contact=contact)
    except IntegrityError as exc:
        raise ApplicationError(
            _("This sign-in link has already been used. Ask for a new one."), field="token", status=410
        ) from exc
    return contact_grant_portal_access(contact=contact, actor=None)


def magic_link_uses_purge(*, now: datetime | None = None) -> int:
    """Forget used links old enough that their signature has expired anyway; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(minutes=settings.CAREFRONT_MAGIC_LINK_MINUTES + 5)
    deleted, _by_model = MagicLinkUse.objects.filter(used_at__lt=cutoff).delete()
    return deleted


def portal_authenticate(*, request: HttpRequest, email: str, password: str) -> Any | None:
    """The portal user this email and password sign in, or None.

    Every attempt goes through `authenticate(request=...)`, so django-axes counts failures and locks
    out guessing. An address with no password-holding contact is tried as a username, so unknown
    addresses are counted and locked out exactly like known ones.
    """
    address = (email or "").strip().lower()
    for username in portal_password_usernames(email=address) or [address]:
        user = authenticate(request=request, username=username, password=password)
        if getattr(request, "axes_locked_out", False):
            return None
        if user is not None:
            # Staff sign in to the workspace; the portal form never opens a staff session.
            return user if portal_account_id(user) is not None else None
    return None


@transaction.atomic
def portal_password_set(*, user: Any, password: str, actor: Actor) -> None:
    """Let a contact sign in with a password as well as by link; Django's validators judge its strength."""
    account_id = portal_account_id(user)
    if account_id is None:
        raise ApplicationError(_("Only customers set a portal password here."), status=403)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages), field="password") from exc
    user.set_password(password)
    user.save(update_fields=["password"])
    events_record(subject_kind="account", subject_id=account_id, action="portal_password_set", actor=actor)


# --- attachments --------------------------------------------------------------------------------

OFFICE_ZIP_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odp": "application/vnd.oasis.opendocument.presentation",
}
OFFICE_OLE_TYPES = {
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".ppt": "application/vnd.ms-powerpoint",
}
TEXT_TYPES = {".txt": "text/plain", ".log": "text/plain", ".csv": "text/csv", ".md": "text/markdown"}
ACCEPTED_EXTENSIONS = sorted(
    {".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf", *OFFICE_ZIP_TYPES, *OFFICE_OLE_TYPES, *TEXT_TYPES}
)


def attachment_type_sniff(*, head: bytes, filename: str) -> str | None:
    """The content type a file's first bytes prove, or None when it is not a type the portal accepts.

    The browser's Content-Type header is never trusted. Office documents are containers (ZIP or
    OLE2) that only their extension tells apart, so for them the magic number must match the
    extension; text has no magic number and must decode as UTF-8 with no NUL bytes.
    """
    extension = PurePath(filename.lower()).suffix
    signatures = (
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"),
        (b"%PDF-", "application/pdf"),
    )
    for magic, content_type in signatures:
        if head.startswith(magic):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"PK\x03\x04"):
        return OFFICE_ZIP_TYPES.get(extension)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return OFFICE_OLE_TYPES.get(extension)
    if extension in TEXT_TYPES and b"\x00" not in head:
        try:
            # Not final: the sniffed prefix may end inside a multi-byte character.
            codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        except UnicodeDecodeError:
            return None
        return TEXT_TYPES[extension]
    return None


def attachments_prepare(*, files: Sequence[UploadedFile]) -> list[NewAttachment]:
    """Check uploads against the size limit and the type allow-list, typed by their content."""
    if len(files) > MAX_ATTACHMENTS:
        raise ApplicationError(
            _("Attach at most {count} files at a time.").format(count=MAX_ATTACHMENTS), field="attachments"
        )
    limit = settings.CAREFRONT_MAX_ATTACHMENT_BYTES
    prepared: list[NewAttachment] = []
    for upload in files:
        name = PurePath(upload.name or "").name or "attachment"
        size = upload.size or 0
        if size > limit:
            raise ApplicationError(
                _("{name} is too large: files can be up to {limit}.").format(name=name, limit=filesizeformat(limit)),
                field="attachments",
            )
        if size == 0:
            raise ApplicationError(_("{name} is empty.").format(name=name), field="attachments")
        upload.seek(0)
        head = upload.read(SNIFF_BYTES)
        upload.seek(0)
        content_type = attachment_type_sniff(head=head, filename=name)
        if content_type is None:
            raise ApplicationError(
                _("{name} is not a file type we accept: send images, PDF, text or office documents.").format(name=name),
                field="attachments",
            )
        prepared.append(NewAttachment(filename=name, content_type=content_type, content=upload))
    return prepared


# --- requests and replies -----------------------------------------------------------------------


def _contact_of(user: Any) -> Contact:
    contact = portal_contact(user)
    if contact is None:
        raise ApplicationError(_("Only customers use the portal."), status=403)
    return contact


def portal_ticket_submit(*, user: Any, subject: str, description: str, files: Sequence[UploadedFile] = ()) -> Ticket:
    """A request from the portal: a ticket on the portal channel, asked by the signed-in contact."""
    contact = _contact_of(user)
    attachments = attachments_prepare(files=files)
    return ticket_create(
        actor=user,
        requester=contact,
        subject=subject,
        body=description,
        channel=Channel.PORTAL,
        attachments=attachments,
    )


@dataclass(frozen=True)
class ReplyOutcome:
    """What a contact's reply did: reopened a solved ticket, or (on a closed one) opened a follow-up."""

    message: Message
    reopened: bool
    follow_up: Ticket | None


def portal_ticket_reply(*, user: Any, ticket: Ticket, body: str, files: Sequence[UploadedFile] = ()) -> ReplyOutcome:
    """A contact's reply from the portal, through the desk's reply rules."""
    contact = _contact_of(user)
    attachments = attachments_prepare(files=files)
    before = ticket.status
    message = ticket_reply(
        ticket=ticket, body=body, contact=contact, actor=user, channel=Channel.PORTAL, attachments=attachments
    )
    if message.ticket_id != ticket.pk:
        return ReplyOutcome(message=message, reopened=False, follow_up=message.ticket)
    return ReplyOutcome(
        message=message, reopened=before == Status.SOLVED and message.ticket.status == Status.OPEN, follow_up=None
    )
