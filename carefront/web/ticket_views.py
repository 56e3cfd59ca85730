"""The ticket page: the conversation, the editor, properties changed in place, history, account sidebar, presence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from carefront.accounts.selectors import account_sidebar
from carefront.core.exceptions import ApplicationError
from carefront.core.selectors import events_for, staff_members, teams_list
from carefront.desk.access import access_macro, access_ticket_by_number
from carefront.desk.macro_selectors import macros_list
from carefront.desk.macro_services import macro_apply, macro_send
from carefront.desk.models import PresenceState, Ticket, Tier
from carefront.desk.routing_selectors import ticket_routing
from carefront.desk.selectors import (
    difficult_checklist,
    messages_list,
    ticket_detail,
    ticket_links,
    ticket_neighbours,
    ticket_presence_others,
)
from carefront.desk.services import (
    ticket_add_note,
    ticket_escalate,
    ticket_presence_touch,
    ticket_reply,
    ticket_update,
)
from carefront.desk.sla_selectors import ticket_sla
from carefront.mail.selectors import messages_email
from carefront.web.access import staff_view
from carefront.web.forms_settings import form_error
from carefront.web.forms_tickets import (
    PROPERTY_FIELDS,
    EscalateForm,
    MessageKind,
    PresenceForm,
    TicketMessageForm,
    property_form,
    property_value,
)
from carefront.web.htmx import htmx_fragment

PAGE = "web/ticket/page.html"


@dataclass(frozen=True)
class PropertyForm:
    """One property's own little form on the ticket page."""

    name: str
    url: str
    form: forms.Form


def _property_forms(ticket: Ticket, *, failed: forms.Form | None = None, failed_name: str = "") -> list[PropertyForm]:
    initial = {
        "status": ticket.status,
        "priority": ticket.priority,
        "tier": ticket.tier,
        "assignee": ticket.assignee_id,
        "team": ticket.team_id,
        "tags": ", ".join(tag.name for tag in ticket.tags.all()),
    }
    staff, teams = staff_members(), teams_list()
    result = []
    for name in PROPERTY_FIELDS:
        # A refused change keeps what the agent chose, beside the reason it was refused.
        form = failed if name == failed_name and failed is not None else None
        if form is None:
            form = property_form(name, staff=staff, teams=teams, initial={name: initial[name]})
        result.append(
            PropertyForm(name=name, url=reverse("web:ticket-property", args=[ticket.number, name]), form=form)
        )
    return result


def _context(
    request: HttpRequest,
    ticket_id: int,
    *,
    editor: TicketMessageForm | None = None,
    failed: forms.Form | None = None,
    failed_name: str = "",
) -> dict[str, Any]:
    """Everything the page shows; each part is one selector, each a constant number of queries."""
    user = request.user
    ticket = ticket_detail(ticket_id=ticket_id)
    conversation = list(messages_list(user=user, ticket=ticket).order_by("id"))
    email = messages_email([message.pk for message in conversation])
    for message in conversation:
        message.from_email = message.pk in email.originals  # type: ignore[attr-defined]
        message.delivery = email.deliveries.get(message.pk)  # type: ignore[attr-defined]
    return {
        "nav": "inbox",
        "ticket": ticket,
        # Not "messages": that name is Django's flash messages, which base.html shows.
        "conversation": conversation,
        "events": list(events_for(subject_kind="ticket", subject_id=ticket.pk)),
        "sidebar": account_sidebar(
            user=user, account=ticket.account, requester=ticket.requester, exclude_ticket_id=ticket.pk
        ),
        "neighbours": ticket_neighbours(user=user, ticket=ticket),
        "others": ticket_presence_others(ticket=ticket, user=user),
        "property_forms": _property_forms(ticket, failed=failed, failed_name=failed_name),
        "sla": ticket_sla(ticket.sla_clocks.all()),
        "routing": ticket_routing(ticket),
        "links": list(ticket_links(ticket=ticket)),
        "checklist": difficult_checklist(ticket),
        "editor": editor or TicketMessageForm(initial={"kind": MessageKind.REPLY}),
        "escalate_form": EscalateForm(),
        "macros": list(macros_list(user=user, active_only=True).prefetch_related(None)[:200]),
    }


@staff_view
def ticket_page(request: HttpRequest, number: int) -> HttpResponse:
    ticket = access_ticket_by_number(user=request.user, number=number)
    return render(request, PAGE, _context(request, ticket.pk))


def _updated_parts(ticket_id: int) -> dict[str, Any]:
    """The properties and the history after a change, for htmx to swap in place."""
    ticket = ticket_detail(ticket_id=ticket_id)
    return {
        "ticket": ticket,
        "property_forms": _property_forms(ticket),
        "sla": ticket_sla(ticket.sla_clocks.all()),
        "routing": ticket_routing(ticket),
        "events": list(events_for(subject_kind="ticket", subject_id=ticket.pk)),
    }


@require_POST
@staff_view
def ticket_property(request: HttpRequest, number: int, field: str) -> HttpResponse:
    """Change one property (status, priority, tier, assignee, team or tags) of a ticket."""
    if field not in PROPERTY_FIELDS:
        raise Http404
    ticket = access_ticket_by_number(user=request.user, number=number)
    form = property_form(field, staff=staff_members(), teams=teams_list(), data=request.POST)
    status = 400
    if form.is_valid():
        try:
            ticket_update(ticket=ticket, actor=request.user, **{field: property_value(field, form)})
        except ApplicationError as error:
            form.add_error(field, error.message)
            status = error.status
        else:
            status = 200
    if status == 200:
        if not htmx_fragment(request):
            return redirect("web:ticket", number=ticket.number)
        return render(request, "web/ticket/property_changed.html", _updated_parts(ticket.pk))
    if not htmx_fragment(request):
        return render(request, PAGE, _context(request, ticket.pk, failed=form, failed_name=field), status=status)
    ticket = ticket_detail(ticket_id=ticket.pk)
    context = {"ticket": ticket, "property_forms": _property_forms(ticket, failed=form, failed_name=field)}
    return render(request, f"{PAGE}#properties", context, status=status)


@require_POST
@staff_view
def ticket_escalate_view(request: HttpRequest, number: int) -> HttpResponse:
    """Escalate or de-escalate a ticket with a reason; it goes to the new tier's team queue."""
    ticket = access_ticket_by_number(user=request.user, number=number)
    form = EscalateForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            ticket_escalate(
                ticket=ticket, actor=request.user, tier=form.cleaned_data["tier"], reason=form.cleaned_data["reason"]
            )
        except ApplicationError as error:
            form_error(form, error)
            status = error.status
        else:
            messages.success(request, _("Ticket moved to {tier}.").format(tier=Tier(form.cleaned_data["tier"]).label))
            return redirect("web:ticket", number=ticket.number)
    context = _context(request, ticket.pk)
    context["escalate_form"] = form
    return render(request, PAGE, context, status=status)


def _message_post(request: HttpRequest, ticket: Ticket, form: TicketMessageForm) -> Any:
    data = form.cleaned_data
    minutes = data.get("minutes_spent") or 0
    if data.get("macro"):
        return macro_send(
            macro=access_macro(user=request.user, macro_id=data["macro"]),
            ticket=ticket,
            actor=request.user,
            body=data["body"],
            kind="internal" if data["kind"] == MessageKind.NOTE else "public",
            status=data["status"] or None,
            attachments=form.new_attachments(),
            minutes_spent=minutes,
        )
    if data["kind"] == MessageKind.NOTE:
        return ticket_add_note(
            ticket=ticket,
            actor=request.user,
            body=data["body"],
            attachments=form.new_attachments(),
            minutes_spent=minutes,
        )
    return ticket_reply(
        ticket=ticket,
        staff=request.user,
        actor=request.user,
        body=data["body"],
        status=data["status"] or None,
        attachments=form.new_attachments(),
        minutes_spent=minutes,
    )


@staff_view
def ticket_macro(request: HttpRequest, number: int) -> HttpResponse:
    """The editor with a macro's text for this ticket, ready to edit and send (htmx swaps it in)."""
    ticket = access_ticket_by_number(user=request.user, number=number)
    raw = request.GET.get("macro_choice", "")
    if not raw.isdigit() or len(raw) > 18:
        raise Http404
    macro = access_macro(user=request.user, macro_id=int(raw))
    try:
        applied = macro_apply(macro=macro, ticket=ticket, actor=request.user)
    except ApplicationError as error:
        return HttpResponse(error.message, status=error.status)
    kind = MessageKind.NOTE if applied.kind == "internal" else MessageKind.REPLY
    editor = TicketMessageForm(initial={"kind": kind, "body": applied.body, "macro": macro.pk})
    context = _context(request, ticket.pk, editor=editor)
    context["applied_macro"] = macro
    return render(request, f"{PAGE}#editor", context)


@require_POST
@staff_view
def ticket_message(request: HttpRequest, number: int) -> HttpResponse:
    """Send a public reply (optionally setting the status) or add an internal note, with attachments."""
    ticket = access_ticket_by_number(user=request.user, number=number)
    form = TicketMessageForm(request.POST, request.FILES)
    status = 400
    message = None
    if form.is_valid():
        try:
            message = _message_post(request, ticket, form)
        except ApplicationError as error:
            form.add_error(error.field if error.field in {"body", "attachments"} else None, error.message)
            status = error.status
    if message is None:
        if not htmx_fragment(request):
            return render(request, PAGE, _context(request, ticket.pk, editor=form), status=status)
        return render(request, f"{PAGE}#editor", {"ticket": ticket, "editor": form}, status=status)
    if not htmx_fragment(request):
        return redirect(reverse("web:ticket", args=[ticket.number]) + f"#message-{message.pk}")
    context = _updated_parts(ticket.pk)
    context["message"] = messages_list(user=request.user, ticket=ticket).get(pk=message.pk)
    context["editor"] = TicketMessageForm(initial={"kind": form.cleaned_data["kind"]})
    return render(request, "web/ticket/message_posted.html", context)


@require_POST
@staff_view
def ticket_presence(request: HttpRequest, number: int) -> HttpResponse:
    """Record that the viewer is here (viewing or replying) and say who else is."""
    ticket = access_ticket_by_number(user=request.user, number=number)
    form = PresenceForm(request.POST)
    state = (form.cleaned_data["state"] if form.is_valid() else "") or PresenceState.VIEWING
    ticket_presence_touch(ticket=ticket, actor=request.user, state=state)
    others = ticket_presence_others(ticket=ticket, user=request.user)
    return render(request, f"{PAGE}#presence", {"ticket": ticket, "others": others})
