"""The client health signal of survey scores (`health_signal_register`, from `FeedbackConfig.ready()`).

Each response of the window counts on one 0–1 scale: NPS score ÷ 10, CSAT and custom (score − 1) ÷ 4, CES
(score − 1) ÷ 6; the signal is their mean, None (left out of the score) when the client answered nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Avg, Count, Q
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carefront.feedback.models import Response, SurveyKind
from carefront.relationships.health_signals import HealthConfig, Reading, Signal, health_signal_register

KEY = "surveys"


def _read(ids: Sequence[int], config: HealthConfig, now: datetime) -> dict[int, Reading]:
    days = config.window(KEY)
    rows = (
        Response.objects.filter(account_id__in=ids, created_at__gte=now - timedelta(days=days), created_at__lt=now)
        .order_by()
        .values("account_id")
        .annotate(
            nps=Avg("score", filter=Q(kind=SurveyKind.NPS)),
            nps_count=Count("pk", filter=Q(kind=SurveyKind.NPS)),
            satisfaction=Avg("score", filter=Q(kind__in=[SurveyKind.CSAT, SurveyKind.CUSTOM])),
            satisfaction_count=Count("pk", filter=Q(kind__in=[SurveyKind.CSAT, SurveyKind.CUSTOM])),
            effort=Avg("score", filter=Q(kind=SurveyKind.CES)),
            effort_count=Count("pk", filter=Q(kind=SurveyKind.CES)),
        )
    )
    found: dict[int, dict[str, Any]] = {row["account_id"]: dict(row) for row in rows}
    readings = {}
    for account_id in ids:
        row = found.get(account_id) or {}
        total = 0.0
        count = 0
        for average, size, low, span in (("nps", "nps_count", 0, 10), ("satisfaction", "satisfaction_count", 1, 4)):
            if row.get(size):
                total += (float(row[average]) - low) / span * row[size]
                count += row[size]
        if row.get("effort_count"):
            total += (float(row["effort"]) - 1) / 6 * row["effort_count"]
            count += row["effort_count"]
        facts = {
            "days": days,
            "responses": count,
            "nps_average": round(float(row["nps"]), 1) if row.get("nps_count") else None,
            "csat_average": round(float(row["satisfaction"]), 1) if row.get("satisfaction_count") else None,
        }
        readings[account_id] = Reading(total / count if count else None, facts)
    return readings


def _explain(facts: dict[str, Any]) -> str:
    if not facts["responses"]:
        return _("No survey answered in the last {days} days: left out of the score.").format(days=facts["days"])
    parts = [_("{count} survey answers in the last {days} days.").format(count=facts["responses"], days=facts["days"])]
    if facts.get("nps_average") is not None:
        parts.append(_("Average NPS score {score} of 10.").format(score=number_format(facts["nps_average"], 1)))
    if facts.get("csat_average") is not None:
        parts.append(_("Average CSAT score {score} of 5.").format(score=number_format(facts["csat_average"], 1)))
    return " ".join(parts)


def register() -> None:
    health_signal_register(Signal(KEY, gettext_lazy("Survey scores"), 2, 180, _read, _explain))
