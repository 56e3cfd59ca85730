from carefront.accounts.models import Account
from carefront.accounts.services import order_create
from carefront.core.models import Event


def account_events(account_id):
    return Event.objects.filter(subject_kind="account", subject_id=account_id)


def test_agent_creates_customer_but_not_client(api_client, alice, dana):
    client = api_client(alice)
    customer = client.post(
        "/api/v1/accounts",
        {"name": "Jane Doe", "country": "fr", "time_zone": "Europe/Paris", "locale": "fr", "tags": ["VIP"]},
        content_type="application/json",
    )
    assert customer.status_code == 201, customer.content
    assert customer.json()["country"] == "FR"
    assert customer.json()["tags"] == ["vip"]
    refused = client.post(
        "/api/v1/accounts",
        {"name": "Big Co", "service_model": "client", "owner_id": dana.pk},
        content_type="application/json",
    )
    assert refused.status_code == 403
    assert not Account.objects.filter(name="Big Co").exists()


def test_client_without_owner_is_refused(api_client, morgan):
    response = api_client(morgan).post(
        "/api/v1/accounts", {"name": "Big Co", "service_model": "client"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "owner"


def test_manager_makes_account_client_with_reason_audited(api_client, morgan, dana, acme):
    client = api_client(morgan)
    no_reason = client.patch(
        f"/api/v1/accounts/{acme.pk}", {"service_model": "client", "owner_id": dana.pk}, content_type="application/json"
    )
    assert no_reason.status_code == 400
    assert no_reason.json()["field"] == "reason"
    response = client.patch(
        f"/api/v1/accounts/{acme.pk}",
        {"service_model": "client", "owner_id": dana.pk, "reason": "Seven orders this year"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["service_model"], body["lifecycle_stage"], body["owner"]["username"]) == ("client", "client", "dana")
    changes = {(e.field, e.old_value, e.new_value, e.reason) for e in account_events(acme.pk)}
    assert ("service_model", "customer", "client", "Seven orders this year") in changes
    assert ("owner", None, "dana", "Seven orders this year") in changes
    removing_owner = client.patch(
        f"/api/v1/accounts/{acme.pk}", {"owner_id": None, "reason": "leaving"}, content_type="application/json"
    )
    assert removing_owner.status_code == 400
    assert removing_owner.json()["field"] == "owner"


def test_agent_cannot_change_service_model(api_client, alice, dana, acme):
    response = api_client(alice).patch(
        f"/api/v1/accounts/{acme.pk}",
        {"service_model": "client", "owner_id": dana.pk, "reason": "x"},
        content_type="application/json",
    )
    assert response.status_code == 403
    acme.refresh_from_db()
    assert acme.service_model == "customer"


def test_owner_must_be_active_staff(api_client, morgan, acme, carol, portal_user_for):
    response = api_client(morgan).patch(
        f"/api/v1/accounts/{acme.pk}",
        {"service_model": "client", "owner_id": portal_user_for(carol).pk, "reason": "x"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "owner"


def test_account_filters(api_client, alice, acme, globex, morgan, dana):
    from carefront.accounts.services import account_change_service_model

    account_change_service_model(account=globex, actor=morgan, service_model="client", owner=dana, reason="r")
    client = api_client(alice)
    assert [a["id"] for a in client.get("/api/v1/accounts?service_model=client").json()["results"]] == [globex.pk]
    assert [a["id"] for a in client.get(f"/api/v1/accounts?owner={dana.pk}").json()["results"]] == [globex.pk]
    assert [a["id"] for a in client.get("/api/v1/accounts?lifecycle_stage=new").json()["results"]] == [acme.pk]
    assert [a["id"] for a in client.get("/api/v1/accounts?country=gb").json()["results"]] == [acme.pk]


def test_contacts_create_validate_and_isolate(api_client, alice, acme, carol, charlie, portal_user_for):
    client = api_client(alice)
    created = client.post(
        "/api/v1/contacts",
        {"account_id": acme.pk, "name": "Dave", "email": "Dave@Acme.example", "phone": "020 7183 8750"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["email"] == "dave@acme.example"
    assert created.json()["phone"] == "+442071838750"
    duplicate = client.post(
        "/api/v1/contacts",
        {"account_id": acme.pk, "name": "Carol 2", "email": "carol@acme.example"},
        content_type="application/json",
    )
    assert duplicate.status_code == 409
    bad_phone = client.post(
        "/api/v1/contacts", {"account_id": acme.pk, "name": "X", "phone": "12"}, content_type="application/json"
    )
    assert bad_phone.status_code == 400
    assert bad_phone.json()["field"] == "phone"
    outsider = api_client(portal_user_for(charlie))
    assert outsider.get(f"/api/v1/contacts?account={acme.pk}").json()["results"] == []
    assert outsider.get(f"/api/v1/contacts/{carol.pk}").status_code == 404


def test_orders_are_recorded_by_managers_and_visible_to_own_contact(
    api_client, morgan, alice, acme, carol, charlie, portal_user_for
):
    payload = {
        "account_id": acme.pk,
        "external_id": "ord-1",
        "placed_at": "2026-01-15T10:00:00Z",
        "currency": "eur",
        "items": [{"sku": "A1", "name": "Tea", "quantity": 3, "unit_price": "2.50"}],
    }
    assert api_client(alice).post("/api/v1/orders", payload, content_type="application/json").status_code == 403
    response = api_client(morgan).post("/api/v1/orders", payload, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["amount"] == "7.50"
    assert response.json()["currency"] == "EUR"
    again = api_client(morgan).post("/api/v1/orders", payload, content_type="application/json")
    assert again.status_code == 409
    order_id = response.json()["id"]
    assert api_client(portal_user_for(carol)).get(f"/api/v1/orders/{order_id}").status_code == 200
    assert api_client(portal_user_for(charlie)).get(f"/api/v1/orders/{order_id}").status_code == 404


def test_negative_quantity_is_422_naming_field(api_client, morgan, acme):
    response = api_client(morgan).post(
        "/api/v1/orders",
        {
            "account_id": acme.pk,
            "external_id": "ord-2",
            "placed_at": "2026-01-15T10:00:00Z",
            "currency": "EUR",
            "items": [{"name": "Tea", "quantity": -1, "unit_price": "2.50"}],
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "items.0.quantity"


def test_order_list_filters_by_account(api_client, alice, acme, globex):
    order_create(actor=None, account=acme, external_id="a", placed_at="2026-01-01", currency="EUR", amount="10")
    order_create(actor=None, account=globex, external_id="g", placed_at="2026-01-01", currency="EUR", amount="10")
    results = api_client(alice).get(f"/api/v1/orders?account={acme.pk}").json()["results"]
    assert [o["external_id"] for o in results] == ["a"]


def test_list_query_counts_do_not_grow_with_rows(api_client, alice, acme, django_assert_max_num_queries):
    from carefront.accounts.services import account_create, contact_create

    client = api_client(alice)

    def fill(start, count):
        for i in range(start, start + count):
            account = account_create(actor=None, name=f"A{i}", tags=["t1", "t2"])
            contact_create(actor=None, account=account, name=f"C{i}", email=f"c{i}@example.com")
            order_create(
                actor=None,
                account=account,
                external_id=f"o{i}",
                placed_at="2026-01-01",
                currency="EUR",
                items=[{"name": "x", "quantity": 1, "unit_price": "1"}],
            )

    for rows in (2, 30):
        fill(rows * 100, rows)
        for path in ("/api/v1/accounts", "/api/v1/contacts", "/api/v1/orders"):
            with django_assert_max_num_queries(6):
                assert client.get(f"{path}?page_size=100").status_code == 200
