"""CSV import of tickets: numbers, first messages, requesters, and the same rules as ticket_update."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest

from carefront.accounts.models import Account, Contact
from carefront.accounts.services import contact_create
from carefront.core.csvio import CsvImportError, ImportCounts, csv_import
from carefront.core.models import Event
from carefront.desk.models import Message, Ticket
from carefront.desk.services import ticket_update

HEADER = "external_id,subject,status,requester,assignee,team,tags,created_at,solved_at,description\n"


def run_import(text: str, actor: Any = None) -> ImportCounts:
    return csv_import(kind="tickets", source=io.BytesIO(text.encode()), actor=actor)


def import_errors(text: str) -> list[str]:
    with pytest.raises(CsvImportError) as info:
        run_import(text)
    return [str(error) for error in info.value.errors]


def test_new_tickets_take_the_next_numbers_and_a_first_message(ticket: Ticket, carol: Contact, alice: Any) -> None:
    counts = run_import(
        HEADER
        + "t-1,Broken lid,,carol@acme.example,alice,Front line,lid;Damage,"
        + "2024-05-01T09:00:00Z,,The lid <b>cracked</b>\n"
        + "t-2,Refund please,solved,carol@acme.example,,,,2024-05-02T09:00:00Z,2024-05-03T10:00:00Z,\n",
        actor=alice,
    )
    assert counts.created == 2
    first, second = Ticket.objects.filter(external_id__in=["t-1", "t-2"]).order_by("number")
    assert (first.number, second.number) == (ticket.number + 1, ticket.number + 2)
    assert (first.status, first.assignee, first.team.name if first.team else None) == ("open", alice, "Front line")
    assert sorted(first.tags.values_list("name", flat=True)) == ["damage", "lid"]
    message = Message.objects.get(ticket=first)
    assert (message.author_contact, message.body_text) == (carol, "The lid <b>cracked</b>")
    assert message.body_html == "<p>The lid &lt;b&gt;cracked&lt;/b&gt;</p>"
    assert message.created_at == datetime(2024, 5, 1, 9, tzinfo=UTC)
    assert message.account_id == carol.account_id
    assert Message.objects.get(ticket=second).body_text == "Refund please"
    assert (second.status, second.solved_at) == ("solved", datetime(2024, 5, 3, 10, tzinfo=UTC))
    imported = Event.objects.filter(subject_kind="ticket", subject_id__in=[first.pk, second.pk])
    assert sorted(imported.values_list("action", "actor_label")) == [("imported", "alice"), ("imported", "alice")]


def test_requester_by_email_needs_the_account_when_several_contacts_share_it(acme: Account, globex: Account) -> None:
    contact_create(actor=None, account=acme, name="Sam A", email="sam@example.com")
    sam_globex = contact_create(actor=None, account=globex, name="Sam G", email="sam@example.com")
    errors = import_errors("external_id,subject,requester\nt-1,Hello,sam@example.com\nt-2,Hi,nobody@example.com\n")
    assert errors == [
        "Row 2, column requester: Several contacts have the email sam@example.com; "
        "name the account in the account column.",
        "Row 3, column requester: No contact has the external id or email “nobody@example.com”.",
    ]
    run_import(f"external_id,subject,requester,account\nt-1,Hello,sam@example.com,id:{globex.pk}\n")
    assert Ticket.objects.get(external_id="t-1").requester == sam_globex


def test_updates_follow_ticket_rules_and_are_audited(ticket: Ticket, alice: Any) -> None:
    ticket.external_id = "t-1"
    ticket.save()
    counts = run_import("external_id,priority,assignee,tags\nt-1,URGENT,alice,vip\n", actor=alice)
    assert counts.updated == 1
    ticket.refresh_from_db()
    # Assigning a new ticket opens it, as ticket_update does.
    assert (ticket.priority, ticket.assignee, ticket.status, ticket.version) == ("urgent", alice, "open", 2)
    changes = {
        (e.field, str(e.old_value), str(e.new_value))
        for e in Event.objects.filter(subject_id=ticket.pk, subject_kind="ticket", action="updated")
    }
    assert changes == {
        ("priority", "normal", "urgent"),
        ("assignee", "None", "alice"),
        ("status", "new", "open"),
        ("tags", "[]", "['vip']"),
    }


def test_status_rules_apply_and_a_closed_ticket_does_not_change(ticket: Ticket, alice: Any) -> None:
    ticket.external_id = "t-1"
    ticket.save()
    ticket_update(ticket=ticket, actor=alice, status="open")
    errors = import_errors("external_id,status,solved_at\nt-1,new,\n")
    assert errors == ["Row 2, column status: A ticket cannot go back to new."]
    errors = import_errors("external_id,status,solved_at\nt-1,pending,2025-01-01T00:00:00Z\n")
    assert errors == ["Row 2, column solved_at: Only a solved or closed ticket has a solved time."]
    ticket_update(ticket=ticket, actor=alice, status="solved")
    ticket_update(ticket=ticket, actor=alice, status="closed")
    errors = import_errors("external_id,subject\nt-1,New subject\n")
    assert errors == [
        f"Row 2, column status: Ticket #{ticket.number} is closed and cannot change; "
        "a new reply opens a follow-up ticket."
    ]


def test_requester_account_and_channel_are_set_only_on_creation(ticket: Ticket, charlie: Contact) -> None:
    ticket.external_id = "t-1"
    ticket.save()
    errors = import_errors(f"external_id,requester,channel\nt-1,charlie@globex.example,chat\nt-2,id:{charlie.pk},\n")
    assert errors == [
        "Row 2, column requester: This can only be set when the ticket is created.",
        "Row 3, column subject: This field is required.",
    ]


def test_unknown_people_and_teams_and_bad_times_are_named(carol: Contact, alice: Any) -> None:
    errors = import_errors(
        HEADER
        + "t-1,A,,carol@acme.example,zed,,,,,\n"
        + "t-2,B,,carol@acme.example,,Night shift,,,,\n"
        + "t-3,C,solved,carol@acme.example,,,,2025-01-02T00:00:00Z,2025-01-01T00:00:00Z,\n"
        + "t-4,D,stuck,carol@acme.example,,,,,,\n"
    )
    assert errors == [
        "Row 2, column assignee: No staff member has the username or email “zed”.",
        "Row 3, column team: No team is named “Night shift”.",
        "Row 4, column solved_at: This is earlier than the ticket's created_at.",
        "Row 5, column status: “stuck” is not one of: new, open, pending, on_hold, solved, closed.",
    ]
    assert not Ticket.objects.exists()


def test_tier_accepts_digits_and_level_names(carol: Contact) -> None:
    run_import("external_id,subject,requester,tier\nt-1,A,carol@acme.example,L3\nt-2,B,carol@acme.example,0\n")
    assert dict(Ticket.objects.values_list("external_id", "tier")) == {"t-1": 3, "t-2": 0}
    assert import_errors("external_id,subject,requester,tier\nt-3,C,carol@acme.example,L7\n") == [
        "Row 2, column tier: “L7” is not one of: 0, 1, 2, 3."
    ]
