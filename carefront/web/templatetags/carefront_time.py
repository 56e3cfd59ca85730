"""Durations as people read them."""

from __future__ import annotations

from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def whole_minutes(value: timedelta | None) -> int:
    """A duration in whole minutes, rounded up so that "try again in N minutes" is never too early."""
    if value is None:
        return 0
    return -(-int(value.total_seconds()) // 60)
