"""Who sees which scorecard, over which scope: managers and admins everything; an agent the service scorecard of
their own tickets; an advisor both scorecards over the accounts they own; nobody else anything."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.utils.translation import gettext as _

from carefront.core.access import staff_role
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Role
from carefront.insights.metrics.definitions import RELATIONSHIP, MetricFilters


def metric_filters_scope(*, user: Any, filters: MetricFilters, scorecard: str) -> MetricFilters:
    """The filters narrowed to what the user may see; refused (403) when they ask for someone else's figures."""
    role = staff_role(user)
    if role in {Role.ADMIN, Role.MANAGER}:
        return filters
    if role == Role.AGENT:
        if scorecard == RELATIONSHIP:
            raise ApplicationError(_("The relationship scorecard is for managers and advisors."), status=403)
        if filters.agent not in (None, user.pk):
            raise ApplicationError(_("Agents see the figures of their own tickets."), field="agent", status=403)
        return dataclasses.replace(filters, agent=user.pk)
    if role == Role.ADVISOR:
        if filters.advisor not in (None, user.pk):
            raise ApplicationError(_("Advisors see the figures of the accounts they own."), field="advisor", status=403)
        return dataclasses.replace(filters, advisor=user.pk)
    raise ApplicationError(_("Only staff may see the scorecards."), status=403)
