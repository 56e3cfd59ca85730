"""A contact never sees another account's data: every portal URL with another account's ids is a 404."""

import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver

from carefront.desk.models import Attachment, Message, Ticket, Visibility
from carefront.portal import urls as portal_urls
from carefront.portal.tests.conftest import png_upload

# Every portal URL that takes an id or a number, and how each is tried below.
PARAMETERISED = {"magic_link", "ticket", "ticket_reply", "attachment"}
# The help centre's URLs take the slug of a category or article: no account's data (knowledge/tests/test_portal.py
# checks that internal and draft articles stay off them).
HELP_CENTRE = {"help-category", "help-article", "help-feedback", "help-solved", "help-solved-thanks"}


def test_every_parameterised_portal_url_is_covered_here():
    names = {p.name for p in portal_urls.urlpatterns if isinstance(p, URLPattern) and p.pattern.converters}
    assert names == PARAMETERISED | HELP_CENTRE


def _other_account_urls(foreign: Ticket, own: Ticket) -> list[tuple[str, str]]:
    public = foreign.messages.get(visibility=Visibility.PUBLIC)
    public_file = public.attachments.get()
    note_file = Attachment.objects.get(message__ticket=foreign, message__visibility=Visibility.INTERNAL)
    own_message = own.messages.get()
    return [
        ("get", f"/portal/tickets/{foreign.number}/"),
        ("post", f"/portal/tickets/{foreign.number}/reply/"),
        ("get", f"/portal/tickets/{foreign.number}/messages/{public.pk}/attachments/{public_file.pk}/"),
        # the account's own ticket number with another account's message and file
        ("get", f"/portal/tickets/{own.number}/messages/{public.pk}/attachments/{public_file.pk}/"),
        ("get", f"/portal/tickets/{own.number}/messages/{own_message.pk}/attachments/{public_file.pk}/"),
        ("get", f"/portal/tickets/{foreign.number}/messages/{note_file.message_id}/attachments/{note_file.pk}/"),
    ]


def test_contact_gets_404_for_every_url_of_another_account(ticket, globex_ticket, carol_client):
    for method, url in _other_account_urls(globex_ticket, ticket):
        data = {"body": "let me in", "attachments": [png_upload()]} if method == "post" else None
        response = getattr(carol_client, method)(url, data) if data else getattr(carol_client, method)(url)
        assert response.status_code == 404, url
        assert b"Globex" not in response.content, url
    assert Message.objects.filter(ticket=globex_ticket).count() == 2  # nothing was added


def test_list_never_shows_another_account_ticket(ticket, globex_ticket, carol_client):
    for url in ("/portal/", "/portal/?mine=1", f"/portal/?before={globex_ticket.pk + 1}", "/portal/?after=0"):
        content = carol_client.get(url).content
        assert b"Globex secret plans" not in content
        assert ticket.subject.encode() in content


def test_own_account_internal_note_attachment_is_404(ticket, alice, carol_client):
    from carefront.desk.services import NewAttachment, ticket_add_note

    note = ticket_add_note(
        ticket=ticket,
        actor=alice,
        body="internal",
        attachments=[NewAttachment(filename="n.txt", content_type="text/plain", content=b"secret")],
    )
    item = note.attachments.get()
    url = f"/portal/tickets/{ticket.number}/messages/{note.pk}/attachments/{item.pk}/"
    assert carol_client.get(url).status_code == 404


def test_unknown_ticket_number_is_404(carol, carol_client):
    assert carol_client.get("/portal/tickets/999999/").status_code == 404


@pytest.mark.parametrize(
    "url",
    ["/portal/", "/portal/tickets/new/", "/portal/profile/", "/portal/tickets/1/"],
)
def test_staff_are_sent_to_the_workspace(alice, url):
    client = Client()
    client.force_login(alice)
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("url", ["/portal/", "/portal/tickets/new/", "/portal/profile/", "/portal/tickets/1/"])
def test_visitors_are_asked_to_sign_in(db, url):
    response = Client().get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/portal/login/?next=")


def test_a_user_who_is_neither_staff_nor_contact_is_forbidden(django_user_model):
    client = Client()
    client.force_login(django_user_model.objects.create_user(username="stranger", password=None))
    assert client.get("/portal/").status_code == 403


def test_resolver_knows_the_portal_namespace():
    assert "portal" in get_resolver().namespace_dict
