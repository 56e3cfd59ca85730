"""Reads of API tokens and their owners, for the CLI and the back office."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from carefront.api.models import ApiToken
from carefront.core.exceptions import ApplicationError


def user_named(*, who: str) -> Any | None:
    """The user with this username, or else the one user with this email; None when there is none."""
    who = who.strip()
    users = get_user_model().objects
    user = users.filter(username=who).first()
    if user is not None:
        return user
    by_email = list(users.filter(email__iexact=who)[:2]) if who else []
    if len(by_email) > 1:
        raise ApplicationError(_("Several users have the email {email}; name one by username.").format(email=who))
    return by_email[0] if by_email else None


def tokens_list(*, user: Any = None) -> QuerySet[ApiToken]:
    """Every token (or one user's), newest first, with its owner."""
    tokens = ApiToken.objects.select_related("user").order_by("-created_at", "-pk")
    if user is not None:
        tokens = tokens.filter(user=user)
    return tokens
