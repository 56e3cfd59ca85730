"""REST endpoints of the surveys of a client's customers: the report (JSON and PDF), a campaign on the client's
behalf and the customer list upload. The client's advisor and managers only (others get 404, portal tokens 403),
as in the workspace."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, BinaryIO, cast

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile

from carefront.api.common import ERRORS, Id, IsoDatetime, StrictIn, staff_actor
from carefront.core.csvio import CsvImportError
from carefront.core.exceptions import ApplicationError
from carefront.feedback.access import access_client_for_surveys
from carefront.feedback.api import FeedbackCampaignOut
from carefront.feedback.report_pdf import client_report_pdf
from carefront.feedback.selectors_clients import ClientReport, client_report
from carefront.feedback.services_clients import client_campaign_create, customer_list_upload
from carefront.feedback.views_clients import pdf_response
from carefront.relationships.access import access_engagement

router = Router(tags=["feedback"])


class ClientIntervalOut(Schema):
    value: float = Field(description="CSAT: % of 4–5 answers; NPS: % promoters − % detractors.")
    low: float = Field(description="The 95 % confidence interval's lower end.")
    high: float
    count: int = Field(description="Answers counted.")
    method: str


class ClientMonthOut(Schema):
    month: date
    sent: int
    answered: int = Field(description="Of the invitations sent that month.")
    response_rate: float | None
    csat: float | None
    csat_answers: int
    nps: float | None
    nps_answers: int


class ClientCommentOut(Schema):
    id: int = Field(description="The response's id.")
    text: str
    score: int


class ClientThemeOut(Schema):
    label: str = Field(description="The theme's top terms.")
    terms: list[str]
    count: int
    examples: list[ClientCommentOut]


class ClientThemeGroupOut(Schema):
    language: str
    comments: int
    enough: bool = Field(description="False: not enough comments in this language to find themes.")
    themes: list[ClientThemeOut]


class ClientReportOut(Schema):
    client_id: int
    client_name: str
    customers: int
    sent: int
    answered: int
    response_rate: float | None
    csat: ClientIntervalOut | None
    nps: ClientIntervalOut | None
    months: list[ClientMonthOut]
    comments: int
    themes: list[ClientThemeGroupOut]


class ClientCampaignIn(StrictIn):
    survey_id: Id = Field(description="An active CSAT or NPS survey.")
    starts_at: IsoDatetime = Field(description="When it is sent (once).")
    name: str = Field("", max_length=200)
    engagement_id: Id | None = Field(
        None, description="Without the customer list yet, the list becomes an open dependency of this engagement."
    )
    list_due_at: IsoDatetime | None = Field(None, description="When the list is due (default: starts_at).")


class CustomerListOut(Schema):
    rows: int
    created: int
    updated: int
    unchanged: int
    received_dependency_ids: list[int]


def _interval(value: Any, method: str) -> dict[str, Any] | None:
    if value is None:
        return None
    return {"value": value.value, "low": value.low, "high": value.high, "count": value.count, "method": method}


def report_json(report: ClientReport) -> dict[str, Any]:
    return {
        "client_id": report.client.pk,
        "client_name": report.client.name,
        "customers": report.customers,
        "sent": report.sent,
        "answered": report.answered,
        "response_rate": report.response_rate,
        "csat": _interval(report.csat, "wilson"),
        "nps": _interval(report.nps, "normal_standard_error"),
        "months": [
            {
                "month": month.month,
                "sent": month.sent,
                "answered": month.answered,
                "response_rate": month.response_rate,
                "csat": month.csat,
                "csat_answers": month.csat_answers,
                "nps": month.nps,
                "nps_answers": month.nps_answers,
            }
            for month in report.months
        ],
        "comments": report.comments,
        "themes": [
            {
                "language": group.language,
                "comments": group.comments,
                "enough": group.enough,
                "themes": [
                    {
                        "label": theme.label,
                        "terms": theme.terms,
                        "count": theme.count,
                        "examples": [{"id": c.id, "text": c.text, "score": c.score} for c in theme.examples],
                    }
                    for theme in group.themes
                ],
            }
            for group in report.themes
        ],
    }


def _period_check(since: datetime | None, until: datetime | None) -> None:
    if since is not None and until is not None and until <= since:
        raise ApplicationError(_("The end of the period must come after its start."), field="until")


@router.get(
    "/feedback/clients/{account_id}/report",
    response={200: ClientReportOut, **ERRORS},
    summary="The report on the surveys of a client's customers",
)
def get_client_report(
    request: HttpRequest, account_id: Id, since: IsoDatetime | None = None, until: IsoDatetime | None = None
) -> Any:
    client = access_client_for_surveys(user=staff_actor(request), account_id=account_id)
    _period_check(since, until)
    return report_json(client_report(client=client, since=since, until=until))


@router.get(
    "/feedback/clients/{account_id}/report.pdf",
    response={200: None, **ERRORS},
    summary="The same report as a PDF",
    openapi_extra={"responses": {"200": {"content": {"application/pdf": {"schema": {"type": "string"}}}}}},
)
def get_client_report_pdf(request: HttpRequest, account_id: Id) -> HttpResponse:
    client = access_client_for_surveys(user=staff_actor(request), account_id=account_id)
    return pdf_response(client_report_pdf(report=client_report(client=client)), client=client)


@router.post(
    "/feedback/clients/{account_id}/campaigns",
    response={201: FeedbackCampaignOut, **ERRORS},
    summary="Survey a client's customers on its behalf (its advisor or a manager)",
)
def create_client_campaign(request: HttpRequest, account_id: Id, payload: ClientCampaignIn) -> Any:
    user = staff_actor(request)
    client = access_client_for_surveys(user=user, account_id=account_id)
    engagement = None
    if payload.engagement_id is not None:
        engagement = access_engagement(user=user, engagement_id=payload.engagement_id)
    campaign = client_campaign_create(
        actor=user,
        client=client,
        survey_id=payload.survey_id,
        starts_at=payload.starts_at,
        name=payload.name,
        engagement=engagement,
        list_due_at=payload.list_due_at,
    )
    return Status(201, campaign)


@router.post(
    "/feedback/clients/{account_id}/customers",
    response={200: CustomerListOut, **ERRORS},
    summary="Upload the client's customer list (CSV; all or nothing, errors by row and column)",
)
def upload_customer_list(request: HttpRequest, account_id: Id, file: File[UploadedFile]) -> Any:
    user = staff_actor(request)
    client = access_client_for_surveys(user=user, account_id=account_id)
    try:
        result = customer_list_upload(client=client, source=cast(BinaryIO, file), actor=user)
    except CsvImportError as error:
        return Status(
            400,
            {
                "detail": " ".join(error.lines(limit=5)),
                "field": "file",
                "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in error.errors],
            },
        )
    counts = result.counts
    return {
        "rows": counts.rows,
        "created": counts.created,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
        "received_dependency_ids": [dependency.pk for dependency in result.received],
    }
