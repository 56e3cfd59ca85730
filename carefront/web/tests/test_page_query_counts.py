"""The pages `bench/pages.py` times cost exactly as many queries with much more data as with a little.

The pages are the benchmark's: the inbox (default, built-in views, filters, a saved view, a page reached by
its "next" link), a ticket, the account list and search, an account, and global search for a ticket number,
a word, two words, an e-mail address and a name. Each page is requested twice and the second request
counted (the first fills per-process caches), as the benchmark does.

The small data holds one of everything each page shows, so that no page is empty; the large data grows
every list at once: tickets in each view, the conversation, the account's contacts, orders and tickets,
the accounts and contacts each search finds, the saved views. How many queries a page costs may depend on
what kinds of rows it shows (a search loads message snippets only when a message matched), never on how
many.
"""

from __future__ import annotations

import html
import re
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from carefront.accounts.models import Contact
from carefront.accounts.services import account_create, contact_create, order_create
from carefront.core.models import Team
from carefront.desk.models import Ticket
from carefront.desk.selectors import TicketFilters
from carefront.desk.services import NewAttachment, ticket_add_note, ticket_create, ticket_reply, ticket_update
from carefront.web.selectors import PAGE_SIZE, InboxQuery
from carefront.web.services import saved_view_create

NEXT_LINK = re.compile(r'<a href="([^"]*)"[^>]*rel="next"')
MORE = 30


def _pages(*, number: int, account_id: int, saved_view_id: int, inbox_deep: str) -> dict[str, str]:
    return {
        "inbox": "/",
        "inbox_mine": "/?view=mine",
        "inbox_unassigned": "/?view=unassigned",
        "inbox_team_by_priority": "/?view=team&sort=priority",
        "inbox_filtered": "/?status=open&status=pending&channel=email&sort=updated",
        "inbox_saved_view": f"/?saved={saved_view_id}",
        "inbox_deep": inbox_deep,
        # The sidebar's counts, which the inbox fetches as it loads.
        "sidebar_counts": f"/inbox/sidebar/?active=saved-{saved_view_id}",
        "ticket": f"/tickets/{number}/",
        "accounts": "/accounts/",
        "accounts_search": "/accounts/?q=Carol+Jones",
        "account": f"/accounts/{account_id}/",
        "search_number": f"/search/?q={number}",
        "search_word": "/search/?q=parcel",
        "search_phrase": "/search/?q=parcel+never",
        "search_email": "/search/?q=carol%40acme.example",
        "search_name": "/search/?q=Carol+Jones",
    }


def _queries(client: Client, pages: dict[str, str]) -> tuple[dict[str, int], dict[str, Any]]:
    """Each page's queries on its second request, and the responses."""
    counts: dict[str, int] = {}
    responses: dict[str, Any] = {}
    for name, url in pages.items():
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        counts[name] = len(captured.captured_queries)
        responses[name] = response
    return counts, responses


def _rows(response: Any) -> int:
    """How many tickets an inbox page lists."""
    return len(re.findall(r'name="ticket" value="\d+"', response.content.decode()))


def _letters(index: int) -> str:
    """A name suffix without digits: a number in a name would make it a hit of the ticket-number search."""
    return chr(ord("A") + index // 26) + chr(ord("A") + index % 26)


def _one_of_everything(*, alice: Any, carol: Contact, ticket: Ticket, front_line: Team) -> Ticket:
    """GIVEN Carol's ticket open, urgent and Alice's with a reply, a note and an attachment, an unassigned
    ticket whose message names the first one, an order, an account and a contact Carol Jones, a saved view."""
    ticket_update(ticket=ticket, actor=alice, assignee=alice, team=front_line, priority="urgent", tags=["refund"])
    ticket_reply(
        ticket=ticket,
        staff=alice,
        actor=alice,
        body="A new parcel is on its way.",
        attachments=[NewAttachment(filename="label.pdf", content_type="application/pdf", content=b"%PDF-1.4")],
    )
    ticket_add_note(ticket=ticket, actor=alice, body="Courier confirmed the loss.")
    unassigned = ticket_create(
        actor=None,
        requester=carol,
        subject="Where is my order?",
        body=f"Same problem as ticket {ticket.number}: the parcel never came.",
    )
    order_create(
        actor=None, account=ticket.account, external_id="order-0", placed_at=timezone.now(), currency="EUR", amount="10"
    )
    consulting = account_create(actor=None, name="Carol Jones Consulting", kind="organisation")
    contact_create(actor=None, account=consulting, name="Carol Jones", email="carol@acme.example")
    saved_view_create(
        actor=alice,
        name="Urgent, open",
        query=InboxQuery(filters=TicketFilters(statuses=("open",), priority="urgent"), sort="updated"),
    )
    return unassigned


def _much_more(*, alice: Any, bob: Any, carol: Contact, ticket: Ticket, front_line: Team) -> None:
    """WHEN every list grows: tickets in each view (subject and message hits of the searches), the
    conversation, the account's contacts and orders, accounts and contacts named Carol Jones, saved views."""
    for index in range(MORE):
        requester = contact_create(
            actor=None, account=carol.account, name=f"Person {_letters(index)}", email=f"p{index}@acme.example"
        )
        # A third match in the subject, the rest in a message only: the best 20 hits hold both kinds.
        if index % 3 == 0:
            ticket_create(
                actor=None,
                requester=requester,
                subject=f"Parcel {index} never arrived",
                body="Still waiting.",
                assignee=alice if index % 2 else bob,
                team=front_line,
                priority="urgent",
                tags=["refund", f"t{index}"],
            )
        else:
            other = ticket_create(
                actor=None,
                requester=requester,
                subject=f"Question {index}",
                body=f"Same problem as ticket {ticket.number}: the parcel never came.",
                team=front_line if index % 2 else None,
            )
            if index % 2:
                ticket_reply(ticket=other, staff=alice, actor=alice, body="We are looking into it.", status="pending")
        ticket_reply(ticket=ticket, staff=bob if index % 2 else alice, actor=alice, body=f"Reply {index}")
        ticket_reply(ticket=ticket, contact=carol, body=f"Answer {index}")
        ticket_add_note(
            ticket=ticket,
            actor=bob,
            body=f"Note {index}",
            attachments=[NewAttachment(filename=f"n{index}.txt", content_type="text/plain", content=b"x")],
        )
        ticket_update(
            ticket=ticket, actor=alice, priority="high" if index % 2 else "urgent", tags=["refund", f"t{index}"]
        )
        order_create(
            actor=None,
            account=ticket.account,
            external_id=f"order-{index + 1}",
            placed_at=timezone.now(),
            currency=("EUR", "GBP")[index % 2],
            amount="10",
        )
        consulting = account_create(actor=None, name=f"Carol Jones Consulting {_letters(index)}", kind="organisation")
        contact_create(actor=None, account=consulting, name="Carol Jones", email="carol@acme.example")
        if index < 5:
            saved_view_create(
                actor=alice, name=f"View {index}", query=InboxQuery(filters=TicketFilters(tag=f"t{index}"))
            )


def test_workspace_pages_cost_the_same_queries_with_much_more_data(alice, bob, carol, ticket, front_line):
    client = Client()
    client.force_login(alice)
    newest = _one_of_everything(alice=alice, carol=carol, ticket=ticket, front_line=front_line)
    saved_view_id = alice.saved_views.get().pk
    place = {"number": ticket.number, "account_id": ticket.account_id, "saved_view_id": saved_view_id}
    few, small = _queries(client, _pages(**place, inbox_deep=f"/?after={newest.pk}"))
    assert all(_rows(small[name]) for name in few if name.startswith("inbox"))

    _much_more(alice=alice, bob=bob, carol=carol, ticket=ticket, front_line=front_line)
    found = NEXT_LINK.search(client.get("/").content.decode())
    assert found is not None
    many, large = _queries(client, _pages(**place, inbox_deep="/" + html.unescape(found.group(1))))

    assert many == few
    assert _rows(large["inbox"]) == PAGE_SIZE
    assert _rows(large["inbox_deep"]) == Ticket.objects.count() - PAGE_SIZE
    assert "Answer 29" in large["ticket"].content.decode()
    assert "Only the latest tickets are shown." in large["account"].content.decode()
    assert large["accounts_search"].content.decode().count("Carol Jones Consulting") > 20
    for name in ("search_word", "search_phrase", "search_name"):
        results = large[name].context["results"]
        assert results.tickets.count_label == "20+" or results.contacts.count_label == "20+", name
        assert [hit for hit in results.tickets.hits if hit.snippet] or results.contacts.hits, name
    assert large["search_email"].context["results"].contacts.count_label == "20+"
