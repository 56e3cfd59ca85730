"""Reads of macros, shaped for the editor's menu, the settings list and the API."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from carefront.desk.access import macros_visible_to
from carefront.desk.models import Macro


def macros_list(*, user: Any, active_only: bool = False) -> QuerySet[Macro]:
    """The macros a staff member may use, shared and own, by name, with their texts."""
    macros = macros_visible_to(user).prefetch_related("texts").order_by("name", "id")
    return macros.filter(is_active=True) if active_only else macros
