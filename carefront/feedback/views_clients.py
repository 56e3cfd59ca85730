"""The workspace pages of the surveys of a client's customers: the report (page and PDF), the customer list
upload and a new campaign on the client's behalf. Its advisor and managers only (`access_client_for_surveys`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from carefront.core.csvio import CsvImportError
from carefront.core.exceptions import ApplicationError
from carefront.feedback.access import access_client_for_surveys
from carefront.feedback.forms import ClientCampaignForm, ClientReportPeriodForm, CustomerListForm
from carefront.feedback.report_pdf import client_report_pdf
from carefront.feedback.selectors_clients import client_report
from carefront.feedback.services_clients import client_campaign_create, customer_list_upload
from carefront.web.access import staff_view

PAGE = "feedback/client_report/page.html"
ERRORS_SHOWN = 50


def _period_query(form: ClientReportPeriodForm) -> str:
    """The period as a query string, for the PDF's link."""
    if not form.is_valid():
        return ""
    return urlencode({name: value.isoformat() for name, value in form.cleaned_data.items() if value is not None})


def _report(client: Any, form: ClientReportPeriodForm) -> Any:
    """The report over the form's period, or over all time while the form is empty or wrong."""
    since, until = form.period() if form.is_valid() else (None, None)
    return client_report(client=client, since=since, until=until)


def _page(request: HttpRequest, client: Any, *, status: int = 200, **extra: Any) -> HttpResponse:
    period_form = ClientReportPeriodForm(request.GET or None)
    if period_form.errors:  # an unbound form has none
        status = 422
    context = {
        "nav": "accounts",
        "account": client,
        "period_form": period_form,
        "period_query": _period_query(period_form),
        "report": _report(client, period_form),
        "upload_form": extra.pop("upload_form", None) or CustomerListForm(),
        "campaign_form": extra.pop("campaign_form", None)
        or ClientCampaignForm(client=client, initial={"starts_on": timezone.now().date()}),
        **extra,
    }
    return render(request, PAGE, context, status=status)


@staff_view
@require_GET
def report(request: HttpRequest, account_id: int) -> HttpResponse:
    client = access_client_for_surveys(user=request.user, account_id=account_id)
    return _page(request, client)


@staff_view
@require_GET
def report_pdf(request: HttpRequest, account_id: int) -> HttpResponse:
    client = access_client_for_surveys(user=request.user, account_id=account_id)
    period_form = ClientReportPeriodForm(request.GET or None)
    if period_form.errors:
        return _page(request, client)  # the form's errors, on the page, with 422
    return pdf_response(client_report_pdf(report=_report(client, period_form)), client=client)


def pdf_response(pdf: bytes, *, client: Any) -> HttpResponse:
    """The PDF as a download named after the client and the day."""
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"{slugify(client.name) or 'client'}-survey-report-{timezone.now().date().isoformat()}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@staff_view
@require_POST
def customers_upload(request: HttpRequest, account_id: int) -> HttpResponse:
    client = access_client_for_surveys(user=request.user, account_id=account_id)
    form = CustomerListForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, client, status=400, upload_form=form)
    try:
        result = customer_list_upload(client=client, source=form.cleaned_data["file"], actor=request.user)
    except CsvImportError as error:
        return _page(request, client, status=400, upload_form=form, import_errors=error.lines(limit=ERRORS_SHOWN))
    except ApplicationError as error:
        form.add_error(None, error.message)
        return _page(request, client, status=error.status, upload_form=form)
    counts = result.counts
    messages.success(
        request,
        ngettext(
            "Customer list imported: {rows} row, {created} new, {updated} changed.",
            "Customer list imported: {rows} rows, {created} new, {updated} changed.",
            counts.rows,
        ).format(rows=counts.rows, created=counts.created, updated=counts.updated),
    )
    if result.received:
        messages.success(request, _("The customer list was marked received; the campaigns waiting on it go ahead."))
    return redirect(reverse("web:feedback-client-report", args=[client.pk]))


@staff_view
@require_POST
def campaign_new(request: HttpRequest, account_id: int) -> HttpResponse:
    client = access_client_for_surveys(user=request.user, account_id=account_id)
    form = ClientCampaignForm(request.POST, client=client)
    if not form.is_valid():
        return _page(request, client, status=400, campaign_form=form)
    try:
        campaign = client_campaign_create(actor=request.user, client=client, **form.values())
    except ApplicationError as error:
        field = {"survey_id": "survey", "engagement_id": "engagement", "starts_at": "starts_on"}.get(error.field or "")
        form.add_error(field, error.message)
        return _page(request, client, status=error.status, campaign_form=form)
    messages.success(request, _("Campaign “{name}” saved.").format(name=campaign.name))
    return redirect(reverse("web:feedback-client-report", args=[client.pk]))
