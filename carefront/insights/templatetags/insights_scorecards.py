"""Figures as people read them: durations in days, hours and minutes, rates in percent, money with its currency,
"no data" where there is nothing to measure."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from carefront.insights.metrics.definitions import (
    COUNT,
    DEFINITIONS,
    HOURS,
    MONEY,
    PERCENT,
    POINTS,
    SECONDS,
    Figure,
    Part,
)
from carefront.insights.metrics.drilldown import FLAG
from carefront.insights.metrics.drilldown import MONEY as COLUMN_MONEY
from carefront.insights.metrics.drilldown import SECONDS as COLUMN_SECONDS
from carefront.insights.selectors_scorecards import FigureLine

register = template.Library()

# The unit of a breakdown's values where it is not the figure's own (health bands are shares of the clients).
PART_UNITS = {
    "ticket_volume": COUNT,
    "solved_per_agent": COUNT,
    "sla_achievement": PERCENT,
    "escalation_rate": PERCENT,
    "health_distribution": PERCENT,
    "revenue": MONEY,
    "lifetime_value": MONEY,
}


def duration_text(seconds: float) -> str:
    """“2 days 5 hours”, “3 hours 20 minutes”, “40 minutes”, “35 seconds”."""
    whole = round(abs(seconds))
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, rest = divmod(rest, 60)
    words = []
    if days:
        words.append(ngettext("{count} day", "{count} days", days).format(count=days))
    if hours:
        words.append(ngettext("{count} hour", "{count} hours", hours).format(count=hours))
    if minutes and not days:
        words.append(ngettext("{count} minute", "{count} minutes", minutes).format(count=minutes))
    if not words:
        words.append(ngettext("{count} second", "{count} seconds", rest).format(count=rest))
    return " ".join(words[:2])


def _number(value: float | Decimal | int, places: int, force_grouping: bool = False) -> str:
    """A number in the reader's format, rounded to `places` (Django's number_format cuts the digits off)."""
    rounded: Decimal | float = round(value, places) if isinstance(value, Decimal) else round(float(value), places)
    return number_format(rounded, places, use_l10n=True, force_grouping=force_grouping)


def value_text(value: float | Decimal | int | None, unit: str, currency: str = "") -> str:
    if value is None:
        return _("no data")
    if unit == SECONDS:
        return duration_text(float(value))
    if unit == PERCENT:
        return _("{number} %").format(number=_number(value, 1))
    if unit == MONEY:
        amount = _number(value, 2, force_grouping=True)
        return _("{amount} {currency}").format(amount=amount, currency=currency) if currency else amount
    if unit == POINTS:
        return f"{'+' if value > 0 else ''}{_number(value, 1)}"
    if unit == HOURS:
        return _("{number} h").format(number=_number(value, 1))
    if unit == COUNT:
        return _number(value, 0, force_grouping=True)
    return _number(value, 1)


@register.filter
def figure_value(item: Figure) -> str:
    return value_text(item.value, item.unit, item.currency)


@register.filter
def figure_change(line: FigureLine) -> str:
    """The change from the previous period, signed, in the figure's unit (percentage points for rates)."""
    change = line.change
    if change is None:
        return ""
    sign = "+" if change > 0 else "−" if change < 0 else "±"
    size = abs(float(change))
    unit = line.current.unit
    if unit == SECONDS:
        return f"{sign}{duration_text(float(change))}"
    if unit == PERCENT:
        return _("{sign}{number} pp").format(sign=sign, number=_number(size, 1))
    return f"{sign}{value_text(size, unit, line.current.currency)}"


@register.filter
def part_value(part: Part, item: Figure) -> str:
    unit = PART_UNITS.get(item.name, item.unit)
    return value_text(part.value, unit, part.key if unit == MONEY else "")


@register.filter
def cell(row: Any, column: Any) -> str:
    """A drill-down row's value of a figure-specific column, formatted for the screen."""
    value = getattr(row, column.key, None)
    if column.unit == FLAG:
        return _("yes") if value else _("no")
    if column.unit == COLUMN_SECONDS:
        return value_text(value, SECONDS)
    if column.unit == COLUMN_MONEY:
        return value_text(value, MONEY)
    if value is None:
        return "—"
    return str(value)


@register.filter
def percent_text(value: float | None) -> str:
    return value_text(value, PERCENT)


@register.filter
def points_text(value: float | None) -> str:
    return value_text(value, POINTS)


_CLOCKS = {"calendar": gettext_lazy("calendar time"), "business": gettext_lazy("business hours")}
_STATS = {"median": gettext_lazy("median"), "p90": gettext_lazy("90th percentile")}


@register.filter
def figure_qualifier(name: str) -> str:
    """What tells apart the figures that share a label: the clock and the statistic of a duration."""
    words = [str(_CLOCKS[word]) for word in name.split("_") if word in _CLOCKS]
    words += [str(_STATS[word]) for word in name.split("_") if word in _STATS]
    return " · ".join(words)


@register.filter
def part_query(part: Part, dimension: str) -> str:
    """The query parameter that narrows a drill-down to one breakdown row."""
    return urlencode({"part": f"{dimension}:{part.key}"})


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key, ())


@register.filter
def figure_label(name: str) -> str:
    definition = DEFINITIONS.get(name)
    if definition is None:
        return name
    qualifier = figure_qualifier(name)
    return f"{definition.label} ({qualifier})" if qualifier else str(definition.label)
