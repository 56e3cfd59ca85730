"""Bad input at the API boundary always gets a 4xx naming the problem, never a 500."""

import pytest
from django.test import override_settings


@pytest.fixture
def client(api_client, alice):
    return api_client(alice)


def test_invalid_json_is_4xx(client):
    response = client.post("/api/v1/tickets", "{not json", content_type="application/json")
    assert 400 <= response.status_code < 500
    assert "detail" in response.json()


def test_wrong_type_names_the_field(client, carol):
    response = client.post(
        "/api/v1/tickets", {"requester_id": "abc", "subject": "s", "body": "b"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "requester_id"


def test_unknown_field_is_refused(client, carol):
    response = client.post(
        "/api/v1/tickets",
        {"requester_id": carol.pk, "subject": "s", "body": "b", "colour": "red"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "colour" in response.json()["detail"]


def test_over_long_string_names_the_field(client, carol):
    response = client.post(
        "/api/v1/tickets",
        {"requester_id": carol.pk, "subject": "x" * 251, "body": "b"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "subject"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_oversized_body_is_413(client, carol):
    response = client.post(
        "/api/v1/tickets",
        {"requester_id": carol.pk, "subject": "s", "body": "b" * 5000},
        content_type="application/json",
    )
    assert response.status_code == 413


def test_other_ids_that_do_not_exist_are_404(client):
    assert client.get("/api/v1/tickets/999999").status_code == 404
    assert client.get("/api/v1/accounts/999999").json() == {"detail": "Not found."}


def test_unknown_requester_is_404(client):
    response = client.post(
        "/api/v1/tickets", {"requester_id": 424242, "subject": "s", "body": "b"}, content_type="application/json"
    )
    assert response.status_code == 404


def test_unknown_team_names_field(client, ticket):
    response = client.patch(f"/api/v1/tickets/{ticket.pk}", {"team_id": 4242}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["field"] == "team_id"


def test_openapi_and_docs_are_served(db):
    from django.test import Client

    schema = Client().get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert "/api/v1/tickets" in schema.json()["paths"]
    assert Client().get("/api/v1/docs").status_code == 200
