"""Saved segments' conditions: what they may say, how they are checked, and the one condition on accounts they become.

A segment is a set of named lists; an account belongs when it matches every list named (AND), each by any of
its values (OR). RFM segment and advice come from the account's insight; service model, country, locale and
kind from the account; channels, tiers and order categories from what the account did (any ticket on one of
the channels or tiers, any order item in one of the categories).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carefront.accounts.models import AccountKind, Channel, OrderItem, ServiceModel
from carefront.core.exceptions import ApplicationError
from carefront.core.validation import clean_country, clean_locale
from carefront.desk.models import Ticket, Tier
from carefront.insights.models import Advice, RfmSegment

MAX_VALUES = 50

CONDITIONS: dict[str, Any] = {
    "rfm": gettext_lazy("RFM segment"),
    "advice": gettext_lazy("Advice"),
    "service_model": gettext_lazy("Service model"),
    "country": gettext_lazy("Country"),
    "locale": gettext_lazy("Locale"),
    "kind": gettext_lazy("Kind"),
    "channels": gettext_lazy("Channels used"),
    "tiers": gettext_lazy("Ticket tiers"),
    "order_categories": gettext_lazy("Order categories"),
}
CHOICES: dict[str, list[str]] = {
    "rfm": list(RfmSegment.values),
    "advice": list(Advice.values),
    "service_model": list(ServiceModel.values),
    "kind": list(AccountKind.values),
    "channels": list(Channel.values),
    "tiers": [str(value) for value in Tier.values],
}


def _clean_value(key: str, value: Any) -> Any:
    text = str(value).strip()
    if key in CHOICES:
        if text not in CHOICES[key]:
            raise ApplicationError(
                _("{value} is not one of: {choices}.").format(value=text, choices=", ".join(CHOICES[key])),
                field=f"conditions.{key}",
            )
        return int(text) if key == "tiers" else text
    if key == "country":
        return clean_country(text)
    if key == "locale":
        return clean_locale(text)
    if not text or len(text) > 64:
        raise ApplicationError(_("Order categories have 1 to 64 characters."), field=f"conditions.{key}")
    return text


def conditions_clean(conditions: Any) -> dict[str, list[Any]]:
    """Checked conditions, or an error naming the first wrong key or value; empty lists are dropped."""
    if not isinstance(conditions, dict):
        raise ApplicationError(_("Conditions must be an object of lists."), field="conditions")
    unknown = sorted(set(conditions) - set(CONDITIONS))
    if unknown:
        raise ApplicationError(
            _("Unknown conditions: {names}. Use: {known}.").format(
                names=", ".join(unknown), known=", ".join(CONDITIONS)
            ),
            field="conditions",
        )
    cleaned: dict[str, list[Any]] = {}
    for key, values in conditions.items():
        if isinstance(values, str | int):
            values = [values]
        if not isinstance(values, list) or len(values) > MAX_VALUES:
            raise ApplicationError(
                _("{name} must be a list of at most {count} values.").format(name=key, count=MAX_VALUES),
                field=f"conditions.{key}",
            )
        distinct = list(dict.fromkeys(_clean_value(key, value) for value in values))
        if distinct:
            cleaned[key] = distinct
    if not cleaned:
        raise ApplicationError(_("A segment needs at least one condition."), field="conditions")
    return cleaned


def conditions_q(conditions: dict[str, list[Any]]) -> Q:
    """The segment as one condition on Account rows (subqueries, never joins that multiply rows)."""
    condition = Q()
    direct = {
        "rfm": "insight__rfm_segment__in",
        "advice": "insight__advice__in",
        "service_model": "service_model__in",
        "country": "country__in",
        "locale": "locale__in",
        "kind": "kind__in",
    }
    for key, lookup in direct.items():
        if key in conditions:
            condition &= Q(**{lookup: conditions[key]})
    if "channels" in conditions:
        condition &= Q(Exists(Ticket.objects.filter(account_id=OuterRef("pk"), channel__in=conditions["channels"])))
    if "tiers" in conditions:
        condition &= Q(Exists(Ticket.objects.filter(account_id=OuterRef("pk"), tier__in=conditions["tiers"])))
    if "order_categories" in conditions:
        condition &= Q(
            Exists(
                OrderItem.objects.filter(order__account_id=OuterRef("pk"), category__in=conditions["order_categories"])
            )
        )
    return condition
