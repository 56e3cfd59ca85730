"""Writes shared by every app: audit events, tags, counters, staff and notifications."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from carefront.core.exceptions import ApplicationError
from carefront.core.models import Counter, Event, Notification, Role, StaffProfile, Tag, Team

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
) -> list[Event]:
    """Unsaved audit events for one action, for callers (imports) that bulk-create many subjects' events."""
    who = _actor_fields(actor)
    now = occurred_at or timezone.now()
    return [
        Event(
            subject_kind=subject_kind,
            subject_id=subject_id,
            action=action,
            field=change.field,
            old_value=change.old,
            new_value=change.new,
            reason=reason,
            occurred_at=now,
            **who,
        )
        for change in changes
    ] or [Event(subject_kind=subject_kind, subject_id=subject_id, action=action, reason=reason, occurred_at=now, **who)]


def events_record(
    *,
    subject_kind: str,
    subject_id: int,
    action: str,
    changes: Iterable[Change] = (),
    reason: str = "",
    actor: Actor,
) -> list[Event]:
    """Append audit events for one action: one row per changed field, or one row if none."""
    rows = events_build(
        subject_kind=subject_kind, subject_id=subject_id, action=action, changes=changes, reason=reason, actor=actor
    )
    return Event.objects.bulk_create(rows)


def counter_reserve(*, name: str, count: int = 1) -> int:
    """Reserve `count` consecutive values of a named sequence and return the first of them."""
    with transaction.atomic():
        updated = Counter.objects.filter(name=name).update(value=F("value") + count)
        if not updated:
            Counter.objects.get_or_create(name=name, defaults={"value": 0})
            Counter.objects.filter(name=name).update(value=F("value") + count)
        last = Counter.objects.values_list("value", flat=True).get(name=name)
    return int(last) - count + 1


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
    languages: list[str] | None = None,
    skills: list[str] | None = None,
    teams: Iterable[Team] = (),
) -> Any:
    """Create a staff user with a profile; admins also get the Django admin."""
    if role not in Role.values:
        raise ApplicationError(_("Unknown role “{role}”.").format(role=role), field="role")
    if User.objects.filter(username=username).exists():
        raise ApplicationError(_("A user named “{name}” already exists.").format(name=username), field="username")
    with transaction.atomic():
        user = User.objects.create_user(
            username=username,
            email=email,
            password=password,
            first_name=first_name,
            last_name=last_name,
            is_staff=role in {Role.ADMIN, Role.MANAGER},
            is_superuser=role == Role.ADMIN,
        )
        profile = StaffProfile.objects.create(
            user=user, role=role, time_zone=time_zone, languages=languages or [], skills=skills or []
        )
        profile.teams.set(list(teams))
    return user


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
