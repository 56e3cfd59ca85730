"""Background jobs of the portal: sign-in emails and forgetting old used links."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from carefront.portal.services import magic_link_uses_purge, magic_links_send


@db_task(retries=3, retry_delay=30)
def send_magic_links(*, email: str) -> int:
    """Email sign-in links to the contacts with this address (none when it is unknown)."""
    return magic_links_send(email=email)


@db_periodic_task(crontab(minute="23"))
def purge_magic_link_uses() -> int:
    """Forget used sign-in links whose signature has expired anyway."""
    return magic_link_uses_purge()
