"""An advisor's check-ins as an iCalendar feed (RFC 5545, written by the `icalendar` package).

The URL carries a secret (only its hash is stored); no login, since calendar programs cannot log in. An unknown or
revoked secret is a 404. Each check-in is one event whose UID never changes, so a rescheduled check-in moves in the
subscriber's calendar (its SEQUENCE is the check-in's version); times are in the client's time zone, with its
VTIMEZONE. Cancelled and missed check-ins stay, marked CANCELLED, so a calendar removes them rather than keeping a
stale copy.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import icalendar
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from carefront.core.selectors import staff_language
from carefront.relationships.models import CheckIn, CheckInState
from carefront.relationships.schedule import zone_of
from carefront.relationships.selectors_checkins import feed_check_ins, feed_owner

PRODID = "-//Carefront//Check-ins//EN"
STATUS = {
    CheckInState.SCHEDULED: "CONFIRMED",
    CheckInState.HELD: "CONFIRMED",
    CheckInState.MISSED: "CANCELLED",
    CheckInState.CANCELLED: "CANCELLED",
}


def check_in_uid(check_in: CheckIn, *, host: str) -> str:
    return f"check-in-{check_in.pk}@{host}"


def _summary(check_in: CheckIn) -> str:
    title = _("{name} with {account}").format(name=check_in.cadence.name, account=check_in.account.name)
    if check_in.state == CheckInState.MISSED:
        return _("Missed: {title}").format(title=title)
    if check_in.state == CheckInState.CANCELLED:
        return _("Cancelled: {title}").format(title=title)
    return title


def calendar_build(*, user: Any, check_ins: list[CheckIn], host: str) -> bytes:
    """The `.ics` text of the advisor's check-ins."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", _("Check-ins of {name}").format(name=user.get_full_name() or user.get_username()))
    stamp = timezone.now()
    for check_in in check_ins:
        zone = zone_of(check_in.account.time_zone)
        start = check_in.scheduled_at.astimezone(zone)
        event = icalendar.Event()
        event.add("uid", check_in_uid(check_in, host=host))
        event.add("dtstamp", stamp)
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(minutes=check_in.duration_minutes))
        event.add("summary", _summary(check_in))
        event.add("status", STATUS[CheckInState(check_in.state)])
        event.add("sequence", check_in.version)
        event.add("last-modified", check_in.updated_at)
        event.add("description", check_in.cadence.get_channel_display())
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The advisor's check-ins, for calendar programs: no login, the secret in the URL is the key."""
    user = feed_owner(token=token)
    if user is None:
        raise Http404
    host = request.get_host().split(":")[0] or "carefront"
    with translation.override(staff_language(user_id=user.pk) or settings.LANGUAGE_CODE):
        body = calendar_build(user=user, check_ins=feed_check_ins(user=user), host=host)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response
