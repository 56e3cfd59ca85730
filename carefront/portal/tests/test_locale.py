"""The portal in each contact's language and time zone, and the sign-in email in their language."""

from __future__ import annotations

from datetime import UTC, datetime

from carefront.accounts.models import Contact
from carefront.desk.models import Ticket
from carefront.desk.services import ticket_create


def _speaks_french(contact: Contact) -> None:
    contact.language = "fr"
    contact.save(update_fields=["language"])


def test_contact_whose_language_is_french_sees_the_portal_in_french(carol, carol_client):
    """GIVEN Carol reads French and her account is in London
    WHEN she lists her requests
    THEN the portal speaks French, says the request is "Reçue", and shows its time in London's zone."""
    _speaks_french(carol)
    ticket = ticket_create(actor=None, requester=carol, subject="Colis perdu", body="Où est mon colis ?")
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=datetime(2025, 7, 1, 12, 0, tzinfo=UTC))
    html = carol_client.get("/portal/").content.decode()
    assert '<html lang="fr">' in html
    assert ">Mes demandes</a>" in html
    assert '<span class="status status-new">Reçue</span>' in html
    assert ">1 juillet 2025 13:00</time>" in html
    assert "Les heures sont affichées dans le fuseau Europe/London." in html


def test_contact_whose_language_is_english_sees_the_portal_in_english(carol, carol_client):
    ticket_create(actor=None, requester=carol, subject="Lost parcel", body="Where is it?")
    html = carol_client.get("/portal/", headers={"Accept-Language": "fr"}).content.decode()
    assert '<html lang="en">' in html
    assert ">My requests</a>" in html
    assert '<span class="status status-new">Received</span>' in html


def test_sign_in_email_is_written_in_the_contacts_language(
    carol, client, mailoutbox, django_capture_on_commit_callbacks
):
    _speaks_french(carol)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/portal/login/link/", {"email": "carol@acme.example"}, headers={"Accept-Language": "en"})
    assert [message.subject for message in mailoutbox] == ["Votre lien de connexion"]
    assert mailoutbox[0].body.startswith("Bonjour Carol Jones,\n")
    assert "expire dans 15 minutes." in mailoutbox[0].body
