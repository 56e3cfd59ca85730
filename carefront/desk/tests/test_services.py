from datetime import timedelta

import pytest
from django.utils import timezone

from carefront.core.exceptions import ApplicationError
from carefront.core.models import Event, Notification
from carefront.desk.models import Status, Ticket, Visibility
from carefront.desk.services import (
    ticket_add_note,
    ticket_assign,
    ticket_change_status,
    ticket_create,
    ticket_reply,
    ticket_update,
    tickets_close_solved,
)


def events_of(ticket):
    return list(Event.objects.filter(subject_kind="ticket", subject_id=ticket.pk).order_by("id"))


def test_create_numbers_tickets_in_sequence_and_stores_requester_message(carol):
    first = ticket_create(actor=None, requester=carol, subject="One", body="first <b>body</b>")
    second = ticket_create(actor=None, requester=carol, subject="Two", body="second")
    assert second.number == first.number + 1
    message = first.messages.get()
    assert message.author_contact == carol
    assert message.visibility == Visibility.PUBLIC
    assert "&lt;b&gt;" in message.body_html
    assert first.status == Status.NEW
    assert first.account_id == carol.account_id


def test_html_body_is_sanitised(carol):
    ticket = ticket_create(
        actor=None, requester=carol, subject="x", body="hi", body_html='<p onclick="evil()">hi<script>x()</script></p>'
    )
    html = ticket.messages.get().body_html
    assert "script" not in html
    assert "onclick" not in html
    assert "<p>hi</p>" in html


def test_assign_writes_audit_event_opens_ticket_and_notifies(ticket, alice, bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket_assign(ticket=ticket, actor=alice, assignee=bob)
    ticket.refresh_from_db()
    assert ticket.assignee == bob
    assert ticket.status == Status.OPEN
    fields = {(e.field, e.old_value, e.new_value) for e in events_of(ticket)}
    assert ("assignee", None, "bob") in fields
    assert ("status", "new", "open") in fields
    assert Notification.objects.get(recipient=bob).verb == "assigned"


def test_assignment_to_inactive_or_non_staff_user_is_refused(ticket, bob, carol, portal_user_for):
    bob.is_active = False
    bob.save()
    with pytest.raises(ApplicationError) as refused:
        ticket_assign(ticket=ticket, actor=None, assignee=bob)
    assert refused.value.field == "assignee"
    with pytest.raises(ApplicationError):
        ticket_assign(ticket=ticket, actor=None, assignee=portal_user_for(carol))
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_staff_reply_sets_first_response_once(ticket, alice):
    ticket_reply(ticket=ticket, staff=alice, body="On it")
    ticket.refresh_from_db()
    first = ticket.first_responded_at
    assert first is not None
    assert ticket.status == Status.OPEN
    ticket_reply(ticket=ticket, staff=alice, body="Still on it", status=Status.PENDING)
    ticket.refresh_from_db()
    assert ticket.first_responded_at == first
    assert ticket.status == Status.PENDING


def test_reply_from_requester_reopens_solved_ticket(ticket, alice, carol):
    ticket_reply(ticket=ticket, staff=alice, body="Fixed", status=Status.SOLVED)
    ticket.refresh_from_db()
    assert ticket.solved_at is not None
    ticket_reply(ticket=ticket, contact=carol, body="No it is not")
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.solved_at is None
    assert events_of(ticket)[-1].action == "reopened_by_requester"


def test_reply_on_closed_ticket_opens_linked_follow_up(ticket, alice, carol):
    ticket_change_status(ticket=ticket, actor=alice, status=Status.SOLVED)
    ticket_change_status(ticket=ticket, actor=alice, status=Status.CLOSED)
    message = ticket_reply(ticket=ticket, contact=carol, body="It broke again")
    follow_up = message.ticket
    assert follow_up.pk != ticket.pk
    assert follow_up.follow_up_of == ticket
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert ticket.messages.count() == 1


def test_closed_ticket_cannot_be_edited_or_reopened(ticket, alice):
    ticket_change_status(ticket=ticket, actor=alice, status=Status.SOLVED)
    ticket_change_status(ticket=ticket, actor=alice, status=Status.CLOSED)
    for change in ({"status": Status.OPEN}, {"priority": "high"}):
        with pytest.raises(ApplicationError) as refused:
            ticket_update(ticket=ticket, actor=alice, **change)
        assert refused.value.status == 409
    with pytest.raises(ApplicationError):
        ticket_add_note(ticket=ticket, actor=alice, body="note")


def test_only_solved_tickets_can_be_closed(ticket, alice):
    with pytest.raises(ApplicationError, match="solved"):
        ticket_change_status(ticket=ticket, actor=alice, status=Status.CLOSED)


def test_stale_version_is_a_conflict(ticket, alice):
    ticket_update(ticket=ticket, actor=alice, priority="high", version=ticket.version)
    with pytest.raises(ApplicationError) as refused:
        ticket_update(ticket=ticket, actor=alice, priority="low", version=ticket.version)
    assert refused.value.status == 409
    ticket.refresh_from_db()
    assert ticket.priority == "high"


def test_tags_are_normalised_and_audited(ticket, alice):
    ticket_update(ticket=ticket, actor=alice, tags=["Refund", "refund", " vip "])
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["refund", "vip"]
    assert events_of(ticket)[-1].new_value == ["refund", "vip"]
    with pytest.raises(ApplicationError) as refused:
        ticket_update(ticket=ticket, actor=alice, tags=["no spaces allowed"])
    assert refused.value.field == "tags"


def test_internal_note_needs_staff(ticket, alice, carol, portal_user_for):
    note = ticket_add_note(ticket=ticket, actor=alice, body="Customer is upset")
    assert note.visibility == Visibility.INTERNAL
    with pytest.raises(ApplicationError):
        ticket_add_note(ticket=ticket, actor=portal_user_for(carol), body="sneaky")


def test_close_solved_closes_only_old_solved_tickets(carol, alice):
    old = ticket_create(actor=None, requester=carol, subject="old", body="b")
    recent = ticket_create(actor=None, requester=carol, subject="recent", body="b")
    for ticket in (old, recent):
        ticket_change_status(ticket=ticket, actor=alice, status=Status.SOLVED)
    Ticket.objects.filter(pk=old.pk).update(solved_at=timezone.now() - timedelta(days=5))
    assert tickets_close_solved(older_than=timedelta(days=4)) == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.status == Status.CLOSED
    assert recent.status == Status.SOLVED
    assert events_of(old)[-1].action == "auto_closed"


def test_audit_events_are_append_only(ticket):
    event = events_of(ticket)[0]
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        Event.objects.filter(pk=event.pk).update(action="forged")
    with pytest.raises(TypeError):
        Event.objects.all().delete()


def test_every_message_carries_its_tickets_account(ticket, alice, carol):
    """The account timeline reads messages by their own account column: every way of writing one sets it."""
    ticket_reply(ticket=ticket, staff=alice, body="On it")
    ticket_reply(ticket=ticket, contact=carol, body="Thanks")
    ticket_add_note(ticket=ticket, actor=alice, body="Internal")
    ticket_change_status(ticket=ticket, actor=alice, status=Status.SOLVED)
    ticket_change_status(ticket=ticket, actor=alice, status=Status.CLOSED)
    follow_up = ticket_reply(ticket=ticket, contact=carol, body="Again").ticket
    messages = list(ticket.messages.all()) + list(follow_up.messages.all())
    assert len(messages) == 5
    assert {message.account_id for message in messages} == {carol.account_id}


def test_every_event_of_a_ticket_names_its_account_for_the_account_timeline(ticket, alice):
    from carefront.core.models import Tag
    from carefront.core.services import tag_rename

    ticket_update(ticket=ticket, actor=alice, priority="high", tags=["billing"])
    ticket_reply(ticket=ticket, staff=alice, body="Fixed", status=Status.SOLVED)
    ticket_add_note(ticket=ticket, actor=alice, body="Done")
    tag_rename(tag=Tag.objects.get(name="billing"), name="invoices", actor=alice)
    Ticket.objects.filter(pk=ticket.pk).update(solved_at=timezone.now() - timedelta(days=30))
    assert tickets_close_solved(older_than=timedelta(days=7)) == 1
    events = events_of(ticket)
    assert {"created", "updated", "replied", "noted", "tag_renamed", "auto_closed"} <= {e.action for e in events}
    assert {e.account_id for e in events} == {ticket.account_id}


def test_a_ticket_event_without_its_account_is_refused(ticket):
    from carefront.core.services import events_record

    with pytest.raises(ValueError, match="account_id"):
        events_record(subject_kind="ticket", subject_id=ticket.pk, action="noted", actor=None)
    assert not Event.objects.filter(subject_kind="ticket", subject_id=ticket.pk, action="noted").exists()
