"""Background jobs of the surveys: sending an event's survey after its commit, and running due campaigns."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from carefront.feedback.services_sending import campaigns_run, event_surveys_send


@db_task(retries=3, retry_delay=60)
def send_event_surveys(*, event: str, object_id: int) -> int:
    """After a ticket solved or an order recorded commits: send its survey (once, however often this runs)."""
    return len(event_surveys_send(event=event, object_id=object_id))


@db_periodic_task(crontab(minute="*/5"))
def run_survey_campaigns() -> int:
    """Every five minutes: run the scheduled campaigns whose next sending has come."""
    return campaigns_run()
