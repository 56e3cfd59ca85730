"""Reading what the models need from the database as NumPy arrays, and scoring accounts with them.

Nothing here writes: `carefront.insights.services` stores what these functions compute. Every read is a
set-based query over a batch of accounts (a range of ids, or a list), never a query per account, and
every computation is vectorised over the batch.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
from django.conf import settings
from django.db import connection
from django.db.models import Case, Count, FloatField, Func, Q, QuerySet, Sum, Value, When, Window
from django.db.models.functions import Cast, Coalesce, DenseRank, NullIf

from carefront.accounts.models import Account, Order, OrderItem, ServiceModel
from carefront.core.models import Role
from carefront.core.selectors import cost_rates
from carefront.desk.models import Message, Ticket
from carefront.insights import baskets, lifetime
from carefront.insights.advisor import Advised, Inputs, Thresholds, advise
from carefront.insights.models import InsightSettings, ModelFit, RfmSegment, TimeUnit
from carefront.insights.rfm import RfmBreaks, rfm_breaks, rfm_scores, rfm_segments

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

DAY_SECONDS = 86400
YEAR_DAYS = 365.25
READ_CHUNK = 20_000


class EpochSeconds(Func):
    """A timestamp as whole seconds since 1970, in each database's own words."""

    output_field = FloatField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)", **extra
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="EXTRACT(EPOCH FROM %(expressions)s)::float8", **extra)


def unit_days(time_unit: str) -> float:
    return 7.0 if time_unit == TimeUnit.WEEKS else 1.0


@dataclass(frozen=True)
class OrderLog:
    """Orders as arrays: buying account, day (days since 1970, UTC), amount, and whether it is in the currency."""

    account_ids: Ints
    days: Ints
    amounts: Floats
    valued: npt.NDArray[np.bool_]


def batch_q(*, account_ids: Sequence[int] | None = None, id_range: tuple[int, int] | None = None) -> Q:
    """A batch of accounts as a condition on `account_id`."""
    return _accounts_filter(account_ids, id_range, "account_id")


def _accounts_filter(account_ids: Sequence[int] | None, id_range: tuple[int, int] | None, field: str) -> Q:
    if account_ids is not None:
        return Q(**{f"{field}__in": list(account_ids)})
    if id_range is not None:
        return Q(**{f"{field}__gte": id_range[0], f"{field}__lt": id_range[1]})
    return Q()


def order_log(
    *,
    currency: str,
    rates: dict[str, float] | None = None,
    account_ids: Sequence[int] | None = None,
    id_range: tuple[int, int] | None = None,
    until: datetime | None = None,
) -> OrderLog:
    """Every order of the accounts named (all accounts when none are), read in chunks without model objects,
    with amounts in `currency` (converted at `rates`; an order in a currency without a rate is not valued)."""
    worth = {**(rates or {}), currency: 1.0}
    # The rate of each order's currency, in SQL: every column read is then a number, and the rows become one
    # NumPy array without a Python step per order. 0 marks a currency without a rate (not valued).
    rate = Case(
        *(When(currency=code, then=Value(float(value))) for code, value in sorted(worth.items())),
        default=Value(0.0),
        output_field=FloatField(),
    )
    queryset = (
        Order.objects.filter(_accounts_filter(account_ids, id_range, "account_id"))
        .order_by()
        .annotate(seconds=EpochSeconds("placed_at"), value=Cast("amount", FloatField()), rate=rate)
        .values_list("account_id", "seconds", "value", "rate")
    )
    table = numeric_rows(queryset, columns=4)
    if until is not None:
        # Scoring as of a past moment (a historical log) sees only what had happened by then. Cut here, not in
        # SQL: a condition on placed_at made SQLite walk its index and fetch two million rows one by one.
        table = table[table[:, 1] <= until.timestamp()]
    rates_of = table[:, 3]
    return OrderLog(
        account_ids=table[:, 0].astype(np.int64),
        days=(table[:, 1] // DAY_SECONDS).astype(np.int64),
        amounts=table[:, 2] * rates_of,
        valued=rates_of > 0,
    )


def numeric_rows(queryset: QuerySet[Any], *, columns: int) -> Floats:
    """A values_list of numbers as a (rows × columns) float array, read in chunks straight from the cursor.

    Django would convert each value of each row on the way (a Python call per value, most of the time of
    reading a million orders); these columns are plain numbers the driver already returns as such.
    """
    sql, params = queryset.query.sql_with_params()
    chunks: list[Floats] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(READ_CHUNK * 5):
            chunks.append(np.asarray(rows, dtype=np.float64))
    return np.concatenate(chunks) if chunks else np.empty((0, columns), dtype=np.float64)


def exchange_rates(settings_row: InsightSettings) -> dict[str, float]:
    return {code: float(rate) for code, rate in (settings_row.exchange_rates or {}).items()}


def value_currency(settings_row: InsightSettings) -> str:
    """The currency orders are valued in: the one chosen, else the one most orders are in, else the cost currency."""
    if settings_row.currency:
        return settings_row.currency
    top = Order.objects.order_by().values("currency").annotate(n=Count("id")).order_by("-n", "currency").first()
    return str(top["currency"]) if top else settings.CAREFRONT_COST_CURRENCY


@dataclass(frozen=True)
class Fits:
    """The population models every account is scored with."""

    bg_nbd: lifetime.BgNbdFit | None
    gamma_gamma: lifetime.GammaGammaFit | None
    rfm: RfmBreaks | None
    currency: str
    time_unit: str
    problems: dict[str, str]


def _as_datetime64(days: Ints) -> npt.NDArray[np.datetime64]:
    return days.astype("datetime64[D]")


def summary_of(log: OrderLog, *, today: int, time_unit: str) -> lifetime.Summary:
    """BG/NBD and Gamma-Gamma inputs of each account in the log, valued orders only counting as money."""
    amounts = np.where(log.valued, log.amounts, 0.0)
    return lifetime.rfm_summary(
        log.account_ids,
        _as_datetime64(log.days),
        amounts,
        observation_end=np.datetime64(int(today), "D"),
        unit_days=unit_days(time_unit),
    )


FitT = TypeVar("FitT")
# Tried in turn when the plain maximum-likelihood fit is refused because a parameter runs off: small or
# uniform customer bases (a few hundred accounts) often cannot pin every parameter down on their own.
FALLBACK_PENALTIES = (0.01, 0.1)


def _fit_with_fallback(fit: Callable[[float], FitT]) -> tuple[FitT | None, str]:
    """The plain fit, else the first penalised fit that holds (saying so), else None and why not."""
    try:
        return fit(0.0), ""
    except lifetime.FitError as exc:
        refused = str(exc)
    for penalty in FALLBACK_PENALTIES:
        try:
            fitted = fit(penalty)
        except lifetime.FitError:
            continue
        return fitted, f"Fitted with a penalty of {penalty} (a ridge on the log-parameters) because: {refused}"
    return None, refused


def population_fit(*, settings_row: InsightSettings, now: datetime) -> Fits:
    """Fit BG/NBD, Gamma-Gamma and the RFM quintile breaks on every account's orders."""
    currency = value_currency(settings_row)
    log = order_log(currency=currency, rates=exchange_rates(settings_row), until=now)
    today = int(now.timestamp() // DAY_SECONDS)
    problems: dict[str, str] = {}
    bg: lifetime.BgNbdFit | None = None
    gg: lifetime.GammaGammaFit | None = None
    breaks: RfmBreaks | None = None
    if log.account_ids.size:
        summary = summary_of(log, today=today, time_unit=settings_row.time_unit)
        bg, problems[ModelFit.Kind.BG_NBD] = _fit_with_fallback(
            lambda penalty: lifetime.bgnbd_fit(summary.frequency, summary.recency, summary.T, penalty=penalty)
        )
        repeat = (summary.frequency > 0) & (summary.monetary > 0)
        gg, problems[ModelFit.Kind.GAMMA_GAMMA] = _fit_with_fallback(
            lambda penalty: lifetime.gamma_gamma_fit(
                summary.frequency[repeat], summary.monetary[repeat], penalty=penalty
            )
        )
        facts = order_facts(log, today=today)
        breaks = rfm_breaks(recency_days=facts.recency_days, frequency=facts.orders, monetary=facts.spend)
    else:
        problems[ModelFit.Kind.BG_NBD] = "There are no orders yet."
        problems[ModelFit.Kind.GAMMA_GAMMA] = "There are no orders yet."
        problems[ModelFit.Kind.RFM] = "There are no orders yet."
    return Fits(
        bg_nbd=bg, gamma_gamma=gg, rfm=breaks, currency=currency, time_unit=settings_row.time_unit, problems=problems
    )


def fits_params(fits: Fits) -> dict[str, dict[str, Any] | None]:
    """Each fit's parameters as JSON, by kind."""
    return {
        ModelFit.Kind.BG_NBD: asdict(fits.bg_nbd) if fits.bg_nbd else None,
        ModelFit.Kind.GAMMA_GAMMA: asdict(fits.gamma_gamma) if fits.gamma_gamma else None,
        ModelFit.Kind.RFM: fits.rfm.as_json() if fits.rfm else None,
    }


def fits_from_rows(rows: dict[str, ModelFit], *, settings_row: InsightSettings) -> Fits:
    """The fits stored by the last full refresh, as objects again."""
    bg_row, gg_row, rfm_row = (rows.get(kind) for kind in ModelFit.Kind.values)
    return Fits(
        bg_nbd=lifetime.BgNbdFit(**bg_row.params) if bg_row and bg_row.params else None,
        gamma_gamma=lifetime.GammaGammaFit(**gg_row.params) if gg_row and gg_row.params else None,
        rfm=RfmBreaks.from_json(rfm_row.params) if rfm_row and rfm_row.params else None,
        currency=(bg_row.currency if bg_row else "") or value_currency(settings_row),
        time_unit=bg_row.time_unit if bg_row else settings_row.time_unit,
        problems={kind: row.problem for kind, row in rows.items() if row.problem},
    )


@dataclass(frozen=True)
class OrderFacts:
    """Per account of a log (sorted by id): orders, recency, spend and their trend."""

    account_ids: Ints
    orders: Floats
    orders_12m: Floats
    first_day: Ints
    last_day: Ints
    recency_days: Floats
    spend: Floats
    spend_12m: Floats
    spend_prior_12m: Floats
    unvalued: Floats


def order_facts(log: OrderLog, *, today: int) -> OrderFacts:
    """Grouped sums over the log with NumPy (one pass of `bincount` per measure)."""
    ids, index = np.unique(log.account_ids, return_inverse=True)
    size = ids.size
    valued_amounts = np.where(log.valued, log.amounts, 0.0)
    age = today - log.days
    last_year = age < YEAR_DAYS
    year_before = (age >= YEAR_DAYS) & (age < 2 * YEAR_DAYS)
    first_day = np.full(size, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_day, index, log.days)
    last_day = np.full(size, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last_day, index, log.days)
    return OrderFacts(
        account_ids=ids,
        orders=np.bincount(index, minlength=size).astype(np.float64),
        orders_12m=np.bincount(index, weights=last_year.astype(np.float64), minlength=size).astype(np.float64),
        first_day=first_day,
        last_day=last_day,
        recency_days=(today - last_day).astype(np.float64),
        spend=np.bincount(index, weights=valued_amounts, minlength=size).astype(np.float64),
        spend_12m=np.bincount(index, weights=valued_amounts * last_year, minlength=size).astype(np.float64),
        spend_prior_12m=np.bincount(index, weights=valued_amounts * year_before, minlength=size).astype(np.float64),
        unvalued=np.bincount(index, weights=(~log.valued).astype(np.float64), minlength=size).astype(np.float64),
    )


@dataclass(frozen=True)
class AccountRows:
    """The accounts of a batch: id, whether a client, and since when we know them."""

    ids: Ints
    is_client: npt.NDArray[np.bool_]
    created_day: Ints
    owner_ids: list[int | None]
    names: list[str]


def account_rows(*, account_ids: Sequence[int] | None = None, id_range: tuple[int, int] | None = None) -> AccountRows:
    rows = list(
        Account.objects.filter(_accounts_filter(account_ids, id_range, "id"))
        .order_by("id")
        .annotate(seconds=EpochSeconds("created_at"))
        .values_list("id", "service_model", "seconds", "owner_id", "name")
    )
    return AccountRows(
        ids=np.asarray([row[0] for row in rows], dtype=np.int64),
        is_client=np.asarray([row[1] == ServiceModel.CLIENT for row in rows], dtype=bool),
        created_day=(np.asarray([row[2] for row in rows], dtype=np.float64) // DAY_SECONDS).astype(np.int64),
        owner_ids=[row[3] for row in rows],
        names=[row[4] for row in rows],
    )


def _spread(ids: Ints, source_ids: Ints, values: Any, fill: float) -> Floats:
    """Values keyed by `source_ids` laid out in the order of `ids` (both sorted), `fill` where missing."""
    out = np.full(ids.size, fill, dtype=np.float64)
    if source_ids.size:
        position = np.searchsorted(ids, source_ids)
        out[position] = values
    return out


@dataclass(frozen=True)
class TicketFacts:
    tickets_12m: dict[int, int]
    complex_12m: dict[int, int]
    complex_topic: dict[int, str]


def ticket_facts(filter_q: Q, *, since: datetime, until: datetime) -> TicketFacts:
    """Tickets and L2/L3 tickets of the last twelve months per account, and the tag those deeper ones share most."""
    tickets: QuerySet[Ticket] = Ticket.objects.filter(
        filter_q, created_at__gte=since, created_at__lte=until, merged_into__isnull=True
    )
    counts = tickets.order_by().values("account_id").annotate(n=Count("id"), deep=Count("id", filter=Q(tier__gte=2)))
    tag_rows = (
        Ticket.tags.through.objects.filter(
            ticket__in=tickets.filter(tier__gte=2).values("pk"),
        )
        .order_by()
        .values_list("ticket__account_id", "tag__name")
        .annotate(n=Count("id"))
    )
    topics: dict[int, Counter[str]] = {}
    for account_id, name, n in tag_rows:
        topics.setdefault(account_id, Counter())[name] += n
    return TicketFacts(
        tickets_12m={row["account_id"]: row["n"] for row in counts},
        complex_12m={row["account_id"]: row["deep"] for row in counts if row["deep"]},
        complex_topic={account_id: tally.most_common(1)[0][0] for account_id, tally in topics.items()},
    )


def cost_per_month(filter_q: Q, *, since: datetime, until: datetime, months: float) -> dict[int, float]:
    """Staff minutes recorded on each account's tickets since `since`, by role, at the roles' rates, per month."""
    rates = cost_rates()
    rows = (
        Message.objects.filter(filter_q, created_at__gte=since, created_at__lte=until, minutes_spent__gt=0)
        .order_by()
        .values_list("account_id", "author_user__staff_profile__role")
        .annotate(minutes=Sum("minutes_spent"))
    )
    cost: dict[int, float] = {}
    for account_id, role, minutes in rows:
        hourly = float(rates.get(str(role or ""), Decimal(0)))
        cost[account_id] = cost.get(account_id, 0.0) + minutes * hourly / 60 / months
    return cost


def client_cost_per_month(settings_row: InsightSettings) -> float:
    """What a month of client service costs: the advisor's hours at the advisor's rate."""
    hourly = cost_rates().get(Role.ADVISOR, Decimal(0))
    return float(settings_row.advisor_hours_per_month * hourly)


@dataclass(frozen=True)
class Scored:
    """A batch of accounts with everything the insight rows and the advisor need."""

    accounts: AccountRows
    facts: OrderFacts
    orders: Floats
    recency_score: Ints
    frequency_score: Ints
    monetary_score: Ints
    segment: npt.NDArray[np.object_]
    p_alive: Floats
    expected_purchases: Floats
    clv: Floats
    cost_month: Floats
    client_cost_month: float
    inputs: Inputs
    advised: Advised
    currency: str


def score_batch(
    *,
    fits: Fits,
    settings_row: InsightSettings,
    thresholds: Thresholds,
    now: datetime,
    account_ids: Sequence[int] | None = None,
    id_range: tuple[int, int] | None = None,
) -> Scored:
    """Score one batch of accounts: RFM, P(alive), expected purchases, CLV, cost to serve, and the advice."""
    accounts = account_rows(account_ids=account_ids, id_range=id_range)
    ids = accounts.ids
    today = int(now.timestamp() // DAY_SECONDS)
    log = order_log(
        currency=fits.currency,
        rates=exchange_rates(settings_row),
        account_ids=account_ids,
        id_range=id_range,
        until=now,
    )
    facts = order_facts(log, today=today)

    def spread(values: Any, fill: float = 0.0) -> Floats:
        return _spread(ids, facts.account_ids, values, fill)

    orders = spread(facts.orders)
    has_orders = orders > 0
    recency_days = spread(facts.recency_days, np.nan)
    size = ids.size
    r_score = np.zeros(size, dtype=np.int64)
    f_score = np.zeros(size, dtype=np.int64)
    m_score = np.zeros(size, dtype=np.int64)
    segment = np.full(size, RfmSegment.NO_ORDERS.value, dtype=object)
    if fits.rfm is not None and has_orders.any():
        r, f, m = rfm_scores(
            recency_days=facts.recency_days, frequency=facts.orders, monetary=facts.spend, breaks=fits.rfm
        )
        position = np.searchsorted(ids, facts.account_ids)
        r_score[position], f_score[position], m_score[position] = r, f, m
        segment[position] = rfm_segments(r, f, m)

    p_alive = np.full(size, np.nan)
    expected = np.full(size, np.nan)
    clv = np.full(size, np.nan)
    if log.account_ids.size and fits.bg_nbd is not None:
        summary = summary_of(log, today=today, time_unit=fits.time_unit)
        days_per_unit = unit_days(fits.time_unit)
        horizon_units = settings_row.horizon_months * 30.4375 / days_per_unit
        position = np.searchsorted(ids, summary.customer_ids)
        p_alive[position] = lifetime.bgnbd_p_alive(fits.bg_nbd, summary.frequency, summary.recency, summary.T)
        expected[position] = lifetime.bgnbd_expected_purchases(
            fits.bg_nbd, horizon_units, summary.frequency, summary.recency, summary.T
        )
        if fits.gamma_gamma is not None:
            clv[position] = lifetime.clv_discounted(
                fits.bg_nbd,
                fits.gamma_gamma,
                summary.frequency,
                summary.recency,
                summary.T,
                summary.monetary,
                months=settings_row.horizon_months,
                annual_discount_rate=float(settings_row.annual_discount_rate),
                unit_days=days_per_unit,
            )

    year_ago = now - timedelta(days=YEAR_DAYS)
    batch_q = _accounts_filter(account_ids, id_range, "account_id")
    tickets = ticket_facts(batch_q, since=year_ago, until=now)
    cost = cost_per_month(batch_q, since=year_ago, until=now, months=12.0)
    client_month = client_cost_per_month(settings_row)
    comparable = fits.currency == settings.CAREFRONT_COST_CURRENCY
    id_list = ids.tolist()
    cost_month = np.asarray([cost.get(account_id, 0.0) for account_id in id_list], dtype=np.float64)
    first_day = spread(facts.first_day, np.nan)
    last_day = spread(facts.last_day, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        days_between = np.where(orders >= 2, (last_day - first_day) / (orders - 1), np.nan)
    tenure_from = np.where(has_orders, np.fmin(first_day, accounts.created_day), accounts.created_day)
    inputs = Inputs(
        is_client=accounts.is_client,
        orders=orders,
        orders_12m=spread(facts.orders_12m),
        days_since_last_order=recency_days,
        days_between_orders=days_between,
        spend_12m=spread(facts.spend_12m),
        spend_prior_12m=spread(facts.spend_prior_12m),
        unvalued_orders=spread(facts.unvalued),
        p_alive=p_alive,
        clv=clv,
        cost_year=cost_month * 12 if comparable else np.full(size, np.nan),
        client_cost_year=np.full(size, client_month * 12 if comparable else np.nan),
        tickets_12m=np.asarray([tickets.tickets_12m.get(i, 0) for i in id_list], dtype=np.float64),
        complex_tickets_12m=np.asarray([tickets.complex_12m.get(i, 0) for i in id_list], dtype=np.float64),
        tenure_days=(today - tenure_from).astype(np.float64),
        complex_topic=np.asarray([tickets.complex_topic.get(i, "") for i in id_list], dtype=object),
    )
    return Scored(
        accounts=accounts,
        facts=facts,
        orders=orders,
        recency_score=r_score,
        frequency_score=f_score,
        monetary_score=m_score,
        segment=segment,
        p_alive=p_alive,
        expected_purchases=expected,
        clv=clv,
        cost_month=cost_month,
        client_cost_month=client_month,
        inputs=inputs,
        advised=advise(inputs, thresholds),
        currency=fits.currency,
    )


def money(value: float) -> Decimal:
    return Decimal(str(round(float(value), 2)))


def day_to_datetime(day: float) -> datetime | None:
    if np.isnan(day):
        return None
    return datetime.fromtimestamp(int(day) * DAY_SECONDS, tz=UTC)


def item_key(sku: str, name: str) -> str:
    """What counts as the same item: its SKU, else its name (as `ITEM_KEY` says it in SQL)."""
    return sku or name


ITEM_KEY = Coalesce(NullIf("sku", Value("")), "name")


def item_pairs_fit(*, neighbours: int = 20, min_support: int = 2) -> list[tuple[str, str, float, int]]:
    """Each item's most similar items over who bought them (item, other, score, support), from every order item.

    The database numbers the items (a dense rank over their keys), so the millions of order lines arrive as
    numbers in one array; the keys are read once, in the same order, to name the pairs.
    """
    lines = (
        OrderItem.objects.order_by()
        .annotate(rank=Window(DenseRank(), order_by=ITEM_KEY.asc()))
        .values_list("order__account_id", "rank")
    )
    table = numeric_rows(lines, columns=2)
    if not table.size:
        return []
    names = list(OrderItem.objects.annotate(key=ITEM_KEY).order_by("key").values_list("key", flat=True).distinct())
    accounts, account_index = np.unique(table[:, 0].astype(np.int64), return_inverse=True)
    fitted = baskets.item_similarity_fit(
        account_index,
        table[:, 1].astype(np.int64) - 1,
        n_accounts=int(accounts.size),
        n_items=len(names),
        neighbours=neighbours,
        min_support=min_support,
    )
    return [
        (names[item], names[other], float(score), int(support))
        for item, other, score, support in zip(
            fitted.item.tolist(), fitted.neighbour.tolist(), fitted.score.tolist(), fitted.support.tolist(), strict=True
        )
    ]
