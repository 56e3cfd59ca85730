"""`carefront mail`: the SMTP listener, raw messages from files, and filing what waits."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from carefront.core.exceptions import ApplicationError
from carefront.mail import selectors, smtp
from carefront.mail.models import Via
from carefront.mail.services import inbound_process, inbound_store


class Command(BaseCommand):
    help = _(
        "Email in. `mail listen` runs the SMTP listener (CAREFRONT_SMTP_LISTEN or --listen); `mail ingest` takes "
        "raw messages from a .eml file, a directory of them or standard input (-); `mail process` files, in this "
        "process, every stored message still waiting (the workers normally do this)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{listen,ingest,process}")
        listen = actions.add_parser("listen", help=_("run the SMTP listener until stopped"))
        listen.add_argument(
            "--listen", metavar="HOST:PORT", help=_("address to listen on (default CAREFRONT_SMTP_LISTEN)")
        )
        ingest = actions.add_parser("ingest", help=_("store raw messages from files or standard input"))
        ingest.add_argument("paths", nargs="+", metavar="FILE.eml|DIR|-", help=_("messages to store"))
        ingest.add_argument("--now", action="store_true", help=_("file them in this process instead of the queue"))
        actions.add_parser("process", help=_("file every stored message still waiting, in this process"))

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "listen":
            self._listen(options.get("listen") or settings.CAREFRONT_SMTP_LISTEN)
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
        while ids := selectors.inbound_pending_ids(older_than=timezone.now(), limit=500):
            for inbound_id in ids:
                if inbound_process(inbound_id=inbound_id) is not None:
                    filed += 1
        self.stdout.write(_("{count} messages filed.").format(count=filed))
