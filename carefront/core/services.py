"""Writes shared by every app: audit events, tags, counters, staff and notifications."""

from __future__ import annotations

import enum
import os
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import BigIntegerField, Count, F, Q, QuerySet, Value
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from carefront.core.access import require_admin, staff_role
from carefront.core.exceptions import ApplicationError
from carefront.core.models import CostRate, Counter, Event, Notification, Role, StaffProfile, Tag, Team
from carefront.core.validation import clean_choice, clean_email, clean_text, clean_time_zone

User = get_user_model()
Actor = AbstractBaseUser | AnonymousUser | None

TAG_PATTERN = re.compile(r"^[\w][\w\-.:/]{0,49}$")


@dataclass(frozen=True)
class Change:
    """One field's change, ready to become an audit event."""

    field: str
    old: Any
    new: Any


def _actor_fields(actor: Actor) -> dict[str, Any]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return {"actor": None, "actor_label": "system"}
    return {"actor": actor, "actor_label": actor.get_username()}


def events_build(
    *,
    subject_kind: str,
    subject_id: int,
    action: str,
    changes: Iterable[Change] = (),
    reason: str = "",
    actor: Actor,
    occurred_at: datetime | None = None,
    account_id: int | None = None,
) -> list[Event]:
    """Unsaved audit events for one action, for callers (imports) that bulk-create many subjects' events.

    A ticket's events must name its account (`account_id`): the account's timeline finds them by it.
    """
    if subject_kind == Event.SubjectKind.TICKET and account_id is None:
        raise ValueError("A ticket's audit events need the ticket's account_id.")
    who = _actor_fields(actor)
    now = occurred_at or timezone.now()
    common = {"subject_kind": subject_kind, "subject_id": subject_id, "account_id": account_id, **who}
    return [
        Event(
            action=action,
            field=change.field,
            old_value=change.old,
            new_value=change.new,
            reason=reason,
            occurred_at=now,
            **common,
        )
        for change in changes
    ] or [Event(action=action, reason=reason, occurred_at=now, **common)]


def events_record(
    *,
    subject_kind: str,
    subject_id: int,
    action: str,
    changes: Iterable[Change] = (),
    reason: str = "",
    actor: Actor,
    account_id: int | None = None,
) -> list[Event]:
    """Append audit events for one action: one row per changed field, or one row if none (a ticket's name its
    account, see `events_build`)."""
    rows = events_build(
        subject_kind=subject_kind,
        subject_id=subject_id,
        action=action,
        changes=changes,
        reason=reason,
        actor=actor,
        account_id=account_id,
    )
    return Event.objects.bulk_create(rows)


def counter_reserve(*, name: str, count: int = 1) -> int:
    """Reserve `count` consecutive values of a named sequence and return the first of them.

    One UPDATE … RETURNING (SQLite 3.35+, PostgreSQL): every ticket created runs it, and the row stays
    locked until the ticket's transaction commits, so the fewer statements the better.
    """
    statement = f"UPDATE {Counter._meta.db_table} SET value = value + %s WHERE name = %s RETURNING value"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(statement, [count, name])
        row = cursor.fetchone()
        if row is None:  # the sequence's first use
            Counter.objects.get_or_create(name=name, defaults={"value": 0})
            cursor.execute(statement, [count, name])
            row = cursor.fetchone()
    return int(row[0]) - count + 1


def tag_names_normalise(names: Iterable[str], *, field: str = "tags") -> list[str]:
    """Lower-case, de-duplicated, validated tag names in a stable order."""
    result: list[str] = []
    for raw in names:
        if not isinstance(raw, str):
            raise ApplicationError(_("Tags must be strings."), field=field)
        name = raw.strip().lower()
        if not name:
            continue
        if not TAG_PATTERN.match(name):
            raise ApplicationError(
                _("“{tag}” is not a valid tag: use up to 50 letters, digits, - . : / or _.").format(tag=raw[:60]),
                field=field,
            )
        if name not in result:
            result.append(name)
    return sorted(result)


def tags_get_or_create(*, names: Iterable[str]) -> list[Tag]:
    """The Tag rows for these (already normalised) names, creating the missing ones."""
    wanted = list(names)
    if not wanted:
        return []
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=wanted)}
    missing = [Tag(name=name) for name in wanted if name not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {tag.name: tag for tag in Tag.objects.filter(name__in=wanted)}
    return [existing[name] for name in wanted]


def staff_create(
    *,
    username: str,
    email: str,
    role: str,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    time_zone: str = "UTC",
    language: str = "en",
    languages: list[str] | None = None,
    skills: list[str] | None = None,
    teams: Iterable[Team] = (),
) -> Any:
    """Create a staff user with a profile; admins also get the Django admin."""
    if role not in Role.values:
        raise ApplicationError(_("Unknown role “{role}”.").format(role=role), field="role")
    username = _clean_username(username)
    email = clean_email(email)
    time_zone = clean_time_zone(time_zone)
    language = _clean_language(language)
    if User.objects.filter(username__iexact=username).exists():
        raise ApplicationError(_("A user named “{name}” already exists.").format(name=username), field="username")
    with transaction.atomic():
        user = User.objects.create_user(
            username=username,
            email=email,
            password=password,
            first_name=clean_text(first_name, field="first_name", max_length=150),
            last_name=clean_text(last_name, field="last_name", max_length=150),
            **_role_flags(role),
        )
        profile = StaffProfile.objects.create(
            user=user,
            role=role,
            time_zone=time_zone,
            language=language,
            languages=languages or [],
            skills=skills or [],
        )
        profile.teams.set(list(teams))
    return user


def _role_flags(role: str) -> dict[str, bool]:
    """What a role grants in the Django admin: managers may sign in to it, admins may do everything there."""
    return {"is_staff": role in {Role.ADMIN, Role.MANAGER}, "is_superuser": role == Role.ADMIN}


def _clean_username(value: str) -> str:
    username = clean_text(value, field="username", max_length=150, required=True)
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError as exc:
        raise ApplicationError(
            _("“{name}” is not a valid username: use letters, digits and @ . + - _ only.").format(name=username[:60]),
            field="username",
        ) from exc
    # Portal users of contacts are named contact-<id>; a staff member with such a name would collide.
    if username.lower().startswith("contact-"):
        raise ApplicationError(_("Usernames starting with “contact-” are kept for portal users."), field="username")
    return username


def _clean_language(value: str) -> str:
    """A language the interface is translated into."""
    return str(clean_choice(value, choices=[code for code, _name in settings.LANGUAGES], field="language"))


def notification_create(*, recipient_id: int, verb: str, text: str, ticket_id: int | None = None) -> Notification:
    """Store an in-app notification for one staff member."""
    return Notification.objects.create(recipient_id=recipient_id, verb=verb, text=text[:500], ticket_id=ticket_id)


@dataclass(frozen=True)
class AdminLogin:
    """How to sign in as an installation's admin; `password` is None once it is no longer known."""

    username: str
    password: str | None
    created: bool


def admin_create(*, username: str, email: str = "", password: str | None = None) -> AdminLogin:
    """Create an admin (staff with the admin role); without a password, one is generated and returned once."""
    plain = password or secrets.token_urlsafe(12)
    user = staff_create(username=username, email=email, role=Role.ADMIN, password=plain)
    return AdminLogin(username=user.get_username(), password=plain, created=True)


def _password_remember(path: Path, password: str) -> None:
    # Created with mode 600 from the start so the password is never readable by others, even briefly.
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password + "\n")


def _password_recall(user: Any, path: Path | None) -> str | None:
    """The remembered first-run password while it still signs the admin in; a stale file is removed."""
    if path is None or not path.exists():
        return None
    remembered = path.read_text().strip()
    if remembered and user.check_password(remembered):
        return remembered
    path.unlink(missing_ok=True)
    return None


def admin_ensure(
    *, username: str = "admin", email: str = "", password: str | None = None, password_file: Path | None = None
) -> AdminLogin:
    """The installation's admin: an existing active one, or a new one on first run.

    A generated first-run password is kept in `password_file` (mode 600) so the login can be shown
    again at the next start; when the admin changes their password the file is removed.
    """
    admins = User.objects.filter(is_active=True, staff_profile__role=Role.ADMIN)
    existing = admins.filter(username=username).first() or admins.order_by("pk").first()
    if existing is None:
        try:
            login = admin_create(username=username, email=email, password=password)
        except (ApplicationError, IntegrityError):
            # Another process (a second `serve` starting at the same time) created it first.
            existing = admins.order_by("pk").first()
            if existing is None:
                raise
        else:
            if password is None and password_file is not None and login.password is not None:
                _password_remember(password_file, login.password)
            return login
    return AdminLogin(
        username=existing.get_username(), password=_password_recall(existing, password_file), created=False
    )


# Workspace settings (issue 4): teams, staff and tags, changed by admins.
#
# Teams and staff are not subjects of the ticket/account audit trail, so their changes go to Django's
# admin log, where the back office already shows each object's history; tag changes touch tickets and
# accounts, so each affected one gets an audit event.


class _Unset(enum.Enum):
    UNSET = enum.auto()


UNSET: Final = _Unset.UNSET


def _admin_log(*, actor: Actor, obj: Any, flag: int, message: str) -> None:
    """Record a settings change in the admin log; changes made by the system (no actor) have no user to name."""
    user_id = actor.pk if actor is not None and actor.is_authenticated else None
    if user_id is None:
        return
    # The entry names its model by content type, which Django caches per process; read afresh (one query, for a rare
    # write) so that content types made again since (as a database flush between browser tests does, with new ids)
    # never leave the log pointing at a row that is gone.
    ContentType.objects.clear_cache()
    LogEntry.objects.log_actions(user_id=user_id, queryset=[obj], action_flag=flag, change_message=message)


def _names(values: Iterable[Any]) -> str:
    return ", ".join(sorted(str(value) for value in values)) or "—"


def _clean_team_name(name: str, *, exclude_pk: int | None) -> str:
    name = clean_text(name, field="name", max_length=100, required=True)
    clash = Team.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ApplicationError(_("A team named “{name}” already exists.").format(name=name), field="name", status=409)
    return name


@transaction.atomic
def team_create(*, name: str, description: str = "", actor: Actor) -> Team:
    """Create a team; names are unique whatever their case."""
    team = Team.objects.create(
        name=_clean_team_name(name, exclude_pk=None),
        description=clean_text(description, field="description", max_length=2000),
    )
    _admin_log(actor=actor, obj=team, flag=ADDITION, message=_("Created team."))
    return team


@transaction.atomic
def team_update(*, team: Team, actor: Actor, name: str | None = None, description: str | None = None) -> Team:
    """Rename a team or change its description."""
    team = Team.objects.select_for_update().get(pk=team.pk)
    changed: list[str] = []
    if name is not None:
        cleaned = _clean_team_name(name, exclude_pk=team.pk)
        if cleaned != team.name:
            changed.append(_("name: {old} → {new}").format(old=team.name, new=cleaned))
            team.name = cleaned
    if description is not None:
        cleaned = clean_text(description, field="description", max_length=2000)
        if cleaned != team.description:
            changed.append(_("description changed"))
            team.description = cleaned
    if changed:
        team.save(update_fields=["name", "description"])
        _admin_log(actor=actor, obj=team, flag=CHANGE, message="; ".join(changed))
    return team


@transaction.atomic
def team_set_members(*, team: Team, members: Iterable[Any], actor: Actor) -> Team:
    """Make exactly these staff users the team's members; only active staff can join."""
    wanted = {user.pk: user for user in members}
    profiles = list(StaffProfile.objects.select_related("user").filter(user_id__in=list(wanted)))
    not_staff = set(wanted) - {profile.user_id for profile in profiles}
    if not_staff:
        user = wanted[min(not_staff)]
        raise ApplicationError(
            _("{user} is not staff and cannot join a team.").format(user=user.get_username()), field="members"
        )
    current = set(team.members.values_list("user_id", flat=True))
    added = [profile for profile in profiles if profile.user_id not in current]
    for profile in added:
        if not profile.user.is_active:
            raise ApplicationError(
                _("{user} is inactive and cannot join a team.").format(user=profile.user.get_username()),
                field="members",
            )
    removed_ids = current - set(wanted)
    if not added and not removed_ids:
        return team
    team.members.set(profiles)
    removed = User.objects.filter(pk__in=removed_ids).values_list("username", flat=True)
    _admin_log(
        actor=actor,
        obj=team,
        flag=CHANGE,
        message=_("Members added: {added}; removed: {removed}.").format(
            added=_names(profile.user.get_username() for profile in added), removed=_names(removed)
        ),
    )
    return team


def _refuse_last_admin(user: Any, message: str) -> None:
    """Refuse when `user` is the only active admin left."""
    admins = User.objects.filter(is_active=True, staff_profile__role=Role.ADMIN).order_by("pk")
    # Lock the admins (in one order, so no deadlock) so that two admins demoting or deactivating each other
    # wait for one another; then read again, because a fresh read sees what the other one committed.
    list(admins.select_for_update(of=("self",)).values_list("pk", flat=True))
    if list(admins.values_list("pk", flat=True)) == [user.pk]:
        raise ApplicationError(message, field="role", status=409)


@transaction.atomic
def staff_update(
    *,
    user: Any,
    actor: Actor,
    role: str | _Unset = UNSET,
    teams: Iterable[Team] | _Unset = UNSET,
    time_zone: str | _Unset = UNSET,
    language: str | _Unset = UNSET,
) -> StaffProfile:
    """Change a staff member's role, teams, time zone or interface language.

    Everyone may change their own time zone and language; anything else needs an admin.
    The last active admin keeps the admin role.
    """
    profile = StaffProfile.objects.select_for_update().select_related("user").filter(user_id=user.pk).first()
    if profile is None:
        raise ApplicationError(_("{user} is not staff.").format(user=user.get_username()), status=404)
    own_preferences = role is UNSET and teams is UNSET and actor is not None and actor.pk == user.pk
    if actor is not None and not own_preferences:
        require_admin(actor)
    changed: list[str] = []
    fields: list[str] = []
    if not isinstance(time_zone, _Unset):
        time_zone = clean_time_zone(time_zone)
        if time_zone != profile.time_zone:
            changed.append(_("time zone: {old} → {new}").format(old=profile.time_zone, new=time_zone))
            profile.time_zone = time_zone
            fields.append("time_zone")
    if not isinstance(language, _Unset):
        language = _clean_language(language)
        if language != profile.language:
            changed.append(_("language: {old} → {new}").format(old=profile.language, new=language))
            profile.language = language
            fields.append("language")
    if not isinstance(role, _Unset):
        role = str(clean_choice(role, choices=Role.values, field="role"))
        if role != profile.role:
            if profile.role == Role.ADMIN and profile.user.is_active:
                _refuse_last_admin(
                    profile.user,
                    _("{user} is the last active admin; make someone else an admin first.").format(
                        user=profile.user.get_username()
                    ),
                )
            changed.append(_("role: {old} → {new}").format(old=profile.role, new=role))
            profile.role = role
            fields.append("role")
            for flag, value in _role_flags(role).items():
                setattr(profile.user, flag, value)
            profile.user.save(update_fields=["is_staff", "is_superuser"])
    if not isinstance(teams, _Unset):
        new_teams = list(teams)
        old_names = set(profile.teams.values_list("name", flat=True))
        new_names = {team.name for team in new_teams}
        if old_names != new_names:
            profile.teams.set(new_teams)
            changed.append(_("teams: {old} → {new}").format(old=_names(old_names), new=_names(new_names)))
    if fields:
        profile.save(update_fields=fields)
    if changed:
        _admin_log(actor=actor, obj=profile.user, flag=CHANGE, message="; ".join(changed))
    return profile


@dataclass(frozen=True)
class StaffInvite:
    """A new staff member; `password` is the generated one, to show once, or None when the admin chose it."""

    user: Any
    password: str | None


@transaction.atomic
def staff_invite(
    *,
    actor: Actor,
    username: str,
    email: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    teams: Iterable[Team] = (),
    time_zone: str = "UTC",
    language: str = "en",
    password: str | None = None,
) -> StaffInvite:
    """An admin adds a staff member, with the password they chose or a generated one."""
    email = clean_email(email)
    if not email:
        raise ApplicationError(_("This field is required."), field="email")
    generated = None
    if password:
        try:
            password_validation.validate_password(
                password, user=User(username=username, email=email, first_name=first_name, last_name=last_name)
            )
        except ValidationError as exc:
            raise ApplicationError(" ".join(exc.messages), field="password") from exc
    else:
        generated = password = secrets.token_urlsafe(12)
    user = staff_create(
        username=username,
        email=email,
        role=role,
        password=password,
        first_name=first_name,
        last_name=last_name,
        time_zone=time_zone,
        language=language,
        teams=teams,
    )
    _admin_log(actor=actor, obj=user, flag=ADDITION, message=_("Added as {role}.").format(role=role))
    return StaffInvite(user=user, password=generated)


# What other apps say a staff member still owns, as a refusal to show, or "" when nothing: the core cannot know
# every app's rows, and each app registers its check when it is ready (`staff_still_owned_register`).
StillOwned = Callable[[int], str]
_STILL_OWNED: list[StillOwned] = []


def staff_still_owned_register(check: StillOwned) -> None:
    """Refuse deactivating a staff member while `check` says they still own something (called at app start)."""
    if check not in _STILL_OWNED:
        _STILL_OWNED.append(check)


@transaction.atomic
def staff_deactivate(*, user: Any, actor: Actor) -> Any:
    """Stop a staff member from signing in (their API tokens stop working too).

    Refused for yourself, for the last active admin, and while they own accounts or any other app's work
    (`staff_still_owned_register`): those are handed over first, so nothing is left with an owner who cannot act.
    """
    if actor is not None and actor.pk == user.pk:
        raise ApplicationError(_("You cannot deactivate yourself; ask another admin."), field="user", status=409)
    if staff_role(user) == Role.ADMIN:
        # Before locking the row itself: every admin change takes the admins' locks first, in the same order.
        _refuse_last_admin(
            user,
            _("{user} is the last active admin; make someone else an admin first.").format(user=user.get_username()),
        )
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        return user
    owned = user.owned_accounts.aggregate(total=Count("pk"), clients=Count("pk", filter=Q(service_model="client")))
    if owned["total"]:
        raise ApplicationError(
            ngettext(
                "{user} owns {count} account ({clients} of them clients); hand it over to another owner first.",
                "{user} owns {count} accounts ({clients} of them clients); hand them over to another owner first.",
                owned["total"],
            ).format(user=user.get_username(), count=owned["total"], clients=owned["clients"]),
            field="user",
            status=409,
        )
    for still_owned in _STILL_OWNED:
        refusal = still_owned(user.pk)
        if refusal:
            raise ApplicationError(refusal, field="user", status=409)
    user.is_active = False
    user.save(update_fields=["is_active"])
    _admin_log(actor=actor, obj=user, flag=CHANGE, message=_("Deactivated."))
    return user


@transaction.atomic
def staff_reactivate(*, user: Any, actor: Actor) -> Any:
    """Let a deactivated staff member sign in again."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not StaffProfile.objects.filter(user_id=user.pk).exists():
        raise ApplicationError(_("{user} is not staff.").format(user=user.get_username()), status=404)
    if user.is_active:
        return user
    user.is_active = True
    user.save(update_fields=["is_active"])
    _admin_log(actor=actor, obj=user, flag=CHANGE, message=_("Reactivated."))
    return user


def events_record_for(*, subject_kind: str, subjects: QuerySet[Any], action: str, change: Change, actor: Actor) -> int:
    """One audit event per row that `subjects` yields, in one INSERT … SELECT: a two-column values_list of the
    subject's id and its account's id (a ticket's account; null for other subjects, see `events_build`).

    For bulk changes: the database copies the ids, nothing is loaded into Python. Returns the number of events.
    """
    who = _actor_fields(actor)
    fields = {field.name: field for field in Event._meta.concrete_fields}
    columns = [
        "subject_id",
        "account",
        "subject_kind",
        "action",
        "field",
        "old_value",
        "new_value",
        "reason",
        "actor",
        "actor_label",
        "occurred_at",
    ]
    quote = connection.ops.quote_name
    json_param = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    placeholders = ["%s", "%s", "%s", json_param, json_param, "%s", "%s", "%s", "%s"]
    ids_sql, ids_params = subjects.query.sql_with_params()
    values = [
        subject_kind,
        action,
        change.field,
        fields["old_value"].get_db_prep_save(change.old, connection),
        fields["new_value"].get_db_prep_save(change.new, connection),
        "",
        who["actor"].pk if who["actor"] is not None else None,
        who["actor_label"],
        connection.ops.adapt_datetimefield_value(timezone.now()),
    ]
    # Only quoted identifiers and the ORM's own SQL are formatted in; every value is a parameter.
    sql = "INSERT INTO {table} ({columns}) SELECT ids.*, {placeholders} FROM ({ids}) ids".format(  # noqa: S608
        table=quote(Event._meta.db_table),
        columns=", ".join(quote(str(fields[name].column)) for name in columns),
        placeholders=", ".join(placeholders),
        ids=ids_sql,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, *ids_params])
        return max(cursor.rowcount, 0)


# The models that carry tags: (audit subject kind, relation name on Tag, the path from a link to the account its
# events name, if any).
TAGGED = (("ticket", "tickets", "ticket__account_id"), ("account", "accounts", None))


def _tag_relink(*, tag: Tag, action: str, change: Change, actor: Actor, move_to: Tag | None, unlink: bool) -> int:
    """Audit and touch every ticket and account carrying `tag`, then move its links to `move_to` or drop them.

    Set-based whatever the number of rows: a fixed number of statements per tagged model. Returns how many
    tickets and accounts were affected.
    """
    now = timezone.now()
    affected = 0
    for subject_kind, relation, account_path in TAGGED:
        rel: Any = Tag._meta.get_field(relation)
        through = rel.through
        subject_column = rel.field.m2m_column_name()
        tag_column = rel.field.m2m_reverse_name()
        links = through.objects.filter(**{tag_column: tag.pk})
        if account_path is None:
            # Typed: PostgreSQL reads a bare NULL in a select list as text.
            links_with_account = links.annotate(no_account=Cast(Value(None), output_field=BigIntegerField()))
            subjects = links_with_account.values_list(subject_column, "no_account")
        else:
            subjects = links.values_list(subject_column, account_path)
        affected += events_record_for(
            subject_kind=subject_kind,
            subjects=subjects,
            action=action,
            change=change,
            actor=actor,
        )
        # Their tags changed: API clients syncing by updated_since, and edits based on the old version, must see it.
        rel.related_model.objects.filter(pk__in=links.values(subject_column)).update(
            version=F("version") + 1, updated_at=now
        )
        if move_to is not None:
            already = through.objects.filter(**{tag_column: move_to.pk}).values(subject_column)
            links.exclude(**{f"{subject_column}__in": already}).update(**{tag_column: move_to.pk})
        if unlink or move_to is not None:
            through.objects.filter(**{tag_column: tag.pk}).delete()
    return affected


@dataclass(frozen=True)
class TagRenamed:
    """The tag after a rename, whether it was merged into an existing one, and how many tickets and accounts changed."""

    tag: Tag
    merged: bool
    affected: int


@transaction.atomic
def tag_rename(*, tag: Tag, name: str, actor: Actor) -> TagRenamed:
    """Rename a tag everywhere; when a tag with the new name exists, merge this one into it."""
    names = tag_names_normalise([name], field="name")
    if not names:
        raise ApplicationError(_("This field is required."), field="name")
    new_name = names[0]
    tag = Tag.objects.select_for_update().get(pk=tag.pk)
    if new_name == tag.name:
        return TagRenamed(tag=tag, merged=False, affected=0)
    target = Tag.objects.select_for_update().filter(name=new_name).first()
    change = Change("tags", tag.name, new_name)
    if target is None:
        affected = _tag_relink(tag=tag, action="tag_renamed", change=change, actor=actor, move_to=None, unlink=False)
        tag.name = new_name
        tag.save(update_fields=["name"])
        return TagRenamed(tag=tag, merged=False, affected=affected)
    affected = _tag_relink(tag=tag, action="tag_merged", change=change, actor=actor, move_to=target, unlink=True)
    tag.delete()
    return TagRenamed(tag=target, merged=True, affected=affected)


@transaction.atomic
def tag_delete(*, tag: Tag, actor: Actor) -> int:
    """Delete a tag and take it off every ticket and account; returns how many of them changed."""
    tag = Tag.objects.select_for_update().get(pk=tag.pk)
    change = Change("tags", tag.name, None)
    affected = _tag_relink(tag=tag, action="tag_removed", change=change, actor=actor, move_to=None, unlink=True)
    tag.delete()
    return affected


def notifications_mark_read(*, user: Any, notification_ids: Sequence[int] | None = None) -> int:
    """Mark a staff member's notifications read: the ones named, or all of them; returns how many changed."""
    unread = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    return unread.update(read_at=timezone.now())


@transaction.atomic
def cost_rate_set(*, actor: Actor, role: str, hourly: Decimal | None) -> None:
    """Set what an hour of a role's time costs (None removes the rate: that role's time then costs nothing)."""
    clean_choice(role, choices=Role.values, field="role")
    if hourly is not None and (not isinstance(hourly, Decimal) or not hourly.is_finite() or hourly < 0):
        raise ApplicationError(_("A cost per hour is an amount of zero or more."), field="hourly")
    if hourly is not None and hourly >= Decimal("100000000"):
        raise ApplicationError(_("A cost per hour is below 100,000,000."), field="hourly")
    existing = CostRate.objects.filter(role=role).first()
    old = str(existing.hourly) if existing else None
    new = str(hourly.quantize(Decimal("0.01"))) if hourly is not None else None
    if old == new:
        return
    if hourly is None:
        CostRate.objects.filter(role=role).delete()
    else:
        CostRate.objects.update_or_create(role=role, defaults={"hourly": hourly.quantize(Decimal("0.01"))})
    events_record(
        subject_kind="cost_rate",
        subject_id=Role.values.index(role),
        action="updated",
        changes=[Change(role, old, new)],
        actor=actor,
    )
