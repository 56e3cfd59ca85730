"""`carefront worker`: the job queue's consumer (Huey), for the embedded queue or Redis."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _
from huey.consumer_options import ConsumerConfig

LOG_FORMAT = "[%(asctime)s] %(levelname)s %(name)s pid=%(process)d %(threadName)s: %(message)s"


def queue_description() -> str:
    """Which queue this process consumes, for logs: never the Redis password."""
    if settings.QUEUE_BACKEND == "redis":
        from urllib.parse import urlparse

        parsed = urlparse(settings.HUEY["url"])
        return f"redis://{parsed.hostname}:{parsed.port or 6379}{parsed.path or '/0'} ({settings.HUEY['name']})"
    return f"sqlite:{settings.HUEY['filename']} ({settings.HUEY['name']})"


class Command(BaseCommand):
    # Eager gettext: argparse cannot format lazy strings, and commands load after Django is set up.
    help = _(
        "Run the job queue's consumer: it executes background jobs (notifications, auto-close) and, "
        "unless --no-periodic, the scheduler that enqueues periodic jobs. `carefront serve` starts one "
        "for you; run more of them against Redis (CAREFRONT_QUEUE_URL) to scale out, with the scheduler "
        "on exactly one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--workers",
            "-w",
            type=int,
            metavar="N",
            default=settings.CAREFRONT_WORKERS,
            help=_("jobs run at the same time (default: CAREFRONT_WORKERS, {workers})").format(
                workers=settings.CAREFRONT_WORKERS
            ),
        )
        parser.add_argument(
            "--worker-type",
            "-k",
            choices=["thread", "process"],
            default="thread",
            help=_("run jobs in threads (default) or in processes, for CPU-heavy jobs"),
        )
        parser.add_argument(
            "--no-periodic",
            action="store_true",
            help=_("do not enqueue periodic jobs: use on every worker but one when several run"),
        )
        parser.add_argument(
            "--shutdown-timeout",
            type=float,
            metavar="SECONDS",
            default=None,
            help=_("on SIGINT, seconds to let running jobs finish before interrupting them (default: wait)"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from huey.contrib.djhuey import HUEY

        if options["workers"] < 1:
            raise CommandError(_("--workers must be at least 1."))
        if HUEY.immediate:
            raise CommandError(_("The queue is in immediate mode (jobs run inline); there is nothing to consume."))
        autodiscover_modules("tasks")
        config = ConsumerConfig(
            workers=options["workers"],
            worker_type=options["worker_type"],
            periodic=not options["no_periodic"],
            shutdown_timeout=options["shutdown_timeout"],
            verbose=True if options["verbosity"] > 1 else None,
        )
        config.validate()
        logger = logging.getLogger("huey")
        if not logger.handlers:
            # Its own handler with the process id, so a log line says which process ran a job;
            # not propagated, so the root handler does not print each line twice.
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter(LOG_FORMAT))
            logger.addHandler(handler)
            logger.propagate = False
        logger.setLevel(config.loglevel)
        logger.info("Consuming %s", queue_description())
        HUEY.create_consumer(**config.values).run()
