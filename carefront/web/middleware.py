"""Each signed-in person sees times in their own zone and the interface in their own language."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from carefront.web.selectors import viewer_preferences


class ViewerPreferencesMiddleware:
    """Activate the viewer's time zone and language (staff profile, or a contact's own settings)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        preferences = viewer_preferences(request.user)
        if preferences is None:
            timezone.deactivate()
            return self.get_response(request)
        time_zone, language = preferences
        try:
            timezone.activate(zoneinfo.ZoneInfo(time_zone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        # Restored afterwards: a language left active would follow the thread into whatever it does next
        # (a test after this request rendered in the last viewer's French).
        previous_language = translation.get_language()
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
            if previous_language:
                translation.activate(previous_language)
            else:
                translation.deactivate()
