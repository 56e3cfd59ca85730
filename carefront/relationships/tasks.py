"""Background jobs of the relationships: marking late commitments, reminding clients of what they owe us,
creating check-ins ahead of time (reminding advisors, marking missed ones), each advisor's morning
recommendations, scheduling and sending follow-ups, and scoring the clients' health."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from carefront.relationships.services import commitments_mark_late
from carefront.relationships.services_checkins import checkins_run
from carefront.relationships.services_followups import followups_schedule, followups_send_due
from carefront.relationships.services_health import health_recompute_all, health_recompute_stale
from carefront.relationships.services_recommendations import recommendations_run
from carefront.relationships.services_reminders import dependencies_remind, dependency_reminder_send


@db_task(retries=3, retry_delay=60)
def send_dependency_reminder(*, dependency_id: int) -> None:
    dependency_reminder_send(dependency_id=dependency_id)


@db_periodic_task(crontab(minute="*/15"))
def mark_late_commitments() -> int:
    """Open commitments past their due date (and not waiting on the client) become late."""
    return commitments_mark_late()


@db_periodic_task(crontab(minute="20"))
def remind_overdue_dependencies() -> int:
    """Hourly: remind the contacts of overdue dependencies (each at most once per interval) and alert advisors."""
    return dependencies_remind()


@db_periodic_task(crontab(minute="*/15"))
def run_check_ins() -> int:
    """Create check-ins within the horizon, remind advisors of the coming ones (once each), mark missed ones."""
    done = checkins_run()
    return done.created + done.reminded + done.missed


@db_periodic_task(crontab(minute="5"))
def make_morning_recommendations() -> int:
    """Hourly: make the recommendations of each advisor whose local morning has come and whose list for today is
    still to make."""
    return recommendations_run()


@db_task(retries=3, retry_delay=60)
def schedule_followups(*, event: str, object_id: int) -> int:
    """After an event's commit: schedule the follow-ups its rules ask for (once, however often this runs)."""
    return followups_schedule(event=event, object_id=object_id)


@db_periodic_task(crontab(minute="*"))
def send_due_followups() -> int:
    """Every minute: send (or skip, with the reason) the follow-ups that are due."""
    return followups_send_due()


@db_periodic_task(crontab(minute="50"))
def recompute_health() -> int:
    """Hourly: score every client account in batches (windows move on with time even when nothing changes)."""
    return health_recompute_all().accounts


@db_task()
def recompute_health_now() -> int:
    """Score every client account now: after the health settings changed, or a manager asked."""
    return health_recompute_all().accounts


@db_periodic_task(crontab(minute="*"))
def recompute_stale_health() -> int:
    """Every minute: score the clients whose inputs changed (and new clients) if the queued sweep did not."""
    return health_recompute_stale()


@db_task()
def recompute_stale_health_now() -> int:
    """Queued after a change to a client's health inputs commits; many changes make one recompute per account."""
    return health_recompute_stale()
