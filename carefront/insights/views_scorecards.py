"""The dashboards: both scorecards side by side over the filters in the query string, with the previous period,
the breakdown tables, the per-agent and per-advisor cards; the drill-down from a number to the rows behind it; the
CSV files of every table. Each view parses the filters, checks access (metrics/access.py), calls a selector."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from typing import Any, cast

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from carefront.core.exceptions import ApplicationError
from carefront.insights.forms_scorecards import ScorecardFilterForm
from carefront.insights.metrics.access import metric_filters_scope
from carefront.insights.metrics.definitions import DEFINITIONS, RELATIONSHIP, SERVICE, MetricFilters
from carefront.insights.metrics.drilldown import ACCOUNT, INVITATION, RESPONSE, TICKET, Drill, drill_build, drill_page
from carefront.insights.selectors_scorecards import (
    advisor_cards,
    agent_cards,
    breakdown_rows,
    scorecard_allowed,
    scorecards_read,
)
from carefront.web.access import staff_view
from carefront.web.htmx import htmx_fragment

PAGE_SIZE = 50
CSV_CHUNK = 500
MAX_CURSOR_DIGITS = 18


def _form(request: HttpRequest) -> ScorecardFilterForm:
    return ScorecardFilterForm(request.GET, user=request.user)


def _cursor(request: HttpRequest) -> int | None:
    raw = request.GET.get("before", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= MAX_CURSOR_DIGITS else None


def _refused(error: ApplicationError) -> None:
    if error.status == 403:
        raise PermissionDenied(error.message)
    if error.status == 404:
        raise Http404(error.message)


@staff_view
def scorecards_view(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    context: dict[str, Any] = {"nav": "insights", "form": form, "cards": [], "agents": None, "advisors": None}
    if not form.is_valid() or form.filters is None:
        return render(request, "insights/scorecards.html", context, status=422)
    filters = form.filters
    try:
        cards = scorecards_read(user=request.user, filters=filters)
    except ApplicationError as error:
        _refused(error)
        raise
    if not cards:
        raise PermissionDenied
    context.update(
        cards=cards,
        query=form.query(),
        api_query=form.api_query(),
        bucket=_bucket(filters),
        period=filters,
        previous=filters.previous(),
        # The trend API (GET /api/v1/metrics/figures/{name}/series), fetched per chart with the same filters.
        series_url="/api/v1/metrics/figures/",
        charted=CHARTED,
    )
    return render(request, "insights/scorecards.html", context)


@staff_view
def scorecards_people_view(request: HttpRequest) -> HttpResponse:
    """The per-agent and per-advisor cards with their praise, loaded by htmx into the scorecards page (a page of
    their own without it)."""
    form = _form(request)
    template = "insights/_scorecards_people.html" if htmx_fragment(request) else "insights/scorecards_people.html"
    if not form.is_valid() or form.filters is None:
        return render(request, template, {"nav": "insights", "form": form, "query": ""}, status=422)
    filters = form.filters
    try:
        agents = agent_cards(user=request.user, filters=filters)
        advisors = (
            advisor_cards(user=request.user, filters=filters)
            if scorecard_allowed(user=request.user, scorecard=RELATIONSHIP)
            else None
        )
    except ApplicationError as error:
        _refused(error)
        raise
    context = {"nav": "insights", "agents": agents, "advisors": advisors, "query": form.query()}
    return render(request, template, context)


def _bucket(filters: MetricFilters) -> str:
    """Days for a month or less, weeks up to half a year, months beyond."""
    days = (filters.end - filters.start).days
    return "day" if days <= 31 else "week" if days <= 183 else "month"


# The figures charted over time (the trend API's names), by scorecard.
CHARTED = {
    SERVICE: ("ticket_volume", "first_response_time_business_median", "resolution_rate", "csat"),
    RELATIONSHIP: ("revenue", "nps", "retention_rate_clients", "commitment_on_time_rate"),
}


def _drill(request: HttpRequest, name: str) -> tuple[ScorecardFilterForm, MetricFilters | None, Drill | None, str]:
    """The form, the scoped filters and the drill-down of figure `name`; an error message for the page when the
    breakdown row asked for does not exist."""
    definition = DEFINITIONS.get(name)
    if definition is None:
        raise Http404
    form = _form(request)
    if not form.is_valid() or form.filters is None:
        return form, None, None, ""
    try:
        scoped = metric_filters_scope(user=request.user, filters=form.filters, scorecard=definition.scorecard)
        drill = drill_build(name=name, filters=scoped, part=request.GET.get("part") or None, user=request.user)
    except ApplicationError as error:
        _refused(error)
        return form, form.filters, None, error.message
    return form, scoped, drill, ""


@staff_view
def scorecards_drill_view(request: HttpRequest, name: str) -> HttpResponse:
    form, filters, drill, problem = _drill(request, name)
    context: dict[str, Any] = {
        "nav": "insights",
        "form": form,
        "definition": DEFINITIONS[name],
        "drill": drill,
        "problem": problem,
        "part": request.GET.get("part", ""),
        "period": filters,
    }
    if drill is None:
        return render(request, "insights/scorecards_drill.html", context, status=422)
    rows, cursor = drill_page(drill, before=_cursor(request), size=PAGE_SIZE)
    query = request.GET.copy()
    query.pop("before", None)
    context.update(
        rows=rows,
        query=query.urlencode(),
        older=f"{query.urlencode()}&before={cursor}" if cursor is not None else None,
        kinds={"ticket": TICKET, "account": ACCOUNT, "response": RESPONSE, "invitation": INVITATION},
    )
    return render(request, "insights/scorecards_drill.html", context)


class _Echo:
    """A file-like object whose write returns the line, for a streaming csv.writer."""

    def write(self, value: str) -> str:
        return value


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def _person(user: Any) -> str:
    return user.get_username() if user is not None else ""


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe(values: list[Any]) -> list[Any]:
    """Text a customer wrote (a subject, a comment) that a spreadsheet would run as a formula is quoted with an
    apostrophe; numbers stay as they are."""
    return [f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value for value in values]


def _csv_row(drill: Drill, row: Any) -> list[Any]:
    extra = [getattr(row, column.key, None) for column in drill.columns]
    extra = ["true" if value is True else "false" if value is False else value for value in extra]
    if drill.kind == TICKET:
        return [
            row.number,
            row.subject,
            row.account_id,
            row.account.name,
            row.status,
            _person(row.assignee),
            row.team.name if row.team else "",
            row.channel,
            row.tier,
            _iso(row.created_at),
            _iso(row.solved_at),
            *extra,
        ]
    if drill.kind == ACCOUNT:
        return [
            row.pk,
            row.name,
            row.service_model,
            row.segment,
            _person(row.owner),
            row.lifecycle_stage,
            *extra,
        ]
    when = row.created_at if drill.kind == RESPONSE else row.sent_at
    return [
        row.pk,
        row.kind,
        row.ticket.number if row.ticket else "",
        row.account_id,
        row.account.name,
        _person(row.agent),
        _iso(when),
        getattr(row, "comment", ""),
        *extra,
    ]


_HEADERS = {
    TICKET: [
        "ticket",
        "subject",
        "account_id",
        "account",
        "status",
        "assignee",
        "team",
        "channel",
        "tier",
        "created_at",
        "solved_at",
    ],
    ACCOUNT: ["account_id", "account", "service_model", "segment", "owner", "lifecycle_stage"],
    RESPONSE: ["response_id", "kind", "ticket", "account_id", "account", "agent", "answered_at", "comment"],
    INVITATION: ["invitation_id", "kind", "ticket", "account_id", "account", "agent", "sent_at", "comment"],
}


def _form_errors(form: ScorecardFilterForm) -> str:
    return "; ".join(f"{field}: {' '.join(str(e) for e in errors)}" for field, errors in form.errors.items())


def _filename(name: str, filters: MetricFilters, *more: str) -> str:
    last = filters.end.date().isoformat()
    return "-".join([name, *more, filters.start.date().isoformat(), last]) + ".csv"


@staff_view
def scorecards_drill_csv(request: HttpRequest, name: str) -> HttpResponse:
    """Every row of a drill-down as CSV, streamed page by page (keyset), values as stored."""
    form, filters, drill, problem = _drill(request, name)
    if drill is None or filters is None:
        errors = problem or _form_errors(form)
        return HttpResponse(errors, status=422, content_type="text/plain; charset=utf-8")
    chosen = drill
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(_HEADERS[chosen.kind] + [column.key for column in chosen.columns])
        before = None
        while True:
            rows, before = drill_page(chosen, before=before, size=CSV_CHUNK)
            for row in rows:
                yield writer.writerow(_safe(_csv_row(chosen, row)))
            if before is None:
                return

    # A StreamingHttpResponse is no HttpResponse to the type checker, yet the workspace's decorators pass it on.
    response = cast(HttpResponse, StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8"))
    part = request.GET.get("part", "").replace(":", "-")
    filename = _filename(name, filters, *([part] if part else []))
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@staff_view
def scorecards_table_csv(request: HttpRequest, name: str, dimension: str) -> HttpResponse:
    """A figure's breakdown table as CSV: the key, the value and the count of each row, values as computed."""
    form = _form(request)
    if not form.is_valid() or form.filters is None:
        errors = _form_errors(form)
        return HttpResponse(errors, status=422, content_type="text/plain; charset=utf-8")
    try:
        _item, parts = breakdown_rows(user=request.user, filters=form.filters, name=name, dimension=dimension)
    except ApplicationError as error:
        _refused(error)
        raise
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(name, form.filters, dimension)}"'
    writer = csv.writer(response)
    writer.writerow([dimension, "value", "count"])
    for part in parts:
        writer.writerow(_safe([part.key, "" if part.value is None else part.value, part.count]))
    return response
