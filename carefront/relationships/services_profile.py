"""Every write to the client profile: the fields the business defines, a client's preferences and values of those
fields, their goals, key people and the services they buy.

The same conventions as `services`: keyword-only, an actor on every write, one transaction, audited on the
account's history. Reads are for any staff member; writes for the account's advisor or a manager
(`require_account_manager`), and the field definitions for managers only.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.text import slugify
from django.utils.translation import gettext as _

from carefront.accounts.models import Account, Contact
from carefront.core.access import require_manager
from carefront.core.exceptions import ApplicationError
from carefront.core.services import Actor, Change, events_record
from carefront.core.validation import (
    clean_choice,
    clean_currency,
    clean_decimal,
    clean_locale,
    clean_text,
    version_check,
)
from carefront.relationships.access import require_account_manager
from carefront.relationships.models import (
    BillingPeriod,
    ClientGoal,
    ClientProfile,
    ClientService,
    GoalState,
    InteractionKind,
    KeyPerson,
    KeyPersonRole,
    ProfileField,
    ProfileFieldKind,
    ServiceStatus,
)
from carefront.relationships.services import MAX_REASON, MAX_TEXT, MAX_TITLE, _differences, _reason, _record

MAX_LABEL = 100
MAX_HELP = 300
MAX_CHOICES = 50
MAX_CHOICE = 100
MAX_FIELDS = 100
MAX_FIELD_TEXT = 1000
# Dates outside these years are typing mistakes (2O26, 20266), not a client's plans.
FIRST_YEAR, LAST_YEAR = 1900, 2200
# A number field holds what people type into a profile (a budget, a head count): bounded and decimal.
MAX_NUMBER = Decimal("1e15")


def _bump(item: Model, fields: list[str], *, now: datetime) -> None:
    """Save the changed fields with a new version, so an edit based on the old one is refused."""
    item.version += 1  # type: ignore[attr-defined]
    item.updated_at = now  # type: ignore[attr-defined]
    item.save(update_fields=[*fields, "version", "updated_at"])


def _date(value: Any, *, field: str, required: bool = True) -> date | None:
    if value is None or value == "":
        if required:
            raise ApplicationError(_("This field is required."), field=field)
        return None
    if isinstance(value, datetime):
        raise ApplicationError(_("Enter a date like 2026-03-31, without a time."), field=field)
    day = value if isinstance(value, date) else None
    if day is None and isinstance(value, str):
        try:
            day = parse_date(value.strip())
        except ValueError:
            day = None
    if day is None:
        raise ApplicationError(_("“{value}” is not a date like 2026-03-31.").format(value=str(value)[:40]), field=field)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ApplicationError(
            _("Choose a date between the years {first} and {last}.").format(first=FIRST_YEAR, last=LAST_YEAR),
            field=field,
        )
    return day


def _required_date(value: Any, *, field: str) -> date:
    day = _date(value, field=field)
    assert day is not None
    return day


def _audit_one(value: Any) -> Any:
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value) if isinstance(value, Decimal) else value


def _audit(values: dict[str, Any]) -> dict[str, Any]:
    """Values as the audit trail keeps them (JSON): dates, times and amounts as text."""
    return {key: _audit_one(value) for key, value in values.items()}


def _unknown(changes: dict[str, Any]) -> None:
    if changes:
        raise ApplicationError(_("Unknown field."), field=sorted(changes)[0])


# --- the fields the business defines -------------------------------------------------------------


def _choices_clean(kind: str, choices: Any) -> list[str]:
    if kind != ProfileFieldKind.CHOICE:
        if choices:
            raise ApplicationError(_("Only a choice field has choices."), field="choices")
        return []
    if not isinstance(choices, list | tuple):
        raise ApplicationError(_("Choices are a list of texts."), field="choices")
    cleaned: list[str] = []
    for choice in choices:
        text = clean_text(choice, field="choices", max_length=MAX_CHOICE)
        if text and text not in cleaned:
            cleaned.append(text)
    if not cleaned:
        raise ApplicationError(_("A choice field needs at least one choice."), field="choices")
    if len(cleaned) > MAX_CHOICES:
        raise ApplicationError(_("At most {most} choices.").format(most=MAX_CHOICES), field="choices")
    return cleaned


def _field_values(changes: dict[str, Any], *, kind: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "label" in changes:
        values["label"] = clean_text(changes.pop("label"), field="label", max_length=MAX_LABEL, required=True)
    if "choices" in changes:
        values["choices"] = _choices_clean(kind, changes.pop("choices"))
    if "help_text" in changes:
        values["help_text"] = clean_text(changes.pop("help_text"), field="help_text", max_length=MAX_HELP)
    if "position" in changes:
        position = changes.pop("position")
        if not isinstance(position, int) or isinstance(position, bool) or not 0 <= position <= 10_000:
            raise ApplicationError(_("The order is a whole number from 0 to 10000."), field="position")
        values["position"] = position
    if "active" in changes:
        values["active"] = bool(changes.pop("active"))
    _unknown(changes)
    return values


@transaction.atomic
def profile_field_create(
    *,
    actor: Actor,
    key: str,
    label: str,
    kind: str,
    choices: list[str] | None = None,
    help_text: str = "",
    position: int = 0,
) -> ProfileField:
    """A manager defines a profile field every client may have a value for. Its key and type never change (a
    stored value always means what it meant); to change them, define a new field and retire the old one."""
    require_manager(actor)
    kind = clean_choice(kind, choices=ProfileFieldKind.values, field="kind")
    key = clean_text(key, field="key", max_length=50, required=True)
    if slugify(key).replace("-", "_") != key or not key[0].isalpha():
        raise ApplicationError(
            _("A key is lower-case letters, digits and underscores, starting with a letter, like budget_2026."),
            field="key",
        )
    if ProfileField.objects.filter(key=key).exists():
        raise ApplicationError(
            _("A profile field with the key “{key}” exists.").format(key=key), field="key", status=409
        )
    if ProfileField.objects.count() >= MAX_FIELDS:
        raise ApplicationError(_("At most {most} profile fields.").format(most=MAX_FIELDS), field="key")
    values = _field_values(
        {"label": label, "choices": choices or [], "help_text": help_text, "position": position}, kind=kind
    )
    now = timezone.now()
    field = ProfileField.objects.create(key=key, kind=kind, created_at=now, updated_at=now, **values)
    events_record(
        subject_kind="profile_field",
        subject_id=field.pk,
        action="created",
        changes=[Change("profile_field", None, {"key": key, "kind": kind, **_audit(values)})],
        actor=actor,
    )
    return field


@transaction.atomic
def profile_field_update(
    *, field: ProfileField, actor: Actor, version: int | None = None, **changes: Any
) -> ProfileField:
    """Relabel, reorder, change the choices or help of a profile field, or retire it (`active=False`). Values
    already stored are kept as they are, even a choice no longer offered: they show until someone edits them."""
    require_manager(actor)
    field = ProfileField.objects.select_for_update().get(pk=field.pk)
    version_check(field, version)
    for name in ("key", "kind"):
        if name in changes and changes[name] != getattr(field, name):
            raise ApplicationError(
                _("A profile field's key and type cannot change; define a new field and retire this one."),
                field=name,
            )
        changes.pop(name, None)
    old, new = _differences(field, _field_values(changes, kind=field.kind))
    if not new:
        return field
    _bump(field, list(new), now=timezone.now())
    events_record(
        subject_kind="profile_field",
        subject_id=field.pk,
        action="updated",
        changes=[Change("profile_field", {"key": field.key, **old}, {"key": field.key, **new})],
        actor=actor,
    )
    return field


def _number(value: Any, *, label: str, key: str) -> int | float:
    if isinstance(value, bool):
        raise ApplicationError(_("{label}: enter a number.").format(label=label), field=key)
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
    except ArithmeticError as exc:
        raise ApplicationError(_("{label}: enter a number.").format(label=label), field=key) from exc
    if not amount.is_finite() or abs(amount) >= MAX_NUMBER or amount.as_tuple().exponent < -6:  # type: ignore[operator]
        raise ApplicationError(
            _("{label}: a number below 10¹⁵ with at most 6 decimal places.").format(label=label), field=key
        )
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def profile_value_clean(definition: ProfileField, value: Any) -> Any:
    """A value for one field as it is stored (text, number, ISO date, one of the choices, true/false), or an
    error naming the field by its label and key."""
    label, key = definition.label, definition.key
    kind = definition.kind
    if kind == ProfileFieldKind.TEXT:
        return clean_text(value, field=key, max_length=MAX_FIELD_TEXT)
    if kind == ProfileFieldKind.NUMBER:
        return _number(value, label=label, key=key)
    if kind == ProfileFieldKind.DATE:
        try:
            day = _date(value, field=key)
        except ApplicationError as error:
            raise ApplicationError(
                _("{label}: {problem}").format(label=label, problem=error.message), field=key
            ) from error
        assert day is not None
        return day.isoformat()
    if kind == ProfileFieldKind.CHOICE:
        if value not in definition.choices:
            raise ApplicationError(
                _("{label}: “{value}” is not one of: {allowed}.").format(
                    label=label, value=str(value)[:60], allowed=", ".join(definition.choices)
                ),
                field=key,
            )
        return value
    if not isinstance(value, bool):
        raise ApplicationError(_("{label}: answer yes or no (true or false).").format(label=label), field=key)
    return value


def profile_values_clean(values: Any, *, stored: dict[str, Any]) -> dict[str, Any]:
    """The profile's field values after applying `values`: each key must be a defined field, active to be set,
    each value of its type; a null or empty value removes the key. Keys not named stay as they are."""
    if not isinstance(values, dict):
        raise ApplicationError(_("Profile fields are an object of keys to values."), field="fields")
    definitions = {field.key: field for field in ProfileField.objects.filter(key__in=list(values)[:MAX_FIELDS])}
    result = dict(stored)
    for key, value in values.items():
        definition = definitions.get(key)
        if definition is None:
            raise ApplicationError(
                _("“{key}” is not a profile field; a manager defines them in Settings.").format(key=str(key)[:60]),
                field=str(key)[:60],
            )
        if value is None or value == "":
            result.pop(key, None)
            continue
        if not definition.active:
            raise ApplicationError(
                _("{label} is no longer in use; its value can only be cleared.").format(label=definition.label),
                field=key,
            )
        result[key] = profile_value_clean(definition, value)
    return result


# --- preferences and field values ----------------------------------------------------------------


def _days_clean(days: Any) -> str:
    if not isinstance(days, str | list | tuple):
        raise ApplicationError(_("Meeting days are ISO weekdays, 1 (Monday) to 7 (Sunday)."), field="meeting_days")
    digits = [str(day) for day in days]
    if any(day not in "1234567" or len(day) != 1 for day in digits):
        raise ApplicationError(_("Meeting days are ISO weekdays, 1 (Monday) to 7 (Sunday)."), field="meeting_days")
    return "".join(sorted(set(digits)))


def _time_clean(value: Any, *, field: str) -> time | None:
    if value is None or value == "":
        return None
    if not isinstance(value, time):
        raise ApplicationError(_("Enter a valid time."), field=field)
    return value.replace(second=0, microsecond=0, tzinfo=None)


def _preferences(changes: dict[str, Any], profile: ClientProfile) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "preferred_channel" in changes:
        channel = changes.pop("preferred_channel") or ""
        if channel:
            clean_choice(channel, choices=InteractionKind.values, field="preferred_channel")
        values["preferred_channel"] = channel
    if "preferred_language" in changes:
        language = (changes.pop("preferred_language") or "").strip()
        values["preferred_language"] = clean_locale(language, field="preferred_language") if language else ""
    if "meeting_days" in changes:
        values["meeting_days"] = _days_clean(changes.pop("meeting_days") or "")
    if "meeting_from" in changes:
        values["meeting_from"] = _time_clean(changes.pop("meeting_from"), field="meeting_from")
    if "meeting_until" in changes:
        values["meeting_until"] = _time_clean(changes.pop("meeting_until"), field="meeting_until")
    if "meeting_notes" in changes:
        values["meeting_notes"] = clean_text(changes.pop("meeting_notes"), field="meeting_notes", max_length=MAX_TEXT)
    if "fields" in changes:
        values["fields"] = profile_values_clean(changes.pop("fields"), stored=profile.fields)
    _unknown(changes)
    starts = values.get("meeting_from", profile.meeting_from)
    ends = values.get("meeting_until", profile.meeting_until)
    if (starts is None) != (ends is None):
        raise ApplicationError(_("Give both ends of the meeting window, or neither."), field="meeting_until")
    if starts is not None and ends is not None and ends <= starts:
        raise ApplicationError(_("The meeting window ends after it starts."), field="meeting_until")
    return values


@transaction.atomic
def profile_update(*, account: Account, actor: Actor, version: int | None = None, **changes: Any) -> ClientProfile:
    """Set a client's preferences (channel, language, meeting days and window, notes) and values of the
    business's profile fields (`fields`: merged into those stored; a null removes one). The profile is made on
    the first edit, at version 1."""
    require_account_manager(actor, account)
    now = timezone.now()
    profile, _created = ClientProfile.objects.select_for_update().get_or_create(
        account=account, defaults={"created_at": now, "updated_at": now}
    )
    version_check(profile, version)
    values = _preferences(dict(changes), profile)
    old, new = _differences(profile, values)
    if not new:
        return profile
    _bump(profile, list(new), now=now)
    events_record(
        subject_kind="account",
        subject_id=account.pk,
        action="profile_updated",
        changes=[Change("profile", _audit(old), _audit(new))],
        actor=actor,
    )
    return profile


# --- goals ---------------------------------------------------------------------------------------


def _goal_lock(goal: ClientGoal) -> ClientGoal:
    return ClientGoal.objects.select_for_update().select_related("account").get(pk=goal.pk)


def _goal_open(goal: ClientGoal) -> None:
    if goal.state != GoalState.OPEN:
        raise ApplicationError(
            _("This goal is {state} already.").format(state=goal.get_state_display()), field="state", status=409
        )


@transaction.atomic
def goal_create(*, actor: Actor, account: Account, title: str, target_date: Any, notes: str = "") -> ClientGoal:
    """Record a client's goal with its target date. A date already past is accepted: a goal is the client's own,
    written down as they tell it, and one already overdue is worth knowing (it shows as overdue)."""
    require_account_manager(actor, account)
    now = timezone.now()
    goal = ClientGoal.objects.create(
        account=account,
        title=clean_text(title, field="title", max_length=MAX_TITLE, required=True),
        target_date=_required_date(target_date, field="target_date"),
        notes=clean_text(notes, field="notes", max_length=MAX_TEXT),
        created_at=now,
        updated_at=now,
    )
    _record(
        account_id=account.pk,
        action="goal_created",
        kind="goal",
        item=goal,
        new={"target_date": goal.target_date.isoformat()},
        actor=actor,
    )
    return goal


@transaction.atomic
def goal_update(*, goal: ClientGoal, actor: Actor, version: int | None = None, **changes: Any) -> ClientGoal:
    """Retitle an open goal, move its target date or change its notes (notes stay editable once it is closed)."""
    goal = _goal_lock(goal)
    require_account_manager(actor, goal.account)
    version_check(goal, version)
    values: dict[str, Any] = {}
    if "title" in changes:
        values["title"] = clean_text(changes.pop("title"), field="title", max_length=MAX_TITLE, required=True)
    if "target_date" in changes:
        values["target_date"] = _date(changes.pop("target_date"), field="target_date")
    if "notes" in changes:
        values["notes"] = clean_text(changes.pop("notes"), field="notes", max_length=MAX_TEXT)
    _unknown(changes)
    if set(values) - {"notes"}:
        _goal_open(goal)
    old, new = _differences(goal, values)
    if not new:
        return goal
    _bump(goal, list(new), now=timezone.now())
    _record(
        account_id=goal.account_id,
        action="goal_updated",
        kind="goal",
        item=goal,
        old=_audit(old),
        new=_audit(new),
        actor=actor,
    )
    return goal


@transaction.atomic
def goal_achieve(*, goal: ClientGoal, actor: Actor, now: datetime | None = None) -> ClientGoal:
    """The client reached their goal."""
    goal = _goal_lock(goal)
    require_account_manager(actor, goal.account)
    _goal_open(goal)
    moment = now or timezone.now()
    goal.state, goal.achieved_at = GoalState.ACHIEVED, moment
    _bump(goal, ["state", "achieved_at"], now=moment)
    _record(
        account_id=goal.account_id,
        action="goal_achieved",
        kind="goal",
        item=goal,
        old={"state": GoalState.OPEN},
        new={"state": goal.state},
        actor=actor,
    )
    return goal


@transaction.atomic
def goal_abandon(*, goal: ClientGoal, actor: Actor, reason: str, now: datetime | None = None) -> ClientGoal:
    """The client gave up the goal (or replaced it), and why."""
    goal = _goal_lock(goal)
    require_account_manager(actor, goal.account)
    _goal_open(goal)
    reason = _reason(reason)
    moment = now or timezone.now()
    goal.state, goal.abandoned_at, goal.abandoned_reason = GoalState.ABANDONED, moment, reason
    _bump(goal, ["state", "abandoned_at", "abandoned_reason"], now=moment)
    _record(
        account_id=goal.account_id,
        action="goal_abandoned",
        kind="goal",
        item=goal,
        old={"state": GoalState.OPEN},
        new={"state": goal.state},
        reason=reason,
        actor=actor,
    )
    return goal


# --- key people ----------------------------------------------------------------------------------


def _role_free(contact: Contact, role: str, *, other_than: int | None = None) -> None:
    taken = KeyPerson.objects.filter(contact=contact, role=role)
    if other_than is not None:
        taken = taken.exclude(pk=other_than)
    if taken.exists():
        raise ApplicationError(
            _("{name} is already recorded as {role}.").format(name=contact.name, role=KeyPersonRole(role).label),
            field="role",
            status=409,
        )


@transaction.atomic
def key_person_add(*, actor: Actor, account: Account, contact: Contact, role: str, notes: str = "") -> KeyPerson:
    """Name one of the account's contacts as a key person in a role (decision maker, champion, billing…)."""
    require_account_manager(actor, account)
    if contact.account_id != account.pk:
        raise ApplicationError(_("{name} is a contact of another account.").format(name=contact.name), field="contact")
    role = clean_choice(role, choices=KeyPersonRole.values, field="role")
    _role_free(contact, role)
    now = timezone.now()
    person = KeyPerson.objects.create(
        account=account,
        contact=contact,
        role=role,
        notes=clean_text(notes, field="notes", max_length=MAX_TEXT),
        created_at=now,
        updated_at=now,
    )
    _record(account_id=account.pk, action="key_person_added", kind="key_person", item=person, actor=actor)
    return person


def _key_person_lock(person: KeyPerson) -> KeyPerson:
    return KeyPerson.objects.select_for_update().select_related("account", "contact").get(pk=person.pk)


@transaction.atomic
def key_person_update(*, person: KeyPerson, actor: Actor, version: int | None = None, **changes: Any) -> KeyPerson:
    """Change a key person's role or notes."""
    person = _key_person_lock(person)
    require_account_manager(actor, person.account)
    version_check(person, version)
    values: dict[str, Any] = {}
    if "role" in changes:
        values["role"] = clean_choice(changes.pop("role"), choices=KeyPersonRole.values, field="role")
        _role_free(person.contact, values["role"], other_than=person.pk)
    if "notes" in changes:
        values["notes"] = clean_text(changes.pop("notes"), field="notes", max_length=MAX_TEXT)
    _unknown(changes)
    old, new = _differences(person, values)
    if not new:
        return person
    _bump(person, list(new), now=timezone.now())
    _record(
        account_id=person.account_id,
        action="key_person_updated",
        kind="key_person",
        item=person,
        old=old,
        new=new,
        actor=actor,
    )
    return person


@transaction.atomic
def key_person_remove(*, person: KeyPerson, actor: Actor, reason: str = "") -> None:
    """The contact no longer plays this role (left the company, handed it on); the history keeps that they did."""
    person = _key_person_lock(person)
    require_account_manager(actor, person.account)
    reason = clean_text(reason, field="reason", max_length=MAX_REASON)
    _record(
        account_id=person.account_id,
        action="key_person_removed",
        kind="key_person",
        item=person,
        old={"role": person.role},
        new={},
        reason=reason,
        actor=actor,
    )
    person.delete()


# --- the services they buy -----------------------------------------------------------------------


def _service_values(changes: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "name" in changes:
        values["name"] = clean_text(changes.pop("name"), field="name", max_length=MAX_TITLE, required=True)
    if "status" in changes:
        values["status"] = clean_choice(changes.pop("status"), choices=ServiceStatus.values, field="status")
    if "started_on" in changes:
        values["started_on"] = _date(changes.pop("started_on"), field="started_on")
    if "renews_on" in changes:
        values["renews_on"] = _date(changes.pop("renews_on"), field="renews_on", required=False)
    if "amount" in changes:
        values["amount"] = clean_decimal(changes.pop("amount"), field="amount")
    if "currency" in changes:
        values["currency"] = clean_currency(changes.pop("currency"))
    if "period" in changes:
        values["period"] = clean_choice(changes.pop("period"), choices=BillingPeriod.values, field="period")
    _unknown(changes)
    return values


def _service_dates_check(started_on: date, renews_on: date | None) -> None:
    if renews_on is not None and renews_on < started_on:
        raise ApplicationError(_("A service renews on or after the day it started."), field="renews_on")


@transaction.atomic
def client_service_create(
    *,
    actor: Actor,
    account: Account,
    name: str,
    started_on: Any,
    amount: Any,
    currency: str,
    period: str = BillingPeriod.MONTH,
    renews_on: Any = None,
    status: str = ServiceStatus.ACTIVE,
) -> ClientService:
    """Record a service the client buys: its price per period, since when, and when it renews."""
    require_account_manager(actor, account)
    values = _service_values(
        {
            "name": name,
            "status": status,
            "started_on": started_on,
            "renews_on": renews_on,
            "amount": amount,
            "currency": currency,
            "period": period,
        }
    )
    _service_dates_check(values["started_on"], values["renews_on"])
    now = timezone.now()
    service = ClientService.objects.create(account=account, created_at=now, updated_at=now, **values)
    _record(
        account_id=account.pk,
        action="client_service_added",
        kind="client_service",
        item=service,
        new=_audit(
            {
                "status": service.status,
                "renews_on": service.renews_on,
                "amount": service.amount,
                "currency": service.currency,
                "period": service.period,
            }
        ),
        actor=actor,
    )
    return service


@transaction.atomic
def client_service_update(
    *, service: ClientService, actor: Actor, version: int | None = None, **changes: Any
) -> ClientService:
    """Rename, reprice, pause, end or move the renewal of a service the client buys."""
    service = ClientService.objects.select_for_update().select_related("account").get(pk=service.pk)
    require_account_manager(actor, service.account)
    version_check(service, version)
    values = _service_values(dict(changes))
    _service_dates_check(values.get("started_on", service.started_on), values.get("renews_on", service.renews_on))
    old, new = _differences(service, values)
    if not new:
        return service
    _bump(service, list(new), now=timezone.now())
    _record(
        account_id=service.account_id,
        action="client_service_updated",
        kind="client_service",
        item=service,
        old=_audit(old),
        new=_audit(new),
        actor=actor,
    )
    return service
