"""REST endpoints of the scorecards: every figure with its definition's name, value, unit and count, and the
previous period's value, under the same filters (`GET /api/v1/metrics/…`)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from carefront.api.common import ERRORS, actor, staff_actor
from carefront.core.exceptions import ApplicationError
from carefront.insights.metrics.access import metric_filters_scope
from carefront.insights.metrics.definitions import (
    DEFINITIONS,
    RELATIONSHIP,
    SERVICE,
    Figure,
    MetricFilters,
    metric_filters_build,
    period_bound_parse,
)
from carefront.insights.metrics.series import SERIES, figure_series
from carefront.insights.selectors_scorecards import scorecard_with_previous

router = Router(tags=["metrics"])

Scorecard = Literal["service", "relationship"]


class MetricQuery(Schema):
    start: str = Field(description="First day (2026-11-01, whole day in `time_zone`) or an instant with its offset.")
    end: str = Field(description="Last day, included (2026-11-30), or an instant with its offset, excluded.")
    time_zone: str = Field("", description="The zone dates are days of (default: the workspace's).")
    team: int | None = None
    agent: int | None = Field(None, description="A staff member's id: the tickets assigned to them.")
    advisor: int | None = Field(None, description="A staff member's id: the accounts they own and their tickets.")
    segment: str | None = Field(None, description="The accounts' segment.")
    service_model: Literal["customer", "client"] | None = None
    channel: Literal["email", "portal", "chat", "phone", "social", "api"] | None = None
    tier: int | None = Field(None, ge=0, le=3)


class MetricPartOut(Schema):
    key: str
    value: float | Decimal | None
    count: int


class MetricFigureOut(Schema):
    name: str = Field(description="The definition's stable name (docs/metrics.md).")
    label: str
    unit: str
    formula: str
    value: float | Decimal | None = Field(description="None when there is nothing to measure.")
    count: int = Field(description="The rows the value rests on.")
    currency: str
    previous_value: float | Decimal | None
    previous_count: int
    breakdowns: dict[str, list[MetricPartOut]]


class MetricPeriodOut(Schema):
    start: datetime
    end: datetime


class MetricScorecardOut(Schema):
    scorecard: Scorecard
    period: MetricPeriodOut
    previous_period: MetricPeriodOut
    figures: list[MetricFigureOut]


class MetricDefinitionOut(Schema):
    name: str
    label: str
    unit: str
    formula: str
    scorecard: Scorecard
    filters: list[str] = Field(description="The filters that narrow it besides the period.")


class MetricSeriesQuery(MetricQuery):
    bucket: Literal["day", "week", "month"] = Field(
        "week", description="Days, weeks (Monday to Sunday) or calendar months, in `time_zone`."
    )


class MetricSeriesPointOut(Schema):
    start: date = Field(description="The bucket's first day in the period (the first and last may be partial).")
    value: float | None = Field(description="The figure over the bucket; null when there is nothing to measure.")
    count: int = Field(description="The rows the value rests on.")


class MetricSeriesOut(Schema):
    name: str
    bucket: str
    unit: str
    points: list[MetricSeriesPointOut]


def _filters(request: HttpRequest, query: MetricQuery, scorecard: str) -> MetricFilters:
    built = metric_filters_build(
        start=period_bound_parse(query.start, field_name="start"),
        end=period_bound_parse(query.end, field_name="end"),
        time_zone=query.time_zone,
        team=query.team,
        agent=query.agent,
        advisor=query.advisor,
        segment=query.segment,
        service_model=query.service_model,
        channel=query.channel,
        tier=query.tier,
    )
    return metric_filters_scope(user=actor(request), filters=built, scorecard=scorecard)


def _figure_out(current: Figure, previous: Figure) -> dict[str, Any]:
    definition = current.definition
    return {
        "name": current.name,
        "label": str(definition.label),
        "unit": current.unit,
        "formula": str(definition.formula),
        "value": current.value,
        "count": current.count,
        "currency": current.currency,
        "previous_value": previous.value,
        "previous_count": previous.count,
        "breakdowns": {dimension: list(parts) for dimension, parts in current.breakdowns.items()},
    }


def _scorecard(request: HttpRequest, query: MetricQuery, scorecard: str) -> dict[str, Any]:
    filters = _filters(request, query, scorecard)
    previous = filters.previous()
    figures = zip(*scorecard_with_previous(user=actor(request), filters=filters, scorecard=scorecard), strict=True)
    return {
        "scorecard": scorecard,
        "period": {"start": filters.start, "end": filters.end},
        "previous_period": {"start": previous.start, "end": previous.end},
        "figures": [_figure_out(current, before) for current, before in figures],
    }


@router.get(
    "/metrics/definitions", response={200: list[MetricDefinitionOut], **ERRORS}, summary="Every figure's definition"
)
def list_metric_definitions(request: HttpRequest) -> Any:
    staff_actor(request)
    return [
        {
            "name": d.name,
            "label": str(d.label),
            "unit": d.unit,
            "formula": str(d.formula),
            "scorecard": d.scorecard,
            "filters": list(d.filters),
        }
        for d in DEFINITIONS.values()
    ]


@router.get("/metrics/service", response={200: MetricScorecardOut, **ERRORS}, summary="The service scorecard")
def get_service_scorecard(request: HttpRequest, query: Query[MetricQuery]) -> Any:
    return _scorecard(request, query, SERVICE)


@router.get("/metrics/relationship", response={200: MetricScorecardOut, **ERRORS}, summary="The relationship scorecard")
def get_relationship_scorecard(request: HttpRequest, query: Query[MetricQuery]) -> Any:
    return _scorecard(request, query, RELATIONSHIP)


@router.get("/metrics/figures/{name}", response={200: MetricScorecardOut, **ERRORS}, summary="One figure")
def get_metric_figure(request: HttpRequest, name: str, query: Query[MetricQuery]) -> Any:
    definition = DEFINITIONS.get(name)
    if definition is None:
        raise Http404
    card = _scorecard(request, query, definition.scorecard)
    card["figures"] = [item for item in card["figures"] if item["name"] == name]
    return card


@router.get(
    "/metrics/figures/{name}/series",
    response={200: MetricSeriesOut, **ERRORS},
    summary="One figure by day, week or month",
)
def get_metric_series(request: HttpRequest, name: str, query: Query[MetricSeriesQuery]) -> Any:
    staff_actor(request)
    definition = DEFINITIONS.get(name)
    if definition is None:
        raise ApplicationError(_("No figure is named “{name}”.").format(name=name), status=404)
    if name not in SERIES:
        raise ApplicationError(_("The figure “{name}” has no trend series.").format(name=name), status=404)
    filters = _filters(request, query, definition.scorecard)
    points = figure_series(name=name, filters=filters, bucket=query.bucket)
    return {
        "name": name,
        "bucket": query.bucket,
        "unit": definition.unit,
        "points": [{"start": point.start, "value": point.value, "count": point.count} for point in points],
    }
