"""Macros: placeholders rendered in a sandbox in the requester's language, actions applied on send, usage
counted, personal and shared, and every unknown placeholder or template tag refused when saved."""

from __future__ import annotations

from typing import Any

import pytest

from carefront.accounts.models import Contact
from carefront.accounts.services import contact_create
from carefront.core.exceptions import ApplicationError
from carefront.desk.macro_services import macro_apply, macro_create, macro_update
from carefront.desk.models import Macro, Ticket
from carefront.desk.services import ticket_create

TEXTS = {
    "en": "Hello {{ requester.first_name }},\n\nYour refund for #{{ ticket.number }} is on its way.\n\n"
    "{{ agent.first_name }}",
    "fr": "Bonjour {{ requester.first_name }},\n\nVotre remboursement (n° {{ ticket.number }}) est parti.\n\n"
    "{{ agent.first_name }}",
}


@pytest.fixture
def refund(morgan: Any) -> Macro:
    return macro_create(
        actor=morgan, name="Refund sent", texts=TEXTS, shared=True, set_status="solved", add_tags=["refund"]
    )


def test_a_macro_speaks_the_requesters_language_and_fills_its_placeholders(
    refund: Macro, alice: Any, ticket: Ticket, globex: Any
) -> None:
    english = macro_apply(macro=refund, ticket=ticket, actor=alice)
    assert english.language == "en"
    assert english.body.startswith("Hello Carol,") and f"#{ticket.number}" in english.body
    assert english.body.endswith("Alice")
    marie = contact_create(actor=None, account=globex, name="Marie Curie", email="marie@globex.example", language="fr")
    french_ticket = ticket_create(actor=None, requester=marie, subject="Remboursement", body="Où en est-il ?")
    french = macro_apply(macro=refund, ticket=french_ticket, actor=alice)
    assert (french.language, french.body.split(",")[0]) == ("fr", "Bonjour Marie")
    refund.refresh_from_db()
    assert refund.usage_count == 2


def test_sending_a_macro_replies_sets_the_status_and_adds_the_tags(refund: Macro, alice: Any, ticket: Ticket) -> None:
    applied = macro_apply(macro=refund, ticket=ticket, actor=alice, send=True)
    ticket.refresh_from_db()
    assert applied.message is not None and applied.message.body_text == applied.body
    assert ticket.status == "solved"
    assert list(ticket.tags.values_list("name", flat=True)) == ["refund"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Hi {{ requester.password }}", "Unknown placeholder"),
        ("Hi {{ ticket.requester.user.password }}", "Unknown placeholder"),
        ("{% debug %}", "only text and placeholders"),
        ("{% load static %}{% static 'x' %}", "cannot be read|only text and placeholders"),
        ("{% include 'web/base.html' %}", "only text and placeholders"),
        ("{{ requester.name|safe }}", "Filter “safe” is not allowed"),
        ("Hi {{ requester.name", "not closed"),
    ],
)
def test_unknown_placeholders_tags_and_filters_are_refused_and_nothing_is_saved(
    morgan: Any, body: str, message: str
) -> None:
    with pytest.raises(ApplicationError, match=message) as refused:
        macro_create(actor=morgan, name="Bad", texts={"en": body}, shared=True)
    assert refused.value.field == "texts"
    assert not Macro.objects.exists()


def test_personal_macros_are_their_owners_and_only_managers_share(alice: Any, bob: Any, morgan: Any) -> None:
    mine = macro_create(actor=alice, name="My sign-off", texts={"en": "Cheers, {{ agent.first_name }}"})
    with pytest.raises(ApplicationError) as not_manager:
        macro_create(actor=alice, name="For all", texts={"en": "Hi"}, shared=True)
    assert not_manager.value.status == 403
    with pytest.raises(ApplicationError) as not_owner:
        macro_update(actor=bob, macro=mine, name="Stolen")
    assert not_owner.value.status == 403
    with pytest.raises(ApplicationError, match="A note does not change the status"):
        macro_update(actor=alice, macro=mine, kind="internal", set_status="solved")
    assert Macro.objects.get(pk=mine.pk).name == "My sign-off"


def test_the_api_lists_only_usable_macros_and_applies_one(
    refund: Macro, api_client: Any, alice: Any, bob: Any, ticket: Ticket, carol: Contact, portal_user_for: Any
) -> None:
    macro_create(actor=bob, name="Bob's own", texts={"en": "Bob here"})
    agent = api_client(alice)
    assert [m["name"] for m in agent.get("/api/v1/macros").json()["results"]] == ["Refund sent"]
    preview = agent.post(
        f"/api/v1/tickets/{ticket.pk}/macros/{refund.pk}/apply", {}, content_type="application/json"
    ).json()
    assert preview["body"].startswith("Hello Carol") and preview["message"] is None
    sent = agent.post(
        f"/api/v1/tickets/{ticket.pk}/macros/{refund.pk}/apply", {"send": True}, content_type="application/json"
    ).json()
    assert sent["message"]["body_text"] == preview["body"]
    created = agent.post(
        "/api/v1/macros",
        {"name": "Mine", "texts": {"en": "Hi {{ requester.unknown }}"}},
        content_type="application/json",
    )
    assert created.status_code == 400 and created.json()["field"] == "texts"
    assert api_client(portal_user_for(carol)).get("/api/v1/macros").status_code == 403


def test_an_agent_inserts_a_macro_in_the_editor_edits_it_and_sending_applies_its_actions(
    refund: Macro, alice: Any, ticket: Ticket
) -> None:
    from django.test import Client

    client = Client()
    client.force_login(alice)
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert f'<option value="{refund.pk}">Refund sent</option>' in page
    editor = client.get(f"/tickets/{ticket.number}/macro/", {"macro_choice": refund.pk}, headers={"HX-Request": "true"})
    body = editor.content.decode()
    assert "Hello Carol," in body and "Sending sets the status to Solved." in body
    assert f'name="macro" value="{refund.pk}"' in body
    sent = client.post(
        f"/tickets/{ticket.number}/messages/",
        {"kind": "reply", "body": "Hello Carol, your refund is on its way. Alice", "macro": refund.pk, "status": ""},
    )
    assert sent.status_code in {200, 302}
    ticket.refresh_from_db()
    assert ticket.status == "solved"
    assert list(ticket.tags.values_list("name", flat=True)) == ["refund"]


def test_staff_write_their_own_macros_and_managers_share_them_in_settings(alice: Any, morgan: Any) -> None:
    from django.test import Client

    agent = Client()
    agent.force_login(alice)
    page = agent.get("/settings/macros/").content.decode()
    assert 'name="shared"' not in page
    created = agent.post(
        "/settings/macros/",
        {
            "name": "Sign-off",
            "kind": "public",
            "set_status": "",
            "add_tags": "thanks, polite",
            "is_active": "on",
            "text_en": "Best, {{ agent.first_name }}",
            "text_fr": "Cordialement, {{ agent.first_name }}",
        },
    )
    assert created.status_code == 302
    macro = Macro.objects.get(name="Sign-off")
    assert (macro.owner_id, macro.add_tags, macro.texts.count()) == (alice.pk, ["polite", "thanks"], 2)
    refused = agent.post("/settings/macros/", {"name": "Oops", "kind": "public", "text_en": "Hi {{ agent.salary }}"})
    assert refused.status_code == 400 and "Unknown placeholder" in refused.content.decode()
    manager = Client()
    manager.force_login(morgan)
    assert (
        manager.post(
            "/settings/macros/", {"name": "Team hello", "shared": "on", "kind": "public", "text_en": "Hello!"}
        ).status_code
        == 302
    )
    assert Macro.objects.get(name="Team hello").owner_id is None
    assert "Sign-off" not in manager.get("/settings/macros/").content.decode()


def test_nul_characters_are_refused_naming_the_field(morgan: Any) -> None:
    with pytest.raises(ApplicationError, match="NUL") as refused:
        macro_create(actor=morgan, name="Bad\x00name", texts={"en": "Hi"}, shared=True)
    assert refused.value.field == "name"
    with pytest.raises(ApplicationError, match="NUL") as in_text:
        macro_create(actor=morgan, name="Bad", texts={"en": "Hi\x00"}, shared=True)
    assert in_text.value.field == "texts"
    assert not Macro.objects.exists()
