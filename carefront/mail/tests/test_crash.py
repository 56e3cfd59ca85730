"""Nothing is lost and nothing is filed twice when the worker is killed in the middle of a batch."""

from __future__ import annotations

import signal
import time
from typing import Any

import pytest

from carefront.core.tests.processes import CarefrontProcess
from carefront.desk.models import Message, Ticket
from carefront.mail.models import InboundEmail, InboundState, Mailbox
from carefront.mail.services import inbound_process, inbound_store
from carefront.mail.tests.conftest import email_bytes

NEW_TICKETS = 400
REPLIES = 100
EARLIER = 10


@pytest.mark.queue
def test_worker_killed_mid_batch_files_every_message_exactly_once_after_restart(
    transactional_db: Any, real_queue: dict[str, str], carol: Any
) -> None:
    """GIVEN ten tickets opened by email, then 500 stored messages queued for filing (400 new requests and 100
    replies to those tickets)
    WHEN the worker is killed with SIGKILL after filing some of them, and started again
    THEN every message becomes exactly one ticket or one reply, and none is left waiting."""
    Mailbox.objects.create(address="support@carefront.example", auto_acknowledge=False)
    earlier = []
    for number in range(EARLIER):
        row, _ = inbound_store(raw=email_bytes(message_id=f"<earlier-{number}@mail.example>"), via="file")
        earlier.append(inbound_process(inbound_id=row.pk).ticket)  # type: ignore[union-attr]
    for number in range(NEW_TICKETS + REPLIES):
        if number < NEW_TICKETS:
            raw = email_bytes(subject=f"Request {number}", message_id=f"<new-{number}@mail.example>")
        else:
            parent = (number - NEW_TICKETS) % EARLIER
            raw = email_bytes(
                subject="Re: Parcel never arrived",
                body=f"Reply {number}",
                message_id=f"<reply-{number}@mail.example>",
                in_reply_to=f"<earlier-{parent}@mail.example>",
            )
        inbound_store(raw=raw, via="smtp")

    worker = CarefrontProcess(["worker", "--workers", "2"], env=real_queue)
    try:
        # A job files a batch of what waits (50 at most): killed after the first, the worker is amid the rest.
        worker.wait_for(r"carefront\.mail\.tasks\.process_inbound: .* executed in", timeout=120)
    finally:
        worker.stop(signal.SIGKILL)
    waiting = InboundEmail.objects.filter(state=InboundState.RECEIVED).count()
    assert 0 < waiting < NEW_TICKETS + REPLIES, "the kill must land in the middle of the batch"

    restarted = CarefrontProcess(["worker", "--workers", "2"], env=real_queue)
    try:
        deadline = time.monotonic() + 300
        while InboundEmail.objects.filter(state=InboundState.RECEIVED).exists():
            assert time.monotonic() < deadline, restarted.output()
            restarted.wait_for(r"carefront\.mail\.tasks\.process_inbound: .* executed in", timeout=120)
    finally:
        restarted.stop()

    assert InboundEmail.objects.exclude(state=InboundState.PROCESSED).count() == 0
    subjects = list(Ticket.objects.filter(subject__startswith="Request ").values_list("subject", flat=True))
    assert sorted(subjects) == sorted(f"Request {number}" for number in range(NEW_TICKETS))
    for ticket in earlier:
        assert Message.objects.filter(ticket=ticket).count() == 1 + REPLIES // EARLIER
    replies = list(Message.objects.filter(body_text__startswith="Reply ").values_list("body_text", flat=True))
    assert sorted(replies) == sorted(f"Reply {number}" for number in range(NEW_TICKETS, NEW_TICKETS + REPLIES))
    assert Ticket.objects.count() == EARLIER + NEW_TICKETS
