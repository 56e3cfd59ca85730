"""Reads of the surveys for the workspace's screens and the API: one filter definition serves both."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from django.db.models import F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from carefront.feedback.access import (
    campaigns_visible_to,
    invitations_visible_to,
    responses_visible_to,
    surveys_visible_to,
)
from carefront.feedback.models import Campaign, Invitation, Response, Survey, SurveyKind

# Score bands, as the scorecards count them: CSAT satisfied is 4–5; NPS promoters 9–10, detractors 0–6.
BANDS = ("positive", "neutral", "negative")


def band_filter(band: str) -> Q:
    """The responses of a band, whatever their kind (CES: 6–7 easy, 1–3 hard)."""
    if band == "positive":
        return (
            Q(kind=SurveyKind.NPS, score__gte=9)
            | Q(kind=SurveyKind.CES, score__gte=6)
            | (Q(kind__in=[SurveyKind.CSAT, SurveyKind.CUSTOM], score__gte=4))
        )
    if band == "negative":
        return (
            Q(kind=SurveyKind.NPS, score__lte=6)
            | Q(kind=SurveyKind.CES, score__lte=3)
            | (Q(kind__in=[SurveyKind.CSAT, SurveyKind.CUSTOM], score__lte=2))
        )
    return ~band_filter("positive") & ~band_filter("negative")


def score_band(kind: str, score: int) -> str:
    if kind == SurveyKind.NPS:
        return "positive" if score >= 9 else "negative" if score <= 6 else "neutral"
    if kind == SurveyKind.CES:
        return "positive" if score >= 6 else "negative" if score <= 3 else "neutral"
    return "positive" if score >= 4 else "negative" if score <= 2 else "neutral"


def surveys_list(*, user: Any, kind: str | None = None, active: bool | None = None) -> QuerySet[Survey]:
    rows = surveys_visible_to(user).prefetch_related("mailboxes")
    if kind:
        rows = rows.filter(kind=kind)
    if active is not None:
        rows = rows.filter(is_active=active)
    return rows.order_by("-id")


def campaigns_list(*, user: Any, active: bool | None = None) -> QuerySet[Campaign]:
    rows = campaigns_visible_to(user).select_related("survey")
    if active is not None:
        rows = rows.filter(is_active=active)
    return rows.order_by("-id")


@dataclass(frozen=True)
class ResponseFilters:
    kind: str | None = None
    band: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    account: int | None = None
    agent: int | None = None
    advisor: int | None = None
    ticket: int | None = None
    submitted: bool | None = None


def responses_list(*, user: Any, filters: ResponseFilters) -> QuerySet[Response]:
    """Newest first (by id: the order they were answered), with what the list shows joined in."""
    rows = responses_visible_to(user).select_related("survey", "account", "contact", "ticket", "agent", "advisor")
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.band in BANDS:
        rows = rows.filter(band_filter(filters.band))
    if filters.since is not None:
        rows = rows.filter(created_at__gte=filters.since)
    if filters.until is not None:
        rows = rows.filter(created_at__lt=filters.until)
    for name in ("account", "agent", "advisor", "ticket"):
        value = getattr(filters, name)
        if value is not None:
            rows = rows.filter(**{f"{name}_id": value})
    if filters.submitted is not None:
        rows = rows.filter(submitted_at__isnull=not filters.submitted)
    return rows.order_by("-id")


@dataclass(frozen=True)
class InvitationFilters:
    kind: str | None = None
    state: str | None = None
    account: int | None = None
    contact: int | None = None
    ticket: int | None = None
    campaign: int | None = None


def invitations_list(*, user: Any, filters: InvitationFilters) -> QuerySet[Invitation]:
    rows = invitations_visible_to(user).select_related("survey", "outbound")
    for name in ("kind", "state"):
        value = getattr(filters, name)
        if value:
            rows = rows.filter(**{name: value})
    for name in ("account", "contact", "ticket", "campaign"):
        value = getattr(filters, name)
        if value is not None:
            rows = rows.filter(**{f"{name}_id": value})
    return rows.order_by("-id")


def latest_response(*, user: Any, account_id: int | None = None, ticket_id: int | None = None) -> Response | None:
    """The newest response of an account or a ticket, for its page (one query)."""
    rows = responses_visible_to(user).select_related("survey", "contact", "agent")
    if account_id is not None:
        rows = rows.filter(account_id=account_id)
    if ticket_id is not None:
        rows = rows.filter(ticket_id=ticket_id)
    return rows.order_by("-created_at", "-id").first()


PraiseBy = Literal["agent", "advisor"]


def praise_for(
    *,
    user: Any,
    by: PraiseBy,
    people: Iterable[int],
    since: datetime,
    until: datetime,
    per_person: int = 3,
) -> dict[int, list[Response]]:
    """Each person's praise for recognition: the highest-scoring answers (in the positive band of their kind) with a
    comment, received in [since, until), the most recent first among equal scores, `per_person` at most. An agent's
    are the answers about their tickets; an advisor's those of their clients (the accounts they own). One query
    whatever the number of people (a window numbers each person's answers)."""
    column = "agent_id" if by == "agent" else "account__owner_id"
    ids = list(people)
    if not ids:
        return {}
    ranked = (
        responses_visible_to(user)
        .filter(band_filter("positive"), created_at__gte=since, created_at__lt=until, **{f"{column}__in": ids})
        .exclude(comment="")
        # Answers from a client's own customers, asked on its behalf, are the client's, not praise of our people.
        .exclude(invitation__campaign__client__isnull=False)
        .annotate(
            person=F(column),
            rank=Window(
                RowNumber(),
                partition_by=[F(column)],
                order_by=[F("score").desc(), F("created_at").desc(), F("id").desc()],
            ),
        )
        .filter(rank__lte=per_person)
        .select_related("account", "contact", "ticket")
        .order_by("person", "rank")
    )
    found: dict[int, list[Response]] = {}
    for response in ranked:
        found.setdefault(response.person, []).append(response)
    return found
