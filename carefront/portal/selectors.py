"""Reads of the customer portal: who is signed in, sign-in links, and the account's tickets."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core import signing
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django_stubs_ext import StrPromise

from carefront.accounts.models import Contact
from carefront.core.access import portal_account_id
from carefront.core.exceptions import ApplicationError
from carefront.desk.access import tickets_visible_to
from carefront.desk.models import Message, Status, Ticket
from carefront.desk.selectors import TicketFilters, messages_list, tickets_list
from carefront.portal.models import MagicLinkUse

MAGIC_LINK_SALT = "carefront.portal.magic-link"
PAGE_SIZE = 20

# What a status means to the customer: "pending" is the desk waiting on them. The portal speaks of
# requests, not tickets, so the labels have a context of their own (French: "Résolue", not "Résolu").
CUSTOMER_STATUS_LABELS: dict[str, StrPromise] = {
    Status.NEW: pgettext_lazy("portal request status", "Received"),
    Status.OPEN: pgettext_lazy("portal request status", "In progress"),
    Status.PENDING: pgettext_lazy("portal request status", "Awaiting your reply"),
    Status.ON_HOLD: pgettext_lazy("portal request status", "In progress"),
    Status.SOLVED: pgettext_lazy("portal request status", "Solved"),
    Status.CLOSED: pgettext_lazy("portal request status", "Closed"),
}

M = TypeVar("M", bound=Model)


def portal_contact(user: Any) -> Contact | None:
    """The contact a signed-in portal user is; None for staff, strangers and anonymous visitors."""
    if portal_account_id(user) is None:
        return None
    contact: Contact = user.contact
    return contact


def email_fingerprint(email: str) -> str:
    # A sign-in link carries this digest, not the address, so URLs in proxy logs reveal no email.
    return hashlib.sha256(email.encode()).hexdigest()[:16]


def magic_link_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def magic_link_contact(*, token: str) -> Contact:
    """The contact a sign-in link opens, if the link is genuine, unexpired, unused and the address still theirs."""
    invalid = ApplicationError(_("This sign-in link is not valid. Ask for a new one."), field="token")
    try:
        payload = signing.loads(
            token, salt=MAGIC_LINK_SALT, max_age=timedelta(minutes=settings.CAREFRONT_MAGIC_LINK_MINUTES)
        )
    except signing.SignatureExpired as exc:
        raise ApplicationError(
            _("This sign-in link has expired. Ask for a new one."), field="token", status=410
        ) from exc
    except signing.BadSignature as exc:
        raise invalid from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("c"), int):
        raise invalid
    contact = Contact.objects.select_related("account", "user").filter(pk=payload["c"]).first()
    if contact is None or not contact.email or email_fingerprint(contact.email) != payload.get("e"):
        raise invalid
    if contact.user is not None and not contact.user.is_active:
        raise invalid
    if MagicLinkUse.objects.filter(token_hash=magic_link_token_hash(token)).exists():
        raise ApplicationError(
            _("This sign-in link has already been used. Ask for a new one."), field="token", status=410
        )
    return contact


def portal_password_usernames(*, email: str) -> list[str]:
    """Usernames of the active portal users with this email who have set a password."""
    if not email:
        return []
    users = (
        get_user_model()
        .objects.filter(contact__email=email, is_active=True, staff_profile__isnull=True)
        .exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)
    )
    return list(users.order_by("pk").values_list("username", flat=True))


@dataclass(frozen=True)
class Page(Generic[M]):
    """One page of a keyset-paginated list, newest first, with the cursors of its neighbours."""

    items: list[M]
    older: int | None
    newer: int | None


def keyset_page(queryset: QuerySet[M], *, before: int | None, after: int | None, size: int) -> Page[M]:
    """A page of `queryset` by primary key (`before` for older rows, `after` for newer): O(page), never an offset."""
    if after is not None:
        rows = list(queryset.filter(pk__gt=after).order_by("pk")[: size + 1])
        more_newer = len(rows) > size
        rows = rows[:size][::-1]
        return Page(items=rows, older=rows[-1].pk if rows else None, newer=rows[0].pk if more_newer else None)
    if before is not None:
        queryset = queryset.filter(pk__lt=before)
    rows = list(queryset.order_by("-pk")[: size + 1])
    more_older = len(rows) > size
    rows = rows[:size]
    return Page(
        items=rows,
        older=rows[-1].pk if more_older else None,
        newer=rows[0].pk if before is not None and rows else None,
    )


def portal_tickets_page(
    *, user: Any, mine: bool = False, before: int | None = None, after: int | None = None, size: int = PAGE_SIZE
) -> Page[Ticket]:
    """The account's tickets (or only the contact's own), newest first."""
    contact = portal_contact(user)
    if contact is None:
        return Page(items=[], older=None, newer=None)
    filters = TicketFilters(requester=contact.pk if mine else None)
    return keyset_page(tickets_list(user=user, filters=filters), before=before, after=after, size=size)


@dataclass(frozen=True)
class TicketView:
    """A ticket as its requester's account sees it: the public conversation and any follow-up tickets."""

    ticket: Ticket
    messages: list[Message]
    follow_ups: list[Ticket]


def portal_ticket_view(*, user: Any, ticket: Ticket) -> TicketView:
    messages = list(messages_list(user=user, ticket=ticket).order_by("id"))
    follow_ups = list(tickets_visible_to(user).filter(follow_up_of=ticket).order_by("id").only("id", "number"))
    return TicketView(ticket=ticket, messages=messages, follow_ups=follow_ups)
