"""Background jobs of the email channel: filing received mail, delivering sent mail, and the
sweeps that pick up whatever a killed worker left behind."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, on_startup
from huey.exceptions import RetryTask

from carefront.mail import selectors, services
from carefront.mail.models import DeliveryState

# These jobs return nothing: Huey keeps a job's return value until someone reads it (one more write to the
# queue per message, and on Redis a hash that grows with every email), and nobody reads these.


@db_task(retries=5, retry_delay=10, retry_backoff=2)
def process_inbound(inbound_id: int) -> None:
    """File a stored message and a batch of others waiting with it (retried when the database is busy; a
    message is never filed twice, and the jobs of messages another job filed find nothing to do)."""
    # Inline (the immediate queue of tests and development), lingering would hold up whoever stored the message.
    linger = timedelta(0) if settings.HUEY.get("immediate") else services.FILING_LINGER
    services.inbound_file_waiting(first_id=inbound_id, linger=linger)


@db_task()
def send_email(outbound_id: int) -> None:
    """Deliver one email; a deferred one comes back after its back-off delay."""
    delivery = services.outbound_deliver(outbound_id=outbound_id)
    if delivery.state == DeliveryState.DEFERRED and delivery.retry_in is not None:
        raise RetryTask(delay=int(delivery.retry_in.total_seconds()))


def _sweep_inbound(*, older_than: timedelta) -> int:
    ids = selectors.inbound_pending_ids(older_than=timezone.now() - older_than)
    for inbound_id in ids:
        process_inbound(inbound_id)
    return len(ids)


@db_periodic_task(crontab(minute="*"))
def sweep_mail() -> dict[str, int]:
    """Queue again what a killed worker dropped: received messages still unfiled, emails never delivered."""
    inbound = _sweep_inbound(older_than=timedelta(minutes=1))
    outbound = services.outbound_due_ids()
    for outbound_id in outbound:
        send_email(outbound_id)
    return {"inbound": inbound, "outbound": len(outbound)}


@on_startup()
def sweep_inbound_on_start() -> None:
    """A worker that starts (after a crash, say) files at once what was received and never filed."""
    if settings.HUEY.get("immediate"):
        return
    _sweep_inbound(older_than=timedelta(seconds=0))
