"""`carefront search rebuild|check`: the full-text index behind global search."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext as _

from carefront.core.search_index import search_index_problems, search_index_rebuild


class Command(BaseCommand):
    # Eager gettext: argparse cannot format lazy strings, and commands load after Django is set up.
    help = _(
        "Maintain the global search index. `search rebuild` refills it from the data (SQLite; after a bulk "
        "load that bypassed it, or to repair it); `search check` reports entries that disagree with the data. "
        "On PostgreSQL the search indexes follow the data by themselves and there is nothing to do."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{rebuild,check}")
        actions.add_parser("rebuild", help=_("refill the search index from the data"))
        actions.add_parser("check", help=_("verify the search index against the data; exit code 1 on a problem"))
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help=_("database alias (default: default)"))

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
        if options["action"] == "rebuild":
            if search_index_rebuild(using=using):
                self.stdout.write(_("Search index rebuilt."))
            else:
                self.stdout.write(
                    _("Nothing to rebuild on {vendor}: its search indexes follow the data.").format(
                        vendor=connections[using].vendor
                    )
                )
            return
        problems = search_index_problems(using=using)
        if problems:
            raise CommandError("\n".join(problems))
        self.stdout.write(_("Search index is sound."))
