import base64

import pytest
from django.test import Client

from carefront.accounts.services import account_change_service_model, contact_create
from carefront.core.models import Event
from carefront.desk.models import Status, Ticket
from carefront.desk.services import ticket_add_note, ticket_create


def test_list_requires_authentication(db):
    response = Client().get("/api/v1/tickets")
    assert response.status_code == 401
    assert "detail" in response.json()


def test_revoked_token_is_refused(alice):
    from carefront.api.services import token_create, token_revoke

    token, plain = token_create(user=alice)
    client = Client(headers={"Authorization": f"Bearer {plain}"})
    assert client.get("/api/v1/tickets").status_code == 200
    token_revoke(prefix=token.prefix)
    assert client.get("/api/v1/tickets").status_code == 401


def test_staff_creates_ticket_and_sees_account_service_model(api_client, alice, carol, dana, morgan):
    account_change_service_model(
        account=carol.account, actor=morgan, service_model="client", owner=dana, reason="Big spender"
    )
    response = api_client(alice).post(
        "/api/v1/tickets",
        {"requester_id": carol.pk, "subject": "Invoice", "body": "Please resend", "tags": ["Billing"]},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["account"]["service_model"] == "client"
    assert body["account"]["owner"]["username"] == "dana"
    assert body["tags"] == ["billing"]
    # A client's ticket goes to its owner first: assigned, so open.
    assert body["assignee"]["username"] == "dana"
    assert body["status"] == "open"
    assert body["channel"] == "api"


def test_creating_an_untagged_ticket_reads_no_tags_back(api_client, alice, carol, django_assert_num_queries):
    client = api_client(alice)
    payload = {"requester_id": carol.pk, "subject": "Where is my order?", "body": "It has not arrived."}
    # The first ticket creates the number counter and the token's first use is recorded: not the steady state.
    assert client.post("/api/v1/tickets", payload, content_type="application/json").status_code == 201
    # token, requester, routing rules (none), ticket number, ticket, message, SLA policy (none matches), audit
    # event, and the transaction's savepoint and release
    with django_assert_num_queries(10) as captured:
        response = client.post("/api/v1/tickets", payload, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["tags"] == []
    assert not [query for query in captured.captured_queries if "core_tag" in query["sql"]]


def test_patch_changes_fields_and_records_audit(api_client, alice, bob, ticket):
    client = api_client(alice)
    response = client.patch(
        f"/api/v1/tickets/{ticket.pk}",
        {"assignee_id": bob.pk, "priority": "urgent", "tier": 2, "version": ticket.version},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["assignee"]["username"] == "bob"
    events = client.get(f"/api/v1/tickets/{ticket.pk}/events").json()["results"]
    changed = {(e["field"], e["new_value"]) for e in events}
    assert {("assignee", "bob"), ("priority", "urgent"), ("tier", 2)} <= changed
    assert all(e["actor"] == "alice" for e in events if e["action"] == "updated")


def test_stale_version_gives_409(api_client, alice, ticket):
    client = api_client(alice)
    stale = ticket.version
    assert (
        client.patch(
            f"/api/v1/tickets/{ticket.pk}", {"priority": "high", "version": stale}, content_type="application/json"
        ).status_code
        == 200
    )
    response = client.patch(
        f"/api/v1/tickets/{ticket.pk}", {"priority": "low", "version": stale}, content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json()["field"] == "version"


def test_closed_ticket_patch_is_409(api_client, alice, ticket):
    client = api_client(alice)
    client.patch(f"/api/v1/tickets/{ticket.pk}", {"status": "solved"}, content_type="application/json")
    client.patch(f"/api/v1/tickets/{ticket.pk}", {"status": "closed"}, content_type="application/json")
    response = client.patch(f"/api/v1/tickets/{ticket.pk}", {"status": "open"}, content_type="application/json")
    assert response.status_code == 409
    assert "closed" in response.json()["detail"]


def test_assigning_a_contact_is_refused_with_field(api_client, alice, ticket, carol, portal_user_for):
    user = portal_user_for(carol)
    response = api_client(alice).patch(
        f"/api/v1/tickets/{ticket.pk}", {"assignee_id": user.pk}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "assignee"


def test_filters_and_cursor_pagination_walk_every_ticket_once(api_client, alice, carol, bob):
    created = [ticket_create(actor=None, requester=carol, subject=f"T{i}", body="b") for i in range(7)]
    client = api_client(alice)
    client.patch(f"/api/v1/tickets/{created[0].pk}", {"assignee_id": bob.pk}, content_type="application/json")
    seen = []
    url = "/api/v1/tickets?page_size=3"
    while url:
        page = client.get(url).json()
        seen += [t["id"] for t in page["results"]]
        url = page["next"]
    assert seen == sorted((t.pk for t in created), reverse=True)
    assigned = client.get(f"/api/v1/tickets?assignee={bob.pk}").json()["results"]
    assert [t["id"] for t in assigned] == [created[0].pk]
    assert client.get("/api/v1/tickets?status=open").json()["results"][0]["id"] == created[0].pk
    assert client.get("/api/v1/tickets?service_model=client").json()["results"] == []


def test_list_query_count_does_not_grow_with_rows(api_client, alice, carol, django_assert_max_num_queries):
    client = api_client(alice)
    for i in range(3):
        ticket_create(actor=None, requester=carol, subject=f"few {i}", body="b", tags=["x"])
    with django_assert_max_num_queries(6):
        assert len(client.get("/api/v1/tickets").json()["results"]) == 3
    for i in range(40):
        ticket_create(actor=None, requester=carol, subject=f"many {i}", body="b", tags=["x", "y"])
    with django_assert_max_num_queries(6):
        assert len(client.get("/api/v1/tickets?page_size=40").json()["results"]) == 40


def test_invalid_cursor_is_a_4xx(api_client, alice):
    client = api_client(alice)
    for cursor in ("not-base64!", base64.b64encode(b"p=abc").decode()):
        response = client.get(f"/api/v1/tickets?cursor={cursor}")
        assert 400 <= response.status_code < 500
        assert "detail" in response.json()


def test_reply_and_note_and_contact_view(api_client, alice, ticket, carol, portal_user_for):
    staff = api_client(alice)
    reply = staff.post(
        f"/api/v1/tickets/{ticket.pk}/messages",
        {"body": "Shipped today", "status": "pending"},
        content_type="application/json",
    )
    assert reply.status_code == 201, reply.content
    note = staff.post(
        f"/api/v1/tickets/{ticket.pk}/messages",
        {"body": "Courier is slow", "visibility": "internal"},
        content_type="application/json",
    )
    assert note.status_code == 201
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    assert ticket.first_responded_at is not None

    contact = api_client(portal_user_for(carol))
    bodies = [m["body_text"] for m in contact.get(f"/api/v1/tickets/{ticket.pk}/messages").json()["results"]]
    assert bodies == ["Order 1001 is late.", "Shipped today"]
    answer = contact.post(f"/api/v1/tickets/{ticket.pk}/messages", {"body": "Thanks!"}, content_type="application/json")
    assert answer.status_code == 201
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    internal = contact.post(
        f"/api/v1/tickets/{ticket.pk}/messages",
        {"body": "x", "visibility": "internal"},
        content_type="application/json",
    )
    assert internal.status_code == 403
    assert contact.get(f"/api/v1/tickets/{ticket.pk}/events").status_code == 403


def test_attachment_round_trip_and_isolation(api_client, alice, ticket, charlie, portal_user_for):
    content = b"%PDF-1.4 invoice"
    response = api_client(alice).post(
        f"/api/v1/tickets/{ticket.pk}/messages",
        {
            "body": "Invoice attached",
            "attachments": [
                {
                    "filename": "invoice.pdf",
                    "content_type": "application/pdf",
                    "content_base64": base64.b64encode(content).decode(),
                }
            ],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    url = response.json()["attachments"][0]["url"]
    download = api_client(alice).get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    assert api_client(portal_user_for(charlie)).get(url).status_code == 404


def test_contact_cannot_see_internal_note_attachment(api_client, alice, ticket, carol, portal_user_for):
    from carefront.desk.services import NewAttachment

    note = ticket_add_note(
        ticket=ticket,
        actor=alice,
        body="internal",
        attachments=[NewAttachment(filename="secret.txt", content_type="text/plain", content=b"secret")],
    )
    attachment = note.attachments.get()
    url = f"/api/v1/tickets/{ticket.pk}/messages/{note.pk}/attachments/{attachment.pk}"
    assert api_client(alice).get(url).status_code == 200
    assert api_client(portal_user_for(carol)).get(url).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/tickets/{ticket}",
        "/api/v1/tickets/{ticket}/messages",
        "/api/v1/tickets/{ticket}/events",
        "/api/v1/accounts/{account}",
        "/api/v1/accounts/{account}/events",
        "/api/v1/contacts/{contact}",
    ],
)
def test_portal_contact_cannot_read_other_account(api_client, path, ticket, charlie, portal_user_for):
    client = api_client(portal_user_for(charlie))
    url = path.format(ticket=ticket.pk, account=ticket.account_id, contact=ticket.requester_id)
    assert client.get(url).status_code == 404


def test_portal_contact_lists_only_own_account(api_client, ticket, charlie, portal_user_for):
    own = ticket_create(actor=None, requester=charlie, subject="Mine", body="b")
    client = api_client(portal_user_for(charlie))
    assert [t["id"] for t in client.get("/api/v1/tickets").json()["results"]] == [own.pk]
    assert [a["id"] for a in client.get("/api/v1/accounts").json()["results"]] == [charlie.account_id]
    assert client.get(f"/api/v1/tickets?account={ticket.account_id}").json()["results"] == []
    forged = client.post(
        f"/api/v1/tickets/{ticket.pk}/messages", {"body": "let me in"}, content_type="application/json"
    )
    assert forged.status_code == 404
    assert ticket.messages.count() == 1


def test_contact_opens_ticket_for_themselves_only(api_client, carol, acme, portal_user_for):
    colleague = contact_create(actor=None, account=acme, name="Dave", email="dave@acme.example")
    client = api_client(portal_user_for(carol))
    own = client.post("/api/v1/tickets", {"subject": "Help", "body": "please"}, content_type="application/json")
    assert own.status_code == 201
    assert own.json()["requester"]["id"] == carol.pk
    other = client.post(
        "/api/v1/tickets",
        {"requester_id": colleague.pk, "subject": "Help", "body": "please"},
        content_type="application/json",
    )
    assert other.status_code == 403
    sneaky = client.post(
        "/api/v1/tickets", {"subject": "Help", "body": "please", "tier": 3}, content_type="application/json"
    )
    assert sneaky.status_code == 403
    assert Ticket.objects.filter(requester=colleague).count() == 0


def test_session_auth_needs_csrf_for_writes(alice, ticket):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.get(f"/api/v1/tickets/{ticket.pk}").status_code == 200
    refused = client.patch(f"/api/v1/tickets/{ticket.pk}", {"priority": "high"}, content_type="application/json")
    assert refused.status_code == 403
    client.get("/admin/login/")
    token = client.cookies["csrftoken"].value
    accepted = client.patch(
        f"/api/v1/tickets/{ticket.pk}",
        {"priority": "high"},
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert accepted.status_code == 200
    assert Event.objects.filter(subject_id=ticket.pk, field="priority").exists()
