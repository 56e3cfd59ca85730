"""Reads of follow-up rules and follow-ups shaped for the screens and the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from carefront.relationships.access import followup_rules_visible_to, followups_visible_to
from carefront.relationships.models import FollowUp, FollowUpRule, OutreachOptOut, OutreachSettings

PAGE = 50
ACCOUNT_CARD_ROWS = 5


@dataclass(frozen=True)
class FollowUpFilters:
    """The filters of the follow-up list (screen and API)."""

    account: int | None = None
    contact: int | None = None
    rule: int | None = None
    state: str | None = None


def followup_rules_list(*, user: Any, active: bool | None = None) -> QuerySet[FollowUpRule]:
    rows = followup_rules_visible_to(user).select_related("created_by")
    if active is not None:
        rows = rows.filter(is_active=active)
    return rows


def followups_list(*, user: Any, filters: FollowUpFilters = FollowUpFilters()) -> QuerySet[FollowUp]:
    """Follow-ups the user may see, with what a row shows; newest first by id (the pages' keyset)."""
    rows = followups_visible_to(user).select_related("rule", "account", "contact", "outbound", "ticket")
    if filters.account is not None:
        rows = rows.filter(account_id=filters.account)
    if filters.contact is not None:
        rows = rows.filter(contact_id=filters.contact)
    if filters.rule is not None:
        rows = rows.filter(rule_id=filters.rule)
    if filters.state is not None:
        rows = rows.filter(state=filters.state)
    return rows


@dataclass(frozen=True)
class FollowUpPage:
    rows: list[FollowUp]
    next_cursor: int | None


def followups_page(rows: QuerySet[FollowUp], *, before: int | None, size: int = PAGE) -> FollowUpPage:
    """Newest first from an id cursor: one query whatever the page's depth."""
    if before is not None:
        rows = rows.filter(id__lt=before)
    found = list(rows.order_by("-id")[: size + 1])
    page = found[:size]
    return FollowUpPage(rows=page, next_cursor=page[-1].pk if page and len(found) > size else None)


def followups_for_account(*, user: Any, account_id: int, size: int = ACCOUNT_CARD_ROWS) -> list[FollowUp]:
    """The account page's few most recent follow-ups."""
    return followups_page(
        followups_list(user=user, filters=FollowUpFilters(account=account_id)), before=None, size=size
    ).rows


def contact_opt_out(*, contact_id: int) -> OutreachOptOut | None:
    return OutreachOptOut.objects.filter(contact_id=contact_id).first()


def opted_out_contact_ids(*, contact_ids: list[int]) -> set[int]:
    """Which of these contacts want no outreach email (one query)."""
    return set(OutreachOptOut.objects.filter(contact_id__in=contact_ids).values_list("contact_id", flat=True))


def outreach_settings() -> OutreachSettings:
    """The workspace's outreach settings (the defaults until a manager saves them)."""
    row = OutreachSettings.objects.order_by("pk").first()
    return row if row is not None else OutreachSettings()
