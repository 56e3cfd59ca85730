import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carefront.accounts.services import contact_create
from carefront.desk.models import Attachment, Message, Status, Ticket, Visibility
from carefront.desk.services import (
    NewAttachment,
    ticket_add_note,
    ticket_change_status,
    ticket_create,
    ticket_reply,
    ticket_update,
)
from carefront.portal.tests.conftest import PDF, png_upload


def query_count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


# --- submitting ------------------------------------------------------------------------------------


def test_submitting_a_request_creates_a_portal_ticket_with_its_attachment(carol, carol_client):
    response = carol_client.post(
        "/portal/tickets/new/",
        {"subject": "Broken hinge", "description": "The lid came off.", "attachments": [png_upload()]},
    )
    ticket = Ticket.objects.get(subject="Broken hinge")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/portal/tickets/{ticket.number}/"
    assert ticket.channel == "portal"
    assert ticket.requester == carol
    attachment = Attachment.objects.get(message__ticket=ticket)
    assert attachment.filename == "photo.png"
    assert attachment.content_type == "image/png"  # sniffed, not the browser's octet-stream
    page = carol_client.get(response.headers["Location"])
    assert f"We received your request #{ticket.number}".encode() in page.content
    assert b"photo.png" in page.content


def test_several_files_can_be_attached_at_once(carol_client):
    files = [png_upload("a.png"), SimpleUploadedFile("notes.txt", "héllo\n".encode())]
    carol_client.post("/portal/tickets/new/", {"subject": "Two", "description": "d", "attachments": files})
    types = sorted(Attachment.objects.values_list("content_type", flat=True))
    assert types == ["image/png", "text/plain"]


def test_disguised_executable_is_refused_and_nothing_is_created(carol_client):
    exe = SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 100, content_type="application/pdf")
    response = carol_client.post("/portal/tickets/new/", {"subject": "S", "description": "D", "attachments": [exe]})
    assert response.status_code == 400
    assert b"invoice.pdf is not a file type we accept" in response.content
    assert not Ticket.objects.exists()


def test_file_over_the_size_limit_is_refused(carol_client, settings):
    settings.CAREFRONT_MAX_ATTACHMENT_BYTES = 1024
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * 2048, content_type="application/pdf")
    response = carol_client.post("/portal/tickets/new/", {"subject": "S", "description": "D", "attachments": [big]})
    assert response.status_code == 400
    assert b"big.pdf is too large: files can be up to 1.0\xc2\xa0KB." in response.content
    assert not Ticket.objects.exists()


def test_subject_and_description_are_required(carol_client):
    for data in ({"subject": "", "description": ""}, {}):
        response = carol_client.post("/portal/tickets/new/", data)
        assert response.status_code == 400
        assert response.content.count(b"This field is required.") == 2
    assert not Ticket.objects.exists()


def test_new_request_page_labels_every_control(carol_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        response = carol_client.get("/portal/tickets/new/")
    for control in (b'for="id_subject"', b'for="id_description"', b'for="id_attachments"'):
        assert control in response.content
    assert b'accept=".csv,.doc,.docx,' in response.content
    assert b" multiple " in response.content


# --- reading -----------------------------------------------------------------------------------------


def test_list_shows_the_account_tickets_with_customer_statuses(carol, acme, carol_client):
    colleague = contact_create(actor=None, account=acme, name="Colin", email="colin@acme.example")
    mine = ticket_create(actor=None, requester=carol, subject="Mine", body="b")
    theirs = ticket_create(actor=None, requester=colleague, subject="Colin's", body="b")
    ticket_update(ticket=theirs, actor=None, status=Status.PENDING)
    content = carol_client.get("/portal/").content.decode()
    assert "Mine" in content
    assert "Colin&#x27;s" in content
    assert "Awaiting your reply" in content
    only_mine = carol_client.get("/portal/?mine=1").content.decode()
    assert "Mine" in only_mine
    assert "Colin&#x27;s" not in only_mine
    assert mine.number != theirs.number


def test_list_pages_by_keyset_newest_first(carol, carol_client):
    tickets = [ticket_create(actor=None, requester=carol, subject=f"Request {i:02d}", body="b") for i in range(25)]
    first = carol_client.get("/portal/")
    assert first.context["page"].items[0] == tickets[-1]
    assert len(first.context["page"].items) == 20
    older = first.context["page"].older
    assert older == tickets[5].pk
    second = carol_client.get(f"/portal/?before={older}")
    assert [t.pk for t in second.context["page"].items] == [t.pk for t in reversed(tickets[:5])]
    assert second.context["page"].older is None
    back = carol_client.get(f"/portal/?after={second.context['page'].newer}")
    assert [t.pk for t in back.context["page"].items] == [t.pk for t in reversed(tickets[5:25])]
    for nonsense in ("nonsense", "²", "-1", "9" * 40):
        assert carol_client.get(f"/portal/?before={nonsense}").status_code == 200


def test_list_query_count_does_not_grow_with_tickets(carol, carol_client, django_assert_max_num_queries):
    ticket_create(actor=None, requester=carol, subject="One", body="b")
    with django_assert_max_num_queries(7):
        few = query_count(carol_client, "/portal/")
    for i in range(30):
        ticket_create(actor=None, requester=carol, subject=f"More {i}", body="b")
    with django_assert_max_num_queries(7):
        many = query_count(carol_client, "/portal/")
    assert few == many


def test_ticket_page_shows_the_public_conversation_without_internal_notes(ticket, alice, carol_client):
    ticket_reply(ticket=ticket, body="We are on it.", staff=alice)
    ticket_add_note(ticket=ticket, actor=alice, body="Customer seems upset; refund?")
    content = carol_client.get(f"/portal/tickets/{ticket.number}/").content.decode()
    assert "Order 1001 is late." in content
    assert "We are on it." in content
    assert "Alice (support team)" in content
    assert "refund?" not in content


def test_ticket_page_query_count_does_not_grow_with_messages(
    ticket, alice, carol, carol_client, django_assert_max_num_queries
):
    url = f"/portal/tickets/{ticket.number}/"
    with django_assert_max_num_queries(9):
        few = query_count(carol_client, url)
    for i in range(10):
        ticket_reply(
            ticket=ticket,
            body=f"Reply {i}",
            staff=alice,
            attachments=[NewAttachment(filename=f"r{i}.pdf", content_type="application/pdf", content=PDF)],
        )
        ticket_reply(ticket=ticket, body=f"Answer {i}", contact=carol)
    with django_assert_max_num_queries(9):
        many = query_count(carol_client, url)
    assert few == many


def test_times_are_shown_in_the_contact_time_zone(ticket, carol, carol_client):
    noon_utc = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)
    Message.objects.filter(ticket=ticket).update(created_at=noon_utc)
    assert "noon" in carol_client.get(f"/portal/tickets/{ticket.number}/").content.decode()  # Acme: Europe/London
    carol_client.post("/portal/profile/", {"name": "Carol Jones", "language": "en", "time_zone": "America/New_York"})
    content = carol_client.get(f"/portal/tickets/{ticket.number}/").content.decode()
    assert "7 a.m." in content
    assert "Times are shown in America/New_York." in content


def test_attachment_downloads_as_a_file(carol, carol_client):
    carol_client.post(
        "/portal/tickets/new/", {"subject": "With file", "description": "d", "attachments": [png_upload()]}
    )
    attachment = Attachment.objects.select_related("message__ticket").get()
    url = (
        f"/portal/tickets/{attachment.message.ticket.number}/messages/{attachment.message_id}"
        f"/attachments/{attachment.pk}/"
    )
    response = carol_client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


# --- replying ------------------------------------------------------------------------------------


def test_reply_is_added_to_the_conversation(ticket, carol_client):
    response = carol_client.post(f"/portal/tickets/{ticket.number}/reply/", {"body": "Any news?"}, follow=True)
    assert b"Your reply was sent." in response.content
    message = ticket.messages.order_by("-id").first()
    assert message.body_text == "Any news?"
    assert message.channel == "portal"
    assert message.visibility == Visibility.PUBLIC


def test_reply_reopens_a_solved_ticket_and_says_so(ticket, alice, carol_client):
    ticket_change_status(ticket=ticket, actor=alice, status=Status.SOLVED)
    page = carol_client.get(f"/portal/tickets/{ticket.number}/")
    assert b"reply and it reopens" in page.content
    response = carol_client.post(f"/portal/tickets/{ticket.number}/reply/", {"body": "Still broken."}, follow=True)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert b"Your reply reopened this request" in response.content


def test_reply_to_a_closed_ticket_opens_a_linked_follow_up(ticket, alice, carol_client):
    ticket_change_status(ticket=ticket, actor=alice, status=Status.SOLVED)
    ticket_change_status(ticket=ticket, actor=alice, status=Status.CLOSED)
    response = carol_client.post(
        f"/portal/tickets/{ticket.number}/reply/", {"body": "It broke again.", "attachments": [png_upload()]}
    )
    follow_up = Ticket.objects.get(follow_up_of=ticket)
    assert response.headers["Location"] == f"/portal/tickets/{follow_up.number}/"
    assert follow_up.channel == "portal"
    assert follow_up.messages.get().attachments.count() == 1
    page = carol_client.get(response.headers["Location"]).content.decode()
    assert (
        f"Request #{ticket.number} was already closed, so your reply opened a new request, #{follow_up.number}" in page
    )
    assert f"This request follows up on request #{ticket.number}." in page
    closed_page = carol_client.get(f"/portal/tickets/{ticket.number}/").content.decode()
    assert f'href="/portal/tickets/{follow_up.number}/"' in closed_page


def test_empty_reply_or_bad_file_is_refused(ticket, carol_client):
    before = ticket.messages.count()
    empty = carol_client.post(f"/portal/tickets/{ticket.number}/reply/", {"body": "  "})
    assert empty.status_code == 400
    zip_file = SimpleUploadedFile("photos.zip", b"PK\x03\x04" + b"\x00" * 60)
    bad = carol_client.post(f"/portal/tickets/{ticket.number}/reply/", {"body": "see zip", "attachments": [zip_file]})
    assert bad.status_code == 400
    assert b"photos.zip is not a file type we accept" in bad.content
    assert ticket.messages.count() == before
