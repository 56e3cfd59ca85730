"""`carefront demo`: realistic, deterministic demo data."""

from __future__ import annotations

import sys
from argparse import ArgumentTypeError
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from carefront.core.demo import demo_accounts_count, demo_load
from carefront.core.exceptions import ApplicationError


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ArgumentTypeError(_("“{value}” is not a date like 2025-06-30.").format(value=value)) from exc


class Command(BaseCommand):
    # Eager gettext: argparse cannot format lazy strings, and commands load after Django is set up.
    help = _(
        "Load realistic demo data: staff in four teams, people and organisations in several countries, two "
        "years of orders, and tickets with conversations in English, French, German and Spanish. The same "
        "--seed and --today always give the same data. Refuses (exit code 1) when the database already has "
        "accounts, unless --force-additional; with --if-empty it does nothing then (exit code 0). Staff "
        "cannot sign in unless --staff-password is given. The demo creates no admin: `carefront createadmin` does."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=1, help=_("random seed (default: 1)"))
        parser.add_argument("--accounts", type=int, default=200, help=_("how many accounts to create (default: 200)"))
        parser.add_argument(
            "--today",
            type=_day,
            default=None,
            help=_("the day the history ends, YYYY-MM-DD (default: today); pin it for identical data"),
        )
        when = parser.add_mutually_exclusive_group()
        when.add_argument(
            "--if-empty",
            action="store_true",
            help=_("load only into a database without accounts; otherwise say so and exit 0"),
        )
        when.add_argument(
            "--force-additional",
            action="store_true",
            help=_("add demo data even though accounts exist (use a --seed not loaded before)"),
        )
        parser.add_argument(
            "--staff-password",
            nargs="?",
            const="demo",
            default=None,
            metavar="PASSWORD",
            help=_("give the demo staff this password (“demo” when the flag has no value); default: no sign-in"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not 1 <= options["accounts"] <= 1_000_000:
            raise CommandError(_("--accounts must be between 1 and 1,000,000."))
        if options["seed"] < 0:
            raise CommandError(_("--seed must be zero or more."))
        existing = demo_accounts_count()
        if existing and options["if_empty"]:
            self.stdout.write(
                _("The database already has {count} accounts; no demo data loaded.").format(count=existing)
            )
            return
        if existing and not options["force_additional"]:
            raise CommandError(
                _(
                    "The database already has {count} accounts. Use --force-additional to add demo data anyway, "
                    "or --if-empty to skip quietly."
                ).format(count=existing)
            )
        today = options["today"] or timezone.now().date()
        try:
            summary = demo_load(
                seed=options["seed"],
                accounts=options["accounts"],
                today=today,
                staff_password=options["staff_password"],
                stdout=sys.stdout if self.stdout.isatty() else None,
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Demo data (seed {seed}, history to {today}) in {seconds:.1f} s: {accounts} accounts "
                    "({clients} clients, {served} served for a client), {contacts} contacts, {orders} orders "
                    "with {items} items, {tickets} tickets with {messages} messages, {staff} new staff."
                ).format(
                    seed=summary.seed,
                    today=summary.today.isoformat(),
                    seconds=summary.seconds,
                    accounts=summary.accounts,
                    clients=summary.clients,
                    served=summary.served_for,
                    contacts=summary.contacts,
                    orders=summary.orders,
                    items=summary.order_items,
                    tickets=summary.tickets,
                    messages=summary.messages,
                    staff=summary.staff_created,
                )
            )
        )
        if summary.staff_password is not None:
            self.stdout.write(
                _(
                    "Staff sign in with their user name (e.g. helena.okafor, sam.taylor) and the password “{password}”."
                ).format(password=summary.staff_password)
            )
        if not summary.admin_exists:
            self.stdout.write(_("No admin yet: run `carefront createadmin` to get a login."))
