"""Reads of accounts, contacts and orders, shaped for lists and pages."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from carefront.accounts.access import accounts_visible_to, contacts_visible_to, orders_visible_to
from carefront.accounts.models import Account, AccountDomain, Contact, Order
from carefront.desk.selectors import (
    OPEN_STATUSES,
    CostToServe,
    TicketFilters,
    account_cost_to_serve,
    tickets_list,
)
from carefront.insights.selectors import segment_accounts_q


@dataclass(frozen=True)
class AccountFilters:
    """The filters of the account list, shared by the API and the workspace."""

    service_model: str | None = None
    lifecycle_stage: str | None = None
    owner: int | None = None
    segment: str | None = None
    country: str | None = None
    kind: str | None = None
    tag: str | None = None
    external_id: str | None = None
    served_for: int | None = None
    updated_since: datetime | None = None
    # Part of a name, or the start of an external id (the workspace's account search box).
    search: str | None = None
    saved_segment: int | None = None  # the id of an insights Segment


def accounts_list(*, user: Any, filters: AccountFilters) -> QuerySet[Account]:
    accounts = accounts_visible_to(user).select_related("owner").prefetch_related("tags")
    if filters.search and filters.search.strip():
        term = filters.search.strip()
        accounts = accounts.filter(Q(name__icontains=term) | Q(external_id__istartswith=term))
    for field in ("service_model", "lifecycle_stage", "segment", "kind", "external_id"):
        value = getattr(filters, field)
        if value:
            accounts = accounts.filter(**{field: value})
    if filters.country:
        accounts = accounts.filter(country=filters.country.upper())
    if filters.owner is not None:
        accounts = accounts.filter(owner_id=filters.owner)
    if filters.served_for is not None:
        accounts = accounts.filter(served_for_id=filters.served_for)
    if filters.tag:
        accounts = accounts.filter(tags__name=filters.tag.lower())
    if filters.updated_since:
        accounts = accounts.filter(updated_at__gte=filters.updated_since)
    if filters.saved_segment is not None:
        accounts = accounts.filter(segment_accounts_q(segment_id=filters.saved_segment))
    return accounts


@dataclass(frozen=True)
class ContactFilters:
    account: int | None = None
    email: str | None = None
    external_id: str | None = None
    updated_since: datetime | None = None


def contacts_list(*, user: Any, filters: ContactFilters) -> QuerySet[Contact]:
    contacts = contacts_visible_to(user)
    if filters.account is not None:
        contacts = contacts.filter(account_id=filters.account)
    if filters.email:
        contacts = contacts.filter(email=filters.email.strip().lower())
    if filters.external_id:
        contacts = contacts.filter(external_id=filters.external_id)
    if filters.updated_since:
        contacts = contacts.filter(updated_at__gte=filters.updated_since)
    return contacts


@dataclass(frozen=True)
class OrderFilters:
    account: int | None = None
    placed_since: datetime | None = None
    placed_before: datetime | None = None
    external_id: str | None = None
    updated_since: datetime | None = None


def orders_list(*, user: Any, filters: OrderFilters) -> QuerySet[Order]:
    orders = orders_visible_to(user).prefetch_related("items")
    if filters.account is not None:
        orders = orders.filter(account_id=filters.account)
    if filters.placed_since:
        orders = orders.filter(placed_at__gte=filters.placed_since)
    if filters.placed_before:
        orders = orders.filter(placed_at__lt=filters.placed_before)
    if filters.external_id:
        orders = orders.filter(external_id=filters.external_id)
    if filters.updated_since:
        orders = orders.filter(updated_at__gte=filters.updated_since)
    return orders


@dataclass(frozen=True)
class Spend:
    """What an account has spent in one currency, over how many orders."""

    currency: str
    total: Decimal
    orders: int


def account_lifetime_spend(*, user: Any, account_id: int) -> list[Spend]:
    """The sum of an account's orders per currency (money in different currencies is never added up)."""
    rows = (
        orders_visible_to(user)
        .filter(account_id=account_id)
        .values("currency")
        .annotate(total=Sum("amount"), orders=Count("id"))
        .order_by("currency")
    )
    return [Spend(currency=row["currency"], total=row["total"], orders=row["orders"]) for row in rows]


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


@dataclass(frozen=True)
class AccountSidebar:
    """What an agent wants to know about the account beside a ticket."""

    account: Account
    requester_time_zone: str
    requester_now: datetime
    lifetime_spend: list[Spend]
    last_orders: list[Order]
    open_tickets: list[Any]
    more_open_tickets: bool
    cost_to_serve: CostToServe


SIDEBAR_ORDERS = 5
SIDEBAR_TICKETS = 10


def account_sidebar(
    *, user: Any, account: Account, requester: Contact | None = None, exclude_ticket_id: int | None = None
) -> AccountSidebar:
    """The account beside a ticket in five queries: spend per currency, last orders, other open tickets, and
    the cost to serve (staff minutes by role, the cost rates)."""
    zone_name = (requester.time_zone if requester is not None else "") or account.time_zone or "UTC"
    orders = list(orders_visible_to(user).filter(account_id=account.pk).order_by("-placed_at", "-id")[:SIDEBAR_ORDERS])
    tickets = (
        tickets_list(user=user, filters=TicketFilters(account=account.pk))
        .prefetch_related(None)
        .filter(status__in=OPEN_STATUSES)
        .order_by("-id")
    )
    if exclude_ticket_id is not None:
        tickets = tickets.exclude(pk=exclude_ticket_id)
    open_tickets = list(tickets[: SIDEBAR_TICKETS + 1])
    return AccountSidebar(
        account=account,
        requester_time_zone=zone_name,
        requester_now=timezone.now().astimezone(_zone(zone_name)),
        lifetime_spend=account_lifetime_spend(user=user, account_id=account.pk),
        last_orders=orders,
        open_tickets=open_tickets[:SIDEBAR_TICKETS],
        more_open_tickets=len(open_tickets) > SIDEBAR_TICKETS,
        cost_to_serve=account_cost_to_serve(account_id=account.pk),
    )


@dataclass(frozen=True)
class AccountOverview:
    """The 360° page of an account, apart from its timeline."""

    account: Account
    contacts: list[Contact]
    more_contacts: bool
    lifetime_spend: list[Spend]
    recent_orders: list[Order]
    recent_tickets: list[Any]
    more_tickets: bool


OVERVIEW_CONTACTS = 50
OVERVIEW_ORDERS = 10
OVERVIEW_TICKETS = 10


def account_overview(*, user: Any, account: Account) -> AccountOverview:
    """Contacts, orders with totals and latest tickets of one account, in a constant number of queries."""
    contacts = list(
        contacts_visible_to(user).filter(account_id=account.pk).order_by("name", "id")[: OVERVIEW_CONTACTS + 1]
    )
    orders = list(orders_visible_to(user).filter(account_id=account.pk).order_by("-placed_at", "-id")[:OVERVIEW_ORDERS])
    tickets = list(
        tickets_list(user=user, filters=TicketFilters(account=account.pk))
        .prefetch_related(None)
        .order_by("-id")[: OVERVIEW_TICKETS + 1]
    )
    return AccountOverview(
        account=account,
        contacts=contacts[:OVERVIEW_CONTACTS],
        more_contacts=len(contacts) > OVERVIEW_CONTACTS,
        lifetime_spend=account_lifetime_spend(user=user, account_id=account.pk),
        recent_orders=orders,
        recent_tickets=tickets[:OVERVIEW_TICKETS],
        more_tickets=len(tickets) > OVERVIEW_TICKETS,
    )


def account_domains(*, account: Account) -> list[str]:
    return list(AccountDomain.objects.filter(account=account).order_by("domain").values_list("domain", flat=True))
