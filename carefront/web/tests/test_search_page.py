"""The global search page: one box, results grouped by kind, links to where each hit lives."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from carefront.accounts.services import account_create, contact_create
from carefront.desk.services import ticket_create, ticket_reply


@pytest.fixture
def client_for() -> Any:
    def make(user: Any) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


def test_search_requires_a_staff_login(ticket, carol, portal_user_for, client_for):
    anonymous = Client().get("/search/", {"q": "parcel"})
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login/")
    assert client_for(portal_user_for(carol)).get("/search/", {"q": "parcel"}).status_code == 403


def test_results_are_grouped_with_counts_and_links(alice, ticket, carol, acme, client_for):
    contact_create(actor=None, account=acme, name="Acme Buyer", email="buyer@acme.example")
    ticket_reply(ticket=ticket, staff=alice, actor=alice, body="Acme's parcel left the depot today.")
    response = client_for(alice).get("/search/", {"q": "acme"})
    assert response.status_code == 200
    assert response.context["nav"] == "search"
    results = response.context["results"]
    assert [hit.ticket.pk for hit in results.tickets.hits] == [ticket.pk]
    assert [hit.account.pk for hit in results.accounts.hits] == [acme.pk]
    assert {hit.contact.name for hit in results.contacts.hits} == {"Carol Jones", "Acme Buyer"}
    html = response.content.decode()
    assert '<h2 id="search-tickets" tabindex="-1">Tickets <span class="search-count">1</span></h2>' in html
    assert '<h2 id="search-accounts" tabindex="-1">Accounts <span class="search-count">1</span></h2>' in html
    assert '<h2 id="search-contacts" tabindex="-1">Contacts <span class="search-count">2</span></h2>' in html
    assert f'href="/tickets/{ticket.number}/"' in html
    assert html.count(f'href="/accounts/{acme.pk}/"') == 3  # the account, and each contact's account page
    assert "<mark>Acme</mark>" in html
    assert 'value="acme"' in html  # the box at the top keeps the query


def test_a_ticket_number_leads_with_that_ticket(alice, ticket, carol, client_for):
    other = ticket_create(actor=None, requester=carol, subject=f"Duplicate of {ticket.number}", body="Same.")
    results = client_for(alice).get("/search/", {"q": f"#{ticket.number}"}).context["results"]
    assert [hit.ticket.pk for hit in results.tickets.hits] == [ticket.pk, other.pk]


def test_empty_and_too_short_queries_explain_themselves(alice, ticket, client_for):
    client = client_for(alice)
    empty = client.get("/search/")
    assert empty.status_code == 200
    assert empty.context["results"] is None
    assert b'id="search-help"' in empty.content
    short = client.get("/search/", {"q": "p"})
    assert short.context["results"].too_short
    assert b"Type at least two letters or digits" in short.content
    nothing = client.get("/search/", {"q": "zeppelin"})
    assert b"Nothing found for \xe2\x80\x9czeppelin\xe2\x80\x9d" in nothing.content


@pytest.mark.parametrize("typed", ['"', "*", "-", "AND", "NEAR(", 'parcel" OR "1', "x" * 5000, "%00", "<script>"])
def test_special_characters_never_break_the_page(alice, ticket, client_for, typed):
    response = client_for(alice).get("/search/", {"q": typed})
    assert response.status_code == 200
    assert b"<script>" not in response.content.split(b"</header>")[-1]


def test_matched_text_is_escaped(alice, carol, client_for):
    ticket_create(actor=None, requester=carol, subject="<b>Bold</b> claim & <script>x</script>", body="Bold.")
    html = client_for(alice).get("/search/", {"q": "bold"}).content.decode()
    assert "&lt;<mark>b</mark>&gt;" not in html  # "b" alone is not a match of "bold": whole words only
    assert "&lt;b&gt;<mark>Bold</mark>&lt;/b&gt; claim &amp; &lt;script&gt;x&lt;/script&gt;" in html
    assert "<script>x</script>" not in html


def test_french_interface(dana, charlie, client_for):
    ticket_create(actor=None, requester=charlie, subject="Réclamation colis", body="Bonjour.")
    dana.staff_profile.language = "fr"
    dana.staff_profile.save(update_fields=["language"])
    response = client_for(dana).get("/search/", {"q": "reclamation"})
    assert response.status_code == 200
    assert [hit.ticket.subject for hit in response.context["results"].tickets.hits] == ["Réclamation colis"]


def test_the_page_query_count_does_not_grow_with_the_data(alice, carol, client_for, django_assert_max_num_queries):
    client = client_for(alice)

    def page_queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get("/search/", {"q": "widget"}).status_code == 200
        return len(context.captured_queries)

    def add_matches(count: int) -> None:
        """Hits of every kind: subject, message text only, account, contact."""
        for index in range(count):
            ticket_create(actor=None, requester=carol, subject=f"Widget broken {index}", body="Broke.")
            gadget = ticket_create(actor=None, requester=carol, subject=f"Gadget {index}", body="The widget broke.")
            ticket_reply(ticket=gadget, staff=alice, actor=alice, body="Widget replaced.")
            account = account_create(actor=None, name=f"Widget Works {index}", kind="organisation")
            contact_create(actor=None, account=account, name=f"Widget Buyer {index}", email=f"w{index}@x.example")

    add_matches(1)
    few = page_queries()
    add_matches(30)
    many = page_queries()
    # Equal or fewer: with many subject hits the best 20 need no message snippets.
    assert many <= few <= 10  # session, user, profile; then find and load each kind, and the message snippets
    with django_assert_max_num_queries(few):
        response = client.get("/search/", {"q": "widget"})
    assert response.context["results"].tickets.count_label == "20+"
    assert response.context["results"].accounts.count_label == "20+"
    assert response.context["results"].contacts.count_label == "20+"
