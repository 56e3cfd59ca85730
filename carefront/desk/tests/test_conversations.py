"""Merging duplicates, linking related tickets, splitting a message into its own ticket, and difficult
conversations routed to a senior with a de-escalation checklist."""

from __future__ import annotations

from typing import Any

import pytest

from carefront.accounts.models import Contact
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Event, Team
from carefront.core.services import staff_create
from carefront.desk.conversation_services import (
    difficult_checklist_set,
    message_split,
    ticket_clear_difficult,
    ticket_flag_difficult,
    ticket_link,
    ticket_merge,
    ticket_unlink,
)
from carefront.desk.models import Attachment, Message, Strategy, Ticket, TicketLink, Visibility
from carefront.desk.routing_services import routing_rule_create, team_assignment_set
from carefront.desk.selectors import ticket_links
from carefront.desk.services import NewAttachment, ticket_create, ticket_reply


def _ticket(requester: Contact, subject: str = "Parcel late", **extra: Any) -> Ticket:
    return ticket_create(actor=None, requester=requester, subject=subject, body=f"{subject}: please help.", **extra)


def test_merging_a_duplicate_moves_its_conversation_and_closes_it(alice: Any, carol: Contact) -> None:
    target = _ticket(carol, tags=["delivery"])
    duplicate = _ticket(carol, subject="Parcel still late", tags=["urgent"])
    ticket_reply(ticket=duplicate, body="Any news?", contact=carol)
    merged = ticket_merge(source=duplicate, target=target, actor=alice, reason="Same parcel")
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into) == ("closed", merged)
    texts = list(
        Message.objects.filter(ticket=merged, visibility=Visibility.PUBLIC).values_list("body_text", flat=True)
    )
    assert texts == ["Parcel late: please help.", "Parcel still late: please help.", "Any news?"]
    assert sorted(merged.tags.values_list("name", flat=True)) == ["delivery", "urgent"]
    notes = Message.objects.filter(visibility=Visibility.INTERNAL)
    assert {note.ticket_id for note in notes} == {merged.pk, duplicate.pk}
    assert f"#{duplicate.number}" in notes.get(ticket=merged).body_text
    events = Event.objects.filter(action="merged", field__in=["merged_into", "merged_from"])
    assert {(e.subject_id, e.field, e.new_value, e.reason) for e in events} == {
        (duplicate.pk, "merged_into", merged.number, "Same parcel"),
        (merged.pk, "merged_from", duplicate.number, "Same parcel"),
    }


def test_merging_is_refused_across_accounts_into_itself_or_into_a_closed_ticket(
    alice: Any, carol: Contact, charlie: Contact
) -> None:
    mine, theirs = _ticket(carol), _ticket(charlie)
    for source, target, field in [(mine, theirs, "target"), (mine, mine, "target")]:
        with pytest.raises(ApplicationError) as refused:
            ticket_merge(source=source, target=target, actor=alice)
        assert refused.value.field == field
    assert Message.objects.filter(ticket=mine).count() == 1
    done = _ticket(carol)
    ticket_merge(source=done, target=mine, actor=alice)
    with pytest.raises(ApplicationError):
        ticket_merge(source=_ticket(carol), target=done, actor=alice)
    with pytest.raises(ApplicationError):
        ticket_merge(source=mine, target=_ticket(carol), actor=None)


def test_links_go_both_ways_once_and_can_be_undone(alice: Any, carol: Contact) -> None:
    first, second, third = _ticket(carol), _ticket(carol), _ticket(carol)
    ticket_link(ticket=second, other=first, actor=alice)
    ticket_link(ticket=first, other=second, actor=alice)
    ticket_link(ticket=first, other=third, actor=alice)
    assert TicketLink.objects.count() == 2
    assert list(ticket_links(ticket=first)) == [second, third]
    assert list(ticket_links(ticket=second)) == [first]
    ticket_unlink(ticket=second, other=first, actor=alice)
    assert list(ticket_links(ticket=first)) == [third]
    with pytest.raises(ApplicationError):
        ticket_unlink(ticket=second, other=first, actor=alice)
    with pytest.raises(ApplicationError):
        ticket_link(ticket=first, other=first, actor=alice)


def test_a_requesters_later_message_splits_into_a_linked_ticket_with_its_attachments(
    alice: Any, carol: Contact
) -> None:
    ticket = _ticket(carol)
    ticket_reply(ticket=ticket, body="Thanks. Also, I'd like to help.", staff=alice, actor=alice)
    other = ticket_reply(
        ticket=ticket,
        body="Also: my invoice has the wrong address.",
        contact=carol,
        attachments=[NewAttachment(filename="invoice.pdf", content_type="application/pdf", content=b"%PDF-1.4 x")],
    )
    new = message_split(message=other, actor=alice, subject="Wrong address on invoice")
    assert (new.subject, new.requester, new.account_id) == ("Wrong address on invoice", carol, ticket.account_id)
    opening = new.messages.get()
    assert opening.body_text == "Also: my invoice has the wrong address."
    copied = Attachment.objects.get(message=opening)
    assert (copied.filename, copied.file.read()) == ("invoice.pdf", b"%PDF-1.4 x")
    assert list(ticket_links(ticket=ticket)) == [new]
    assert Message.objects.filter(ticket=ticket, pk=other.pk).exists()  # the conversation reads as it happened
    with pytest.raises(ApplicationError):
        message_split(message=ticket.messages.order_by("id").first(), actor=alice)  # type: ignore[arg-type]
    staff_reply = ticket.messages.filter(author_user=alice, visibility=Visibility.PUBLIC).get()
    with pytest.raises(ApplicationError):
        message_split(message=staff_reply, actor=alice)


def test_a_difficult_conversation_goes_to_a_senior_with_its_checklist(ada: Any, alice: Any, carol: Contact) -> None:
    seniors = Team.objects.create(name="Seniors")
    senior = staff_create(username="sara", email="sara@carefront.example", role="agent", teams=[seniors])
    team_assignment_set(actor=ada, team=seniors, strategy=Strategy.ROUND_ROBIN)
    routing_rule_create(
        actor=ada,
        name="Difficult conversations to a senior",
        runs_on="updated",
        conditions={"difficult": [True]},
        actions={"team": seniors.pk, "assignee": None},
    )
    ticket = _ticket(carol, assignee=alice)
    with pytest.raises(ApplicationError) as refused:
        ticket_flag_difficult(ticket=ticket, actor=alice, reason=" ")
    assert refused.value.field == "reason"
    flagged = ticket_flag_difficult(ticket=ticket, actor=alice, reason="Customer is furious about a third delay")
    assert flagged.difficult_since is not None
    assert (flagged.team, flagged.assignee) == (seniors, senior)
    event = Event.objects.get(subject_id=ticket.pk, action="flagged_difficult")
    assert event.reason == "Customer is furious about a third delay"
    checked = difficult_checklist_set(ticket=flagged, actor=senior, item="acknowledge", done=True)
    checked = difficult_checklist_set(ticket=checked, actor=senior, item="listen", done=True)
    assert checked.difficult_checklist == ["listen", "acknowledge"]
    checked = difficult_checklist_set(ticket=checked, actor=senior, item="listen", done=False)
    assert checked.difficult_checklist == ["acknowledge"]
    with pytest.raises(ApplicationError) as unknown:
        difficult_checklist_set(ticket=checked, actor=senior, item="shout", done=True)
    assert unknown.value.field == "item"
    cleared = ticket_clear_difficult(ticket=checked, actor=senior)
    assert (cleared.difficult_since, cleared.difficult_checklist) == (None, None)
    with pytest.raises(ApplicationError):
        difficult_checklist_set(ticket=cleared, actor=senior, item="listen", done=True)


JSON = "application/json"


def test_merge_link_split_and_difficult_over_the_api(
    api_client: Any, alice: Any, carol: Contact, portal_user_for: Any
) -> None:
    client = api_client(alice)
    first, second, third = _ticket(carol), _ticket(carol), _ticket(carol)
    linked = client.post(f"/api/v1/tickets/{first.pk}/links", {"ticket_id": second.pk}, content_type=JSON)
    assert linked.status_code == 201
    assert [item["number"] for item in linked.json()] == [second.number]
    assert client.delete(f"/api/v1/tickets/{first.pk}/links/{second.pk}").status_code == 204
    assert client.delete(f"/api/v1/tickets/{first.pk}/links/{second.pk}").status_code == 404
    merged = client.post(f"/api/v1/tickets/{third.pk}/merge", {"target_id": first.pk}, content_type=JSON)
    assert merged.status_code == 200, merged.content
    assert client.get(f"/api/v1/tickets/{third.pk}").json()["merged_into_id"] == first.pk
    reply = ticket_reply(ticket=first, body="Second question: can I change the size?", contact=carol)
    split = client.post(
        f"/api/v1/tickets/{first.pk}/messages/{reply.pk}/split", {"subject": "Size change"}, content_type=JSON
    )
    assert split.status_code == 201, split.content
    assert split.json()["subject"] == "Size change"
    flagged = client.put(f"/api/v1/tickets/{first.pk}/difficult", {"reason": "Angry"}, content_type=JSON)
    assert flagged.json()["difficult_since"] is not None
    ticked = client.put(f"/api/v1/tickets/{first.pk}/difficult/checklist/apologise", {"done": True}, content_type=JSON)
    assert ticked.json()["difficult_checklist"] == ["apologise"]
    unknown = client.put(f"/api/v1/tickets/{first.pk}/difficult/checklist/shout", {"done": True}, content_type=JSON)
    assert unknown.status_code == 422
    assert client.delete(f"/api/v1/tickets/{first.pk}/difficult").json()["difficult_since"] is None
    contact = api_client(portal_user_for(carol))
    refused = contact.post(f"/api/v1/tickets/{first.pk}/links", {"ticket_id": second.pk}, content_type=JSON)
    assert refused.status_code == 403
    assert TicketLink.objects.count() == 1  # only the split's link


def test_the_ticket_page_merges_links_splits_and_works_the_checklist(alice: Any, carol: Contact) -> None:
    from django.test import Client

    browser = Client()
    browser.force_login(alice)
    ticket, duplicate = _ticket(carol), _ticket(carol)
    later = ticket_reply(ticket=ticket, body="Another thing entirely", contact=carol)
    page = browser.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Split into a new ticket" in page and "Flag as a difficult conversation" in page
    response = browser.post(f"/tickets/{ticket.number}/links/", {"other": duplicate.number}, follow=True)
    assert f"#{duplicate.number}" in response.content.decode()
    response = browser.post(f"/tickets/{ticket.number}/split/", {"message": later.pk}, follow=True)
    assert "is now ticket" in response.content.decode()
    refused = browser.post(f"/tickets/{ticket.number}/difficult/", {"reason": ""}, follow=True)
    assert "This field is required." in refused.content.decode()
    ticket.refresh_from_db()
    assert ticket.difficult_since is None
    browser.post(f"/tickets/{ticket.number}/difficult/", {"reason": "Third complaint"})
    browser.post(f"/tickets/{ticket.number}/difficult/checklist/", {"item": "listen", "done": "on"})
    ticket.refresh_from_db()
    assert ticket.difficult_checklist == ["listen"]
    page = browser.get(f"/tickets/{ticket.number}/").content.decode()
    assert 'aria-pressed="true"' in page
    # The history names what happened in words, not action codes.
    assert "flagged a difficult conversation" in page and "worked the de-escalation checklist" in page
    response = browser.post(f"/tickets/{duplicate.number}/merge/", {"target": ticket.number}, follow=True)
    duplicate.refresh_from_db()
    assert duplicate.merged_into == ticket
    assert f"Merged into ticket #{ticket.number}" in browser.get(f"/tickets/{duplicate.number}/").content.decode()
