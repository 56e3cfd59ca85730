from django.test import Client

from carefront.accounts.services import account_change_service_model


def test_login_page_and_sign_in_lead_to_inbox(alice, ticket):
    client = Client()
    page = client.get("/login/")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    response = client.post("/login/", {"username": "alice", "password": "correct horse battery staple"}, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert ticket.subject.encode() in response.content


def test_workspace_requires_login(db):
    response = Client().get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login/")


def test_contacts_cannot_use_the_workspace(carol, portal_user_for):
    client = Client()
    client.force_login(portal_user_for(carol))
    assert client.get("/").status_code == 403


def test_repeated_wrong_passwords_lock_the_login(alice):
    client = Client()
    for _ in range(5):
        client.post("/login/", {"username": "alice", "password": "wrong"})
    locked = client.post("/login/", {"username": "alice", "password": "correct horse battery staple"})
    assert locked.status_code == 429
    assert b"Too many failed sign-ins" in locked.content
    # The wait comes from the setting (AXES_COOLOFF_TIME, a quarter of an hour), not from fixed text.
    assert b"Try again in 15 minutes." in locked.content


def test_client_ticket_shows_badge_with_advisor(alice, ticket, morgan, dana):
    account_change_service_model(account=ticket.account, actor=morgan, service_model="client", owner=dana, reason="r")
    client = Client()
    client.force_login(alice)
    assert b"Client \xc2\xb7 Dana" in client.get("/").content
