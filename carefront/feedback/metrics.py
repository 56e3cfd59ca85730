"""The survey counts the scorecards read (docs/metrics.md, "Surveys"): the insights' metrics define CSAT, its
response rate and NPS; this only counts, in two queries whatever the number of rows.

- CSAT: the CSAT invitations sent in the period, the answers to them, and those answers of 4 or 5 (one
  `SurveyCounts.csat_answers` serves both the rate and CSAT, so both are counted on the invitations of the period
  and a part never outnumbers its whole).
- NPS: the NPS answers received in the period, the promoters (9–10) and detractors (0–6).

The surveys of a client's own customers, asked on its behalf (a campaign with a client), are the client's
figures, not ours: they are left out here and reported to the client (`selectors_clients.py`).

Filters: the account ones (advisor = the account's owner, segment, service model) apply to both; the ticket ones
(team, agent, channel, tier) to CSAT, whose invitations have a ticket; NPS answers have none and ignore them.
Registered as the scorecards' survey provider from `FeedbackConfig.ready()`."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from carefront.feedback.models import Campaign, Invitation, InvitationState, Response, SurveyKind
from carefront.insights.metrics.providers import SurveyCounts
from carefront.insights.metrics.service import account_q


def _ticket_filters(filters: Any) -> Q:
    condition = Q()
    for name, field in (("team", "ticket__team_id"), ("channel", "ticket__channel"), ("tier", "ticket__tier")):
        if getattr(filters, name, None) is not None:
            condition &= Q(**{field: getattr(filters, name)})
    if getattr(filters, "agent", None) is not None:
        condition &= Q(agent_id=filters.agent)
    return condition


def csat_invitations(filters: Any) -> QuerySet[Invitation]:
    """The CSAT invitations sent in the period over the filters: CSAT and its response rate count them and their
    answers; the dashboards' drill-down lists their responses."""
    return (
        Invitation.objects.filter(
            account_q(filters),
            _ticket_filters(filters),
            kind=SurveyKind.CSAT,
            state=InvitationState.SENT,
            sent_at__gte=filters.start,
            sent_at__lt=filters.end,
        )
        .exclude(campaign__client__isnull=False)
        .order_by()
    )


def nps_responses(filters: Any) -> QuerySet[Response]:
    """The NPS answers received in the period over the account filters."""
    client_campaigns = Campaign.objects.filter(client__isnull=False).values("pk")
    if connection.vendor == "postgresql":
        # PostgreSQL anti-joins a correlated NOT EXISTS well; NOT IN it misjudged under an account filter (it looped
        # over the accounts: 2.7 s for a year of the clients' NPS at a million tickets).
        for_a_client: Q | Exists = Exists(
            Invitation.objects.filter(pk=OuterRef("invitation_id"), campaign__in=client_campaigns)
        )
    else:
        # SQLite would look up each answer's invitation for NOT EXISTS (a year's NPS: 30 ms); the NOT IN list of the
        # client campaigns' invitations it builds once (11 ms).
        for_a_client = Q(invitation__in=Invitation.objects.filter(campaign__in=client_campaigns).values("pk"))
    return (
        Response.objects.filter(
            account_q(filters), kind=SurveyKind.NPS, created_at__gte=filters.start, created_at__lt=filters.end
        )
        .exclude(for_a_client)
        .order_by()
    )


# The answers' scores as copied on the invitations (`Invitation.answer_score`): no response is read.
CSAT_COUNTS = {
    "invitations": Count("pk"),
    "answers": Count("answer_score"),
    "satisfied": Count("pk", filter=Q(answer_score__gte=4)),
}
NPS_COUNTS = {
    "answers": Count("pk"),
    "promoters": Count("pk", filter=Q(score__gte=9)),
    "detractors": Count("pk", filter=Q(score__lte=6)),
}


def _counts(csat: dict[str, int], nps: dict[str, int]) -> SurveyCounts:
    return SurveyCounts(
        csat_invitations=csat.get("invitations", 0),
        csat_answers=csat.get("answers", 0),
        csat_satisfied=csat.get("satisfied", 0),
        nps_answers=nps.get("answers", 0),
        nps_promoters=nps.get("promoters", 0),
        nps_detractors=nps.get("detractors", 0),
    )


def feedback_counts(filters: Any, *, csat: bool = True, nps: bool = True) -> SurveyCounts:
    """The counts for a period [filters.start, filters.end) and its filters (a `MetricFilters`): the CSAT ones, the
    NPS ones or both (those not asked for are 0)."""
    return _counts(
        csat_invitations(filters).aggregate(**CSAT_COUNTS) if csat else {},
        nps_responses(filters).aggregate(**NPS_COUNTS) if nps else {},
    )


def feedback_counts_by(filters: Any, bucket_of: Callable[[str], Any]) -> dict[Hashable, SurveyCounts]:
    """The same counts by bucket (the trend series): CSAT by the invitation's sending time, NPS by the answer's
    time; `bucket_of(column)` is the SQL expression of a datetime column's bucket. Two queries."""
    csat: dict[Hashable, dict[str, int]] = {}
    for row in csat_invitations(filters).values(bucket=bucket_of("sent_at")).annotate(**CSAT_COUNTS):
        values: dict[str, Any] = dict(row)
        csat[values.pop("bucket")] = values
    nps: dict[Hashable, dict[str, int]] = {}
    for row in nps_responses(filters).values(bucket=bucket_of("created_at")).annotate(**NPS_COUNTS):
        values = dict(row)
        nps[values.pop("bucket")] = values
    return {key: _counts(csat.get(key, {}), nps.get(key, {})) for key in csat.keys() | nps.keys()}
