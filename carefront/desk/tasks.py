"""Background jobs of the desk."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from carefront.desk.services import tickets_close_solved


@db_periodic_task(crontab(minute="*/10"))
def close_solved_tickets() -> int:
    """Close tickets that have stayed solved for CAREFRONT_AUTO_CLOSE_DAYS."""
    return tickets_close_solved(older_than=timedelta(days=settings.CAREFRONT_AUTO_CLOSE_DAYS))
