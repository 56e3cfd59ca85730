"""Shared fixtures: personas and factories, as STYLE.md names them.

Alice is an agent, Bob her teammate, Dana an advisor, Morgan a manager, Ada an admin;
Carol is a contact at Acme (a customer account); Charlie is a contact at another account.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from huey.contrib.djhuey import HUEY
from huey.storage import RedisStorage, SqliteStorage

from carefront.accounts.models import Account, Contact
from carefront.accounts.services import account_create, contact_create
from carefront.api.services import token_create
from carefront.core.models import Role, Team
from carefront.core.services import staff_create
from carefront.core.tests.processes import carefront_env
from carefront.desk.models import Ticket
from carefront.desk.services import ticket_create
from carefront.insights.metrics.facts import facts_cache_clear


@pytest.fixture(autouse=True)
def _cache_cleared() -> None:
    """Each test starts with empty caches (the SMTP listener's list of mailboxes is kept there; the facts' cache keys
    days by signatures that a test's rolled-back marks may give again in the next test)."""
    cache.clear()
    facts_cache_clear()


@pytest.fixture(autouse=True)
def _huey_immediate() -> Iterator[None]:
    """Jobs run in-process unless a test starts a real worker (see the queue tests)."""
    previous = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = previous


@pytest.fixture
def real_queue(tmp_path: Path) -> Iterator[dict[str, str]]:
    """This process enqueues for real, into a queue of this test's own that a worker process can consume.

    Yields the environment for that worker. The queue is the configured backend (the embedded SQLite
    queue, or Redis when CAREFRONT_QUEUE_URL is set) under a name no other test run uses.
    """
    name = f"carefront-test-{uuid.uuid4().hex[:12]}"
    HUEY.immediate = False
    storage: Any
    if settings.QUEUE_BACKEND == "redis":
        storage = RedisStorage(name=name, url=settings.HUEY["url"])
    else:
        storage = SqliteStorage(name=name, filename=str(tmp_path / "queue.sqlite3"))
    HUEY.storage = storage
    try:
        yield carefront_env(tmp_path, CAREFRONT_QUEUE_NAME=name)
    finally:
        storage.flush_all()
        storage.close()
        HUEY.immediate = True


@pytest.fixture
def front_line(db: Any) -> Team:
    return Team.objects.create(name="Front line")


def _staff(username: str, role: str, **extra: Any) -> Any:
    return staff_create(
        username=username,
        email=f"{username}@carefront.example",
        role=role,
        password="correct horse battery staple",
        first_name=username.capitalize(),
        **extra,
    )


@pytest.fixture
def alice(db: Any, front_line: Team) -> Any:
    return _staff("alice", Role.AGENT, teams=[front_line])


@pytest.fixture
def bob(db: Any, front_line: Team) -> Any:
    return _staff("bob", Role.AGENT, teams=[front_line])


@pytest.fixture
def dana(db: Any) -> Any:
    return _staff("dana", Role.ADVISOR, time_zone="Europe/Paris", languages=["en", "fr"])


@pytest.fixture
def morgan(db: Any) -> Any:
    return _staff("morgan", Role.MANAGER)


@pytest.fixture
def ada(db: Any) -> Any:
    return _staff("ada", Role.ADMIN)


@pytest.fixture
def acme(db: Any) -> Account:
    return account_create(
        actor=None,
        name="Acme Ltd",
        kind="organisation",
        country="GB",
        time_zone="Europe/London",
        locale="en-GB",
        external_id="acct-acme",
    )


@pytest.fixture
def globex(db: Any) -> Account:
    return account_create(actor=None, name="Globex SA", kind="organisation", country="FR", locale="fr")


@pytest.fixture
def carol(acme: Account) -> Contact:
    return contact_create(
        actor=None, account=acme, name="Carol Jones", email="carol@acme.example", phone="+442071838750"
    )


@pytest.fixture
def charlie(globex: Account) -> Contact:
    return contact_create(actor=None, account=globex, name="Charlie Martin", email="charlie@globex.example")


@pytest.fixture
def ticket(carol: Contact) -> Ticket:
    return ticket_create(actor=None, requester=carol, subject="Parcel never arrived", body="Order 1001 is late.")


@pytest.fixture
def portal_user_for() -> Any:
    """Give a contact a portal login (the user a contact's API token belongs to)."""
    from carefront.accounts.services import contact_grant_portal_access

    def make(contact: Contact) -> Any:
        return contact_grant_portal_access(contact=contact, actor=None)

    return make


@pytest.fixture
def api_client() -> Any:
    """A Django test client authenticated by bearer token for a given user."""

    def make(user: Any) -> Client:
        _, plain = token_create(user=user, name="tests")
        return Client(headers={"Authorization": f"Bearer {plain}"})

    return make
