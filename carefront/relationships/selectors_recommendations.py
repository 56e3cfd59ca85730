"""Reading an advisor's recommendations: the open ones, each with its reason in plain words (in the reader's language
and time zone, counted from today, so that "no contact in 34 days" stays true the day after)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from carefront.relationships.models import AdvisorRecommendation, RecommendationKind, RecommendationState

PAGE = 50


def _when(raw: str | None) -> datetime | None:
    return parse_datetime(raw) if raw else None


def _date(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "SHORT_DATE_FORMAT")


def _days_since(moment: datetime, now: datetime) -> int:
    return max(0, (now - moment).days)


def recommendation_reason(row: AdvisorRecommendation, *, now: datetime | None = None) -> str:
    """Why the recommendation was made, in plain words."""
    now = now or timezone.now()
    facts = row.facts
    kind = row.kind
    if kind == RecommendationKind.NO_CONTACT:
        last = _when(facts.get("last"))
        if last is None:
            return _("No contact recorded since they became a client.")
        days = _days_since(last, now)
        return ngettext(
            "No contact in {days} day (last on {date}).", "No contact in {days} days (last on {date}).", days
        ).format(days=days, date=_date(last))
    if kind == RecommendationKind.CHECK_IN_OVERDUE:
        at = _when(facts.get("at")) or now
        return _("The check-in “{name}” of {date} was not held.").format(name=facts.get("name", ""), date=_date(at))
    if kind == RecommendationKind.DEPENDENCY_LATE:
        due = _when(facts.get("due")) or now
        days = _days_since(due, now)
        return ngettext(
            "{contact} owes us “{what}”, due {date}: {days} day late.",
            "{contact} owes us “{what}”, due {date}: {days} days late.",
            days,
        ).format(
            contact=facts.get("contact") or _("The client"), what=facts.get("what", ""), date=_date(due), days=days
        )
    if kind == RecommendationKind.NEW_TICKET:
        return _("New ticket #{number}: {subject}").format(number=facts.get("number"), subject=facts.get("subject", ""))
    if kind == RecommendationKind.SPEND_DROP:
        return _(
            "Spend fell by {percent}%: {recent} {currency} in the last {days} days, against {previous} {currency} "
            "the {days} days before."
        ).format(
            percent=facts.get("percent"),
            days=facts.get("days"),
            recent=facts.get("recent"),
            previous=facts.get("previous"),
            currency=facts.get("currency", ""),
        )
    if kind in (RecommendationKind.RENEWAL_NEAR, RecommendationKind.GOAL_NEAR):
        day = parse_date(facts.get("date") or "") or now.date()
        when = date_format(day, "SHORT_DATE_FORMAT")
        days = max(0, (day - timezone.localdate(now)).days)
        if kind == RecommendationKind.RENEWAL_NEAR:
            return ngettext(
                "“{service}” renews on {date}, in {days} day.", "“{service}” renews on {date}, in {days} days.", days
            ).format(service=facts.get("service", ""), date=when, days=days)
        return ngettext(
            "Their goal “{goal}” is due on {date}, in {days} day.",
            "Their goal “{goal}” is due on {date}, in {days} days.",
            days,
        ).format(goal=facts.get("goal", ""), date=when, days=days)
    return ""


@dataclass(frozen=True)
class RecommendationPage:
    rows: list[AdvisorRecommendation]
    next_cursor: int | None


def recommendations_open(*, advisor: Any, before: int | None = None, size: int = PAGE) -> RecommendationPage:
    """The advisor's open recommendations, newest first, each with `.reason`: one query. The caller checked access
    (`selectors_portfolio.access_portfolio`)."""
    rows = AdvisorRecommendation.objects.filter(advisor_id=advisor.pk, state=RecommendationState.OPEN)
    if before is not None:
        rows = rows.filter(pk__lt=before)
    found = list(rows.select_related("account").order_by("-id")[: size + 1])
    now = timezone.now()
    for row in found:
        row.reason = recommendation_reason(row, now=now)  # type: ignore[attr-defined]
    page = found[:size]
    return RecommendationPage(rows=page, next_cursor=page[-1].pk if len(found) > size else None)
