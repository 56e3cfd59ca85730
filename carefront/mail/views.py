"""Settings → Email (mailboxes, received mail waiting in the quarantine) and a ticket message's original email.

Views parse, check access, call one service or selector, and render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from carefront.core.exceptions import ApplicationError
from carefront.desk.access import access_ticket_by_number
from carefront.mail import selectors, services
from carefront.mail.access import access_inbound, access_mailbox, access_ticket_original
from carefront.mail.forms import MailboxForm
from carefront.mail.models import InboundEmail, Mailbox
from carefront.mail.parsing import ParseFailure, parse
from carefront.web.access import admin_view, staff_view
from carefront.web.forms_settings import form_error

PAGE_SIZE = 50


def eml_response(inbound: InboundEmail) -> HttpResponse:
    """The message as it was received, as a download (never rendered by the browser)."""
    response = HttpResponse(bytes(inbound.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="message-{inbound.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _render(request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    return render(request, template, {"nav": "settings", "section": "mail", **context}, status=status)


@admin_view
def mailboxes_view(request: HttpRequest) -> HttpResponse:
    form = MailboxForm(request.POST or None, initial={"tier": 1, "auto_acknowledge": True, "is_active": True})
    if request.method == "POST" and form.is_valid():
        try:
            mailbox = services.mailbox_create(actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form_error(form, error)
        else:
            messages.success(request, _("Mailbox {address} added.").format(address=mailbox.address))
            return redirect("web:settings-mail")
    before = request.GET.get("before")
    quarantined = selectors.quarantine_page(before=int(before) if before and before.isdigit() else None, size=PAGE_SIZE)
    return _render(
        request,
        "mail/settings.html",
        {
            "mailboxes": list(selectors.mailboxes_list()),
            "form": form,
            "quarantined": quarantined,
            "next_before": quarantined[-1].pk if len(quarantined) == PAGE_SIZE else None,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@admin_view
def mailbox_view(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    mailbox = access_mailbox(user=request.user, mailbox_id=mailbox_id)
    initial = {field: getattr(mailbox, field) for field in MailboxForm.base_fields}
    form = MailboxForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.mailbox_update(mailbox=mailbox, actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form_error(form, error)
        else:
            messages.success(request, _("Mailbox {address} saved.").format(address=mailbox.address))
            return redirect("web:settings-mail")
    return _render(request, "mail/mailbox.html", {"mailbox": mailbox, "form": form}, status=400 if form.errors else 200)


@admin_view
@require_POST
def mailbox_delete_view(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    mailbox: Mailbox = access_mailbox(user=request.user, mailbox_id=mailbox_id)
    services.mailbox_delete(mailbox=mailbox, actor=request.user)
    messages.success(request, _("Mailbox {address} deleted.").format(address=mailbox.address))
    return redirect("web:settings-mail")


@admin_view
def inbound_download_view(request: HttpRequest, inbound_id: int) -> HttpResponse:
    return eml_response(access_inbound(user=request.user, inbound_id=inbound_id))


@admin_view
@require_POST
def inbound_reprocess_view(request: HttpRequest, inbound_id: int) -> HttpResponse:
    inbound = access_inbound(user=request.user, inbound_id=inbound_id)
    try:
        services.inbound_reprocess(inbound=inbound, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The message is being filed again."))
    return redirect("web:settings-mail")


@staff_view
def original_view(request: HttpRequest, number: int, message_id: int) -> HttpResponse:
    """The whole email a ticket message came from: every header, the full text, the sanitised HTML (no remote
    images), the attachments it carried, and a download of the original."""
    inbound = access_ticket_original(user=request.user, number=number, message_id=message_id)
    try:
        parsed = parse(bytes(inbound.raw), envelope_from=inbound.envelope_from)
        problem = ""
    except ParseFailure as failure:
        parsed, problem = None, failure.reason
    message = inbound.message
    assert message is not None  # access_ticket_original finds it through its message
    return render(
        request,
        "mail/original.html",
        {"nav": "inbox", "inbound": inbound, "parsed": parsed, "problem": problem, "ticket": message.ticket},
    )


@staff_view
def ticket_original_download_view(request: HttpRequest, number: int, message_id: int) -> HttpResponse:
    return eml_response(access_ticket_original(user=request.user, number=number, message_id=message_id))


@staff_view
def ticket_email_card(request: HttpRequest, number: int) -> HttpResponse:
    """The ticket page's Email card: who is copied, whether the requester's address bounces, the mail sent."""
    ticket = access_ticket_by_number(user=request.user, number=number)
    return render(
        request,
        "mail/ticket_card.html",
        {
            "ticket": ticket,
            "requester": ticket.requester,
            "followers": selectors.ticket_followers(ticket),
            "sent": selectors.outbound_for_ticket(ticket, limit=20),
        },
    )
