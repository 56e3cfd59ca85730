# ruff: noqa: F811  (the hand-made week of tickets is the metrics tests' fixture, imported by name)
"""The dashboards' screens: both scorecards with the previous period, filters checked by a form, access per role,
the drill-down from a number to its tickets, and the CSV files; on the hand-made week of test_metrics_service."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from carefront.insights.tests.test_metrics_service import clock, week  # noqa: F401

pytestmark = pytest.mark.django_db

WEEK = {"period": "custom", "start": "2026-11-30", "end": "2026-12-13"}
SCORECARDS = reverse("web:insights-scorecards")


def drill(name: str) -> str:
    return reverse("web:insights-scorecards-drill", args=[name])


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_manager_sees_both_scorecards_with_the_previous_period(
    week: Any, morgan: Any, django_assert_max_num_queries: Any
) -> None:
    client = signed_in(morgan)
    # Both scorecards over both periods (the service one at most 17 with the ticket facts built from the tickets, as
    # nothing is stored yet; the relationship one a dozen a period), the session and the form's choices; the agents'
    # and advisors' cards come after, in a request of their own.
    with django_assert_max_num_queries(50):
        response = client.get(SCORECARDS, WEEK)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Service scorecard" in page and "Relationship scorecard" in page
    # The previous period is the 14 days before.
    assert "Nov. 16, 2026" in page
    figures = {line.current.name: line for card in response.context["cards"] for line in card.lines}
    assert figures["ticket_volume"].current.value == 5
    assert figures["ticket_volume"].previous.value == 0
    assert figures["ticket_volume"].previous.count == 0
    assert figures["resolution_rate"].previous.value is None
    # Every number links to its rows, with the period pinned to its days.
    assert f'href="{drill("backlog")}?period=custom&amp;start=2026-11-30&amp;end=2026-12-13"' in page
    assert "part=tier%3AL2" in page
    assert reverse("web:insights-scorecards-table-csv", args=["ticket_volume", "channel"]) in page
    assert "no data" in page


def test_the_query_count_does_not_grow_with_the_tickets(week: Any, morgan: Any, carol: Any, alice: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from carefront.desk.services import ticket_create

    client = signed_in(morgan)
    with CaptureQueriesContext(connection) as before:
        client.get(SCORECARDS, WEEK)
    for number in range(5):
        ticket_create(actor=None, requester=carol, subject=f"More {number}", body="Help.", assignee=alice)
    with CaptureQueriesContext(connection) as after:
        client.get(SCORECARDS, WEEK)
    assert len(after) == len(before)


def test_an_agent_sees_the_service_scorecard_of_their_own_tickets(week: Any, alice: Any, bob: Any) -> None:
    response = signed_in(alice).get(SCORECARDS, WEEK)
    assert response.status_code == 200
    [card] = response.context["cards"]
    assert card.name == "service"
    figures = {line.current.name: line.current for line in card.lines}
    assert figures["ticket_volume"].value == 2  # A and B
    assert "Relationship scorecard" not in response.content.decode()
    assert [pk for pk, _label in response.context["form"].fields["agent"].choices] == [alice.pk]
    refused = signed_in(alice).get(SCORECARDS, {**WEEK, "agent": bob.pk})
    assert refused.status_code == 422
    assert "Select a valid choice" in refused.content.decode()


def test_an_agent_may_not_open_the_relationship_rows(week: Any, alice: Any) -> None:
    assert signed_in(alice).get(drill("revenue"), WEEK).status_code == 403


def test_an_advisor_sees_both_scorecards_over_their_accounts(week: Any, dana: Any) -> None:
    response = signed_in(dana).get(SCORECARDS, WEEK)
    assert response.status_code == 200
    assert [card.name for card in response.context["cards"]] == ["service", "relationship"]
    figures = {line.current.name: line.current for line in response.context["cards"][0].lines}
    assert figures["ticket_volume"].value == 0  # Acme is nobody's client
    assert all(card.filters.advisor == dana.pk for card in response.context["cards"])


def test_portal_users_and_strangers_are_refused(week: Any, carol: Any, portal_user_for: Any) -> None:
    anonymous = Client().get(SCORECARDS, WEEK)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    assert signed_in(portal_user_for(carol)).get(SCORECARDS, WEEK).status_code == 403
    assert signed_in(portal_user_for(carol)).get(drill("backlog"), WEEK).status_code == 403
    assert Client().get(drill("backlog"), WEEK).status_code == 302


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"period": "custom", "start": "2026-12-01"}, "end", "A custom period needs its first and last day."),
        ({"period": "custom", "start": "2026-12-10", "end": "2026-12-01"}, "end", "The period must end after it"),
        ({"period": "custom", "start": "2020-01-01", "end": "2026-12-01"}, "end", "at most three years"),
        ({"period": "custom", "start": "yesterday", "end": "2026-12-01"}, "start", "Enter a valid date."),
        ({"period": "fortnight"}, "period", "Select a valid choice"),
        ({"tier": "9"}, "tier", "Select a valid choice"),
        ({"team": "x"}, "team", "Select a valid choice"),
    ],
)
def test_bad_filters_are_form_errors(week: Any, morgan: Any, query: dict[str, str], field: str, message: str) -> None:
    response = signed_in(morgan).get(SCORECARDS, query)
    assert response.status_code == 422
    assert message in " ".join(response.context["form"].errors[field])
    assert message in response.content.decode().replace("&#x27;", "'")


def test_a_preset_period_ends_today(week: Any, morgan: Any) -> None:
    response = signed_in(morgan).get(SCORECARDS, {"period": "7"})
    assert response.status_code == 200
    [service, _relationship] = response.context["cards"]
    assert (service.filters.start.date().isoformat(), service.filters.end.date().isoformat()) == (
        "2026-12-04",
        "2026-12-11",
    )


def test_a_team_filter_narrows_the_scorecards(week: Any, morgan: Any, front_line: Any) -> None:
    response = signed_in(morgan).get(SCORECARDS, {**WEEK, "team": front_line.pk})
    figures = {line.current.name: line.current for line in response.context["cards"][0].lines}
    assert figures["ticket_volume"].value == 0  # none of the week's tickets is the front line's
    assert "Team: Front line" in response.content.decode()
    rows = signed_in(morgan).get(drill("ticket_volume"), {**WEEK, "team": front_line.pk})
    assert rows.context["rows"] == []
    assert "Team: Front line" in rows.content.decode()


def test_without_filters_the_last_30_days_are_chosen_and_shown(week: Any, morgan: Any) -> None:
    form = signed_in(morgan).get(SCORECARDS).context["form"]
    assert (form["period"].value(), form["start"].value(), form["end"].value()) == ("30", "2026-11-11", "2026-12-10")


def test_the_backlog_number_lists_exactly_its_tickets(
    week: Any, morgan: Any, django_assert_max_num_queries: Any
) -> None:
    client = signed_in(morgan)
    with django_assert_max_num_queries(12):
        response = client.get(drill("backlog"), WEEK)
    assert response.status_code == 200
    assert [row.subject for row in response.context["rows"]] == ["F"]
    page = response.content.decode()
    assert reverse("web:ticket", args=[week["F"].number]) in page
    assert "10 days 15 hours" in page


def test_a_drill_down_page_costs_the_same_queries_whatever_its_rows(
    week: Any, morgan: Any, carol: Any, alice: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from carefront.desk.services import ticket_create

    client = signed_in(morgan)
    with CaptureQueriesContext(connection) as before:
        client.get(drill("ticket_volume"), WEEK)
    for number in range(6):
        ticket_create(actor=None, requester=carol, subject=f"More {number}", body="Help.", assignee=alice)
    with CaptureQueriesContext(connection) as after:
        response = client.get(drill("ticket_volume"), WEEK)
    assert len(response.context["rows"]) == 11
    assert len(after) == len(before)


def test_a_breakdown_row_and_the_next_page(week: Any, morgan: Any) -> None:
    client = signed_in(morgan)
    response = client.get(drill("ticket_volume"), {**WEEK, "part": "tier:L2"})
    assert [row.subject for row in response.context["rows"]] == ["F"]
    bad = client.get(drill("ticket_volume"), {**WEEK, "part": "colour:blue"})
    assert bad.status_code == 422
    assert "no such breakdown row" in bad.content.decode()
    assert client.get(drill("no_such_figure"), WEEK).status_code == 404
    assert client.get(drill("kb_deflections"), WEEK).status_code == 404


def test_the_drill_down_pages_by_keyset(week: Any, morgan: Any, monkeypatch: Any) -> None:
    from carefront.insights import views_scorecards

    monkeypatch.setattr(views_scorecards, "PAGE_SIZE", 2)
    client = signed_in(morgan)
    seen = []
    response = client.get(drill("ticket_volume"), WEEK)
    while True:
        seen += [row.subject for row in response.context["rows"]]
        if not response.context["older"]:
            break
        response = client.get(f"{drill('ticket_volume')}?{response.context['older']}")
    assert sorted(seen) == ["A", "B", "C", "D", "F"]


def rows_of(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode())))


def test_the_drill_downs_csv_has_every_row_unformatted(week: Any, morgan: Any) -> None:
    response = signed_in(morgan).get(reverse("web:insights-scorecards-drill-csv", args=["resolution_rate"]), WEEK)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="resolution_rate-2026-11-30-2026-12-14.csv"'
    header, *rows = rows_of(response)
    assert header[:2] == ["ticket", "subject"] and header[-1] == "marker"
    assert {row[1]: row[-1] for row in rows} == {"A": "true", "B": "true", "C": "true", "D": "true", "F": "false"}
    backlog = rows_of(signed_in(morgan).get(reverse("web:insights-scorecards-drill-csv", args=["backlog"]), WEEK))
    assert backlog[1][-1] == str(float((10 * 24 + 15) * 3600))


def test_a_breakdown_tables_csv(week: Any, morgan: Any, alice: Any) -> None:
    url = reverse("web:insights-scorecards-table-csv", args=["ticket_volume", "tier"])
    response = signed_in(morgan).get(url, WEEK)
    assert response["Content-Disposition"] == 'attachment; filename="ticket_volume-tier-2026-11-30-2026-12-14.csv"'
    assert rows_of(response) == [["tier", "value", "count"], ["L1", "4", "4"], ["L2", "1", "1"]]
    mine = rows_of(signed_in(alice).get(url, WEEK))
    assert mine == [["tier", "value", "count"], ["L1", "2", "2"]]  # an agent's own tickets only
    missing = reverse("web:insights-scorecards-table-csv", args=["ticket_volume", "colour"])
    assert signed_in(morgan).get(missing, WEEK).status_code == 404
    bad = signed_in(morgan).get(url, {"period": "custom"})
    assert bad.status_code == 422


def test_the_insights_page_links_to_the_scorecards(morgan: Any) -> None:
    assert SCORECARDS in signed_in(morgan).get(reverse("web:insights")).content.decode()


def test_a_subject_a_spreadsheet_would_run_is_quoted_in_the_csv(week: Any, morgan: Any, carol: Any) -> None:
    from carefront.desk.services import ticket_create

    ticket_create(actor=None, requester=carol, subject='=HYPERLINK("http://x.example")', body="Hi.")
    url = reverse("web:insights-scorecards-drill-csv", args=["ticket_volume"])
    rows = rows_of(signed_in(morgan).get(url, WEEK))
    assert '\'=HYPERLINK("http://x.example")' in [row[1] for row in rows]


def test_an_agents_drill_down_lists_only_their_own_tickets(week: Any, alice: Any, bob: Any) -> None:
    response = signed_in(alice).get(drill("ticket_volume"), WEEK)
    assert sorted(row.subject for row in response.context["rows"]) == ["A", "B"]
    assert signed_in(alice).get(drill("ticket_volume"), {**WEEK, "agent": bob.pk}).status_code == 422


def test_figures_read_as_people_say_them() -> None:
    from decimal import Decimal

    from carefront.insights.templatetags.insights_scorecards import value_text

    assert value_text(None, "seconds") == "no data"
    assert value_text(3600 * 27 + 60, "seconds") == "1 day 3 hours"
    assert value_text(4500, "seconds") == "1 hour 15 minutes"
    assert value_text(42, "seconds") == "42 seconds"
    assert value_text(80.0, "percent") == "80.0 %"
    assert value_text(200 / 3, "percent") == "66.7 %"  # rounded, not cut off
    assert value_text(-100 / 3, "points") == "-33.3"
    assert value_text(Decimal("1234.5"), "money", "EUR") == "1,234.50 EUR"
    assert value_text(12.5, "points") == "+12.5"
    assert value_text(1200, "count") == "1,200"
