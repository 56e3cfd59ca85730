"""`carefront serve`: migrate, make sure an admin exists, then run gunicorn and the queue's worker."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.utils.translation import gettext as _
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter

from carefront.core.exceptions import ApplicationError
from carefront.core.management.commands.createadmin import admin_login_lines, admin_password_file
from carefront.core.services import admin_ensure

# A worker that dies sooner than this after starting is restarted with a growing delay.
# How long a graceful stop lets running jobs finish before the worker is told to stop at once.
STOP_GRACE_SECONDS = 10.0
QUICK_DEATH_SECONDS = 10.0
MAX_RESTART_DELAY_SECONDS = 30.0
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the worker child (Linux): receive SIGTERM if `serve` itself is killed, so no orphan keeps running."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return


class SupervisedChild:
    """A child process of `serve` (the queue's worker, the SMTP listener, the IMAP poller): started, restarted
    when it dies, stopped with the server."""

    def __init__(self, command: list[str], log: Any, label: str) -> None:
        self.command = command
        self.log = log
        self.label = label
        self.title = label[:1].upper() + label[1:]
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.restart_delay = 0.0
        self.next_start_at = 0.0
        self.stopping = False
        self.stopped = False

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.command,
            env=os.environ.copy(),
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        self.started_at = time.monotonic()
        self.log.info("Started %s (pid: %s)", self.label, self.process.pid)

    def poll(self) -> None:
        """Reap the child with its real exit status before gunicorn's waitpid(-1) claims it."""
        if self.process is None or self.process.returncode is not None:
            return
        code = self.process.poll()
        if code is not None and not self.stopping:
            self.log.error("%s (pid: %s) exited with status %s", self.title, self.process.pid, code)
            lived = time.monotonic() - self.started_at
            if lived < QUICK_DEATH_SECONDS:
                self.restart_delay = min(max(self.restart_delay * 2, 1.0), MAX_RESTART_DELAY_SECONDS)
            else:
                self.restart_delay = 0.0
            self.next_start_at = time.monotonic() + self.restart_delay

    def keep_alive(self) -> None:
        """Called on every turn of the arbiter's loop (at least once a second)."""
        if self.stopping:
            return
        self.poll()
        if self.process is not None and self.process.returncode is None:
            return
        if time.monotonic() >= self.next_start_at:
            self.log.info("Restarting the %s", self.label)
            self.start()

    def signal(self, signum: int) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signum)

    def stop(self, *, graceful: bool) -> None:
        """Ask the worker to stop: Huey finishes running jobs on SIGINT, interrupts them on SIGTERM."""
        self.stopping = True
        self.signal(signal.SIGINT if graceful else signal.SIGTERM)

    def wait(self, timeout: float) -> None:
        # gunicorn's SIGINT handling stops the arbiter twice; the second call has nothing left to do.
        if self.process is None or self.stopped:
            return
        self.stopped = True
        deadline = time.monotonic() + max(timeout, 0.1)
        try:
            code = self.process.wait(timeout=min(max(timeout, 0.1), STOP_GRACE_SECONDS))
        except subprocess.TimeoutExpired:
            # A SIGINT that lands while the worker is still importing is swallowed by Python (the
            # KeyboardInterrupt is raised inside the import machinery and ignored): ask again, firmly.
            self.log.warning("%s (pid: %s) is still running; sending SIGTERM", self.title, self.process.pid)
            self.process.terminate()
            try:
                code = self.process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                self.log.warning("%s (pid: %s) did not stop in time; killing it", self.title, self.process.pid)
                self.process.kill()
                code = self.process.wait()
        self.log.info("%s (pid: %s) stopped (status %s)", self.title, self.process.pid, code)


class CarefrontArbiter(Arbiter):
    """Gunicorn's master process, also supervising the queue worker, the SMTP listener and the IMAP poller (no
    thread of our own)."""

    def __init__(self, app: CarefrontServer) -> None:
        super().__init__(app)
        self.children = [SupervisedChild(command, self.log, label) for label, command in app.children]

    def start(self) -> None:
        super().start()
        for child in self.children:
            child.start()

    def reap_workers(self) -> None:
        for child in self.children:
            child.poll()
        super().reap_workers()

    def handle_hup(self) -> None:
        # Reload means every part picks up new code and configuration.
        for child in self.children:
            child.signal(signal.SIGHUP)
        super().handle_hup()

    def manage_workers(self) -> None:
        super().manage_workers()
        for child in self.children:
            child.keep_alive()

    def stop(self, graceful: bool = True) -> None:
        started = time.monotonic()
        for child in self.children:
            child.stop(graceful=graceful)
        super().stop(graceful)
        for child in self.children:
            child.wait(self.cfg.graceful_timeout - (time.monotonic() - started))


class CarefrontServer(BaseApplication):
    """Gunicorn run in-process with Carefront's WSGI application and options from the command line."""

    def __init__(self, options: dict[str, Any], children: list[tuple[str, list[str]]]) -> None:
        self.options = options
        self.children = children
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from carefront.wsgi import application

        return application

    def run(self) -> None:
        try:
            CarefrontArbiter(self).run()
        except RuntimeError as exc:
            print(f"\nError: {exc}\n", file=sys.stderr)
            sys.stderr.flush()
            sys.exit(1)


class Command(BaseCommand):
    # Eager gettext: argparse cannot format lazy strings, and commands load after Django is set up.
    help = _(
        "Run Carefront: apply migrations, make sure an admin exists (printing the login on first run), "
        "then serve the web application with gunicorn and run the job queue's worker and scheduler (and, when "
        "CAREFRONT_SMTP_LISTEN is set, the SMTP listener; when CAREFRONT_IMAP_URL is set, the IMAP poller) as "
        "supervised child processes. Stops them all cleanly on SIGTERM or Ctrl-C."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind",
            default=None,
            metavar="HOST:PORT",
            help=_("address:port to listen on (default: 127.0.0.1:$PORT, i.e. 127.0.0.1:{port})").format(
                port=settings.PORT
            ),
        )
        parser.add_argument(
            "--web-workers",
            type=int,
            metavar="N",
            default=settings.CAREFRONT_WEB_CONCURRENCY,
            help=_("gunicorn worker processes (default: CAREFRONT_WEB_CONCURRENCY, {n})").format(
                n=settings.CAREFRONT_WEB_CONCURRENCY
            ),
        )
        parser.add_argument(
            "--queue-workers",
            type=int,
            metavar="N",
            default=settings.CAREFRONT_WORKERS,
            help=_("jobs the embedded worker runs at once (default: CAREFRONT_WORKERS, {n})").format(
                n=settings.CAREFRONT_WORKERS
            ),
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help=_("serve the web only; run `carefront worker` processes separately (production with Redis)"),
        )
        parser.add_argument(
            "--no-smtp",
            action="store_true",
            help=_("do not run the SMTP listener even when CAREFRONT_SMTP_LISTEN is set (run `carefront mail listen`)"),
        )
        parser.add_argument(
            "--no-imap",
            action="store_true",
            help=_("do not run the IMAP poller even when CAREFRONT_IMAP_URL is set (run `carefront mail poll`)"),
        )
        parser.add_argument(
            "--no-migrate",
            action="store_true",
            help=_("do not apply migrations on start (run `carefront migrate` once per deployment instead)"),
        )
        parser.add_argument(
            "--timeout",
            type=int,
            default=30,
            metavar="SECONDS",
            help=_("seconds before a stuck web request's worker is restarted"),
        )
        parser.add_argument("--access-log", action="store_true", help=_("log every request to standard output"))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["web_workers"] < 1 or options["queue_workers"] < 1:
            raise CommandError(_("--web-workers and --queue-workers must be at least 1."))
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=max(options["verbosity"] - 1, 0))
        try:
            login = admin_ensure(password_file=admin_password_file())
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        bind = options["bind"] or f"127.0.0.1:{settings.PORT}"
        if login.created:
            for line in admin_login_lines(login, base_url=f"http://{bind}" if options["bind"] else None):
                self.stdout.write(line)
        self.stdout.flush()
        # The web workers are forked from this process: they must not share its database connections.
        connections.close_all()

        children: list[tuple[str, list[str]]] = []
        if not options["no_worker"]:
            worker_command = [
                sys.executable,
                "-m",
                "carefront.cli",
                "worker",
                "--workers",
                str(options["queue_workers"]),
                "--shutdown-timeout",
                "20",
            ]
            children.append(("queue worker", worker_command))
        if settings.CAREFRONT_SMTP_LISTEN and not options["no_smtp"]:
            children.append(("SMTP listener", [sys.executable, "-m", "carefront.cli", "mail", "listen"]))
        if settings.CAREFRONT_IMAP_URL and not options["no_imap"]:
            children.append(("IMAP poller", [sys.executable, "-m", "carefront.cli", "mail", "poll"]))
        gunicorn_options: dict[str, Any] = {
            "bind": [bind],
            "workers": options["web_workers"],
            "worker_class": "sync",
            "timeout": options["timeout"],
            "graceful_timeout": 30,
            "preload_app": True,
            "proc_name": "carefront",
            # gunicorn's control socket lives at one path per user: two servers on a host would fight over it.
            "control_socket_disable": True,
            "accesslog": "-" if options["access_log"] else None,
            "errorlog": "-",
            "loglevel": "debug" if options["verbosity"] > 1 else "info",
        }
        CarefrontServer(gunicorn_options, children).run()
