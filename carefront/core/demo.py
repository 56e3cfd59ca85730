"""Realistic, deterministic demo data; `carefront demo` is a thin wrapper around `demo_load`.

Two phases. Planning (`carefront.core.demo_plan`) draws everything from the seed and touches no
database, so the same seed and the same `today` always give the same plan. Loading, here, then
writes the plan through the real services (staff, accounts, contacts,
service-model changes, tickets, replies, notes, updates and the auto-close job), so validation and the
audit trail are the product's own; only orders and their items go in with `bulk_create`, after the
same validators the order service uses.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal
from typing import Any, TextIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carefront.accounts.models import Account, Order, OrderItem, ServiceModel
from carefront.accounts.services import account_change_service_model, account_create, contact_create, order_items_clean
from carefront.core.demo_data import (
    AUTOMATIONS,
    CLIENT_REASONS,
    FRONT_LINE,
    MACROS,
    PROBLEM_SOLVING,
    ROUTING_RULES,
    SLA_CALENDARS,
    SLA_POLICIES,
    STAFF,
    TEAM_STRATEGIES,
    TEAMS,
    TECHNICAL,
    TOPICS,
    StaffMember,
)
from carefront.core.demo_plan import HISTORY_DAYS, AccountPlan, TicketPlan, demo_plan
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Role, Team
from carefront.core.selectors import cost_rates
from carefront.core.services import cost_rate_set, staff_create
from carefront.core.validation import clean_currency, clean_datetime, clean_decimal, clean_text
from carefront.desk.automation_services import automation_create
from carefront.desk.business_time import WorkingPeriod
from carefront.desk.macro_services import macro_create
from carefront.desk.models import Automation, Calendar, Macro, RoutingRule, SlaPolicy, Status, Ticket
from carefront.desk.routing_services import routing_rule_create, team_assignment_set
from carefront.desk.selectors import tier_queues
from carefront.desk.services import (
    ticket_add_note,
    ticket_create,
    ticket_escalate,
    ticket_reply,
    ticket_update,
    tickets_close_solved,
    tier_queue_set,
)
from carefront.desk.sla_services import TargetMinutes, calendar_create, sla_clocks_check, sla_policy_create
from carefront.feedback.demo import demo_feedback_load
from carefront.insights.demo_goals import demo_goals_load
from carefront.insights.services import insight_settings, insight_settings_update, insights_refresh_now
from carefront.knowledge.demo_articles import demo_articles_load
from carefront.mail.selectors import mailbox_for_addresses
from carefront.mail.services import mailbox_create
from carefront.relationships.demo import demo_health_load, demo_relationships_load

User = get_user_model()

# Rough rates to the euro, for the demo's markets; an installation keeps its own under Settings → Insights.
DEMO_EXCHANGE_RATES = {"AUD": "0.60", "CAD": "0.66", "CHF": "1.06", "GBP": "1.17", "MXN": "0.05", "USD": "0.92"}
DEMO_MINUTES_BY_TIER = {0: 2, 1: 6, 2: 18, 3: 35}
DEMO_COST_RATES = {
    Role.AGENT: Decimal("32.00"),
    Role.ADVISOR: Decimal("65.00"),
    Role.MANAGER: Decimal("55.00"),
    Role.ADMIN: Decimal("50.00"),
}


@dataclass(frozen=True)
class DemoSummary:
    """What `demo_load` wrote, for the command to report."""

    seed: int
    today: date
    staff_created: int
    accounts: int
    clients: int
    served_for: int
    contacts: int
    orders: int
    order_items: int
    tickets: int
    messages: int
    seconds: float
    staff_password: str | None
    admin_exists: bool


class _HistoryClock:
    """Stands in for `django.utils.timezone.now` while the demo writes the past."""

    def __init__(self, real_now: Any) -> None:
        self.real_now = real_now
        self.moment: datetime | None = None

    def now(self) -> datetime:
        return self.moment if self.moment is not None else self.real_now()


@contextmanager
def _history_clock() -> Iterator[_HistoryClock]:
    """Let the services stamp a simulated moment instead of the wall clock.

    Why a clock and not a rewrite afterwards: audit events are append-only (Event refuses updates), so
    backdating tickets after the fact would leave their audit trail dated today, contradicting them.
    With the clock set, each service stamps the ticket, its messages and its audit events with the same
    moment, exactly as if the story had happened then. The services call `timezone.now()` through the
    module, so replacing the module attribute reaches all of them; it is process-wide, which is fine for
    a single-threaded command and restored on the way out, even on error.
    """
    clock = _HistoryClock(timezone.now)
    timezone.now = clock.now
    try:
        yield clock
    finally:
        timezone.now = clock.real_now


def demo_accounts_count() -> int:
    """How many accounts exist: the demo loads into an empty database unless told otherwise."""
    return Account.objects.count()


def demo_load(
    *,
    seed: int,
    accounts: int,
    today: date,
    staff_password: str | None = None,
    stdout: TextIO | None = None,
) -> DemoSummary:
    """Plan and write the demo data for `accounts` accounts, all dated in the two years before `today`.

    Staff get `staff_password` (or an unusable password); the installation's admin is not created here
    (that is `createadmin`). Everything is written in one transaction. With `stdout` (a terminal), a
    progress bar is drawn on it.
    """
    if accounts < 1:
        raise ApplicationError(_("Ask for at least one account."), field="accounts")
    started = time.perf_counter()
    prefix = f"CUS-{seed}-"
    if Account.objects.filter(external_id__startswith=prefix).exists():
        raise ApplicationError(
            _("Demo data for seed {seed} is already loaded; choose another --seed.").format(seed=seed), field="seed"
        )
    end = datetime(today.year, today.month, today.day, tzinfo=UTC)
    account_plans, ticket_plans = demo_plan(seed=seed, accounts=accounts, end=end)

    with _progress(stdout) as progress, transaction.atomic(), _history_clock() as clock:
        clock.moment = end - timedelta(days=HISTORY_DAYS + 1)
        staff, teams, created = _staff_ensure(staff_password)
        demo_sla_configure(now=clock.real_now())
        _tier_queues_configure(teams)
        _macros_configure(staff)
        demo_articles_load(actor=None)
        progress.start(_("Accounts"), len(account_plans))
        _accounts_write(account_plans, staff=staff, clock=clock, progress=progress)
        progress.start(_("Orders"), 1)
        orders, items = _orders_write(account_plans)
        progress.advance()
        progress.start(_("Tickets"), len(ticket_plans))
        messages = _tickets_write(ticket_plans, staff=staff, teams=teams, clock=clock, progress=progress)
        _auto_close_replay(ticket_plans, end=end)
        # Routing and automations are switched on at the end of the story: its history happened before them.
        clock.moment = end - timedelta(minutes=1)
        _routing_configure(teams)
        _mailbox_configure(teams)
        _cost_rates_configure()
        _insights_configure()
        # The advisors' engagements, promises and what their clients owe, over the last weeks of the story.
        demo_relationships_load(end=end, travel=lambda moment: setattr(clock, "moment", moment))
        clock.moment = end - timedelta(minutes=1)
        # Surveys, campaigns and a few months of answers (before the health scores, which read them).
        demo_feedback_load(end=end, seed=seed)
        # Mark the breaches of the story as the periodic check would have (its notifications are not sent).
        sla_clocks_check(now=end)
        # Score the accounts as the nightly job would, so the Insights page has something to say on day one.
        insights_refresh_now(now=end)
        # Score the clients' health as the hourly job would have, with a few weeks of history for their charts.
        demo_health_load(end=end)
        # A few team goals set weeks ago, measured weekly since, so their screens show progress.
        demo_goals_load(end=end)

    return DemoSummary(
        seed=seed,
        today=today,
        staff_created=created,
        accounts=len(account_plans),
        clients=sum(1 for plan in account_plans if plan.owner),
        served_for=sum(1 for plan in account_plans if plan.served_for is not None),
        contacts=sum(len(plan.contacts) for plan in account_plans),
        orders=orders,
        order_items=items,
        tickets=len(ticket_plans),
        messages=messages,
        seconds=time.perf_counter() - started,
        staff_password=staff_password,
        admin_exists=User.objects.filter(is_active=True, staff_profile__role=Role.ADMIN).exists(),
    )


# --- loading: through the services, in one transaction --------------------------------------------


class _Progress:
    """A rich progress bar on a terminal, or nothing."""

    def __init__(self, bar: Any = None) -> None:
        self.bar = bar
        self.task: Any = None

    def start(self, description: str, total: int) -> None:
        if self.bar is not None:
            self.task = self.bar.add_task(description, total=total)

    def advance(self, steps: int = 1) -> None:
        if self.bar is not None and self.task is not None:
            self.bar.advance(self.task, steps)


@contextmanager
def _progress(stdout: TextIO | None) -> Iterator[_Progress]:
    if stdout is None:
        yield _Progress()
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(file=stdout), transient=True) as bar:
        yield _Progress(bar)


def _staff_ensure(password: str | None) -> tuple[dict[str, Any], dict[str, Team], int]:
    """The demo's teams and staff, reusing any that already exist (a second load with another seed)."""
    teams = {
        name: Team.objects.get_or_create(name=name, defaults={"description": description})[0]
        for name, description in TEAMS.items()
    }
    existing = {user.get_username(): user for user in User.objects.filter(username__in=[m.username for m in STAFF])}
    staff: dict[str, Any] = {}
    created = 0
    for member in STAFF:
        user = existing.get(member.username)
        if user is None:
            user = _staff_member_create(member, password=password, teams=teams)
            created += 1
        staff[member.username] = user
    return staff, teams, created


def demo_sla_configure(*, now: datetime) -> None:
    """The demo's business calendars and SLA policies, unless an earlier load made them."""
    for name, (zone, country, region, opens, closes) in SLA_CALENDARS.items():
        if not Calendar.objects.filter(name=name).exists():
            hours = [WorkingPeriod(day, dt_time(opens), dt_time(closes)) for day in range(5)]
            calendar_create(
                actor=None, name=name, time_zone=zone, country=country, subdivision=region, hours=hours, now=now
            )
    for name, service_model, calendar_name, targets in SLA_POLICIES:
        if not SlaPolicy.objects.filter(name=name).exists():
            sla_policy_create(
                actor=None,
                name=name,
                calendar=Calendar.objects.get(name=calendar_name),
                service_model=service_model,
                targets={
                    priority: TargetMinutes(first_response=first, next_response=following, resolution=resolution)
                    for priority, (first, following, resolution) in targets.items()
                },
            )


def _macros_configure(staff: dict[str, Any]) -> None:
    """The demo's shared macros in English and French, written by its manager, unless they exist."""
    manager = next(user for user in staff.values() if user.staff_profile.role == Role.MANAGER)
    for name, kind, status, tags, english, french in MACROS:
        if not Macro.objects.filter(owner__isnull=True, name=name).exists():
            macro_create(
                actor=manager,
                name=name,
                kind=kind,
                set_status=status,
                add_tags=tags,
                shared=True,
                texts={"en": english, "fr": french},
            )


def _routing_configure(teams: dict[str, Team]) -> None:
    """The demo's team strategies, routing rules and automations, unless an earlier load made them. The
    automations leave the tickets already due alone, as an admin starting them on a live desk would."""
    for team_name, strategy in TEAM_STRATEGIES.items():
        team_assignment_set(actor=None, team=teams[team_name], strategy=strategy)
    for name, runs_on, conditions, actions in ROUTING_RULES:
        if not RoutingRule.objects.filter(name=name).exists():
            if "team" in actions:
                actions = {**actions, "team": teams[actions["team"]].pk}
            routing_rule_create(actor=None, name=name, runs_on=runs_on, conditions=conditions, actions=actions)
    for name, since, hours, calendar_name, conditions, actions in AUTOMATIONS:
        if not Automation.objects.filter(name=name).exists():
            automation_create(
                actor=None,
                name=name,
                since=since,
                hours=hours,
                calendar=Calendar.objects.get(name=calendar_name) if calendar_name else None,
                conditions=conditions,
                actions=actions,
                skip_due=True,
            )


DEMO_MAILBOX = "support@carefront.localhost"


def _mailbox_configure(teams: dict[str, Team]) -> None:
    """The address the README's example email goes to, for the front line, unless it exists."""
    if mailbox_for_addresses([DEMO_MAILBOX]) is None:
        mailbox_create(
            actor=None,
            address=DEMO_MAILBOX,
            name="Carefront Support",
            team=teams[FRONT_LINE],
            signature="Carefront Support · https://carefront.localhost/help",
        )


def _tier_queues_configure(teams: dict[str, Team]) -> None:
    """Each tier's team queue, unless one is set already."""
    configured = tier_queues()
    for tier, team_name in ((1, FRONT_LINE), (2, PROBLEM_SOLVING), (3, TECHNICAL)):
        if tier not in configured:
            tier_queue_set(actor=None, tier=tier, team=teams[team_name])


def _staff_member_create(member: StaffMember, *, password: str | None, teams: dict[str, Team]) -> Any:
    return staff_create(
        username=member.username,
        email=f"{member.username}@carefront.example",
        role=member.role,
        password=password,
        first_name=member.first_name,
        last_name=member.last_name,
        time_zone=member.time_zone,
        languages=list(member.languages),
        skills=list(member.skills),
        teams=[teams[member.team]] if member.team else [],
    )


def _accounts_write(
    plans: list[AccountPlan], *, staff: dict[str, Any], clock: _HistoryClock, progress: _Progress
) -> None:
    manager = next(staff[m.username] for m in STAFF if m.role == Role.MANAGER)
    for plan in plans:
        direct_client = plan.owner is not None and plan.client_since is None
        clock.moment = plan.created_at
        plan.account = account_create(
            actor=manager if plan.owner else None,
            name=plan.name,
            kind=plan.kind,
            service_model=ServiceModel.CLIENT if direct_client else ServiceModel.CUSTOMER,
            lifecycle_stage=None if direct_client else plan.lifecycle_stage,
            owner=staff[plan.owner] if direct_client and plan.owner else None,
            locale=plan.market.locale,
            time_zone=plan.time_zone,
            country=plan.market.country,
            segment=plan.segment,
            tags=plan.tags,
            served_for=plan.served_for.account if plan.served_for else None,
            external_id=plan.external_id,
            custom_fields=plan.custom_fields,
        )
        for number, contact in enumerate(plan.contacts):
            clock.moment = plan.created_at + timedelta(minutes=1 + number)
            contact_create(
                actor=None,
                account=plan.account,
                name=contact.name,
                email=contact.email,
                phone=contact.phone,
                language=contact.language,
                preferred_channel=contact.preferred_channel,
                external_id=contact.external_id,
            )
        progress.advance()
    converted = sorted((p for p in plans if p.client_since is not None), key=lambda p: (p.client_since, p.index))
    for number, plan in enumerate(converted):
        assert plan.account is not None and plan.client_since is not None and plan.owner is not None
        clock.moment = plan.client_since
        plan.account = account_change_service_model(
            account=plan.account,
            actor=manager,
            service_model=ServiceModel.CLIENT,
            owner=staff[plan.owner],
            reason=CLIENT_REASONS[number % len(CLIENT_REASONS)],
        )


def _orders_write(plans: list[AccountPlan]) -> tuple[int, int]:
    """Orders in bulk, each one first checked by the validators `order_create` uses."""
    orders: list[Order] = []
    lines: list[tuple[Order, list[OrderItem]]] = []
    for plan in plans:
        for order_plan in plan.orders:
            items = order_items_clean(order_plan.items)
            total = sum((item.unit_price * item.quantity for item in items), Decimal("0"))
            placed_at = clean_datetime(order_plan.placed_at, field="placed_at")
            order = Order(
                account=plan.account,
                external_id=clean_text(order_plan.external_id, field="external_id", max_length=100, required=True),
                placed_at=placed_at,
                amount=clean_decimal(total, field="amount"),
                currency=clean_currency(plan.market.currency),
                created_at=placed_at,
                updated_at=placed_at,
            )
            orders.append(order)
            lines.append((order, items))
    Order.objects.bulk_create(orders, batch_size=1000)
    items_all = []
    for order, items in lines:
        for item in items:
            item.order = order
            items_all.append(item)
    OrderItem.objects.bulk_create(items_all, batch_size=2000)
    return len(orders), len(items_all)


def _minutes_spent(ticket: Ticket, body: str) -> int:
    """Staff time on a reply: more at higher tiers, varied by the text (no draw from the plan's random stream,
    so adding it changed nothing else the seed decides)."""
    return DEMO_MINUTES_BY_TIER[ticket.tier] + len(body) % 9


def _cost_rates_configure() -> None:
    """What an hour of each role costs, unless the installation has set its own: cost to serve needs them."""
    for role, hourly in DEMO_COST_RATES.items():
        if role not in cost_rates():
            cost_rate_set(actor=None, role=role, hourly=hourly)


def _insights_configure() -> None:
    """Value every market's orders in euros, unless the installation has chosen its own currency."""
    if not insight_settings().currency:
        insight_settings_update(actor=None, currency="EUR", exchange_rates=DEMO_EXCHANGE_RATES)


def _tickets_write(
    plans: list[TicketPlan],
    *,
    staff: dict[str, Any],
    teams: dict[str, Team],
    clock: _HistoryClock,
    progress: _Progress,
) -> int:
    contacts: dict[int, list[Any]] = {}
    messages = 0
    for plan in plans:
        account = plan.account.account
        assert account is not None
        if account.pk not in contacts:
            contacts[account.pk] = list(account.contacts.order_by("id"))
        requester = contacts[account.pk][plan.contact]
        ticket: Ticket | None = None
        for step in plan.steps:
            clock.moment = step.at
            by = staff[step.by] if step.by else None
            if step.kind == "create":
                tier, tag, _org, _order = TOPICS[plan.topic]
                tags = [tag, "vip"] if plan.account.owner else [tag]
                ticket = ticket_create(
                    actor=None,
                    requester=requester,
                    subject=plan.subject,
                    body=step.body,
                    channel=plan.channel,
                    priority=plan.priority,
                    tier=0 if tier == 0 else 1,
                    team=teams[FRONT_LINE],
                    tags=tags,
                    route=False,
                )
                messages += 1
                continue
            assert ticket is not None
            if step.kind == "staff_reply":
                ticket_reply(
                    ticket=ticket,
                    body=step.body,
                    staff=by,
                    actor=by,
                    status=step.status,
                    minutes_spent=_minutes_spent(ticket, step.body),
                    email_requester=False,
                )
                messages += 1
            elif step.kind == "contact_reply":
                ticket_reply(ticket=ticket, body=step.body, contact=requester, actor=None)
                messages += 1
            elif step.kind == "note":
                ticket_add_note(
                    ticket=ticket, actor=by, body=step.body, minutes_spent=_minutes_spent(ticket, step.body) // 2
                )
                messages += 1
            elif step.kind == "escalate":
                ticket_escalate(
                    ticket=ticket, actor=by, tier=step.changes["tier"], reason=step.reason, notify_team=False
                )
            else:
                changes = dict(step.changes)
                if "team" in changes:
                    changes["team"] = teams[changes["team"]]
                if "assignee" in changes:
                    changes["assignee"] = staff[changes["assignee"]]
                ticket_update(ticket=ticket, actor=by, reason=step.reason, **changes)
        progress.advance()
    return messages


def _auto_close_replay(plans: list[TicketPlan], *, end: datetime) -> None:
    """Run the real auto-close job over the history at 03:00 each day, as the scheduler would have.

    Only the days on which a run finds something to close are replayed: a run that finds nothing
    changes nothing, so skipping it gives the same data with a fraction of the queries.
    """
    older_than = timedelta(days=settings.CAREFRONT_AUTO_CLOSE_DAYS)
    days: set[datetime] = set()
    for plan in plans:
        for step in plan.steps:
            if step.status == Status.SOLVED:
                due = step.at + older_than
                run = datetime(due.year, due.month, due.day, 3, tzinfo=UTC)
                days.add(run if run > due else run + timedelta(days=1))
    for day in sorted(days):
        if day <= end:
            tickets_close_solved(older_than=older_than, now=day)
