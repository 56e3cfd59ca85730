"""One figure by its name: the scorecard it belongs to, computed over the filters, and that figure picked out, so a
goal and the scorecards never compute a figure two ways."""

from __future__ import annotations

from typing import Any

from carefront.insights.metrics.definitions import DEFINITIONS, SERVICE, Figure, MetricFilters


def figure_measure(*, name: str, filters: MetricFilters, user: Any) -> Figure:
    """The figure `name` over the filters (`user` decides which commitments the relationship scorecard counts)."""
    from carefront.insights.metrics.relationship import relationship_scorecard
    from carefront.insights.metrics.service import service_scorecard

    if DEFINITIONS[name].scorecard == SERVICE:
        figures = service_scorecard(filters=filters)
    else:
        figures = relationship_scorecard(filters=filters, user=user)
    return next(item for item in figures if item.name == name)
