"""Browser tests: Debian's Chromium, driven by Playwright, against a real `carefront serve` process.

How the pieces meet:

- **The server** is `carefront serve` (gunicorn and its supervised queue worker) on a free port, started
  once per package run by `carefront_server`, with `DATABASE_URL` naming this pytest process's test
  database (the SQLite file in `connection.settings_dict["NAME"]`, or the PostgreSQL test database).
  Browser tests use `transactional_db`, so the rows a test makes are committed and the server sees
  them; the flush after each test empties the database again for the next one.
- **Jobs** go through a real queue, as in production: the server runs WITH its worker (not
  `--no-worker`), on a queue of its own — the embedded SQLite queue in the server's temporary data
  directory, or, when `CAREFRONT_QUEUE_URL` names Redis, a `CAREFRONT_QUEUE_NAME` unique to this run.
  So the portal's magic-link email is enqueued by the web request and sent by the worker process.
- **Email** is kept as files: `CAREFRONT_EMAIL_URL=file:///…` selects Django's file-based backend
  (settings.py reads that scheme). `CarefrontServer.wait_for_mail` re-reads the directory each time
  the worker logs a finished job, so a test gets the link a customer would click, not one it forged.
- **Chromium** is `/usr/bin/chromium` (Debian's; `make test` installs it when missing), headless, one
  browser per package run and a fresh context (cookies, storage) per test. Playwright's sync API keeps
  an asyncio loop running in this thread while it is started, and Django refuses ORM calls while a loop
  runs unless DJANGO_ALLOW_ASYNC_UNSAFE is set: the `browser` fixture sets it for its own lifetime only,
  and is package-scoped so the loop exists only while browser tests run (other tests in the same
  xdist worker may use `asyncio.run` or `async_to_sync`, which a running loop would break).
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import signal
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from carefront.core.tests.processes import CarefrontProcess, carefront_env, free_port
from tests.browser.helpers import CSP_RECORDER

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
]
# Actions and expectations wait this long (ms) before failing: generous for a loaded CI machine.
TIMEOUT_MS = 20_000
expect.set_options(timeout=TIMEOUT_MS)
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}


@dataclass
class CarefrontServer:
    """A running `carefront serve`: its address, its output and the mail it has sent."""

    url: str
    process: CarefrontProcess
    mail_dir: Path

    def clear_mail(self) -> None:
        for path in self.mail_dir.glob("*.log"):
            path.unlink()

    def emails_to(self, address: str, *, subject: str = "") -> list[EmailMessage]:
        """Messages the server has written to the mail directory for `address` (whose subject contains
        `subject`), oldest first."""
        found: list[EmailMessage] = []
        for path in sorted(self.mail_dir.glob("*.log")):
            # The file-based backend writes each message followed by a line of 79 dashes.
            for raw in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if not raw.strip():
                    continue
                message = cast(EmailMessage, email.message_from_bytes(raw, policy=email.policy.default))
                if address in str(message["To"]) and subject in str(message["Subject"]):
                    found.append(message)
        return found

    def wait_for_mail(self, address: str, *, subject: str = "", timeout: float = 60.0) -> list[EmailMessage]:
        """The mail for `address` (about `subject`), once a queue job has written it (checked after each job the
        worker runs)."""
        deadline = time.monotonic() + timeout
        while not (found := self.emails_to(address, subject=subject)):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no mail to {address} within {timeout}s; server output:\n{self.process.output()}")
            # The job writes the file before the worker logs that it ran.
            self.process.wait_for(r" executed in ", timeout=remaining)
        return found


@pytest.fixture(scope="package")
def carefront_server(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CarefrontServer]:
    data_dir = tmp_path_factory.mktemp("browser-server")
    mail_dir = data_dir / "mail"
    mail_dir.mkdir()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    queue_name = f"carefront-browser-{uuid.uuid4().hex[:12]}"
    env = carefront_env(
        data_dir,
        PORT=str(port),
        CAREFRONT_BASE_URL=url,
        CAREFRONT_QUEUE_NAME=queue_name,
        CAREFRONT_EMAIL_URL=f"file://{mail_dir}",
        CAREFRONT_DEBUG="false",
    )
    env.pop("CAREFRONT_EMAIL_URL_FILE", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    # The test database is migrated already.
    process = CarefrontProcess(
        ["serve", "--no-migrate", "--bind", f"127.0.0.1:{port}", "--web-workers", "2", "--queue-workers", "1"],
        env=env,
    )
    try:
        # Only the web half must be up: the worker boots meanwhile, and a test that needs it waits for its job.
        process.wait_for(rf"Listening at: {re.escape(url)}", timeout=90)
        # `serve` makes sure an admin exists; tests start from an empty database and bring their own personas.
        with django_db_blocker.unblock():
            get_user_model().objects.filter(username="admin").delete()
        yield CarefrontServer(url=url, process=process, mail_dir=mail_dir)
    finally:
        # SIGINT is the quick shutdown: gunicorn stops its workers and the queue worker at once.
        code = process.stop(signal.SIGINT)
        if settings.QUEUE_BACKEND == "redis":
            from huey.storage import RedisStorage

            storage = RedisStorage(name=queue_name, url=settings.HUEY["url"])
            storage.flush_all()
            storage.close()
    assert code == 0, process.output()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_context(browser: Browser, carefront_server: CarefrontServer) -> Iterator[Any]:
    """Make browser contexts (separate cookie jars: an agent's and a customer's) on the server."""
    contexts: list[BrowserContext] = []
    # The server outlives a test: each test reads only the mail it caused.
    carefront_server.clear_mail()

    def make(*, viewport: dict[str, int] | None = None, phone: bool = False) -> BrowserContext:
        context = browser.new_context(
            base_url=carefront_server.url,
            viewport=cast(Any, PHONE if phone else (viewport or DESKTOP)),
            is_mobile=phone,
            has_touch=phone,
            locale="en-GB",
            timezone_id="Europe/London",
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(CSP_RECORDER)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: Any) -> Page:
    """A desktop-sized page in a context of its own."""
    return cast(Page, new_context().new_page())
