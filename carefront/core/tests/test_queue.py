"""The real job queue: a web request enqueues, a separate `carefront worker` process executes."""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest
from django.conf import settings
from huey.contrib.djhuey import HUEY

from carefront.api.services import token_create
from carefront.core.models import Notification
from carefront.core.tests.processes import CarefrontProcess


@pytest.mark.queue
def test_job_enqueued_by_web_request_is_executed_by_separate_worker_process(
    transactional_db: Any, live_server: Any, real_queue: dict[str, str], ticket: Any, alice: Any, bob: Any
) -> None:
    """GIVEN a running server and a `carefront worker` process on the same database and queue
    WHEN an agent assigns a ticket to Bob through the API
    THEN the notify_staff job is executed by the worker process, which stores Bob's notification.
    """
    worker = CarefrontProcess(["worker", "--workers", "1"], env=real_queue)
    try:
        consuming = worker.wait_for(r"Consuming (\w+):", timeout=60)
        assert consuming.group(1) == settings.QUEUE_BACKEND
        worker.wait_for(r"Huey consumer started", timeout=60)
        _, token = token_create(user=alice, name="queue test")
        response = httpx.patch(
            f"{live_server.url}/api/v1/tickets/{ticket.pk}",
            json={"assignee_id": bob.pk},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text

        executed = worker.wait_for(r"pid=(\d+) .*carefront\.core\.tasks\.notify_staff: .* executed in", timeout=60)
    finally:
        worker.stop()

    worker_pid = int(executed.group(1))
    assert worker_pid == worker.pid
    assert worker_pid != os.getpid()
    notification = Notification.objects.get(recipient=bob)
    assert notification.verb == "assigned"
    assert notification.ticket_id == ticket.pk
    assert f"#{ticket.number}" in notification.text
    assert HUEY.pending_count() == 0
