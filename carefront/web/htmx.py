"""Whether a request is htmx asking for a fragment (django-htmx's `request.htmx`)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def htmx_fragment(request: HttpRequest) -> bool:
    """An htmx request for a fragment, not htmx restoring a whole page from its history."""
    details: Any = getattr(request, "htmx", None)
    return bool(details) and not details.history_restore_request
