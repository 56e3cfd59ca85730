"""The rows behind a figure: the tickets, accounts, survey answers or invitations its formula counts, over the same
filters, built from the same conditions as the scorecards (service.py, relationship.py, the feedback app's counts)
so a drill-down and its figure never disagree.

A drill-down is a queryset ordered newest row first (by id, for keyset pagination), annotated with the columns the
figure needs (a duration, a marker such as "solved before the end", an amount), and `weight`: the column whose sum
is the figure's count when a row stands for several of the rows the figure counts (a ticket with two SLA clocks,
an account with three orders); without one, each row is one of the figure's count.

`part` narrows to one row of a breakdown, as "dimension:key" (`channel:email`, `tier:L2`, `target:resolution`,
`agent:alice`, `band:green`, `currency:EUR`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    DateTimeField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carefront.accounts.models import Account, Order, ServiceModel
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Event
from carefront.desk.models import SlaClock, SlaMetric, Ticket, Tier
from carefront.feedback.metrics import csat_invitations, nps_responses
from carefront.feedback.models import Response
from carefront.insights.metrics.definitions import DEFINITIONS, MetricFilters
from carefront.insights.metrics.relationship import accounts_in_scope, main_currency, retention_base
from carefront.insights.metrics.service import (
    _in,
    backlog_q,
    created_q,
    first_solve_in,
    next_responses,
    one_touch_q,
    sla_achieved_q,
    sla_decided_q,
    solved_q,
    stopped_clocks,
    ticket_scope_q,
    ticket_touches,
    tickets_in_scope,
)
from carefront.insights.metrics.sql import EpochSeconds
from carefront.insights.models import AccountInsight
from carefront.relationships.access import commitments_visible_to
from carefront.relationships.health_signals import CHECK_INS_DECIDED
from carefront.relationships.models import CheckIn, CheckInState, HealthSnapshot, Wait
from carefront.relationships.selectors import Filters, on_time_rates

TICKET, ACCOUNT, RESPONSE, INVITATION = "ticket", "account", "response", "invitation"

# Column units: how a screen formats a value (the CSV writes it as it is).
SECONDS, FLAG, NUMBER, MONEY, TEXT = "seconds", "flag", "number", "money", "text"


@dataclass(frozen=True)
class Column:
    """A figure-specific column of a drill-down: the row's attribute `key`, its heading and unit."""

    key: str
    label: Promise
    unit: str


@dataclass(frozen=True)
class Drill:
    """The rows behind one figure (optionally one part of its breakdown)."""

    name: str
    kind: str  # TICKET, ACCOUNT, RESPONSE or INVITATION
    rows: QuerySet[Any]
    columns: tuple[Column, ...] = ()
    weight: str | None = None
    currency: str = ""
    # Fills columns on a page of rows (one query whatever the page), for what a queryset cannot annotate.
    complete: Callable[[list[Any]], None] | None = None


def _counted(rows: QuerySet[Any], link: str) -> Coalesce:
    """How many of `rows` belong to the outer row (`link` is the column naming it)."""
    sub = rows.filter(**{link: OuterRef("pk")}).order_by().values(link).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(sub, output_field=IntegerField()), 0)


def _summed(rows: QuerySet[Any], link: str, column: str) -> Subquery:
    sub = rows.filter(**{link: OuterRef("pk")}).order_by().values(link).annotate(s=Sum(column)).values("s")
    return Subquery(sub, output_field=DecimalField(max_digits=18, decimal_places=2))


def _flag(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


def _parts(part: str | None, allowed: tuple[str, ...]) -> tuple[str, str] | None:
    if not part:
        return None
    dimension, _sep, key = part.partition(":")
    if dimension not in allowed or not _sep:
        raise ApplicationError(_("This figure has no such breakdown row."), field="part", status=422)
    return dimension, key


def _tier_number(key: str) -> int:
    try:
        return int(Tier[key])
    except KeyError:
        raise ApplicationError(_("Unknown tier."), field="part", status=422) from None


# --- the service scorecard: tickets ----------------------------------------------------------------


def _ticket_drill(name: str, rows: QuerySet[Ticket], *columns: Column, weight: str | None = None) -> Drill:
    return Drill(
        name=name,
        kind=TICKET,
        rows=rows.select_related("account", "assignee", "team").order_by("-pk"),
        columns=columns,
        weight=weight,
    )


def _seconds(label: Promise) -> Column:
    return Column("measure", label, SECONDS)


def _volume(name: str, filters: MetricFilters, part: str | None) -> Drill:
    rows = tickets_in_scope(filters).filter(created_q(filters))
    chosen = _parts(part, ("channel", "tier", "team"))
    if chosen is not None:
        dimension, key = chosen
        if dimension == "channel":
            rows = rows.filter(channel=key)
        elif dimension == "tier":
            rows = rows.filter(tier=_tier_number(key))
        else:
            rows = rows.filter(team__name=key) if key else rows.filter(team__isnull=True)
    return _ticket_drill(name, rows)


def _clock_drill(name: str, scope: QuerySet[Ticket], clocks: QuerySet[Any], label: Promise) -> Drill:
    rows = scope.filter(pk__in=clocks.values("ticket_id")).annotate(
        n=_counted(clocks, "ticket_id"),
        measure=Subquery(clocks.filter(ticket_id=OuterRef("pk")).order_by("-stopped_at").values("v")[:1]),
    )
    return _ticket_drill(name, rows, _seconds(label), Column("n", gettext_lazy("Clocks"), NUMBER), weight="n")


def _durations(name: str, filters: MetricFilters, part: str | None) -> Drill:
    _parts(part, ())
    scope = tickets_in_scope(filters)
    measure = name.rsplit("_", 1)[0]  # without _median / _p90
    responded = scope.filter(_in("first_responded_at", filters))
    solved = scope.filter(solved_q(filters))
    if measure == "first_response_time_calendar":
        rows = responded.annotate(measure=EpochSeconds(F("first_responded_at"), F("created_at")))
        return _ticket_drill(name, rows, _seconds(gettext_lazy("First response")))
    if measure == "first_response_time_business":
        clocks = stopped_clocks(filters, SlaMetric.FIRST_RESPONSE, _in("ticket__first_responded_at", filters))
        return _clock_drill(name, scope, clocks, gettext_lazy("First response, business time"))
    if measure == "next_response_time_calendar":
        replies = next_responses(filters)
        replied = scope.filter(pk__in=replies.values("ticket_id")).annotate(n=_counted(replies, "ticket_id"))
        return _ticket_drill(name, replied, Column("n", gettext_lazy("Replies measured"), NUMBER), weight="n")
    if measure == "next_response_time_business":
        clocks = stopped_clocks(filters, SlaMetric.NEXT_RESPONSE, _in("stopped_at", filters))
        return _clock_drill(name, scope, clocks, gettext_lazy("Next response, business time"))
    if measure == "resolution_time_calendar":
        rows = solved.annotate(measure=EpochSeconds(F("solved_at"), F("created_at")))
        return _ticket_drill(name, rows, _seconds(gettext_lazy("Resolution")))
    if measure == "resolution_time_business":
        clocks = stopped_clocks(filters, SlaMetric.RESOLUTION, _in("ticket__solved_at", filters))
        return _clock_drill(name, scope, clocks, gettext_lazy("Resolution, business time"))
    return _backlog(name, filters, part)


def _backlog(name: str, filters: MetricFilters, part: str | None) -> Drill:
    _parts(part, ())
    rows = (
        tickets_in_scope(filters)
        .filter(backlog_q(filters))
        .annotate(measure=EpochSeconds(Value(filters.end, DateTimeField()), F("created_at")))
    )
    return _ticket_drill(name, rows, _seconds(gettext_lazy("Age at the period's end")))


def _resolution_rate(name: str, filters: MetricFilters, part: str | None) -> Drill:
    _parts(part, ())
    rows = (
        tickets_in_scope(filters)
        .filter(created_q(filters))
        .annotate(marker=_flag(Q(solved_at__lt=filters.end, solved_at__isnull=False)))
    )
    return _ticket_drill(name, rows, Column("marker", gettext_lazy("Solved before the period's end"), FLAG))


def _one_touch(name: str, filters: MetricFilters, part: str | None) -> Drill:
    _parts(part, ())
    touched = ticket_touches(tickets_in_scope(filters).annotate(first_solve=first_solve_in(filters)))
    rows = touched.filter(solved_q(filters)).annotate(marker=_flag(one_touch_q(filters)))
    return _ticket_drill(name, rows, Column("marker", gettext_lazy("One touch, never reopened"), FLAG))


def _reopens(name: str, filters: MetricFilters, part: str | None) -> Drill:
    _parts(part, ())
    touched: QuerySet[Any] = ticket_touches(tickets_in_scope(filters).annotate(first_solve=first_solve_in(filters)))
    rows = touched.filter(first_solve__isnull=False).annotate(marker=F("reopened_after"))
    return _ticket_drill(name, rows, Column("marker", gettext_lazy("Reopened after its solve"), FLAG))


def _sla(name: str, filters: MetricFilters, part: str | None) -> Drill:
    scope = tickets_in_scope(filters)
    # Each clock's ticket checked where it is read (the few merged tickets as a hashed list, a join for the other
    # filters), not `ticket_id IN (every ticket in scope)`, which lists every ticket first.
    clocks = SlaClock.objects.filter(sla_decided_q(filters), ticket_scope_q(filters, "ticket__"))
    chosen = _parts(part, ("target",))
    if chosen is not None:
        clocks = clocks.filter(metric=chosen[1])
    rows = scope.filter(pk__in=clocks.values("ticket_id")).annotate(
        n=_counted(clocks, "ticket_id"), achieved=_counted(clocks.filter(sla_achieved_q(filters)), "ticket_id")
    )
    return _ticket_drill(
        name,
        rows,
        Column("n", gettext_lazy("Clocks decided"), NUMBER),
        Column("achieved", gettext_lazy("Within target"), NUMBER),
        weight="n",
    )


def _solved(name: str, filters: MetricFilters, part: str | None) -> Drill:
    """Tickets solved in the period (the `tickets_solved` total, where the scorecard defines it)."""
    _parts(part, ())
    return _ticket_drill(name, tickets_in_scope(filters).filter(solved_q(filters)))


def _per_agent(name: str, filters: MetricFilters, part: str | None) -> Drill:
    rows = tickets_in_scope(filters).filter(solved_q(filters), assignee__isnull=False)
    chosen = _parts(part, ("agent",))
    if chosen is not None:
        rows = rows.filter(assignee__username=chosen[1])
    return _ticket_drill(name, rows)


def _escalation(name: str, filters: MetricFilters, part: str | None) -> Drill:
    """The tier report's volume is the tier changes of the period (a ticket created at a tier, or moved into it);
    a ticket stands for as many as it had, and its escalations out of a tier are counted beside them."""
    scope = tickets_in_scope(filters)
    # A primary-key lookup per tier change of the period, not `subject_id IN (every ticket in scope)`.
    changes = Event.objects.filter(
        _in("occurred_at", filters),
        Exists(scope.filter(pk=OuterRef("subject_id"))),
        subject_kind=Event.SubjectKind.TICKET,
        field="tier",
    )
    volume, escalated = changes, changes.filter(action="escalated")
    chosen = _parts(part, ("tier",))
    if chosen is not None:
        tier = _tier_number(chosen[1])
        volume, escalated = changes.filter(new_value=tier), escalated.filter(old_value=tier)
    rows = scope.filter(Q(pk__in=volume.values("subject_id")) | Q(pk__in=escalated.values("subject_id"))).annotate(
        n=_counted(volume, "subject_id"), escalated=_counted(escalated, "subject_id")
    )
    return _ticket_drill(
        name,
        rows,
        Column("n", gettext_lazy("Tier changes"), NUMBER),
        Column("escalated", gettext_lazy("Escalations"), NUMBER),
        weight="n",
    )


def _csat(name: str, filters: MetricFilters, part: str | None) -> Drill:
    _parts(part, ())
    invitations = csat_invitations(filters)
    if name == "csat":
        responses = Response.objects.filter(invitation__in=invitations.values("pk")).annotate(
            marker=_flag(Q(score__gte=4))
        )
        return Drill(
            name=name,
            kind=RESPONSE,
            rows=responses.select_related("ticket", "account", "agent").order_by("-pk"),
            columns=(
                Column("score", gettext_lazy("Score"), NUMBER),
                Column("marker", gettext_lazy("Satisfied (4–5)"), FLAG),
            ),
        )
    rows = invitations.annotate(marker=Exists(Response.objects.filter(invitation=OuterRef("pk"))))
    return Drill(
        name=name,
        kind=INVITATION,
        rows=rows.select_related("ticket", "account", "agent").order_by("-pk"),
        columns=(Column("marker", gettext_lazy("Answered"), FLAG),),
    )


# --- the relationship scorecard: accounts ----------------------------------------------------------


def _account_drill(
    name: str, rows: QuerySet[Account], *columns: Column, weight: str | None = None, currency: str = ""
) -> Drill:
    return Drill(
        name=name,
        kind=ACCOUNT,
        rows=rows.select_related("owner").order_by("-pk"),
        columns=columns,
        weight=weight,
        currency=currency,
    )


def _retention(name: str, filters: MetricFilters, part: str | None) -> Drill:
    _parts(part, ())
    model = ServiceModel.CLIENT if name.endswith("_clients") else ServiceModel.CUSTOMER
    rows = retention_base(accounts_in_scope(filters).filter(service_model=model), filters).annotate(
        marker=_flag(Q(churned_end=1))
    )
    return _account_drill(name, rows, Column("marker", gettext_lazy("Churned at the period's end"), FLAG))


def _orders(accounts: QuerySet[Account]) -> QuerySet[Order]:
    return Order.objects.filter(account__in=accounts.values("pk")).order_by()


def _revenue(name: str, filters: MetricFilters, part: str | None) -> Drill:
    """Revenue and average order value: the accounts with orders in the period in the main currency (or the
    breakdown's currency); each stands for its orders."""
    accounts = accounts_in_scope(filters)
    chosen = _parts(part, ("currency",) if name == "revenue" else ())
    currency = chosen[1] if chosen is not None else main_currency()
    now = _orders(accounts).filter(_in("placed_at", filters), currency=currency)
    rows = accounts.filter(pk__in=now.values("account_id")).annotate(
        n=_counted(now, "account_id"), amount=_summed(now, "account_id", "amount")
    )
    columns = [Column("n", gettext_lazy("Orders"), NUMBER), Column("amount", gettext_lazy("Revenue"), MONEY)]
    if name == "revenue_growth":
        previous = filters.previous()
        before = _orders(accounts).filter(_in("placed_at", previous), currency=currency)
        rows = (
            accounts.filter(Q(pk__in=now.values("account_id")) | Q(pk__in=before.values("account_id")))
            .annotate(n=_counted(now, "account_id"), amount=_summed(now, "account_id", "amount"))
            .annotate(before=_summed(before, "account_id", "amount"))
        )
        columns.append(Column("before", gettext_lazy("Revenue, previous period"), MONEY))
    return _account_drill(name, rows, *columns, weight="n", currency=currency)


def _net_revenue_retention(name: str, filters: MetricFilters, part: str | None) -> Drill:
    _parts(part, ())
    accounts, currency = accounts_in_scope(filters), main_currency()
    before = _orders(accounts).filter(_in("placed_at", filters.previous()), currency=currency)
    now = _orders(accounts).filter(_in("placed_at", filters), currency=currency)
    rows = accounts.filter(pk__in=before.values("account_id")).annotate(
        before=_summed(before, "account_id", "amount"), amount=_summed(now, "account_id", "amount")
    )
    return _account_drill(
        name,
        rows,
        Column("before", gettext_lazy("Revenue, previous period"), MONEY),
        Column("amount", gettext_lazy("Revenue"), MONEY),
        currency=currency,
    )


def _purchase_frequency(name: str, filters: MetricFilters, part: str | None) -> Drill:
    _parts(part, ())
    accounts = accounts_in_scope(filters)
    now = _orders(accounts).filter(_in("placed_at", filters))
    rows = accounts.filter(pk__in=now.values("account_id")).annotate(n=_counted(now, "account_id"))
    return _account_drill(name, rows, Column("n", gettext_lazy("Orders"), NUMBER))


def _historical_value(name: str, filters: MetricFilters, part: str | None) -> Drill:
    _parts(part, ())
    accounts, currency = accounts_in_scope(filters), main_currency()
    spent = _orders(accounts).filter(placed_at__lt=filters.end, currency=currency)
    rows = accounts.filter(pk__in=spent.values("account_id")).annotate(amount=_summed(spent, "account_id", "amount"))
    return _account_drill(name, rows, Column("amount", gettext_lazy("Spent to date"), MONEY), currency=currency)


def _nps(name: str, filters: MetricFilters, part: str | None) -> Drill:
    _parts(part, ())
    rows = nps_responses(filters).annotate(marker=_flag(Q(score__gte=9)), detractor=_flag(Q(score__lte=6)))
    return Drill(
        name=name,
        kind=RESPONSE,
        rows=rows.select_related("ticket", "account", "agent").order_by("-pk"),
        columns=(
            Column("score", gettext_lazy("Score"), NUMBER),
            Column("marker", gettext_lazy("Promoter (9–10)"), FLAG),
            Column("detractor", gettext_lazy("Detractor (0–6)"), FLAG),
        ),
    )


def _check_ins(name: str, filters: MetricFilters, part: str | None, now: datetime) -> Drill:
    _parts(part, ())
    accounts = accounts_in_scope(filters)
    decided = CheckIn.objects.filter(
        CHECK_INS_DECIDED,
        account_id__in=accounts.values("pk"),
        scheduled_at__gte=filters.start,
        scheduled_at__lt=min(filters.end, now),
    )
    rows = accounts.filter(pk__in=decided.values("account_id")).annotate(
        n=_counted(decided, "account_id"), held=_counted(decided.filter(state=CheckInState.HELD), "account_id")
    )
    return _account_drill(
        name,
        rows,
        Column("n", gettext_lazy("Check-ins decided"), NUMBER),
        Column("held", gettext_lazy("Held"), NUMBER),
        weight="n",
    )


def _commitments(name: str, filters: MetricFilters, part: str | None, user: Any, now: datetime) -> Drill:
    """The accounts with commitments in view due in the period; their kept and late counts come from the
    relationships app's own rate (one grouped query per page)."""
    _parts(part, ())
    accounts = accounts_in_scope(filters)
    due = commitments_visible_to(user).filter(_in("due_at", filters), account_id__in=accounts.values("pk"))
    rows = accounts.filter(pk__in=due.values("account_id"))

    def complete(page: list[Any]) -> None:
        rates = on_time_rates(
            user=user,
            by="account",
            filters=Filters(
                due_after=filters.start,
                due_before=filters.end,
                accounts=Account.objects.filter(pk__in=[row.pk for row in page]).values("pk"),
            ),
            now=min(filters.end, now),
        )
        found = {rate.key: rate for rate in rates}
        for row in page:
            rate = found.get(row.pk)
            row.kept = rate.kept if rate else 0
            row.late = rate.late if rate else 0
            row.n = row.kept + row.late

    drill = _account_drill(
        name,
        rows,
        Column("n", gettext_lazy("Kept or late"), NUMBER),
        Column("kept", gettext_lazy("Kept on time"), NUMBER),
        weight="n",
    )
    return dataclasses.replace(drill, complete=complete)


def _waiting(name: str, filters: MetricFilters, part: str | None, now: datetime) -> Drill:
    _parts(part, ())
    until = min(filters.end, now)
    accounts = accounts_in_scope(filters)
    waits = Wait.objects.filter(account_id__in=accounts.values("pk"), started_at__lt=until).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=filters.start)
    )
    rows = accounts.filter(pk__in=waits.values("account_id")).annotate(n=_counted(waits, "account_id"))
    return _account_drill(name, rows, Column("n", gettext_lazy("Waits in the period"), NUMBER))


def _health(name: str, filters: MetricFilters, part: str | None) -> Drill:
    last_day = (filters.end - timedelta(microseconds=1)).date()
    latest = HealthSnapshot.objects.filter(account_id=OuterRef("pk"), day__lte=last_day).order_by("-day")
    rows = (
        accounts_in_scope(filters)
        .filter(service_model=ServiceModel.CLIENT)
        .annotate(band=Subquery(latest.values("band")[:1]))
        .filter(band__isnull=False)
    )
    chosen = _parts(part, ("band",))
    if chosen is not None:
        rows = rows.filter(band=chosen[1])
    return _account_drill(name, rows, Column("band", gettext_lazy("Health band"), TEXT))


def _lifetime_value(name: str, filters: MetricFilters, part: str | None) -> Drill:
    scored = AccountInsight.objects.filter(clv__isnull=False, account_id__in=accounts_in_scope(filters).values("pk"))
    chosen = _parts(part, ("currency",))
    if chosen is not None:
        currency = chosen[1]
    else:
        # The figure's currency: the one most scored accounts are valued in.
        top = scored.values_list("currency").annotate(n=Count("pk")).order_by("-n", "currency").first()
        currency = top[0] if top else ""
    mine = scored.filter(currency=currency)
    rows = (
        accounts_in_scope(filters)
        .filter(pk__in=mine.values("account_id"))
        .annotate(amount=Subquery(mine.filter(account_id=OuterRef("pk")).values("clv")[:1]))
    )
    return _account_drill(name, rows, Column("amount", gettext_lazy("Lifetime value"), MONEY), currency=currency)


Builder = Callable[[str, MetricFilters, "str | None"], Drill]

_BUILDERS: dict[str, Builder] = {
    "ticket_volume": _volume,
    **{
        f"{measure}_{clock}_{stat}": _durations
        for measure in ("first_response_time", "next_response_time", "resolution_time")
        for clock in ("calendar", "business")
        for stat in ("median", "p90")
    },
    "backlog": _backlog,
    "backlog_age_median": _backlog,
    "backlog_age_p90": _backlog,
    "resolution_rate": _resolution_rate,
    "one_touch_resolution_rate": _one_touch,
    "reopen_rate": _reopens,
    "sla_achievement": _sla,
    "solved_per_agent": _per_agent,
    "tickets_solved": _solved,
    "escalation_rate": _escalation,
    "csat": _csat,
    "csat_response_rate": _csat,
    **{
        f"{kind}_rate_{model}s": _retention
        for kind in ("retention", "churn")
        for model in (ServiceModel.CLIENT, ServiceModel.CUSTOMER)
    },
    "revenue": _revenue,
    "revenue_growth": _revenue,
    "average_order_value": _revenue,
    "net_revenue_retention": _net_revenue_retention,
    "purchase_frequency": _purchase_frequency,
    "historical_value": _historical_value,
    "nps": _nps,
    "health_distribution": _health,
    "lifetime_value": _lifetime_value,
}
# The figures whose rows depend on the moment or on who looks.
_TIMED: dict[str, Callable[..., Drill]] = {"check_in_adherence": _check_ins, "waiting_on_client_time": _waiting}

DRILLABLE = frozenset(_BUILDERS) | frozenset(_TIMED) | {"commitment_on_time_rate"}


def drill_build(
    *, name: str, filters: MetricFilters, part: str | None = None, user: Any = None, now: datetime | None = None
) -> Drill:
    """The rows behind figure `name` over (already scoped) filters; 404 for a figure without rows to list (the
    knowledge base's deflections belong to no ticket or account), 422 for an unknown breakdown row."""
    if name not in DEFINITIONS or name not in DRILLABLE:
        raise ApplicationError(_("This figure has no rows to list."), status=404)
    moment = now or timezone.now()
    if name == "commitment_on_time_rate":
        return _commitments(name, filters, part, user, moment)
    if name in _TIMED:
        return _TIMED[name](name, filters, part, moment)
    return _BUILDERS[name](name, filters, part)


def drill_page(drill: Drill, *, before: int | None, size: int) -> tuple[list[Any], int | None]:
    """One page of a drill-down, newest row first, after the keyset cursor `before` (a row id); and the cursor of
    the next page, or None on the last. One query (plus the drill's own completion, one more)."""
    rows = drill.rows if before is None else drill.rows.filter(pk__lt=before)
    if connection.vendor == "sqlite":
        # The page's ids picked from the rows alone, then the page read with its joins: joined at once, SQLite may loop
        # over the accounts and read every ticket of each (over 100 s for the backlog at a million tickets).
        # PostgreSQL plans the joined query well, and would evaluate the rows' conditions twice (0.14 s -> 0.56 s for
        # the escalations at a million tickets).
        rows = drill.rows.filter(pk__in=rows.values("pk")[: size + 1])
    page = list(rows[: size + 1])
    cursor = page[size - 1].pk if len(page) > size else None
    page = page[:size]
    if drill.complete is not None and page:
        drill.complete(page)
    return page, cursor
