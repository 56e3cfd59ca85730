"""`carefront token create|revoke|list`: API tokens from the command line."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from carefront.api.selectors import tokens_list, user_named
from carefront.api.services import token_create, token_owner_resolve, token_revoke
from carefront.core.exceptions import ApplicationError


class Command(BaseCommand):
    # Eager gettext: argparse cannot format lazy strings, and commands load after Django is set up.
    help = _(
        "Manage REST API tokens. `token create USER` prints a new token once (only its hash is stored); "
        "`token revoke PREFIX` disables one; `token list [USER]` shows prefixes, owners and last use. "
        "USER is a username or an email; a contact's email gives the contact a portal user first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{create,revoke,list}")
        create = actions.add_parser("create", help=_("create a token and print it once"))
        create.add_argument("user", help=_("username or email of the token's owner (staff or contact)"))
        create.add_argument("--name", default="", help=_("a label to recognise the token by, e.g. “crm sync”"))
        revoke = actions.add_parser("revoke", help=_("revoke a token by its prefix"))
        revoke.add_argument("prefix", help=_("the prefix shown by `token list` (the part after “cf_”)"))
        listing = actions.add_parser("list", help=_("list tokens, newest first"))
        listing.add_argument("user", nargs="?", default=None, help=_("only this user's tokens"))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "create":
                self._create(who=options["user"], name=options["name"])
            elif options["action"] == "revoke":
                token = token_revoke(prefix=options["prefix"].strip())
                self.stdout.write(
                    _("Revoked token {prefix} of {user}.").format(prefix=token.prefix, user=token.user.get_username())
                )
            else:
                self._list(who=options["user"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc

    def _create(self, *, who: str, name: str) -> None:
        user = token_owner_resolve(who=who, actor=None)
        token, plain = token_create(user=user, name=name)
        self.stderr.write(
            _("Token {prefix} for {user}. It is shown only this once; store it now:").format(
                prefix=token.prefix, user=user.get_username()
            )
        )
        # The token alone on standard output, so `carefront token create bob > bob.token` captures just it.
        self.stdout.write(plain)

    def _list(self, *, who: str | None) -> None:
        user = None
        if who is not None:
            user = user_named(who=who)
            if user is None:
                raise CommandError(_("No user is called {who}.").format(who=who))
        header = (_("prefix"), _("user"), _("name"), _("created"), _("last used"), _("revoked"))
        self.stdout.write("\t".join(header))
        for token in tokens_list(user=user):
            self.stdout.write(
                "\t".join(
                    [
                        token.prefix,
                        token.user.get_username(),
                        token.name,
                        token.created_at.isoformat(timespec="seconds"),
                        token.last_used_at.isoformat(timespec="seconds") if token.last_used_at else "-",
                        token.revoked_at.isoformat(timespec="seconds") if token.revoked_at else "-",
                    ]
                )
            )
