"""Reads of SLA state, shaped for the ticket page, the inbox and the API."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from carefront.desk.business_time import epoch
from carefront.desk.models import Calendar, ClockStatus, SlaClock, SlaMetric, SlaPolicy
from carefront.desk.sla_services import business_line

METRIC_ORDER: dict[str, int] = {"first_response": 0, "next_response": 1, "resolution": 2}


@dataclass(frozen=True)
class SlaTargetState:
    """One timed target of a ticket, as of a moment."""

    metric: str
    label: str
    target_minutes: int
    elapsed_minutes: int
    due_at: datetime | None
    state: str  # active, paused, achieved or breached
    warning: bool
    breached_at: datetime | None
    achieved_at: datetime | None


@dataclass(frozen=True)
class TicketSla:
    """A ticket's SLA: the policy that times it and the state of each target."""

    policy_id: int | None
    policy: str | None
    targets: list[SlaTargetState]

    @property
    def state(self) -> str:
        """The worst state among the targets still timed: breached, warning, active, paused; once none is
        timed any more, breached if one was, else achieved."""
        timed = [t for t in self.targets if t.achieved_at is None]
        if any(t.state == "breached" for t in timed):
            return "breached"
        if any(t.warning for t in timed):
            return "warning"
        if any(t.state == "active" for t in timed):
            return "active"
        if timed:
            return "paused"
        return "breached" if any(t.state == "breached" for t in self.targets) else "achieved"


def sla_clocks_prefetch() -> Any:
    """What a ticket list or page prefetches so that `ticket_sla` reads nothing more."""
    return Prefetch("sla_clocks", queryset=SlaClock.objects.select_related("policy", "calendar"))


def ticket_sla(clocks: Iterable[SlaClock], *, now: datetime | None = None) -> TicketSla | None:
    """The SLA state of a ticket from its clocks (None when no policy times it)."""
    ordered = sorted(clocks, key=lambda clock: METRIC_ORDER.get(clock.metric, 9))
    if not ordered:
        return None
    instant = epoch(now or timezone.now())
    targets = []
    for clock in ordered:
        if clock.status == ClockStatus.RUNNING and clock.base is not None:
            elapsed = business_line(clock.calendar).position(instant) - clock.base
        else:
            elapsed = clock.elapsed
        breached = clock.breached_at is not None or elapsed > clock.target_seconds
        if breached:
            state = "breached"
        elif clock.status == ClockStatus.STOPPED:
            state = "achieved"
        elif clock.status == ClockStatus.PAUSED:
            state = "paused"
        else:
            state = "active"
        targets.append(
            SlaTargetState(
                metric=clock.metric,
                label=str(SlaMetric(clock.metric).label),
                target_minutes=clock.target_seconds // 60,
                elapsed_minutes=max(0, elapsed) // 60,
                due_at=clock.due_at,
                state=state,
                warning=not breached
                and clock.status == ClockStatus.RUNNING
                and elapsed * 100 >= clock.target_seconds * clock.warn_percent,
                breached_at=clock.breached_at,
                achieved_at=clock.stopped_at if clock.status == ClockStatus.STOPPED else None,
            )
        )
    policy = ordered[0].policy
    return TicketSla(policy_id=policy.pk if policy else None, policy=policy.name if policy else None, targets=targets)


def calendars_list() -> QuerySet[Calendar]:
    return Calendar.objects.prefetch_related("hours", "holidays").order_by("id")


def calendar_detail(*, calendar_id: int) -> Calendar:
    return calendars_list().get(pk=calendar_id)


def sla_policies_list() -> QuerySet[SlaPolicy]:
    """Policies in the order they are tried."""
    return SlaPolicy.objects.prefetch_related("targets").order_by("position", "id")


def sla_policy_detail(*, policy_id: int) -> SlaPolicy:
    return sla_policies_list().get(pk=policy_id)
