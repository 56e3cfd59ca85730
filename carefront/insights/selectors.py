"""Reads of the insights, shaped for the Insights page, the account card, the ticket sidebar and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

import numpy as np
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from carefront.accounts.models import AccountKind, Channel, OrderItem, ServiceModel
from carefront.core.access import is_manager, is_staff_member
from carefront.core.models import Role
from carefront.core.selectors import staff_members, unique_or_none
from carefront.desk.models import Tier
from carefront.insights.baskets import ItemNeighbours, recommend_for
from carefront.insights.models import (
    AccountInsight,
    Advice,
    InsightSettings,
    ItemPair,
    ModelFit,
    Recommendation,
    Review,
    RfmSegment,
    Segment,
)
from carefront.insights.scoring import item_key
from carefront.insights.segments import CONDITIONS, conditions_q

CARD_HISTORY = 5
MAX_OWNED_ITEMS = 500
CLV_BINS = (0, 100, 250, 500, 1000, 2500, 5000, 10000, 25000)


def _money(value: Any, currency: str) -> str:
    return f"{number_format(Decimal(str(value)), 0, force_grouping=True)} {currency}"


def reason_words(reason: dict[str, Any], *, currency: str) -> str:
    """One reason of the advisor in plain words, in the active language."""
    code, p = reason["code"], reason.get("params", {})
    if code == "frequent_buyer":
        return _("{orders} orders in {months} months").format(**p)
    if code == "spend_rising":
        if p["percent"] >= 1000:
            return _("spend {times}× the year before").format(times=number_format(p["percent"] / 100 + 1, 0))
        return _("spend up {percent} %").format(**p)
    if code == "spend_falling":
        return _("spend down {percent} %").format(**p)
    if code == "value_covers_client_cost":
        return _("lifetime value {clv} vs client cost {cost}/yr").format(
            clv=_money(p["clv"], currency), cost=_money(p["client_cost"], currency)
        )
    if code == "value_below_client_cost":
        return _("lifetime value {clv} below the client cost of {cost}/yr").format(
            clv=_money(p["clv"] or 0, currency), cost=_money(p["client_cost"], currency)
        )
    if code == "likely_active":
        return _("P(alive) {p_alive}").format(p_alive=number_format(p["p_alive"], 2))
    if code == "drifting_away":
        return _("P(alive) only {p_alive}").format(p_alive=number_format(p["p_alive"], 2))
    if code == "gone_quiet":
        return _("no order for {days} days (usually every {usual})").format(**p)
    if code == "deeper_requests":
        if p.get("topic"):
            return _("{tickets} L2/L3 tickets about {topic}").format(**p)
        return _("{tickets} L2/L3 tickets").format(**p)
    if code == "long_tenure":
        return _("buying for {years} years").format(**p)
    if code == "single_order":
        return _("one order so far")
    if code == "costs_more_than_spend":
        return _("cost to serve {cost}/yr above spend {spend}").format(
            cost=_money(p["cost"], currency), spend=_money(p["spend"], currency)
        )
    if code == "unvalued_orders":
        return _("{orders} orders in another currency not valued").format(**p)
    return str(code)


def advice_sentence(*, reasons: list[dict[str, Any]], advice: str, currency: str) -> str:
    """The reasons and the advice in one line: "7 orders in 12 months, spend up 140 % → offer client service"."""
    label = str(Advice(advice).label).lower()
    said = ", ".join(reason_words(reason, currency=currency) for reason in reasons)
    return f"{said} → {label}" if said else label


def _require_staff(user: Any) -> None:
    if not is_staff_member(user):
        raise Http404


@dataclass(frozen=True)
class InsightCard:
    """What the models say of one account, for its page and the ticket sidebar."""

    insight: AccountInsight | None
    reasons: list[str]
    sentence: str
    history: list[Recommendation]
    open_review: Review | None
    suggestions: list[ItemSuggestion]


def account_insight_card(*, user: Any, account_id: int) -> InsightCard:
    """The account's insight with its reasons in words, its recent changes of advice and what to suggest to it.

    Three queries, and one or two more for the suggestions (none are looked up when the account bought nothing).
    """
    _require_staff(user)
    insight = unique_or_none(AccountInsight.objects.filter(account_id=account_id))
    history = list(Recommendation.objects.filter(account_id=account_id).order_by("-id")[:CARD_HISTORY])
    review = unique_or_none(Review.objects.filter(account_id=account_id, state=Review.State.OPEN))
    suggestions = account_suggestions(user=user, account_id=account_id)
    if insight is None:
        return InsightCard(
            insight=None, reasons=[], sentence="", history=history, open_review=review, suggestions=suggestions
        )
    return InsightCard(
        insight=insight,
        reasons=[reason_words(reason, currency=insight.currency) for reason in insight.reasons],
        sentence=advice_sentence(reasons=insight.reasons, advice=insight.advice, currency=insight.currency),
        history=history,
        open_review=review,
        suggestions=suggestions,
    )


def account_insight(*, user: Any, account_id: int) -> AccountInsight:
    """The insight row of an account a staff member may see, or 404."""
    _require_staff(user)
    insight = unique_or_none(AccountInsight.objects.filter(account_id=account_id))
    if insight is None:
        raise Http404
    return insight


def insights_list(*, user: Any, advice: str | None = None, rfm_segment: str | None = None) -> QuerySet[AccountInsight]:
    """Accounts' insights, filtered by advice or RFM segment (insight_advice_idx, insight_segment_idx)."""
    _require_staff(user)
    insights = AccountInsight.objects.all()
    if advice:
        insights = insights.filter(advice=advice)
    if rfm_segment:
        insights = insights.filter(rfm_segment=rfm_segment)
    return insights


def recommendations_list(*, user: Any, account_id: int) -> QuerySet[Recommendation]:
    """An account's changes of advice (recommendation_account_idx)."""
    _require_staff(user)
    return Recommendation.objects.filter(account_id=account_id)


def access_review(*, user: Any, review_id: int) -> Review:
    """A review a manager may decide; 404 for anyone else."""
    review = None
    if is_manager(user):
        review = unique_or_none(Review.objects.select_related("account", "recommendation").filter(pk=review_id))
    if review is None:
        raise Http404
    return review


def reviews_list(*, user: Any, state: str = Review.State.OPEN, before_id: int | None = None) -> QuerySet[Review]:
    """Reviews newest first, keyset-paginated by id (a caller slices a page)."""
    _require_staff(user)
    reviews = Review.objects.filter(state=state).select_related("account", "recommendation", "decided_by")
    if before_id is not None:
        reviews = reviews.filter(id__lt=before_id)
    return reviews.order_by("-id")


@dataclass(frozen=True)
class SegmentSize:
    segment: str
    label: str
    accounts: int
    clients: int
    spend_12m: Decimal
    clv: Decimal


def segment_sizes(*, user: Any) -> list[SegmentSize]:
    """Every RFM segment with its accounts, clients, last year's spend and lifetime value (one grouped query)."""
    _require_staff(user)
    rows: dict[str, dict[str, Any]] = {
        row["rfm_segment"]: dict(row)
        for row in AccountInsight.objects.order_by()
        .values("rfm_segment")
        .annotate(
            n=Count("account_id"),
            clients=Count("account_id", filter=Q(account__service_model=ServiceModel.CLIENT)),
            spend=Sum("spend_12m"),
            clv=Sum("clv"),
        )
    }
    return [
        SegmentSize(
            segment=segment.value,
            label=str(segment.label),
            accounts=rows.get(segment.value, {}).get("n", 0),
            clients=rows.get(segment.value, {}).get("clients", 0),
            spend_12m=rows.get(segment.value, {}).get("spend") or Decimal(0),
            clv=rows.get(segment.value, {}).get("clv") or Decimal(0),
        )
        for segment in RfmSegment
    ]


@dataclass(frozen=True)
class AdviceCount:
    advice: str
    label: str
    accounts: int


def advice_counts(*, user: Any) -> list[AdviceCount]:
    _require_staff(user)
    counts = dict(AccountInsight.objects.order_by().values_list("advice").annotate(n=Count("account_id")))
    return [AdviceCount(advice=a.value, label=str(a.label), accounts=counts.get(a.value, 0)) for a in Advice]


@dataclass(frozen=True)
class TransitionMonth:
    month: datetime
    by_advice: dict[str, int]
    accepted: int
    declined: int


def transitions_by_month(*, user: Any, months: int = 12, now: datetime | None = None) -> list[TransitionMonth]:
    """Changes of advice per month and what managers decided (two grouped queries)."""
    _require_staff(user)
    now = now or timezone.now()
    since = (now - timedelta(days=31 * (months - 1))).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    changes = (
        Recommendation.objects.filter(created_at__gte=since)
        .exclude(previous="")
        .order_by()
        .annotate(month=TruncMonth("created_at"))
        .values_list("month", "advice")
        .annotate(n=Count("id"))
    )
    decided = (
        Review.objects.filter(decided_at__gte=since, state__in=[Review.State.ACCEPTED, Review.State.DECLINED])
        .order_by()
        .annotate(month=TruncMonth("decided_at"))
        .values_list("month", "state")
        .annotate(n=Count("id"))
    )
    table: dict[datetime, TransitionMonth] = {}

    def month_row(month: datetime) -> TransitionMonth:
        key = month.replace(tzinfo=None)
        if key not in table:
            table[key] = TransitionMonth(month=key, by_advice={}, accepted=0, declined=0)
        return table[key]

    for month, advice, n in changes:
        month_row(month).by_advice[advice] = n
    for month, state, n in decided:
        row = month_row(month)
        table[row.month] = TransitionMonth(
            month=row.month,
            by_advice=row.by_advice,
            accepted=row.accepted + (n if state == Review.State.ACCEPTED else 0),
            declined=row.declined + (n if state == Review.State.DECLINED else 0),
        )
    return [table[key] for key in sorted(table)]


@dataclass(frozen=True)
class ClvDistribution:
    """How many accounts of each service model fall in each lifetime-value band."""

    bands: list[str]
    customers: list[int]
    clients: list[int]
    currency: str


def clv_distribution(*, user: Any) -> ClvDistribution:
    """Lifetime value in bands, by service model (one grouped query)."""
    _require_staff(user)
    band = Case(
        *[When(clv__lt=upper, then=Value(index)) for index, upper in enumerate(CLV_BINS[1:])],
        default=Value(len(CLV_BINS) - 1),
        output_field=IntegerField(),
    )
    rows = (
        AccountInsight.objects.filter(clv__isnull=False)
        .order_by()
        .annotate(band=band)
        .values_list("band", "account__service_model")
        .annotate(n=Count("account_id"))
    )
    customers = [0] * len(CLV_BINS)
    clients = [0] * len(CLV_BINS)
    for index, model, n in rows:
        (clients if model == ServiceModel.CLIENT else customers)[index] += n
    currency = AccountInsight.objects.filter(clv__isnull=False).values_list("currency", flat=True).first() or ""
    labels = [
        f"{number_format(low, 0, force_grouping=True)}–{number_format(high, 0, force_grouping=True)}"
        for low, high in pairwise(CLV_BINS)
    ] + [f"{number_format(CLV_BINS[-1], 0, force_grouping=True)}+"]
    return ClvDistribution(bands=labels, customers=customers, clients=clients, currency=currency)


def latest_fit_rows() -> list[ModelFit]:
    """The newest fit of each kind, for the page's "models" panel."""
    rows = []
    for kind in ModelFit.Kind.values:
        row = ModelFit.objects.filter(kind=kind).order_by("-fitted_at", "-id").first()
        if row is not None:
            rows.append(row)
    return rows


def segments_list(*, user: Any) -> QuerySet[Segment]:
    _require_staff(user)
    return Segment.objects.order_by("name")


# The labels of the values a condition may hold; countries, locales and categories read as they are.
CONDITION_CHOICES: dict[str, Any] = {
    "rfm": RfmSegment,
    "advice": Advice,
    "service_model": ServiceModel,
    "kind": AccountKind,
    "channels": Channel,
    "tiers": Tier,
}


@dataclass(frozen=True)
class SegmentRow:
    """A saved segment with its conditions in words: [("RFM segment", "Champions, Loyal"), ...]."""

    segment: Segment
    conditions: list[tuple[str, str]]


def segment_conditions_words(conditions: dict[str, list[Any]]) -> list[tuple[str, str]]:
    words = []
    for key, label in CONDITIONS.items():
        values = conditions.get(key)
        if not values:
            continue
        choices = CONDITION_CHOICES.get(key)
        shown = []
        for value in values:
            try:
                shown.append(str(choices(value).label) if choices is not None else str(value))
            except ValueError:
                shown.append(str(value))
        words.append((str(label), ", ".join(shown)))
    return words


def segment_rows(*, user: Any) -> list[SegmentRow]:
    """Every saved segment by name, its conditions in words (one query)."""
    return [
        SegmentRow(segment=segment, conditions=segment_conditions_words(segment.conditions))
        for segment in segments_list(user=user)
    ]


def access_segment(*, user: Any, segment_id: int) -> Segment:
    """A saved segment, for staff; 404 for anyone else or an unknown id."""
    segment = unique_or_none(Segment.objects.filter(pk=segment_id)) if is_staff_member(user) else None
    if segment is None:
        raise Http404
    return segment


def segment_accounts_q(*, segment_id: int) -> Q:
    """The saved segment as a condition on Account rows; an unknown id matches nothing."""
    conditions = Segment.objects.filter(pk=segment_id).values_list("conditions", flat=True).first()
    return conditions_q(conditions) if conditions else Q(pk__in=[])


@dataclass(frozen=True)
class ItemSuggestion:
    """Something to suggest to an account: accounts who bought `because` also bought `item`."""

    item: str
    score: float
    because: str


def account_suggestions(*, user: Any, account_id: int, k: int = 5) -> list[ItemSuggestion]:
    """The items the account's peers bought alongside what it owns (two queries: its items, their neighbours)."""
    _require_staff(user)
    owned = sorted(
        {
            item_key(sku, name)
            for sku, name in OrderItem.objects.filter(order__account_id=account_id)
            .order_by()
            .values_list("sku", "name")
            .distinct()[:MAX_OWNED_ITEMS]
        }
    )
    if not owned:
        return []
    pairs = list(ItemPair.objects.filter(item__in=owned).values_list("item", "other", "score", "support"))
    names = sorted(set(owned) | {other for _item, other, _score, _support in pairs})
    index = {name: position for position, name in enumerate(names)}
    neighbours = ItemNeighbours(
        item=np.asarray([index[row[0]] for row in pairs], dtype=np.int64),
        neighbour=np.asarray([index[row[1]] for row in pairs], dtype=np.int64),
        score=np.asarray([row[2] for row in pairs], dtype=np.float64),
        support=np.asarray([row[3] for row in pairs], dtype=np.int64),
        n_items=len(names),
    )
    owned_index = np.asarray([index[name] for name in owned], dtype=np.int64)
    return [
        ItemSuggestion(item=names[s.item], score=round(s.score, 3), because=names[s.because])
        for s in recommend_for(neighbours, owned_index, k=k)
    ]


# --- the Insights page ---------------------------------------------------------------------------

PAGE_SIZE = 20
# Fit fields that describe the fit rather than the model: shown in their own columns or not at all.
FIT_META = {"log_likelihood", "customers", "repeat_customers", "converged", "iterations", "message"}


@dataclass(frozen=True)
class RowsPage:
    """One page of a newest-first list and the id the next (older) page starts before, None on the last."""

    rows: list[Any]
    older: int | None


def _keyset(rows: QuerySet[Any], *, key: str, before: int | None, size: int) -> tuple[list[Any], int | None]:
    if before is not None:
        rows = rows.filter(**{f"{key}__lt": before})
    found = list(rows.order_by(f"-{key}")[: size + 1])
    page = found[:size]
    return page, getattr(page[-1], key) if len(found) > size else None


@dataclass(frozen=True)
class ReviewRow:
    """An open suggestion as a manager reads it: the account, the advice, its score and reasons in words."""

    review: Review
    reasons: list[str]
    sentence: str


def review_row(review: Review) -> ReviewRow:
    """The review's recommendation in words (the account's insight, selected with it, gives the currency)."""
    insight = getattr(review.account, "insight", None)
    currency = insight.currency if insight is not None else ""
    reasons = review.recommendation.reasons
    return ReviewRow(
        review=review,
        reasons=[reason_words(reason, currency=currency) for reason in reasons],
        sentence=advice_sentence(reasons=reasons, advice=review.advice, currency=currency),
    )


def reviews_page(*, user: Any, before_id: int | None = None, size: int = PAGE_SIZE) -> RowsPage:
    """Open reviews newest first, a page at a time (one query; review_state_idx)."""
    reviews = reviews_list(user=user).select_related("account__insight")
    page, older = _keyset(reviews, key="id", before=before_id, size=size)
    return RowsPage(rows=[review_row(review) for review in page], older=older)


def review_for_row(*, user: Any, review_id: int) -> ReviewRow:
    """One review in words after a decision, whatever its state (staff only; 404 for an unknown id)."""
    _require_staff(user)
    review = unique_or_none(
        Review.objects.select_related("account__insight", "account__owner", "recommendation", "decided_by").filter(
            pk=review_id
        )
    )
    if review is None:
        raise Http404
    return review_row(review)


@dataclass(frozen=True)
class AtRiskRow:
    """A client the advisor flags: the account with its owner, and why."""

    insight: AccountInsight
    reasons: list[str]


def clients_at_risk_page(*, user: Any, before_id: int | None = None, size: int = PAGE_SIZE) -> RowsPage:
    """Clients at risk by account id, newest first, a page at a time (one query; insight_advice_idx)."""
    insights = insights_list(user=user, advice=Advice.CLIENT_AT_RISK).select_related("account__owner")
    page, older = _keyset(insights, key="account_id", before=before_id, size=size)
    rows = [
        AtRiskRow(insight=row, reasons=[reason_words(reason, currency=row.currency) for reason in row.reasons])
        for row in page
    ]
    return RowsPage(rows=rows, older=older)


def review_owner_candidates(*, user: Any) -> list[Any]:
    """Who may own an account made a client: active staff, advisors first, then by name (one query)."""
    _require_staff(user)
    advisors_first = Case(When(staff_profile__role=Role.ADVISOR, then=Value(0)), default=Value(1))
    return list(staff_members().order_by(advisors_first, "first_name", "last_name", "username"))


@dataclass(frozen=True)
class FitRow:
    """The latest fit of one model, its parameters rounded for reading."""

    fit: ModelFit
    params: list[tuple[str, str]]


def _rounded(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return number_format(float(f"{value:.4g}"))


def fit_rows() -> list[FitRow]:
    """The newest fit of each kind with its model parameters to four significant digits (three queries)."""
    rows = []
    for fit in latest_fit_rows():
        params = [
            (name, ", ".join(_rounded(v) for v in value) if isinstance(value, list) else _rounded(value))
            for name, value in fit.params.items()
            if name not in FIT_META
        ]
        rows.append(FitRow(fit=fit, params=params))
    return rows


@dataclass(frozen=True)
class RefreshTimes:
    last_refresh_at: datetime | None
    last_full_refresh_at: datetime | None


def refresh_times() -> RefreshTimes:
    """When the insights were last refreshed (one query; nothing is created when there are no settings yet)."""
    row = unique_or_none(InsightSettings.objects.only("last_refresh_at", "last_full_refresh_at"))
    if row is None:
        return RefreshTimes(last_refresh_at=None, last_full_refresh_at=None)
    return RefreshTimes(last_refresh_at=row.last_refresh_at, last_full_refresh_at=row.last_full_refresh_at)


def transitions_chart(rows: list[TransitionMonth]) -> dict[str, Any]:
    """The months' changes of advice and decisions as Chart.js data (labels translated here, colours in the script)."""
    datasets: list[dict[str, Any]] = [
        {
            "key": advice.value,
            "label": str(advice.label),
            "stack": "changes",
            "data": [row.by_advice.get(advice, 0) for row in rows],
        }
        for advice in Advice
    ]
    datasets += [
        {"key": "accepted", "label": _("Accepted"), "stack": "decisions", "data": [row.accepted for row in rows]},
        {"key": "declined", "label": _("Declined"), "stack": "decisions", "data": [row.declined for row in rows]},
    ]
    return {"labels": [date_format(row.month, "YEAR_MONTH_FORMAT") for row in rows], "datasets": datasets}


def clv_chart(clv: ClvDistribution) -> dict[str, Any]:
    """Lifetime value bands by service model as Chart.js data."""
    return {
        "labels": clv.bands,
        "datasets": [
            {"key": "customers", "label": _("Customers"), "data": clv.customers},
            {"key": "clients", "label": _("Clients"), "data": clv.clients},
        ],
    }


@dataclass(frozen=True)
class ChartTable:
    """A chart's numbers as a table, for people who do not see the chart: one row per label, one column per series."""

    headers: list[str]
    rows: list[tuple[str, list[int]]]


def chart_table(chart: dict[str, Any]) -> ChartTable:
    datasets = chart["datasets"]
    return ChartTable(
        headers=[dataset["label"] for dataset in datasets],
        rows=[(label, [dataset["data"][index] for dataset in datasets]) for index, label in enumerate(chart["labels"])],
    )


@dataclass(frozen=True)
class InsightsOverview:
    """Everything the Insights page shows, each part read at a constant number of queries."""

    segments: list[SegmentSize]
    advice: list[AdviceCount]
    currency: str
    reviews: RowsPage
    at_risk: RowsPage
    transitions: ChartTable
    transitions_chart: dict[str, Any]
    clv: ChartTable
    clv_chart: dict[str, Any]
    fits: list[FitRow]
    refreshed: RefreshTimes
    may_decide: bool
    owners: list[Any]


def insights_overview(
    *, user: Any, reviews_before: int | None = None, at_risk_before: int | None = None
) -> InsightsOverview:
    """The Insights page: segments, advice, reviews to decide, transitions, lifetime value, clients at risk, models.

    About fifteen queries whatever the number of accounts: grouped counts, two keyset pages, and for managers
    the staff who may own an account.
    """
    _require_staff(user)
    transitions = transitions_chart(transitions_by_month(user=user))
    distribution = clv_distribution(user=user)
    clv = clv_chart(distribution)
    may_decide = is_manager(user)
    return InsightsOverview(
        segments=segment_sizes(user=user),
        advice=advice_counts(user=user),
        currency=distribution.currency,
        reviews=reviews_page(user=user, before_id=reviews_before),
        at_risk=clients_at_risk_page(user=user, before_id=at_risk_before),
        transitions=chart_table(transitions),
        transitions_chart=transitions,
        clv=chart_table(clv),
        clv_chart=clv,
        fits=fit_rows(),
        refreshed=refresh_times(),
        may_decide=may_decide,
        owners=review_owner_candidates(user=user) if may_decide else [],
    )
