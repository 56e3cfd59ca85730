# ruff: noqa: F811  (the hand-made datasets are the metrics tests' fixtures, imported by name)
"""The drill-down lists exactly the rows a figure counts: on the hand-made week of tickets (test_metrics_service)
and book of accounts (test_metrics_relationship), for every figure and every row of its breakdowns, the rows listed
(or the sum of their weights, where a row stands for several) equal the figure's count."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from carefront.core.exceptions import ApplicationError
from carefront.feedback.services import survey_create
from carefront.insights.metrics.definitions import Figure, metric_filters_build
from carefront.insights.metrics.drilldown import DRILLABLE, Drill, drill_build, drill_page
from carefront.insights.metrics.relationship import relationship_scorecard
from carefront.insights.metrics.service import service_scorecard
from carefront.insights.tests.answers import answer
from carefront.insights.tests.test_metrics_service import at, clock, week  # noqa: F401

pytestmark = pytest.mark.django_db


def counted(drill: Drill, user: Any = None) -> int:
    rows, _cursor = drill_page(drill, before=None, size=1000)
    if drill.weight is None:
        return len(rows)
    return sum(getattr(row, drill.weight) for row in rows)


def check_every_figure(figures: list[Figure], filters: Any, user: Any = None) -> int:
    checked = 0
    for item in figures:
        if item.name not in DRILLABLE:
            continue
        assert counted(drill_build(name=item.name, filters=filters, user=user)) == item.count, item.name
        checked += 1
        for dimension, parts in item.breakdowns.items():
            for part in parts:
                drill = drill_build(name=item.name, filters=filters, part=f"{dimension}:{part.key}", user=user)
                assert counted(drill) == part.count, (item.name, dimension, part.key)
    return checked


def test_every_service_figures_rows_add_up_to_its_count(week: Any) -> None:
    filters = metric_filters_build(start=date(2026, 11, 30), end=date(2026, 12, 13))
    figures = service_scorecard(filters=filters)
    drillable = [item for item in figures if item.name in DRILLABLE]
    # Every figure but the knowledge base's deflections, which belong to no ticket.
    assert {item.name for item in figures} - {item.name for item in drillable} == {
        "kb_deflections",
        "kb_deflection_rate",
    }
    assert check_every_figure(figures, filters) == len(drillable)


def test_the_survey_figures_list_their_answers_and_invitations(week: Any, clock: Any, morgan: Any, alice: Any) -> None:
    """GIVEN three CSAT invitations on the week's tickets (answered 5 and 2, one unanswered) and two NPS answers
    THEN CSAT lists the two answers (one satisfied), its response rate the three invitations (two answered), NPS
    its two answers."""
    csat = survey_create(actor=morgan, kind="csat", name="CSAT")
    nps = survey_create(actor=morgan, kind="nps", name="NPS")
    acme = week["A"].account
    for name, score in (("A", 5), ("B", 2), ("C", None)):
        answer(survey=csat, account=acme, at=at(7, 12), score=score, ticket=week[name], agent=alice)
    for score in (10, 3):
        answer(survey=nps, account=acme, at=at(7, 12), score=score)
    filters = metric_filters_build(start=date(2026, 11, 30), end=date(2026, 12, 13))
    service = {item.name: item for item in service_scorecard(filters=filters)}
    rows, _cursor = drill_page(drill_build(name="csat", filters=filters), before=None, size=50)
    assert len(rows) == service["csat"].count == 2
    assert sorted(row.marker for row in rows) == [False, True]
    invited, _cursor = drill_page(drill_build(name="csat_response_rate", filters=filters), before=None, size=50)
    assert len(invited) == service["csat_response_rate"].count == 3
    assert sum(row.marker for row in invited) == 2
    relationship = {item.name: item for item in relationship_scorecard(filters=filters, user=morgan)}
    answers, _cursor = drill_page(drill_build(name="nps", filters=filters), before=None, size=50)
    assert len(answers) == relationship["nps"].count == 2


def test_a_keyset_page_moves_on_without_repeating_a_row(week: Any) -> None:
    filters = metric_filters_build(start=date(2026, 11, 30), end=date(2026, 12, 13))
    drill = drill_build(name="ticket_volume", filters=filters)
    first, cursor = drill_page(drill, before=None, size=3)
    second, last = drill_page(drill, before=cursor, size=3)
    assert (len(first), len(second), last) == (3, 2, None)
    assert {row.subject for row in first + second} == {"A", "B", "C", "D", "F"}


def test_the_tickets_behind_the_resolution_rate_are_marked_solved_before_the_end(week: Any) -> None:
    filters = metric_filters_build(start=date(2026, 11, 30), end=date(2026, 12, 13))
    rows, _cursor = drill_page(drill_build(name="resolution_rate", filters=filters), before=None, size=50)
    assert {row.subject: row.marker for row in rows} == {"A": True, "B": True, "C": True, "D": True, "F": False}
    backlog, _cursor = drill_page(drill_build(name="backlog", filters=filters), before=None, size=50)
    assert [(row.subject, row.measure) for row in backlog] == [("F", (10 * 24 + 15) * 3600)]


def test_an_unknown_breakdown_row_or_figure_is_refused(week: Any) -> None:
    filters = metric_filters_build(start=date(2026, 11, 30), end=date(2026, 12, 13))
    with pytest.raises(ApplicationError) as refused:
        drill_build(name="ticket_volume", filters=filters, part="colour:blue")
    assert (refused.value.status, refused.value.field) == (422, "part")
    with pytest.raises(ApplicationError) as missing:
        drill_build(name="kb_deflections", filters=filters)
    assert missing.value.status == 404


def test_a_page_costs_one_query_whatever_its_size(week: Any, django_assert_max_num_queries: Any) -> None:
    filters = metric_filters_build(start=date(2026, 11, 30), end=date(2026, 12, 13))
    for name in ("sla_achievement", "reopen_rate", "escalation_rate", "first_response_time_business_median"):
        with django_assert_max_num_queries(1):
            drill_page(drill_build(name=name, filters=filters), before=None, size=50)
