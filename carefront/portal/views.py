"""The customer portal's pages. Each view parses, checks access, calls one service or selector, renders."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.forms import Form
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carefront.accounts.services import contact_update
from carefront.core.exceptions import ApplicationError
from carefront.portal.access import access_portal_attachment, access_portal_ticket, portal_view
from carefront.portal.forms import (
    MagicLinkForm,
    PasswordLoginForm,
    PasswordSetForm,
    ProfileForm,
    ReplyForm,
    TicketForm,
)
from carefront.portal.selectors import (
    magic_link_contact,
    portal_contact,
    portal_ticket_view,
    portal_tickets_page,
)
from carefront.portal.services import (
    magic_link_redeem,
    magic_link_request,
    portal_authenticate,
    portal_password_set,
    portal_ticket_reply,
    portal_ticket_submit,
)

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _form_error(form: Form, error: ApplicationError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _cursor(request: HttpRequest, name: str) -> int | None:
    raw = request.GET.get(name, "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None


def _safe_next(request: HttpRequest, target: str) -> str | None:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


# --- signing in -------------------------------------------------------------------------------


def _login_page(
    request: HttpRequest, *, link_form: MagicLinkForm, password_form: PasswordLoginForm, status: int = 200
) -> HttpResponse:
    context = {"link_form": link_form, "password_form": password_form, "next": request.POST.get("next", "")}
    if request.method == "GET":
        context["next"] = request.GET.get("next", "")
    return render(request, "portal/login.html", context, status=status)


@require_GET
def login(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("portal:tickets")
    return _login_page(request, link_form=MagicLinkForm(), password_form=PasswordLoginForm())


@require_POST
def login_link(request: HttpRequest) -> HttpResponse:
    form = MagicLinkForm(request.POST)
    if form.is_valid():
        try:
            magic_link_request(email=form.cleaned_data["email"])
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            return redirect("portal:link_sent")
    return _login_page(request, link_form=form, password_form=PasswordLoginForm(), status=400)


@require_GET
def link_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/link_sent.html", {"minutes": settings.CAREFRONT_MAGIC_LINK_MINUTES})


def _link_invalid(request: HttpRequest, error: ApplicationError) -> HttpResponse:
    return render(request, "portal/link_invalid.html", {"error": error.message}, status=error.status)


@require_http_methods(["GET", "POST"])
def magic_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks for a click and POST signs in, so mail scanners that fetch links cannot use them up."""
    if request.method == "GET":
        try:
            contact = magic_link_contact(token=token)
        except ApplicationError as exc:
            return _link_invalid(request, exc)
        return render(request, "portal/link_confirm.html", {"contact": contact})
    try:
        user = magic_link_redeem(token=token)
    except ApplicationError as exc:
        return _link_invalid(request, exc)
    auth_login(request, user, backend=MODEL_BACKEND)
    messages.success(request, _("Welcome, you are signed in."))
    return redirect("portal:tickets")


@require_POST
def login_password(request: HttpRequest) -> HttpResponse:
    form = PasswordLoginForm(request.POST)
    if form.is_valid():
        user = portal_authenticate(
            request=request, email=form.cleaned_data["email"], password=form.cleaned_data["password"]
        )
        if user is not None:
            auth_login(request, user)
            return redirect(_safe_next(request, request.POST.get("next", "")) or "portal:tickets")
        form.add_error(None, _("That email address and password do not match. Try again, or ask for a sign-in link."))
    return _login_page(request, link_form=MagicLinkForm(), password_form=form, status=400)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    messages.success(request, _("You are signed out."))
    return redirect("portal:login")


# --- tickets ------------------------------------------------------------------------------------


@portal_view
@require_GET
def tickets(request: HttpRequest) -> HttpResponse:
    mine = request.GET.get("mine") == "1"
    page = portal_tickets_page(
        user=request.user, mine=mine, before=_cursor(request, "before"), after=_cursor(request, "after")
    )
    return render(request, "portal/tickets.html", {"page": page, "mine": mine, "nav": "tickets"})


@portal_view
@require_http_methods(["GET", "POST"])
def ticket_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = TicketForm(request.POST, request.FILES)
    else:
        # Back from a suggested article that did not help: the subject typed is kept.
        form = TicketForm(initial={"subject": request.GET.get("subject", "")[:250]})
    if form.is_bound and form.is_valid():
        try:
            ticket = portal_ticket_submit(
                user=request.user,
                subject=form.cleaned_data["subject"],
                description=form.cleaned_data["description"],
                files=form.cleaned_data["attachments"],
            )
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Thank you. We received your request #{number}.").format(number=ticket.number))
            return redirect("portal:ticket", number=ticket.number)
    status = 400 if form.is_bound else 200
    return render(request, "portal/ticket_new.html", {"form": form, "nav": "new"}, status=status)


def _ticket_page(request: HttpRequest, *, number: int, form: ReplyForm, status: int = 200) -> HttpResponse:
    ticket = access_portal_ticket(user=request.user, number=number)
    view = portal_ticket_view(user=request.user, ticket=ticket)
    return render(request, "portal/ticket.html", {"view": view, "form": form, "nav": "tickets"}, status=status)


@portal_view
@require_GET
def ticket(request: HttpRequest, number: int) -> HttpResponse:
    return _ticket_page(request, number=number, form=ReplyForm())


@portal_view
@require_POST
def ticket_reply(request: HttpRequest, number: int) -> HttpResponse:
    ticket = access_portal_ticket(user=request.user, number=number)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            outcome = portal_ticket_reply(
                user=request.user, ticket=ticket, body=form.cleaned_data["body"], files=form.cleaned_data["attachments"]
            )
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            if outcome.follow_up is not None:
                messages.info(
                    request,
                    _(
                        "Request #{old} was already closed, so your reply opened a new request, #{new}, linked to it."
                    ).format(old=ticket.number, new=outcome.follow_up.number),
                )
                return redirect("portal:ticket", number=outcome.follow_up.number)
            if outcome.reopened:
                messages.info(request, _("Your reply reopened this request; we will get back to you."))
            else:
                messages.success(request, _("Your reply was sent."))
            return redirect("portal:ticket", number=ticket.number)
    return _ticket_page(request, number=number, form=form, status=400)


@portal_view
@require_GET
def attachment(request: HttpRequest, number: int, message_id: int, attachment_id: int) -> FileResponse:
    item = access_portal_attachment(
        user=request.user, number=number, message_id=message_id, attachment_id=attachment_id
    )
    # Always a download: a file is never rendered as a page of this site.
    return FileResponse(
        item.file.open("rb"), as_attachment=True, filename=item.filename, content_type=item.content_type
    )


# --- profile ------------------------------------------------------------------------------------


def _profile_page(
    request: HttpRequest,
    *,
    profile_form: ProfileForm | None = None,
    password_form: PasswordSetForm | None = None,
    status: int = 200,
) -> HttpResponse:
    contact = portal_contact(request.user)
    assert contact is not None
    zone = contact.account.time_zone
    context: dict[str, Any] = {
        "contact": contact,
        "profile_form": profile_form
        or ProfileForm(
            initial={
                "name": contact.name,
                "language": contact.language.split("-")[0].split("_")[0],
                "time_zone": contact.time_zone,
            },
            account_time_zone=zone,
        ),
        "password_form": password_form or PasswordSetForm(),
        "has_password": contact.user is not None and contact.user.has_usable_password(),
        "nav": "profile",
    }
    return render(request, "portal/profile.html", context, status=status)


@portal_view
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _profile_page(request)
    contact = portal_contact(request.user)
    assert contact is not None
    form = ProfileForm(request.POST, account_time_zone=contact.account.time_zone)
    if form.is_valid():
        try:
            contact_update(contact=contact, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Your profile is saved."))
            return redirect("portal:profile")
    return _profile_page(request, profile_form=form, status=400)


@portal_view
@require_POST
def password_set(request: HttpRequest) -> HttpResponse:
    form = PasswordSetForm(request.POST)
    if form.is_valid():
        try:
            portal_password_set(user=request.user, password=form.cleaned_data["password1"], actor=request.user)
        except ApplicationError as exc:
            form.add_error("password1", exc.message)
        else:
            # Changing the password rotates the session hash; keep this session signed in.
            user: Any = request.user
            update_session_auth_hash(request, user)
            messages.success(request, _("Your password is set. You can now sign in with it."))
            return redirect("portal:profile")
    return _profile_page(request, password_form=form, status=400)
