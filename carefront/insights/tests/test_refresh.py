"""A refresh end to end on a small book: fits, scores, advice, reviews, alerts and the incremental pass."""

import math
import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from carefront.accounts.models import Account, Order
from carefront.accounts.services import account_change_service_model, account_create, contact_create, order_create
from carefront.core.models import Event, Notification, Role
from carefront.core.services import cost_rate_set
from carefront.desk.services import ticket_create
from carefront.insights.models import AccountInsight, ModelFit, Recommendation, Review
from carefront.insights.services import insight_settings_update, insights_score, review_accept, review_decline

pytestmark = pytest.mark.django_db


def _orders(account, *, days_ago, amount="50.00", currency="EUR", prefix=None):
    now = timezone.now()
    for index, days in enumerate(days_ago):
        order_create(
            actor=None,
            account=account,
            external_id=f"{prefix or account.pk}-{index}",
            placed_at=now - timedelta(days=days, hours=index % 5),
            currency=currency,
            amount=amount,
        )


@pytest.fixture
def book(db, acme, globex, dana, morgan):
    """150 ordinary customers, Acme buying more and more with deeper questions, Globex a client gone quiet."""
    cost_rate_set(actor=None, role=Role.ADVISOR, hourly=Decimal("60"))
    cost_rate_set(actor=None, role=Role.AGENT, hourly=Decimal("30"))
    rng = random.Random(0)
    now = timezone.now()
    orders = []
    # A BG/NBD-like population: each buys at a rate of their own and may drop out after any purchase.
    for number in range(150):
        account = account_create(actor=None, name=f"Customer {number}")
        day = rng.randint(60, 700)
        rate = rng.gammavariate(0.5, 1 / 4.4) / 7  # purchases a day
        dropout = rng.betavariate(0.8, 2.4)
        level = rng.gammavariate(3.0, 20.0)  # what this customer usually spends
        index = 0
        while day > 0:
            orders.append(
                Order(
                    account=account,
                    external_id=f"c{number}-{index}",
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
    _orders(acme, days_ago=[700, 500, 400, 300, 200, 120, 90, 60, 40, 20, 10, 3], amount="1500.00")
    contact = contact_create(actor=None, account=acme, name="Carol", email="carol@acme.example")
    for subject in ("Tax planning for 2027", "Tax planning: holding company", "Audit of our accounts"):
        ticket_create(
            actor=None, requester=contact, subject=subject, body="Can we talk?", tier=2, tags=["tax-planning"]
        )
    account_change_service_model(account=globex, actor=morgan, service_model="client", owner=dana, reason="Signed")
    _orders(globex, days_ago=[720, 690, 660, 630, 600, 570, 540, 510, 480], amount="400.00")
    return {"acme": acme, "globex": globex}


def test_full_refresh_scores_every_account_and_spots_the_rising_customer(book, capsys):
    call_command("insights", "refresh")
    assert AccountInsight.objects.count() == Account.objects.count() == 152
    assert "152 accounts scored" in capsys.readouterr().out
    fits = {fit.kind: fit for fit in ModelFit.objects.all()}
    assert set(fits) == {"bg_nbd", "gamma_gamma", "rfm"}
    assert fits["bg_nbd"].problem == "" and fits["bg_nbd"].params["r"] > 0
    acme = AccountInsight.objects.get(account=book["acme"])
    assert acme.advice == "offer_client"
    assert acme.rfm_segment == "champions"
    assert fits["gamma_gamma"].problem == ""
    assert acme.p_alive is not None and acme.p_alive > 0.8
    assert acme.clv is not None and acme.clv > 1000
    codes = {reason["code"] for reason in acme.reasons}
    assert {"frequent_buyer", "deeper_requests", "value_covers_client_cost"} <= codes
    topic = next(r for r in acme.reasons if r["code"] == "deeper_requests")["params"]["topic"]
    assert topic == "tax-planning"
    assert acme.client_cost_month == Decimal("180.00")  # 3 advisor hours at 60
    review = Review.objects.get(account=book["acme"], state="open")
    assert review.recommendation.inputs["orders_12m"] == 9
    # Nothing stored is NaN.
    for row in AccountInsight.objects.all():
        for value in (row.p_alive, row.expected_purchases):
            assert value is None or math.isfinite(value)


def test_client_gone_quiet_is_at_risk_and_its_advisor_is_told(book, dana):
    call_command("insights", "refresh")
    globex = AccountInsight.objects.get(account=book["globex"])
    assert globex.advice == "client_at_risk"
    assert "gone_quiet" in {reason["code"] for reason in globex.reasons}
    alert = Notification.objects.get(recipient=dana, verb="client_at_risk")
    assert "Globex SA looks at risk" in alert.text


def test_accepting_makes_the_account_a_client_with_its_advisor_on_the_timeline(book, morgan, dana):
    call_command("insights", "refresh")
    review = Review.objects.get(account=book["acme"], state="open")
    review_accept(review=review, actor=morgan, owner=dana, note="Dana knows tax planning")
    acme = Account.objects.get(pk=book["acme"].pk)
    assert (acme.service_model, acme.owner) == ("client", dana)
    actions = set(Event.objects.filter(subject_kind="account", subject_id=acme.pk).values_list("action", flat=True))
    assert "insight_accepted" in actions
    review.refresh_from_db()
    assert (review.state, review.decided_by) == ("accepted", morgan)
    # The next refresh sees a client now, and keeps it.
    call_command("insights", "refresh")
    assert AccountInsight.objects.get(account=acme).advice == "keep_client"


def test_declining_records_why_and_keeps_the_suggestion_quiet(book, morgan):
    call_command("insights", "refresh")
    review = Review.objects.get(account=book["acme"], state="open")
    with pytest.raises(Exception, match="Say why"):
        review_decline(review=review, actor=morgan, reason="  ")
    review_decline(review=review, actor=morgan, reason="They prefer self-service")
    review.refresh_from_db()
    assert review.quiet_until is not None
    assert review.quiet_until > timezone.now() + timedelta(days=89)
    # The advice comes back (a change), but the suggestion stays quiet.
    AccountInsight.objects.filter(account=book["acme"]).update(advice="stay_customer")
    call_command("insights", "refresh")
    assert AccountInsight.objects.get(account=book["acme"]).advice == "offer_client"
    assert Recommendation.objects.filter(account=book["acme"], previous="stay_customer").exists()
    assert not Review.objects.filter(account=book["acme"], state="open").exists()


def test_only_managers_decide(book, alice):
    call_command("insights", "refresh")
    review = Review.objects.get(account=book["acme"], state="open")
    with pytest.raises(Exception, match="Only managers"):
        review_decline(review=review, actor=alice, reason="no")


def test_changed_refresh_rescores_only_the_accounts_that_changed(book):
    call_command("insights", "refresh")
    before = dict(AccountInsight.objects.values_list("account_id", "computed_at"))
    quiet = account_create(actor=None, name="Newcomer")
    _orders(quiet, days_ago=[2], prefix="new")
    call_command("insights", "refresh", "--changed")
    after = dict(AccountInsight.objects.values_list("account_id", "computed_at"))
    changed = {account_id for account_id, at in after.items() if before.get(account_id) != at}
    assert changed == {quiet.pk}
    newcomer = AccountInsight.objects.get(account=quiet)
    assert (newcomer.recency_score, newcomer.frequency_score, newcomer.orders) == (5, 1, 1)


def test_scoring_a_batch_costs_a_constant_number_of_queries(book, django_assert_max_num_queries):
    call_command("insights", "refresh")
    with django_assert_max_num_queries(20):
        result = insights_score(id_range=(1, 10_000))
    assert result.accounts == 152


def test_no_orders_at_all_gives_a_documented_fallback_not_nan(db, acme, globex):
    call_command("insights", "refresh")
    problems = dict(ModelFit.objects.values_list("kind", "problem"))
    assert problems["bg_nbd"] == "There are no orders yet."
    rows = list(AccountInsight.objects.all())
    assert {row.rfm_segment for row in rows} == {"no_orders"}
    assert all(row.p_alive is None and row.clv is None for row in rows)


def test_orders_in_another_currency_count_but_are_not_valued(book):
    _orders(book["acme"], days_ago=[5, 6], currency="USD", prefix="usd")
    call_command("insights", "refresh")
    acme = AccountInsight.objects.get(account=book["acme"])
    assert acme.orders == 14
    assert {"code": "unvalued_orders", "points": 0, "params": {"orders": 2}} in acme.reasons
    assert acme.currency == "EUR"


def test_thresholds_change_the_advice(book, morgan):
    insight_settings_update(actor=morgan, thresholds={"offer_at": 100, "frequent_orders_12m": 50})
    call_command("insights", "refresh")
    assert AccountInsight.objects.get(account=book["acme"]).advice == "stay_customer"


def test_bad_settings_are_refused_and_nothing_changes(db, morgan):
    with pytest.raises(Exception, match="Unknown thresholds"):
        insight_settings_update(actor=morgan, thresholds={"offer_now": 3})
    with pytest.raises(Exception, match="from 1 to 120"):
        insight_settings_update(actor=morgan, horizon_months=0)
    with pytest.raises(Exception, match="at-risk score"):
        insight_settings_update(actor=morgan, thresholds={"risk_below": 90, "offer_at": 50})
    row = insight_settings_update(actor=morgan, time_unit="days")
    assert row.time_unit == "days" and row.horizon_months == 12 and row.thresholds == {}


def test_exchange_rates_value_orders_in_other_currencies(book, morgan):
    _orders(book["acme"], days_ago=[5, 6], amount="100.00", currency="USD", prefix="usd")
    insight_settings_update(actor=morgan, exchange_rates={"usd": "0.9"})
    call_command("insights", "refresh")
    acme = AccountInsight.objects.get(account=book["acme"])
    assert "unvalued_orders" not in {reason["code"] for reason in acme.reasons}
    # 9 orders of 1,500 in the last year, and two of 100 USD at 0.9.
    assert acme.spend_12m == Decimal("13680.00")
    with pytest.raises(Exception, match="ISO 4217"):
        insight_settings_update(actor=morgan, exchange_rates={"dollars": "0.9"})
    with pytest.raises(Exception, match=r"from 0\.000001"):
        insight_settings_update(actor=morgan, exchange_rates={"GBP": "-1"})
