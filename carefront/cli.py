"""The `carefront` console script: Django's management commands under one name."""

from __future__ import annotations

import os
import sys


def gettext_noop(message: str) -> str:
    """Mark a string for extraction; Django's own version needs settings, which are not loaded yet."""
    return message


# (command, what it does): what a person running Carefront needs, in the order they meet it.
# Marked with gettext_noop for extraction; translated when printed, once Django is set up.
MAIN_COMMANDS = [
    ("serve", gettext_noop("run the web server (gunicorn) with the embedded job worker and scheduler")),
    ("worker", gettext_noop("run a job queue consumer on its own (scale-out with Redis)")),
    ("demo", gettext_noop("load realistic demo data (--seed N, --accounts N, --if-empty)")),
    ("import", gettext_noop("import accounts, contacts, orders or tickets from CSV: import KIND FILE.csv")),
    ("export", gettext_noop("export accounts, contacts, orders or tickets as CSV: export KIND")),
    ("createadmin", gettext_noop("create an admin user (--if-missing prints the existing admin's login)")),
    ("token", gettext_noop("create, list and revoke REST API tokens: token create USER")),
    ("manage", gettext_noop("any Django management command: manage migrate, manage shell, …")),
]


def usage() -> str:
    """The short, Carefront-specific help that `carefront`, `carefront -h` and `carefront --help` print."""
    from django.utils.translation import gettext as _

    width = max(len(name) for name, _description in MAIN_COMMANDS)
    lines = [
        _("Carefront: one desk for customers and clients."),
        "",
        _("Usage: carefront COMMAND [options]"),
        "",
        _("Main commands:"),
        *(f"  {name.ljust(width)}  {_(description)}" for name, description in MAIN_COMMANDS),
        "",
        _("Run `carefront COMMAND --help` for a command's options,"),
        _("and `carefront help` for every command, Django's included."),
        _("Settings come from environment variables (CAREFRONT_DATA_DIR, DATABASE_URL, …): see docs/configuration.md."),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carefront.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    if len(args) == 1 or args[1] in {"-h", "--help"}:
        import django

        django.setup()
        sys.stdout.write(usage())
        return
    # `carefront manage migrate` and `carefront migrate` mean the same thing.
    if args[1] == "manage":
        args.pop(1)
    execute_from_command_line(["carefront", *args[1:]])


if __name__ == "__main__":
    main()
