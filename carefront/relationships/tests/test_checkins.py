"""Cadences and check-ins: rules checked against the advisor's working hours, the job that creates check-ins ahead
of time (idempotent, one reminder each) and marks missed ones, rescheduling, and a held check-in that becomes an
interaction whose next steps become commitments in one click."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.test import override_settings

from carefront.accounts.models import Account, Contact
from carefront.accounts.services import account_create, contact_create
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Event, Notification
from carefront.relationships.models import Cadence, CheckIn, CheckInState, CommitmentState, Interaction
from carefront.relationships.services_checkins import (
    Held,
    cadence_create,
    cadence_end,
    cadence_update,
    check_in_cancel,
    check_in_hold,
    check_in_reschedule,
    checkins_run,
    interaction_create,
    next_step_commit,
    working_hours_set,
)
from carefront.relationships.tasks import run_check_ins
from carefront.relationships.tests.conftest import NOW

pytestmark = pytest.mark.django_db


def _weekly(account: Account, actor: Any, **overrides: Any) -> Cadence:
    values: dict[str, Any] = {
        "actor": actor,
        "account": account,
        "name": "Weekly call",
        "kind": "monthly_call",
        "rule": "FREQ=WEEKLY;BYDAY=TU",
        "starts_on": date(2026, 3, 3),
        "time_of_day": time(14),
        "duration_minutes": 30,
    }
    return cadence_create(**(values | overrides))


def _scheduled(cadence: Cadence) -> list[datetime]:
    return list(CheckIn.objects.filter(cadence=cadence).order_by("occurs_at").values_list("scheduled_at", flat=True))


def test_a_cadence_creates_its_check_ins_within_the_horizon_in_the_clients_zone(
    paris_client: Account, dana: Any
) -> None:
    cadence = _weekly(paris_client, dana)
    # Tuesdays at 14:00 in Paris for 30 days from Monday 2 March; summer time from 29 March.
    assert _scheduled(cadence) == [
        datetime(2026, 3, 3, 13, tzinfo=UTC),
        datetime(2026, 3, 10, 13, tzinfo=UTC),
        datetime(2026, 3, 17, 13, tzinfo=UTC),
        datetime(2026, 3, 24, 13, tzinfo=UTC),
        datetime(2026, 3, 31, 12, tzinfo=UTC),
    ]
    assert cadence.owner == dana
    assert Event.objects.filter(action="cadence_created", subject_id=paris_client.pk).count() == 1


@override_settings(CAREFRONT_CHECKIN_HORIZON_DAYS=7)
def test_a_quarterly_review_is_always_known_one_ahead_even_beyond_the_horizon(paris_client: Account, dana: Any) -> None:
    cadence = _weekly(paris_client, dana, rule="FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15", starts_on=date(2026, 4, 15))
    assert _scheduled(cadence) == [datetime(2026, 4, 15, 12, tzinfo=UTC)]


def test_a_rule_outside_the_advisors_working_hours_is_refused(paris_client: Account, dana: Any) -> None:
    with pytest.raises(ApplicationError) as refused:
        _weekly(paris_client, dana, time_of_day=time(17, 45))
    assert refused.value.field == "time_of_day"
    assert "2026-03-03 17:45 (Europe/Paris)" in refused.value.message
    working_hours_set(actor=dana, starts=time(8), ends=time(20), days="12345")
    assert _weekly(paris_client, dana, time_of_day=time(17, 45)).pk


def test_a_weekend_rule_is_refused_until_the_advisor_works_weekends(paris_client: Account, dana: Any) -> None:
    with pytest.raises(ApplicationError, match="outside the advisor's working hours"):
        _weekly(paris_client, dana, rule="FREQ=WEEKLY;BYDAY=SA")
    working_hours_set(actor=dana, starts=time(9), ends=time(18), days="123456")
    assert _weekly(paris_client, dana, rule="FREQ=WEEKLY;BYDAY=SA").pk


def test_a_client_in_new_york_is_checked_in_the_advisors_paris_hours(clock: Any, dana: Any) -> None:
    """GIVEN a New York client and Dana in Paris working 16:00-18:00
    WHEN she plans a weekly call at 10:00 New York time
    THEN it is refused: on 10 March the United States are on summer time and France not yet, so it falls at 15:00."""
    new_york = account_create(
        actor=None, name="Hooli Inc", service_model="client", owner=dana, time_zone="America/New_York"
    )
    working_hours_set(actor=dana, starts=time(16), ends=time(18), days="12345")
    with pytest.raises(ApplicationError, match="2026-03-10 15:00"):
        _weekly(new_york, dana, time_of_day=time(10))
    cadence = _weekly(new_york, dana, time_of_day=time(11))
    # 11:00 in New York: 16:00 UTC in winter, 15:00 UTC from 8 March.
    assert _scheduled(cadence)[:2] == [datetime(2026, 3, 3, 16, tzinfo=UTC), datetime(2026, 3, 10, 15, tzinfo=UTC)]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"rule": "FREQ=DAILY;BYHOUR=9,15"}, "rule"),
        ({"rule": "FREQ=SOMETIMES"}, "rule"),
        ({"owner": "stranger"}, "owner"),
        ({"duration_minutes": 0}, "duration_minutes"),
    ],
)
def test_bad_cadences_are_refused_at_the_boundary(
    paris_client: Account, dana: Any, changes: dict[str, Any], field: str
) -> None:
    if changes.get("owner") == "stranger":  # no staff member to keep the cadence
        changes["owner"] = get_user_model().objects.create_user("stranger")
    with pytest.raises(ApplicationError) as refused:
        _weekly(paris_client, dana, **changes)
    assert refused.value.field == field


def test_a_rule_that_never_occurs_is_refused_rather_than_searched_to_the_year_9999(
    paris_client: Account, dana: Any
) -> None:
    with pytest.raises(ApplicationError, match="no occurrence in the five years"):
        _weekly(paris_client, dana, rule="FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30")


def test_a_customer_gets_no_cadence_and_another_advisor_cannot_plan_one(
    paris_client: Account, dana: Any, erin: Any, morgan: Any, acme: Account
) -> None:
    with pytest.raises(ApplicationError) as refused:
        _weekly(paris_client, erin)
    assert refused.value.status == 403
    with pytest.raises(ApplicationError, match="client accounts"):
        _weekly(acme, morgan, owner=dana)


def _run(capture: Any, *, now: datetime | None = None) -> Any:
    with capture(execute=True):
        return checkins_run(now=now)


def test_the_job_run_twice_creates_nothing_twice_and_reminds_once(
    paris_client: Account, dana: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """GIVEN a weekly cadence whose first check-in is tomorrow at 14:00
    WHEN the job runs twice in a row, then again a week later
    THEN no check-in is created twice, and Dana is reminded of each coming check-in once."""
    cadence = _weekly(paris_client, dana)
    clock.move_to(NOW + timedelta(hours=6))  # the first check-in starts within CAREFRONT_CHECKIN_REMINDER_HOURS
    first = _run(django_capture_on_commit_callbacks)
    assert (first.created, first.reminded, first.missed) == (0, 1, 0)
    second = _run(django_capture_on_commit_callbacks)
    assert (second.created, second.reminded, second.missed) == (0, 0, 0)
    assert CheckIn.objects.filter(cadence=cadence).count() == 5
    assert Notification.objects.filter(recipient=dana, verb="check_in_soon").count() == 1
    assert "Weekly call with Lumière SARL" in Notification.objects.get(recipient=dana).text
    clock.move_to(NOW + timedelta(days=8))
    later = _run(django_capture_on_commit_callbacks)
    assert (later.created, later.reminded, later.missed) == (1, 1, 1)
    assert Notification.objects.filter(recipient=dana, verb="check_in_soon").count() == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        existing = CheckIn.objects.filter(cadence=cadence).first()
        assert existing is not None
        CheckIn.objects.create(
            cadence=cadence,
            account=paris_client,
            owner=dana,
            occurs_at=existing.occurs_at,
            scheduled_at=existing.occurs_at,
            duration_minutes=30,
        )


def test_the_periodic_task_calls_the_same_job(paris_client: Account, dana: Any, clock: Any) -> None:
    _weekly(paris_client, dana)
    clock.move_to(NOW + timedelta(hours=6))
    assert run_check_ins.call_local() == 1  # the reminder of tomorrow's


def test_a_check_in_not_held_by_its_end_plus_grace_is_missed(paris_client: Account, dana: Any, clock: Any) -> None:
    cadence = _weekly(paris_client, dana)
    first = CheckIn.objects.filter(cadence=cadence).order_by("scheduled_at").first()
    assert first is not None
    end = first.scheduled_at + timedelta(minutes=30)
    assert checkins_run(now=end + timedelta(hours=23)).missed == 0
    assert checkins_run(now=end + timedelta(hours=24, minutes=1)).missed == 1
    first.refresh_from_db()
    assert first.state == CheckInState.MISSED
    assert Event.objects.filter(action="check_in_missed").count() == 1


def test_rescheduling_moves_a_check_in_later_and_never_back_by_accident(
    paris_client: Account, dana: Any, clock: Any
) -> None:
    cadence = _weekly(paris_client, dana)
    second = CheckIn.objects.filter(cadence=cadence).order_by("scheduled_at")[1]
    planned = second.scheduled_at
    later = planned + timedelta(days=1)
    moved = check_in_reschedule(check_in=second, actor=dana, scheduled_at=later, reason="Client on a trip")
    assert (moved.scheduled_at, moved.occurs_at, moved.version) == (later, planned, 2)
    event = Event.objects.get(action="check_in_rescheduled")
    assert event.reason == "Client on a trip"
    with pytest.raises(ApplicationError, match="earlier than planned"):
        check_in_reschedule(check_in=second, actor=dana, scheduled_at=planned, reason="Back home")
    check_in_reschedule(check_in=second, actor=dana, scheduled_at=planned, reason="Back home", earlier=True)
    with pytest.raises(ApplicationError, match="working hours"):
        check_in_reschedule(check_in=second, actor=dana, scheduled_at=planned + timedelta(hours=6), reason="Late")
    with pytest.raises(ApplicationError, match="in the future"):
        check_in_reschedule(check_in=second, actor=dana, scheduled_at=NOW - timedelta(days=1), reason="Past")
    # The job does not plan the moved occurrence again.
    moved = check_in_reschedule(check_in=second, actor=dana, scheduled_at=later, reason="Trip after all")
    checkins_run()
    assert CheckIn.objects.filter(cadence=cadence).count() == 5


def test_a_changed_rule_replans_untouched_check_ins_and_keeps_moved_ones(
    paris_client: Account, dana: Any, clock: Any
) -> None:
    cadence = _weekly(paris_client, dana)
    moved = CheckIn.objects.filter(cadence=cadence).order_by("scheduled_at")[1]
    check_in_reschedule(check_in=moved, actor=dana, scheduled_at=moved.scheduled_at + timedelta(days=1), reason="x")
    cadence_update(cadence=cadence, actor=dana, rule="FREQ=WEEKLY;BYDAY=TH", version=cadence.version)
    weekdays = sorted(c.scheduled_at.isoweekday() for c in CheckIn.objects.filter(cadence=cadence))
    assert weekdays.count(3) == 1  # the one moved to a Wednesday stays
    assert set(weekdays) == {3, 4}
    ended = cadence_end(cadence=cadence, actor=dana, reason="Contract over")
    assert not ended.active
    assert not CheckIn.objects.filter(cadence=cadence, state=CheckInState.SCHEDULED).exists()
    assert checkins_run().created == 0


@pytest.fixture
def camille(paris_client: Account) -> Contact:
    return contact_create(actor=None, account=paris_client, name="Camille Roux", email="camille@lumiere.example")


def test_a_held_check_in_becomes_an_interaction_whose_next_steps_become_commitments_in_one_click(
    paris_client: Account, dana: Any, morgan: Any, camille: Contact, clock: Any
) -> None:
    cadence = _weekly(paris_client, dana)
    check_in = CheckIn.objects.filter(cadence=cadence).order_by("scheduled_at").first()
    assert check_in is not None
    clock.move_to(check_in.scheduled_at + timedelta(minutes=40))
    interaction = check_in_hold(
        check_in=check_in,
        actor=dana,
        held=Held(
            kind="video",
            occurred_at=check_in.scheduled_at,
            notes="Reviewed the quarter.",
            outcomes="They renew.",
            next_steps=("Send the renewal offer", "  ", "Book the training"),
            contacts=(camille,),
            staff=(morgan,),
        ),
    )
    check_in.refresh_from_db()
    assert check_in.state == CheckInState.HELD
    assert interaction.check_in == check_in
    assert list(interaction.contacts.all()) == [camille]
    assert list(interaction.staff.all()) == [morgan]
    steps = list(interaction.next_steps.all())
    assert [step.text for step in steps] == ["Send the renewal offer", "Book the training"]
    commitment = next_step_commit(next_step=steps[0], actor=dana)
    assert (commitment.title, commitment.owner, commitment.check_in, commitment.state) == (
        "Send the renewal offer",
        dana,
        check_in,
        CommitmentState.OPEN,
    )
    assert commitment.due_at == check_in.scheduled_at + timedelta(minutes=40) + timedelta(days=7)
    with pytest.raises(ApplicationError) as twice:
        next_step_commit(next_step=steps[0], actor=dana)
    assert twice.value.status == 409
    with pytest.raises(ApplicationError) as again:
        check_in_hold(check_in=check_in, actor=dana, held=Held(kind="call", occurred_at=check_in.scheduled_at))
    assert again.value.status == 409
    assert checkins_run().missed == 0


def test_a_missed_check_in_can_still_be_logged_and_a_cancelled_one_cannot(
    paris_client: Account, dana: Any, clock: Any
) -> None:
    cadence = _weekly(paris_client, dana)
    first, second = CheckIn.objects.filter(cadence=cadence).order_by("scheduled_at")[:2]
    checkins_run(now=first.scheduled_at + timedelta(days=2))
    first.refresh_from_db()
    assert first.state == CheckInState.MISSED
    clock.move_to(first.scheduled_at + timedelta(days=2))
    check_in_hold(check_in=first, actor=dana, held=Held(kind="call", occurred_at=first.scheduled_at))
    check_in_cancel(check_in=second, actor=dana, reason="Client on holiday")
    with pytest.raises(ApplicationError, match="Cancelled"):
        check_in_hold(check_in=second, actor=dana, held=Held(kind="call", occurred_at=first.scheduled_at))


def test_an_interaction_is_logged_without_a_check_in(paris_client: Account, dana: Any, camille: Contact) -> None:
    interaction = interaction_create(
        actor=dana,
        account=paris_client,
        held=Held(kind="email", occurred_at=NOW, notes="Sent the figures.", next_steps=("Call back",)),
    )
    assert interaction.check_in is None
    commitment = next_step_commit(next_step=interaction.next_steps.get(), actor=dana, due_at=NOW + timedelta(days=2))
    assert (commitment.check_in, commitment.due_at) == (None, NOW + timedelta(days=2))
    with pytest.raises(ApplicationError, match="once it happened"):
        interaction_create(actor=dana, account=paris_client, held=Held(kind="call", occurred_at=NOW + timedelta(1)))
    assert Interaction.objects.count() == 1
