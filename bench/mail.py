"""Email in, end to end: messages per second from the SMTP 250 to the ticket in the REST API, and the latency.

    .venv/bin/python -m bench.mail [--messages 1000] [--senders 1,4] [--workers 2]
    .venv/bin/python -m bench.mail --database postgres://postgres@127.0.0.1:5432/cf_bench_mail \\
        --queue redis://127.0.0.1:6379/13

Starts what a user runs: `carefront serve` with CAREFRONT_SMTP_LISTEN on a free port (gunicorn, the queue's
worker and the SMTP listener as its children) on a fresh database in a data dir of its own (a temporary one by
default), after migrating it and creating an admin, an API token and a mailbox. Then, for each sender count,
that many smtplib connections send their share of `--messages` new requests (one sender per thread, each on
its own connection, messages one after the other), while one poller follows the ticket list of the API with a
cursor (only the tickets it has not seen yet), so that each message's latency runs from the moment its
`sendmail` returned (the 250) to the first poll whose answer showed the ticket. Prints one JSON object per
sender count. At the end the database (and the queue's keys on Redis) are dropped unless `--keep` is given.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import re
import shutil
import smtplib
import statistics
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from bench.api import Server, free_port
from bench.seed import configure, database_drop, database_recreate

MAILBOX = "support@bench-mail.example"
ADMIN = "bench-admin"
# The list endpoint's largest page: a poll that comes back full asks again at once from where it ended.
PAGE_SIZE = 100
# A ticket id below the newest one seen and still missing after this long was never committed (a rolled-back
# transaction on PostgreSQL consumes its sequence value): the poller stops asking from it.
HOLE_SECONDS = 10.0
# The verb of an SQL statement and the first table it names (FROM, INTO or UPDATE).
STATEMENT_TABLE = re.compile(r'(UPDATE)\s+"?(\w+)|(SELECT|INSERT|DELETE)\b.*?\b(?:FROM|INTO)\s+"?(\w+)', re.DOTALL)
BODY = (
    "Hello,\n\n"
    "I ordered a pair of walking boots three weeks ago (order {order}) and the tracking page has said "
    '"in transit" for ten days now. Could you tell me where the parcel is, or send a replacement if it is '
    "lost? I need them before the end of the month.\n\n"
    "Thank you,\n{name}\n\n"
    "-- \n{name}\nSent from my phone\n"
)


def wait(seconds: float) -> None:
    """Let time pass without a fixed sleep: an event nobody sets, waited on with a timeout."""
    threading.Event().wait(seconds)


def percentile(samples: list[float], cut: int) -> float | None:
    if not samples:
        return None
    if len(samples) == 1:
        return round(samples[0], 3)
    return round(statistics.quantiles(samples, n=100, method="inclusive")[cut - 1], 3)


def message_bytes(*, subject: str, address: str, name: str, order: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"{name} <{address}>"
    message["To"] = f"Support <{MAILBOX}>"
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(tz=UTC))
    message["Message-ID"] = make_msgid(domain="bench-mail.example")
    message.set_content(BODY.format(order=order, name=name))
    return message.as_bytes()


@dataclass
class Outgoing:
    """One sender's messages, built before the clock starts."""

    subjects: list[str]
    raws: list[bytes]
    addresses: list[str]
    accepted: dict[str, float] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def outgoing(*, tag: str, senders: int, messages: int, from_addresses: int) -> list[Outgoing]:
    """`messages` split among `senders`; each from an address of its own, or one of `from_addresses` in turn."""
    batches = []
    for sender in range(senders):
        count = messages // senders + (1 if sender < messages % senders else 0)
        batch = Outgoing(subjects=[], raws=[], addresses=[])
        for index in range(count):
            serial = index * senders + sender
            person = serial % from_addresses if from_addresses else serial
            address = f"customer-{tag}-{person}@people-{person % 97}.example"
            subject = f"Bench {tag} s{sender}-{index}: parcel not arrived"
            batch.subjects.append(subject)
            batch.addresses.append(address)
            batch.raws.append(
                message_bytes(subject=subject, address=address, name=f"Customer {person}", order=100_000 + serial)
            )
        batches.append(batch)
    return batches


def send(host: str, port: int, batch: Outgoing, start: threading.Barrier) -> None:
    """One SMTP connection sending its messages one after the other; the accept time is when the 250 arrived.
    The connection is opened (and greeted) before the clock starts; a connection lost is opened again."""
    client: smtplib.SMTP | None = None
    try:
        client = smtplib.SMTP(host, port, timeout=120)
        client.ehlo()
    except (smtplib.SMTPException, OSError) as exc:
        batch.failures.append(f"connecting: {exc.__class__.__name__}: {exc}"[:300])
        client = None
    start.wait()
    for subject, address, raw in zip(batch.subjects, batch.addresses, batch.raws, strict=True):
        try:
            if client is None:
                client = smtplib.SMTP(host, port, timeout=120)
            refused = client.sendmail(address, [MAILBOX], raw)
        except (smtplib.SMTPException, OSError) as exc:
            batch.failures.append(f"{subject}: {exc.__class__.__name__}: {exc}"[:300])
            if client is not None:
                client.close()
            client = None
            continue
        if refused:
            batch.failures.append(f"{subject}: refused {refused}")
            continue
        batch.accepted[subject] = time.perf_counter()
    if client is not None:
        client.quit()


class Poller:
    """Follows the API's ticket list (newest first, keyset pagination on the id) from the lowest id not seen yet.

    A cursor `p=ID, r=True` makes the list read the tickets with an id at or above ID, in id order: each poll
    costs one page of new tickets, however many there are in all. Ids are not always committed in order on
    PostgreSQL (two workers filing at once), so the poller asks again from the lowest id it has not seen.
    """

    def __init__(self, base_url: str, token: str, *, interval: float, floor: int) -> None:
        address = urlsplit(base_url)
        self.host = address.hostname or "127.0.0.1"
        self.port = address.port or 80
        self.headers = {"Authorization": f"Bearer {token}"}
        self.interval = interval
        self.floor = floor
        self.seen: dict[int, str] = {}
        self.visible: dict[str, float] = {}
        self.duplicates: list[str] = []
        self.holes: dict[int, float] = {}
        self.polls = 0
        self.requests = 0
        self.request_seconds = 0.0
        self.failures: list[str] = []

    def _page(self, position: int) -> list[dict[str, Any]]:
        cursor = base64.b64encode(urlencode({"p": position, "r": "true"}).encode()).decode()
        query = urlencode({"page_size": PAGE_SIZE, "cursor": cursor})
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        began = time.perf_counter()
        try:
            connection.request("GET", f"/api/v1/tickets?{query}", headers=self.headers)
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        self.requests += 1
        self.request_seconds += time.perf_counter() - began
        if response.status != 200:
            raise RuntimeError(f"GET /api/v1/tickets answered {response.status}: {body[:300]!r}")
        return list(json.loads(body)["results"])

    def poll(self) -> None:
        """One round: every page from the floor up; a ticket becomes visible when the answer holding it arrives."""
        self.polls += 1
        position = self.floor
        while True:
            results = self._page(position)
            arrived = time.perf_counter()
            for ticket in results:
                if ticket["id"] in self.seen:
                    continue
                self.seen[ticket["id"]] = ticket["subject"]
                if ticket["subject"] in self.visible:
                    self.duplicates.append(ticket["subject"])
                else:
                    self.visible[ticket["subject"]] = arrived
            if len(results) < PAGE_SIZE:
                break
            position = max(ticket["id"] for ticket in results) + 1
        newest = max(self.seen, default=0)
        now = time.monotonic()
        while self.floor <= newest:
            if self.floor in self.seen or now - self.holes.setdefault(self.floor, now) > HOLE_SECONDS:
                self.floor += 1
            else:
                break

    def follow(self, batches: list[Outgoing], *, deadline: float, senders_done: threading.Event) -> None:
        """Poll until every message sent is visible: all of them, or once the senders are done, those that got
        their 250 (or until the deadline passes)."""
        expected = {subject for batch in batches for subject in batch.subjects}
        while time.monotonic() < deadline:
            try:
                self.poll()
            except (OSError, RuntimeError, http.client.HTTPException) as exc:
                self.failures.append(str(exc)[:300])
                if len(self.failures) > 20:
                    return
            if expected <= self.visible.keys():
                return
            if senders_done.is_set() and all(batch.accepted.keys() <= self.visible.keys() for batch in batches):
                return
            wait(self.interval)


def configuration(args: argparse.Namespace, *, server: Server, token: str, senders: int, tag: str) -> dict[str, Any]:
    """Send `args.messages` from `senders` connections, follow them into the API, and check every ticket."""
    from django.db import connection

    from carefront.desk.models import Ticket
    from carefront.mail.models import InboundEmail, InboundState

    batches = outgoing(tag=tag, senders=senders, messages=args.messages, from_addresses=args.from_addresses)
    expected = {subject for batch in batches for subject in batch.subjects}
    floor = (Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    connection.close()
    poller = Poller(server.url, token, interval=args.poll_interval, floor=floor)
    start = threading.Barrier(senders + 1)
    threads = [
        threading.Thread(target=send, args=(args.smtp_host, args.smtp_port, batch, start), daemon=True)
        for batch in batches
    ]
    for thread in threads:
        thread.start()
    done = threading.Event()

    def watch() -> None:
        for thread in threads:
            thread.join()
        done.set()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    load_before = round(os.getloadavg()[0], 2)
    began = time.perf_counter()
    start.wait()
    poller.follow(batches, deadline=time.monotonic() + args.timeout, senders_done=done)
    watcher.join()
    accepted = {subject: at for batch in batches for subject, at in batch.accepted.items()}
    last_visible = max((poller.visible[s] for s in expected if s in poller.visible), default=time.perf_counter())
    elapsed = last_visible - began
    latencies = [max(poller.visible[s] - at, 0.0) for s, at in accepted.items() if s in poller.visible]

    # Every message must have become exactly one ticket, and every stored message must have been filed.
    tickets = Ticket.objects.filter(subject__startswith=f"Bench {tag} ")
    ticket_count = tickets.count()
    distinct_subjects = tickets.values("subject").distinct().count()
    stored = InboundEmail.objects.filter(subject__startswith=f"Bench {tag} ")
    not_filed = stored.exclude(state=InboundState.PROCESSED).count()
    connection.close()
    failures = [failure for batch in batches for failure in batch.failures]
    problems = {
        "smtp_failures": len(failures),
        "not_visible": len(expected - poller.visible.keys()),
        "missing_tickets": len(expected) - distinct_subjects,
        "duplicate_tickets": ticket_count - distinct_subjects + len(poller.duplicates),
        "stored_not_filed": not_filed,
        "poll_failures": len(poller.failures),
    }
    last_accept = max(accepted.values(), default=began)
    result: dict[str, Any] = {
        "benchmark": "mail",
        "database": args.database_label,
        "queue": args.queue_label,
        "senders": senders,
        "messages": args.messages,
        "seconds": round(elapsed, 2),
        "messages_per_second": round(args.messages / elapsed, 1) if elapsed > 0 else None,
        "latency_p50_s": percentile(latencies, 50),
        "latency_p95_s": percentile(latencies, 95),
        "latency_max_s": round(max(latencies), 3) if latencies else None,
        "errors": sum(problems.values()),
        # The listener alone: how fast the 250s came back (stored and committed, not yet filed).
        "accept_seconds": round(last_accept - began, 2),
        "accepts_per_second": round(len(accepted) / (last_accept - began), 1) if last_accept > began else None,
        "queue_workers": args.workers,
        "web_processes": args.web_processes,
        "acknowledgements": args.acknowledgement_label,
        "from_addresses": args.from_addresses or "one per message",
        "poll_interval_s": args.poll_interval,
        "polls": poller.polls,
        "poll_requests": poller.requests,
        # The share of the run the poller's requests took (one request at a time): what it cost the server.
        "poll_busy_share": round(poller.request_seconds / elapsed, 3) if elapsed > 0 else None,
        "load_average": [load_before, round(os.getloadavg()[0], 2)],
    }
    if result["errors"]:
        result["problems"] = {name: count for name, count in problems.items() if count}
        result["first_failures"] = (failures + poller.failures)[:5]
    return result


def prepare(args: argparse.Namespace) -> str:
    """Migrate the fresh database and create the admin, the API token and the mailbox; returns the token."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from carefront.api.services import token_create
    from carefront.core.services import admin_ensure
    from carefront.mail.services import mailbox_create

    call_command("migrate", verbosity=0, interactive=False)
    admin_ensure(username=ADMIN, password=uuid.uuid4().hex)
    admin = get_user_model().objects.get(username=ADMIN)
    _, token = token_create(user=admin, name="bench-mail")
    mailbox_create(actor=admin, address=MAILBOX, name="Bench support", auto_acknowledge=args.acknowledge)
    connection.close()
    return token


def profile(args: argparse.Namespace) -> dict[str, Any]:
    """The filing path in this process, no server: `--profile` messages stored with `inbound_store` (as the
    listener does), then filed with `inbound_file` in batches (as the jobs do), timed (wall and CPU), counted (SQL
    statements per message, with Django's CaptureQueriesContext, over the second half) and profiled (cProfile,
    over the first half: the functions with the most cumulative time, per message)."""
    import cProfile
    import pstats

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from carefront.mail.models import InboundEmail, InboundState, Via
    from carefront.mail.parsing import parse
    from carefront.mail.services import FILING_BATCH, inbound_file, inbound_store

    count = args.profile
    batch = outgoing(tag="profile", senders=1, messages=count, from_addresses=args.from_addresses)[0]
    began, cpu = time.perf_counter(), time.process_time()
    ids = [
        inbound_store(raw=raw, via=Via.SMTP, envelope_from=address, envelope_to=[MAILBOX])[0].pk
        for raw, address in zip(batch.raws, batch.addresses, strict=True)
    ]
    store = (time.perf_counter() - began, time.process_time() - cpu)
    began = time.perf_counter()
    for raw in batch.raws:
        parse(raw, envelope_from="")
    parse_seconds = time.perf_counter() - began
    half = count // 2
    # The first half is filed under the profiler; the second half without it (cProfile doubles the time), timed
    # and with its SQL counted.
    profiler = cProfile.Profile()
    began, cpu = time.perf_counter(), time.process_time()
    profiler.enable()
    for start in range(0, half, FILING_BATCH):
        inbound_file(inbound_ids=ids[start : min(start + FILING_BATCH, half)])
    profiler.disable()
    profiled = (time.perf_counter() - began, time.process_time() - cpu)
    with CaptureQueriesContext(connection) as captured:
        began, cpu = time.perf_counter(), time.process_time()
        for start in range(half, count, FILING_BATCH):
            inbound_file(inbound_ids=ids[start : start + FILING_BATCH])
        filed = (time.perf_counter() - began, time.process_time() - cpu)
    statements = [query["sql"] for query in captured.captured_queries]
    transaction_control = ("SAVEPOINT", "RELEASE SAVEPOINT", "BEGIN", "COMMIT", "ROLLBACK")
    queries = [sql for sql in statements if not sql.startswith(transaction_control)]
    per_table: dict[str, int] = {}
    for sql in queries:
        match = STATEMENT_TABLE.match(sql)
        key = " ".join(group for group in match.groups() if group) if match else sql[:30]
        per_table[key] = per_table.get(key, 0) + 1
    filed_count = InboundEmail.objects.filter(pk__in=ids, state=InboundState.PROCESSED).count()
    stats = pstats.Stats(profiler)
    rows = []
    for (filename, line, name), (_calls, _primitive, _tottime, cumulative, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if "/carefront/" in filename or name in {"commit", "execute"}:
            where = filename.split("/carefront/", 1)[-1] if "/carefront/" in filename else filename.rsplit("/", 1)[-1]
            rows.append((cumulative, f"{where}:{line}({name})"))
    rows.sort(reverse=True)
    filed_half = count - half
    return {
        "benchmark": "mail_profile",
        "database": args.database_label,
        "messages": count,
        "filed": filed_count,
        "store_ms": round(store[0] / count * 1000, 2),
        "store_cpu_ms": round(store[1] / count * 1000, 2),
        "parse_ms": round(parse_seconds / count * 1000, 2),
        "file_ms": round(filed[0] / filed_half * 1000, 2),
        "file_cpu_ms": round(filed[1] / filed_half * 1000, 2),
        "file_ms_under_cprofile": round(profiled[0] / half * 1000, 2),
        "statements_per_message": round(len(statements) / filed_half, 1),
        "queries_per_message": round(len(queries) / filed_half, 1),
        "queries_by_table": {key: round(n / filed_half, 2) for key, n in sorted(per_table.items())},
        "cumulative_ms_per_message_under_cprofile": {
            name: round(seconds / half * 1000, 2) for seconds, name in rows[: args.profile_top]
        },
    }


def smtp_ready(host: str, port: int, *, server: Server, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"carefront serve exited with {server.process.returncode}; see {server.log_path}")
        try:
            with smtplib.SMTP(host, port, timeout=5) as client:
                client.noop()
            return
        except (OSError, smtplib.SMTPException):
            wait(0.1)
    raise SystemExit(f"the SMTP listener did not answer on {host}:{port} after {timeout}s; see {server.log_path}")


def queue_drop() -> None:
    """Delete every Redis key of this run's queue (its name is unique to the run): what `--profile` queued for
    no worker, and anything a job left."""
    from django.conf import settings
    from huey.contrib.djhuey import HUEY

    if settings.QUEUE_BACKEND != "redis":
        return
    HUEY.flush()
    # Huey keys its data by the cleaned name (`bench-mail-x` becomes `benchmailx`).
    client = HUEY.storage.conn
    keys = list(client.scan_iter(match=f"huey.*{HUEY.storage.name}*"))
    if keys:
        client.delete(*keys)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=1000, help="messages per sender count, split among senders")
    parser.add_argument("--senders", default="1,4", help="comma-separated counts of concurrent SMTP connections")
    parser.add_argument("--workers", type=int, default=2, help="queue worker threads (CAREFRONT_WORKERS)")
    parser.add_argument("--web-processes", type=int, default=2, help="gunicorn processes (CAREFRONT_WEB_CONCURRENCY)")
    parser.add_argument("--database", default="", help="postgres://… (dropped and recreated); default SQLite")
    parser.add_argument("--queue", default="", help="redis://HOST:6379/DB; default the embedded SQLite queue")
    parser.add_argument("--data-dir", type=Path, default=None, help="the server's data dir (default: a temporary one)")
    parser.add_argument(
        "--from-addresses",
        type=int,
        default=0,
        help="distinct sender addresses, used in turn (default 0: every message from a new address, a new contact)",
    )
    parser.add_argument(
        "--acknowledge",
        action="store_true",
        help="acknowledge every new ticket by email (written to files in the data dir); default off",
    )
    parser.add_argument("--warm-up", type=int, default=20, help="messages sent and waited for before measuring")
    parser.add_argument("--poll-interval", type=float, default=0.1, help="seconds between API polls")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for every ticket")
    parser.add_argument("--keep", action="store_true", help="keep the database, the data dir and the server log")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="instead of the end-to-end run: store and file N messages in this process, timed, counted and profiled",
    )
    parser.add_argument("--profile-top", type=int, default=25, help="functions listed by --profile")
    args = parser.parse_args(argv)
    sender_counts = [int(count) for count in args.senders.split(",") if count.strip()]

    temporary = args.data_dir is None
    data_dir = Path(tempfile.mkdtemp(prefix="cf-bench-mail-")) if temporary else args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    run = uuid.uuid4().hex[:8]
    queue_name = f"bench-mail-{run}"
    args.smtp_host, args.smtp_port = "127.0.0.1", free_port()
    outbox = data_dir / "outbox"
    outbox.mkdir(exist_ok=True)
    os.environ.update(
        {
            "CAREFRONT_SMTP_LISTEN": f"{args.smtp_host}:{args.smtp_port}",
            "CAREFRONT_WORKERS": str(args.workers),
            # Whatever is sent (acknowledgements with --acknowledge) goes to files, never to a real server.
            "CAREFRONT_EMAIL_URL": f"file://{outbox}",
            "CAREFRONT_QUEUE_NAME": queue_name,
            "CAREFRONT_MAIL_ACKNOWLEDGE": "true" if args.acknowledge else "false",
        }
    )
    if args.queue:
        os.environ["CAREFRONT_QUEUE_URL"] = args.queue
    else:
        os.environ.pop("CAREFRONT_QUEUE_URL", None)
    configure(data_dir=data_dir, database_url=args.database or None)
    from django.db import connection

    args.database_label = "sqlite" if connection.vendor == "sqlite" else "postgresql"
    args.queue_label = "redis" if args.queue else "sqlite"
    args.acknowledgement_label = "on (file backend)" if args.acknowledge else "off (mailbox auto_acknowledge false)"
    database_recreate()
    server: Server | None = None
    try:
        token = prepare(args)
        if args.profile:
            print(json.dumps(profile(args)), flush=True)
            return
        server = Server(data_dir=data_dir, port=free_port(), web_processes=args.web_processes)
        server.wait_ready()
        smtp_ready(args.smtp_host, args.smtp_port, server=server)
        if args.warm_up:
            warm_up = argparse.Namespace(**{**vars(args), "messages": args.warm_up})
            configuration(warm_up, server=server, token=token, senders=1, tag=f"{run}-warm")
        for senders in sender_counts:
            result = configuration(args, server=server, token=token, senders=senders, tag=f"{run}-{senders}")
            print(json.dumps(result), flush=True)
    finally:
        if server is not None:
            server.stop()
        if not args.keep:
            database_drop()
            queue_drop()
            if temporary:
                shutil.rmtree(data_dir, ignore_errors=True)
        else:
            print(f"kept: data dir {data_dir}, log {data_dir / 'serve.log'}", flush=True)


if __name__ == "__main__":
    main()
