"""The demo's client profiles: a few profile fields a manager defined, and for each client its goals (one or two of
them near their date, one already past), how it likes to be met, its key people and the services it buys (some
renewing within the next one or two months), written through the services at the end of the story."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model

from carefront.accounts.models import Account
from carefront.core.models import Role
from carefront.relationships.models import ProfileField
from carefront.relationships.services_profile import (
    client_service_create,
    goal_create,
    key_person_add,
    profile_field_create,
    profile_update,
)

FIELDS: tuple[tuple[str, str, str, list[str], str], ...] = (
    ("support_tier", "Support tier", "choice", ["Gold", "Silver", "Bronze"], "The level of service in the contract."),
    ("annual_budget", "Yearly budget (EUR)", "number", [], "What the client spends with us in a year, roughly."),
    ("contract_review", "Next contract review", "date", [], ""),
    ("newsletter", "Receives the newsletter", "yes_no", [], ""),
)
# Title, and days from the end of the story to its target date.
GOALS = (
    ("Cut churn 5 % this year", 12),
    ("Answer every ticket within four hours", 40),
    ("Open a second support centre", 200),
    ("Launch self-service help in French", -5),
)
# Name, amount, period, renewal in days from the end of the story (None: it does not renew).
SERVICES = (
    ("Premium support", "1500.00", "month", 45),
    ("Quarterly satisfaction survey", "4500.00", "quarter", 33),
    ("Call-quality review", "900.00", "month", 120),
    ("Support staff training", "12000.00", "year", None),
)
CHANNELS = ("video", "call", "email", "in_person")
MEETINGS = (("24", time(9, 30), time(11, 30)), ("135", time(14), time(16)), ("3", time(10), time(12)))
ROLES = ("decision_maker", "billing", "champion")
TIERS = ("Gold", "Silver", "Bronze")


def demo_profiles_load(clients: list[Account], *, end: datetime, travel: Callable[[datetime], None]) -> int:
    """Write the profile fields (those not defined yet) and the profile of each client; returns how many profiles
    were written."""
    manager = get_user_model().objects.filter(staff_profile__role=Role.MANAGER, is_active=True).order_by("id").first()
    travel(end - timedelta(days=2))
    if manager is not None:
        defined = set(ProfileField.objects.values_list("key", flat=True))  # by an earlier demo seed
        for position, (key, label, kind, choices, help_text) in enumerate(FIELDS):
            if key in defined:
                continue
            profile_field_create(
                actor=manager, key=key, label=label, kind=kind, choices=choices, help_text=help_text, position=position
            )
    today = end.date()
    for index, account in enumerate(clients):
        _profile_write(account, index, today=today, with_fields=manager is not None)
    return len(clients)


def _profile_write(account: Account, index: int, *, today: date, with_fields: bool) -> None:
    advisor: Any = account.owner
    days, starts, ends = MEETINGS[index % len(MEETINGS)]
    fields: dict[str, Any] = {}
    if with_fields:
        fields = {
            "support_tier": TIERS[index % len(TIERS)],
            "annual_budget": 20_000 + 5_000 * (index % 7),
            "contract_review": (today + timedelta(days=60 + 15 * (index % 4))).isoformat(),
            "newsletter": index % 2 == 0,
        }
    profile_update(
        account=account,
        actor=advisor,
        preferred_channel=CHANNELS[index % len(CHANNELS)],
        meeting_days=days,
        meeting_from=starts,
        meeting_until=ends,
        meeting_notes="Not in the last week of the quarter (closing)." if index % 3 == 0 else "",
        fields=fields,
    )
    for title, offset in (GOALS[index % len(GOALS)], GOALS[(index + 1) % len(GOALS)]):
        goal_create(actor=advisor, account=account, title=title, target_date=today + timedelta(days=offset))
    for contact, role in zip(account.contacts.order_by("id")[: len(ROLES)], ROLES, strict=False):
        key_person_add(actor=advisor, account=account, contact=contact, role=role)
    for name, amount, period, renews in (SERVICES[index % len(SERVICES)], SERVICES[(index + 2) % len(SERVICES)]):
        client_service_create(
            actor=advisor,
            account=account,
            name=name,
            started_on=today - timedelta(days=300 - 20 * (index % 5)),
            renews_on=today + timedelta(days=renews) if renews is not None else None,
            amount=amount,
            currency="EUR",
            period=period,
        )
