"""Ticket-list latency and ticket-create throughput of the REST API, through the real server.

    .venv/bin/python -m bench.api [--sizes 10000,100000,1000000] [--data-dir .bench-data/api]

For each size: seed a fresh database with bench/seed.py's `seed()`, start `carefront serve` (gunicorn,
CAREFRONT_WEB_CONCURRENCY=2) as a subprocess, create an admin API token, then time list requests one at a
time and ticket creation from several client threads. Prints one JSON object per size. SQLite in the data
dir by default; PostgreSQL when DATABASE_URL names it (that database is dropped and recreated).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import logging
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from random import Random
from typing import Any
from urllib.parse import urlsplit

import httpx

from bench.seed import configure, database_drop, seed

WARM_UP = 20


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """`carefront serve` in a subprocess, with its log in the data dir."""

    def __init__(self, *, data_dir: Path, port: int, web_processes: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "CAREFRONT_WEB_CONCURRENCY": str(web_processes),
            "CAREFRONT_DATA_DIR": str(data_dir),
            "PORT": str(port),
        }
        self.log_path = data_dir / "serve.log"
        self.log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "carefront.cli", "serve", "--bind", f"127.0.0.1:{port}"],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"carefront serve exited with {self.process.returncode}; see {self.log_path}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"carefront serve was not ready after {timeout}s; see {self.log_path}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50, p95, p99 and max of durations in seconds, as milliseconds."""
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {
        "p50_ms": round(cuts[49] * 1000, 2),
        "p95_ms": round(cuts[94] * 1000, 2),
        "p99_ms": round(cuts[98] * 1000, 2),
        "max_ms": round(max(samples) * 1000, 2),
    }


def list_results(response: httpx.Response) -> dict[str, Any]:
    """How many rows an API list response holds."""
    return {"results": len(response.json()["results"])}


def time_get(
    client: httpx.Client,
    url: str,
    *,
    requests: int,
    max_seconds: float,
    describe: Callable[[httpx.Response], dict[str, Any]] = list_results,
) -> dict[str, Any]:
    """Latency of one URL, requested one at a time after a warm-up; every response must be a 200.

    A URL slower than `max_seconds` for all its requests gets fewer samples (at least 10), so one
    pathological query cannot hold the whole run for an hour; `requests` in the result says how many.
    `describe` adds what a warm-up response holds (by default the rows of an API list) to the result.
    """
    samples: list[float] = []
    described: dict[str, Any] = {}
    warm_up = WARM_UP
    deadline = None
    while len(samples) < requests:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}: {response.text[:300]}")
        if warm_up > 0:
            warm_up -= 1
            described = describe(response)
            if elapsed * WARM_UP > max_seconds:
                warm_up = 0
            continue
        samples.append(elapsed)
        deadline = deadline or started + max_seconds
        if len(samples) >= 10 and time.perf_counter() > deadline:
            break
    return {**percentiles(samples), "requests": len(samples), **described}


def deep_page_url(client: httpx.Client, *, pages: int) -> tuple[str, int]:
    """The URL of the page reached by following `next` links `pages` times (or the last page)."""
    url = "/api/v1/tickets?page_size=50"
    followed = 0
    while followed < pages:
        body = client.get(url).json()
        if not body["next"]:
            break
        url = body["next"]
        followed += 1
    return url, followed


def cursor_at(ticket_id: int) -> str:
    """A cursor positioned at a ticket id, encoded the way django-ninja's CursorPagination encodes its own."""
    return base64.b64encode(f"p={ticket_id}".encode()).decode()


def measure_create(
    base_url: str, token: str, *, requester_ids: list[int], seconds: float, concurrency: int
) -> dict[str, Any]:
    """Tickets created per second by `concurrency` client threads posting for `seconds`.

    The client shares the machine's cores with the server it measures, so it posts with the standard
    library's http.client: httpx spent about 0.85 ms of CPU per request, http.client about 0.25 ms, and
    every millisecond the client spends is one the server does not get.
    """
    address = urlsplit(base_url)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    created = [0] * concurrency
    failures: list[str] = []
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    start = threading.Barrier(concurrency + 1)
    stop_at = [0.0]

    def post(worker: int) -> None:
        rng = Random(worker)
        connection: http.client.HTTPConnection | None = None
        start.wait()
        while time.perf_counter() < stop_at[0]:
            payload = {
                "requester_id": rng.choice(requester_ids),
                "subject": f"Benchmark ticket {worker}-{created[worker]}",
                "body": "Hello,\n\nMy order has not arrived yet. Could you check where it is?\n\nThanks",
            }
            if connection is None:
                connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=60)
            began = time.perf_counter()
            connection.request("POST", "/api/v1/tickets", body=json.dumps(payload), headers=headers)
            response = connection.getresponse()
            body = response.read()
            latencies[worker].append(time.perf_counter() - began)
            if response.status == 201:
                created[worker] += 1
            elif len(failures) < 5:
                failures.append(f"{response.status}: {body[:200].decode(errors='replace')}")
            if response.will_close:  # gunicorn's sync workers answer one request per connection
                connection.close()
                connection = None
        if connection is not None:
            connection.close()

    threads = [threading.Thread(target=post, args=(worker,)) for worker in range(concurrency)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    total = sum(created)
    all_latencies = [sample for samples in latencies for sample in samples]
    result: dict[str, Any] = {
        "tickets_per_second": round(total / elapsed, 1),
        "concurrency": concurrency,
        "created": total,
        "seconds": round(elapsed, 1),
        "errors": sum(len(samples) for samples in latencies) - total,
        "latency": percentiles(all_latencies) if len(all_latencies) > 1 else {},
    }
    if failures:
        result["first_errors"] = failures
    return result


def bench_size(*, size: int, args: argparse.Namespace, database: str) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from carefront.accounts.models import Contact
    from carefront.api.services import token_create
    from carefront.core.models import Team
    from carefront.desk.models import Ticket

    seeded: dict[str, Any] | None = None
    if not args.no_seed:
        seeded = seed(tickets=size)
    User = get_user_model()
    admin = User.objects.get(username="bench-admin")
    _, token = token_create(user=admin, name="bench")
    agent_id = User.objects.get(username="agent1").pk
    owner_id = User.objects.get(username="advisor1").pk
    team_id = Team.objects.get(name="Specialists").pk
    tickets = Ticket.objects.count()
    oldest_id = Ticket.objects.order_by("id").values_list("id", flat=True).first() or 1
    requester_ids = list(Contact.objects.order_by("id").values_list("id", flat=True)[:5000])
    connection.close()

    load_before = round(os.getloadavg()[0], 2)
    server = Server(data_dir=args.data_dir, port=args.port or free_port(), web_processes=args.web_processes)
    try:
        server.wait_ready()
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as client:
            limits = {"requests": args.requests, "max_seconds": args.max_seconds}
            first = time_get(client, "/api/v1/tickets?page_size=50", **limits)
            deep_url, pages = deep_page_url(client, pages=args.deep_pages)
            deep = {**time_get(client, deep_url, **limits), "pages_deep": pages}
            oldest = time_get(client, f"/api/v1/tickets?page_size=50&cursor={cursor_at(oldest_id + 60)}", **limits)
            filters = {
                "status=open": "status=open",
                "priority=urgent&page_size=50": "priority=urgent&page_size=50",
                "service_model=client": "service_model=client",
                "assignee=<agent1>": f"assignee={agent_id}",
                "team=<specialists>&status=open": f"team={team_id}&status=open",
                "owner=<advisor1>": f"owner={owner_id}",
                "tag=refund": "tag=refund",
            }
            filtered = {
                label: time_get(client, f"/api/v1/tickets?{query}", **limits) for label, query in filters.items()
            }
        create = measure_create(
            server.url,
            token,
            requester_ids=requester_ids,
            seconds=args.create_seconds,
            concurrency=args.concurrency,
        )
    finally:
        server.stop()
    result: dict[str, Any] = {
        "benchmark": "api",
        "database": database,
        "tickets": tickets,
        "web_processes": args.web_processes,
        # Other work on the machine skews latency: the load before and after the measurements.
        "load_average": [load_before, round(os.getloadavg()[0], 2)],
        "list_first_page": first,
        "list_deep_page": deep,
        "list_oldest_page": oldest,
        "list_filtered": filtered,
        "create": create,
    }
    if seeded is not None:
        result["seed_seconds"] = seeded["seconds"]
    return result


def server_options(parser: argparse.ArgumentParser, *, data_dir: str) -> None:
    """The options of every benchmark that seeds a database and measures through `carefront serve`."""
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated ticket counts")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("CAREFRONT_DATA_DIR", data_dir)),
        help=f"data dir of the benchmark database and the server log (default: $CAREFRONT_DATA_DIR or {data_dir})",
    )
    parser.add_argument("--port", type=int, default=0, help="port for the server (default: a free one)")
    parser.add_argument("--web-processes", type=int, default=2, help="gunicorn processes (CAREFRONT_WEB_CONCURRENCY)")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per URL")
    parser.add_argument(
        "--max-seconds", type=float, default=30.0, help="time limit of one URL's measurement (at least 10 requests)"
    )
    parser.add_argument(
        "--no-seed", action="store_true", help="measure the existing database as it is (one size, no reseeding)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the last database instead of deleting it")


def run_sizes(args: argparse.Namespace, bench_size: Callable[..., dict[str, Any]]) -> None:
    """Configure Django for the data dir and database, print `bench_size()` for each size, then drop the database."""
    args.data_dir = args.data_dir.resolve()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    configure(data_dir=args.data_dir, database_url=os.environ.get("DATABASE_URL"))
    # Carefront's logging configuration would print every request the client makes.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from django.db import connection

    database = "sqlite" if connection.vendor == "sqlite" else "postgresql"
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    for size in sizes[:1] if args.no_seed else sizes:
        print(json.dumps(bench_size(size=size, args=args, database=database)), flush=True)
    if not args.keep:
        database_drop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    server_options(parser, data_dir=".bench-data/api")
    parser.add_argument("--deep-pages", type=int, default=200, help="how many `next` links the deep page follows")
    parser.add_argument("--create-seconds", type=float, default=10.0, help="how long tickets are created")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads creating tickets")
    run_sizes(parser.parse_args(argv), bench_size)


if __name__ == "__main__":
    main()
