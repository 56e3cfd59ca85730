"""Reads of incidents for the screens and the API: the incident log with its counts, and an incident's page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from carefront.accounts.models import ServiceModel
from carefront.relationships.access import affected_visible_to, incidents_visible_to
from carefront.relationships.models import AffectedAccount, DisclosureState, Incident

PAGE = 50


@dataclass(frozen=True)
class IncidentFilters:
    """The incident log's filters: status, and the period the incidents occurred in."""

    status: str | None = None
    occurred_after: datetime | None = None
    occurred_before: datetime | None = None


def _count(condition: Q | None = None) -> Any:
    """A correlated count of the incident's affected accounts (one subquery each, no join that multiplies rows)."""
    rows = AffectedAccount.objects.filter(incident=OuterRef("pk"))
    if condition is not None:
        rows = rows.filter(condition)
    counted = rows.order_by().values("incident").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


UNTOLD_CLIENT = Q(account__service_model=ServiceModel.CLIENT) & ~Q(disclosure_state=DisclosureState.TOLD)


def incidents_log(*, user: Any, filters: IncidentFilters = IncidentFilters()) -> QuerySet[Incident]:
    """The incidents the user may see, each with how many accounts it touched, were told and were remedied, and how
    many client accounts are still untold (`fully_disclosed` is `clients_untold == 0`)."""
    rows = incidents_visible_to(user)
    if filters.status is not None:
        rows = rows.filter(status=filters.status)
    if filters.occurred_after is not None:
        rows = rows.filter(occurred_at__gte=filters.occurred_after)
    if filters.occurred_before is not None:
        rows = rows.filter(occurred_at__lt=filters.occurred_before)
    return rows.select_related("owner", "created_by").annotate(
        affected_count=_count(),
        told_count=_count(Q(disclosure_state=DisclosureState.TOLD)),
        remedied_count=_count(Q(remedied_at__isnull=False)),
        clients_untold=_count(UNTOLD_CLIENT),
    )


@dataclass(frozen=True)
class LogPage:
    rows: list[Incident]
    older: int | None


def incidents_log_page(
    *, user: Any, filters: IncidentFilters = IncidentFilters(), before: int | None = None, size: int = PAGE
) -> LogPage:
    """One page of the log, newest first, from an id cursor: one query whatever the page's depth."""
    rows = incidents_log(user=user, filters=filters)
    if before is not None:
        rows = rows.filter(pk__lt=before)
    found = list(rows.order_by("-id")[: size + 1])
    page = found[:size]
    return LogPage(rows=page, older=page[-1].pk if len(found) > size else None)


def affected_list(*, user: Any, incident: Incident) -> QuerySet[AffectedAccount]:
    """The incident's affected accounts the user may see, clients first, then by name."""
    return (
        affected_visible_to(user)
        .filter(incident=incident)
        .select_related("account", "account__owner", "told_by")
        .order_by("account__service_model", "account__name", "id")
    )


@dataclass(frozen=True)
class IncidentDetail:
    """An incident's page: the incident with its counts and the affected accounts the viewer may see."""

    incident: Incident
    affected: list[AffectedAccount]

    @property
    def fully_disclosed(self) -> bool:
        """Every affected client account was told (counted over all of them, seen or not)."""
        return int(getattr(self.incident, "clients_untold", 0)) == 0


def incident_detail(*, user: Any, incident_id: int) -> IncidentDetail:
    """Everything the incident page shows, in two queries whatever the incident touched (the caller has checked
    access)."""
    incident = incidents_log(user=user).get(pk=incident_id)
    return IncidentDetail(incident=incident, affected=list(affected_list(user=user, incident=incident)))
