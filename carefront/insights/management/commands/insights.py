"""`carefront insights refresh`: refit the models and rescore accounts, through the job queue."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from huey.contrib.djhuey import HUEY
from huey.exceptions import HueyException, TaskException
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from carefront.insights.tasks import fit_insights, refresh_enqueue

WAIT_SECONDS = 900


class Command(BaseCommand):
    help = _(
        "Recompute the insights. `insights refresh` fits the lifetime-value models and the RFM breaks on every "
        "order, then scores every account in batches (segments, P(alive), lifetime value, cost to serve, advice); "
        "`--changed` rescores only the accounts whose orders, tickets or record changed since the last refresh. "
        "The work runs on the job queue: `carefront serve` or `carefront worker` must be running."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{refresh}")
        refresh = actions.add_parser("refresh", help=_("refit the models and rescore the accounts"))
        refresh.add_argument("--changed", action="store_true", help=_("rescore only the accounts that changed"))
        refresh.add_argument(
            "--as-of",
            type=date.fromisoformat,
            help=_("score as of the end of this day (YYYY-MM-DD): for a historical log such as CDNOW"),
        )
        refresh.add_argument(
            "--wait", type=int, default=WAIT_SECONDS, help=_("seconds to wait for each batch (default 900)")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        full = not options["changed"]
        started = timezone.now()
        as_of = options.get("as_of")
        if as_of is not None and not full:
            raise CommandError(_("--as-of scores every account again: it cannot be combined with --changed."))
        now = datetime.combine(as_of, time.max, tzinfo=UTC) if as_of is not None else started
        if not HUEY.immediate:
            self.stdout.write(_("Queued; the workers of `carefront serve` or `carefront worker` do the work."))
        try:
            if full:
                fitted = fit_insights(now=now.isoformat()).get(blocking=True, timeout=options["wait"])
                for kind, problem in fitted["problems"].items():
                    self.stdout.write(_("{kind}: {problem}").format(kind=kind, problem=problem))
            results = refresh_enqueue(now=now, full=full, started=started)
            scored = 0
            with self._progress(len(results)) as advance:
                for result in results:
                    scored += result.get(blocking=True, timeout=options["wait"])
                    advance()
        except HueyException as exc:
            raise CommandError(
                _("No worker answered within {seconds} s: is `carefront serve` or `carefront worker` running?").format(
                    seconds=options["wait"]
                )
            ) from exc
        except TaskException as exc:
            raise CommandError(_("A batch failed: {error}").format(error=exc.metadata.get("error", exc))) from exc
        self.stdout.write(_("Insights refreshed: {accounts} accounts scored.").format(accounts=scored))

    @contextmanager
    def _progress(self, batches: int) -> Iterator[Callable[[], None]]:
        """A progress bar over the batches when a person is watching the terminal."""
        if not self.stdout.isatty():
            yield lambda: None
            return
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=Console(file=cast(TextIO, self.stdout)), transient=True) as bar:
            task = bar.add_task(_("Scoring"), total=batches)
            yield lambda: bar.advance(task)
