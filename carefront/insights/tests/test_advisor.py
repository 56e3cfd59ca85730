"""The advisor's rules on crafted accounts: one per rule, ties at the thresholds, and missing data."""

import math

import numpy as np
import pytest

from carefront.insights.advisor import RULES, Inputs, Thresholds, advise, rule_code

# A plain customer: a few orders, nothing remarkable (score stays at the base).
PLAIN = {
    "is_client": False,
    "orders": 3,
    "orders_12m": 1,
    "days_since_last_order": 40,
    "days_between_orders": 60,
    "spend_12m": 100,
    "spend_prior_12m": 90,
    "unvalued_orders": 0,
    "p_alive": 0.7,
    "clv": 300,
    "cost_year": 20,
    "client_cost_year": 1800,
    "tickets_12m": 1,
    "complex_tickets_12m": 0,
    "tenure_days": 300,
    "complex_topic": "",
}


def inputs_of(*accounts):
    rows = [{**PLAIN, **account} for account in accounts]
    arrays = {}
    for name in PLAIN:
        values = [row[name] for row in rows]
        if name == "is_client":
            arrays[name] = np.asarray(values, dtype=bool)
        elif name == "complex_topic":
            arrays[name] = np.asarray(values, dtype=object)
        else:
            arrays[name] = np.asarray([np.nan if v is None else v for v in values], dtype=float)
    return Inputs(**arrays)


def codes(advised, index=0):
    return [reason["code"] for reason in advised.reasons[index]]


def test_plain_customer_stays_customer_without_reasons_except_value():
    # CLV 300 < client cost 1,800: client service would not pay for itself.
    advised = advise(inputs_of({}), Thresholds())
    assert advised.advice.tolist() == ["stay_customer"]
    assert codes(advised) == ["value_below_client_cost"]
    assert advised.score.tolist() == [10]


@pytest.mark.parametrize(
    ("changes", "code", "points"),
    [
        ({"orders_12m": 7}, "frequent_buyer", 25),
        ({"spend_12m": 240, "spend_prior_12m": 100}, "spend_rising", 15),
        ({"spend_12m": 50, "spend_prior_12m": 100}, "spend_falling", -15),
        ({"clv": 6000}, "value_covers_client_cost", 25),
        ({"p_alive": 0.96}, "likely_active", 10),
        ({"p_alive": 0.3}, "drifting_away", -30),
        ({"days_since_last_order": 400}, "gone_quiet", -20),
        ({"complex_tickets_12m": 3, "complex_topic": "tax planning"}, "deeper_requests", 15),
        ({"tenure_days": 3 * 365.25}, "long_tenure", 10),
        ({"orders": 1, "days_between_orders": None}, "single_order", -15),
        ({"cost_year": 500}, "costs_more_than_spend", -10),
        ({"unvalued_orders": 2}, "unvalued_orders", 0),
    ],
)
def test_each_rule_fires_on_its_account(changes, code, points):
    advised = advise(inputs_of(changes), Thresholds())
    fired = {reason["code"]: reason for reason in advised.reasons[0]}
    assert code in fired
    assert fired[code]["points"] == points


def test_every_rule_is_exercised_above():
    tested = {
        "frequent_buyer",
        "spend_rising",
        "spend_falling",
        "value_covers_client_cost",
        "value_below_client_cost",
        "likely_active",
        "drifting_away",
        "gone_quiet",
        "deeper_requests",
        "long_tenure",
        "single_order",
        "costs_more_than_spend",
        "unvalued_orders",
    }
    assert {rule_code(rule) for rule in RULES} == tested


def test_customer_becoming_a_client_is_offered_client_service_with_reasons():
    advised = advise(
        inputs_of(
            {
                "orders": 9,
                "orders_12m": 7,
                "spend_12m": 2400,
                "spend_prior_12m": 1000,
                "p_alive": 0.96,
                "clv": 12400,
                "complex_tickets_12m": 3,
                "complex_topic": "tax planning",
            }
        ),
        Thresholds(),
    )
    assert advised.advice.tolist() == ["offer_client"]
    assert advised.score.tolist() == [100]
    reasons = {reason["code"]: reason["params"] for reason in advised.reasons[0]}
    assert reasons["frequent_buyer"] == {"orders": 7, "months": 12}
    assert reasons["spend_rising"] == {"percent": 140}
    assert reasons["value_covers_client_cost"] == {"clv": 12400.0, "client_cost": 1800.0}
    assert reasons["deeper_requests"] == {"tickets": 3, "topic": "tax planning"}
    # The strongest reasons come first.
    assert [r["points"] for r in advised.reasons[0]] == sorted((r["points"] for r in advised.reasons[0]), key=abs)[::-1]


def test_score_exactly_at_the_offer_threshold_offers():
    # base 30 + frequent 25 + value 25 = 80; with offer_at 80 the tie offers, with 81 it does not.
    account = {"orders_12m": 6, "clv": 9000}
    assert advise(inputs_of(account), Thresholds(offer_at=80)).advice.tolist() == ["offer_client"]
    assert advise(inputs_of(account), Thresholds(offer_at=81)).advice.tolist() == ["stay_customer"]


def test_client_drifting_away_is_at_risk_even_with_a_good_score():
    account = {"is_client": True, "orders_12m": 8, "clv": 9000, "p_alive": 0.2}
    advised = advise(inputs_of(account), Thresholds(risk_below=0))
    assert advised.advice.tolist() == ["client_at_risk"]
    assert "drifting_away" in codes(advised)


def test_healthy_client_is_kept_and_quiet_client_is_at_risk():
    healthy = {"is_client": True, "orders_12m": 8, "clv": 9000, "p_alive": 0.9}
    quiet = {"is_client": True, "days_since_last_order": 300, "spend_12m": 10, "spend_prior_12m": 900}
    advised = advise(inputs_of(healthy, quiet), Thresholds())
    assert advised.advice.tolist() == ["keep_client", "client_at_risk"]
    assert {"gone_quiet", "spend_falling"} <= set(codes(advised, 1))


def test_client_score_exactly_at_the_risk_threshold_is_kept():
    # base 30 + value 25 - falling 15 = 40, risk_below 40: not below, so kept.
    account = {"is_client": True, "clv": 9000, "spend_12m": 50, "spend_prior_12m": 100}
    assert advise(inputs_of(account), Thresholds(risk_below=40)).advice.tolist() == ["keep_client"]
    assert advise(inputs_of(account), Thresholds(risk_below=41)).advice.tolist() == ["client_at_risk"]


def test_account_with_one_order_and_no_fit():
    # One order, no model (P(alive) and CLV unknown): only the rules that need nothing more apply.
    account = {"orders": 1, "orders_12m": 1, "days_between_orders": None, "p_alive": None, "clv": None}
    advised = advise(inputs_of(account), Thresholds())
    assert advised.advice.tolist() == ["stay_customer"]
    assert codes(advised) == ["single_order"]


def test_account_with_no_orders_but_many_tickets():
    account = {
        "orders": 0,
        "orders_12m": 0,
        "days_since_last_order": None,
        "days_between_orders": None,
        "spend_12m": 0,
        "spend_prior_12m": 0,
        "p_alive": None,
        "clv": None,
        "cost_year": 400,
        "tickets_12m": 12,
        "complex_tickets_12m": 4,
    }
    advised = advise(inputs_of(account), Thresholds())
    assert advised.advice.tolist() == ["stay_customer"]
    assert set(codes(advised)) == {"deeper_requests", "costs_more_than_spend"}


def test_orders_in_several_currencies_are_noted_and_value_rules_still_read_the_valued_part():
    account = {"unvalued_orders": 3, "orders": 6, "orders_12m": 6, "clv": 8000}
    advised = advise(inputs_of(account), Thresholds())
    reasons = {reason["code"]: reason["params"] for reason in advised.reasons[0]}
    assert reasons["unvalued_orders"] == {"orders": 3}
    assert "value_covers_client_cost" in reasons


def test_costs_in_another_currency_than_the_value_leave_the_value_rules_out():
    # The scorer passes NaN costs when the order currency differs from the cost currency.
    advised = advise(inputs_of({"client_cost_year": None, "cost_year": None, "clv": 50}), Thresholds())
    assert not {"value_covers_client_cost", "value_below_client_cost", "costs_more_than_spend"} & set(codes(advised))


def test_inputs_row_stores_missing_values_as_none():
    row = inputs_of({"p_alive": None, "complex_topic": "vat"}).row(0)
    assert row["p_alive"] is None
    assert row["complex_topic"] == "vat"
    assert row["is_client"] is False
    assert all(not (isinstance(v, float) and math.isnan(v)) for v in row.values())


def test_thresholds_from_saved_json_ignore_unknown_names_and_keep_types():
    thresholds = Thresholds.from_json({"offer_at": "65", "alive_low": "0.4", "retired": 3})
    assert thresholds.offer_at == 65
    assert thresholds.alive_low == 0.4
    assert thresholds.frequent_orders_12m == Thresholds().frequent_orders_12m
