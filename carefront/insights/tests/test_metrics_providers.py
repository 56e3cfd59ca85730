"""NPS comes from a provider the feedback app registers; until one is, it has no data. CSAT and its response rate are
counted from the ticket facts' CSAT invitations (test_metrics_facts.py), whatever provider is registered."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from carefront.insights.metrics.definitions import MetricFilters, metric_filters_build
from carefront.insights.metrics.providers import SurveyCounts, survey_provider_register, survey_provider_unregister
from carefront.insights.metrics.relationship import relationship_scorecard
from carefront.insights.metrics.service import service_scorecard

pytestmark = pytest.mark.django_db


@pytest.fixture
def asked() -> Iterator[list[MetricFilters]]:
    """A provider that counts 10 CSAT invitations, 4 answers (3 of them 4 or 5) and 5 NPS answers (3 promoters,
    1 detractor), and remembers the filters it was asked for."""
    calls: list[MetricFilters] = []

    def provider(filters: MetricFilters, *, csat: bool = True, nps: bool = True) -> SurveyCounts:
        calls.append(filters)
        return SurveyCounts(
            csat_invitations=10, csat_answers=4, csat_satisfied=3, nps_answers=5, nps_promoters=3, nps_detractors=1
        )

    survey_provider_register(provider, name="test")
    yield calls
    survey_provider_unregister(name="test")


def _figures(morgan: Any, **filters: Any) -> dict[str, Any]:
    built = metric_filters_build(start=date(2026, 11, 1), end=date(2026, 11, 30), **filters)
    figures = [*service_scorecard(filters=built), *relationship_scorecard(filters=built, user=morgan)]
    return {item.name: item for item in figures}


def test_without_a_provider_the_survey_figures_have_no_data(morgan: Any) -> None:
    figures = _figures(morgan)
    for name in ("csat", "csat_response_rate", "nps"):
        assert (figures[name].value, figures[name].count) == (None, 0)


def test_a_registered_providers_counts_go_through_the_formulas(morgan: Any, asked: list[MetricFilters]) -> None:
    figures = _figures(morgan, service_model="client")
    assert (figures["nps"].value, figures["nps"].count) == (40.0, 5)
    # No CSAT invitation was sent: the provider's CSAT counts are not the scorecard's.
    assert (figures["csat"].value, figures["csat"].count) == (None, 0)
    assert (figures["csat_response_rate"].value, figures["csat_response_rate"].count) == (None, 0)
    assert {filters.service_model for filters in asked} == {"client"}


def test_survey_counts_refuse_parts_larger_than_the_whole() -> None:
    with pytest.raises(ValueError, match="outnumber"):
        SurveyCounts(csat_invitations=5, csat_answers=2, csat_satisfied=3)
    with pytest.raises(ValueError, match="outnumber"):
        SurveyCounts(csat_invitations=1, csat_answers=2)
    with pytest.raises(ValueError, match="negative"):
        SurveyCounts(nps_answers=-1)
