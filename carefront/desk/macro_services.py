"""Macros: writing them, and applying one to a ticket (its text rendered in the requester's language).

A macro's text is a Django template limited to text and `{{ placeholders }}` with a few filters, checked
when the macro is saved and again before it is rendered, and rendered against plain strings only: the
ticket, requester, account and agent as dictionaries of text, so a macro cannot reach anything else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import FilterExpression, TextNode, VariableNode
from django.utils import timezone
from django.utils.translation import gettext as _

from carefront.core.access import is_manager, staff_role
from carefront.core.exceptions import ApplicationError
from carefront.core.selectors import supported_language
from carefront.core.services import Actor, Change, events_record, tag_names_normalise
from carefront.core.validation import clean_choice, clean_text
from carefront.desk.models import Macro, MacroText, Message, Status, Ticket, Visibility

if TYPE_CHECKING:
    from carefront.desk.services import NewAttachment

PLACEHOLDERS = frozenset(
    {
        "ticket.number",
        "ticket.subject",
        "ticket.status",
        "ticket.priority",
        "requester.name",
        "requester.first_name",
        "requester.email",
        "account.name",
        "account.owner.name",
        "account.owner.first_name",
        "agent.name",
        "agent.first_name",
        "agent.email",
    }
)
FILTERS = frozenset({"upper", "lower", "title", "capfirst", "default"})
MACRO_STATUSES = [Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED]
MAX_MACRO_CHARS = 20_000

# No loaders and no libraries: {% include %} and {% load %} find nothing; the check below refuses every tag.
_ENGINE = Engine(loaders=[], libraries={}, autoescape=False, string_if_invalid="")


def macro_text_check(body: str, *, language: str) -> None:
    """Refuse a text that is not plain text with known placeholders and allowed filters."""
    try:
        template = _ENGINE.from_string(body)
    except TemplateSyntaxError as error:
        raise ApplicationError(
            _("The {language} text cannot be read: {error}").format(language=language, error=error), field="texts"
        ) from error
    # Every tag is refused below, so no node holds others: the top level is the whole template.
    for node in template.nodelist:
        if isinstance(node, TextNode):
            if "{{" in node.s or "{%" in node.s or "}}" in node.s:
                raise ApplicationError(
                    _("A placeholder in the {language} text is not closed: write it as {example}.").format(
                        language=language, example="{{ requester.first_name }}"
                    ),
                    field="texts",
                )
            continue
        if not isinstance(node, VariableNode):
            message = _("The {language} text may hold only text and placeholders such as {example}.")
            raise ApplicationError(
                message.format(language=language, example="{{ requester.first_name }}"), field="texts"
            )
        _placeholder_check(node.filter_expression, language=language)


def _placeholder_check(expression: FilterExpression, *, language: str) -> None:
    name = str(getattr(expression.var, "var", expression.var))
    if name not in PLACEHOLDERS:
        raise ApplicationError(
            _("Unknown placeholder {{{{ {name} }}}} in the {language} text; use one of: {known}.").format(
                name=name, language=language, known=", ".join(sorted(PLACEHOLDERS))
            ),
            field="texts",
        )
    for function, _arguments in expression.filters:
        filter_name = getattr(function, "__name__", "")
        if filter_name not in FILTERS:
            raise ApplicationError(
                _("Filter “{name}” is not allowed in a macro; use one of: {known}.").format(
                    name=filter_name, known=", ".join(sorted(FILTERS))
                ),
                field="texts",
            )


def _clean(
    *, name: str, kind: str, set_status: str, add_tags: Iterable[str], texts: Mapping[str, str]
) -> dict[str, Any]:
    cleaned: dict[str, Any] = {
        "name": clean_text(name, field="name", max_length=100, required=True),
        "kind": clean_choice(kind, choices=Visibility.values, field="kind"),
        "set_status": clean_choice(set_status or "", choices=["", *MACRO_STATUSES], field="set_status"),
        "add_tags": tag_names_normalise(add_tags, field="add_tags"),
    }
    if cleaned["kind"] == Visibility.INTERNAL and cleaned["set_status"]:
        raise ApplicationError(_("A note does not change the status."), field="set_status")
    if not texts:
        raise ApplicationError(_("Write the macro's text in at least one language."), field="texts")
    languages = {code for code, _name in settings.LANGUAGES}
    cleaned["texts"] = {}
    for language, raw in texts.items():
        if language not in languages:
            raise ApplicationError(_("Unknown language “{language}”.").format(language=language), field="texts")
        body = clean_text(raw, field="texts", max_length=MAX_MACRO_CHARS, required=True)
        macro_text_check(body, language=language)
        cleaned["texts"][language] = body
    return cleaned


def _may_share(actor: Actor) -> None:
    if not is_manager(actor):
        raise ApplicationError(_("Only managers and admins may share macros."), field="shared", status=403)


@transaction.atomic
def macro_create(
    *,
    actor: Actor,
    name: str,
    texts: Mapping[str, str],
    shared: bool = False,
    kind: str = Visibility.PUBLIC,
    set_status: str = "",
    add_tags: Iterable[str] = (),
) -> Macro:
    """A macro for the actor alone, or shared with every staff member (managers and admins)."""
    if staff_role(actor) is None:
        raise ApplicationError(_("Only staff may do this."), status=403)
    if shared:
        _may_share(actor)
    cleaned = _clean(name=name, kind=kind, set_status=set_status, add_tags=add_tags, texts=texts)
    texts = cleaned.pop("texts")
    owner_id = None if shared or actor is None else actor.pk
    if Macro.objects.filter(owner_id=owner_id, name__iexact=cleaned["name"]).exists():
        raise ApplicationError(
            _("A macro called “{name}” exists.").format(name=cleaned["name"]), field="name", status=409
        )
    macro = Macro.objects.create(owner_id=owner_id, **cleaned)
    MacroText.objects.bulk_create(MacroText(macro=macro, language=code, body=body) for code, body in texts.items())
    events_record(subject_kind="macro", subject_id=macro.pk, action="created", actor=actor)
    return macro


@transaction.atomic
def macro_update(
    *,
    actor: Actor,
    macro: Macro,
    name: str | None = None,
    texts: Mapping[str, str] | None = None,
    kind: str | None = None,
    set_status: str | None = None,
    add_tags: Iterable[str] | None = None,
    is_active: bool | None = None,
) -> Macro:
    """Change a macro: its owner, or for a shared one a manager."""
    macro = Macro.objects.select_for_update().get(pk=macro.pk)
    if macro.owner_id is None:
        _may_share(actor)
    elif macro.owner_id != getattr(actor, "pk", None):
        raise ApplicationError(_("Only its owner may change a personal macro."), status=403)
    old_texts = dict(macro.texts.values_list("language", "body"))
    new_texts = dict(texts) if texts is not None else old_texts
    cleaned = _clean(
        name=macro.name if name is None else name,
        kind=macro.kind if kind is None else kind,
        set_status=macro.set_status if set_status is None else set_status,
        add_tags=macro.add_tags if add_tags is None else add_tags,
        texts=new_texts,
    )
    new_texts = cleaned.pop("texts")
    if is_active is not None:
        cleaned["is_active"] = bool(is_active)
    duplicate = Macro.objects.filter(owner_id=macro.owner_id, name__iexact=cleaned["name"]).exclude(pk=macro.pk)
    if duplicate.exists():
        raise ApplicationError(
            _("A macro called “{name}” exists.").format(name=cleaned["name"]), field="name", status=409
        )
    changes = [Change(f, getattr(macro, f), v) for f, v in cleaned.items() if getattr(macro, f) != v]
    for change in changes:
        setattr(macro, change.field, change.new)
    if new_texts != old_texts:
        changes.append(Change("texts", sorted(old_texts), sorted(new_texts)))
        macro.texts.all().delete()
        MacroText.objects.bulk_create(MacroText(macro=macro, language=c, body=b) for c, b in new_texts.items())
    if changes:
        macro.updated_at = timezone.now()
        macro.save()
        events_record(subject_kind="macro", subject_id=macro.pk, action="updated", changes=changes, actor=actor)
    return macro


@dataclass(frozen=True)
class AppliedMacro:
    """A macro rendered for one ticket: the text to send and what sending it does."""

    body: str
    language: str
    kind: str
    set_status: str
    add_tags: list[str]
    message: Message | None = None


def _name(user: Any) -> str:
    return str(user.get_full_name() or user.get_username()) if user is not None else ""


def _first_name(user: Any) -> str:
    return str(user.first_name or user.get_username()) if user is not None else ""


def macro_context(*, ticket: Ticket, agent: Any) -> dict[str, Any]:
    """The only things a macro can see: text about the ticket, its requester and account, and the agent."""
    requester = ticket.requester
    owner = ticket.account.owner
    return {
        "ticket": {
            "number": str(ticket.number),
            "subject": ticket.subject,
            "status": str(Status(ticket.status).label),
            "priority": ticket.get_priority_display(),
        },
        "requester": {
            "name": requester.name,
            "first_name": requester.name.split()[0] if requester.name.split() else requester.name,
            "email": requester.email,
        },
        "account": {"name": ticket.account.name, "owner": {"name": _name(owner), "first_name": _first_name(owner)}},
        "agent": {"name": _name(agent), "first_name": _first_name(agent), "email": getattr(agent, "email", "")},
    }


def _language_for(ticket: Ticket, available: Iterable[str]) -> str:
    """The requester's language when the macro has it, else the account's, else the default, else any."""
    languages = list(available)
    for wanted in (ticket.requester.language, ticket.account.locale, settings.LANGUAGE_CODE):
        code = supported_language(wanted)
        if code in languages:
            return code
    return languages[0]


def macro_render(*, macro: Macro, ticket: Ticket, agent: Any) -> tuple[str, str]:
    """The macro's text for this ticket, in the requester's language: (text, language)."""
    texts = dict(macro.texts.values_list("language", "body"))
    language = _language_for(ticket, sorted(texts))
    body = texts[language]
    macro_text_check(body, language=language)  # checked again: a row may have been written around the service
    rendered = _ENGINE.from_string(body).render(Context(macro_context(ticket=ticket, agent=agent), autoescape=False))
    return rendered, language


def macro_apply(*, macro: Macro, ticket: Ticket, actor: Actor, send: bool = False) -> AppliedMacro:
    """Render a macro for a ticket and count its use; with `send`, post it as a reply or note, then set its
    status and add its tags in the same transaction."""
    if staff_role(actor) is None:
        raise ApplicationError(_("Only staff may do this."), status=403)
    if not macro.is_active:
        raise ApplicationError(_("This macro is switched off."), field="macro")
    ticket = Ticket.objects.select_related("requester", "account", "account__owner").get(pk=ticket.pk)
    body, language = macro_render(macro=macro, ticket=ticket, agent=actor)
    message = None
    with transaction.atomic():
        if send:
            message = macro_send(macro=macro, ticket=ticket, actor=actor, body=body)
        Macro.objects.filter(pk=macro.pk).update(usage_count=F("usage_count") + 1, last_used_at=timezone.now())
    return AppliedMacro(
        body=body,
        language=language,
        kind=macro.kind,
        set_status=macro.set_status,
        add_tags=list(macro.add_tags),
        message=message,
    )


@transaction.atomic
def macro_send(
    *,
    macro: Macro,
    ticket: Ticket,
    actor: Actor,
    body: str,
    kind: str | None = None,
    status: str | None = None,
    attachments: Sequence[NewAttachment] = (),
    minutes_spent: int = 0,
) -> Message:
    """Send a macro's (possibly edited) text as a reply or note and apply its actions: a reply sets `status`,
    else the macro's; the macro's tags are added to the ticket's own."""
    from carefront.desk.services import ticket_add_note, ticket_reply, ticket_set_tags

    if (kind or macro.kind) == Visibility.INTERNAL:
        message = ticket_add_note(
            ticket=ticket, actor=actor, body=body, attachments=attachments, minutes_spent=minutes_spent
        )
    else:
        message = ticket_reply(
            ticket=ticket,
            staff=actor,
            actor=actor,
            body=body,
            status=status or macro.set_status or None,
            attachments=attachments,
            minutes_spent=minutes_spent,
        )
    if macro.add_tags:
        current = list(ticket.tags.values_list("name", flat=True))
        ticket_set_tags(ticket=ticket, actor=actor, tags=[*current, *macro.add_tags])
    return message
