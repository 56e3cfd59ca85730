"""Background jobs of the desk."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from carefront.desk.automation_services import automations_run, requester_remind
from carefront.desk.services import tickets_close_solved
from carefront.desk.sla_services import (
    calendars_extend,
    sla_clocks_check,
    sla_clocks_notify,
    sla_clocks_recompute,
)

NOTIFY_BATCH = 500


@db_periodic_task(crontab(minute="*/10"))
def close_solved_tickets() -> int:
    """Close tickets that have stayed solved for CAREFRONT_AUTO_CLOSE_DAYS."""
    return tickets_close_solved(older_than=timedelta(days=settings.CAREFRONT_AUTO_CLOSE_DAYS))


@db_periodic_task(crontab(minute="*"))
def check_sla_clocks() -> dict[str, int]:
    """Mark SLA breaches and warnings, then notify the people responsible (in batches, through the queue)."""
    found = sla_clocks_check()
    for kind, ids in (("breached", found.breached), ("warning", found.warned)):
        for start in range(0, len(ids), NOTIFY_BATCH):
            notify_sla_clocks(clock_ids=ids[start : start + NOTIFY_BATCH], kind=kind)
    return {"breached": len(found.breached), "warned": len(found.warned)}


@db_task(retries=3, retry_delay=30)
def notify_sla_clocks(*, clock_ids: list[int], kind: str) -> int:
    return sla_clocks_notify(clock_ids=clock_ids, kind=kind)


@db_task(retries=3, retry_delay=30)
def recompute_sla_clocks(*, calendar_id: int | None = None, policy_id: int | None = None) -> int:
    """Give the clocks of a changed calendar or policy their new targets and due times."""
    return sla_clocks_recompute(calendar_id=calendar_id, policy_id=policy_id)


@db_periodic_task(crontab(minute="17", hour="3"))
def extend_calendars() -> int:
    """Keep every business calendar laid out two years ahead."""
    return calendars_extend()


@db_periodic_task(crontab(minute="*/5"))
def run_automations() -> dict[str, int]:
    """Apply the time-based automations to the tickets due for them (each at most once per moment)."""
    return automations_run()


@db_task(retries=3, retry_delay=60)
def remind_requester(*, ticket_id: int) -> bool:
    return requester_remind(ticket_id=ticket_id)
