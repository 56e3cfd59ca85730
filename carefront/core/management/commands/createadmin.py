"""`carefront createadmin`: an admin to sign in to the back office and the staff workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from carefront.core.exceptions import ApplicationError
from carefront.core.services import AdminLogin, admin_create, admin_ensure

ADMIN_PASSWORD_FILE = "admin-password.txt"  # noqa: S105 (a file name, not a password)


def admin_password_file() -> Path:
    """Where the first-run admin password is kept: beside the data, readable by its owner only."""
    return settings.DATA_DIR / ADMIN_PASSWORD_FILE


def admin_login_lines(login: AdminLogin, *, base_url: str | None = None) -> list[str]:
    """What to tell a person about signing in as this admin."""
    lines = [
        _("Admin login: {url}/admin/").format(url=base_url or settings.BASE_URL),
        _("  username: {username}").format(username=login.username),
    ]
    if login.password is not None:
        lines.append(_("  password: {password}").format(password=login.password))
    else:
        lines.append(
            _("  password: the one you chose (reset it with `carefront manage changepassword {username}`)").format(
                username=login.username
            )
        )
    return lines


class Command(BaseCommand):
    # Eager gettext: argparse cannot format lazy strings, and commands load after Django is set up.
    help = _(
        "Create an admin: a staff user with the admin role who can use the back office at /admin/. "
        "Without --password a strong one is generated and printed once. With --if-missing nothing is "
        "created when an admin already exists; the existing admin's login is printed instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin", help=_("login name (default: admin)"))
        parser.add_argument("--email", default="", help=_("email address for notifications"))
        parser.add_argument(
            "--password",
            default=None,
            help=_("the password; generated and printed when omitted (visible in `ps`: prefer omitting it)"),
        )
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help=_(
                "only create an admin when there is none, and keep a generated password in "
                "$CAREFRONT_DATA_DIR/admin-password.txt so the login can be shown again"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["if_missing"]:
                login = admin_ensure(
                    username=options["username"],
                    email=options["email"],
                    password=options["password"],
                    password_file=admin_password_file(),
                )
            else:
                login = admin_create(username=options["username"], email=options["email"], password=options["password"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if options["verbosity"] < 1:
            return
        if login.created:
            self.stdout.write(self.style.SUCCESS(_("Created admin “{username}”.").format(username=login.username)))
        for line in admin_login_lines(login):
            self.stdout.write(line)
