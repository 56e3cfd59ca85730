import re
import time
from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from carefront.accounts.services import contact_create, contact_update
from carefront.portal.models import MagicLinkUse
from carefront.portal.selectors import MAGIC_LINK_SALT
from carefront.portal.services import magic_link_token_create, magic_link_uses_purge, magic_links_send
from carefront.portal.tasks import purge_magic_link_uses

LINK = re.compile(r"http://\S+(/portal/login/link/[^/\s]+/)")


def request_link(client, email, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post("/portal/login/link/", {"email": email})


def links_in(message):
    return LINK.findall(message.body)


def test_known_address_gets_an_email_with_a_sign_in_link(carol, mailoutbox, django_capture_on_commit_callbacks):
    response = request_link(Client(), "Carol@Acme.example", django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert response.headers["Location"] == "/portal/login/link/sent/"
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["carol@acme.example"]
    assert "Hello Carol Jones" in mailoutbox[0].body
    assert "expires in 15 minutes" in mailoutbox[0].body
    assert len(links_in(mailoutbox[0])) == 1


def test_answer_is_the_same_for_known_and_unknown_addresses(carol, mailoutbox, django_capture_on_commit_callbacks):
    client = Client()
    known = request_link(client, "carol@acme.example", django_capture_on_commit_callbacks)
    unknown = request_link(client, "nobody@nowhere.example", django_capture_on_commit_callbacks)
    assert (known.status_code, known.headers["Location"]) == (unknown.status_code, unknown.headers["Location"])
    page = client.get(known.headers["Location"])
    assert b"If that address is known to us, we have sent it a sign-in link." in page.content
    assert len(mailoutbox) == 1


def test_malformed_address_is_refused_on_the_form(db, mailoutbox):
    response = Client().post("/portal/login/link/", {"email": "not an address"})
    assert response.status_code == 400
    assert b"Enter a valid email address" in response.content
    assert mailoutbox == []


def test_link_asks_for_a_click_then_signs_in_and_creates_the_portal_user(
    carol, mailoutbox, django_capture_on_commit_callbacks
):
    client = Client()
    request_link(client, "carol@acme.example", django_capture_on_commit_callbacks)
    path = links_in(mailoutbox[0])[0]
    confirm = client.get(path)
    assert confirm.status_code == 200
    assert b"You are signing in as Carol Jones for Acme Ltd." in confirm.content
    carol.refresh_from_db()
    assert carol.user is None  # a GET (a mail scanner, say) neither signs in nor uses the link
    signed_in = client.post(path)
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"] == "/portal/"
    carol.refresh_from_db()
    assert carol.user is not None
    assert client.session["_auth_user_id"] == str(carol.user.pk)
    assert client.get("/portal/").status_code == 200


def test_second_use_of_a_link_is_refused(carol, mailoutbox, django_capture_on_commit_callbacks):
    request_link(Client(), "carol@acme.example", django_capture_on_commit_callbacks)
    path = links_in(mailoutbox[0])[0]
    assert Client().post(path).status_code == 302
    again = Client()
    assert again.get(path).status_code == 410
    second = again.post(path)
    assert second.status_code == 410
    assert b"already been used" in second.content
    assert "_auth_user_id" not in again.session
    assert MagicLinkUse.objects.count() == 1


def test_two_links_asked_in_the_same_second_are_different_and_each_works_once(carol):
    first, second = magic_link_token_create(contact=carol), magic_link_token_create(contact=carol)
    assert first != second
    assert Client().post(f"/portal/login/link/{first}/").status_code == 302
    assert Client().post(f"/portal/login/link/{second}/").status_code == 302


class SignerFromTheFuturePast(signing.TimestampSigner):
    """Signs with a timestamp 16 minutes old: the link of someone who waited too long."""

    def timestamp(self) -> str:
        return signing.b62_encode(int(time.time()) - 16 * 60)


def test_expired_link_is_refused(carol):
    fresh = magic_link_token_create(contact=carol)
    payload = fresh.rsplit(":", 2)[0]
    old = SignerFromTheFuturePast(salt=MAGIC_LINK_SALT).sign(payload)
    client = Client()
    response = client.post(f"/portal/login/link/{old}/")
    assert response.status_code == 410
    assert b"This sign-in link has expired" in response.content
    assert "_auth_user_id" not in client.session
    assert client.post(f"/portal/login/link/{fresh}/").status_code == 302


def test_expiry_follows_the_setting(carol, settings):
    settings.CAREFRONT_MAGIC_LINK_MINUTES = 30
    payload = magic_link_token_create(contact=carol).rsplit(":", 2)[0]
    sixteen_minutes_old = SignerFromTheFuturePast(salt=MAGIC_LINK_SALT).sign(payload)
    assert Client().post(f"/portal/login/link/{sixteen_minutes_old}/").status_code == 302


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: "x" + token,
        lambda token: signing.dumps({"c": 1, "e": "x", "n": "y"}, salt="another salt"),
        lambda token: "garbage",
    ],
    ids=["signature", "payload", "salt", "garbage"],
)
def test_tampered_link_is_refused(carol, mangle):
    response = Client().post(f"/portal/login/link/{mangle(magic_link_token_create(contact=carol))}/")
    assert response.status_code == 400
    assert b"This sign-in link is not valid" in response.content


def test_link_stops_working_when_the_contact_address_changes(carol):
    token = magic_link_token_create(contact=carol)
    contact_update(contact=carol, actor=None, email="carol.jones@acme.example")
    assert Client().post(f"/portal/login/link/{token}/").status_code == 400


def test_link_of_a_disabled_portal_user_is_refused_and_none_is_sent(carol, portal_user_for, mailoutbox):
    user = portal_user_for(carol)
    token = magic_link_token_create(contact=carol)
    user.is_active = False
    user.save()
    assert Client().post(f"/portal/login/link/{token}/").status_code == 400
    assert magic_links_send(email="carol@acme.example") == 0
    assert mailoutbox == []


def test_address_at_several_accounts_gets_one_link_per_account(
    carol, charlie, globex, mailoutbox, django_capture_on_commit_callbacks
):
    other = contact_create(actor=None, account=globex, name="Carol at Globex", email="carol@acme.example")
    request_link(Client(), "carol@acme.example", django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 1
    body = mailoutbox[0].body
    paths = links_in(mailoutbox[0])
    assert len(paths) == 2
    assert body.index("Acme Ltd:") < body.index("Globex SA:")
    client = Client()
    client.post(paths[1])
    other.refresh_from_db()
    assert other.user is not None
    assert client.session["_auth_user_id"] == str(other.user.pk)
    assert b"Globex SA" in client.get("/portal/").content


def test_signed_in_visitor_skips_the_login_page(carol_client):
    response = carol_client.get("/portal/login/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/portal/"


def test_login_page_has_both_ways_in_and_no_inline_script(db):
    response = Client().get("/portal/login/")
    assert response.status_code == 200
    assert b'id="link_email"' in response.content
    assert b'id="password_email"' in response.content
    assert b"<script" not in response.content
    assert b"style=" not in response.content
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_sign_out_ends_the_session(carol_client):
    response = carol_client.post("/portal/logout/")
    assert response.headers["Location"] == "/portal/login/"
    assert carol_client.get("/portal/").status_code == 302


def test_used_links_are_forgotten_once_their_signature_has_expired(carol):
    Client().post(f"/portal/login/link/{magic_link_token_create(contact=carol)}/")
    assert magic_link_uses_purge(now=timezone.now() + timedelta(minutes=10)) == 0
    assert magic_link_uses_purge(now=timezone.now() + timedelta(minutes=21)) == 1
    assert MagicLinkUse.objects.count() == 0
    assert purge_magic_link_uses.call_local() == 0
