"""Where the survey figures come from: the feedback app registers a provider from its `ready()`.

The scorecards define CSAT, its response rate and NPS (the formulas are here and in docs/metrics.md); the provider
only counts answers over the filters. Until one is registered those figures have no data (None), never 0.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Protocol

from carefront.insights.metrics.definitions import MetricFilters


@dataclass(frozen=True)
class SurveyCounts:
    """The survey answers received in a period and the invitations sent in it, as the formulas need them."""

    csat_invitations: int = 0  # sent in the period
    csat_answers: int = 0  # answers to those invitations
    csat_satisfied: int = 0  # answers of 4 or 5 on the 1–5 scale
    nps_answers: int = 0
    nps_promoters: int = 0  # 9 or 10
    nps_detractors: int = 0  # 0 to 6

    def __post_init__(self) -> None:
        if min(vars(self).values()) < 0:
            raise ValueError("Survey counts cannot be negative.")
        if (
            self.csat_satisfied > self.csat_answers
            or self.csat_answers > self.csat_invitations
            or self.nps_promoters + self.nps_detractors > self.nps_answers
        ):
            raise ValueError("A part of the survey answers cannot outnumber them.")


class SurveyProvider(Protocol):
    """Counts the answers for the filters: the CSAT ones (the service scorecard), the NPS ones (the relationship
    scorecard) or both; the counts not asked for are left at 0 (one query less each)."""

    def __call__(self, filters: MetricFilters, *, csat: bool = True, nps: bool = True) -> SurveyCounts: ...


_PROVIDERS: dict[str, SurveyProvider] = {}


def survey_provider_register(provider: SurveyProvider, *, name: str = "feedback") -> None:
    """Register (or replace) the provider of survey counts; one is used, the last registered under `name`."""
    _PROVIDERS[name] = provider


def survey_provider_unregister(*, name: str = "feedback") -> None:
    _PROVIDERS.pop(name, None)


def survey_counts(filters: MetricFilters, *, csat: bool = True, nps: bool = True) -> SurveyCounts | None:
    """The registered provider's counts (CSAT, NPS or both), or None while no app provides surveys."""
    provider = next(reversed(_PROVIDERS.values()), None) if _PROVIDERS else None
    return provider(filters, csat=csat, nps=nps) if provider is not None else None


# The same counts by bucket for the trend series: given the filters and a function that turns a datetime column's
# name into the SQL expression of its bucket, the counts of each bucket that has any (in a constant number of
# queries). CSAT is grouped by the invitation's sending time, NPS by the answer's time, as the scorecard counts them.
SurveySeriesProvider = Callable[[MetricFilters, Callable[[str], Any]], dict[Hashable, SurveyCounts]]

_SERIES_PROVIDERS: dict[str, SurveySeriesProvider] = {}


def survey_series_provider_register(provider: SurveySeriesProvider, *, name: str = "feedback") -> None:
    """Register (or replace) the provider of survey counts by bucket."""
    _SERIES_PROVIDERS[name] = provider


def survey_series_provider_unregister(*, name: str = "feedback") -> None:
    _SERIES_PROVIDERS.pop(name, None)


def survey_counts_by(filters: MetricFilters, bucket_of: Callable[[str], Any]) -> dict[Hashable, SurveyCounts] | None:
    """The registered series provider's counts by bucket, or None while no app provides surveys."""
    provider = next(reversed(_SERIES_PROVIDERS.values()), None) if _SERIES_PROVIDERS else None
    return provider(filters, bucket_of) if provider is not None else None
