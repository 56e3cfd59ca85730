"""Ticket facts by day (insights/metrics/facts.py) are a cache: what the scorecard reads from them is always what it
would compute from the raw rows, however old the tickets that changed since the days were stored.

The tickets are the hand-made week of test_metrics_service.py.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date
from typing import Any

import numpy as np
import pytest
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection, models
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from carefront.core.search_index import search_index_ensure
from carefront.desk.models import Message, Ticket
from carefront.desk.services import ticket_assign, ticket_change_priority, ticket_escalate, ticket_reply
from carefront.insights.fact_triggers import fact_triggers_ensure
from carefront.insights.metrics.definitions import metric_filters_build
from carefront.insights.metrics.facts import (
    FACTS,
    FAMILIES,
    IdSet,
    facts_build,
    facts_cache_clear,
    family_facts,
    midnight,
    unpacked,
)
from carefront.insights.metrics.service import service_scorecard, service_scorecards
from carefront.insights.models import FactChange, TicketFactDay
from carefront.insights.services_facts import fact_changes_compact, fact_days_refresh, fact_days_refresh_all
from carefront.insights.tasks import store_ticket_facts
from carefront.insights.tests import test_metrics_service as hand_made
from carefront.insights.tests.test_metrics_service import at, card

pytestmark = pytest.mark.django_db

# The hand-made week's fixtures, used here under the same names.
clock = hand_made.clock
week = hand_made.week


def _from_raw_rows() -> dict[str, Any]:
    """The scorecard with nothing stored: every day's facts built from the tickets."""
    return _from_raw_rows_with()


def _from_raw_rows_with(**filters: Any) -> dict[str, Any]:
    TicketFactDay.objects.all().delete()
    return card(**filters)


def test_stored_days_stay_equal_to_the_raw_rows_when_old_tickets_change(
    week: dict[str, Ticket], clock: Any, alice: Any, bob: Any, carol: Any, morgan: Any
) -> None:
    """GIVEN every day of the week stored
    WHEN, days later, an old solved ticket is reopened and answered, another is reassigned, the one in the backlog is
    answered and solved, and an old one gets a staff reply and is escalated
    THEN the scorecard read over the stored days equals the one recomputed from the raw rows, and differs from
    before the changes (so the stored days were not used as they were)."""
    fact_days_refresh_all()
    before = card()
    clock.move_to(at(11, 9))
    ticket_reply(ticket=week["A"], contact=carol, body="It broke again.")
    clock.move_to(at(11, 9, 30))
    ticket_reply(ticket=week["A"], staff=alice, body="Looking again.", email_requester=False)
    ticket_assign(ticket=week["C"], actor=morgan, assignee=alice)
    ticket_reply(ticket=week["F"], staff=bob, body="Done at last.", status="solved", email_requester=False)
    ticket_reply(ticket=week["B"], staff=alice, body="One more thing.", email_requester=False)
    ticket_escalate(ticket=week["B"], actor=morgan, tier=3, reason="Needs the engineers.", notify_team=False)

    over_stored_days = card()
    assert over_stored_days == _from_raw_rows()
    # One figure at least for each family of facts (A reopened and F solved leave the backlog and the solves at the
    # same counts).
    changed = (
        "first_response_time_calendar_p90",
        "resolution_time_calendar_median",
        "reopen_rate",
        "next_response_time_calendar_p90",
        "sla_achievement",
        "escalation_rate",
    )
    assert [name for name in changed if over_stored_days[name] == before[name]] == []


def _days(ticket: Ticket) -> set[date]:
    """The UTC days of a ticket's creation, first response and last solve: those its writes mark."""
    ticket.refresh_from_db()
    moments = (ticket.created_at, ticket.first_responded_at, ticket.solved_at)
    return {moment.astimezone(UTC).date() for moment in moments if moment is not None}


def test_refreshing_stores_only_the_days_whose_tickets_changed(week: dict[str, Ticket], clock: Any, alice: Any) -> None:
    first = fact_days_refresh(family="created")
    stored = set(TicketFactDay.objects.filter(family="created", span="day").values_list("day", flat=True))
    assert stored >= {date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3), date(2026, 12, 4)}
    # November has ended: it is stored whole too; December, still running, is not.
    assert first == {"stored": len(stored), "dropped": 0, "months": 1}
    assert fact_days_refresh(family="created") == {"stored": 0, "dropped": 0, "months": 0}
    clock.move_to(at(11, 9))
    ticket_change_priority(ticket=week["C"], actor=alice, priority="high")  # created 1 Dec
    assert fact_days_refresh(family="created") == {"stored": len(_days(week["C"])), "dropped": 0, "months": 0}
    day = TicketFactDay.objects.get(family="created", span="day", day=date(2026, 12, 1))
    assert unpacked(bytes(day.facts), FACTS)["id"].tolist() == [week["C"].pk]


def test_a_stored_day_is_read_while_its_signature_matches_and_rebuilt_once_it_does_not(
    week: dict[str, Ticket], clock: Any, alice: Any
) -> None:
    """A stored day is trusted only while its tickets' signature is unchanged: emptied behind the scorecard's back it
    is read as the process kept it, then as stored (the caches are really used), and rebuilt from the tickets as soon
    as one of them changes."""
    fact_days_refresh_all()
    assert card()["ticket_volume"].value == 5
    TicketFactDay.objects.filter(family="created", span="day", day=date(2026, 12, 1)).update(
        facts=np.zeros(0, dtype=FACTS).tobytes()
    )
    assert card()["ticket_volume"].value == 5  # the process's copy
    facts_cache_clear()
    assert card()["ticket_volume"].value == 4  # the stored day
    clock.move_to(at(11, 9))
    ticket_change_priority(ticket=week["C"], actor=alice, priority="high")
    assert card()["ticket_volume"].value == 5


def test_a_day_left_without_tickets_is_stored_empty(week: dict[str, Ticket], clock: Any, carol: Any) -> None:
    fact_days_refresh_all()
    assert TicketFactDay.objects.filter(family="solved", span="day", day=date(2026, 11, 30)).exists()
    clock.move_to(at(11, 9))
    ticket_reply(ticket=week["A"], contact=carol, body="It broke again.")  # A, solved on 30 Nov, is open again
    assert fact_days_refresh(family="solved")["stored"] >= 1
    emptied = TicketFactDay.objects.get(family="solved", span="day", day=date(2026, 11, 30))
    assert unpacked(bytes(emptied.facts), FACTS)["id"].tolist() == []
    assert fact_days_refresh(family="open")["stored"] >= 1
    opened = TicketFactDay.objects.get(family="open", span="day", day=date(2026, 11, 30))
    assert week["A"].pk in unpacked(bytes(opened.facts), FACTS)["id"].tolist()


def test_a_write_that_bypasses_the_services_still_changes_the_figures(week: dict[str, Ticket], front_line: Any) -> None:
    """The marks come from database triggers: a bulk update that no service sees (no version bump, no event) still
    makes the stored days it touches stale."""
    fact_days_refresh_all()
    assert card(team=front_line.pk)["ticket_volume"].value != 5
    Ticket.objects.filter(pk__in=[ticket.pk for ticket in week.values()]).update(team=front_line)
    over_stored_days = card(team=front_line.pk)
    assert over_stored_days["ticket_volume"].value == 5
    assert over_stored_days == _from_raw_rows_with(team=front_line.pk)


def test_a_message_written_in_the_past_changes_the_next_response_times_after_it(
    week: dict[str, Ticket], clock: Any, alice: Any, carol: Any
) -> None:
    """A requester's message imported with an earlier time changes how long a later staff reply took to answer (from
    the requester's first message after the previous reply), on another day: its ticket's later replies are marked
    too."""
    clock.move_to(at(11, 9))
    ticket_reply(ticket=week["A"], staff=alice, body="A follow-up.", email_requester=False)
    fact_days_refresh_all()
    before = card()
    Message.objects.create(
        ticket=week["A"],
        account=week["A"].account,
        author_contact=carol,
        visibility="public",
        body_text="One more question.",
        created_at=at(30, 23),
    )
    over_stored_days = card()
    assert over_stored_days == _from_raw_rows()
    answered = over_stored_days["next_response_time_calendar_p90"]
    assert answered.count == before["next_response_time_calendar_p90"].count + 1


def test_the_marks_compacted_keep_every_stored_day_that_did_not_change(
    week: dict[str, Ticket], clock: Any, alice: Any
) -> None:
    """The queue keeps the last mark of each (kind, day): the days written since they were stored are stored again,
    the others are left as they are."""
    fact_days_refresh_all()
    clock.move_to(at(11, 9))
    ticket_change_priority(ticket=week["C"], actor=alice, priority="high")
    ticket_change_priority(ticket=week["C"], actor=alice, priority="low")
    assert fact_changes_compact() >= 2
    assert set(FactChange.objects.values_list("kind", "day").annotate(n=Count("pk")).values_list("n", flat=True)) == {1}
    assert fact_days_refresh(family="created") == {"stored": len(_days(week["C"])), "dropped": 0, "months": 0}
    assert fact_changes_compact() == 0
    assert fact_days_refresh(family="created") == {"stored": 0, "dropped": 0, "months": 0}
    assert card() == _from_raw_rows()


def test_facts_match_the_tickets(week: dict[str, Ticket]) -> None:
    """The facts of a day: each ticket once (the merged one left out), its times, replies, reopens and clocks."""
    built = facts_build(FAMILIES["created"], [date(2026, 12, 2)])[date(2026, 12, 2)]
    assert built["id"].tolist() == [week["D"].pk]
    (d,) = built
    assert (int(d["staff_replies"]), bool(d["reopened"]), int(d["tier"])) == (2, True, 1)
    assert float(d["first_response_business"]) == 3600.0
    read = family_facts("created", midnight(date(2026, 12, 2)), midnight(date(2026, 12, 3)))
    assert read.array().tobytes() == built.tobytes()


def test_the_queue_stores_the_changed_days(week: dict[str, Ticket], clock: Any, alice: Any) -> None:
    found = store_ticket_facts.call_local()
    assert found["created"]["stored"] == TicketFactDay.objects.filter(family="created", span="day").count() >= 5
    clock.move_to(at(11, 9))
    ticket_change_priority(ticket=week["F"], actor=alice, priority="high")
    found = store_ticket_facts.call_local()
    assert found["created"] == {"stored": len(_days(week["F"])), "dropped": 0, "months": 0}
    assert found["status"] == {"stored": 0, "dropped": 0, "months": 0}


def test_periods_read_together_equal_each_read_alone(week: dict[str, Ticket]) -> None:
    """The dashboards read the period and the one before together: one read of the facts over their span gives each
    period the figures it has alone (here the week's two halves and the whole, which overlap)."""
    periods = [
        metric_filters_build(start=date(2026, 11, 30), end=date(2026, 12, 3)),
        metric_filters_build(start=date(2026, 12, 4), end=date(2026, 12, 13)),
        metric_filters_build(start=date(2026, 11, 30), end=date(2026, 12, 13)),
    ]
    together = service_scorecards(periods=periods)
    assert together == [service_scorecard(filters=period) for period in periods]
    assert together[0] != together[1]


def test_periods_read_together_share_their_filters(week: dict[str, Ticket], front_line: Any) -> None:
    period = metric_filters_build(start=date(2026, 11, 30), end=date(2026, 12, 13))
    with pytest.raises(ValueError, match="differ only by their dates"):
        service_scorecards(periods=[period, dataclasses.replace(period.previous(), team=front_line.pk)])


@pytest.mark.parametrize("offset", [0, IdSet.BITMAP_LIMIT])
def test_an_id_set_answers_alike_as_a_bitmap_and_sorted(offset: int) -> None:
    """Small ids go in a bitmap, large ones are sorted and searched: the same answers either way."""
    ids = np.array([5, 3, 3, 9], dtype=np.int64) + offset
    found = IdSet(ids, np.array([12 + offset], dtype=np.int64))
    assert (found.bitmap is None) == (offset > 0)
    values = np.array([3, 4, 9, 12, 13, -1 - offset], dtype=np.int64) + offset
    assert found.contains(values).tolist() == [True, False, True, True, False, False]
    assert IdSet().contains(values).tolist() == [False] * 6


def test_each_familys_facts_are_in_the_order_of_its_key_whether_stored_or_built(week: dict[str, Ticket]) -> None:
    """A period's rows are read as a slice of the days joined: that needs every day's rows in the key's order."""
    start, end = midnight(date(2026, 11, 30)), midnight(date(2026, 12, 13))
    built = {name: family_facts(name, start, end) for name in FAMILIES}
    fact_days_refresh_all()
    facts_cache_clear()
    for name, family in FAMILIES.items():
        stored = family_facts(name, start, end)
        assert stored.array().tobytes() == built[name].array().tobytes()
        assert np.all(np.diff(stored[family.field]) >= 0), name
    assert len(built["replies"]) > 1 and len(built["status"]) > 1


@pytest.mark.django_db(transaction=True)
def test_the_triggers_come_back_after_a_migration_copies_the_tickets_table(
    week: dict[str, Ticket], clock: Any, alice: Any
) -> None:
    """On SQLite, altering a table copies it and drops its triggers: `migrate` puts them back (post_migrate), marking
    every day, so stored days never outlive a migration silently."""
    old_field = Ticket._meta.get_field("subject")
    new_field = models.CharField(max_length=300)
    new_field.set_attributes_from_name("subject")
    with connection.schema_editor() as editor:
        editor.alter_field(Ticket, old_field, new_field)
    try:
        emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
        fact_days_refresh_all()
        clock.move_to(at(11, 9))
        ticket_change_priority(ticket=week["C"], actor=alice, priority="high")
        ticket_escalate(ticket=week["B"], actor=alice, tier=3, reason="Needs the engineers.", notify_team=False)
        assert card() == _from_raw_rows()
    finally:
        with connection.schema_editor() as editor:
            editor.alter_field(Ticket, new_field, old_field)
        search_index_ensure()
        fact_triggers_ensure()
    assert fact_triggers_ensure() == []


def _november_on() -> dict[str, Any]:
    built = metric_filters_build(start=date(2026, 11, 1), end=date(2026, 12, 13))
    return {item.name: item for item in service_scorecard(filters=built)}


def test_a_month_that_has_ended_is_read_whole_while_it_matches_and_by_its_days_once_it_does_not(
    week: dict[str, Ticket], clock: Any, alice: Any, carol: Any
) -> None:
    """November (A was created and solved on its last day) is stored whole once it has ended: a period that covers it
    reads the month, not its days (emptied behind the scorecard's back, the month is what the figures show), until a
    write marks one of its days; then the month is read by its days, and the figures are the raw rows' again — its
    stored days in one query more, not one a day."""
    clock.move_to(at(11, 9))
    fact_days_refresh_all()
    month = TicketFactDay.objects.get(family="created", span="month", day=date(2026, 11, 1))
    days = TicketFactDay.objects.filter(family="created", span="day", day__month=11).order_by("day")
    assert bytes(month.facts) == b"".join(bytes(day.facts) for day in days)
    assert not TicketFactDay.objects.filter(span="month", day=date(2026, 12, 1)).exists()  # still running
    exact = _november_on()
    assert exact == _from_raw_rows_with_period(_november_on)
    fact_days_refresh_all()
    TicketFactDay.objects.filter(family="created", span="month", day=date(2026, 11, 1)).update(
        facts=np.zeros(0, dtype=FACTS).tobytes()
    )
    facts_cache_clear()
    assert _november_on()["ticket_volume"].value == exact["ticket_volume"].value - 1  # A, read from the month
    facts_cache_clear()
    with CaptureQueriesContext(connection) as whole:
        _november_on()
    ticket_reply(ticket=week["A"], contact=carol, body="It broke again.")  # marks 30 November
    facts_cache_clear()
    with CaptureQueriesContext(connection) as by_days:
        changed = _november_on()
    assert changed["ticket_volume"].value == exact["ticket_volume"].value
    assert changed == _from_raw_rows_with_period(_november_on)
    # The stored copies read in one query, then November's days in one more (the days the reply marked are built).
    assert [_stored_reads(whole), _stored_reads(by_days)] == [1, 2]


def _stored_reads(queries: CaptureQueriesContext) -> int:
    return sum("insights_ticketfactday" in query["sql"] for query in queries.captured_queries)


def _from_raw_rows_with_period(read: Any) -> dict[str, Any]:
    TicketFactDay.objects.all().delete()
    return read()
