"""/healthz says the process is alive; /readyz says whether its database and queue answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from huey.contrib.djhuey import HUEY
from huey.storage import RedisStorage

from carefront.core.tests.processes import free_port


def test_healthz_answers_ok_without_touching_the_database(client: Client) -> None:
    # No `db` fixture: pytest-django makes any query here an error.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ok_when_database_and_queue_answer(db: Any, client: Client) -> None:
    HUEY.immediate = False  # the configured queue, not the in-memory one the other tests use
    try:
        response = client.get("/readyz")
    finally:
        HUEY.immediate = True
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.fixture
def unreachable_queue() -> Iterator[None]:
    """The queue's storage swapped for a Redis on a port where nothing listens."""
    previous = HUEY.storage
    HUEY.storage = RedisStorage(name="carefront-unreachable", url=f"redis://127.0.0.1:{free_port()}/0")
    try:
        yield
    finally:
        HUEY.storage = previous


def test_readyz_is_503_naming_the_queue_when_it_is_unreachable(
    db: Any, client: Client, unreachable_queue: None
) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["detail"].startswith("queue unreachable: ")
    assert "ConnectionError" in body["detail"]
    assert not any(problem.startswith("database") for problem in body["problems"])
