"""Books of accounts with purchase histories varied enough for the insights' models to fit, shared by tests."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from carefront.accounts.models import Account, Order
from carefront.accounts.services import account_create, order_create


def customers_book(*, count: int = 150, seed: int = 0, prefix: str = "Customer") -> list[Account]:
    """`count` ordinary customers from a BG/NBD-like population: each buys at a rate of their own, spends at a
    level of their own, and may drop out after any purchase (the models need a few hundred orders to fit)."""
    rng = random.Random(seed)
    now = timezone.now()
    accounts, orders = [], []
    for number in range(count):
        account = account_create(actor=None, name=f"{prefix} {number}")
        accounts.append(account)
        day = rng.randint(60, 700)
        rate = rng.gammavariate(0.5, 1 / 4.4) / 7  # purchases a day
        dropout = rng.betavariate(0.8, 2.4)
        level = rng.gammavariate(3.0, 20.0)
        index = 0
        while day > 0:
            orders.append(
                Order(
                    account=account,
                    external_id=f"{prefix.lower()}-{number}-{index}",
                    placed_at=now - timedelta(days=day),
                    amount=Decimal(str(round(rng.gammavariate(6.0, level / 6.0), 2))),
                    currency="EUR",
                )
            )
            index += 1
            if rng.random() < dropout:
                break
            day -= max(1, int(rng.expovariate(rate)))
    Order.objects.bulk_create(orders)
    return accounts


def orders_placed(account: Account, *, days_ago: Sequence[int], amount: str = "50.00", currency: str = "EUR") -> None:
    """Orders of one amount placed the given numbers of days ago, through the accounts service."""
    now = timezone.now()
    for index, days in enumerate(days_ago):
        order_create(
            actor=None,
            account=account,
            external_id=f"{account.pk}-{index}",
            placed_at=now - timedelta(days=days, hours=index % 5),
            currency=currency,
            amount=amount,
        )
