"""`carefront mail`: the SMTP listener, the IMAP poller, raw messages from files, and filing what waits."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from carefront.core.exceptions import ApplicationError
from carefront.mail import imap, smtp
from carefront.mail.models import Via
from carefront.mail.services import inbound_file_waiting, inbound_process, inbound_store


class Command(BaseCommand):
    help = _(
        "Email in. `mail listen` runs the SMTP listener (CAREFRONT_SMTP_LISTEN or --listen); `mail poll` fetches "
        "mail from the IMAP mailbox (CAREFRONT_IMAP_URL or --url) and keeps watching it; `mail ingest` takes "
        "raw messages from a .eml file, a directory of them or standard input (-); `mail process` files, in this "
        "process, every stored message still waiting (the workers normally do this)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{listen,poll,ingest,process}")
        listen = actions.add_parser("listen", help=_("run the SMTP listener until stopped"))
        listen.add_argument(
            "--listen", metavar="HOST:PORT", help=_("address to listen on (default CAREFRONT_SMTP_LISTEN)")
        )
        poll = actions.add_parser("poll", help=_("fetch mail from the IMAP mailbox, then watch it until stopped"))
        poll.add_argument("--once", action="store_true", help=_("fetch what is waiting, then exit"))
        poll.add_argument(
            "--url",
            metavar="URL",
            help=_(
                "the mailbox, imaps://USER:PASSWORD@HOST/FOLDER (default CAREFRONT_IMAP_URL, which keeps the "
                "password out of the process list)"
            ),
        )
        ingest = actions.add_parser("ingest", help=_("store raw messages from files or standard input"))
        ingest.add_argument("paths", nargs="+", metavar="FILE.eml|DIR|-", help=_("messages to store"))
        ingest.add_argument("--now", action="store_true", help=_("file them in this process instead of the queue"))
        actions.add_parser("process", help=_("file every stored message still waiting, in this process"))

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "listen":
            self._listen(options.get("listen") or settings.CAREFRONT_SMTP_LISTEN)
        elif action == "poll":
            self._poll(options.get("url") or settings.CAREFRONT_IMAP_URL, once=options["once"])
        elif action == "ingest":
            self._ingest(options["paths"], now=options["now"])
        else:
            self._process()

    def _listen(self, address: str) -> None:
        if not address:
            raise CommandError(_("Say where to listen: --listen 127.0.0.1:2525 or CAREFRONT_SMTP_LISTEN."))
        try:
            smtp.listen_address(address)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc

        def ready(host: str, port: int) -> None:
            self.stdout.write(_("Listening for SMTP on {host}:{port}").format(host=host, port=port))
            self.stdout.flush()

        smtp.serve(address, ready=ready)

    def _poll(self, url: str, *, once: bool) -> None:
        if not url:
            raise CommandError(
                _("Say which mailbox to poll: --url imaps://USER:PASSWORD@HOST/INBOX or CAREFRONT_IMAP_URL.")
            )
        try:
            mailbox = imap.imap_url_parse(url)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        if once:
            try:
                result = imap.imap_poll_once(url=url)
            except imap.RETRYABLE as exc:
                raise CommandError(
                    _("Polling {mailbox} failed: {error}").format(
                        mailbox=mailbox, error=f"{exc.__class__.__name__}: {exc}"
                    )
                ) from exc
            self.stdout.write(
                _("{stored} stored, {known} already received, {refused} refused.").format(
                    stored=result.stored, known=result.already_known, refused=result.refused
                )
            )
            return
        stopping: list[int] = []

        def stop_requested(signum: int, frame: object) -> None:
            stopping.append(signum)

        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, stop_requested)
        self.stdout.write(_("Watching the IMAP mailbox {mailbox} until stopped.").format(mailbox=mailbox))
        self.stdout.flush()
        imap.imap_watch(url=url, stop=lambda: bool(stopping))
        self.stdout.write(_("Stopped watching the IMAP mailbox."))

    def _messages(self, paths: list[str]) -> list[tuple[str, bytes]]:
        found: list[tuple[str, bytes]] = []
        for value in paths:
            if value == "-":
                found.append(("-", sys.stdin.buffer.read()))
                continue
            path = Path(value)
            if path.is_dir():
                found += [(str(item), item.read_bytes()) for item in sorted(path.iterdir()) if item.is_file()]
            elif path.is_file():
                found.append((str(path), path.read_bytes()))
            else:
                raise CommandError(_("{path}: no such file or directory").format(path=value))
        return found

    def _ingest(self, paths: list[str], *, now: bool) -> None:
        stored = known = refused = 0
        for name, raw in self._messages(paths):
            try:
                row, created = inbound_store(raw=raw, via=Via.FILE)
            except ApplicationError as exc:
                refused += 1
                self.stderr.write(_("{name}: refused: {reason}").format(name=name, reason=exc.message))
                continue
            if created:
                stored += 1
            else:
                known += 1
            if now:
                inbound_process(inbound_id=row.pk)
        self.stdout.write(
            _("{stored} stored, {known} already received, {refused} refused.").format(
                stored=stored, known=known, refused=refused
            )
        )
        if refused:
            raise CommandError(_("Some messages were refused."))

    def _process(self) -> None:
        filed = 0
        while batch := inbound_file_waiting():
            filed += len(batch)
        self.stdout.write(_("{count} messages filed.").format(count=filed))
