"""The service scorecard: every ticket figure of docs/metrics.md over one set of filters.

Every figure is counted with NumPy over the rows of the period read from the facts by day (facts.py: stored arrays
used while their signature matches the raw rows'), each family read once for all the periods asked (the dashboards'
period and the one before): two or three queries a family, plus the deflections, the survey counts and the names of
teams and agents, whatever the number of tickets. The conditions the figures count by stay here as ORM conditions,
which the dashboards' drill-down lists the same rows with.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from django.contrib.auth import get_user_model
from django.db.models import (
    DateTimeField,
    Exists,
    FloatField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Cast

from carefront.accounts.models import Account
from carefront.core.models import Team
from carefront.desk.models import ClockStatus, Message, SlaClock, SlaMetric, Status, Ticket, Tier
from carefront.desk.selectors import tier_lines
from carefront.insights.metrics.definitions import (
    Figure,
    MetricFilters,
    Part,
    figure,
    percent,
)
from carefront.insights.metrics.facts import (
    CHANNELS,
    FAMILIES,
    METRICS,
    MISSING,
    IdSet,
    Rows,
    Span,
    accounts_kept,
    among,
    between,
    business_seconds,
    families_facts,
    micros,
    next_response_times,
    percentiles_of,
    reopens,
    scoped,
    seconds_between,
    sorted_ids,
    staff_public_replies,
    staff_replies,
    status_events,
    ticket_filtered,
)
from carefront.insights.metrics.sql import Percentiles
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
    if prefix:
        # The few merged tickets as a list the database builds once (a hashed subplan, an ephemeral index), rather
        # than a join to every ticket of the period only to read its merged_into.
        merged = Ticket.objects.filter(merged_into__isnull=False).values("pk")
        condition = ~Q(**{f"{prefix}in": merged})
    else:
        condition = Q(merged_into__isnull=True)
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
        status_events()
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
        staff_replies=staff_replies(),
        ever_reopened=Exists(reopens()),
        reopened_after=Exists(reopens().filter(occurred_at__gte=OuterRef("first_solve"))),
    )


@dataclass(frozen=True)
class TicketFacts:
    """The facts (insights/metrics/facts.py) the service figures read, each array narrowed to the tickets in scope."""

    created: Rows  # tickets created in the period
    responded: Rows  # first responded in the period
    solved: Rows  # last solved in the period
    backlog: Rows  # created before the period's end and not solved by then
    status_changes: Rows  # solves and reopens from the period's start on
    tier_changes: Rows  # tier changes in the period
    clocks_stopped: Rows  # SLA clocks stopped in the period
    clocks_breached: Rows  # SLA clocks breached in the period and still running or paused
    replies: Rows  # public staff replies in the period
    csat: Rows  # CSAT invitations sent in the period


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


TICKET_FAMILIES = frozenset({"created", "responded", "solved", "open"})


def ticket_facts(periods: Sequence[MetricFilters], families: Collection[str] = tuple(FAMILIES)) -> list[TicketFacts]:
    """The facts of each period (the same filters over different dates: the dashboards' period and the one before),
    narrowed to the tickets in scope. Each family is read once over the periods' span: a constant number of queries.
    Only the `families` asked for are read (the others are empty), with the ticket families when another is asked.

    The ticket families are narrowed by their own columns. A row of the other families (a status change, a clock, a
    reply) belongs to a ticket in scope when that ticket is among the span's tickets in scope; the few tickets found
    in none of the span's ticket families whatever the filters (a merged ticket, one whose every date lies outside
    the span) are looked up in one query. The CSAT invitations are narrowed as the drill-down lists them
    (`_csat_scoped`)."""
    filters = periods[0]
    start, end = min(p.start for p in periods), max(p.end for p in periods)
    accounts = accounts_kept(filters, account_q(filters, prefix=""))
    spans: dict[str, Span] = {
        "created": (start, end),
        "responded": (start, end),
        "solved": (start, None),  # and those solved after a period's end: its backlog
        "open": (EPOCH, end),
        "status": (start, None),  # a reopen after a period's end counts
        "tier": (start, end),
        "clocks_stopped": (start, end),
        "clocks_breached": (start, end),
        "replies": (start, end),
        "csat": (start, end),
    }
    read = set(families) | (TICKET_FAMILIES if set(families) - TICKET_FAMILIES else set())
    found = families_facts({name: span for name, span in spans.items() if name in read})
    found |= {name: Rows.of_blobs([], family.dtype) for name, family in FAMILIES.items() if name not in found}
    tickets = {name: found[name] for name in ("created", "responded", "solved", "open")}
    rows = {
        "status_changes": found["status"],
        "tier_changes": found["tier"],
        "clocks_stopped": found["clocks_stopped"],
        "clocks_breached": found["clocks_breached"],
        "replies": found["replies"],
    }
    in_scope = {name: scoped(facts, filters, accounts) for name, facts in tickets.items()}
    known = IdSet(*(facts["id"] for facts in tickets.values()))
    changes = rows["status_changes"]
    solves = changes["ticket"][changes["solve"] & (changes["at"] < micros(end))]
    others = (facts["ticket"] for name, facts in rows.items() if name != "status_changes")
    mentioned = np.concatenate([solves, *others])
    unknown = sorted_ids(mentioned[~known.contains(mentioned)])
    placed = np.zeros(0, dtype=np.int64)
    if len(unknown):
        found_ids = tickets_in_scope(filters).filter(pk__in=unknown.tolist()).values_list("pk", flat=True)
        placed = np.fromiter(found_ids, dtype=np.int64)
    kept = known
    if not ticket_filtered(filters) and accounts is None:
        # Every ticket of the families is in scope: only the rows of the unknown tickets not in it (merged ones) go.
        left_out = np.setdiff1d(unknown, placed, assume_unique=True)
        if len(left_out):
            rows = {name: facts[~among(facts["ticket"], left_out)] for name, facts in rows.items()}
    else:
        kept = IdSet(placed, *(facts["id"] for facts in in_scope.values()))
        rows = {name: facts[kept.contains(facts["ticket"])] for name, facts in rows.items()}

    def meeting_ticket_filters() -> IdSet:
        """The tickets of the families that meet the team, channel and tier filters (those in scope when no other
        filter applies)."""
        if filters.agent is None and accounts is None:
            return kept
        ticket_only = dataclasses.replace(filters, agent=None, advisor=None, segment=None, service_model=None)
        return IdSet(*(scoped(facts, ticket_only, None)["id"] for facts in tickets.values()))

    csat = _csat_scoped(found["csat"], filters, accounts, meeting_ticket_filters, known)
    found_facts = []
    for period in periods:
        solved_later = between(in_scope["solved"], "solved", period.end, None, ordered=True)
        found_facts.append(
            TicketFacts(
                created=between(in_scope["created"], "created", period.start, period.end, ordered=True),
                responded=between(in_scope["responded"], "responded", period.start, period.end, ordered=True),
                solved=between(in_scope["solved"], "solved", period.start, period.end, ordered=True),
                backlog=Rows.joined(
                    [
                        between(in_scope["open"], "created", EPOCH, period.end, ordered=True),
                        between(solved_later, "created", EPOCH, period.end),
                    ]
                ),
                status_changes=between(rows["status_changes"], "at", period.start, None, ordered=True),
                **{
                    name: between(rows[name], "at", period.start, period.end, ordered=True)
                    for name in ("tier_changes", "clocks_stopped", "clocks_breached", "replies")
                },
                csat=between(csat, "at", period.start, period.end, ordered=True),
            )
        )
    return found_facts


def _csat_scoped(
    csat: Rows,
    filters: MetricFilters,
    accounts: IdSet | None,
    meeting_ticket_filters: Callable[[], IdSet],
    known: IdSet,
) -> Rows:
    """The CSAT invitations the filters keep: by their own account and agent, and by their ticket's current team,
    channel and tier (whether or not it was merged since), as the drill-down's `csat_invitations()` lists them. The
    tickets of the span's ticket families are tested against `meeting_ticket_filters()`; the few in none of them
    (not `known`) are looked up in one query."""
    if accounts is not None:
        csat = csat[accounts.contains(csat["account"])]
    if filters.agent is not None:
        csat = csat[csat["agent"] == filters.agent]
    by_ticket = {
        name: getattr(filters, name) for name in ("team", "channel", "tier") if getattr(filters, name) is not None
    }
    if not by_ticket or not len(csat):
        return csat
    meeting = meeting_ticket_filters()
    ids = csat["ticket"]
    unknown = sorted_ids(ids[(ids > 0) & ~known.contains(ids)])
    found = np.zeros(0, dtype=np.int64)
    if len(unknown):
        columns = {"team": "team_id", "channel": "channel", "tier": "tier"}
        lookup = Ticket.objects.filter(
            pk__in=unknown.tolist(), **{columns[name]: value for name, value in by_ticket.items()}
        )
        found = np.fromiter(lookup.values_list("pk", flat=True), dtype=np.int64)
    return csat[meeting.contains(ids) | IdSet(found).contains(ids)]


def _reopens(facts: TicketFacts, filters: MetricFilters) -> tuple[int, int]:
    """The tickets with a solve in the period, and how many of them were reopened after their first solve in it (at
    any time since)."""
    changes = facts.status_changes
    solves = changes[changes["solve"] & (changes["at"] < micros(filters.end))]
    if not len(solves):
        return 0, 0
    reopened_at = changes[~changes["solve"]]
    (solved_tickets, reopened_tickets), size = _dense(solves["ticket"], reopened_at["ticket"])
    # Each ticket's first solve, in an array indexed by ticket: a scatter of the solves rather than a sort of them by
    # ticket (a year's solves at a million tickets: 5 ms against 35).
    never = np.iinfo(np.int64).max
    first_solve = np.full(size, never, dtype=np.int64)
    np.minimum.at(first_solve, solved_tickets, solves["at"])
    after_first = reopened_tickets[reopened_at["at"] >= first_solve[reopened_tickets]]
    return int(np.count_nonzero(first_solve != never)), len(sorted_ids(after_first))


def _dense(*ids: np.ndarray) -> tuple[list[np.ndarray], int]:
    """The ids as positions in an array of `size` places: ids less their smallest, or, when they spread over more
    than a bitmap's worth (IdSet.BITMAP_LIMIT), their ranks among the distinct ones (a sort)."""
    joined = np.concatenate(ids)
    low, high = int(joined.min()), int(joined.max())
    if high - low < IdSet.BITMAP_LIMIT:
        return [found - low for found in ids], high - low + 1
    distinct = sorted_ids(joined)
    return [np.searchsorted(distinct, found) for found in ids], len(distinct)


def _volume(facts: TicketFacts) -> Figure:
    created = facts.created
    counted = {column: _tally(created[column]) for column in ("channel", "tier", "team")}
    teams = dict(Team.objects.filter(pk__in=[pk for pk in counted["team"] if pk]).values_list("pk", "name"))
    by: dict[str, dict[str, int]] = {"channel": {}, "tier": {}, "team": {}}
    for dimension, name_of in (
        ("channel", lambda code: CHANNELS[code] if code >= 0 else ""),
        ("tier", lambda tier: Tier(tier).name),
        ("team", lambda pk: teams.get(pk, "")),
    ):
        for key, n in counted[dimension].items():
            label = name_of(key)
            by[dimension][label] = by[dimension].get(label, 0) + n
    total = len(created)
    breakdowns = {
        dimension: tuple(Part(key=key, value=n, count=n) for key, n in sorted(counts.items()))
        for dimension, counts in by.items()
    }
    return figure("ticket_volume", total, total, breakdowns=breakdowns)


def _rates(facts: TicketFacts, filters: MetricFilters) -> list[Figure]:
    """Resolution, one-touch, reopen rates and the backlog."""
    end = micros(filters.end)
    created_n = len(facts.created)
    solved_by_end = facts.created["solved"]
    created_solved = int(np.count_nonzero((solved_by_end != MISSING) & (solved_by_end < end)))
    solved_n = len(facts.solved)
    one_touch = int(np.count_nonzero((facts.solved["staff_replies"] == 1) & ~facts.solved["reopened"]))
    solve_tickets, reopened = _reopens(facts, filters)
    backlog_n = len(facts.backlog)
    return [
        figure("tickets_solved", solved_n, solved_n),
        figure("resolution_rate", percent(created_solved, created_n), created_n),
        figure("one_touch_resolution_rate", percent(one_touch, solved_n), solved_n),
        figure("reopen_rate", percent(reopened, solve_tickets), solve_tickets),
        figure("backlog", backlog_n, backlog_n),
    ]


def _clocks(filters: MetricFilters, metric: str, ticket: Q) -> QuerySet[SlaClock]:
    """The stopped clocks of a metric whose ticket is in scope and meets `ticket` (conditions on "ticket__")."""
    return SlaClock.objects.filter(
        ticket_scope_q(filters, "ticket__"), ticket, metric=metric, status=ClockStatus.STOPPED
    ).annotate(v=Cast("elapsed", FloatField()))


def _next_responses(filters: MetricFilters) -> QuerySet[Message]:
    """Each public staff reply of the period that answered the requester, with its seconds in `v`."""
    return next_response_times(
        staff_public_replies().filter(_in("created_at", filters), ticket_scope_q(filters, "ticket__"))
    )


# The rows each duration is measured on (a queryset with the seconds in `v`), for the drill-down.
stopped_clocks = _clocks
next_responses = _next_responses


def _durations(facts: TicketFacts, filters: MetricFilters) -> list[Figure]:
    end = np.full(len(facts.backlog), micros(filters.end), dtype=np.int64)
    found: dict[str, Percentiles | None] = {
        "first_response_time_calendar": percentiles_of(
            seconds_between(facts.responded["responded"], facts.responded["created"])
        ),
        "first_response_time_business": percentiles_of(business_seconds(facts.responded["first_response_business"])),
        "next_response_time_calendar": percentiles_of(facts.replies["v"]),
        "next_response_time_business": percentiles_of(
            facts.clocks_stopped["elapsed"][facts.clocks_stopped["metric"] == METRICS.index(SlaMetric.NEXT_RESPONSE)]
        ),
        "resolution_time_calendar": percentiles_of(seconds_between(facts.solved["solved"], facts.solved["created"])),
        "resolution_time_business": percentiles_of(business_seconds(facts.solved["resolution_business"])),
        "backlog_age": percentiles_of(seconds_between(end, facts.backlog["created"])),
    }
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


def _by_code(codes: np.ndarray, size: int) -> list[int]:
    """How many of the codes (0 to size - 1; -1 for none) are each code."""
    return np.bincount(codes[codes >= 0].astype(np.intp), minlength=size).tolist()


def _sla(facts: TicketFacts) -> Figure:
    stopped, breached = facts.clocks_stopped, facts.clocks_breached
    stopped_n = _by_code(stopped["metric"], len(METRICS))
    within_n = _by_code(stopped["metric"][~stopped["breached"]], len(METRICS))
    breached_n = _by_code(breached["metric"], len(METRICS))
    rows = []
    for code, metric in enumerate(METRICS):
        decided = stopped_n[code] + breached_n[code]
        if decided:
            rows.append((metric, decided, within_n[code]))
    rows.sort()
    decided = sum(row[1] for row in rows)
    achieved = sum(row[2] for row in rows)
    parts = tuple(Part(key=metric, value=percent(ok, n), count=n) for metric, n, ok in rows)
    return figure("sla_achievement", percent(achieved, decided), decided, breakdowns={"target": parts})


def _per_agent(facts: TicketFacts) -> Figure:
    solved_by = {pk: n for pk, n in _counts(facts.solved["assignee"]).items() if pk}
    names = dict(get_user_model().objects.filter(pk__in=solved_by).values_list("pk", "username"))
    rows = sorted((names[pk], n) for pk, n in solved_by.items() if pk in names)
    solved = sum(n for _name, n in rows)
    parts = tuple(Part(key=name, value=n, count=n) for name, n in rows)
    return figure("solved_per_agent", solved / len(rows) if rows else None, solved, breakdowns={"agent": parts})


def _tally(values: np.ndarray) -> dict[int, int]:
    """How many times each value (small integers: codes, tiers, ids of teams or users) occurs, by counting into an
    array as long as their range (np.unique would sort them)."""
    if not len(values):
        return {}
    low = min(int(values.min()), 0)
    shifted = values.astype(np.intp)
    if low:
        shifted -= low
    counts = np.bincount(shifted)
    present = np.flatnonzero(counts)
    return dict(zip((present + low).tolist(), counts[present].tolist(), strict=True))


def _counts(values: np.ndarray) -> dict[int, int]:
    """`_tally()` of the values that are not negative (-1: none)."""
    return {key: n for key, n in _tally(values).items() if key >= 0}


def _escalation(facts: TicketFacts, filters: MetricFilters) -> Figure:
    changes = facts.tier_changes
    lines = tier_lines(
        since=filters.start,
        until=filters.end,
        started=_counts(changes["new"][changes["start"]]),
        moved_in=_counts(changes["new"][~changes["start"]]),
        escalated=_counts(changes["old"][changes["escalated"]]),
        resolved=_counts(facts.solved["tier"]),
    )
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
    by_ticket = ticket_filtered(filters)
    rate = None if by_ticket else percent(deflections, deflections + created)
    return [
        figure("kb_deflections", deflections, deflections),
        figure("kb_deflection_rate", rate, 0 if by_ticket else deflections + created),
    ]


def _surveys(facts: TicketFacts) -> list[Figure]:
    sent = len(facts.csat)
    scores = facts.csat["score"]
    answers = int(np.count_nonzero(scores > 0))
    satisfied = int(np.count_nonzero(scores >= 4))
    return [
        figure("csat", percent(satisfied, answers), answers),
        figure("csat_response_rate", percent(answers, sent), sent),
    ]


def service_scorecard(*, filters: MetricFilters) -> list[Figure]:
    """Every figure of the service scorecard over the filters, in the order of docs/metrics.md."""
    return service_scorecards(periods=[filters])[0]


def service_scorecards(*, periods: Sequence[MetricFilters]) -> list[list[Figure]]:
    """The service scorecard over several periods with the same filters (the dashboards' period and the one before
    it), the facts read once for them all."""
    if len({dataclasses.replace(period, start=EPOCH, end=EPOCH) for period in periods}) != 1:
        raise ValueError("The periods of service_scorecards() differ only by their dates.")
    return [
        [
            _volume(facts),
            *_durations(facts, filters),
            *_rates(facts, filters),
            _sla(facts),
            _per_agent(facts),
            _escalation(facts, filters),
            *_surveys(facts),
            *_deflections(filters, len(facts.created)),
        ]
        for filters, facts in zip(periods, ticket_facts(periods), strict=True)
    ]
