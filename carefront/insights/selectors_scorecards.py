"""Reads of the dashboards: both scorecards over the user's scope with the previous period beside each figure, the
per-agent and per-advisor cards with their praise, and the rows of a breakdown table."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils import timezone

from carefront.core.access import staff_role
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Role
from carefront.feedback.metrics import csat_invitations, nps_responses
from carefront.feedback.selectors import praise_for
from carefront.insights.metrics.access import metric_filters_scope
from carefront.insights.metrics.definitions import (
    DEFINITIONS,
    HIGHER,
    LOWER,
    RELATIONSHIP,
    SERVICE,
    Figure,
    MetricFilters,
    Part,
    percent,
)
from carefront.insights.metrics.drilldown import DRILLABLE
from carefront.insights.metrics.relationship import accounts_in_scope, relationship_scorecards
from carefront.insights.metrics.service import service_scorecards, solved_q, tickets_in_scope
from carefront.relationships.selectors import Filters, on_time_rates

PRAISE_PER_PERSON = 3


@dataclass(frozen=True)
class FigureLine:
    """A figure on the dashboard: now, in the previous period, the change and whether that change is progress."""

    current: Figure
    previous: Figure
    drillable: bool

    @property
    def change(self) -> float | Decimal | None:
        if self.current.value is None or self.previous.value is None:
            return None
        return self.current.value - self.previous.value  # type: ignore[operator]

    @property
    def trend(self) -> str:
        """ "better", "worse" or "" (no change, no data, or a figure with no better direction)."""
        change, better = self.change, self.current.definition.better
        if not change or better not in (HIGHER, LOWER):
            return ""
        return "better" if (change > 0) == (better == HIGHER) else "worse"


@dataclass(frozen=True)
class Scorecard:
    name: str
    filters: MetricFilters
    lines: list[FigureLine]


def scorecard_allowed(*, user: Any, scorecard: str) -> bool:
    role = staff_role(user)
    if role in {Role.ADMIN, Role.MANAGER, Role.ADVISOR}:
        return True
    return role == Role.AGENT and scorecard == SERVICE


def scorecard_with_previous(*, user: Any, filters: MetricFilters, scorecard: str) -> tuple[list[Figure], list[Figure]]:
    """A scorecard's figures over the (already scoped) filters and over the period before (the service scorecard
    reads its facts once for both, the relationship one finds its currency once)."""
    previous = filters.previous()
    if scorecard == SERVICE:
        now, before = service_scorecards(periods=[filters, previous])
        return now, before
    now, before = relationship_scorecards(periods=[filters, previous], user=user)
    return now, before


def scorecard_read(*, user: Any, filters: MetricFilters, scorecard: str) -> Scorecard:
    """One scorecard over the user's scope of the filters, the previous period beside each figure (403 when the
    user may not see it)."""
    scoped = metric_filters_scope(user=user, filters=filters, scorecard=scorecard)
    current, previous = scorecard_with_previous(user=user, filters=scoped, scorecard=scorecard)
    lines = [
        FigureLine(current=now, previous=before, drillable=now.name in DRILLABLE)
        for now, before in zip(current, previous, strict=True)
    ]
    return Scorecard(name=scorecard, filters=scoped, lines=lines)


def scorecards_read(*, user: Any, filters: MetricFilters) -> list[Scorecard]:
    """The scorecards the user may see (an agent the service one), each over their scope."""
    return [
        scorecard_read(user=user, filters=filters, scorecard=name)
        for name in (SERVICE, RELATIONSHIP)
        if scorecard_allowed(user=user, scorecard=name)
    ]


def breakdown_rows(*, user: Any, filters: MetricFilters, name: str, dimension: str) -> tuple[Figure, tuple[Part, ...]]:
    """A figure's breakdown table (for its CSV), over the user's scope; 404 for a figure or dimension without one."""
    definition = DEFINITIONS.get(name)
    if definition is None:
        raise ApplicationError("", status=404)
    card = scorecard_read(user=user, filters=filters, scorecard=definition.scorecard)
    line = next(line for line in card.lines if line.current.name == name)
    if dimension not in line.current.breakdowns:
        raise ApplicationError("", status=404)
    return line.current, line.current.breakdowns[dimension]


# --- people --------------------------------------------------------------------------------------


@dataclass
class PersonCard:
    """One agent's or advisor's figures over the period, and their praise."""

    user: Any
    solved: int = 0
    csat_answers: int = 0
    csat_satisfied: int = 0
    nps_answers: int = 0
    nps_promoters: int = 0
    nps_detractors: int = 0
    kept: int = 0
    late: int = 0
    praise: list[Any] = field(default_factory=list)

    @property
    def csat(self) -> float | None:
        return percent(self.csat_satisfied, self.csat_answers)

    @property
    def nps(self) -> float | None:
        if not self.nps_answers:
            return None
        return 100 * (self.nps_promoters - self.nps_detractors) / self.nps_answers

    @property
    def on_time_rate(self) -> float | None:
        return percent(self.kept, self.kept + self.late)


def _people(ids: set[int]) -> dict[int, Any]:
    return {user.pk: user for user in get_user_model().objects.filter(pk__in=ids).select_related("staff_profile")}


def _sorted(cards: dict[int, PersonCard]) -> list[PersonCard]:
    return sorted(cards.values(), key=lambda card: str(card.user.get_full_name() or card.user.get_username()))


def agent_cards(*, user: Any, filters: MetricFilters) -> list[PersonCard]:
    """Each agent with tickets solved or CSAT answers in the scope: solved tickets, CSAT and their praise. Four
    queries whatever the number of agents (solved by agent, CSAT by agent, the people, the praise window)."""
    scoped = metric_filters_scope(user=user, filters=filters, scorecard=SERVICE)
    solved = dict(
        tickets_in_scope(scoped)
        .filter(solved_q(scoped), assignee__isnull=False)
        .values_list("assignee_id")
        .annotate(n=Count("pk"))
    )
    csat = {
        agent: (answers, satisfied)
        for agent, answers, satisfied in csat_invitations(scoped)
        .filter(agent__isnull=False)
        .values_list("agent_id")
        .annotate(answers=Count("response"), satisfied=Count("response", filter=Q(response__score__gte=4)))
    }
    people = _people(set(solved) | set(csat))
    cards = {
        pk: PersonCard(
            user=person,
            solved=solved.get(pk, 0),
            csat_answers=csat.get(pk, (0, 0))[0],
            csat_satisfied=csat.get(pk, (0, 0))[1],
        )
        for pk, person in people.items()
    }
    praise = praise_for(
        user=user, by="agent", people=cards, since=scoped.start, until=scoped.end, per_person=PRAISE_PER_PERSON
    )
    for pk, card in cards.items():
        card.praise = praise.get(pk, [])
    return _sorted(cards)


def advisor_cards(*, user: Any, filters: MetricFilters) -> list[PersonCard]:
    """Each advisor owning accounts in the scope with NPS answers or commitments due: their clients' NPS, their
    commitments' on-time rate and praise from their clients. Four queries whatever the number of advisors."""
    scoped = metric_filters_scope(user=user, filters=filters, scorecard=RELATIONSHIP)
    nps = {
        owner: (answers, promoters, detractors)
        for owner, answers, promoters, detractors in nps_responses(scoped)
        .filter(account__owner__isnull=False)
        .values_list("account__owner_id")
        .annotate(
            answers=Count("pk"),
            promoters=Count("pk", filter=Q(score__gte=9)),
            detractors=Count("pk", filter=Q(score__lte=6)),
        )
    }
    rates = {
        rate.key: rate
        for rate in on_time_rates(
            user=user,
            by="owner",
            filters=Filters(
                due_after=scoped.start,
                due_before=scoped.end,
                accounts=accounts_in_scope(scoped).values("pk"),
                owner=scoped.advisor,
            ),
            now=min(scoped.end, timezone.now()),
        )
    }
    people = {
        pk: person
        for pk, person in _people(set(nps) | {key for key in rates if key is not None}).items()
        if staff_role(person) in {Role.ADVISOR, Role.MANAGER, Role.ADMIN}
    }
    cards = {}
    for pk, person in people.items():
        answers, promoters, detractors = nps.get(pk, (0, 0, 0))
        rate = rates.get(pk)
        cards[pk] = PersonCard(
            user=person,
            nps_answers=answers,
            nps_promoters=promoters,
            nps_detractors=detractors,
            kept=rate.kept if rate else 0,
            late=rate.late if rate else 0,
        )
    praise = praise_for(
        user=user, by="advisor", people=cards, since=scoped.start, until=scoped.end, per_person=PRAISE_PER_PERSON
    )
    for pk, card in cards.items():
        card.praise = praise.get(pk, [])
    return _sorted(cards)
