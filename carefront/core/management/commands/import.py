"""`carefront import KIND FILE.csv`: create or update rows from CSV, all or nothing."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO, TextIO, cast

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser, DjangoHelpFormatter
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from carefront.core.access import staff_role
from carefront.core.csvio import CsvImportError, csv_import, csv_kinds, csv_kinds_help

ERRORS_SHOWN = 50


class HelpFormatter(DjangoHelpFormatter):
    """Django's option order; text with line breaks of its own (the column list) is kept as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


class Command(BaseCommand):
    help = _(
        "Import accounts, contacts, orders or tickets from a CSV file (UTF-8, a header row naming the columns). "
        "Rows are matched by external_id: existing ones are updated, new ones created. Every row is checked "
        "first; if any is wrong, nothing is written and each problem is listed by row and column."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        return super().create_parser(prog_name, subcommand, formatter_class=HelpFormatter, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=list(csv_kinds()), help=_("what the file holds"))
        parser.add_argument("file", help=_("the CSV file; - reads standard input"))
        parser.add_argument(
            "--actor", metavar="USERNAME", help=_("the staff member the audit trail names (default: system)")
        )
        rules = _(
            "Header names ignore case and surrounding spaces; unknown columns are refused.\n"
            "Columns left out of the file leave those fields as they are.\n"
            "An empty cell clears a field that may be empty (owner, country, tags, team, …) and keeps\n"
            "one that may not (name, status, …); a new row takes the default.\n"
            "Rows exported without an external id read id:<number>; that form updates the same row.\n"
            "Times are ISO 8601 (UTC unless they carry an offset); lists are separated by ;.\n"
            "Nothing is written unless every row is valid; the exit status is 1 when rows are wrong,\n"
            "2 when the command is misused."
        )
        parser.epilog = rules + "\n\n" + _("Columns:") + "\n\n" + csv_kinds_help()

    def handle(self, *args: Any, kind: str, file: str, actor: str | None, **options: Any) -> None:
        user = self._actor(actor)
        source, size = self._open(file)
        try:
            with self._progress(size) as progress:
                counts = csv_import(kind=kind, source=source, actor=user, progress=progress)
        except CsvImportError as exc:
            for line in exc.lines(limit=ERRORS_SHOWN):
                self.stderr.write(line)
            message = ngettext(
                "Nothing was imported: {count} problem in {file}.",
                "Nothing was imported: {count} problems in {file}.",
                exc.total,
            )
            raise CommandError(message.format(count=exc.total, file=file), returncode=1) from None
        finally:
            if source is not sys.stdin.buffer:
                source.close()
        summary = ngettext(
            "{kind}: {rows} row, {created} created, {updated} updated, {unchanged} unchanged.",
            "{kind}: {rows} rows, {created} created, {updated} updated, {unchanged} unchanged.",
            counts.rows,
        )
        self.stdout.write(
            summary.format(
                kind=kind, rows=counts.rows, created=counts.created, updated=counts.updated, unchanged=counts.unchanged
            )
        )

    def _actor(self, username: str | None) -> Any:
        if not username:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None or staff_role(user) is None:
            raise CommandError(_("{user} is not an active staff member.").format(user=username), returncode=2)
        return user

    def _open(self, file: str) -> tuple[BinaryIO, int | None]:
        if file == "-":
            return sys.stdin.buffer, None
        try:
            source = open(file, "rb")  # noqa: SIM115 (closed in handle, after the import)
        except OSError as exc:
            raise CommandError(
                _("Cannot read {file}: {reason}").format(file=file, reason=exc.strerror), returncode=2
            ) from exc
        return source, os.fstat(source.fileno()).st_size

    @contextmanager
    def _progress(self, size: int | None) -> Iterator[Callable[[int], None] | None]:
        """A progress bar over the file's bytes when a person is watching the terminal."""
        if not size or not self.stdout.isatty():
            yield None
            return
        columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
        with Progress(*columns, console=Console(file=cast(TextIO, self.stdout)), transient=True) as bar:
            task = bar.add_task(_("Importing"), total=size)
            yield lambda done: bar.update(task, completed=done)
