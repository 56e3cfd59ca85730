"""The relationship scorecard: retention and churn, revenue, survey and client-work figures over one set of filters.

About a dozen queries whatever the number of accounts. The client-work figures call the relationships app's own
formulas (its on-time rate, its check-in adherence counts, its way of merging waits) so the scorecard and the
account pages never disagree.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    Avg,
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from carefront.accounts.models import Account, LifecycleStage, Order, ServiceModel
from carefront.core.models import Event
from carefront.insights.metrics.definitions import Figure, MetricFilters, Part, figure, percent
from carefront.insights.metrics.providers import survey_counts
from carefront.insights.metrics.service import EPOCH, account_q
from carefront.insights.models import AccountInsight, InsightSettings
from carefront.insights.scoring import value_currency
from carefront.relationships.health_signals import CHECK_INS_DECIDED, check_in_adherence, check_in_adherence_counts
from carefront.relationships.models import CheckIn, HealthBand, HealthSnapshot, Wait
from carefront.relationships.pausing import spans_total
from carefront.relationships.selectors import Filters, on_time_rate

CHURNED = LifecycleStage.CHURNED.value


def accounts_in_scope(filters: MetricFilters) -> QuerySet[Account]:
    return Account.objects.filter(account_q(filters, prefix="")).order_by()


def _of_accounts(filters: MetricFilters, field: str = "account_id") -> Q:
    """Rows of the accounts in scope: no condition without an account filter (every account is), where
    `IN (every account)` would have the database read them all and join."""
    if not account_q(filters, prefix=""):
        return Q()
    return Q(**{f"{field}__in": accounts_in_scope(filters).values("pk")})


def _ratio(part: Decimal, whole: Decimal) -> float | None:
    return float(100 * part / whole) if whole else None


def _churned_at(moment: datetime) -> Coalesce:
    """1 if the account was churned at `moment`, else 0: the last lifecycle change before it says so; without one,
    the first change after it says what the stage was; without any, the stage the account has now."""
    changes = Event.objects.filter(
        subject_kind=Event.SubjectKind.ACCOUNT, subject_id=OuterRef("pk"), field="lifecycle_stage"
    ).order_by()
    before = (
        changes.filter(occurred_at__lt=moment)
        .order_by("-occurred_at", "-id")
        .annotate(c=Case(When(new_value=CHURNED, then=Value(1)), default=Value(0)))
        .values("c")[:1]
    )
    after = (
        changes.filter(occurred_at__gte=moment)
        .order_by("occurred_at", "id")
        .annotate(c=Case(When(old_value=CHURNED, then=Value(1)), default=Value(0)))
        .values("c")[:1]
    )
    now = Case(When(lifecycle_stage=CHURNED, then=Value(1)), default=Value(0))
    return Coalesce(Subquery(before, output_field=IntegerField()), Subquery(after, output_field=IntegerField()), now)


def retention_base(accounts: QuerySet[Account], filters: MetricFilters) -> QuerySet[Account]:
    """S: the accounts created before the period and not churned at its start, each with `churned_end` (1 if churned
    at the period's end). The retention figures count them; the dashboards' drill-down lists them."""
    return (
        accounts.filter(created_at__lt=filters.start)
        .annotate(churned_start=_churned_at(filters.start), churned_end=_churned_at(filters.end))
        .filter(churned_start=0)
    )


def _retention(accounts: QuerySet[Account], filters: MetricFilters) -> list[Figure]:
    """The counts of `retention_base` without a correlated lookup per account: an account with no lifecycle change
    has its current stage at both ends of the period, so those are counted by stage in one grouped query; only the
    accounts with changes are read, their stages at the ends found from their changes as `_churned_at` finds them
    (the drill-down lists `retention_base`'s rows, and the tests check the two agree)."""
    older = accounts.filter(created_at__lt=filters.start)
    s: dict[str, int] = defaultdict(int)
    for model, total, churned in older.values_list("service_model").annotate(
        n=Count("pk"), churned=Count("pk", filter=Q(lifecycle_stage=CHURNED))
    ):
        s[model] += total - churned
    kept = dict(s)
    changes: dict[int, list[tuple[Any, Any, Any]]] = defaultdict(list)
    for account_id, at, old, new in (
        Event.objects.filter(
            subject_kind=Event.SubjectKind.ACCOUNT, field="lifecycle_stage", subject_id__in=older.values("pk")
        )
        .order_by("subject_id", "occurred_at", "id")
        .values_list("subject_id", "occurred_at", "old_value", "new_value")
    ):
        changes[account_id].append((at, old, new))
    if changes:
        for pk, model, stage in older.filter(pk__in=list(changes)).values_list(
            "pk", "service_model", "lifecycle_stage"
        ):
            churned_now = stage == CHURNED
            if not churned_now:  # counted above as not churned at either end
                s[model] -= 1
                kept[model] -= 1
            if not _churned_then(changes[pk], filters.start, churned_now):
                s[model] += 1
                kept[model] = kept.get(model, 0) + (not _churned_then(changes[pk], filters.end, churned_now))
    figures = []
    for model in (ServiceModel.CLIENT, ServiceModel.CUSTOMER):
        base, stayed = s.get(model, 0), kept.get(model, 0)
        figures.append(figure(f"retention_rate_{model}s", percent(stayed, base), base))
        figures.append(figure(f"churn_rate_{model}s", percent(base - stayed, base), base))
    return figures


def _churned_then(changes: list[tuple[Any, Any, Any]], moment: datetime, churned_now: bool) -> bool:
    """`_churned_at` over one account's lifecycle changes (time, old, new; in order): the last change before the
    moment says so; without one, the first change after it; without any, the stage the account has now."""
    before = [new for at, _old, new in changes if at < moment]
    if before:
        return before[-1] == CHURNED
    after = [old for at, old, _new in changes if at >= moment]
    if after:
        return after[0] == CHURNED
    return churned_now


def main_currency() -> str:
    """The currency money figures are given in: the insights' currency of value (chosen, else the most used)."""
    return value_currency(InsightSettings.objects.filter(pk=1).first() or InsightSettings())


def _money(value: Decimal | None) -> Decimal:
    return (value or Decimal(0)).quantize(Decimal("0.01"))


CurrencyRow = tuple[str, Decimal | None, Decimal | None, int, Decimal | None, int]


def _by_currency(periods: Sequence[MetricFilters]) -> list[list[CurrencyRow]]:
    """For each period, by currency: the revenue of the period and of the one before, its orders, and everything
    spent up to the period's end with the number of buyers. One pass over the orders for all the periods (the
    filters differ only by their dates)."""
    totals: dict[str, Any] = {}
    for index, filters in enumerate(periods):
        previous = filters.previous()
        upto = Q(placed_at__lt=filters.end)
        now = Q(placed_at__gte=filters.start) & upto
        totals |= {
            f"now{index}": Sum("amount", filter=now),
            f"before{index}": Sum("amount", filter=Q(placed_at__gte=previous.start, placed_at__lt=previous.end)),
            f"orders{index}": Count("pk", filter=now),
            f"spent{index}": Sum("amount", filter=upto),
            f"buyers{index}": Count("account", distinct=True, filter=upto),
        }
    rows = list(
        Order.objects.filter(_of_accounts(periods[0]), placed_at__lt=max(filters.end for filters in periods))
        .order_by()
        .values_list("currency")
        .annotate(**totals)
        .order_by("currency")
    )
    # Each row: the currency, then the five totals of each period in turn.
    return [
        [(row[0], *row[1 + 5 * index : 6 + 5 * index]) for row in rows if row[5 + 5 * index]]
        for index in range(len(periods))
    ]


def _revenue(filters: MetricFilters, currency: str, rows: list[CurrencyRow]) -> list[Figure]:
    previous = filters.previous()
    now = Q(placed_at__gte=filters.start)
    before = Q(placed_at__gte=previous.start, placed_at__lt=previous.end)
    orders = Order.objects.filter(_of_accounts(filters), placed_at__lt=filters.end).order_by()
    by_currency = {row[0]: row for row in rows}
    _code, revenue, last, count, spent, buyers = by_currency.get(currency, (currency, None, None, 0, None, 0))
    revenue, last = _money(revenue), _money(last)
    bought_before = Exists(
        Order.objects.filter(
            account_id=OuterRef("account_id"),
            currency=currency,
            placed_at__gte=previous.start,
            placed_at__lt=previous.end,
        )
    )
    mine = Q(currency=currency)
    totals = (
        orders.filter(placed_at__gte=previous.start)
        .annotate(bought_before=bought_before)
        .aggregate(
            retained=Sum("amount", filter=now & mine & Q(bought_before=True)),
            base=Sum("amount", filter=before & mine),
            base_buyers=Count("account", distinct=True, filter=before & mine),
            orders_n=Count("pk", filter=now),
            buyers_n=Count("account", distinct=True, filter=now),
        )
    )
    base = _money(totals["base"])
    parts = tuple(Part(key=code, value=_money(amount), count=n) for code, amount, _b, n, _s, _a in rows if n)
    return [
        figure("revenue", revenue, count, currency=currency, breakdowns={"currency": parts}),
        figure("revenue_growth", _ratio(revenue - last, last), count),
        figure("net_revenue_retention", _ratio(_money(totals["retained"]), base), totals["base_buyers"]),
        figure(
            "average_order_value",
            (revenue / count).quantize(Decimal("0.01")) if count else None,
            count,
            currency=currency,
        ),
        figure(
            "purchase_frequency",
            totals["orders_n"] / totals["buyers_n"] if totals["buyers_n"] else None,
            totals["buyers_n"],
        ),
        figure(
            "historical_value",
            (_money(spent) / buyers).quantize(Decimal("0.01")) if buyers else None,
            buyers,
            currency=currency,
        ),
    ]


def _lifetime_value(filters: MetricFilters) -> Figure:
    """The models' lifetime value where they scored accounts, in the currency most of them are valued in."""
    rows = list(
        AccountInsight.objects.filter(_of_accounts(filters), clv__isnull=False)
        .values_list("currency")
        .annotate(mean=Avg("clv"), n=Count("pk"))
        .order_by("-n", "currency")
    )
    if not rows:
        return figure("lifetime_value", None, 0)
    currency, mean, n = rows[0]
    parts = tuple(Part(key=code, value=_money(value), count=size) for code, value, size in rows)
    return figure("lifetime_value", _money(mean), n, currency=currency, breakdowns={"currency": parts})


def _check_ins(filters: MetricFilters, now: datetime) -> Figure:
    counts = check_in_adherence_counts()
    found = CheckIn.objects.filter(
        CHECK_INS_DECIDED,
        _of_accounts(filters),
        scheduled_at__gte=filters.start,
        scheduled_at__lt=min(filters.end, now),
    ).aggregate(held=counts["held"], missed=counts["missed"])
    adherence = check_in_adherence(found["held"], found["missed"])
    return figure(
        "check_in_adherence",
        100 * adherence if adherence is not None else None,
        found["held"] + found["missed"],
    )


def _commitments(filters: MetricFilters, user: Any, now: datetime) -> Figure:
    scoped = accounts_in_scope(filters).values("pk") if account_q(filters, prefix="") else None
    rate = on_time_rate(
        user=user,
        filters=Filters(due_after=filters.start, due_before=filters.end, accounts=scoped),
        now=min(filters.end, now),
    )
    return figure("commitment_on_time_rate", 100 * rate.rate if rate.rate is not None else None, rate.kept + rate.late)


def _waiting(filters: MetricFilters, now: datetime) -> Figure:
    """Each account's waits clipped to the period and merged (overlaps once), summed over accounts. Reads the
    waits that overlap the period: few, as they are spans of a client's open dependencies."""
    until = min(filters.end, now)
    spans: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    rows = (
        Wait.objects.filter(_of_accounts(filters), started_at__lt=until)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=filters.start))
        .values_list("account_id", "started_at", "ended_at")
    )
    for account_id, started, ended in rows:
        spans[account_id].append((max(started, filters.start), min(ended or until, until)))
    waited = sum((spans_total(items, now=until) for items in spans.values()), timedelta())
    return figure(
        "waiting_on_client_time",
        round(waited.total_seconds() / 3600, 2) if spans else None,
        len(spans),
    )


def _health(accounts: QuerySet[Account], filters: MetricFilters) -> Figure:
    last_day = (filters.end - timedelta(microseconds=1)).date()
    latest = (
        HealthSnapshot.objects.filter(account_id=OuterRef("account_id"), day__lte=last_day)
        .order_by("-day")
        .values("day")[:1]
    )
    rows = dict(
        HealthSnapshot.objects.filter(
            account_id__in=accounts.filter(service_model=ServiceModel.CLIENT).values("pk"), day=Subquery(latest)
        )
        .values_list("band")
        .annotate(n=Count("pk"))
        .order_by()
    )
    total = sum(rows.values())
    parts = tuple(
        Part(key=band, value=percent(rows.get(band, 0), total), count=rows.get(band, 0)) for band in HealthBand.values
    )
    return figure("health_distribution", total, total, breakdowns={"band": parts})


def _nps(filters: MetricFilters) -> Figure:
    counts = survey_counts(filters, csat=False)
    if counts is None or not counts.nps_answers:
        return figure("nps", None, 0)
    score = 100 * (counts.nps_promoters - counts.nps_detractors) / counts.nps_answers
    return figure("nps", score, counts.nps_answers)


def relationship_scorecard(*, filters: MetricFilters, user: Any, now: datetime | None = None) -> list[Figure]:
    """Every figure of the relationship scorecard over the filters, for a user allowed to see it (the commitments
    are those the user may see)."""
    return relationship_scorecards(periods=[filters], user=user, now=now)[0]


def relationship_scorecards(
    *, periods: Sequence[MetricFilters], user: Any, now: datetime | None = None
) -> list[list[Figure]]:
    """The relationship scorecard over several periods with the same filters (the dashboards' period and the one
    before), the currency of money figures found and the orders summed by currency once for them all."""
    if len({dataclasses.replace(period, start=EPOCH, end=EPOCH) for period in periods}) != 1:
        raise ValueError("The periods of relationship_scorecards() differ only by their dates.")
    moment = now or timezone.now()
    currency = main_currency()
    return [
        [
            *_retention(accounts_in_scope(filters), filters),
            *_revenue(filters, currency, currency_rows),
            _nps(filters),
            _check_ins(filters, moment),
            _commitments(filters, user, moment),
            _waiting(filters, moment),
            _health(accounts_in_scope(filters), filters),
            _lifetime_value(filters),
        ]
        for filters, currency_rows in zip(periods, _by_currency(periods), strict=True)
    ]
