"""Fixtures of the survey tests: an active CSAT survey, the support mailbox, a helper that runs a service and what
it leaves for after the commit, and one that reads the score links out of a survey email."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.core import mail

from carefront.core.models import Team
from carefront.desk.models import Status, Ticket
from carefront.desk.services import ticket_update
from carefront.feedback.models import Survey
from carefront.feedback.services import survey_create
from carefront.mail.models import Mailbox

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture
def clock(db: Any) -> Iterator[Any]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def run(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Call a service and run what it leaves for after the commit (the queue is immediate in tests)."""

    def call(function: Callable[..., Any], **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return call


@pytest.fixture
def support(db: Any, front_line: Team) -> Mailbox:
    return Mailbox.objects.create(address="support@carefront.example", name="Carefront Support", team=front_line)


@pytest.fixture
def csat(db: Any, morgan: Any) -> Survey:
    return survey_create(actor=morgan, kind="csat", name="After a ticket")


@pytest.fixture
def solve(run: Callable[..., Any], alice: Any) -> Callable[[Ticket], Ticket]:
    def call(ticket: Ticket) -> Ticket:
        if ticket.assignee_id is None:
            ticket = run(ticket_update, ticket=ticket, actor=alice, assignee=alice)
        return run(ticket_update, ticket=ticket, actor=alice, status=Status.SOLVED)

    return call


def score_links(index: int = -1) -> dict[int, str]:
    """The score links of a sent survey email, by score, as a path with its query."""
    body = str(mail.outbox[index].body)
    return {int(score): path for score, path in re.findall(r"^(\d+)(?: \([^)]*\))?: https?://[^/]+(/\S+)$", body, re.M)}


# --- surveys of a client's customers -----------------------------------------------------------------


@pytest.fixture
def globex_client(clock: Any, globex: Any, charlie: Any, dana: Any, morgan: Any) -> Any:
    """Globex, a client of Dana's, with Charlie as its contact (who owes us its customer list)."""
    from carefront.accounts.services import account_change_service_model

    return account_change_service_model(
        account=globex, actor=morgan, service_model="client", owner=dana, reason="Signed the service agreement"
    )


@pytest.fixture
def csat_for_clients(db: Any, morgan: Any) -> Survey:
    return survey_create(actor=morgan, kind="csat", name="Client customers' CSAT")


def customer_csv(*lines: str) -> io.BytesIO:
    """A customer list file: the header, then the given rows."""
    return io.BytesIO(("external_id,name,email,language\n" + "".join(f"{line}\n" for line in lines)).encode())
