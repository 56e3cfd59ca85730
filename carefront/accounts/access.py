"""Which accounts, contacts and orders a user may see: staff see all, a contact only their own account."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from carefront.accounts.models import Account, Contact, Order
from carefront.core.access import is_staff_member, portal_account_id
from carefront.core.selectors import unique_or_none


def _scope(queryset: QuerySet[Any], user: Any, account_field: str) -> QuerySet[Any]:
    if is_staff_member(user):
        return queryset
    account_id = portal_account_id(user)
    if account_id is None:
        return queryset.none()
    return queryset.filter(**{account_field: account_id})


def accounts_visible_to(user: Any) -> QuerySet[Account]:
    return _scope(Account.objects.all(), user, "id")


def contacts_visible_to(user: Any) -> QuerySet[Contact]:
    return _scope(Contact.objects.all(), user, "account_id")


def orders_visible_to(user: Any) -> QuerySet[Order]:
    return _scope(Order.objects.all(), user, "account_id")


def access_account(*, user: Any, account_id: int) -> Account:
    """The account, or 404 for anything the user may not see."""
    account = unique_or_none(accounts_visible_to(user).select_related("owner").filter(pk=account_id))
    if account is None:
        raise Http404
    return account


def access_contact(*, user: Any, contact_id: int) -> Contact:
    contact = unique_or_none(
        contacts_visible_to(user).select_related("account", "account__owner").filter(pk=contact_id)
    )
    if contact is None:
        raise Http404
    return contact


def access_order(*, user: Any, order_id: int) -> Order:
    order = unique_or_none(orders_visible_to(user).filter(pk=order_id))
    if order is None:
        raise Http404
    return order
