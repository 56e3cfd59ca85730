"""`carefront export KIND`: every row of a kind as CSV, in the form `carefront import` reads back."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser, DjangoHelpFormatter, OutputWrapper
from django.utils.translation import gettext as _

from carefront.core.csvio import csv_export, csv_kinds, csv_kinds_help


class HelpFormatter(DjangoHelpFormatter):
    """Django's option order; text with line breaks of its own (the column list) is kept as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


class _Unterminated:
    """Writes through a command's stdout without the line ending it would add."""

    def __init__(self, out: OutputWrapper) -> None:
        self.out = out

    def write(self, text: str) -> int:
        self.out.write(text, ending="")
        return len(text)


class Command(BaseCommand):
    help = _(
        "Export every account, contact, order or ticket as CSV (UTF-8), ordered by id and streamed, "
        "to standard output or a file. Importing the file again changes nothing."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        return super().create_parser(prog_name, subcommand, formatter_class=HelpFormatter, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=list(csv_kinds()), help=_("what to export"))
        parser.add_argument("--output", "-o", metavar="FILE", help=_("write to FILE instead of standard output"))
        parser.epilog = _("Columns:") + "\n\n" + csv_kinds_help()

    def handle(self, *args: Any, kind: str, output: str | None, **options: Any) -> None:
        if output is None:
            try:
                csv_export(kind=kind, out=cast(TextIO, _Unterminated(self.stdout)))
            except BrokenPipeError:
                # `carefront export tickets | head` is fine; keep Python from complaining at exit.
                os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
            return
        target = Path(output)
        partial = target.with_name(f".{target.name}.partial")
        try:
            with partial.open("w", encoding="utf-8", newline="") as out:
                count = csv_export(kind=kind, out=out)
            # Renamed only when complete, so a failed export never leaves a truncated file behind.
            partial.replace(target)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise CommandError(
                _("Cannot write {file}: {reason}").format(file=output, reason=exc.strerror), returncode=2
            ) from exc
        self.stdout.write(_("{count} {kind} written to {file}.").format(count=count, kind=kind, file=output))
