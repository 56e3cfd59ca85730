"""The feedback screens of the staff workspace: Settings → Surveys (managers) and the responses list (staff)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from carefront.core.exceptions import ApplicationError
from carefront.desk.access import access_ticket_by_number
from carefront.feedback import selectors, services
from carefront.feedback.access import access_campaign, access_survey
from carefront.feedback.forms import CampaignForm, ResponseFilterForm, SurveyForm
from carefront.feedback.models import Campaign, Survey
from carefront.web.access import manager_view, staff_view

PAGE = 50


def _settings(**extra: Any) -> dict[str, Any]:
    return {"nav": "settings", "section": "surveys", **extra}


@manager_view
@require_GET
def surveys(request: HttpRequest) -> HttpResponse:
    """The surveys and campaigns, and the sending rules they follow."""
    from carefront.feedback.services_sending import link_days, quiet_days

    context = _settings(
        surveys=list(selectors.surveys_list(user=request.user)[:200]),
        campaigns=list(selectors.campaigns_list(user=request.user)[:200]),
        quiet_days=quiet_days(),
        link_days=link_days(),
    )
    return render(request, "feedback/settings/surveys.html", context)


def _save(
    request: HttpRequest, form: Any, *, create: Any, update: Any, row: Any, saved: str, target: str, key: str
) -> tuple[Any, int] | HttpResponse:
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                row = create(**form.values()) if row is None else update(**form.values())
            except ApplicationError as error:
                form.add_error(form.field_for(error.field), error.message)
                status = error.status
            else:
                messages.success(request, saved.format(name=row.name))
                return redirect(target, **{key: row.pk})
    return row, status


@manager_view
@require_http_methods(["GET", "POST"])
def survey_edit(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = access_survey(user=request.user, survey_id=survey_id)
    return _survey_form(request, survey)


@manager_view
@require_http_methods(["GET", "POST"])
def survey_new(request: HttpRequest) -> HttpResponse:
    return _survey_form(request, None)


def _survey_form(request: HttpRequest, survey: Survey | None) -> HttpResponse:
    initial = SurveyForm.initial_for(survey) if survey is not None else {"kind": request.GET.get("kind", "csat")}
    form = SurveyForm(request.POST or None, initial=initial, survey=survey)
    outcome = _save(
        request,
        form,
        create=lambda **values: services.survey_create(actor=request.user, **values),
        update=lambda **values: services.survey_update(survey=survey, actor=request.user, **values),  # type: ignore[arg-type]
        row=survey,
        saved=_("Survey “{name}” saved."),
        target="web:feedback-survey",
        key="survey_id",
    )
    if isinstance(outcome, HttpResponse):
        return outcome
    return render(request, "feedback/settings/survey.html", _settings(survey=survey, form=form), status=outcome[1])


@manager_view
@require_http_methods(["GET", "POST"])
def campaign_new(request: HttpRequest) -> HttpResponse:
    return _campaign_form(request, None)


@manager_view
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, campaign_id: int) -> HttpResponse:
    return _campaign_form(request, access_campaign(user=request.user, campaign_id=campaign_id))


def _campaign_form(request: HttpRequest, campaign: Campaign | None) -> HttpResponse:
    initial = CampaignForm.initial_for(campaign) if campaign is not None else {}
    form = CampaignForm(request.POST or None, initial=initial, campaign=campaign)
    outcome = _save(
        request,
        form,
        create=lambda **values: services.campaign_create(actor=request.user, **values),
        update=lambda **values: services.campaign_update(campaign=campaign, actor=request.user, **values),  # type: ignore[arg-type]
        row=campaign,
        saved=_("Campaign “{name}” saved."),
        target="web:feedback-campaign",
        key="campaign_id",
    )
    if isinstance(outcome, HttpResponse):
        return outcome
    context = _settings(campaign=campaign, form=form)
    return render(request, "feedback/settings/campaign.html", context, status=outcome[1])


def _day(value: Any, *, end: bool = False) -> datetime | None:
    if value is None:
        return None
    moment = datetime.combine(value, time(0), tzinfo=UTC)
    return moment + timedelta(days=1) if end else moment


@staff_view
@require_GET
def responses(request: HttpRequest) -> HttpResponse:
    """Survey responses, newest first, filtered by kind, score band, period and account; keyset-paginated."""
    form = ResponseFilterForm(request.GET)
    filters = selectors.ResponseFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.ResponseFilters(
            kind=data["kind"] or None,
            band=data["band"] or None,
            since=_day(data["since"]),
            until=_day(data["until"], end=True),
            account=data["account"],
        )
    rows = selectors.responses_list(user=request.user, filters=filters)
    before = request.GET.get("before", "")
    if before.isdigit() and len(before) < 19:
        rows = rows.filter(id__lt=int(before))
    found = list(rows[: PAGE + 1])
    page = found[:PAGE]
    query = request.GET.copy()
    query.pop("before", None)
    context = {
        "nav": "feedback",
        "form": form,
        "rows": page,
        "next_cursor": page[-1].pk if len(found) > PAGE else None,
        "query": query.urlencode(),
    }
    return render(request, "feedback/responses.html", context)


@staff_view
@require_GET
def ticket_card(request: HttpRequest, number: int) -> HttpResponse:
    """The ticket page's Survey card (loaded after the page): the ticket's latest survey, sent or skipped and why,
    and its answer."""
    ticket = access_ticket_by_number(user=request.user, number=number)
    context = {
        "ticket": ticket,
        "invitation": selectors.invitations_list(
            user=request.user, filters=selectors.InvitationFilters(ticket=ticket.pk)
        ).first(),
        "response": selectors.latest_response(user=request.user, ticket_id=ticket.pk),
    }
    return render(request, "feedback/_ticket_card.html", context)
