"""Time waited on the client, as people say it."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def waited(value: timedelta | None) -> str:
    """“2 days 5 hours”, “3 hours”, “40 minutes” (rounded down to what is shown)."""
    seconds = int(value.total_seconds()) if value is not None else 0
    days, rest = divmod(max(seconds, 0), 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        day_words = ngettext("{count} day", "{count} days", days).format(count=days)
        if not hours:
            return day_words
        hour_words = ngettext("{count} hour", "{count} hours", hours).format(count=hours)
        return _("{days} {hours}").format(days=day_words, hours=hour_words)
    if hours:
        return ngettext("{count} hour", "{count} hours", hours).format(count=hours)
    minutes = rest // 60
    return ngettext("{count} minute", "{count} minutes", minutes).format(count=minutes)
