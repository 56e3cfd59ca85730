"""Reads of accounts, contacts and orders, shaped for lists and pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from carefront.accounts.access import accounts_visible_to, contacts_visible_to, orders_visible_to
from carefront.accounts.models import Account, Contact, Order


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


def accounts_list(*, user: Any, filters: AccountFilters) -> QuerySet[Account]:
    accounts = accounts_visible_to(user).select_related("owner").prefetch_related("tags")
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
