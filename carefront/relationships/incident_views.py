"""The incident screens: the log, recording an incident, and its page with every affected account's disclosure and
remedy. Each view parses, checks access, calls one service or selector, renders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from carefront.accounts.access import accounts_visible_to
from carefront.core.access import is_manager
from carefront.core.exceptions import ApplicationError
from carefront.core.selectors import staff_members
from carefront.relationships import incident_selectors as selectors
from carefront.relationships import incident_services as services
from carefront.relationships.access import access_affected, access_incident
from carefront.relationships.incident_forms import (
    AccountsForm,
    DraftForm,
    IncidentForm,
    IncidentStatusForm,
    LogForm,
    RemedyForm,
    ToldForm,
)
from carefront.relationships.models import AffectedAccount, DisclosureChannel
from carefront.relationships.views import _create_page, _htmx, _id_param
from carefront.web.access import manager_view, staff_view
from carefront.web.forms_settings import form_error

INCIDENT_PAGE = "relationships/incident.html"
MAX_ID_DIGITS = 18


@staff_view
@require_GET
def incidents_page(request: HttpRequest) -> HttpResponse:
    form = LogForm(request.GET)
    page = selectors.incidents_log_page(user=request.user, filters=form.filters(), before=_id_param(request, "before"))
    query = request.GET.copy()
    query.pop("before", None)
    context = {
        "nav": "relationships",
        "tab": "incidents",
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "may_manage": is_manager(request.user),
    }
    return render(request, "relationships/incidents.html", context)


@manager_view
def incident_new(request: HttpRequest) -> HttpResponse:
    form = IncidentForm(request.POST or None, staff=staff_members(), initial={"owner": request.user.pk})

    def create() -> tuple[str, str]:
        incident = services.incident_create(actor=request.user, **form.cleaned_data)
        message = _("Incident “{title}” recorded: now link the accounts it touched.").format(title=incident.title)
        return message, reverse("web:relationships-incident", args=[incident.pk])

    return _create_page(request, form, create, template="relationships/incident_new.html", context={"tab": "incidents"})


def _incident_context(request: HttpRequest, incident_id: int, **bound: Any) -> dict[str, Any]:
    detail = selectors.incident_detail(user=request.user, incident_id=incident_id)
    may_manage = is_manager(request.user)
    context: dict[str, Any] = {
        "nav": "relationships",
        "tab": "incidents",
        "detail": detail,
        "incident": detail.incident,
        "may_manage": may_manage,
        "channels": DisclosureChannel.choices,
    }
    if may_manage:
        context["accounts_form"] = bound.get("accounts_form") or AccountsForm()
        context["status_form"] = IncidentStatusForm(initial={"status": detail.incident.status})
    return context


@staff_view
@require_GET
def incident_page(request: HttpRequest, incident_id: int) -> HttpResponse:
    access_incident(user=request.user, incident_id=incident_id)
    return render(request, INCIDENT_PAGE, _incident_context(request, incident_id))


def _accounts_named(request: HttpRequest, lines: list[str]) -> tuple[list[Any], list[str]]:
    """The accounts the lines name (an id or an exact name each), in one query; and the lines that named none."""
    ids = {int(line) for line in lines if line.isascii() and line.isdigit() and len(line) <= MAX_ID_DIGITS}
    names = {line for line in lines if not (line.isascii() and line.isdigit())}
    found = list(accounts_visible_to(request.user).filter(Q(pk__in=ids) | Q(name__in=names)))
    known = {str(account.pk) for account in found} | {account.name for account in found}
    return found, [line for line in lines if line not in known]


@require_POST
@manager_view
def incident_accounts_add(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = access_incident(user=request.user, incident_id=incident_id)
    form = AccountsForm(request.POST)
    status = 400
    if form.is_valid():
        accounts, unknown = _accounts_named(request, form.cleaned_data["accounts"])
        if unknown:
            form.add_error("accounts", _("No account matches: {lines}").format(lines=", ".join(unknown[:10])))
        else:
            try:
                rows = services.incident_accounts_add(
                    incident=incident,
                    actor=request.user,
                    accounts=accounts,
                    consequence=form.cleaned_data["consequence"],
                )
            except ApplicationError as error:
                form_error(form, error)
                status = error.status
            else:
                messages.success(request, _("{count} accounts linked.").format(count=len(rows)))
                return redirect(reverse("web:relationships-incident", args=[incident.pk]) + "#affected")
    context = _incident_context(request, incident.pk, accounts_form=form)
    return render(request, INCIDENT_PAGE, context, status=status)


@require_POST
@manager_view
def incident_drafts(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = access_incident(user=request.user, incident_id=incident_id)
    try:
        count = services.incident_drafts_prepare(incident=incident, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("{count} disclosure drafts written.").format(count=count))
    return redirect(reverse("web:relationships-incident", args=[incident.pk]) + "#affected")


@require_POST
@manager_view
def incident_status(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = access_incident(user=request.user, incident_id=incident_id)
    form = IncidentStatusForm(request.POST)
    if form.is_valid():
        try:
            services.incident_update(incident=incident, actor=request.user, status=form.cleaned_data["status"])
        except ApplicationError as error:
            messages.error(request, error.message)
    return redirect("web:relationships-incident", incident.pk)


def _row_action(
    request: HttpRequest, incident_id: int, account_id: int, form: Any, act: Callable[[AffectedAccount], Any]
) -> HttpResponse:
    """Change one affected account's row: with HTMX the row comes back in place (a refusal shown on it), otherwise
    the page again."""
    affected = access_affected(user=request.user, incident_id=incident_id, account_id=account_id)
    error_text = ""
    if form.is_valid():
        try:
            act(affected)
        except ApplicationError as error:
            error_text = error.message
    else:
        error_text = " ".join(str(message) for messages_ in form.errors.values() for message in messages_)
    if _htmx(request):
        row = selectors.affected_list(user=request.user, incident=affected.incident).get(pk=affected.pk)
        context = {"row": row, "incident": affected.incident, "may_manage": True, "channels": DisclosureChannel.choices}
        context["row_error"] = error_text
        return render(request, "relationships/incident.html#affected-row", context, status=400 if error_text else 200)
    if error_text:
        messages.error(request, error_text)
    return redirect(reverse("web:relationships-incident", args=[incident_id]) + f"#affected-{account_id}")


@require_POST
@manager_view
def affected_draft(request: HttpRequest, incident_id: int, account_id: int) -> HttpResponse:
    form = DraftForm(request.POST)
    return _row_action(
        request,
        incident_id,
        account_id,
        form,
        lambda affected: services.affected_draft_update(
            affected=affected, actor=request.user, draft=form.cleaned_data["draft"]
        ),
    )


@require_POST
@manager_view
def affected_told(request: HttpRequest, incident_id: int, account_id: int) -> HttpResponse:
    form = ToldForm(request.POST)
    draft = DraftForm(request.POST)
    return _row_action(
        request,
        incident_id,
        account_id,
        form,
        lambda affected: services.affected_mark_told(
            affected=affected,
            actor=request.user,
            via=form.cleaned_data["via"],
            told_at=form.cleaned_data["told_at"],
            draft=draft.cleaned_data["draft"] if draft.is_valid() else None,
        ),
    )


@require_POST
@manager_view
def affected_remedy(request: HttpRequest, incident_id: int, account_id: int) -> HttpResponse:
    form = RemedyForm(request.POST)
    return _row_action(
        request,
        incident_id,
        account_id,
        form,
        lambda affected: services.affected_remedy_record(
            affected=affected, actor=request.user, remedy=form.cleaned_data["remedy"]
        ),
    )
