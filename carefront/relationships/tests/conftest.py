"""Fixtures of the relationships tests: Globex is a client of Dana's, Erin another advisor with a client of her own.

Time is frozen at NOW (time-machine) so due dates and waits are exact.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from carefront.accounts.models import Account, Contact
from carefront.accounts.services import account_change_service_model, account_create, contact_create
from carefront.core.models import Role
from carefront.core.services import staff_create
from carefront.relationships.models import Commitment, Engagement
from carefront.relationships.services import commitment_create, engagement_create

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture
def clock(db: Any) -> Iterator[Any]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def client_account(clock: Any, globex: Account, dana: Any, morgan: Any) -> Account:
    return account_change_service_model(
        account=globex, actor=morgan, service_model="client", owner=dana, reason="Signed the service agreement"
    )


@pytest.fixture
def erin(db: Any) -> Any:
    return staff_create(username="erin", email="erin@carefront.example", role=Role.ADVISOR, first_name="Erin")


@pytest.fixture
def erins_client(clock: Any, erin: Any, morgan: Any) -> Account:
    account = account_create(actor=None, name="Initech", kind="organisation", locale="en")
    return account_change_service_model(account=account, actor=morgan, service_model="client", owner=erin, reason="x")


@pytest.fixture
def initech_contact(erins_client: Account) -> Contact:
    return contact_create(actor=None, account=erins_client, name="Ivy Ng", email="ivy@initech.example")


@pytest.fixture
def engagement(client_account: Account, dana: Any) -> Engagement:
    return engagement_create(
        actor=dana,
        account=client_account,
        kind="survey",
        title="Customer satisfaction survey",
        scope="Survey Globex's customers about delivery.",
        owner=dana,
        starts_at=NOW,
        due_at=NOW + timedelta(days=60),
        status="active",
    )


@pytest.fixture
def commitment(client_account: Account, dana: Any) -> Commitment:
    return commitment_create(
        actor=dana, account=client_account, title="Send the survey plan", owner=dana, due_at=NOW + timedelta(days=10)
    )


@pytest.fixture
def paris_client(clock: Any, dana: Any) -> Account:
    """A client of Dana's in her own time zone."""
    return account_create(
        actor=None,
        name="Lumière SARL",
        kind="organisation",
        service_model="client",
        owner=dana,
        time_zone="Europe/Paris",
        locale="fr",
    )


def left_without_hand_over(user: Any) -> None:
    """A staff member who left without their work being handed over: the workspace refuses to deactivate them
    while they own unfinished work, but the back office's user form (`/admin/`) can still clear `is_active`."""
    user.is_active = False
    user.save(update_fields=["is_active"])
