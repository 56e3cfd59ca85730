"""The registry of figures: one definition (name, label, unit, formula) per figure, the filters every figure takes,
and the result a figure is returned as."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carefront.accounts.models import Channel, ServiceModel
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Team
from carefront.core.validation import time_zone_set
from carefront.desk.models import Tier

SERVICE = "service"
RELATIONSHIP = "relationship"

# Units a figure is measured in.
COUNT = "count"
PERCENT = "percent"
SECONDS = "seconds"
HOURS = "hours"
MONEY = "money"  # a Decimal in the figure's `currency`
PER_AGENT = "tickets_per_agent"
PER_ACCOUNT = "orders_per_account"
POINTS = "points"  # NPS: -100 to 100

# The filters, by the rows they narrow (docs/metrics.md lists which figure reads which).
TICKET_FILTERS = ("team", "agent", "channel", "tier")
ACCOUNT_FILTERS = ("advisor", "segment", "service_model")
LONGEST_PERIOD = timedelta(days=3 * 366)
FIRST_YEAR, LAST_YEAR = 1970, 2999


@dataclass(frozen=True)
class Definition:
    """One figure's stable name, what it measures and the formula it is computed by."""

    name: str
    label: Promise
    unit: str
    formula: Promise
    scorecard: str
    # The filters that narrow it besides the period (the others leave it as it is).
    filters: tuple[str, ...] = TICKET_FILTERS + ACCOUNT_FILTERS

    @property
    def better(self) -> str:
        """Which way is progress for a team goal: LOWER (a time, a churn), HIGHER (a rate, a score), or "" for
        figures no goal may take (totals that grow with the period, distributions)."""
        return BETTER.get(self.name, "")


@dataclass(frozen=True)
class Part:
    """One group of a breakdown (a channel, a tier, an agent, a band, a currency)."""

    key: str
    value: float | Decimal | None
    count: int


@dataclass(frozen=True)
class Figure:
    """A figure's value over the filters' period; `value` is None when there is nothing to measure (never 0 for
    "no data"), and `count` is the number of rows (tickets, clocks, answers, orders, accounts) it rests on."""

    name: str
    value: float | Decimal | None
    unit: str
    count: int
    currency: str = ""
    breakdowns: dict[str, tuple[Part, ...]] = field(default_factory=dict)

    @property
    def definition(self) -> Definition:
        return DEFINITIONS[self.name]


DEFINITIONS: dict[str, Definition] = {}

LOWER, HIGHER = "lower", "higher"
# The figures a team goal may take, by the way that is better. Totals over the period (volume, revenue, hours
# waited, deflections) are left out: measured from a goal's start to a day they grow with the days, so a line from a
# whole-span baseline would say nothing.
BETTER: dict[str, str] = {
    **{
        f"{name}_{clock}_{stat}": LOWER
        for name in ("first_response_time", "next_response_time", "resolution_time")
        for clock in ("calendar", "business")
        for stat in ("median", "p90")
    },
    "backlog_age_median": LOWER,
    "backlog_age_p90": LOWER,
    "reopen_rate": LOWER,
    "escalation_rate": LOWER,
    "churn_rate_clients": LOWER,
    "churn_rate_customers": LOWER,
    "resolution_rate": HIGHER,
    "one_touch_resolution_rate": HIGHER,
    "sla_achievement": HIGHER,
    "solved_per_agent": HIGHER,
    "csat": HIGHER,
    "csat_response_rate": HIGHER,
    "kb_deflection_rate": HIGHER,
    "retention_rate_clients": HIGHER,
    "retention_rate_customers": HIGHER,
    "net_revenue_retention": HIGHER,
    "average_order_value": HIGHER,
    "purchase_frequency": HIGHER,
    "nps": HIGHER,
    "check_in_adherence": HIGHER,
    "commitment_on_time_rate": HIGHER,
    "historical_value": HIGHER,
}


def define(
    name: str,
    label: Promise,
    unit: str,
    formula: Promise,
    scorecard: str,
    filters: tuple[str, ...] = TICKET_FILTERS + ACCOUNT_FILTERS,
) -> Definition:
    if name in DEFINITIONS:
        raise ValueError(f"The figure {name} is defined twice.")
    DEFINITIONS[name] = Definition(name, label, unit, formula, scorecard, filters)
    return DEFINITIONS[name]


def figure(name: str, value: float | Decimal | None, count: int, **more: Any) -> Figure:
    """A figure of a defined name, in its definition's unit."""
    return Figure(name=name, value=value, unit=DEFINITIONS[name].unit, count=count, **more)


def percent(part: int, whole: int) -> float | None:
    """`part` as a percentage of `whole`; None when there is no whole to measure against."""
    return 100 * part / whole if whole else None


# --- the service scorecard -----------------------------------------------------------------------

define(
    "ticket_volume",
    gettext_lazy("Ticket volume"),
    COUNT,
    gettext_lazy("Tickets created in the period, not merged into another; by channel, tier and team."),
    SERVICE,
)
define(
    "tickets_solved",
    gettext_lazy("Tickets solved"),
    COUNT,
    gettext_lazy("Tickets whose last solve falls in the period (not reopened since), not merged into another."),
    SERVICE,
)
_DURATIONS = {
    "first_response_time": (
        gettext_lazy("First response time"),
        gettext_lazy("From creation to the first public staff reply, of the tickets first answered in the period."),
        gettext_lazy(
            "The first-response SLA clock's business seconds (pauses excluded), of the tickets first answered in the "
            "period that an SLA policy timed."
        ),
    ),
    "next_response_time": (
        gettext_lazy("Next response time"),
        gettext_lazy(
            "From the requester's first reply after a staff reply to the next public staff reply, for each staff "
            "reply in the period that answered one."
        ),
        gettext_lazy(
            "The next-response SLA clock's business seconds (pauses excluded), of the clocks stopped in the period "
            "(a ticket keeps its latest cycle)."
        ),
    ),
    "resolution_time": (
        gettext_lazy("Full resolution time"),
        gettext_lazy("From creation to the last solve, of the tickets solved in the period and not reopened since."),
        gettext_lazy(
            "The resolution SLA clock's business seconds (pauses excluded; a reopened ticket's clock runs on), of the "
            "tickets solved in the period that an SLA policy timed."
        ),
    ),
}
for _name, (_label, _calendar, _business) in _DURATIONS.items():
    for _clock, _formula in (("calendar", _calendar), ("business", _business)):
        for _stat in ("median", "p90"):
            define(f"{_name}_{_clock}_{_stat}", _label, SECONDS, _formula, SERVICE)
define(
    "resolution_rate",
    gettext_lazy("Resolution rate"),
    PERCENT,
    gettext_lazy("Tickets created in the period and solved before its end ÷ tickets created in the period."),
    SERVICE,
)
define(
    "one_touch_resolution_rate",
    gettext_lazy("One-touch resolution"),
    PERCENT,
    gettext_lazy(
        "Tickets solved in the period with exactly one public staff reply and never reopened ÷ tickets solved in "
        "the period."
    ),
    SERVICE,
)
define(
    "reopen_rate",
    gettext_lazy("Reopen rate"),
    PERCENT,
    gettext_lazy(
        "Tickets solved in the period (a status change to solved) that were reopened after it ÷ tickets solved in "
        "the period."
    ),
    SERVICE,
)
define(
    "backlog",
    gettext_lazy("Backlog"),
    COUNT,
    gettext_lazy("Tickets created before the period's end and not solved by then (nor merged)."),
    SERVICE,
)
for _stat in ("median", "p90"):
    define(
        f"backlog_age_{_stat}",
        gettext_lazy("Backlog age"),
        SECONDS,
        gettext_lazy("The period's end minus the creation time, of each ticket in the backlog (calendar time)."),
        SERVICE,
    )
define(
    "sla_achievement",
    gettext_lazy("SLA achievement"),
    PERCENT,
    gettext_lazy(
        "SLA clocks stopped in the period within their target ÷ clocks decided in the period (stopped, or "
        "breached and still running); by target."
    ),
    SERVICE,
)
define(
    "solved_per_agent",
    gettext_lazy("Tickets solved per agent"),
    PER_AGENT,
    gettext_lazy("Tickets solved in the period ÷ the agents they are assigned to; by agent."),
    SERVICE,
)
define(
    "escalation_rate",
    gettext_lazy("Escalation rate"),
    PERCENT,
    gettext_lazy(
        "Per tier: tickets escalated from it in the period ÷ tickets that started at it or moved into it in the "
        "period; overall: the sums of both."
    ),
    SERVICE,
)
define(
    "csat",
    gettext_lazy("CSAT"),
    PERCENT,
    gettext_lazy("CSAT answers of 4 or 5 ÷ CSAT answers, received in the period."),
    SERVICE,
)
define(
    "csat_response_rate",
    gettext_lazy("CSAT response rate"),
    PERCENT,
    gettext_lazy("Responses to the CSAT invitations sent in the period ÷ those invitations."),
    SERVICE,
)
define(
    "kb_deflections",
    gettext_lazy("Knowledge-base deflections"),
    COUNT,
    gettext_lazy("Customers an article answered who then filed no request, in the period."),
    SERVICE,
    filters=ACCOUNT_FILTERS,
)
define(
    "kb_deflection_rate",
    gettext_lazy("Deflection rate"),
    PERCENT,
    gettext_lazy("Deflections ÷ (deflections + tickets created), in the period."),
    SERVICE,
    filters=ACCOUNT_FILTERS,
)

# --- the relationship scorecard ------------------------------------------------------------------

for _model, _label_retention, _label_churn in (
    (ServiceModel.CLIENT, gettext_lazy("Retention of clients"), gettext_lazy("Churn of clients")),
    (ServiceModel.CUSTOMER, gettext_lazy("Retention of customers"), gettext_lazy("Churn of customers")),
):
    define(
        f"retention_rate_{_model}s",
        _label_retention,
        PERCENT,
        gettext_lazy(
            "(E − N) ÷ S: S accounts not churned at the period's start, E not churned at its end, N created in it "
            "(an account won back is not counted in E)."
        ),
        RELATIONSHIP,
        filters=ACCOUNT_FILTERS,
    )
    define(
        f"churn_rate_{_model}s",
        _label_churn,
        PERCENT,
        gettext_lazy("Accounts of S churned at the period's end ÷ S (100 − retention)."),
        RELATIONSHIP,
        filters=ACCOUNT_FILTERS,
    )
define(
    "revenue",
    gettext_lazy("Revenue"),
    MONEY,
    gettext_lazy("Sum of the amounts of the orders placed in the period in the main currency; by currency."),
    RELATIONSHIP,
    filters=ACCOUNT_FILTERS,
)
define(
    "revenue_growth",
    gettext_lazy("Revenue growth"),
    PERCENT,
    gettext_lazy("(Revenue − the previous period's revenue) ÷ the previous period's revenue, in the main currency."),
    RELATIONSHIP,
    filters=ACCOUNT_FILTERS,
)
define(
    "net_revenue_retention",
    gettext_lazy("Net revenue retention"),
    PERCENT,
    gettext_lazy(
        "Revenue in the period from the accounts that bought in the previous period ÷ their revenue in the previous "
        "period, in the main currency."
    ),
    RELATIONSHIP,
    filters=ACCOUNT_FILTERS,
)
define(
    "average_order_value",
    gettext_lazy("Average order value"),
    MONEY,
    gettext_lazy("Revenue ÷ orders placed in the period in the main currency."),
    RELATIONSHIP,
    filters=ACCOUNT_FILTERS,
)
define(
    "purchase_frequency",
    gettext_lazy("Purchase frequency"),
    PER_ACCOUNT,
    gettext_lazy("Orders placed in the period ÷ the accounts that placed them."),
    RELATIONSHIP,
    filters=ACCOUNT_FILTERS,
)
define(
    "nps",
    gettext_lazy("NPS"),
    POINTS,
    gettext_lazy(
        "Percentage of promoters (9–10) minus percentage of detractors (0–6) among the NPS answers received in the "
        "period."
    ),
    RELATIONSHIP,
    filters=ACCOUNT_FILTERS,
)
define(
    "check_in_adherence",
    gettext_lazy("Check-in adherence"),
    PERCENT,
    gettext_lazy("Check-ins held ÷ (held + missed), of those scheduled in the period."),
    RELATIONSHIP,
    filters=ACCOUNT_FILTERS,
)
define(
    "commitment_on_time_rate",
    gettext_lazy("Commitments kept on time"),
    PERCENT,
    gettext_lazy("Commitments due in the period kept on time ÷ (kept + late); dropped and pending ones aside."),
    RELATIONSHIP,
    filters=ACCOUNT_FILTERS,
)
define(
    "waiting_on_client_time",
    gettext_lazy("Time lost waiting on clients"),
    HOURS,
    gettext_lazy(
        "Per account, the time inside the period covered by its waits on the client (overlaps counted once); summed."
    ),
    RELATIONSHIP,
    filters=ACCOUNT_FILTERS,
)
define(
    "health_distribution",
    gettext_lazy("Health distribution"),
    COUNT,
    gettext_lazy("Client accounts by the band of their last health snapshot on or before the period's last day."),
    RELATIONSHIP,
    filters=ACCOUNT_FILTERS,
)
define(
    "lifetime_value",
    gettext_lazy("Lifetime value"),
    MONEY,
    gettext_lazy("Mean modelled lifetime value (BG/NBD and Gamma-Gamma) of the accounts the models scored, today."),
    RELATIONSHIP,
    filters=ACCOUNT_FILTERS,
)
define(
    "historical_value",
    gettext_lazy("Historical value"),
    MONEY,
    gettext_lazy(
        "Mean spend to date (orders placed before the period's end, main currency) of the accounts that bought."
    ),
    RELATIONSHIP,
    filters=ACCOUNT_FILTERS,
)


# --- filters -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricFilters:
    """A period [start, end) of aware datetimes, and what narrows the tickets and accounts counted."""

    start: datetime
    end: datetime
    team: int | None = None
    agent: int | None = None
    advisor: int | None = None
    segment: str | None = None
    service_model: str | None = None
    channel: str | None = None
    tier: int | None = None

    def previous(self) -> MetricFilters:
        """The period of the same length just before this one, with the same filters."""
        return dataclasses.replace(self, start=self.start - (self.end - self.start), end=self.start)


def _bound(value: date | datetime, zone: ZoneInfo, *, end: bool, field_name: str) -> datetime:
    # Far years would overflow when the previous period or the next midnight is reckoned.
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ApplicationError(
            _("A period lies between the years {first} and {last}.").format(first=FIRST_YEAR, last=LAST_YEAR),
            field=field_name,
            status=422,
        )
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            raise ApplicationError(
                _("A time needs its offset from UTC (such as 2026-01-31T09:00:00+01:00)."), field=field_name, status=422
            )
        return value
    # A date is the whole day in the workspace zone: the period's last day is included.
    day = value + timedelta(days=1) if end else value
    return datetime.combine(day, time(0), tzinfo=zone)


def period_bound_parse(text: str, *, field_name: str) -> date | datetime:
    """A period bound as the API receives it: a date (2026-11-30) or a time with its offset (ISO 8601)."""
    value = text.strip()
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        return datetime.fromisoformat(value)
    except ValueError:
        raise ApplicationError(
            _("Expected a date such as 2026-11-30 or a time such as 2026-11-30T09:00:00+01:00."),
            field=field_name,
            status=422,
        ) from None


def metric_filters_build(
    *,
    start: date | datetime,
    end: date | datetime,
    time_zone: str = "",
    team: int | None = None,
    agent: int | None = None,
    advisor: int | None = None,
    segment: str | None = None,
    service_model: str | None = None,
    channel: str | None = None,
    tier: int | None = None,
) -> MetricFilters:
    """Check the filters and turn dates into instants: a date is a whole day in `time_zone` (default: the
    workspace's), so `start=2026-11-01, end=2026-11-30` is November. Refused with a 422 and the field's name."""
    zone_name = time_zone or timezone.get_default_timezone_name()
    if zone_name not in time_zone_set():
        raise ApplicationError(_("Unknown time zone “{zone}”.").format(zone=zone_name), field="time_zone", status=422)
    zone = ZoneInfo(zone_name)
    since = _bound(start, zone, end=False, field_name="start")
    until = _bound(end, zone, end=True, field_name="end")
    if until <= since:
        raise ApplicationError(_("The period must end after it starts."), field="end", status=422)
    if until - since > LONGEST_PERIOD:
        raise ApplicationError(_("A period is at most three years long."), field="end", status=422)
    if service_model is not None and service_model not in ServiceModel.values:
        raise ApplicationError(_("The service model is “customer” or “client”."), field="service_model", status=422)
    if channel is not None and channel not in Channel.values:
        raise ApplicationError(
            _("Unknown channel; one of: {channels}.").format(channels=", ".join(Channel.values)),
            field="channel",
            status=422,
        )
    if tier is not None and tier not in Tier.values:
        raise ApplicationError(_("A tier is 0, 1, 2 or 3."), field="tier", status=422)
    if segment is not None:
        segment = segment.strip()
        if not segment or len(segment) > 64:
            raise ApplicationError(_("A segment is 1 to 64 characters."), field="segment", status=422)
    if team is not None and not Team.objects.filter(pk=team).exists():
        raise ApplicationError(_("No team has this id."), field="team", status=422)
    for name, user_id in (("agent", agent), ("advisor", advisor)):
        if (
            user_id is not None
            and not get_user_model().objects.filter(pk=user_id, staff_profile__isnull=False).exists()
        ):
            raise ApplicationError(_("No staff member has this id."), field=name, status=422)
    return MetricFilters(
        start=since,
        end=until,
        team=team,
        agent=agent,
        advisor=advisor,
        segment=segment,
        service_model=service_model,
        channel=channel,
        tier=tier,
    )
