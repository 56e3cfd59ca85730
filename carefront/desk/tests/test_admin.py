"""The back office edits through the services, so its changes are validated and audited like the API's."""

from django.test import Client

from carefront.core.models import Event


def admin_client(user):
    client = Client()
    client.force_login(user)
    return client


def test_admin_ticket_list_shows_service_model(ada, ticket, django_assert_max_num_queries):
    client = admin_client(ada)
    with django_assert_max_num_queries(12):
        page = client.get("/admin/desk/ticket/")
    assert page.status_code == 200
    assert b"Customer" in page.content


def test_admin_ticket_change_is_audited(ada, ticket, bob):
    client = admin_client(ada)
    form = client.get(f"/admin/desk/ticket/{ticket.pk}/change/")
    assert form.status_code == 200
    response = client.post(
        f"/admin/desk/ticket/{ticket.pk}/change/",
        {
            "subject": ticket.subject,
            "status": "open",
            "priority": "urgent",
            "tier": "2",
            "assignee": str(bob.pk),
            "team": "",
            "messages-TOTAL_FORMS": "1",
            "messages-INITIAL_FORMS": "1",
            "messages-MIN_NUM_FORMS": "0",
            "messages-MAX_NUM_FORMS": "1000",
            "messages-0-id": str(ticket.messages.get().pk),
            "messages-0-ticket": str(ticket.pk),
        },
    )
    assert response.status_code == 302, response.content[:2000]
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.tier, ticket.assignee) == ("urgent", 2, bob)
    fields = set(
        Event.objects.filter(subject_kind="ticket", subject_id=ticket.pk, actor=ada).values_list("field", flat=True)
    )
    assert {"priority", "tier", "assignee", "status"} <= fields


def test_admin_account_client_without_owner_is_refused(ada, acme):
    client = admin_client(ada)
    form = {
        "name": acme.name,
        "kind": acme.kind,
        "service_model": "client",
        "lifecycle_stage": acme.lifecycle_stage,
        "owner": "",
        "locale": acme.locale,
        "time_zone": acme.time_zone,
        "country": acme.country,
        "segment": "",
        "served_for": "",
        "external_id": acme.external_id,
        "custom_fields": "{}",
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000",
    }
    response = client.post(f"/admin/accounts/account/{acme.pk}/change/", form)
    assert response.status_code == 200
    assert b"needs an owner" in response.content
    acme.refresh_from_db()
    assert acme.service_model == "customer"


def test_admin_is_closed_to_agents(alice):
    response = admin_client(alice).get("/admin/desk/ticket/")
    assert response.status_code == 302


def test_admin_refused_change_shows_error_and_saves_nothing(ada, ticket, bob):
    bob.is_active = False
    bob.save()
    client = admin_client(ada)
    response = client.post(
        f"/admin/desk/ticket/{ticket.pk}/change/",
        {
            "subject": "Changed subject",
            "status": "new",
            "priority": "normal",
            "tier": "1",
            "assignee": str(bob.pk),
            "team": "",
            "messages-TOTAL_FORMS": "0",
            "messages-INITIAL_FORMS": "0",
            "messages-MIN_NUM_FORMS": "0",
            "messages-MAX_NUM_FORMS": "1000",
        },
        follow=True,
    )
    assert b"inactive" in response.content
    ticket.refresh_from_db()
    assert ticket.subject == "Parcel never arrived"
    assert ticket.assignee is None
