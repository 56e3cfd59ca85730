"""`carefront serve`: gunicorn in front, a supervised `carefront worker` (and IMAP poller) beside it."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.contrib.auth import get_user_model

from carefront.core.models import Role
from carefront.core.tests.processes import CarefrontProcess, carefront_env, free_port, process_is_running


def _serve(tmp_path: Path, *args: str, **env_extra: str) -> tuple[CarefrontProcess, int]:
    env = carefront_env(tmp_path, **env_extra)
    # The embedded queue in the temporary data dir, whatever the suite's queue is: this is about the server.
    env.pop("CAREFRONT_QUEUE_URL", None)
    env.pop("CAREFRONT_QUEUE_NAME", None)
    port = free_port()
    return CarefrontProcess(["serve", "--bind", f"127.0.0.1:{port}", "--web-workers", "1", *args], env=env), port


@pytest.mark.queue
def test_serve_ensures_an_admin_then_serves_with_gunicorn_and_stops_cleanly_on_sigterm(
    transactional_db: Any, tmp_path: Path
) -> None:
    server, port = _serve(tmp_path)
    try:
        login = server.wait_for(r"password: (\S+)", timeout=90)
        server.wait_for(rf"Listening at: http://127\.0\.0\.1:{port}", timeout=60)
        worker_pid = int(server.wait_for(r"Started queue worker \(pid: (\d+)\)", timeout=30).group(1))
        server.wait_for(r"Booting worker with pid", timeout=30)

        response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=30)
        assert response.status_code == 200
        assert response.headers["server"].startswith("gunicorn")
        assert process_is_running(worker_pid)
    finally:
        code = server.stop(signal.SIGTERM)

    assert code == 0, server.output()
    assert "Shutting down: Master" in server.output()
    assert not process_is_running(worker_pid)
    admin = get_user_model().objects.get(username="admin")
    assert admin.staff_profile.role == Role.ADMIN
    assert admin.check_password(login.group(1))
    assert (tmp_path / "admin-password.txt").stat().st_mode & 0o777 == 0o600


@pytest.mark.queue
def test_serve_restarts_its_queue_worker_when_it_dies(transactional_db: Any, tmp_path: Path) -> None:
    server, _port = _serve(tmp_path)
    try:
        first = int(server.wait_for(r"Started queue worker \(pid: (\d+)\)", timeout=90).group(1))
        os.kill(first, signal.SIGKILL)
        server.wait_for(rf"Queue worker \(pid: {first}\) exited", timeout=30)
        second = int(server.wait_for(r"Started queue worker \(pid: (\d+)\)", timeout=30).group(1))
        assert second != first
        assert process_is_running(second)
    finally:
        code = server.stop(signal.SIGTERM)
    assert code == 0, server.output()
    assert not process_is_running(second)


@pytest.mark.queue
def test_serve_runs_the_imap_poller_when_an_imap_url_is_set_and_stops_it_with_itself(
    transactional_db: Any, tmp_path: Path
) -> None:
    """GIVEN CAREFRONT_IMAP_URL naming a server that is down WHEN serve starts THEN its IMAP poller child runs,
    logs the failure and waits to reconnect (it does not die), and stops with the server."""
    server, _port = _serve(tmp_path, "--no-worker", CAREFRONT_IMAP_URL=f"imap://desk:pw@127.0.0.1:{free_port()}/INBOX")
    try:
        poller = int(server.wait_for(r"Started IMAP poller \(pid: (\d+)\)", timeout=90).group(1))
        server.wait_for(r"IMAP desk@127\.0\.0\.1:\d+/INBOX: ConnectionRefusedError: .* connecting again in", timeout=60)
        assert process_is_running(poller)
    finally:
        code = server.stop(signal.SIGTERM)
    assert code == 0, server.output()
    assert f"IMAP poller (pid: {poller}) stopped (status 0)" in server.output()
    assert not process_is_running(poller)
