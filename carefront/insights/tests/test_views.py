"""The workspace's insights screens: the Insights page and its decisions, the insight card on the account and ticket
pages, Settings → Insights and the saved segments."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.formats import date_format

from carefront.accounts.models import Account
from carefront.accounts.services import account_change_service_model, account_create, order_create
from carefront.core.models import Event
from carefront.insights.advisor import Thresholds
from carefront.insights.forms import THRESHOLDS
from carefront.insights.models import (
    AccountInsight,
    InsightSettings,
    ItemPair,
    ModelFit,
    Recommendation,
    Review,
    Segment,
)
from carefront.insights.services import insight_settings_update, segment_create

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
ACME_REASONS = [
    {"code": "frequent_buyer", "points": 25, "params": {"orders": 9, "months": 12}},
    {"code": "value_covers_client_cost", "points": 25, "params": {"clv": 9800.0, "client_cost": 2160.0}},
    {"code": "deeper_requests", "points": 15, "params": {"tickets": 3, "topic": "tax-planning"}},
]


def _client(user: Any, *, language: str | None = None) -> Client:
    if language is not None:
        user.staff_profile.language = language
        user.staff_profile.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    return client


def _insight(account: Account, *, advice: str, reasons: list[dict[str, Any]], score: int, **extra: Any) -> Any:
    values: dict[str, Any] = {
        "rfm_segment": "champions",
        "recency_score": 5,
        "frequency_score": 5,
        "monetary_score": 4,
        "orders": 12,
        "orders_12m": 9,
        "spend_12m": Decimal("13500.00"),
        "p_alive": 0.97,
        "expected_purchases": 8.4,
        "clv": Decimal("9800.00"),
        "cost_month": Decimal("42.50"),
        "client_cost_month": Decimal("180.00"),
        "currency": "EUR",
        "score": score,
        **extra,
    }
    return AccountInsight.objects.create(account=account, advice=advice, reasons=reasons, **values)


def _suggest(account: Account, *, score: int = 80, reasons: list[dict[str, Any]] | None = None) -> Review:
    """An open review: the advisor recommends client service for `account`."""
    reasons = ACME_REASONS if reasons is None else reasons
    _insight(account, advice="offer_client", reasons=reasons, score=score)
    recommendation = Recommendation.objects.create(
        account=account, advice="offer_client", previous="stay_customer", score=score, reasons=reasons
    )
    return Review.objects.create(account=account, recommendation=recommendation, advice="offer_client")


@pytest.fixture
def review(acme: Account) -> Review:
    return _suggest(acme)


@pytest.fixture
def at_risk(globex: Account, morgan: Any, dana: Any) -> AccountInsight:
    account_change_service_model(account=globex, actor=morgan, service_model="client", owner=dana, reason="Signed")
    return _insight(
        globex,
        advice="client_at_risk",
        score=10,
        rfm_segment="cant_lose",
        reasons=[{"code": "gone_quiet", "points": -20, "params": {"days": 480, "usual": 30}}],
    )


@pytest.fixture
def fitted(db: Any) -> None:
    now = timezone.now()
    InsightSettings.objects.create(pk=1, last_refresh_at=now, last_full_refresh_at=now)
    params: dict[str, dict[str, Any]] = {
        "bg_nbd": {"r": 0.2425, "alpha": 4.414, "a": 0.793, "b": 2.426, "log_likelihood": -9582.4, "customers": 2357},
        "gamma_gamma": {"p": 6.25, "q": 3.74, "gamma": 15.44, "log_likelihood": -4000.0, "customers": 946},
        "rfm": {"recency_days": [10.0, 30.0, 90.0, 200.0], "frequency": [1, 2, 3, 5], "monetary": [20, 50, 90, 200]},
    }
    for kind, values in params.items():
        ModelFit.objects.create(
            kind=kind,
            params=values,
            log_likelihood=values.get("log_likelihood"),
            customers=int(values.get("customers", 0)),
            currency="EUR",
            fitted_at=now,
        )


def _field(html: str, name: str) -> str:
    """The HTML of one form field's group: its label, help, errors and input."""
    return html.split(f'class="field field-{name}"', 1)[1].split('class="field ', 1)[0]


def _csrf_client(user: Any) -> tuple[Client, str]:
    """A client that enforces CSRF, as a browser meets it: the token comes from the page's cookie."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get("/insights/").status_code == 200
    return client, client.cookies["csrftoken"].value


# --- who may see and decide ----------------------------------------------------------------------


def test_agent_sees_the_reviews_with_their_reasons_but_no_forms(alice, review, at_risk, fitted):
    html = _client(alice).get("/insights/").content.decode()
    assert "Reviews to decide" in html
    assert f'href="/accounts/{review.account_id}/">Acme Ltd</a>' in html
    assert "9 orders in 12 months" in html
    assert "3 L2/L3 tickets about tax-planning" in html
    assert "lifetime value 9,800 EUR vs client cost 2,160 EUR/yr" in html
    assert "Client fit 80/100" in html
    assert "/accept/" not in html and "Refresh now" not in html and "Insight settings" not in html
    # Clients at risk, with their owner and why.
    assert "Globex SA" in html and "Dana" in html and "no order for 480 days (usually every 30)" in html
    # The models panel, rounded.
    assert "BG/NBD purchase model" in html and "0.2425" in html and "-9,582.4" in html
    assert 'aria-current="page">Insights</a>' in html


def test_agent_cannot_decide_or_refresh(alice, dana, review):
    client = _client(alice)
    assert (
        client.post(f"/insights/reviews/{review.pk}/accept/", {f"accept-{review.pk}-owner": dana.pk}).status_code == 404
    )
    assert (
        client.post(f"/insights/reviews/{review.pk}/decline/", {f"decline-{review.pk}-reason": "No"}).status_code == 404
    )
    assert client.post("/insights/refresh/").status_code == 403
    review.refresh_from_db()
    assert review.state == "open"


def test_portal_users_and_anonymous_are_refused(carol, portal_user_for, review, dana):
    anonymous = Client()
    for url in (
        "/insights/",
        f"/insights/accounts/{review.account_id}/card/",
        "/insights/segments/",
        "/settings/insights/",
    ):
        response = anonymous.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url
    portal = Client()
    portal.force_login(portal_user_for(carol))
    for url in (
        "/insights/",
        f"/insights/accounts/{review.account_id}/card/",
        "/insights/segments/",
        "/settings/insights/",
    ):
        assert portal.get(url).status_code == 403, url
    assert (
        portal.post(f"/insights/reviews/{review.pk}/accept/", {f"accept-{review.pk}-owner": dana.pk}).status_code == 403
    )
    assert portal.post("/insights/refresh/").status_code == 403
    review.refresh_from_db()
    assert review.state == "open"


def test_unknown_review_is_not_found(morgan):
    assert _client(morgan).post("/insights/reviews/999/decline/", {"decline-999-reason": "x"}).status_code == 404


# --- deciding ------------------------------------------------------------------------------------


def test_manager_accepts_with_csrf_and_the_account_becomes_a_client_of_the_advisor(morgan, dana, alice, review):
    """GIVEN an open review for Acme and a manager whose browser sends the CSRF token
    WHEN she accepts it, choosing Dana, without JavaScript (a plain POST)
    THEN she is sent back to the page with a message, Acme is Dana's client, and the timeline has the decision."""
    client, token = _csrf_client(morgan)
    data = {f"accept-{review.pk}-owner": dana.pk, f"accept-{review.pk}-note": "Dana knows tax planning"}
    assert client.post(f"/insights/reviews/{review.pk}/accept/", data).status_code == 403  # no token
    response = client.post(f"/insights/reviews/{review.pk}/accept/", data, headers={"X-CSRFToken": token})
    assert response.status_code == 302
    assert response["Location"] == "/insights/#reviews-heading"
    page = client.get("/insights/").content.decode()
    assert "Acme Ltd is now a client, owned by Dana." in page
    assert f'id="review-{review.pk}"' not in page
    acme = Account.objects.get(pk=review.account_id)
    assert (acme.service_model, acme.owner) == ("client", dana)
    review.refresh_from_db()
    assert (review.state, review.decided_by, review.reason) == ("accepted", morgan, "Dana knows tax planning")
    account_page = _client(alice).get(f"/accounts/{acme.pk}/").content.decode()
    assert "accepted the insights&#x27; suggestion" in account_page
    assert "Dana knows tax planning" in account_page


def test_advisors_come_first_among_the_owners_to_choose(morgan, dana, alice, ada, review):
    html = _client(morgan).get("/insights/").content.decode()
    select = html.split(f'name="accept-{review.pk}-owner"', 1)[1].split("</select>", 1)[0]
    assert select.index('<optgroup label="Advisors">') < select.index(">Dana<") < select.index('label="Other staff"')
    assert select.index('label="Other staff"') < select.index(">Ada<")
    assert ">Alice<" in select and ">Morgan<" in select


def test_accepting_with_htmx_swaps_the_review_for_its_outcome(morgan, dana, review):
    response = _client(morgan).post(
        f"/insights/reviews/{review.pk}/accept/", {f"accept-{review.pk}-owner": dana.pk}, headers=HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert html.strip().startswith(f'<li class="review review-accepted" id="review-{review.pk}">')
    assert "Acme Ltd is now a client, owned by Dana." in html
    assert "Accepted by Morgan" in html


def test_accepting_needs_an_owner_and_says_so_on_the_field(morgan, review):
    client = _client(morgan)
    plain = client.post(f"/insights/reviews/{review.pk}/accept/", {f"accept-{review.pk}-owner": ""})
    assert plain.status_code == 400
    page = plain.content.decode()
    assert "<html" in page and "This field is required." in page
    partial = client.post(f"/insights/reviews/{review.pk}/accept/", {f"accept-{review.pk}-owner": ""}, headers=HTMX)
    assert partial.status_code == 400
    assert "<html" not in partial.content.decode() and "This field is required." in partial.content.decode()
    review.refresh_from_db()
    assert review.state == "open"


def test_declining_needs_a_reason_then_keeps_the_account_a_customer(morgan, review):
    client = _client(morgan)
    refused = client.post(
        f"/insights/reviews/{review.pk}/decline/", {f"decline-{review.pk}-reason": "  "}, headers=HTMX
    )
    assert refused.status_code == 400
    assert "This field is required." in refused.content.decode()
    response = client.post(
        f"/insights/reviews/{review.pk}/decline/",
        {f"decline-{review.pk}-reason": "They prefer self-service"},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "Declined by Morgan" in response.content.decode()
    assert "They prefer self-service" in response.content.decode()
    review.refresh_from_db()
    assert review.state == "declined" and review.quiet_until is not None
    assert Account.objects.get(pk=review.account_id).service_model == "customer"


def test_a_review_decided_meanwhile_is_a_conflict_shown_on_the_form(morgan, ada, dana, review):
    _client(ada).post(f"/insights/reviews/{review.pk}/decline/", {f"decline-{review.pk}-reason": "Not now"})
    response = _client(morgan).post(
        f"/insights/reviews/{review.pk}/accept/", {f"accept-{review.pk}-owner": dana.pk}, headers=HTMX
    )
    assert response.status_code == 409
    assert "This suggestion was already declined." in response.content.decode()
    assert Account.objects.get(pk=review.account_id).service_model == "customer"


def test_refresh_now_queues_a_full_refresh(morgan, acme):
    for days in (300, 200, 100, 30):
        order_create(
            actor=None,
            account=acme,
            external_id=f"r-{days}",
            placed_at=timezone.now() - timedelta(days=days),
            currency="EUR",
            amount="100",
        )
    client = _client(morgan)
    response = client.post("/insights/refresh/")
    assert response.status_code == 302 and response["Location"] == "/insights/"
    assert "Refresh queued" in client.get("/insights/").content.decode()
    # The queue runs jobs in-process in tests: the refresh has fitted and scored.
    assert ModelFit.objects.exists()
    assert AccountInsight.objects.filter(account=acme).exists()
    assert InsightSettings.objects.get().last_full_refresh_at is not None


# --- pages and query counts ----------------------------------------------------------------------


def _population(count: int, *, start: int = 0) -> None:
    for number in range(start, start + count):
        account = account_create(actor=None, name=f"Grower {number:03d}")
        _suggest(account, score=70 + number % 30)
    for number in range(start, start + count):
        account = account_create(actor=None, name=f"Drifter {number:03d}")
        _insight(account, advice="client_at_risk", score=5, reasons=[{"code": "single_order", "points": -15}])
        Recommendation.objects.create(
            account=account,
            advice="client_at_risk",
            previous="keep_client",
            score=5,
            reasons=[],
            created_at=timezone.now() - timedelta(days=40 * (number % 10)),
        )


def test_insights_page_costs_the_same_queries_with_many_more_rows(morgan, alice, fitted, django_assert_max_num_queries):
    _population(2)
    manager, agent = _client(morgan), _client(alice)
    with CaptureQueriesContext(connection) as few:
        manager.get("/insights/")
    with CaptureQueriesContext(connection) as few_agent:
        agent.get("/insights/")
    _population(45, start=2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = manager.get("/insights/").content.decode()
    with django_assert_max_num_queries(len(few_agent.captured_queries)):
        agent.get("/insights/")
    assert html.count('class="review review-open"') == 20
    older = re.search(r'href="\?(reviews_before=\d+)#reviews-heading"', html)
    assert older is not None
    with django_assert_max_num_queries(len(few.captured_queries)):
        second = manager.get(f"/insights/?{older.group(1)}").content.decode()
    assert second.count('class="review review-open"') == 20
    assert "More clients at risk" in html
    # Session, user and role, the grouped counts (segments, advice, two of transitions, two of lifetime value),
    # the two keyset pages, three model fits, the refresh times, and for managers the staff to choose from.
    assert len(few.captured_queries) <= 16, [q["sql"][:80] for q in few.captured_queries]


def test_reviews_and_clients_at_risk_page_by_keyset(alice, fitted):
    _population(23)
    client = _client(alice)
    first = client.get("/insights/").content.decode()
    names = re.findall(r'<h3><a href="/accounts/\d+/">(Grower \d+)</a></h3>', first)
    assert names == [f"Grower {n:03d}" for n in range(22, 2, -1)]
    older = re.search(r'href="\?(reviews_before=\d+)#reviews-heading"', first)
    assert older is not None
    second = client.get(f"/insights/?{older.group(1)}").content.decode()
    assert re.findall(r'<h3><a href="/accounts/\d+/">(Grower \d+)</a></h3>', second) == [
        "Grower 002",
        "Grower 001",
        "Grower 000",
    ]
    assert "Older reviews" not in second
    more = re.search(r'href="\?(at_risk_before=\d+)#at-risk-heading"', first)
    assert more is not None
    rest = client.get(f"/insights/?{more.group(1)}").content.decode()
    assert "Drifter 002" in rest and "Drifter 022" not in rest
    assert client.get("/insights/?reviews_before=abc").status_code == 200


def test_charts_read_their_data_from_json_blocks(alice, at_risk, review, fitted):
    html = _client(alice).get("/insights/").content.decode()
    assert '<script id="transitions-data" type="application/json">' in html
    assert '<script id="clv-data" type="application/json">' in html
    assert '"key": "customers"' in html and '"label": "Clients"' in html
    assert "<script>" not in html  # the Content-Security-Policy allows no inline script
    assert 'src="/static/web/vendor/chart.umd.min.js"' in html


def test_transitions_count_changes_of_advice_and_decisions_per_month(morgan, dana, review, globex):
    """GIVEN a change to "offer client service" (Acme's review) and one to "client at risk" this month
    WHEN the manager accepts Acme's suggestion
    THEN this month's row counts one change to each advice and one accepted suggestion."""
    Recommendation.objects.create(account=globex, advice="client_at_risk", previous="keep_client", score=5, reasons=[])
    client = _client(morgan)
    client.post(f"/insights/reviews/{review.pk}/accept/", {f"accept-{review.pk}-owner": dana.pk})
    html = client.get("/insights/").content.decode()
    table = html.split("Changes of advice and decisions per month", 1)[1].split("</table>", 1)[0]
    month = date_format(timezone.now(), "YEAR_MONTH_FORMAT")
    cells = re.findall(r'<td class="num">(\d+)</td>', table.split(month, 1)[1].split("</tr>", 1)[0])
    # Stay customer, offer client service, keep client, client at risk, accepted, declined.
    assert cells == ["0", "1", "0", "1", "1", "0"]


def test_empty_insights_say_how_they_are_computed(alice):
    html = _client(alice).get("/insights/").content.decode()
    assert "No suggestion waits for a decision." in html
    assert "Not refreshed yet: insights are computed nightly or by <code>carefront insights refresh</code>." in html


# --- the insight card ----------------------------------------------------------------------------


def test_account_page_shows_the_insight_card_with_suggestions(alice, review, acme, django_assert_max_num_queries):
    ItemPair.objects.create(item="TAX-101", other="AUDIT-PACK", score=0.8, support=12)
    order_create(
        actor=None,
        account=acme,
        external_id="o-1",
        placed_at=timezone.now(),
        currency="EUR",
        items=[{"sku": "TAX-101", "name": "Tax return", "quantity": 1, "unit_price": "90"}],
    )
    html = _client(alice).get(f"/accounts/{acme.pk}/").content.decode()
    card = html.split('id="insight-card"', 1)[1].split("</section>", 1)[0]
    assert "Offer client service" in card and "Client fit 80/100" in card
    assert "9 orders in 12 months" in card
    assert "Champions" in card and "R</abbr>5" in card
    assert "0.97" in card and "8.4" in card and "9,800 EUR" in card
    assert "42.50 EUR" in card and "180.00 EUR" in card
    assert "Stay customer →" in card  # the history of changes
    assert f'href="/insights/#review-{review.pk}"' in card
    assert "AUDIT-PACK" in card and "because they bought TAX-101" in card


def test_ticket_page_loads_the_card_lazily(alice, ticket, review):
    client = _client(alice)
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert f'hx-get="/insights/accounts/{ticket.account_id}/card/"' in page
    assert "Client fit" not in page
    card = client.get(f"/insights/accounts/{ticket.account_id}/card/", headers=HTMX)
    assert card.status_code == 200
    assert "<html" not in card.content.decode() and "Client fit 80/100" in card.content.decode()


def test_card_of_an_unscored_account_says_so(alice, globex, django_assert_max_num_queries):
    client = _client(alice)
    with django_assert_max_num_queries(8):
        html = client.get(f"/insights/accounts/{globex.pk}/card/").content.decode()
    assert "Not scored yet: insights are computed nightly or by <code>carefront insights refresh</code>." in html
    assert client.get("/insights/accounts/99999/card/").status_code == 404


# --- Settings → Insights -------------------------------------------------------------------------


def test_every_threshold_has_a_field_with_its_rule_in_words():
    assert set(THRESHOLDS) == set(Thresholds().as_json())


def test_settings_are_for_managers_and_admins(alice, morgan, ada):
    assert _client(alice).get("/settings/insights/").status_code == 403
    assert _client(alice).post("/settings/insights/", {}).status_code == 403
    assert _client(morgan).get("/settings/insights/").status_code == 200
    html = _client(ada).get("/settings/insights/").content.decode()
    assert 'href="/settings/insights/" aria-current="page">Insights</a>' in html  # in the settings menu
    assert "Repeat purchases: many orders in the last twelve months." in html


def _settings_form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "time_unit": "weeks",
        "horizon_months": "12",
        "annual_discount_rate": "0.10",
        "advisor_hours_per_month": "3",
        "currency": "",
        "exchange_rates": "",
        "suppress_days": "90",
    }
    data.update({f"threshold_{name}": value for name, value in Thresholds().as_json().items()})
    data.update(changes)
    return data


def test_manager_saves_settings_and_thresholds(morgan):
    client = _client(morgan)
    response = client.post(
        "/settings/insights/",
        _settings_form(
            time_unit="days",
            horizon_months="24",
            currency="eur",
            exchange_rates="USD 0.92\nGBP=1.17",
            threshold_offer_at="65",
            threshold_alive_high="0.85",
        ),
    )
    assert response.status_code == 302
    row = InsightSettings.objects.get()
    assert (row.time_unit, row.horizon_months, row.currency) == ("days", 24, "EUR")
    assert row.exchange_rates == {"USD": "0.92", "GBP": "1.17"}
    assert Thresholds.from_json(row.thresholds).offer_at == 65
    assert Thresholds.from_json(row.thresholds).alive_high == 0.85
    assert "Insight settings saved" in client.get("/settings/insights/").content.decode()
    assert Event.objects.filter(subject_kind="insights", action="updated").exists()


def test_a_refused_setting_shows_on_its_field_and_nothing_stored_changes(morgan):
    insight_settings_update(actor=None, horizon_months=18, thresholds={"offer_at": 75})
    client = _client(morgan)
    response = client.post("/settings/insights/", _settings_form(horizon_months="36", threshold_risk_below="80"))
    assert response.status_code == 400
    html = response.content.decode()
    field = _field(html, "threshold_risk_below")
    assert "The at-risk score must not be above the score that offers client service." in field
    assert 'value="36"' in html  # what was typed stays in the form
    row = InsightSettings.objects.get()
    assert row.horizon_months == 18 and row.thresholds == {"offer_at": 75}
    currency = client.post("/settings/insights/", _settings_form(currency="E1R")).content.decode()
    assert "is not an ISO 4217 currency code" in _field(currency, "currency")
    rates = client.post("/settings/insights/", _settings_form(exchange_rates="USD")).content.decode()
    assert "Line 1: write a currency code and a rate" in rates


def test_settings_show_when_the_last_refresh_ran(morgan, fitted, django_assert_max_num_queries):
    client = _client(morgan)
    with django_assert_max_num_queries(5):
        html = client.get("/settings/insights/").content.decode()
    assert "Last refreshed" in html and "models last fitted" in html


# --- saved segments ------------------------------------------------------------------------------


def _segment_form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "French champions",
        "description": "Our best in France",
        "rfm": ["champions"],
        "country": "FR, be",
        "locale": "",
        "order_categories": "",
    }
    data.update(changes)
    return data


def test_manager_saves_a_segment_that_links_to_the_inbox_and_the_account_list(
    morgan, alice, django_assert_max_num_queries
):
    client = _client(morgan)
    response = client.post(
        "/insights/segments/", _segment_form(tiers=["2", "3"], order_categories="Tax returns; Audit")
    )
    assert response.status_code == 302
    segment = Segment.objects.get()
    assert segment.conditions == {
        "rfm": ["champions"],
        "tiers": [2, 3],
        "country": ["FR", "BE"],
        "order_categories": ["Tax returns", "Audit"],
    }
    agent = _client(alice)
    with django_assert_max_num_queries(6):
        html = agent.get("/insights/segments/").content.decode()
    assert "French champions" in html and "Our best in France" in html
    assert "Champions" in html and "L2 problem solving, L3 technical" in html and "FR, BE" in html
    assert f'href="/?saved_segment={segment.pk}"' in html
    assert f'href="/accounts/?saved_segment={segment.pk}"' in html
    assert "New segment" not in html and f"/insights/segments/{segment.pk}/" not in html


def test_agents_cannot_change_segments(alice, morgan):
    segment = segment_create(actor=morgan, name="Champions", conditions={"rfm": ["champions"]})
    client = _client(alice)
    assert client.post("/insights/segments/", _segment_form()).status_code == 403
    assert client.get(f"/insights/segments/{segment.pk}/").status_code == 403
    assert client.post(f"/insights/segments/{segment.pk}/delete/").status_code == 403
    assert Segment.objects.count() == 1


def test_manager_changes_and_deletes_a_segment(morgan, django_assert_max_num_queries):
    segment = segment_create(actor=morgan, name="Champions", conditions={"rfm": ["champions"]})
    client = _client(morgan)
    with django_assert_max_num_queries(5):
        page = client.get(f"/insights/segments/{segment.pk}/").content.decode()
    assert 'value="champions" id="id_rfm_0" checked' in page
    assert (
        client.post(f"/insights/segments/{segment.pk}/", _segment_form(name="Loyal", rfm=["loyal"])).status_code == 302
    )
    segment.refresh_from_db()
    assert (segment.name, segment.conditions) == ("Loyal", {"rfm": ["loyal"], "country": ["FR", "BE"]})
    assert client.post(f"/insights/segments/{segment.pk}/delete/").status_code == 302
    assert not Segment.objects.exists()
    assert client.get(f"/insights/segments/{segment.pk}/").status_code == 404


def test_a_refused_segment_says_why_on_the_field(morgan):
    client = _client(morgan)
    bad_country = client.post("/insights/segments/", _segment_form(country="France"))
    assert bad_country.status_code == 400
    field = _field(bad_country.content.decode(), "country")
    assert "is not an ISO 3166 country code" in field
    empty = client.post("/insights/segments/", _segment_form(rfm=[], country=""))
    assert "A segment needs at least one condition." in empty.content.decode()
    assert not Segment.objects.exists()


# --- French --------------------------------------------------------------------------------------


def test_the_insights_screens_read_in_french(dana, morgan, review, at_risk, fitted):
    html = _client(morgan, language="fr").get("/insights/").content.decode()
    assert '<html lang="fr">' in html
    assert ">Analyses</a>" in html
    assert "Suggestions à trancher" in html
    assert "9 commandes en 12 mois" in html
    assert "Proposer le suivi client" in html
    assert ">Accepter<" in html and ">Refuser<" in html
    card = _client(dana, language="fr").get(f"/insights/accounts/{review.account_id}/card/").content.decode()
    assert "Aptitude au suivi client 80/100" in card
    assert "9\u202f800 EUR" in card or "9\xa0800 EUR" in card
    settings = _client(morgan).get("/settings/insights/").content.decode()
    assert "Seuils du conseiller" in settings
