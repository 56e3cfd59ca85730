"""The service scorecard: every ticket figure of docs/metrics.md over one set of filters.

A constant number of queries whatever the number of tickets: one grouped count for the volume, one aggregate with
conditional counts for the rates and the backlog, one grouped count of the SLA clocks, one window query for every
percentile, one grouped count per agent, the tier report's queries and the deflections. Each figure is a function
of the filters only, so a daily rollup can later stand in for the raw rows.
"""

from __future__ import annotations

from typing import Any

from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    F,
    FloatField,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce

from carefront.accounts.models import Account
from carefront.core.models import Event
from carefront.desk.models import ClockStatus, Message, SlaClock, SlaMetric, Status, Ticket, Tier, Visibility
from carefront.desk.selectors import tier_report
from carefront.insights.metrics.definitions import (
    TICKET_FILTERS,
    Figure,
    MetricFilters,
    Part,
    figure,
    percent,
)
from carefront.insights.metrics.providers import survey_counts
from carefront.insights.metrics.sql import EpochSeconds, count_of, percentiles, scalars
from carefront.knowledge.selectors import deflections_list

SOLVED_OR_CLOSED = (Status.SOLVED, Status.CLOSED)


def account_q(filters: MetricFilters, prefix: str = "account__") -> Q:
    """The account filters (advisor, segment, service model) as a condition on rows that lead to an account."""
    condition = Q()
    if filters.advisor is not None:
        condition &= Q(**{f"{prefix}owner_id": filters.advisor})
    if filters.segment is not None:
        condition &= Q(**{f"{prefix}segment": filters.segment})
    if filters.service_model is not None:
        condition &= Q(**{f"{prefix}service_model": filters.service_model})
    return condition


def ticket_scope_q(filters: MetricFilters, prefix: str = "") -> Q:
    """The conditions of `tickets_in_scope` on rows that lead to a ticket through `prefix` ("ticket__" from a
    message or a clock): a join the database drives from the period's own index, where `ticket_id IN (every
    ticket in scope)` would first list every ticket ever."""
    condition = Q(**{f"{prefix}merged_into__isnull": True})
    accounts = account_q(filters, prefix="")
    if accounts:
        # A correlated EXISTS rather than a join: the tickets (or their rows) of the period stay the outer loop, one
        # account lookup each. With a join SQLite may loop over the accounts instead and, for the backlog, scan
        # every unsolved ticket once per account of a service model.
        condition &= Q(Exists(Account.objects.filter(accounts, pk=OuterRef(f"{prefix}account_id"))))
    for name, column in (("team", "team_id"), ("agent", "assignee_id"), ("channel", "channel"), ("tier", "tier")):
        if getattr(filters, name) is not None:
            condition &= Q(**{f"{prefix}{column}": getattr(filters, name)})
    return condition


def tickets_in_scope(filters: MetricFilters) -> QuerySet[Ticket]:
    """The tickets the filters keep, whatever their dates. A ticket merged into another is left out: it counts
    once, as the ticket it was merged into. Team, agent, channel and tier are the ticket's current ones."""
    return Ticket.objects.filter(ticket_scope_q(filters)).order_by()


def _in(column: str, filters: MetricFilters) -> Q:
    return Q(**{f"{column}__gte": filters.start, f"{column}__lt": filters.end})


# The conditions the figures count tickets by, public so the dashboards' drill-down lists the same tickets.


def created_q(filters: MetricFilters) -> Q:
    """Created in the period (ticket volume, resolution rate)."""
    return _in("created_at", filters)


def solved_q(filters: MetricFilters) -> Q:
    """Last solved in the period (resolution time, one-touch resolution, solved per agent)."""
    return _in("solved_at", filters)


def backlog_q(filters: MetricFilters) -> Q:
    """Created before the period's end and not solved by then (the backlog and its age)."""
    # Written as an OR of two ranges of the solve time so that each is read from ticket_solved_idx.
    return Q(solved_at__isnull=True, created_at__lt=filters.end) | Q(
        solved_at__gte=filters.end, created_at__lt=filters.end
    )


def first_solve_in(filters: MetricFilters) -> Subquery:
    """A ticket's first change to solved in the period (NULL without one): the reopen rate's tickets."""
    return Subquery(
        _status_events()
        .filter(new_value=Status.SOLVED.value, occurred_at__gte=filters.start, occurred_at__lt=filters.end)
        .order_by()
        .values("subject_id")
        .annotate(first=Min("occurred_at"))
        .values("first"),
        output_field=DateTimeField(),
    )


def one_touch_q(filters: MetricFilters) -> Q:
    """Solved in the period with one public staff reply and never reopened (needs `ticket_touches`)."""
    return solved_q(filters) & Q(staff_replies=1, ever_reopened=False)


def ticket_touches(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """The tickets with their public staff replies and whether they were ever reopened, and reopened after their
    first solve of the period (needs `first_solve` annotated)."""
    return tickets.annotate(
        staff_replies=_staff_replies(),
        ever_reopened=Exists(_reopens()),
        reopened_after=Exists(_reopens().filter(occurred_at__gte=OuterRef("first_solve"))),
    )


def _status_events() -> QuerySet[Event]:
    return Event.objects.filter(subject_kind=Event.SubjectKind.TICKET, subject_id=OuterRef("pk"), field="status")


def _reopens() -> QuerySet[Event]:
    """A ticket's status changes from solved back to open, pending or on hold (closing is not a reopen)."""
    return _status_events().filter(old_value=Status.SOLVED.value).exclude(new_value=Status.CLOSED.value)


def _staff_replies() -> Coalesce:
    replies = (
        Message.objects.filter(ticket=OuterRef("pk"), visibility=Visibility.PUBLIC, author_user__isnull=False)
        .order_by()
        .values("ticket")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(replies, output_field=IntegerField()), 0)


def _volume(scope: QuerySet[Ticket], filters: MetricFilters) -> Figure:
    rows = list(
        scope.filter(_in("created_at", filters))
        .values_list("channel", "tier", "team__name")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by: dict[str, dict[str, int]] = {"channel": {}, "tier": {}, "team": {}}
    for channel, tier, team, n in rows:
        for dimension, key in (("channel", channel), ("tier", Tier(tier).name), ("team", team or "")):
            by[dimension][key] = by[dimension].get(key, 0) + n
    total = sum(n for *_keys, n in rows)
    breakdowns = {
        dimension: tuple(Part(key=key, value=n, count=n) for key, n in sorted(counts.items()))
        for dimension, counts in by.items()
    }
    return figure("ticket_volume", total, total, breakdowns=breakdowns)


def _rates(scope: QuerySet[Ticket], filters: MetricFilters) -> tuple[list[Figure], int]:
    """Resolution, one-touch, reopen rates and the backlog; and the tickets created. One query of seven counts,
    each over the rows of its own condition read from its own index (created, solved, first solves in the period,
    unsolved at its end): O(rows in the period), whatever the number of tickets."""
    created = scope.filter(created_q(filters))
    solved = scope.filter(solved_q(filters)).annotate(staff_replies=_staff_replies(), ever_reopened=Exists(_reopens()))
    # The tickets with a solve in the period, found from the period's status events (event_status_idx).
    with_solve = Event.objects.filter(
        subject_kind=Event.SubjectKind.TICKET,
        field="status",
        new_value=Status.SOLVED.value,
        occurred_at__gte=filters.start,
        occurred_at__lt=filters.end,
    ).values("subject_id")
    solve_events = (
        scope.filter(pk__in=with_solve)
        .annotate(first_solve=first_solve_in(filters))
        .annotate(reopened_after=Exists(_reopens().filter(occurred_at__gte=OuterRef("first_solve"))))
    )
    rows = scalars(
        {
            "created_n": count_of(created),
            "created_solved": count_of(created, Q(solved_at__lt=filters.end)),
            "solved_n": count_of(solved),
            "one_touch": count_of(solved, Q(staff_replies=1, ever_reopened=False)),
            "solve_events": count_of(solve_events, Q(first_solve__isnull=False)),
            "reopens": count_of(solve_events, Q(first_solve__isnull=False, reopened_after=True)),
            "backlog_n": count_of(scope.filter(backlog_q(filters))),
        }
    )
    figures = [
        figure("tickets_solved", rows["solved_n"], rows["solved_n"]),
        figure("resolution_rate", percent(rows["created_solved"], rows["created_n"]), rows["created_n"]),
        figure("one_touch_resolution_rate", percent(rows["one_touch"], rows["solved_n"]), rows["solved_n"]),
        figure("reopen_rate", percent(rows["reopens"], rows["solve_events"]), rows["solve_events"]),
        figure("backlog", rows["backlog_n"], rows["backlog_n"]),
    ]
    return figures, rows["created_n"]


def _clocks(filters: MetricFilters, metric: str, ticket: Q) -> QuerySet[SlaClock]:
    """The stopped clocks of a metric whose ticket is in scope and meets `ticket` (conditions on "ticket__")."""
    return SlaClock.objects.filter(
        ticket_scope_q(filters, "ticket__"), ticket, metric=metric, status=ClockStatus.STOPPED
    ).annotate(v=Cast("elapsed", FloatField()))


def _clock_of(metric: str) -> Cast:
    """A ticket's stopped clock of a metric: its business seconds, or NULL (left out of the percentiles). One lookup
    in sla_clock_unique per ticket of the period, where a join lets PostgreSQL scan every clock to hash them."""
    elapsed = SlaClock.objects.filter(ticket=OuterRef("pk"), metric=metric, status=ClockStatus.STOPPED).values(
        "elapsed"
    )
    return Cast(Subquery(elapsed[:1]), FloatField())


def _next_responses(filters: MetricFilters) -> QuerySet[Message]:
    """Each public staff reply of the period that answered the requester: the seconds since the requester's first
    public message after the previous public staff reply (the first response is not a next response)."""
    public = Message.objects.filter(ticket=OuterRef("ticket"), visibility=Visibility.PUBLIC).order_by()
    previous_reply = public.filter(author_user__isnull=False, created_at__lt=OuterRef("created_at"))
    waiting_since = public.filter(
        author_contact__isnull=False,
        created_at__gt=OuterRef("previous_reply"),
        created_at__lt=OuterRef("created_at"),
    )
    return (
        Message.objects.filter(
            _in("created_at", filters),
            ticket_scope_q(filters, "ticket__"),
            visibility=Visibility.PUBLIC,
            author_user__isnull=False,
        )
        .annotate(previous_reply=Subquery(previous_reply.order_by("-created_at").values("created_at")[:1]))
        .filter(previous_reply__isnull=False)
        .annotate(waiting_since=Subquery(waiting_since.order_by("created_at").values("created_at")[:1]))
        .annotate(v=EpochSeconds(F("created_at"), F("waiting_since")))
    )


# The rows each duration is measured on (a queryset with the seconds in `v`), for the drill-down.
stopped_clocks = _clocks
next_responses = _next_responses


def _durations(scope: QuerySet[Ticket], filters: MetricFilters) -> list[Figure]:
    responded = scope.filter(_in("first_responded_at", filters))
    solved = scope.filter(solved_q(filters))
    backlog = scope.filter(backlog_q(filters))
    measures: dict[str, QuerySet[Any]] = {
        "first_response_time_calendar": responded.annotate(v=EpochSeconds(F("first_responded_at"), F("created_at"))),
        "first_response_time_business": responded.annotate(v=_clock_of(SlaMetric.FIRST_RESPONSE)),
        "next_response_time_calendar": _next_responses(filters),
        "next_response_time_business": _clocks(filters, SlaMetric.NEXT_RESPONSE, _in("stopped_at", filters)),
        "resolution_time_calendar": solved.annotate(v=EpochSeconds(F("solved_at"), F("created_at"))),
        "resolution_time_business": solved.annotate(v=_clock_of(SlaMetric.RESOLUTION)),
        "backlog_age": backlog.annotate(v=EpochSeconds(Value(filters.end, DateTimeField()), F("created_at"))),
    }
    found = percentiles(measures)
    figures = []
    for name, result in found.items():
        for stat, p in (("median", 50), ("p90", 90)):
            value = round(result.values[p], 3) if result is not None else None
            figures.append(figure(f"{name}_{stat}", value, result.count if result is not None else 0))
    return figures


def sla_decided_q(filters: MetricFilters) -> Q:
    """An SLA clock decided in the period: stopped in it, or breached in it and still running."""
    stopped = Q(status=ClockStatus.STOPPED) & _in("stopped_at", filters)
    breached_running = Q(status__in=[ClockStatus.RUNNING, ClockStatus.PAUSED]) & _in("breached_at", filters)
    return stopped | breached_running


def sla_achieved_q(filters: MetricFilters) -> Q:
    """An SLA clock stopped in the period within its target."""
    return Q(status=ClockStatus.STOPPED, breached_at__isnull=True) & _in("stopped_at", filters)


def _sla(filters: MetricFilters) -> Figure:
    rows = list(
        SlaClock.objects.filter(sla_decided_q(filters), ticket_scope_q(filters, "ticket__"))
        .values_list("metric")
        .annotate(decided=Count("pk"), achieved=Count("pk", filter=sla_achieved_q(filters)))
        .order_by("metric")
    )
    decided = sum(row[1] for row in rows)
    achieved = sum(row[2] for row in rows)
    parts = tuple(Part(key=metric, value=percent(ok, n), count=n) for metric, n, ok in rows)
    return figure("sla_achievement", percent(achieved, decided), decided, breakdowns={"target": parts})


def _per_agent(scope: QuerySet[Ticket], filters: MetricFilters) -> Figure:
    rows = list(
        scope.filter(_in("solved_at", filters), assignee__isnull=False)
        .values_list("assignee__username")
        .annotate(n=Count("pk"))
        .order_by("assignee__username")
    )
    solved = sum(n for _name, n in rows)
    parts = tuple(Part(key=name, value=n, count=n) for name, n in rows)
    return figure("solved_per_agent", solved / len(rows) if rows else None, solved, breakdowns={"agent": parts})


def _escalation(scope: QuerySet[Ticket], filters: MetricFilters) -> Figure:
    lines = tier_report(since=filters.start, until=filters.end, tickets=scope)
    volume = sum(line.volume for line in lines)
    parts = tuple(Part(key=Tier(line.tier).name, value=line.escalation_rate, count=line.volume) for line in lines)
    # TierLine.escalation_rate rounds for the tier report's screen; the overall share is computed from the counts.
    return figure(
        "escalation_rate",
        percent(sum(line.escalated for line in lines), volume),
        volume,
        breakdowns={"tier": parts},
    )


def _deflections(filters: MetricFilters, created: int) -> list[Figure]:
    deflections = deflections_list(since=filters.start, until=filters.end).filter(account_q(filters)).order_by().count()
    # Deflections belong to no ticket: with a ticket filter (team, agent, channel, tier) there is no share to take.
    ticket_filtered = any(getattr(filters, name) is not None for name in TICKET_FILTERS)
    rate = None if ticket_filtered else percent(deflections, deflections + created)
    return [
        figure("kb_deflections", deflections, deflections),
        figure("kb_deflection_rate", rate, 0 if ticket_filtered else deflections + created),
    ]


def _surveys(filters: MetricFilters) -> list[Figure]:
    counts = survey_counts(filters)
    if counts is None:
        return [figure("csat", None, 0), figure("csat_response_rate", None, 0)]
    return [
        figure("csat", percent(counts.csat_satisfied, counts.csat_answers), counts.csat_answers),
        figure("csat_response_rate", percent(counts.csat_answers, counts.csat_invitations), counts.csat_invitations),
    ]


def service_scorecard(*, filters: MetricFilters) -> list[Figure]:
    """Every figure of the service scorecard over the filters, in the order of docs/metrics.md."""
    scope = tickets_in_scope(filters)
    rates, created = _rates(scope, filters)
    return [
        _volume(scope, filters),
        *_durations(scope, filters),
        *rates,
        _sla(filters),
        _per_agent(scope, filters),
        _escalation(scope, filters),
        *_surveys(filters),
        *_deflections(filters, created),
    ]
