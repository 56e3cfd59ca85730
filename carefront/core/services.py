"""Writes shared by every app: audit events, tags, counters, staff and notifications."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
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
    who = _actor_fields(actor)
    now = timezone.now()
    rows = [
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
