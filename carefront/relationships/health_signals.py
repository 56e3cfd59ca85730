"""The signals a client's health score is made of, each read for a whole batch of accounts in one query.

A signal turns what happened with an account into a number from 0 (bad) to 1 (good), or None when there is
nothing to judge by (no check-in was due, no commitment came due, no orders): the score then leaves it out and
shares its weight among the others. Each reading keeps the facts it came from (`facts`, plain JSON), so that its
explanation is written when it is shown, in the reader's language.

The registry is the extension point: another app adds a signal with `health_signal_register()` from its
`AppConfig.ready()` (issue 10's feedback app will add NPS and CSAT this way); its weight and window are then set in
the same settings, with no migration.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, DecimalField, Q, Sum, Value, When
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carefront.accounts.models import Order
from carefront.desk.models import Priority, Ticket
from carefront.relationships.models import (
    CheckIn,
    CheckInState,
    Commitment,
    CommitmentState,
    Dependency,
    DependencyState,
)

# A ticket's weight in the ticket load, by priority: an urgent ticket weighs as much as eight low ones.
TICKET_WEIGHTS = {Priority.LOW: Decimal("0.5"), Priority.NORMAL: Decimal(1), Priority.HIGH: Decimal(2)}
TICKET_URGENT_WEIGHT = Decimal(4)
# An open dependency not yet due costs a quarter of a late one.
DEPENDENCY_OPEN_COST = 0.25
# Spend as high as in the window before scores this much; spend doubled or more scores 1.
SPEND_FLAT = 0.8


@dataclass(frozen=True)
class HealthConfig:
    """The settings one computation reads: weights, windows, bands, the usual ticket load, how money compares."""

    weights: dict[str, float]
    windows: dict[str, int]
    red_below: int
    amber_below: int
    ticket_norm: int
    # The insights' currency of value and exchange rates (see the spend signal); empty: each account's own.
    currency: str = ""
    rates: dict[str, Decimal] = field(default_factory=dict)

    def weight(self, key: str) -> float:
        return float(self.weights.get(key, SIGNALS[key].default_weight if key in SIGNALS else 0))

    def window(self, key: str) -> int:
        return int(self.windows.get(key, SIGNALS[key].default_window if key in SIGNALS else 90) or 90)


@dataclass(frozen=True)
class Reading:
    """One signal of one account: its value from 0 to 1 (None: no data, left out of the score) and its facts."""

    value: float | None
    facts: dict[str, Any]


Read = Callable[[Sequence[int], HealthConfig, datetime], dict[int, Reading]]


@dataclass(frozen=True)
class Signal:
    """A kind of evidence about a client's health: how to read it for many accounts and how to explain it."""

    key: str
    label: str | Promise
    default_weight: float
    default_window: int | None
    read: Read
    explain: Callable[[dict[str, Any]], str]


SIGNALS: dict[str, Signal] = {}


def health_signal_register(signal: Signal) -> None:
    """Add (or replace) a signal; its key is what the settings and stored contributions name it by."""
    SIGNALS[signal.key] = signal


def health_signals() -> list[Signal]:
    return list(SIGNALS.values())


def accounts_filter(ids: Sequence[int]) -> Q:
    """The rows of these client accounts (sorted ids). A batch of the full recompute is every client between its
    first and last id: read as that range of client accounts (a thousand ids through `__in` cost Django more to
    prepare than the database to query); a few scattered ids (the sweep of stale ones) as the list. The reader
    looks up its own ids, so the rows of other clients in a range cost a little and change nothing."""
    if len(ids) > 100 and ids[-1] - ids[0] < 50 * len(ids):
        return Q(account_id__gte=ids[0], account_id__lte=ids[-1], account__service_model="client")
    return Q(account_id__in=ids)


def _since(config: HealthConfig, key: str, now: datetime) -> datetime:
    return now - timedelta(days=config.window(key))


# --- check-in adherence --------------------------------------------------------------------------


# Adherence is held ÷ (held + missed) of the check-ins scheduled in a window (cancelled and still scheduled ones
# left out): the health score and the relationship scorecard (insights.metrics) both count it with these.
CHECK_INS_DECIDED = Q(state__in=[CheckInState.HELD, CheckInState.MISSED])


def check_in_adherence_counts() -> dict[str, Count]:
    return {
        "held": Count("pk", filter=Q(state=CheckInState.HELD)),
        "missed": Count("pk", filter=Q(state=CheckInState.MISSED)),
    }


def check_in_adherence(held: int, missed: int) -> float | None:
    return held / (held + missed) if held + missed else None


def _check_ins_read(ids: Sequence[int], config: HealthConfig, now: datetime) -> dict[int, Reading]:
    days = config.window("check_ins")
    counts = check_in_adherence_counts()
    rows = (
        CheckIn.objects.filter(
            CHECK_INS_DECIDED,
            accounts_filter(ids),
            scheduled_at__gte=_since(config, "check_ins", now),
            scheduled_at__lt=now,
        )
        .order_by()
        .values("account_id")
        .annotate(held=counts["held"], missed=counts["missed"])
        .values_list("account_id", "held", "missed")
    )
    found = {account_id: (held, missed) for account_id, held, missed in rows}
    readings = {}
    for account_id in ids:
        held, missed = found.get(account_id, (0, 0))
        value = check_in_adherence(held, missed)
        readings[account_id] = Reading(value, {"held": held, "missed": missed, "days": days})
    return readings


def _check_ins_explain(facts: dict[str, Any]) -> str:
    total = facts["held"] + facts["missed"]
    if not total:
        return _("No check-in was due in the last {days} days: left out of the score.").format(days=facts["days"])
    return _("{held} of {total} check-ins held in the last {days} days.").format(
        held=facts["held"], total=total, days=facts["days"]
    )


# --- commitments kept on time --------------------------------------------------------------------


def _commitments_read(ids: Sequence[int], config: HealthConfig, now: datetime) -> dict[int, Reading]:
    """Kept ÷ (kept + late), as the on-time rate counts them, of the commitments due in the window; a late one still
    owed counts whatever its age."""
    # The on-time rate's own definition (selectors imports the services, which mark health stale: read it here).
    from carefront.relationships.selectors import _rate_counts

    days = config.window("commitments")
    still_owed = Q(state=CommitmentState.LATE, done_at__isnull=True)
    rows: Any = (
        Commitment.objects.filter(accounts_filter(ids))  # type: ignore[misc]
        .filter(Q(due_at__gte=_since(config, "commitments", now)) | still_owed)
        .order_by()
        .values("account_id")
        .annotate(**_rate_counts(now))
        .values_list("account_id", "kept", "late")
    )
    found = {account_id: (kept, late) for account_id, kept, late in rows}
    readings = {}
    for account_id in ids:
        kept, late = found.get(account_id, (0, 0))
        value = kept / (kept + late) if kept + late else None
        readings[account_id] = Reading(value, {"kept": kept, "late": late, "days": days})
    return readings


def _commitments_explain(facts: dict[str, Any]) -> str:
    total = facts["kept"] + facts["late"]
    if not total:
        return _("No commitment came due in the last {days} days: left out of the score.").format(days=facts["days"])
    return _("{kept} of {total} commitments kept on time in the last {days} days.").format(
        kept=facts["kept"], total=total, days=facts["days"]
    )


# --- what the client owes us ---------------------------------------------------------------------


def _dependencies_read(ids: Sequence[int], config: HealthConfig, now: datetime) -> dict[int, Reading]:
    """1 ÷ (1 + late + ¼ × open not yet due) of the dependencies open now; 1 when the client owes nothing but had
    dependencies resolved in the window; no data when it had none."""
    days = config.window("dependencies")
    is_open = Q(state=DependencyState.OPEN)
    rows = (
        Dependency.objects.filter(accounts_filter(ids))
        .filter(is_open | Q(resolved_at__gte=_since(config, "dependencies", now)))
        .order_by()
        .values("account_id")
        .annotate(
            open=Count("pk", filter=is_open),
            late=Count("pk", filter=is_open & Q(due_at__lt=now)),
            resolved=Count("pk", filter=~is_open),
        )
        .values_list("account_id", "open", "late", "resolved")
    )
    found = {row[0]: row[1:] for row in rows}
    readings = {}
    for account_id in ids:
        opened, late, resolved = found.get(account_id, (0, 0, 0))
        value = None
        if opened or resolved:
            value = 1 / (1 + late + DEPENDENCY_OPEN_COST * (opened - late))
        readings[account_id] = Reading(value, {"open": opened, "late": late, "resolved": resolved, "days": days})
    return readings


def _dependencies_explain(facts: dict[str, Any]) -> str:
    if facts["open"]:
        return _("{open} open dependencies, {late} of them late.").format(open=facts["open"], late=facts["late"])
    if facts["resolved"]:
        return _("The client owes us nothing now ({resolved} delivered or cancelled in the last {days} days).").format(
            resolved=facts["resolved"], days=facts["days"]
        )
    return _("No dependencies in the last {days} days: left out of the score.").format(days=facts["days"])


# --- tickets -------------------------------------------------------------------------------------


def _ticket_weight() -> Case:
    whens = [When(priority=priority, then=Value(weight)) for priority, weight in TICKET_WEIGHTS.items()]
    return Case(
        *whens,
        default=Value(TICKET_URGENT_WEIGHT),
        output_field=DecimalField(max_digits=12, decimal_places=1),
    )


def _tickets_read(ids: Sequence[int], config: HealthConfig, now: datetime) -> dict[int, Reading]:
    """norm ÷ (norm + load): the load is the window's tickets weighted by priority (low ½, normal 1, high 2,
    urgent 4); no tickets reads 1, the usual load 0.5. Merged tickets are counted once, in the one they joined."""
    days, norm = config.window("tickets"), config.ticket_norm
    rows = (
        Ticket.objects.filter(
            accounts_filter(ids), created_at__gte=_since(config, "tickets", now), merged_into__isnull=True
        )
        .order_by()
        .values("account_id")
        .annotate(
            tickets=Count("pk"),
            urgent=Count("pk", filter=Q(priority=Priority.URGENT)),
            high=Count("pk", filter=Q(priority=Priority.HIGH)),
            load=Sum(_ticket_weight()),
        )
    )
    found = {row["account_id"]: row for row in rows}
    readings = {}
    for account_id in ids:
        row = found.get(account_id)
        tickets, urgent, high = (row["tickets"], row["urgent"], row["high"]) if row else (0, 0, 0)
        load = float(row["load"] or 0) if row else 0.0
        facts = {"tickets": tickets, "urgent": urgent, "high": high, "load": load, "norm": norm, "days": days}
        readings[account_id] = Reading(norm / (norm + load), facts)
    return readings


def _tickets_explain(facts: dict[str, Any]) -> str:
    if not facts["tickets"]:
        return _("No tickets in the last {days} days.").format(days=facts["days"])
    return _(
        "{tickets} tickets in the last {days} days ({urgent} urgent, {high} high): a load of {load} against a usual "
        "{norm}."
    ).format(
        tickets=facts["tickets"],
        days=facts["days"],
        urgent=facts["urgent"],
        high=facts["high"],
        load=number_format(facts["load"], 1),
        norm=facts["norm"],
    )


# --- spend trend ---------------------------------------------------------------------------------


def _spend_value(recent: Decimal, before: Decimal) -> float | None:
    """0.8 × recent ÷ before up to flat spend, then up to 1 when it doubled; 1 when spending began; None for no
    spend in either window."""
    if before <= 0:
        return 1.0 if recent > 0 else None
    ratio = float(recent / before)
    if ratio <= 1:
        return SPEND_FLAT * ratio
    return min(1.0, SPEND_FLAT + (1 - SPEND_FLAT) * (ratio - 1))


def _spend_pick(
    by_currency: dict[str, tuple[Decimal, Decimal, int]], config: HealthConfig
) -> tuple[str, Decimal, Decimal, list[str]]:
    """The currency the trend is read in, the two windows' spend in it, and the currencies left out.

    With a currency of value (Settings → Insights), every currency with an exchange rate is converted at today's
    rate, the same for both windows (so a moving rate makes no trend); one without a rate is left out. Without
    one, the account's own main currency (most orders, then most spent) and nothing else: amounts in different
    currencies are never added up.
    """
    if config.currency:
        recent = before = Decimal(0)
        left_out = []
        for code, (now_spend, then_spend, _orders) in sorted(by_currency.items()):
            rate = Decimal(1) if code == config.currency else config.rates.get(code)
            if rate is None:
                left_out.append(code)
                continue
            recent += now_spend * rate
            before += then_spend * rate
        return config.currency, recent, before, left_out
    main = max(
        sorted(by_currency), key=lambda code: (by_currency[code][2], by_currency[code][0] + by_currency[code][1])
    )
    return main, by_currency[main][0], by_currency[main][1], sorted(set(by_currency) - {main})


def _spend_read(ids: Sequence[int], config: HealthConfig, now: datetime) -> dict[int, Reading]:
    days = config.window("spend")
    start = _since(config, "spend", now)
    money = DecimalField(max_digits=18, decimal_places=2)
    rows = (
        Order.objects.filter(accounts_filter(ids), placed_at__gte=start - timedelta(days=days), placed_at__lt=now)
        .order_by()
        .values("account_id", "currency")
        .annotate(
            recent=Sum("amount", filter=Q(placed_at__gte=start), output_field=money, default=Decimal(0)),
            before=Sum("amount", filter=Q(placed_at__lt=start), output_field=money, default=Decimal(0)),
            orders=Count("pk"),
        )
    )
    spend: dict[int, dict[str, tuple[Decimal, Decimal, int]]] = defaultdict(dict)
    for row in rows:
        spend[row["account_id"]][row["currency"]] = (
            row["recent"] or Decimal(0),
            row["before"] or Decimal(0),
            row["orders"],
        )
    readings = {}
    for account_id in ids:
        if account_id not in spend:
            readings[account_id] = Reading(None, {"days": days, "currency": "", "recent": "0", "before": "0"})
            continue
        currency, recent, before, left_out = _spend_pick(spend[account_id], config)
        facts = {
            "days": days,
            "currency": currency,
            "recent": str(recent.quantize(Decimal("0.01"))),
            "before": str(before.quantize(Decimal("0.01"))),
            "left_out": left_out,
        }
        readings[account_id] = Reading(_spend_value(recent, before), facts)
    return readings


def _spend_explain(facts: dict[str, Any]) -> str:
    recent, before = Decimal(facts["recent"]), Decimal(facts["before"])
    days, currency = facts["days"], facts["currency"]
    if not recent and not before:
        return _("No orders in the last {days} days nor in the {days} before: left out of the score.").format(days=days)
    amounts = {
        "recent": number_format(recent, 2, force_grouping=True),
        "before": number_format(before, 2, force_grouping=True),
        "currency": currency,
        "days": days,
    }
    if not before:
        text = _("Spending began: {recent} {currency} in the last {days} days, none in the {days} before.")
        text = text.format(**amounts)
    else:
        change = round(100 * (recent - before) / before)
        text = _(
            "{recent} {currency} in the last {days} days against {before} {currency} in the {days} before ({change} %)."
        ).format(change=f"{change:+d}", **amounts)
    if facts.get("left_out"):
        text += " " + _("Orders in {currencies} are left out.").format(currencies=", ".join(facts["left_out"]))
    return text


for _signal in (
    Signal("check_ins", gettext_lazy("Check-ins held"), 3, 90, _check_ins_read, _check_ins_explain),
    Signal("commitments", gettext_lazy("Commitments kept on time"), 3, 90, _commitments_read, _commitments_explain),
    Signal("dependencies", gettext_lazy("What the client owes"), 2, 90, _dependencies_read, _dependencies_explain),
    Signal("tickets", gettext_lazy("Ticket load"), 2, 30, _tickets_read, _tickets_explain),
    Signal("spend", gettext_lazy("Spend trend"), 2, 90, _spend_read, _spend_explain),
):
    health_signal_register(_signal)
