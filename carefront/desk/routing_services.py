"""Routing: ordered rules applied when a ticket is created or changed, then who gets it.

Order of decisions, written down in docs/routing.md: the rules run in their order, each seeing what the
ones before it set; an assignee set by a rule (or by the person creating the ticket) stands. Otherwise a
client's ticket goes to the account's owner, or, when the owner is away, to the owner's team; and a ticket
with a team but no one assigned is handed out by that team's strategy (round robin, fewest open tickets,
skills and language). What happened is kept in `TicketRouting` and shown on the ticket.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Func, IntegerField, Max, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from carefront.accounts.models import Account, ServiceModel
from carefront.core.access import is_manager
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Counter, Event, StaffProfile, Team
from carefront.core.services import Actor, Change, events_build, events_record
from carefront.core.validation import clean_choice, clean_text
from carefront.desk.models import (
    RoutedBy,
    RoutingRule,
    RunsOn,
    Status,
    Strategy,
    TeamAssignment,
    Ticket,
    TicketRouting,
)
from carefront.desk.routing_selectors import routing_remember
from carefront.desk.rules import (
    ROUTING_ACTIONS,
    RuleShape,
    TicketFacts,
    actions_clean,
    conditions_clean,
    loop_find,
    matches,
    needs_text,
    padded_words,
)

User = get_user_model()

UNSOLVED = [Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD]
MAX_RULES = 500


# Rules ---------------------------------------------------------------------------------------------------


def action_ids_check(actions: Mapping[str, Any], *, field: str = "actions") -> None:
    """Teams and people that actions name must exist (and people be active staff)."""
    team_id = actions.get("team")
    if team_id is not None and not Team.objects.filter(pk=team_id).exists():
        raise ApplicationError(_("No team has id {id}.").format(id=team_id), field=f"{field}.team")
    assignee_id = actions.get("assignee")
    if (
        assignee_id is not None
        and not User.objects.filter(pk=assignee_id, is_active=True, staff_profile__isnull=False).exists()
    ):
        raise ApplicationError(
            _("No active staff member has id {id}.").format(id=assignee_id), field=f"{field}.assignee"
        )


def loop_refuse(shape: RuleShape, others: Iterable[RuleShape], *, kind: str, simultaneous: bool = True) -> None:
    found = loop_find(shape, others, simultaneous=simultaneous)
    if found is not None:
        other, contested = found
        raise ApplicationError(
            _(
                "This {kind} and “{other}” can both act on the same ticket and set {field} differently: "
                "each would undo the other, again and again. Narrow the conditions of one of them."
            ).format(kind=kind, other=other.name, field=contested),
            field="actions",
        )


def _rule_clean(
    *, name: Any, runs_on: Any, conditions: Any, actions: Any, exclude_id: int | None = None
) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    name = clean_text(name, field="name", max_length=100, required=True)
    clean_choice(runs_on, choices=RunsOn.values, field="runs_on")
    cleaned_conditions = conditions_clean(conditions)
    cleaned_actions = actions_clean(actions, allowed=ROUTING_ACTIONS)
    action_ids_check(cleaned_actions)
    if RoutingRule.objects.filter(name=name).exclude(pk=exclude_id or 0).exists():
        raise ApplicationError(_("A routing rule named “{name}” exists.").format(name=name), field="name", status=409)
    return name, runs_on, cleaned_conditions, cleaned_actions


def _rule_loop_check(rule: RoutingRule) -> None:
    # Rules that only run at creation run once per ticket, in order: the last one wins, nothing loops.
    if not rule.is_active or rule.runs_on == RunsOn.CREATED:
        return
    others = (
        RoutingRule.objects.filter(is_active=True)
        .exclude(runs_on=RunsOn.CREATED)
        .exclude(pk=rule.pk)
        .only("name", "conditions", "actions")
    )
    loop_refuse(
        RuleShape(rule.name, rule.conditions, rule.actions),
        (RuleShape(other.name, other.conditions, other.actions) for other in others),
        kind=_("rule"),
    )


def _rule_record(rule: RoutingRule, action: str, changes: Sequence[Change], actor: Actor) -> None:
    _rules_changed()
    events_record(subject_kind="routing_rule", subject_id=rule.pk, action=action, changes=changes, actor=actor)


@transaction.atomic
def routing_rule_create(
    *,
    actor: Actor,
    name: str,
    conditions: Any,
    actions: Any,
    runs_on: str = RunsOn.CREATED,
    position: int | None = None,
    is_active: bool = True,
) -> RoutingRule:
    """A new rule, last in the order unless a position is given."""
    name, runs_on, cleaned_conditions, cleaned_actions = _rule_clean(
        name=name, runs_on=runs_on, conditions=conditions, actions=actions
    )
    if RoutingRule.objects.count() >= MAX_RULES:
        raise ApplicationError(_("At most {max} routing rules.").format(max=MAX_RULES), field="name")
    if position is None:
        position = (RoutingRule.objects.aggregate(last=Max("position"))["last"] or 0) + 1
    rule = RoutingRule(
        name=name,
        runs_on=runs_on,
        conditions=cleaned_conditions,
        actions=cleaned_actions,
        position=position_clean(position),
        is_active=bool(is_active),
    )
    _rule_loop_check(rule)
    rule.save()
    _rule_record(
        rule,
        "created",
        [
            Change("name", None, name),
            Change("conditions", None, cleaned_conditions),
            Change("actions", None, cleaned_actions),
        ],
        actor,
    )
    return rule


def position_clean(position: Any) -> int:
    if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position <= 1_000_000:
        raise ApplicationError(_("Position is a whole number from 0 to 1000000."), field="position")
    return position


@transaction.atomic
def routing_rule_update(*, rule: RoutingRule, actor: Actor, **values: Any) -> RoutingRule:
    """Change a rule's name, conditions, actions, when it runs, its position or whether it is active."""
    rule = RoutingRule.objects.select_for_update().get(pk=rule.pk)
    unknown = set(values) - {"name", "runs_on", "conditions", "actions", "position", "is_active"}
    if unknown:
        raise ApplicationError(_("Unknown field."), field=sorted(unknown)[0])
    name, runs_on, conditions, actions = _rule_clean(
        name=values.get("name", rule.name),
        runs_on=values.get("runs_on", rule.runs_on),
        conditions=values.get("conditions", rule.conditions),
        actions=values.get("actions", rule.actions),
        exclude_id=rule.pk,
    )
    new = {
        "name": name,
        "runs_on": runs_on,
        "conditions": conditions,
        "actions": actions,
        "position": position_clean(values.get("position", rule.position)),
        "is_active": bool(values.get("is_active", rule.is_active)),
    }
    changes = [Change(key, getattr(rule, key), value) for key, value in new.items() if getattr(rule, key) != value]
    if not changes:
        return rule
    for key, value in new.items():
        setattr(rule, key, value)
    _rule_loop_check(rule)
    rule.updated_at = timezone.now()
    rule.save()
    _rule_record(rule, "updated", changes, actor)
    return rule


@transaction.atomic
def routing_rule_delete(*, rule: RoutingRule, actor: Actor) -> None:
    _rule_record(rule, "deleted", [Change("name", rule.name, None)], actor)
    rule.delete()


# Team strategies and away ----------------------------------------------------------------------------------


@transaction.atomic
def team_assignment_set(*, actor: Actor, team: Team, strategy: str) -> TeamAssignment:
    """How a team hands out its unassigned tickets."""
    clean_choice(strategy, choices=Strategy.values, field="strategy")
    assignment, _created = TeamAssignment.objects.select_for_update().get_or_create(team=team)
    if assignment.strategy != strategy:
        events_record(
            subject_kind="team",
            subject_id=team.pk,
            action="assignment_changed",
            changes=[Change("strategy", assignment.strategy, strategy)],
            actor=actor,
        )
        assignment.strategy = strategy
        assignment.save(update_fields=["strategy"])
        _rules_changed()
    return assignment


@transaction.atomic
def staff_away_set(*, actor: Actor, user: Any, away: bool) -> StaffProfile:
    """Mark a staff member away (routing skips them) or back: yourself, or anyone if you manage."""
    if actor is not None and getattr(actor, "pk", None) != user.pk and not is_manager(actor):
        raise ApplicationError(_("Only managers and admins may do this."), status=403)
    if not isinstance(away, bool):
        raise ApplicationError(_("Use true or false."), field="away")
    profile = StaffProfile.objects.select_for_update().filter(user=user).first()
    if profile is None:
        raise ApplicationError(_("Only staff members can be away."), field="user", status=404)
    if profile.away != away:
        events_record(
            subject_kind="staff",
            subject_id=user.pk,
            action="away" if away else "back",
            changes=[Change("away", profile.away, away)],
            actor=actor,
        )
        profile.away = away
        profile.save(update_fields=["away"])
    return profile


def _available(team_id: int) -> Any:
    return User.objects.filter(is_active=True, staff_profile__teams=team_id, staff_profile__away=False)


# Fewest open tickets counts each member's unsolved tickets up to this many: past it everyone is equally busy,
# and the count costs the same however large a backlog grows.
OPEN_COUNT_CAP = 200


class CountUpTo(Func):
    """COUNT(*) over a sliced subquery: how many rows it has, up to its limit, read from the index alone."""

    template = "(SELECT COUNT(*) FROM %(expressions)s AS capped)"
    output_field = IntegerField()


def _with_open_counts(members: QuerySet[Any]) -> QuerySet[Any]:
    unsolved = Ticket.objects.filter(assignee=OuterRef("pk"), status__in=UNSOLVED).order_by().values("pk")
    return members.annotate(open_tickets=CountUpTo(Subquery(unsolved[:OPEN_COUNT_CAP])))


def _pick(team_id: int, strategy: str, *, language: str, tags: Iterable[str]) -> Any:
    """The member of the team the strategy gives the ticket to, or None (no one available)."""
    if strategy == Strategy.ROUND_ROBIN:
        assignment = TeamAssignment.objects.select_for_update().get(team_id=team_id)
        members = list(_available(team_id).order_by("pk"))
        if not members:
            return None
        last = assignment.last_assignee_id or 0
        chosen = next((member for member in members if member.pk > last), members[0])
        assignment.last_assignee = chosen
        assignment.save(update_fields=["last_assignee"])
        return chosen
    # One query: the available members, their profiles and their open tickets.
    candidates = list(_with_open_counts(_available(team_id).select_related("staff_profile")).order_by("pk"))
    if not candidates:
        return None
    if strategy == Strategy.SKILL_LANGUAGE:
        speakers = [c for c in candidates if _speaks(c.staff_profile.languages, language)]
        candidates = speakers or candidates
        wanted = set(tags)
        best = max(len(wanted & _lower(c.staff_profile.skills)) for c in candidates)
        candidates = [c for c in candidates if len(wanted & _lower(c.staff_profile.skills)) == best]
    return min(candidates, key=lambda c: (c.open_tickets, c.pk))


def _lower(values: Any) -> set[str]:
    return {str(value).lower() for value in values or ()}


def _speaks(languages: Any, language: str) -> bool:
    base = language.replace("_", "-").split("-")[0].lower()
    return any(str(spoken).replace("_", "-").split("-")[0].lower() == base for spoken in languages or ())


# Deciding ------------------------------------------------------------------------------------------------


@dataclass
class Routed:
    """A ticket's routing state while the rules run: ids and names, applied to the ticket at the end."""

    priority: str
    tier: int
    tags: set[str]
    team_id: int | None
    assignee_id: int | None
    rules: list[list[Any]] = field(default_factory=list)
    assigned_by: str = ""
    strategy: str = ""
    tags_before: set[str] = field(default_factory=set)
    # The person routing chose, as read while choosing (so that the ticket need not read them again).
    picked: Any = None


def _facts(routed: Routed, *, ticket_like: Mapping[str, Any], words: str) -> TicketFacts:
    return TicketFacts(
        channel=ticket_like["channel"],
        service_model=ticket_like["service_model"],
        segment=ticket_like["segment"],
        language=ticket_like["language"],
        tier=routed.tier,
        priority=routed.priority,
        status=ticket_like["status"],
        assigned=routed.assignee_id is not None,
        tags=frozenset(routed.tags),
        words=words,
        difficult=bool(ticket_like.get("difficult")),
    )


@dataclass(frozen=True)
class ActiveRule:
    """A rule as routing runs it: read once per process and kept until a rule changes."""

    pk: int
    name: str
    conditions: dict[str, Any]
    actions: dict[str, Any]


@dataclass(frozen=True)
class RoutingConfig:
    """The active rules (by when they run) and each team's strategy, as read under one stamp."""

    stamp: int | None
    rules: dict[str, list[ActiveRule]]
    strategies: dict[int, str]


# Every write to the rules or the team strategies stores a new random stamp in this counter row; each process
# keeps the configuration it read with the stamp it read it under, and reads it again when the stamp differs.
# A random stamp, not an increment: after a rolled-back change an increment could come round to one seen before.
RULES_STAMP = "routing_rules_stamp"
_CONFIG: list[RoutingConfig] = []


def _rules_changed() -> None:
    Counter.objects.update_or_create(name=RULES_STAMP, defaults={"value": secrets.randbits(62)})


def routing_config() -> RoutingConfig:
    """The routing configuration: one small read while it stays the same, three when it changed."""
    stamp = Counter.objects.filter(name=RULES_STAMP).values_list("value", flat=True).first()
    if _CONFIG and _CONFIG[0].stamp == stamp:
        return _CONFIG[0]
    rules: dict[str, list[ActiveRule]] = {RunsOn.CREATED: [], RunsOn.UPDATED: []}
    rows = RoutingRule.objects.filter(is_active=True).values_list("pk", "name", "runs_on", "conditions", "actions")
    for pk, name, runs_on, conditions, actions in rows:
        for when in (RunsOn.CREATED, RunsOn.UPDATED):
            if runs_on in (when, RunsOn.BOTH):
                rules[when].append(ActiveRule(pk, name, conditions, actions))
    strategies = dict(TeamAssignment.objects.values_list("team_id", "strategy"))
    config = RoutingConfig(stamp=stamp, rules=rules, strategies=strategies)
    _CONFIG[:] = [config]
    return config


def _rules_apply(routed: Routed, rules: Sequence[ActiveRule], *, ticket_like: Mapping[str, Any], text: Any) -> None:
    words = ""
    for rule in rules:
        if not words and needs_text(rule.conditions):
            words = padded_words(text())
        facts = _facts(routed, ticket_like=ticket_like, words=words)
        if not matches(rule.conditions, facts):
            continue
        actions = rule.actions
        routed.rules.append([rule.pk, rule.name])
        if "priority" in actions:
            routed.priority = actions["priority"]
        if "tier" in actions:
            routed.tier = actions["tier"]
        if "team" in actions:
            routed.team_id = actions["team"]
        if "assignee" in actions:
            routed.assignee_id = actions["assignee"]
            routed.assigned_by = RoutedBy.RULE if actions["assignee"] is not None else ""
        routed.tags |= set(actions.get("tags_add", ()))
        routed.tags -= set(actions.get("tags_remove", ()))


def _assign(routed: Routed, *, account: Account, language: str, config: RoutingConfig) -> None:
    """Owner first for clients, then the team's strategy, for a ticket no one was given to."""
    if routed.assignee_id is not None:
        return
    if account.service_model == ServiceModel.CLIENT and account.owner_id is not None:
        owner = User.objects.select_related("staff_profile").filter(pk=account.owner_id, is_active=True).first()
        profile = getattr(owner, "staff_profile", None) if owner is not None else None
        if profile is not None and not profile.away:
            routed.assignee_id, routed.picked = account.owner_id, owner
            routed.assigned_by = RoutedBy.OWNER
            return
        owner_team = (
            Team.objects.filter(members__user_id=account.owner_id).order_by("name").values_list("pk", flat=True).first()
        )
        if owner_team is not None:
            routed.team_id = owner_team
            routed.assigned_by = RoutedBy.OWNER_AWAY
    _hand_out(routed, language=language, config=config)


def _hand_out(routed: Routed, *, language: str, config: RoutingConfig) -> None:
    """Give an unassigned ticket with a team to a member, by the team's strategy (none for queue only)."""
    if routed.team_id is None or routed.assignee_id is not None:
        return
    strategy = config.strategies.get(routed.team_id)
    if strategy in (None, Strategy.MANUAL):
        return
    chosen = _pick(routed.team_id, strategy, language=language, tags=routed.tags)
    routed.strategy = strategy
    routed.assigned_by = routed.assigned_by or RoutedBy.TEAM
    routed.assignee_id, routed.picked = (chosen.pk, chosen) if chosen is not None else (None, None)


def route_new(
    *,
    account: Account,
    language: str,
    channel: str,
    priority: str,
    tier: int,
    tags: Iterable[str],
    team_id: int | None,
    assignee_id: int | None,
    text: str,
    config: RoutingConfig | None = None,
) -> Routed | None:
    """Where a new ticket goes: the creation rules, then owner-first and team strategies (None: nothing to do).
    `config`: the routing configuration already read, when many tickets are routed at once."""
    routed = Routed(priority=priority, tier=tier, tags=set(tags), team_id=team_id, assignee_id=assignee_id)
    ticket_like = {
        "channel": channel,
        "service_model": account.service_model,
        "segment": account.segment,
        "language": language,
        "status": Status.NEW,
    }
    config = config or routing_config()
    _rules_apply(routed, config.rules[RunsOn.CREATED], ticket_like=ticket_like, text=lambda: text)
    _assign(routed, account=account, language=language, config=config)
    if not routed.rules and not routed.assigned_by and not routed.strategy:
        return None
    return routed


def route_changed(*, ticket: Ticket, team_changed: bool) -> Routed | None:
    """The change rules over a ticket just changed (not yet saved), and the team's strategy if its team changed
    and no one has it. None: nothing matched and nothing to hand out."""
    config = routing_config()
    rules = config.rules[RunsOn.UPDATED]
    if not rules and not (team_changed and ticket.assignee_id is None and ticket.team_id is not None):
        return None
    account = ticket.account
    language = ticket.requester.language
    routed = Routed(
        priority=ticket.priority,
        tier=ticket.tier,
        tags=set(ticket.tags.values_list("name", flat=True)),
        team_id=ticket.team_id,
        assignee_id=ticket.assignee_id,
    )
    ticket_like = {
        "channel": ticket.channel,
        "service_model": account.service_model,
        "segment": account.segment,
        "language": language,
        "status": ticket.status,
        "difficult": ticket.difficult_since is not None,
    }

    def text() -> str:
        first = ticket.messages.order_by("id").values_list("body_text", flat=True).first() or ""
        return f"{ticket.subject}\n{first}"

    routed.tags_before = tags_before = set(routed.tags)
    _rules_apply(routed, rules, ticket_like=ticket_like, text=text)
    if team_changed or routed.team_id != ticket.team_id:
        _hand_out(routed, language=language, config=config)
    unchanged = (
        routed.priority == ticket.priority
        and routed.tier == ticket.tier
        and routed.team_id == ticket.team_id
        and routed.assignee_id == ticket.assignee_id
        and routed.tags == tags_before
    )
    if unchanged and not routed.strategy:
        return None
    return routed


def routing_events(*, ticket: Ticket, routed: Routed, changes: Sequence[Change]) -> list[Event]:
    """Unsaved audit events for what routing changed, the rules that matched as the reason (none if nothing)."""
    if not changes:
        return []
    reason = ", ".join(name for _id, name in routed.rules)
    return events_build(
        subject_kind="ticket",
        subject_id=ticket.pk,
        account_id=ticket.account_id,
        action="routed",
        changes=changes,
        reason=reason,
        actor=None,
    )


def _routing_values(routed: Routed) -> dict[str, Any]:
    return {
        "rules": routed.rules,
        "assigned_by": routed.assigned_by,
        "strategy": routed.strategy,
        "routed_at": timezone.now(),
    }


def routing_record(*, ticket: Ticket, routed: Routed) -> TicketRouting:
    """Keep the latest decision: what the ticket page and the API show as the reason."""
    routing, _created = TicketRouting.objects.update_or_create(ticket=ticket, defaults=_routing_values(routed))
    routing_remember(ticket, routing)
    return routing


def routings_record_new(decisions: Sequence[tuple[Ticket, Routed]]) -> None:
    """The first decisions of tickets just created, in one statement."""
    routings = [TicketRouting(ticket=ticket, **_routing_values(routed)) for ticket, routed in decisions]
    TicketRouting.objects.bulk_create(routings)
    for routing in routings:
        routing_remember(routing.ticket, routing)
