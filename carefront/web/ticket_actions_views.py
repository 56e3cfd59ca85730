"""Ticket page actions across tickets and on a conversation's tone: merge, link and unlink, split a message,
flag a difficult conversation and tick its checklist. Each POSTs, calls one desk service and returns to the
page with what happened (or why not) as a message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from carefront.core.exceptions import ApplicationError
from carefront.desk.access import access_ticket_by_number
from carefront.desk.conversation_services import (
    difficult_checklist_set,
    message_split,
    ticket_clear_difficult,
    ticket_flag_difficult,
    ticket_link,
    ticket_merge,
    ticket_unlink,
)
from carefront.desk.models import Ticket
from carefront.desk.selectors import messages_list
from carefront.web.access import staff_view
from carefront.web.forms_tickets import ChecklistForm, DifficultForm, LinkForm, MergeForm, SplitForm


def _act(
    request: HttpRequest, number: int, form_class: type[forms.Form], act: Callable[[Ticket, dict[str, Any]], str]
) -> HttpResponse:
    """Parse the form, run the action, and go back to the ticket saying what happened or what was wrong."""
    ticket = access_ticket_by_number(user=request.user, number=number)
    form = form_class(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            text = " ".join(str(error) for error in errors)
            messages.error(request, f"{label}: {text}" if label else text)
        return redirect("web:ticket", number=ticket.number)
    try:
        done = act(ticket, form.cleaned_data)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("web:ticket", number=ticket.number)
    messages.success(request, done)
    return redirect("web:ticket", number=ticket.number)


def _other(request: HttpRequest, number: int) -> Ticket:
    return access_ticket_by_number(user=request.user, number=number)


@staff_view
@require_POST
def ticket_merge_view(request: HttpRequest, number: int) -> HttpResponse:
    def act(ticket: Ticket, data: dict[str, Any]) -> str:
        target = ticket_merge(
            source=ticket, target=_other(request, data["target"]), actor=request.user, reason=data["reason"]
        )
        return _("Ticket #{source} was merged into #{target}.").format(source=ticket.number, target=target.number)

    return _act(request, number, MergeForm, act)


@staff_view
@require_POST
def ticket_link_view(request: HttpRequest, number: int) -> HttpResponse:
    def act(ticket: Ticket, data: dict[str, Any]) -> str:
        other = _other(request, data["other"])
        if data["unlink"]:
            ticket_unlink(ticket=ticket, other=other, actor=request.user)
            return _("The link to #{number} was removed.").format(number=other.number)
        ticket_link(ticket=ticket, other=other, actor=request.user)
        return _("Linked to #{number}.").format(number=other.number)

    return _act(request, number, LinkForm, act)


@staff_view
@require_POST
def ticket_split_view(request: HttpRequest, number: int) -> HttpResponse:
    def act(ticket: Ticket, data: dict[str, Any]) -> str:
        message = messages_list(user=request.user, ticket=ticket).filter(pk=data["message"]).first()
        if message is None:
            raise ApplicationError(_("No such message on this ticket."), field="message")
        new = message_split(message=message, actor=request.user, subject=data["subject"])
        return _("The message is now ticket #{number}.").format(number=new.number)

    return _act(request, number, SplitForm, act)


@staff_view
@require_POST
def ticket_difficult_view(request: HttpRequest, number: int) -> HttpResponse:
    def act(ticket: Ticket, data: dict[str, Any]) -> str:
        if data["clear"]:
            ticket_clear_difficult(ticket=ticket, actor=request.user, reason=data["reason"])
            return _("No longer flagged as a difficult conversation.")
        ticket_flag_difficult(ticket=ticket, actor=request.user, reason=data["reason"])
        return _("Flagged as a difficult conversation.")

    return _act(request, number, DifficultForm, act)


@staff_view
@require_POST
def ticket_checklist_view(request: HttpRequest, number: int) -> HttpResponse:
    def act(ticket: Ticket, data: dict[str, Any]) -> str:
        difficult_checklist_set(ticket=ticket, actor=request.user, item=data["item"], done=data["done"])
        return _("Checklist updated.")

    return _act(request, number, ChecklistForm, act)
