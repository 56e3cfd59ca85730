"""Global search, through the one selector, on whichever database the suite runs on (SQLite or PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection, models
from django.db.migrations.executor import MigrationExecutor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carefront.accounts.models import Contact
from carefront.accounts.services import account_create, account_update, contact_create, contact_update
from carefront.core.search import BODY, EMAIL, NAME, NUMBER, PHONE, SUBJECT, SearchResults, search
from carefront.core.search_index import search_index_ensure, search_index_problems, search_index_rebuild
from carefront.desk.models import Message, Ticket
from carefront.desk.services import ticket_add_note, ticket_create, ticket_reply, ticket_update
from carefront.insights.fact_triggers import fact_triggers_ensure


def ticket_numbers(results: SearchResults) -> list[int]:
    return [hit.ticket.number for hit in results.tickets.hits]


def account_names(results: SearchResults) -> list[str]:
    return [hit.account.name for hit in results.accounts.hits]


def contact_names(results: SearchResults) -> list[str]:
    return [hit.contact.name for hit in results.contacts.hits]


# --- Tickets -------------------------------------------------------------------------------------------------------


def test_subject_words_find_the_ticket(alice, ticket):
    results = search(user=alice, query="parcel arrived")
    assert ticket_numbers(results) == [ticket.number]
    assert results.tickets.hits[0].found_in == SUBJECT
    assert ("Parcel", True) in results.tickets.hits[0].subject


def test_the_last_word_matches_as_a_prefix(alice, ticket):
    assert ticket_numbers(search(user=alice, query="parc")) == [ticket.number]
    assert ticket_numbers(search(user=alice, query="never arr")) == [ticket.number]


def test_every_word_must_match(alice, ticket):
    assert ticket_numbers(search(user=alice, query="parcel invoice")) == []


def test_message_words_find_the_ticket_with_a_snippet(alice, ticket):
    ticket_reply(
        ticket=ticket, staff=alice, actor=alice, body="The carrier lost the scan; a replacement is on its way."
    )
    results = search(user=alice, query="carrier replacement")
    assert ticket_numbers(results) == [ticket.number]
    hit = results.tickets.hits[0]
    assert hit.found_in == BODY
    assert ("carrier", True) in hit.snippet
    assert ("replacement", True) in hit.snippet


def test_message_words_match_whole_words_only(alice, ticket):
    """GIVEN "carrier" only in a message WHEN searching "carri" THEN no match: no prefixes over message text."""
    ticket_reply(ticket=ticket, staff=alice, actor=alice, body="The carrier lost the scan.")
    assert ticket_numbers(search(user=alice, query="carri")) == []


def test_subject_matches_rank_before_message_matches(alice, carol):
    in_body = ticket_create(actor=None, requester=carol, subject="Question", body="Where is my refund?")
    in_subject = ticket_create(actor=None, requester=carol, subject="Refund request", body="Please help.")
    assert ticket_numbers(search(user=alice, query="refund")) == [in_subject.number, in_body.number]


@pytest.mark.parametrize("typed", ["#{number}", "{number}", "# {number}", " {number} "])
def test_a_ticket_number_finds_that_ticket_first(alice, carol, typed):
    mentions = [
        ticket_create(actor=None, requester=carol, subject=f"About order {n}", body=f"Order {n}.") for n in range(3)
    ]
    wanted = ticket_create(actor=None, requester=carol, subject="Printer jammed", body="It jams.")
    for mention in mentions:
        ticket_reply(ticket=mention, staff=alice, actor=alice, body=f"See ticket {wanted.number}.")
    results = search(user=alice, query=typed.format(number=wanted.number))
    assert ticket_numbers(results)[0] == wanted.number
    assert results.tickets.hits[0].found_in == NUMBER
    assert results.tickets.hits[0].by_number
    assert set(ticket_numbers(results)[1:]) == {mention.number for mention in mentions}


def test_a_single_digit_is_a_ticket_number_not_too_short(alice, ticket):
    assert not search(user=alice, query="7").too_short
    assert not search(user=alice, query="#7").too_short


# --- Accounts and contacts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["acme", "ACME ltd", "acm", "acct-acme", "acct"])
def test_accounts_by_name_or_external_id(alice, acme, globex, typed):
    assert account_names(search(user=alice, query=typed)) == ["Acme Ltd"]


@pytest.mark.parametrize(
    ("typed", "found_in"),
    [
        ("carol jones", NAME),
        ("jon", NAME),
        ("carol@acme.example", EMAIL),
        ("carol@acm", EMAIL),
        ("CAROL@ACME", EMAIL),
        ("+442071838750", PHONE),
        ("+44 20 7183 8750", PHONE),
        ("020 7183 8750", PHONE),
        ("(020) 7183-8750", PHONE),
        ("0044 20 7183 8750", PHONE),
        ("7183", PHONE),
    ],
)
def test_contacts_by_name_email_or_phone(alice, carol, charlie, typed, found_in):
    results = search(user=alice, query=typed)
    assert contact_names(results) == ["Carol Jones"]
    assert results.contacts.hits[0].found_in == found_in


def test_an_email_domain_finds_everyone_there(alice, carol, acme):
    colleague = contact_create(actor=None, account=acme, name="Dave Smith", email="dave@acme.example")
    results = search(user=alice, query="acme.example")
    assert {hit.contact.pk for hit in results.contacts.hits} == {carol.pk, colleague.pk}


# --- Languages ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["réclamation", "Réclamation", "RÉCLAMATION", "reclamation", "réclam"])
def test_french_words_are_found_with_or_without_accents(alice, charlie, typed):
    claim = ticket_create(actor=None, requester=charlie, subject="Réclamation sur ma facture", body="Bonjour.")
    assert ticket_numbers(search(user=alice, query=typed)) == [claim.number]


def test_accents_fold_in_messages_names_and_accounts(alice, globex):
    societe = account_create(actor=None, name="Société Générale Müller", kind="organisation", country="FR")
    eloise = contact_create(actor=None, account=globex, name="Éloïse Dubois", email="eloise@globex.example")
    claim = ticket_create(actor=None, requester=eloise, subject="Colis", body="Le colis est arrivé abîmé.")
    assert account_names(search(user=alice, query="societe generale")) == [societe.name]
    assert account_names(search(user=alice, query="müller")) == [societe.name]
    assert contact_names(search(user=alice, query="eloise")) == [eloise.name]
    assert ticket_numbers(search(user=alice, query="abime")) == [claim.number]
    assert ticket_numbers(search(user=alice, query="arrivé abîmé")) == [claim.number]


def test_words_in_other_scripts_are_found(alice, carol):
    greek = ticket_create(actor=None, requester=carol, subject="Παραγγελία χάθηκε", body="Καλημέρα.")
    japanese = ticket_create(actor=None, requester=carol, subject="注文 届かない", body="よろしく")
    assert ticket_numbers(search(user=alice, query="παραγγελία")) == [greek.number]
    assert ticket_numbers(search(user=alice, query="注文")) == [japanese.number]


# --- Untrusted input -----------------------------------------------------------------------------------------------

SPECIAL = [
    '"',
    '""',
    "*",
    "-",
    "AND",
    "OR",
    "NOT",
    "NEAR(",
    "NEAR(parcel arrived, 2)",
    '"parcel',
    "parcel*",
    "-parcel",
    "parcel AND",
    "parcel OR never",
    "subject:parcel",
    "{subject} : parcel",
    "^parcel",
    "parcel)",
    "(parcel",
    "'parcel'",
    "parcel & never | !x <-> y:*",
    "%",
    "_",
    "\\",
    "parcel\x00",
    "'; DROP TABLE desk_ticket; --",
    "a" * 500,
    "parcel " * 40,
]


@pytest.mark.parametrize("typed", SPECIAL)
def test_query_syntax_characters_never_error(alice, ticket, carol, typed):
    results = search(user=alice, query=typed)
    assert isinstance(results, SearchResults)
    assert Ticket.objects.filter(pk=ticket.pk).exists()


@pytest.mark.parametrize("typed", ['"parcel"', "parcel*", "-parcel", "(parcel)", "'parcel'", "parcel:", "parcel^"])
def test_operators_around_a_word_are_ignored(alice, ticket, typed):
    assert ticket_numbers(search(user=alice, query=typed)) == [ticket.number]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=st.text(max_size=40))
def test_any_text_is_a_valid_query(alice, ticket, carol, typed):
    assert isinstance(search(user=alice, query=typed), SearchResults)


def test_too_short_queries_search_nothing(alice, ticket):
    for typed in ["", "   ", "p", '"', "*"]:
        results = search(user=alice, query=typed)
        assert results.too_short
        assert results.total == 0


# --- The index follows the data ---------------------------------------------------------------------------------


def test_the_index_follows_tickets_messages_and_contacts(alice, carol):
    created = ticket_create(actor=None, requester=carol, subject="Blender makes noise", body="Loud.")
    assert ticket_numbers(search(user=alice, query="blender")) == [created.number]

    ticket_update(ticket=created, actor=alice, subject="Toaster makes noise")
    assert ticket_numbers(search(user=alice, query="blender")) == []
    assert ticket_numbers(search(user=alice, query="toaster")) == [created.number]

    ticket_add_note(ticket=created, actor=alice, body="Known defect in batch ZX81.")
    assert ticket_numbers(search(user=alice, query="zx81")) == [created.number]

    contact_update(contact=carol, actor=alice, email="carol.jones@newmail.example")
    assert contact_names(search(user=alice, query="carol@acme")) == []
    assert contact_names(search(user=alice, query="newmail")) == ["Carol Jones"]

    account_update(account=carol.account, actor=alice, name="Acme Holdings")
    assert account_names(search(user=alice, query="holdings")) == ["Acme Holdings"]

    Message.objects.filter(ticket=created).delete()
    assert ticket_numbers(search(user=alice, query="zx81")) == []
    Ticket.objects.filter(pk=created.pk).delete()
    assert ticket_numbers(search(user=alice, query="toaster")) == []
    assert search_index_problems() == []


def test_bulk_writes_that_bypass_the_services_are_indexed(alice, carol):
    """GIVEN rows written by bulk_create and queryset.update (imports do that) THEN search finds them at once."""
    Ticket.objects.bulk_create(
        [
            Ticket(number=900001, subject="Kettle leaks", account=carol.account, requester=carol),
            Ticket(number=900002, subject="Kettle hums", account=carol.account, requester=carol),
        ]
    )
    assert sorted(ticket_numbers(search(user=alice, query="kettle"))) == [900001, 900002]
    Ticket.objects.filter(number=900002).update(subject="Fridge hums")
    assert ticket_numbers(search(user=alice, query="kettle")) == [900001]
    assert ticket_numbers(search(user=alice, query="fridge")) == [900002]
    Contact.objects.filter(pk=carol.pk).update(phone="+33612345678")
    assert contact_names(search(user=alice, query="06 12 34 56 78")) == ["Carol Jones"]
    assert contact_names(search(user=alice, query="7183 8750")) == []
    assert search_index_problems() == []


def test_other_changes_leave_the_index_alone(alice, ticket):
    ticket_update(ticket=ticket, actor=alice, status="pending", priority="high", tags=["delivery"])
    assert ticket_numbers(search(user=alice, query="parcel")) == [ticket.number]
    assert search_index_problems() == []


def test_a_rebuild_keeps_the_same_answers(alice, ticket, carol):
    before = ticket_numbers(search(user=alice, query="parcel")), contact_names(search(user=alice, query="carol"))
    search_index_rebuild()
    after = ticket_numbers(search(user=alice, query="parcel")), contact_names(search(user=alice, query="carol"))
    assert before == after == ([ticket.number], ["Carol Jones"])
    call_command("search", "rebuild", verbosity=0)
    call_command("search", "check", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_the_migration_indexes_rows_that_already_exist(alice, ticket):
    """GIVEN tickets written before the search migration WHEN it runs THEN they are found."""
    executor = MigrationExecutor(connection)
    executor.migrate([("core", "0003_viewer_preferences")])
    try:
        Ticket.objects.filter(pk=ticket.pk).update(subject="Parcel written before the index")
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert ticket_numbers(search(user=alice, query="written before")) == [ticket.number]
    assert search_index_problems() == []


@pytest.mark.django_db(transaction=True)
def test_a_migration_that_rebuilds_a_table_keeps_the_index_current(alice, ticket):
    """GIVEN a migration that alters the ticket table (SQLite copies it into a new table, dropping its
    triggers) WHEN migrate finishes (post_migrate) THEN search still follows new and changed tickets."""
    old_field = Ticket._meta.get_field("subject")
    new_field = models.CharField(max_length=300)
    new_field.set_attributes_from_name("subject")
    with connection.schema_editor() as editor:
        editor.alter_field(Ticket, old_field, new_field)
    try:
        emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
        created = ticket_create(actor=None, requester=ticket.requester, subject="Scooter battery", body="Dead.")
        assert ticket_numbers(search(user=alice, query="scooter")) == [created.number]
        assert search_index_problems() == []
    finally:
        with connection.schema_editor() as editor:
            editor.alter_field(Ticket, new_field, old_field)
        search_index_ensure()
        fact_triggers_ensure()


# --- Who sees what -------------------------------------------------------------------------------------------------


def test_a_portal_contact_only_finds_their_own_accounts_rows(alice, ticket, carol, charlie, portal_user_for):
    theirs = ticket_create(actor=None, requester=charlie, subject="Parcel damaged", body="Parcel box crushed.")
    ticket_add_note(ticket=ticket, actor=alice, body="Internal: parcel insurance claim.")
    carol_user = portal_user_for(carol)

    results = search(user=carol_user, query="parcel")
    assert ticket_numbers(results) == [ticket.number]
    assert ticket_numbers(search(user=carol_user, query="insurance")) == []
    assert ticket_numbers(search(user=carol_user, query=f"#{theirs.number}")) == []
    assert ticket_numbers(search(user=carol_user, query="crushed")) == []
    assert account_names(search(user=carol_user, query="globex")) == []
    assert account_names(search(user=carol_user, query="acme")) == ["Acme Ltd"]
    assert contact_names(search(user=carol_user, query="charlie")) == []
    assert contact_names(search(user=carol_user, query="globex.example")) == []

    staff_results = search(user=alice, query="parcel")
    assert sorted(ticket_numbers(staff_results)) == sorted([ticket.number, theirs.number])
    staff_note = search(user=alice, query="insurance").tickets.hits
    assert [hit.ticket.number for hit in staff_note] == [ticket.number]
    assert staff_note[0].snippet_internal


def test_strangers_find_nothing(ticket, django_user_model):
    stranger = django_user_model.objects.create_user(username="stranger", password="x" * 20)
    assert search(user=stranger, query="parcel").total == 0
    assert search(user=None, query="parcel").total == 0


# --- Limits --------------------------------------------------------------------------------------------------------


def test_each_kind_is_capped_and_says_there_is_more(alice, carol):
    for index in range(3):
        ticket_create(actor=None, requester=carol, subject=f"Lamp flickers {index}", body="Flicker.")
    results = search(user=alice, query="lamp", limit_per_kind=2)
    assert results.tickets.count == 2
    assert results.tickets.has_more
    assert results.tickets.count_label == "2+"
    exact = search(user=alice, query="lamp", limit_per_kind=3)
    assert (exact.tickets.count, exact.tickets.has_more, exact.tickets.count_label) == (3, False, "3")


def test_the_number_of_queries_does_not_grow_with_matches(alice, carol, django_assert_max_num_queries):
    def search_all() -> Any:
        return search(user=alice, query="widget")

    ticket_create(actor=None, requester=carol, subject="Widget broken", body="Widget.")
    with django_assert_max_num_queries(7):
        few = search_all()
    for index in range(25):
        widget = ticket_create(actor=None, requester=carol, subject=f"Widget {index}", body="Widget widget.")
        ticket_reply(ticket=widget, staff=alice, actor=alice, body="Widget replaced.")
        contact_create(actor=None, account=carol.account, name=f"Widget Person {index}", email=f"w{index}@x.example")
    with django_assert_max_num_queries(7):
        many = search_all()
    assert few.tickets.count == 1
    assert many.tickets.count == 20
    assert many.contacts.count == 20
