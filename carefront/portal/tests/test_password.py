from django.test import Client

from carefront.core.models import Event
from carefront.portal.services import portal_password_set

PASSWORD = "a long and unusual passphrase"


def sign_in(client, email, password, **extra):
    return client.post("/portal/login/password/", {"email": email, "password": password, **extra})


def test_contact_sets_a_password_on_the_profile_and_signs_in_with_it(carol, carol_client):
    response = carol_client.post("/portal/profile/password/", {"password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    assert carol_client.get("/portal/").status_code == 200  # this session survives the change
    assert Event.objects.filter(subject_id=carol.account_id, action="portal_password_set").exists()
    client = Client()
    signed_in = sign_in(client, "Carol@acme.example", PASSWORD)
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"] == "/portal/"
    carol.refresh_from_db()
    assert client.session["_auth_user_id"] == str(carol.user.pk)


def test_weak_or_mismatched_passwords_are_refused(carol, carol_client):
    weak = carol_client.post("/portal/profile/password/", {"password1": "password", "password2": "password"})
    assert weak.status_code == 400
    assert b"This password is too common" in weak.content
    differ = carol_client.post("/portal/profile/password/", {"password1": PASSWORD, "password2": PASSWORD + "x"})
    assert differ.status_code == 400
    assert b"The two passwords differ" in differ.content
    carol.refresh_from_db()
    assert not carol.user.has_usable_password()


def test_password_sign_in_follows_a_safe_next_only(carol, portal_user_for):
    portal_password_set(user=portal_user_for(carol), password=PASSWORD, actor=None)
    inside = sign_in(Client(), "carol@acme.example", PASSWORD, next="/portal/profile/")
    assert inside.headers["Location"] == "/portal/profile/"
    outside = sign_in(Client(), "carol@acme.example", PASSWORD, next="https://evil.example/")
    assert outside.headers["Location"] == "/portal/"


def test_wrong_password_says_so_without_telling_which_part_is_wrong(carol, portal_user_for):
    portal_password_set(user=portal_user_for(carol), password=PASSWORD, actor=None)
    wrong = sign_in(Client(), "carol@acme.example", "nope")
    unknown = sign_in(Client(), "nobody@nowhere.example", "nope")
    message = b"That email address and password do not match."
    assert wrong.status_code == unknown.status_code == 400
    assert message in wrong.content
    assert message in unknown.content


def test_contact_without_a_password_cannot_sign_in_with_an_empty_or_guessed_one(carol, portal_user_for):
    portal_user_for(carol)
    client = Client()
    assert sign_in(client, "carol@acme.example", "").status_code == 400
    assert sign_in(client, "carol@acme.example", "guess").status_code == 400
    assert "_auth_user_id" not in client.session


def test_five_failures_lock_out_even_the_right_password(carol, portal_user_for):
    """GIVEN a contact with a password WHEN five wrong ones are tried THEN the right one is refused too (429)."""
    portal_password_set(user=portal_user_for(carol), password=PASSWORD, actor=None)
    client = Client()
    failures = [sign_in(client, "carol@acme.example", "wrong").status_code for _ in range(5)]
    assert failures == [400, 400, 400, 400, 429]
    locked = sign_in(client, "carol@acme.example", PASSWORD)
    assert locked.status_code == 429
    assert b"Too many failed sign-ins" in locked.content
    assert "_auth_user_id" not in client.session


def test_unknown_addresses_are_locked_out_the_same_way(db):
    client = Client()
    failures = [sign_in(client, "nobody@nowhere.example", "wrong").status_code for _ in range(5)]
    assert failures == [400, 400, 400, 400, 429]


def test_staff_credentials_do_not_open_a_portal_session(alice):
    client = Client()
    response = sign_in(client, "alice", "correct horse battery staple")
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
