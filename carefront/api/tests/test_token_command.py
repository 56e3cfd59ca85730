"""`carefront token create|revoke|list`."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from carefront.api.models import ApiToken
from carefront.api.services import token_authenticate


def _token(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_token_create_prints_a_working_token_once_and_stores_only_its_hash(alice: Any) -> None:
    out, err = _token("create", "alice", "--name", "crm sync")

    plain = out.strip()
    assert token_authenticate(plain=plain) == alice
    stored = ApiToken.objects.get(user=alice)
    assert stored.name == "crm sync"
    assert plain not in {stored.key_hash, stored.prefix}
    assert stored.prefix in plain and stored.prefix in err
    assert "only this once" in err


def test_token_create_finds_staff_by_email(alice: Any) -> None:
    out, _ = _token("create", "ALICE@carefront.example")
    assert token_authenticate(plain=out.strip()) == alice


def test_token_create_for_a_contact_email_gives_the_contact_a_portal_user(carol: Any) -> None:
    out, _ = _token("create", "carol@acme.example")

    carol.refresh_from_db()
    assert carol.user is not None
    assert token_authenticate(plain=out.strip()) == carol.user


def test_token_create_for_an_unknown_person_fails_clearly(db: Any) -> None:
    with pytest.raises(CommandError, match=re.escape("No user or contact is called nobody@example.com")):
        _token("create", "nobody@example.com")
    assert not ApiToken.objects.exists()


def test_token_revoke_stops_the_token_from_authenticating(alice: Any) -> None:
    out, _ = _token("create", "alice")
    plain = out.strip()
    prefix = ApiToken.objects.get(user=alice).prefix

    revoked, _ = _token("revoke", prefix)

    assert prefix in revoked
    assert token_authenticate(plain=plain) is None


def test_token_revoke_of_an_unknown_prefix_fails(db: Any) -> None:
    with pytest.raises(CommandError, match="No token with prefix"):
        _token("revoke", "0123456789ab")


def test_token_list_shows_prefixes_and_owners_filtered_by_user(alice: Any, bob: Any) -> None:
    _token("create", "alice", "--name", "first")
    _token("create", "bob", "--name", "second")
    alice_prefix = ApiToken.objects.get(user=alice).prefix
    bob_prefix = ApiToken.objects.get(user=bob).prefix

    everyone, _ = _token("list")
    only_bob, _ = _token("list", "bob")

    assert alice_prefix in everyone and bob_prefix in everyone
    assert bob_prefix in only_bob and alice_prefix not in only_bob
    assert "\tsecond\t" in only_bob
