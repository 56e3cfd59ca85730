"""Fixtures of the portal tests: signed-in contacts, uploads, and another account's ticket to poke at."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from carefront.accounts.models import Contact
from carefront.desk.models import Ticket
from carefront.desk.services import NewAttachment, ticket_add_note, ticket_create

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


def png_upload(name: str = "photo.png", content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type=content_type)


@pytest.fixture
def portal_client(portal_user_for: Any) -> Any:
    """A test client signed in to the portal as a given contact."""

    def make(contact: Contact) -> Client:
        client = Client()
        client.force_login(portal_user_for(contact))
        return client

    return make


@pytest.fixture
def carol_client(carol: Contact, portal_client: Any) -> Client:
    return portal_client(carol)


@pytest.fixture
def globex_ticket(charlie: Contact, alice: Any) -> Ticket:
    """Another account's ticket with a file on its public message and on an internal note."""
    ticket = ticket_create(
        actor=None,
        requester=charlie,
        subject="Globex secret plans",
        body="Confidential to Globex.",
        attachments=[NewAttachment(filename="plans.pdf", content_type="application/pdf", content=PDF)],
    )
    ticket_add_note(
        ticket=ticket,
        actor=alice,
        body="Internal about Globex",
        attachments=[NewAttachment(filename="internal.pdf", content_type="application/pdf", content=PDF)],
    )
    return ticket
