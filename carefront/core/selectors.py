"""Reads shared by every app."""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet
from huey.contrib.djhuey import HUEY

from carefront.core.models import Event


def readiness_problems() -> list[str]:
    """What keeps this process from serving: an unreachable database or queue."""
    problems: list[str] = []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means not ready
        problems.append(f"database unreachable: {exc.__class__.__name__}: {exc}".strip())
    try:
        HUEY.storage.queue_size()
    except Exception as exc:  # redis or sqlite errors alike
        problems.append(f"queue unreachable: {exc.__class__.__name__}: {exc}".strip())
    return problems


def events_for(*, subject_kind: str, subject_id: int) -> QuerySet[Event]:
    """The audit trail of one ticket or account, oldest first."""
    return Event.objects.filter(subject_kind=subject_kind, subject_id=subject_id).select_related("actor").order_by("id")
