# ruff: noqa: F811  (the hand-made datasets are the metrics tests' fixtures, imported by name)
"""The relationship figures' drill-down lists exactly the accounts each figure counts, on the hand-made book of
accounts of test_metrics_relationship (November 2026)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from carefront.insights.metrics.definitions import metric_filters_build
from carefront.insights.metrics.drilldown import drill_build, drill_page
from carefront.insights.metrics.relationship import relationship_scorecard
from carefront.insights.tests.test_drilldown import check_every_figure
from carefront.insights.tests.test_metrics_relationship import book, clock  # noqa: F401

pytestmark = pytest.mark.django_db


def test_every_relationship_figures_accounts_add_up_to_its_count(book: Any, clock: Any, morgan: Any) -> None:
    clock.move_to(date(2026, 12, 20).isoformat())
    filters = metric_filters_build(start=date(2026, 11, 1), end=date(2026, 11, 30))
    figures = relationship_scorecard(filters=filters, user=morgan)
    assert check_every_figure(figures, filters, user=morgan) == len(figures)


def test_the_clients_behind_retention_are_marked_churned(book: Any, clock: Any, morgan: Any) -> None:
    """S holds C1 and C2 (C3 churned before the period, C4 signed in it); C2 churned in November."""
    filters = metric_filters_build(start=date(2026, 11, 1), end=date(2026, 11, 30))
    rows, _cursor = drill_page(drill_build(name="retention_rate_clients", filters=filters), before=None, size=50)
    assert {row.name: row.marker for row in rows} == {"C1": False, "C2": True}
