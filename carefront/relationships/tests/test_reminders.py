"""Overdue dependencies: the contact gets a polite reminder in their language, through the queue, at most once per
CAREFRONT_DEPENDENCY_REMINDER_DAYS, and the advisor is alerted."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import override_settings

from carefront.accounts.models import Contact
from carefront.accounts.services import contact_create
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Notification
from carefront.relationships.models import Commitment, Dependency
from carefront.relationships.services import Blocked, dependency_create, dependency_receive
from carefront.relationships.services_reminders import dependency_remind_now
from carefront.relationships.tasks import remind_overdue_dependencies
from carefront.relationships.tests.conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def camille(client_account: Any) -> Contact:
    return contact_create(
        actor=None, account=client_account, name="Camille Roux", email="camille@globex.example", language="fr"
    )


@pytest.fixture
def owed(commitment: Commitment, camille: Contact, dana: Any, engagement: Any) -> Dependency:
    return dependency_create(
        actor=dana,
        what="La liste des clients",
        details="Un fichier CSV avec nom, email et langue.",
        contact=camille,
        due_at=NOW + timedelta(days=2),
        blocks=Blocked(commitment=commitment),
        engagement=engagement,
    )


def _to_contact(outbox: list[Any]) -> list[Any]:
    """The client's mail (the advisor's notification is emailed to her as well)."""
    return [message for message in outbox if message.to == ["camille@globex.example"]]


def _run(capture: Any) -> int:
    with capture(execute=True):
        return int(remind_overdue_dependencies.call_local())


def test_a_reminder_job_run_twice_sends_once(
    owed: Dependency, clock: Any, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    """GIVEN a dependency due on day 2, still open on day 3
    WHEN the hourly job runs, and runs again at once
    THEN one email reaches the contact, in French (her language), and one notification reaches Dana."""
    clock.move_to(NOW + timedelta(days=1))
    assert _run(django_capture_on_commit_callbacks) == 0  # not overdue yet
    clock.move_to(NOW + timedelta(days=3))
    assert _run(django_capture_on_commit_callbacks) == 1
    assert _run(django_capture_on_commit_callbacks) == 0
    assert len(_to_contact(mailoutbox)) == 1
    sent = _to_contact(mailoutbox)[0]
    assert sent.to == ["camille@globex.example"]
    assert sent.reply_to == ["dana@carefront.example"]
    assert sent.subject == "Un rappel\u00a0: La liste des clients"
    assert "Customer satisfaction survey" in sent.body
    assert "nous attendons toujours" in sent.body
    alert = Notification.objects.get(verb="dependency_overdue")
    assert alert.recipient.get_username() == "dana"
    assert "Globex SA" in alert.text
    reminded = Dependency.objects.get(pk=owed.pk)
    assert (reminded.reminders_sent, reminded.last_reminded_at) == (1, NOW + timedelta(days=3))


@override_settings(CAREFRONT_DEPENDENCY_REMINDER_DAYS=2)
def test_the_next_reminder_waits_for_the_interval(
    owed: Dependency, clock: Any, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    clock.move_to(NOW + timedelta(days=3))
    assert _run(django_capture_on_commit_callbacks) == 1
    clock.move_to(NOW + timedelta(days=4, hours=23))
    assert _run(django_capture_on_commit_callbacks) == 0
    clock.move_to(NOW + timedelta(days=5))
    assert _run(django_capture_on_commit_callbacks) == 1
    assert len(_to_contact(mailoutbox)) == 2


def test_what_was_received_or_no_longer_blocks_anything_is_not_chased(
    owed: Dependency, dana: Any, clock: Any, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    clock.move_to(NOW + timedelta(days=1))
    dependency_receive(dependency=owed, actor=dana)
    clock.move_to(NOW + timedelta(days=3))
    assert _run(django_capture_on_commit_callbacks) == 0
    assert mailoutbox == []


def test_the_advisor_reminds_now_once_late_and_not_again_within_the_interval(
    owed: Dependency,
    clock: Any,
    dana: Any,
    erin: Any,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    """GIVEN a dependency due on day 2
    WHEN Dana presses "Remind now" on day 1, on day 3, then again on day 3, and Erin (another advisor) tries
    THEN only the day-3 press sends (in French), the others are refused with the reason, and the job does not
    remind again within the interval."""
    with pytest.raises(ApplicationError) as early:
        dependency_remind_now(dependency=owed, actor=dana)
    assert early.value.status == 409 and early.value.field == "due_at"
    clock.move_to(NOW + timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        dependency_remind_now(dependency=owed, actor=dana)
    assert len(_to_contact(mailoutbox)) == 1
    with pytest.raises(ApplicationError) as again:
        dependency_remind_now(dependency=owed, actor=dana)
    assert again.value.status == 409 and "Camille Roux was reminded on" in again.value.message
    with pytest.raises(ApplicationError) as stranger:
        dependency_remind_now(dependency=owed, actor=erin)
    assert stranger.value.status == 403
    assert _run(django_capture_on_commit_callbacks) == 0
    assert len(_to_contact(mailoutbox)) == 1
    assert Dependency.objects.get(pk=owed.pk).reminders_sent == 1
