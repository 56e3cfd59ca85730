"""API tokens: created (shown once), looked up by hash, revoked."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carefront.api.models import ApiToken
from carefront.core.exceptions import ApplicationError
from carefront.core.selectors import unique_or_none

TOKEN_PREFIX = "cf"  # noqa: S105 (a label, not a secret)


def _hash(token: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough; no password stretching is needed.
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def token_create(*, user: Any, name: str = "") -> tuple[ApiToken, str]:
    """Create a token for a user; the plain token is returned once and never stored."""
    if not user.is_active:
        raise ApplicationError(_("{user} is inactive.").format(user=user.get_username()), field="user")
    prefix = secrets.token_hex(6)
    plain = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(user=user, name=name[:100], prefix=prefix, key_hash=_hash(plain))
    return token, plain


def token_authenticate(*, plain: str) -> Any | None:
    """The active user behind a bearer token, or None."""
    parts = plain.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    # Not user__contact: only portal tokens need it (one query then), and the reverse join made SQLite
    # scan every contact on every request.
    token = unique_or_none(
        ApiToken.objects.select_related("user", "user__staff_profile").filter(prefix=parts[1], revoked_at__isnull=True)
    )
    if token is None or not secrets.compare_digest(token.key_hash, _hash(plain)) or not token.user.is_active:
        return None
    now = timezone.now()
    # Write at most once a minute so reads stay reads.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def token_revoke(*, prefix: str) -> ApiToken:
    """Revoke a token by its prefix (the part shown in listings)."""
    token = ApiToken.objects.filter(prefix=prefix).first()
    if token is None:
        raise ApplicationError(_("No token with prefix {prefix}.").format(prefix=prefix), field="prefix", status=404)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


@transaction.atomic
def token_owner_resolve(*, who: str, actor: Any = None) -> Any:
    """The user a new token is for, named by username or email.

    When no user has that email but exactly one contact does, the contact gets its portal user
    (the one a contact's token belongs to).
    """
    from carefront.accounts.models import Contact
    from carefront.accounts.services import contact_grant_portal_access
    from carefront.api.selectors import user_named

    user = user_named(who=who)
    if user is not None:
        return user
    contacts = list(Contact.objects.filter(email__iexact=who.strip())[:2])
    if len(contacts) == 1:
        return contact_grant_portal_access(contact=contacts[0], actor=actor)
    if len(contacts) > 1:
        raise ApplicationError(
            _("Several contacts have the email {email}; give one of them portal access first.").format(email=who)
        )
    raise ApplicationError(_("No user or contact is called {who}.").format(who=who), status=404)
