"""Helpers for tests that start real Carefront processes (`carefront worker`, `carefront serve`)."""

from __future__ import annotations

import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from django.db import connection


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def current_database_url() -> str:
    """A DATABASE_URL naming the database this test runs on (the test database, not the configured one)."""
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(params['NAME']).resolve()}"
    credentials = quote(params["USER"] or "", safe="")
    if params.get("PASSWORD"):
        credentials += ":" + quote(params["PASSWORD"], safe="")
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{quote(params['NAME'], safe='')}"


def carefront_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a child `carefront` process: this one's, on the test database."""
    env = os.environ.copy()
    env.update(
        {
            "CAREFRONT_DATA_DIR": str(data_dir),
            "DATABASE_URL": current_database_url(),
            "DJANGO_SETTINGS_MODULE": "carefront.settings",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


class CarefrontProcess:
    """A `carefront …` child whose merged output is read line by line, waiting with select(), never sleep()."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "carefront.cli", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        assert self.popen.stdout is not None
        self._fd = self.popen.stdout.fileno()
        os.set_blocking(self._fd, False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._fd, selectors.EVENT_READ)
        self._pending = b""
        self.lines: list[str] = []
        self._cursor = 0

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        return "\n".join(self.lines)

    def _read_available(self, timeout: float) -> bool:
        """Read what the child wrote within `timeout`; False once its output is closed."""
        if not self._selector.select(timeout=timeout):
            return True
        try:
            chunk = os.read(self._fd, 65536)
        except BlockingIOError:
            return True
        if not chunk:
            return False
        self._pending += chunk
        *complete, self._pending = self._pending.split(b"\n")
        self.lines.extend(line.decode(errors="replace") for line in complete)
        return True

    def wait_for(self, pattern: str, *, timeout: float = 60.0) -> re.Match[str]:
        """The first line from now on matching `pattern`; fails with the output so far after `timeout`."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        open_ = True
        while True:
            while self._cursor < len(self.lines):
                line = self.lines[self._cursor]
                self._cursor += 1
                match = regex.search(line)
                if match:
                    return match
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not open_:
                state = "exited with " + str(self.popen.poll()) if not open_ else "still running"
                raise AssertionError(
                    f"no line matching {pattern!r} within {timeout}s (process {state}); output:\n{self.output()}"
                )
            open_ = self._read_available(min(remaining, 1.0))

    def drain(self, *, timeout: float = 5.0) -> None:
        """Collect the rest of the output after the process has exited."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._read_available(0.5):
            if self.popen.poll() is not None and not self._selector.select(timeout=0):
                break

    def stop(self, sig: int = signal.SIGTERM, *, timeout: float = 30.0) -> int:
        """Send `sig`, wait for the exit (SIGKILL after `timeout`) and return the exit status."""
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
        try:
            code = self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            code = self.popen.wait()
        self.drain()
        self._selector.close()
        assert self.popen.stdout is not None
        self.popen.stdout.close()
        return code


def process_is_running(pid: int) -> bool:
    """Whether a process exists and is not a zombie waiting to be reaped."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    # The state is the first field after the command name in parentheses.
    return status.rsplit(")", 1)[1].split()[0] != "Z"
