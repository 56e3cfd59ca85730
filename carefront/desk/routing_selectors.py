"""Reads of routing rules, team strategies, automations and why a ticket was routed."""

from __future__ import annotations

from django.db.models import QuerySet

from carefront.core.models import Team
from carefront.desk.models import Automation, RoutingRule, Ticket, TicketRouting


def routing_rules_list() -> QuerySet[RoutingRule]:
    """Every rule, in the order they run."""
    return RoutingRule.objects.order_by("position", "id")


def automations_list() -> QuerySet[Automation]:
    return Automation.objects.select_related("calendar").order_by("position", "id")


def teams_with_assignment() -> QuerySet[Team]:
    """Teams with their assignment strategy (None: queue only) and their members, in two queries."""
    return Team.objects.select_related("assignment").prefetch_related("members__user").order_by("name")


def team_strategy(team: Team) -> str:
    assignment = getattr(team, "assignment", None)
    return assignment.strategy if assignment is not None else "manual"


def ticket_routing(ticket: Ticket) -> TicketRouting | None:
    """The ticket's latest routing decision (read with the ticket by the staff selectors), or None."""
    try:
        return ticket.routing
    except TicketRouting.DoesNotExist:
        return None


def routing_remember(ticket: Ticket, routing: TicketRouting | None) -> None:
    """Hold a new ticket's routing (or its absence) as select_related would, so showing it reads nothing back."""
    ticket._state.fields_cache["routing"] = routing
