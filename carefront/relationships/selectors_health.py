"""Reads of the health scores shaped for the portfolio, the account page and the API: many accounts' scores in one
query, one account's score with each signal's part explained in the reader's language, and its history."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from carefront.relationships.health_signals import SIGNALS, health_signals
from carefront.relationships.models import AccountHealth, HealthBand, HealthSettings, HealthSnapshot
from carefront.relationships.services_health import HISTORY_DAYS, health_settings

CHART_POINTS = HISTORY_DAYS + 2


@dataclass(frozen=True)
class HealthSummary:
    """An account's current score and band (None and "" until first computed, or with no signal to go by)."""

    account_id: int
    score: int | None
    band: str
    computed_at: datetime | None
    stale: bool

    @property
    def band_label(self) -> str:
        return str(HealthBand(self.band).label) if self.band else _("No score")


def health_for_accounts(account_ids: Iterable[int]) -> dict[int, HealthSummary]:
    """Many accounts' scores in one query (the portfolio shows and sorts by them); an account not yet scored is
    missing from the result. The caller has checked the user may see these accounts.

    A queryset of accounts can also sort by `health__score` itself (the row is the account's `health`).
    """
    rows = AccountHealth.objects.filter(account_id__in=list(account_ids)).values_list(
        "account_id", "score", "band", "computed_at", "changes", "computed_changes"
    )
    return {
        account_id: HealthSummary(account_id, score, band, computed_at, changes > computed)
        for account_id, score, band, computed_at, changes, computed in rows
    }


@dataclass(frozen=True)
class Contribution:
    """One signal's part in a score, as shown next to it."""

    key: str
    label: str
    value: float | None
    weight: float
    share: float
    points: float
    explanation: str

    @property
    def counted(self) -> bool:
        return self.value is not None and self.share > 0

    @property
    def percent(self) -> int | None:
        return None if self.value is None else round(100 * self.value)

    @property
    def max_points(self) -> float:
        return round(100 * self.share, 1)


def contributions_read(stored: list[dict[str, Any]]) -> list[Contribution]:
    """The stored contributions with their labels and explanations in the current language."""
    rows = []
    for item in stored:
        signal = SIGNALS.get(item["key"])
        rows.append(
            Contribution(
                key=item["key"],
                label=str(signal.label) if signal else item["key"],
                value=item["value"],
                weight=item["weight"],
                share=item.get("share", 0.0),
                points=item["points"],
                explanation=signal.explain(item["facts"]) if signal else "",
            )
        )
    return rows


@dataclass(frozen=True)
class HealthCard:
    """What the account page shows of a client's health: the score, the parts, the history chart's data."""

    summary: HealthSummary
    contributions: list[Contribution]
    history: list[HealthSnapshot]
    settings: HealthSettings

    @property
    def chart(self) -> dict[str, Any]:
        """The chart's data for json_script: one point per change, and today's score at the end."""
        points = [(snapshot.day.isoformat(), snapshot.score) for snapshot in self.history]
        today = timezone.localdate().isoformat()
        if self.summary.score is not None and (not points or points[-1][0] < today):
            points.append((today, self.summary.score))
        return {
            "label": _("Health score"),
            "labels": [day for day, _score in points],
            "scores": [score for _day, score in points],
            "red_below": self.settings.red_below,
            "amber_below": self.settings.amber_below,
        }


def health_history(*, account_id: int, since: date | None = None, limit: int = CHART_POINTS) -> list[HealthSnapshot]:
    """The account's scores on the days they changed, oldest first, at most `limit` (the newest)."""
    rows = HealthSnapshot.objects.filter(account_id=account_id)
    if since is not None:
        rows = rows.filter(day__gte=since)
    newest = list(rows.order_by("-day")[:limit])
    return newest[::-1]


def account_health(*, account_id: int) -> HealthCard:
    """One client's health for its page, in three queries (score, history, settings). The caller checked access."""
    row = AccountHealth.objects.filter(account_id=account_id).first()
    if row is None:
        summary = HealthSummary(account_id, None, "", None, True)
        contributions: list[Contribution] = []
    else:
        stale = row.changes > row.computed_changes
        summary = HealthSummary(account_id, row.score, row.band, row.computed_at, stale)
        contributions = contributions_read(row.contributions)
    return HealthCard(
        summary=summary,
        contributions=contributions,
        history=health_history(account_id=account_id),
        settings=health_settings(),
    )


@dataclass(frozen=True)
class SignalSetting:
    """A signal as the settings show it: its weight and window now, and its defaults."""

    key: str
    label: str
    weight: float
    window: int | None
    default_weight: float
    default_window: int | None


def health_signal_settings(row: HealthSettings | None = None) -> list[SignalSetting]:
    row = row or health_settings()
    return [
        SignalSetting(
            key=signal.key,
            label=str(signal.label),
            weight=float((row.weights or {}).get(signal.key, signal.default_weight)),
            window=int((row.windows or {}).get(signal.key, signal.default_window)) if signal.default_window else None,
            default_weight=signal.default_weight,
            default_window=signal.default_window,
        )
        for signal in health_signals()
    ]
