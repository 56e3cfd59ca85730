"""Conditions and actions shared by routing rules and automations: their shape, checks, matching and loops.

A condition document maps a key to the values a ticket may have (`{"channel": ["email"], "tier": [1, 2]}`);
every key must hold (AND), a key holds when the ticket's value is one of the listed ones (OR). An action
document maps what to set to its value (`{"team": 3, "tags_add": ["vip"]}`). Pure functions, no database:
names of teams and people are checked by the services that store rules.

The same condition is evaluated two ways: `matches` on one ticket's facts (routing, at creation and on
change) and `conditions_q` as a filter the database applies (automations, over many tickets). Each key is
written once, in `_KEYS`, with both.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from carefront.accounts.models import Channel, ServiceModel
from carefront.core.exceptions import ApplicationError
from carefront.core.services import tag_names_normalise
from carefront.core.validation import clean_text
from carefront.desk.models import Priority, Status, Ticket, Tier

MAX_VALUES = 50
MAX_WORDS = 50
_WORD = re.compile(r"[^\W_]+")


def words_of(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def padded_words(text: str) -> str:
    """The text's words, lower-cased, one space apart and around: phrases are found with ` in `."""
    return " " + " ".join(words_of(text)) + " "


@dataclass(frozen=True)
class TicketFacts:
    """What conditions read of a ticket. `words` (the subject and first message through `padded_words`) is
    only filled when a rule looks for words."""

    channel: str
    service_model: str
    segment: str
    language: str
    tier: int
    priority: str
    status: str
    assigned: bool
    tags: frozenset[str]
    words: str = ""
    difficult: bool = False

    def has_phrase(self, phrase: str) -> bool:
        return f" {phrase} " in self.words


def base_language(code: str) -> str:
    return code.replace("_", "-").split("-")[0].lower()


@dataclass(frozen=True)
class Key:
    """One condition key: how its values are cleaned, matched against facts and turned into a filter."""

    clean: Callable[[list[Any], str], list[Any]]
    matches: Callable[[list[Any], TicketFacts], bool]
    # None: the database cannot filter on it (words in the text); the Python check alone decides.
    q: Callable[[list[Any]], Q] | None


def _choices(allowed: Iterable[Any]) -> Callable[[list[Any], str], list[Any]]:
    allowed_list = list(allowed)

    def clean(values: list[Any], name: str) -> list[Any]:
        for value in values:
            if isinstance(value, bool) or value not in allowed_list:
                raise ApplicationError(
                    _("“{value}” is not one of: {allowed}.").format(
                        value=str(value)[:60], allowed=", ".join(str(a) for a in allowed_list)
                    ),
                    field=name,
                )
        return sorted(set(values), key=allowed_list.index)

    return clean


def _texts(values: list[Any], name: str) -> list[str]:
    cleaned = [clean_text(value, field=name, max_length=64, required=True) for value in values]
    return sorted(set(cleaned))


def _languages(values: list[Any], name: str) -> list[str]:
    return sorted({base_language(value) for value in _texts(values, name)})


def _tags(values: list[Any], name: str) -> list[str]:
    return tag_names_normalise(values, field=name)


def _phrases(values: list[Any], name: str) -> list[str]:
    phrases = []
    for value in values:
        words = words_of(clean_text(value, field=name, max_length=100, required=True))
        if not words:
            raise ApplicationError(_("“{word}” has no letters or digits to look for.").format(word=value), field=name)
        phrases.append(" ".join(words))
    return sorted(set(phrases))


def _booleans(values: list[Any], name: str) -> list[bool]:
    if any(not isinstance(value, bool) for value in values):
        raise ApplicationError(_("Use true or false."), field=name)
    return sorted(set(values))


def _is_one_of(column: str, fact: str) -> tuple[Callable[[list[Any], TicketFacts], bool], Callable[[list[Any]], Q]]:
    return (lambda values, facts: getattr(facts, fact) in values), (lambda values: Q(**{f"{column}__in": values}))


def _iexact_any(column: str) -> Callable[[list[Any]], Q]:
    def q(values: list[Any]) -> Q:
        result = Q()
        for value in values:
            result |= Q(**{f"{column}__iexact": value})
        return result

    return q


def _language_q(values: list[Any]) -> Q:
    result = Q(requester__language__in=values)
    for value in values:
        result |= Q(requester__language__istartswith=f"{value}-") | Q(requester__language__istartswith=f"{value}_")
    return result


def _has_tag(values: list[Any]) -> Q:
    through = Ticket.tags.through
    return Q(Exists(through.objects.filter(ticket_id=OuterRef("pk"), tag__name__in=values)))


_KEYS: dict[str, Key] = {
    "channel": Key(_choices(Channel.values), *_is_one_of("channel", "channel")),
    "service_model": Key(_choices(ServiceModel.values), *_is_one_of("account__service_model", "service_model")),
    "segment": Key(
        _texts,
        lambda values, facts: facts.segment.casefold() in {value.casefold() for value in values},
        _iexact_any("account__segment"),
    ),
    "language": Key(
        _languages,
        lambda values, facts: base_language(facts.language) in values,
        _language_q,
    ),
    "tier": Key(_choices(Tier.values), *_is_one_of("tier", "tier")),
    "priority": Key(_choices(Priority.values), *_is_one_of("priority", "priority")),
    "status": Key(_choices(Status.values), *_is_one_of("status", "status")),
    "assigned": Key(
        _booleans,
        lambda values, facts: facts.assigned in values,
        lambda values: Q() if len(values) != 1 else Q(assignee__isnull=not values[0]),
    ),
    "difficult": Key(
        _booleans,
        lambda values, facts: facts.difficult in values,
        lambda values: Q() if len(values) != 1 else Q(difficult_since__isnull=not values[0]),
    ),
    "tags_any": Key(_tags, lambda values, facts: bool(facts.tags & set(values)), _has_tag),
    "tags_none": Key(_tags, lambda values, facts: not facts.tags & set(values), lambda values: ~_has_tag(values)),
    "words": Key(_phrases, lambda values, facts: any(facts.has_phrase(value) for value in values), None),
}
CONDITION_KEYS = tuple(_KEYS)


def conditions_clean(raw: Any, *, field: str = "conditions") -> dict[str, list[Any]]:
    """A condition document, checked and normalised; an empty one matches every ticket."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ApplicationError(_("Conditions are an object of keys to lists of values."), field=field)
    cleaned: dict[str, list[Any]] = {}
    for key, values in raw.items():
        name = f"{field}.{key}"
        if key not in _KEYS:
            raise ApplicationError(
                _("Unknown condition “{key}”; use one of: {keys}.").format(
                    key=str(key)[:60], keys=", ".join(CONDITION_KEYS)
                ),
                field=name,
            )
        if not isinstance(values, list) or not values:
            raise ApplicationError(_("Give a non-empty list of values."), field=name)
        if len(values) > (MAX_WORDS if key == "words" else MAX_VALUES):
            raise ApplicationError(_("Too many values."), field=name)
        cleaned[key] = _KEYS[key].clean(values, name)
    return {key: cleaned[key] for key in CONDITION_KEYS if key in cleaned}


def needs_text(conditions: Mapping[str, Any]) -> bool:
    return "words" in conditions


def matches(conditions: Mapping[str, list[Any]], facts: TicketFacts) -> bool:
    return all(_KEYS[key].matches(values, facts) for key, values in conditions.items())


def conditions_q(conditions: Mapping[str, list[Any]]) -> Q:
    """A filter on tickets that every ticket matching `conditions` passes (words are left to `matches`)."""
    result = Q()
    for key, values in conditions.items():
        make = _KEYS[key].q
        if make is not None:
            result &= make(values)
    return result


# Actions: what a rule may set. Teams and people are ids, checked against the database by the services.
ROUTING_ACTIONS = ("team", "assignee", "priority", "tier", "tags_add", "tags_remove")
AUTOMATION_ACTIONS = (*ROUTING_ACTIONS, "status", "notify", "remind_requester")
NOTIFY_WHOM = ("assignee", "owner", "team")
# Statuses an automation may set: what a person may set, minus `new`.
AUTOMATION_STATUSES = [Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED, Status.CLOSED]


def _id_or_none(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ApplicationError(_("Give an id (a positive whole number) or null."), field=name)
    return value


def actions_clean(raw: Any, *, allowed: tuple[str, ...], field: str = "actions") -> dict[str, Any]:
    """An action document, checked and normalised; it must do something."""
    if not isinstance(raw, Mapping) or not raw:
        raise ApplicationError(_("Give at least one action."), field=field)
    cleaned: dict[str, Any] = {}
    for key, value in raw.items():
        name = f"{field}.{key}"
        if key not in allowed:
            raise ApplicationError(
                _("Unknown action “{key}”; use one of: {keys}.").format(key=str(key)[:60], keys=", ".join(allowed)),
                field=name,
            )
        if key in ("team", "assignee"):
            cleaned[key] = _id_or_none(value, name)
        elif key == "priority":
            cleaned[key] = _choices(Priority.values)([value], name)[0]
        elif key == "tier":
            cleaned[key] = _choices(Tier.values)([value], name)[0]
        elif key == "status":
            cleaned[key] = _choices(AUTOMATION_STATUSES)([value], name)[0]
        elif key in ("tags_add", "tags_remove"):
            if not isinstance(value, list) or not value:
                raise ApplicationError(_("Give a non-empty list of tags."), field=name)
            cleaned[key] = _tags(value, name)
        elif key == "notify":
            if not isinstance(value, list) or not value:
                raise ApplicationError(_("Give a non-empty list: assignee, owner, team."), field=name)
            cleaned[key] = _choices(NOTIFY_WHOM)(value, name)
        elif key == "remind_requester":
            if value is not True:
                raise ApplicationError(_("Use true, or leave the action out."), field=name)
            cleaned[key] = True
    both = set(cleaned.get("tags_add", ())) & set(cleaned.get("tags_remove", ()))
    if both:
        raise ApplicationError(
            _("The same rule adds and removes the tag “{tag}”.").format(tag=sorted(both)[0]),
            field=f"{field}.tags_remove",
        )
    return {key: cleaned[key] for key in allowed if key in cleaned}


# Loops. A rule that runs on changes re-runs after every change, so two such rules that can hold together and
# write one field differently would flip it back and forth for ever. They are refused when saved.
_SET_FIELDS = ("team", "assignee", "priority", "tier", "status")
# The condition key that reads each field an action writes (team and assignee have none: no loop through them).
_READS = {"priority": "priority", "tier": "tier", "status": "status"}


def _after(conditions: Mapping[str, list[Any]], actions: Mapping[str, Any]) -> bool | None:
    """Whether `conditions` can still hold once `actions` are applied: False if an action surely breaks them."""
    for name, key in _READS.items():
        if name in actions and key in conditions and actions[name] not in conditions[key]:
            return False
    added = set(actions.get("tags_add", ()))
    if added & set(conditions.get("tags_none", ())):
        return False
    removed = set(actions.get("tags_remove", ()))
    if "tags_any" in conditions and set(conditions["tags_any"]) <= removed:
        return False
    assigned = "assignee" in actions and (actions["assignee"] is not None)
    return not ("assigned" in conditions and "assignee" in actions and assigned not in conditions["assigned"])


def _together(first: Mapping[str, list[Any]], second: Mapping[str, list[Any]]) -> bool:
    """Whether one ticket can match both condition documents (False only when a key's lists cannot overlap)."""
    for key in set(first) & set(second):
        if key in ("tags_any", "tags_none", "words"):
            continue
        if key == "segment":
            if not {v.casefold() for v in first[key]} & {v.casefold() for v in second[key]}:
                return False
        elif not set(first[key]) & set(second[key]):
            return False
    return not any(
        set(one.get("tags_any", ())) and set(one.get("tags_any", ())) <= set(two.get("tags_none", ()))
        for one, two in ((first, second), (second, first))
    )


def _opposed(first: Mapping[str, Any], second: Mapping[str, Any]) -> str | None:
    """The field the two action documents write differently, if any."""
    for name in _SET_FIELDS:
        if name in first and name in second and first[name] != second[name]:
            return name
    if set(first.get("tags_add", ())) & set(second.get("tags_remove", ())):
        return "tags"
    if set(first.get("tags_remove", ())) & set(second.get("tags_add", ())):
        return "tags"
    return None


@dataclass(frozen=True)
class RuleShape:
    """What the loop check needs of a rule."""

    name: str
    conditions: Mapping[str, list[Any]]
    actions: Mapping[str, Any]


def loop_find(
    rule: RuleShape, others: Iterable[RuleShape], *, simultaneous: bool = True
) -> tuple[RuleShape, str] | None:
    """Another rule that `rule` would fight over a field for ever, and the field; None if there is none.

    Cautious: two rules are said to loop unless their conditions cannot hold together (for rules that run on
    the same change, `simultaneous`), or one's actions surely stop the other's conditions from holding (then
    the second fires once and stops). Automations fire hours apart, so for them only the second test counts.
    """
    for other in others:
        contested = _opposed(rule.actions, other.actions)
        if contested is None or (simultaneous and not _together(rule.conditions, other.conditions)):
            continue
        if _after(other.conditions, rule.actions) and _after(rule.conditions, other.actions):
            return other, contested
    return None
