"""The service-model advisor: every rule that decides whether an account is, or should be, served as a client.

Each account starts at `Thresholds.base_score` points of "client fit"; each rule below that applies adds
or takes away points and gives its reason in words. The score is kept between 0 and 100. Then:

- a customer whose score reaches `offer_at` is recommended for client service, otherwise it stays a customer;
- a client whose score falls below `risk_below`, or who is drifting away (low P(alive)), is at risk,
  otherwise it is kept.

The rules are vectorised over accounts (one array per input), so a million accounts are advised in a few
NumPy passes; `advise` turns the rules that fired into each account's reasons. Missing values (no orders, no
fit) are NaN in the inputs and a rule that needs them does not apply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt

from carefront.insights.models import Advice

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Thresholds:
    """The business's thresholds; each one is named in the rule that reads it."""

    base_score: int = 30
    offer_at: int = 70
    risk_below: int = 40
    frequent_orders_12m: int = 5
    spend_growth: float = 0.5
    spend_drop: float = 0.4
    value_cost_ratio: float = 1.5
    alive_high: float = 0.8
    alive_low: float = 0.5
    complex_tickets_12m: int = 2
    tenure_years: float = 2.0
    quiet_days_min: int = 90
    quiet_gap_factor: float = 3.0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Thresholds:
        """The saved thresholds over the defaults; names that are not thresholds are ignored."""
        names = {field.name: field.type for field in fields(cls)}
        chosen: dict[str, Any] = {
            name: (int(value) if names[name] == "int" else float(value))
            for name, value in data.items()
            if name in names
        }
        return cls(**chosen)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Inputs:
    """What the rules read, one array per signal, one element per account."""

    is_client: Bools
    orders: Floats
    orders_12m: Floats
    days_since_last_order: Floats
    days_between_orders: Floats
    spend_12m: Floats
    spend_prior_12m: Floats
    unvalued_orders: Floats
    p_alive: Floats
    clv: Floats
    cost_year: Floats
    client_cost_year: Floats
    tickets_12m: Floats
    complex_tickets_12m: Floats
    tenure_days: Floats
    complex_topic: npt.NDArray[np.object_]

    def __len__(self) -> int:
        return int(self.is_client.size)

    def rows(self) -> list[dict[str, Any]]:
        """Each account's inputs as plain numbers (NaN as None), stored beside its advice to explain it later."""
        names = [field.name for field in fields(self)]
        columns = []
        for name in names:
            values = getattr(self, name).tolist()
            if getattr(self, name).dtype.kind == "f":
                values = [None if value != value else value for value in values]
            columns.append(values)
        return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]

    def row(self, index: int) -> dict[str, Any]:
        """One account's inputs, as in `rows`."""
        row: dict[str, Any] = {}
        for field in fields(self):
            value = getattr(self, field.name)[index]
            if isinstance(value, np.generic):
                value = value.item()
            row[field.name] = None if isinstance(value, float) and np.isnan(value) else value
        return row


@dataclass(frozen=True)
class Fired:
    """Which accounts a rule applies to, its points for each of them, and what its reason says."""

    applies: Bools
    points: int
    params: Callable[[int], dict[str, Any]]


def _growth(inputs: Inputs) -> Floats:
    with np.errstate(divide="ignore", invalid="ignore"):
        growth: Floats = np.where(inputs.spend_prior_12m > 0, inputs.spend_12m / inputs.spend_prior_12m - 1, np.nan)
    return growth


def rule_frequent_buyer(inputs: Inputs, t: Thresholds) -> Fired:
    """Repeat purchases: many orders in the last twelve months."""
    return Fired(
        inputs.orders_12m >= t.frequent_orders_12m, 25, lambda i: {"orders": int(inputs.orders_12m[i]), "months": 12}
    )


def rule_spend_rising(inputs: Inputs, t: Thresholds) -> Fired:
    """Rising value: this year's spend well above last year's."""
    growth = _growth(inputs)
    return Fired(np.nan_to_num(growth, nan=-1.0) >= t.spend_growth, 15, lambda i: {"percent": round(growth[i] * 100)})


def rule_spend_falling(inputs: Inputs, t: Thresholds) -> Fired:
    """Falling value: this year's spend well below last year's."""
    growth = _growth(inputs)
    return Fired(np.nan_to_num(growth, nan=0.0) <= -t.spend_drop, -15, lambda i: {"percent": round(-growth[i] * 100)})


def rule_value_covers_client_cost(inputs: Inputs, t: Thresholds) -> Fired:
    """Worth it: the expected lifetime value is several times what a year of client service costs."""
    applies = (inputs.client_cost_year > 0) & (
        np.nan_to_num(inputs.clv) >= t.value_cost_ratio * inputs.client_cost_year
    )
    return Fired(applies, 25, lambda i: {"clv": inputs.clv[i], "client_cost": inputs.client_cost_year[i]})


def rule_value_below_client_cost(inputs: Inputs, t: Thresholds) -> Fired:
    """Not worth it: the expected lifetime value does not cover a year of client service."""
    applies = (inputs.client_cost_year > 0) & (np.nan_to_num(inputs.clv, nan=np.inf) < inputs.client_cost_year)
    return Fired(applies, -20, lambda i: {"clv": inputs.clv[i], "client_cost": inputs.client_cost_year[i]})


def rule_likely_active(inputs: Inputs, t: Thresholds) -> Fired:
    """Still buying: a repeat buyer the purchase model thinks is very likely still active."""
    applies = (inputs.orders >= 2) & (np.nan_to_num(inputs.p_alive) >= t.alive_high)
    return Fired(applies, 10, lambda i: {"p_alive": round(float(inputs.p_alive[i]), 2)})


def rule_drifting_away(inputs: Inputs, t: Thresholds) -> Fired:
    """Drifting away: a repeat buyer the purchase model thinks has probably stopped buying."""
    applies = (inputs.orders >= 2) & (np.nan_to_num(inputs.p_alive, nan=1.0) < t.alive_low)
    return Fired(applies, -30, lambda i: {"p_alive": round(float(inputs.p_alive[i]), 2)})


def rule_gone_quiet(inputs: Inputs, t: Thresholds) -> Fired:
    """Gone quiet: much longer since the last order than the account's usual gap between orders."""
    usual = np.nan_to_num(inputs.days_between_orders, nan=0.0)
    limit = np.maximum(t.quiet_days_min, t.quiet_gap_factor * usual)
    applies = (inputs.orders >= 2) & (np.nan_to_num(inputs.days_since_last_order) > limit)
    return Fired(
        applies,
        -20,
        lambda i: {"days": int(inputs.days_since_last_order[i]), "usual": round(float(usual[i]))},
    )


def rule_deeper_requests(inputs: Inputs, t: Thresholds) -> Fired:
    """Deeper requests: several problem-solving or technical (L2, L3) tickets in the last twelve months."""
    return Fired(
        inputs.complex_tickets_12m >= t.complex_tickets_12m,
        15,
        lambda i: {"tickets": int(inputs.complex_tickets_12m[i]), "topic": str(inputs.complex_topic[i])},
    )


def rule_long_tenure(inputs: Inputs, t: Thresholds) -> Fired:
    """Loyal over time: a repeat buyer for years."""
    applies = (inputs.orders >= 2) & (inputs.tenure_days >= t.tenure_years * 365.25)
    return Fired(applies, 10, lambda i: {"years": int(inputs.tenure_days[i] // 365.25)})


def rule_single_order(inputs: Inputs, t: Thresholds) -> Fired:
    """Too early to tell: one order so far."""
    return Fired(inputs.orders == 1, -15, lambda i: {})


def rule_costs_more_than_spend(inputs: Inputs, t: Thresholds) -> Fired:
    """Costly: serving the account cost more this year than it spent."""
    applies = (inputs.cost_year > 0) & (inputs.cost_year > inputs.spend_12m)
    return Fired(applies, -10, lambda i: {"cost": inputs.cost_year[i], "spend": inputs.spend_12m[i]})


def rule_unvalued_orders(inputs: Inputs, t: Thresholds) -> Fired:
    """Orders in another currency count as purchases but not as value (there is no exchange rate)."""
    return Fired(inputs.unvalued_orders > 0, 0, lambda i: {"orders": int(inputs.unvalued_orders[i])})


RULES: tuple[Callable[[Inputs, Thresholds], Fired], ...] = (
    rule_frequent_buyer,
    rule_spend_rising,
    rule_spend_falling,
    rule_value_covers_client_cost,
    rule_value_below_client_cost,
    rule_likely_active,
    rule_drifting_away,
    rule_gone_quiet,
    rule_deeper_requests,
    rule_long_tenure,
    rule_single_order,
    rule_costs_more_than_spend,
    rule_unvalued_orders,
)


def rule_code(rule: Callable[[Inputs, Thresholds], Fired]) -> str:
    return rule.__name__.removeprefix("rule_")


@dataclass(frozen=True)
class Advised:
    """The advisor's verdict on each account: advice, score (0–100) and reasons."""

    advice: npt.NDArray[np.object_]
    score: npt.NDArray[np.int64]
    reasons: list[list[dict[str, Any]]]


def advise(inputs: Inputs, thresholds: Thresholds) -> Advised:
    """Apply every rule to every account, then decide."""
    size = len(inputs)
    points = np.full(size, thresholds.base_score, dtype=np.int64)
    reasons: list[list[dict[str, Any]]] = [[] for _ in range(size)]
    drifting = np.zeros(size, dtype=bool)
    for rule in RULES:
        fired = rule(inputs, thresholds)
        points += np.where(fired.applies, fired.points, 0)
        code = rule_code(rule)
        if rule is rule_drifting_away:
            drifting = fired.applies
        for index in np.flatnonzero(fired.applies).tolist():
            reasons[index].append({"code": code, "points": fired.points, "params": _plain(fired.params(index))})
    score = np.clip(points, 0, 100)
    customer_advice = np.where(score >= thresholds.offer_at, Advice.OFFER_CLIENT.value, Advice.STAY_CUSTOMER.value)
    client_advice = np.where(
        (score < thresholds.risk_below) | drifting, Advice.CLIENT_AT_RISK.value, Advice.KEEP_CLIENT.value
    )
    advice = np.where(inputs.is_client, client_advice, customer_advice).astype(object)
    for entry in reasons:
        entry.sort(key=lambda reason: -abs(reason["points"]))
    return Advised(advice=advice, score=score, reasons=reasons)


def _plain(params: dict[str, Any]) -> dict[str, Any]:
    # NumPy scalars become Python numbers (JSON), money keeps two decimals.
    plain: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float):
            value = None if np.isnan(value) else round(value, 2)
        plain[name] = value
    return plain
