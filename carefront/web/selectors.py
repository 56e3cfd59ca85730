"""Reads the workspace layout needs on every page."""

from __future__ import annotations

from typing import Any

from django.conf import settings


def _supported_language(code: str) -> str | None:
    base = (code or "").split("-")[0].split("_")[0].lower()
    return base if base in {lang for lang, _name in settings.LANGUAGES} else None


def viewer_preferences(user: Any) -> tuple[str, str | None] | None:
    """(time zone, language) for a signed-in staff member or contact; None for anonymous visitors."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    profile = getattr(user, "staff_profile", None)
    if profile is not None:
        return profile.time_zone, _supported_language(profile.language)
    contact = getattr(user, "contact", None)
    if contact is not None:
        return contact.time_zone or contact.account.time_zone, _supported_language(contact.language)
    return None
