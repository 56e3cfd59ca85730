"""Staff notifications are written in the recipient's language, whoever caused them."""

from __future__ import annotations

from django.utils import translation

from carefront.core.models import Notification
from carefront.desk.services import ticket_assign, ticket_reply


def test_assignment_notice_is_in_the_assignees_language(
    ticket, alice, bob, django_capture_on_commit_callbacks, mailoutbox
):
    """GIVEN Bob reads French and Alice English
    WHEN Alice, working in English, assigns a ticket to Bob
    THEN Bob's notification and its email are in French."""
    bob.staff_profile.language = "fr"
    bob.staff_profile.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        ticket_assign(ticket=ticket, actor=alice, assignee=bob)
    expected = f"Le ticket #{ticket.number} «\xa0Parcel never arrived\xa0» vous a été assigné."
    assert Notification.objects.get(recipient=bob).text == expected
    assert [message.subject for message in mailoutbox] == [expected]


def test_reply_notice_is_in_the_assignees_language(ticket, carol, bob, django_capture_on_commit_callbacks):
    bob.staff_profile.language = "fr"
    bob.staff_profile.save(update_fields=["language"])
    ticket_assign(ticket=ticket, actor=None, assignee=bob)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, contact=carol, actor=None, body="Still nothing.")
    assert Notification.objects.get(recipient=bob, verb="requester_replied").text == (
        f"Carol Jones a répondu sur le ticket #{ticket.number}."
    )


def test_english_assignee_reads_english_when_the_actor_works_in_french(
    ticket, alice, bob, django_capture_on_commit_callbacks
):
    # Alice's request is in French (her profile's language, activated by the middleware).
    with translation.override("fr"), django_capture_on_commit_callbacks(execute=True):
        ticket_assign(ticket=ticket, actor=alice, assignee=bob)
    assert Notification.objects.get(recipient=bob).text == (
        f"Ticket #{ticket.number} “Parcel never arrived” was assigned to you."
    )
