"""Server time and SQL query count of the staff workspace's pages (inbox, ticket, accounts, search).

    .venv/bin/python -m bench.pages [--sizes 10000,100000,1000000] [--data-dir .bench-data/pages]

For each size: seed a fresh database with bench/seed.py's `seed()`, give the seeded staff member a password and
a saved inbox view, and the two measured accounts some orders; count each page's SQL queries in-process
(Django's test client); then start `carefront serve` as a subprocess, sign in through the login form and time
each page one request at a time. Prints one JSON object per size. SQLite in the data dir by default;
PostgreSQL when DATABASE_URL names it (that database is dropped and recreated).
"""

from __future__ import annotations

import argparse
import html
import os
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urljoin

import httpx

from bench.api import Server, free_port, run_sizes, server_options, time_get
from bench.seed import seed

# The target: every page's server time under this at the 95th percentile, at 1M tickets, on both databases.
TARGET_P95_MS = 100
PASSWORD = "bench-pages-password"
SAVED_VIEW = "Urgent, open, recently updated"
# Orders given to the measured accounts (the seed writes none): a big customer's history and a typical one.
ORDERS = {"biggest": 300, "typical": 5}
ORDER_PREFIX = "bench-pages"
SEARCH_WORD = "refund"
SEARCH_PHRASE = "tracking page"
NEXT_LINK = re.compile(r'<a href="([^"]*)"[^>]*rel="next"')
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass(frozen=True)
class Subjects:
    """The rows the pages are about, chosen from what the database holds."""

    user: Any
    saved_view_id: int
    ticket_numbers: dict[str, int]
    accounts: dict[str, tuple[int, int]]  # label: (account id, its tickets)
    email: str
    name: str


def _ticket_numbers() -> dict[str, int]:
    """The newest, middle and oldest tickets (by id): seeded tickets have three messages each."""
    from carefront.desk.models import Ticket

    tickets = Ticket.objects.order_by("id")
    first = tickets.values_list("id", flat=True).first()
    last = tickets.values_list("id", flat=True).last()
    if first is None or last is None:
        raise SystemExit("the database holds no tickets")
    middle = tickets.filter(id__gte=(first + last) // 2).values_list("id", flat=True).first() or last
    numbers = dict(Ticket.objects.filter(id__in=[first, middle, last]).values_list("id", "number"))
    return {"newest": numbers[last], "middle": numbers[middle], "oldest": numbers[first]}


def _accounts() -> dict[str, tuple[int, int]]:
    """The account with the most tickets, and a typical one (the median of accounts that have tickets)."""
    from django.db.models import Count

    from carefront.desk.models import Ticket

    counts = sorted(
        (tickets, account_id)
        for account_id, tickets in Ticket.objects.order_by()
        .values("account_id")
        .annotate(tickets=Count("id"))
        .values_list("account_id", "tickets")
        if account_id is not None
    )
    if not counts:
        raise SystemExit("no ticket has an account")
    biggest = max(counts, key=lambda pair: (pair[0], -pair[1]))
    typical = counts[len(counts) // 2]
    return {"biggest": (biggest[1], biggest[0]), "typical": (typical[1], typical[0])}


def _orders_add(account_id: int, count: int) -> None:
    """Give an account `count` orders over the last two years, through the real service; once per database."""
    from django.utils import timezone

    from carefront.accounts.models import Account, Order
    from carefront.accounts.services import order_create

    prefix = f"{ORDER_PREFIX}-{account_id}-"
    if Order.objects.filter(account_id=account_id, external_id__startswith=prefix).exists():
        return
    account = Account.objects.get(pk=account_id)
    now = timezone.now()
    for index in range(count):
        order_create(
            actor=None,
            account=account,
            external_id=f"{prefix}{index}",
            placed_at=now - timedelta(days=730 * index / count),
            currency=("EUR", "USD", "GBP")[index % 3],
            amount=f"{19 + (index * 37) % 400}.{index % 100:02d}",
        )


def prepare(*, username: str) -> Subjects:
    """Set the staff member's password, save their inbox view, add orders, and pick what the pages show."""
    from django.contrib.auth import get_user_model

    from carefront.accounts.models import Contact
    from carefront.desk.selectors import TicketFilters
    from carefront.web.models import SavedView
    from carefront.web.selectors import InboxQuery
    from carefront.web.services import saved_view_create

    user = get_user_model().objects.get(username=username)
    # The seed creates staff without a password; the benchmark signs in through the login form.
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    saved = SavedView.objects.filter(owner=user, name=SAVED_VIEW).first() or saved_view_create(
        actor=user,
        name=SAVED_VIEW,
        query=InboxQuery(filters=TicketFilters(statuses=("open",), priority="urgent"), sort="updated"),
    )
    accounts = _accounts()
    for label, (account_id, _tickets) in accounts.items():
        _orders_add(account_id, ORDERS[label])
    contact = Contact.objects.filter(account_id=accounts["biggest"][0]).order_by("id").first()
    if contact is None:
        raise SystemExit("the biggest account has no contact")
    return Subjects(
        user=user,
        saved_view_id=saved.pk,
        ticket_numbers=_ticket_numbers(),
        accounts=accounts,
        email=contact.email,
        name=contact.name,
    )


def page_urls(subjects: Subjects, *, inbox_deep: str) -> dict[str, str]:
    """Every measured page, label to URL; `inbox_deep` was found by following the inbox's links."""
    from carefront.accounts.models import Account

    typical_name = Account.objects.values_list("name", flat=True).get(pk=subjects.accounts["typical"][0])
    urls = {
        "inbox": "/",
        "inbox_mine": "/?view=mine",
        "inbox_unassigned": "/?view=unassigned",
        "inbox_team_by_priority": "/?view=team&sort=priority",
        "inbox_filtered": "/?status=open&status=pending&channel=email&sort=updated",
        "inbox_saved_view": f"/?saved={subjects.saved_view_id}",
        "inbox_deep": inbox_deep,
        # The sidebar's counts, which the inbox fetches as it loads (one aggregate over the open tickets).
        "sidebar_counts": "/inbox/sidebar/?active=all",
    }
    urls |= {f"ticket_{label}": f"/tickets/{number}/" for label, number in subjects.ticket_numbers.items()}
    urls |= {
        "accounts": "/accounts/",
        "accounts_search": "/accounts/?" + urlencode({"q": typical_name.split()[0]}),
    }
    urls |= {f"account_{label}": f"/accounts/{account_id}/" for label, (account_id, _) in subjects.accounts.items()}
    searches = {
        "number": str(subjects.ticket_numbers["middle"]),
        "word": SEARCH_WORD,
        "phrase": SEARCH_PHRASE,
        "email": subjects.email,
        "name": subjects.name,
    }
    urls |= {f"search_{label}": "/search/?" + urlencode({"q": query}) for label, query in searches.items()}
    return urls


def _test_client(user: Any) -> Any:
    """Django's test client, signed in as `user`, sending a host the settings allow."""
    from django.conf import settings
    from django.test import Client

    host = next((h for h in settings.ALLOWED_HOSTS if h and "*" not in h and not h.startswith(".")), "127.0.0.1")
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    return client


def inbox_deep_url(client: Any, *, pages: int) -> tuple[str, int]:
    """The inbox page reached by following its "next" link `pages` times (or the last page), and how many."""
    url = "/"
    followed = 0
    while followed < pages:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}")
        found = NEXT_LINK.search(response.content.decode())
        if found is None:
            break
        url = urljoin(url, html.unescape(found.group(1)))
        followed += 1
    return url, followed


def queries_per_page(client: Any, urls: dict[str, str]) -> dict[str, int]:
    """The SQL queries of each page, counted in-process on the second request (the first fills caches)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts: dict[str, int] = {}
    for label, url in urls.items():
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}")
        counts[label] = len(captured.captured_queries)
    return counts


def sign_in(client: httpx.Client, *, username: str, password: str) -> None:
    """Sign in through the login form: its CSRF cookie and token, then the credentials."""
    form = client.get("/login/")
    token = CSRF_FIELD.search(form.text)
    if form.status_code != 200 or token is None:
        raise SystemExit(f"GET /login/ answered {form.status_code} without a CSRF token")
    response = client.post(
        "/login/",
        data={"csrfmiddlewaretoken": token.group(1), "username": username, "password": password, "next": "/"},
    )
    if response.status_code != 302 or "sessionid" not in client.cookies:
        raise SystemExit(f"signing in as {username} answered {response.status_code}: {response.text[:300]}")


def _size(response: httpx.Response) -> dict[str, Any]:
    return {"bytes": len(response.content)}


def bench_size(*, size: int, args: argparse.Namespace, database: str) -> dict[str, Any]:
    from django.db import connection

    from carefront.desk.models import Ticket

    seeded = None if args.no_seed else seed(tickets=size)
    subjects = prepare(username=args.user)
    client = _test_client(subjects.user)
    inbox_deep, pages_deep = inbox_deep_url(client, pages=args.deep_pages)
    urls = page_urls(subjects, inbox_deep=inbox_deep)
    queries = queries_per_page(client, urls)
    tickets = Ticket.objects.count()
    connection.close()

    load_before = round(os.getloadavg()[0], 2)
    server = Server(data_dir=args.data_dir, port=args.port or free_port(), web_processes=args.web_processes)
    measured: dict[str, dict[str, Any]] = {}
    try:
        server.wait_ready()
        with httpx.Client(base_url=server.url, timeout=60) as http:
            sign_in(http, username=args.user, password=PASSWORD)
            for label, url in urls.items():
                timing = time_get(http, url, requests=args.requests, max_seconds=args.max_seconds, describe=_size)
                measured[label] = {"url": url, "queries": queries[label], **timing}
    finally:
        server.stop()
    measured["inbox_deep"]["pages_deep"] = pages_deep
    for label, (_, account_tickets) in subjects.accounts.items():
        measured[f"account_{label}"] |= {"tickets": account_tickets, "orders": ORDERS[label]}
    result: dict[str, Any] = {
        "benchmark": "pages",
        "database": database,
        "tickets": tickets,
        "user": args.user,
        "web_processes": args.web_processes,
        # Other work on the machine skews latency: the load before and after the measurements.
        "load_average": [load_before, round(os.getloadavg()[0], 2)],
        "target_p95_ms": TARGET_P95_MS,
        "over_target": sorted(label for label, page in measured.items() if page["p95_ms"] > TARGET_P95_MS),
        "pages": measured,
    }
    if seeded is not None:
        result["seed_seconds"] = seeded["seconds"]
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    server_options(parser, data_dir=".bench-data/pages")
    parser.add_argument("--user", default="agent1", help="the seeded staff member who signs in (default: agent1)")
    parser.add_argument("--deep-pages", type=int, default=100, help="how many `next` links the deep inbox page follows")
    run_sizes(parser.parse_args(argv), bench_size)


if __name__ == "__main__":
    main()
