"""The demo's plan: who buys what when, and every ticket's story, drawn from the seed alone.

Pure Python: one `random.Random(seed)` and per-market Faker instances seeded from the seed, no
database and no clock, so the same seed and the same end always give the same plan.
`carefront.core.demo` writes it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import phonenumbers
from django.utils.text import slugify
from faker import Faker

from carefront.accounts.models import Account, AccountKind, Channel, LifecycleStage
from carefront.core.demo_data import (
    ACQUISITION,
    ADVISOR_NOTE,
    CATALOGUE,
    CONVERSATIONS,
    ESCALATION_NOTES,
    FRONT_LINE,
    MARKETS,
    ON_HOLD_NOTE,
    PERSONAL_MAIL_DOMAINS,
    PROBLEM_SOLVING,
    STAFF,
    TECHNICAL,
    TOPIC_NOTES,
    TOPICS,
    Market,
)
from carefront.core.models import Role
from carefront.desk.models import Status

HISTORY_DAYS = 730
YEAR = timedelta(days=365)
# How the demo's accounts split into behaviours; each kind gets at least `minimum` accounts when there is room.
ARCHETYPES: tuple[tuple[str, float, int], ...] = (
    ("high_value", 0.03, 2),
    ("client", 0.04, 2),
    ("drifting_client", 0.02, 2),
    ("growing", 0.06, 3),
    ("declining", 0.08, 2),
    ("served", 0.04, 2),
    ("prospect", 0.07, 2),
    ("repeat", 0.27, 2),
    ("one_off", 1.0, 0),
)
CLIENT_ARCHETYPES = frozenset({"high_value", "client", "drifting_client"})
TICKETS_PER_ACCOUNT: dict[str, tuple[int, int, float]] = {
    # archetype: (fewest, most, chance of having any)
    "prospect": (1, 1, 0.3),
    "one_off": (1, 1, 0.45),
    "repeat": (1, 2, 0.7),
    "growing": (1, 2, 1.0),
    "declining": (1, 3, 1.0),
    "high_value": (3, 6, 1.0),
    "client": (2, 4, 1.0),
    "drifting_client": (1, 3, 1.0),
    "served": (1, 2, 1.0),
}
# Tickets go through the services (a few milliseconds each, audit included). Up to this many accounts every
# account keeps its odds of writing in; past it the odds shrink so that the ticket count grows by a quarter
# of each further account, and 5,000 accounts still load in well under a minute.
TICKET_ODDS_FULL_UP_TO = 250
CHANNEL_WEIGHTS = {"email": 45, "portal": 15, "chat": 15, "phone": 12, "social": 8, "api": 5}
PRIORITY_WEIGHTS = {"low": 15, "normal": 55, "high": 22, "urgent": 8}
RECENT_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED)
SPECIALIST_TEAMS = {2: PROBLEM_SOLVING, 3: TECHNICAL}
# Topics about a parcel only make sense within weeks of the order.
PARCEL_TOPICS = ("delivery", "order_change", "refund")
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
# Only what the demo uses: loading every provider for twelve locales costs a second.
FAKER_PROVIDERS = ["faker.providers.person", "faker.providers.company", "faker.providers.address"]


@dataclass
class OrderPlan:
    """An order to write: its lines are the dicts `order_items_clean` takes."""

    external_id: str
    placed_at: datetime
    items: list[dict[str, Any]]
    amount: Decimal = Decimal("0")


@dataclass
class ContactPlan:
    """A person at an account, as `contact_create` will receive them."""

    name: str
    first_name: str
    email: str
    phone: str
    language: str
    preferred_channel: str
    external_id: str


@dataclass
class AccountPlan:
    """An account, its behaviour (archetype), its contacts and orders; `account` is set once written."""

    index: int
    archetype: str
    market: Market
    kind: str
    name: str
    segment: str
    time_zone: str
    tags: list[str]
    custom_fields: dict[str, Any]
    external_id: str = ""
    created_at: datetime = EPOCH
    orders: list[OrderPlan] = field(default_factory=list)
    contacts: list[ContactPlan] = field(default_factory=list)
    lifecycle_stage: str = LifecycleStage.NEW
    owner: str | None = None
    client_since: datetime | None = None  # when a customer became a client; None for a client from the start
    served_for: AccountPlan | None = None
    account: Account | None = None


@dataclass
class Step:
    """One moment of a ticket's story, written by the service its `kind` names."""

    kind: str  # create, staff_reply, contact_reply, note, update, escalate
    at: datetime
    by: str | None = None  # staff username; None for the system
    body: str = ""
    status: str | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    reason: str = ""


@dataclass
class TicketPlan:
    """A ticket: who writes about what on which channel, where it ends up, and the steps that get it there."""

    account: AccountPlan
    contact: int
    topic: str
    channel: str
    priority: str
    created_at: datetime
    order: OrderPlan | None
    status: str = Status.SOLVED
    recent: bool = False
    subject: str = ""
    steps: list[Step] = field(default_factory=list)


def demo_plan(*, seed: int, accounts: int, end: datetime) -> tuple[list[AccountPlan], list[TicketPlan]]:
    """The accounts (oldest first) and tickets (in the order they were opened) of a demo ending at `end`."""
    planner = Planner(seed=seed, end=end)
    account_plans = planner.accounts(accounts)
    return account_plans, planner.tickets(account_plans)


class Planner:
    """Draws the plan; every random choice comes from `self.rng` or a Faker seeded from the same seed."""

    def __init__(self, *, seed: int, end: datetime) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.end = end
        self.start = end - timedelta(days=HISTORY_DAYS)
        self.fakers: dict[str, Faker] = {}
        self.order_count = 0
        self.contact_count = 0

    def faker(self, market: Market) -> Faker:
        if market.faker_locale not in self.fakers:
            fake = Faker(market.faker_locale, providers=FAKER_PROVIDERS)
            # A string seed is hashed with SHA-512 by `random`, so it is stable across processes.
            fake.seed_instance(f"{self.seed}:{market.faker_locale}")
            self.fakers[market.faker_locale] = fake
        return self.fakers[market.faker_locale]

    def days_ago(self, low: float, high: float) -> datetime:
        """A moment between `low` and `high` days before the end, at a plausible hour of the day."""
        moment = self.end - timedelta(days=self.rng.uniform(low, high))
        return moment.replace(hour=self.rng.randint(7, 20), minute=self.rng.randint(0, 59), second=0, microsecond=0)

    # accounts

    def accounts(self, count: int) -> list[AccountPlan]:
        archetypes: list[str] = []
        for name, share, minimum in ARCHETYPES:
            room = count - len(archetypes)
            wanted = room if name == "one_off" else max(minimum, round(share * count))
            archetypes += [name] * min(room, wanted)
        self.rng.shuffle(archetypes)
        plans = [self.account(index, archetype) for index, archetype in enumerate(archetypes)]
        self.link_served_for(plans)
        plans.sort(key=lambda plan: (plan.created_at, plan.index))
        for number, plan in enumerate(plans, start=1):
            plan.external_id = f"CUS-{self.seed}-{number:05d}"
        for plan in plans:
            for order in plan.orders:
                self.order_count += 1
                order.external_id = f"SO-{self.seed}-{self.order_count:06d}"
            for contact in plan.contacts:
                self.contact_count += 1
                contact.external_id = f"CON-{self.seed}-{self.contact_count:06d}"
        return plans

    def account(self, index: int, archetype: str) -> AccountPlan:
        rng = self.rng
        market = rng.choices(MARKETS, weights=[m.weight for m in MARKETS])[0]
        fake = self.faker(market)
        organisation = archetype in CLIENT_ARCHETYPES or (archetype not in {"served"} and rng.random() < 0.35)
        if organisation:
            name = str(fake.company())[:200]
            segment = "enterprise" if archetype == "high_value" else rng.choice(["small business", "mid-market"])
        else:
            name = ""
            segment = "consumer"
        plan = AccountPlan(
            index=index,
            archetype=archetype,
            market=market,
            kind=AccountKind.ORGANISATION if organisation else AccountKind.PERSON,
            name=name,
            segment=segment,
            time_zone=rng.choice(market.time_zones),
            tags=[],
            custom_fields={"city": str(fake.city()), "acquisition": rng.choice(ACQUISITION)},
        )
        plan.orders = self.orders(plan)
        first_order = min((order.placed_at for order in plan.orders), default=None)
        if first_order is not None:
            plan.created_at = max(self.start, first_order - timedelta(hours=rng.uniform(1, 72)))
        else:
            plan.created_at = self.days_ago(20, HISTORY_DAYS - 5)
        plan.contacts = self.contacts(plan, fake)
        if not organisation:
            plan.name = plan.contacts[0].name
        plan.lifecycle_stage = self.lifecycle(plan)
        if archetype == "high_value":
            plan.tags = ["vip"]
        return plan

    def contacts(self, plan: AccountPlan, fake: Faker) -> list[ContactPlan]:
        rng = self.rng
        if plan.kind == AccountKind.PERSON:
            count = 1
        elif plan.archetype in CLIENT_ARCHETYPES:
            count = rng.randint(2, 4)
        else:
            count = rng.choice([1, 1, 2, 3])
        domain = (slugify(plan.name)[:30].strip("-") or f"company{plan.index}") + ".example"
        contacts: list[ContactPlan] = []
        emails: set[str] = set()
        for _number in range(count):
            first, last = str(fake.first_name()), str(fake.last_name())
            local = ".".join(part for part in (slugify(first), slugify(last)) if part) or "contact"
            host = domain if plan.kind == AccountKind.ORGANISATION else rng.choice(PERSONAL_MAIL_DOMAINS)
            email, suffix = f"{local}@{host}", 2
            while email in emails:
                email, suffix = f"{local}{suffix}@{host}", suffix + 1
            emails.add(email)
            channels = [c for c in CHANNEL_WEIGHTS if c != "api" or plan.kind == AccountKind.ORGANISATION]
            contacts.append(
                ContactPlan(
                    name=f"{first} {last}",
                    first_name=first,
                    email=email,
                    phone=self.phone(plan.market.country) if rng.random() < 0.7 else "",
                    language=plan.market.language,
                    preferred_channel=rng.choices(channels, weights=[CHANNEL_WEIGHTS[c] for c in channels])[0],
                    external_id="",
                )
            )
        return contacts

    def phone(self, country: str) -> str:
        example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
        if example is None:
            return ""
        national = str(example.national_number)
        keep = max(len(national) - 6, 1)
        digits = national[:keep] + "".join(str(self.rng.randint(0, 9)) for _ in range(len(national) - keep))
        return f"+{example.country_code}{digits}"

    def lifecycle(self, plan: AccountPlan) -> str:
        if plan.archetype in CLIENT_ARCHETYPES:
            return LifecycleStage.REPEAT  # becomes `client` with the service-model change
        if plan.archetype == "served":
            return LifecycleStage.NEW
        if not plan.orders:
            return LifecycleStage.PROSPECT
        since_last = self.end - max(order.placed_at for order in plan.orders)
        if since_last > YEAR:
            return LifecycleStage.CHURNED
        if len(plan.orders) == 1:
            return LifecycleStage.NEW
        # A repeat buyer who has let half a year pass is slipping away.
        return LifecycleStage.AT_RISK if since_last > timedelta(days=180) else LifecycleStage.REPEAT

    # orders

    def orders(self, plan: AccountPlan) -> list[OrderPlan]:
        rng, kind = self.rng, plan.archetype
        business = plan.kind == AccountKind.ORGANISATION
        if kind in {"prospect", "served"}:
            return []
        if kind == "one_off":
            return [self.order(plan, self.days_ago(3, HISTORY_DAYS - 5), size=1 + business)]
        if kind == "growing":
            # A modest first year, then clearly more and bigger orders: last-12-months spend at least 2.5x.
            orders = [self.order(plan, self.days_ago(400, HISTORY_DAYS - 5), size=1) for _ in range(rng.randint(1, 3))]
            orders += [self.order(plan, self.days_ago(2, 360), size=3 + 2 * business) for _ in range(rng.randint(4, 8))]
            earlier = sum((o.amount for o in orders if o.placed_at <= self.end - YEAR), Decimal("0"))
            while sum((o.amount for o in orders if o.placed_at > self.end - YEAR), Decimal("0")) < earlier * 5 / 2:
                orders.append(self.order(plan, self.days_ago(2, 360), size=3 + 2 * business))
            return sorted(orders, key=lambda o: o.placed_at)
        first, gap, stop, size = {
            "repeat": (rng.uniform(200, HISTORY_DAYS - 5), (30, 120), 0.0, 1 + business),
            "declining": (rng.uniform(500, HISTORY_DAYS - 5), (20, 60), rng.uniform(200, 420), 2 + business),
            "high_value": (rng.uniform(600, HISTORY_DAYS - 5), (7, 25), 0.0, 12),
            "client": (rng.uniform(300, HISTORY_DAYS - 5), (20, 50), 0.0, 6),
            # A client who bought every month or so, then stopped: the advisor should hear it is at risk.
            "drifting_client": (rng.uniform(560, HISTORY_DAYS - 5), (20, 45), rng.uniform(200, 330), 6),
        }[kind]
        orders, ago = [], first
        while ago > max(stop, 1):
            orders.append(self.order(plan, self.days_ago(ago, ago), size=size))
            ago -= rng.uniform(*gap)
        return orders

    def order(self, plan: AccountPlan, placed_at: datetime, *, size: int) -> OrderPlan:
        """A basket: up to three catalogue lines; `size` scales the quantities (1 for a person's order)."""
        rng = self.rng
        products = [p for p in CATALOGUE if plan.kind == AccountKind.ORGANISATION or not p.business_only]
        items: list[dict[str, Any]] = []
        amount = Decimal("0")
        for product in rng.sample(products, rng.randint(1, min(3, 1 + size))):
            price = (product.price * plan.market.price_factor).quantize(Decimal("1")) - Decimal("0.01")
            quantity = rng.randint(1, max(1, size))
            items.append(
                {
                    "sku": product.sku,
                    "name": product.name,
                    "category": product.category,
                    "quantity": quantity,
                    "unit_price": str(price),
                }
            )
            amount += price * quantity
        return OrderPlan(external_id="", placed_at=placed_at, items=items, amount=amount)

    def link_served_for(self, plans: list[AccountPlan]) -> None:
        """Clients: the high-value and client archetypes (drifting or not) get an advisor; end customers are served
        for one."""
        rng = self.rng
        advisors = [member for member in STAFF if member.role == Role.ADVISOR]
        clients = [plan for plan in plans if plan.archetype in CLIENT_ARCHETYPES]
        for plan in clients:
            speakers = [a for a in advisors if a.languages[0] == plan.market.language] or [
                a for a in advisors if plan.market.language in a.languages
            ]
            plan.owner = rng.choice(speakers if rng.random() < 0.85 else advisors).username
            since = plan.created_at + timedelta(days=rng.uniform(60, 240))
            plan.client_since = since if rng.random() < 0.6 and since < self.end - timedelta(days=30) else None
        partners = [plan for plan in clients if plan.archetype == "client"] or clients
        for plan in plans:
            if plan.archetype != "served":
                continue
            if not partners:
                plan.archetype = "prospect"
                continue
            partner = rng.choice(partners)
            plan.served_for = partner
            plan.tags = ["end-customer"]
            if "partner" not in partner.tags:
                partner.tags.append("partner")
            # An end customer appears after the client that serves it starts with us.
            plan.created_at = max(plan.created_at, partner.created_at + timedelta(days=rng.uniform(1, 60)))
            plan.created_at = min(plan.created_at, self.end - timedelta(days=2))

    # tickets

    def tickets(self, accounts: list[AccountPlan]) -> list[TicketPlan]:
        rng = self.rng
        plans: list[TicketPlan] = []
        full = TICKET_ODDS_FULL_UP_TO
        odds = 1.0 if len(accounts) <= full else (full + (len(accounts) - full) / 4) / len(accounts)
        for account in accounts:
            fewest, most, chance = TICKETS_PER_ACCOUNT[account.archetype]
            if rng.random() >= chance * odds:
                continue
            for _number in range(rng.randint(fewest, most)):
                plans.append(self.ticket(account))
        self.make_recent(plans)
        self.cover(plans)
        plans.sort(key=lambda plan: (plan.created_at, plan.account.index))
        for plan in plans:
            plan.steps = self.steps(plan)
        return plans

    def eligible(self, account: AccountPlan, topic: str) -> bool:
        _tier, _tag, needs_organisation, needs_order = TOPICS[topic]
        if needs_organisation and account.kind != AccountKind.ORGANISATION:
            return False
        return not needs_order or bool(account.orders)

    def ticket(self, account: AccountPlan) -> TicketPlan:
        rng = self.rng
        topics = [t for t in TOPICS if self.eligible(account, t)]
        topic = rng.choice(topics)
        contact = rng.randrange(len(account.contacts))
        plan = TicketPlan(
            account=account,
            contact=contact,
            topic=topic,
            channel=self.channel(account, contact, topic),
            priority=rng.choices(list(PRIORITY_WEIGHTS), weights=list(PRIORITY_WEIGHTS.values()))[0],
            created_at=self.end,
            order=None,
        )
        self.place(plan)
        return plan

    def channel(self, account: AccountPlan, contact: int, topic: str) -> str:
        rng = self.rng
        if topic == "howto":
            return Channel.PORTAL
        if topic == "integration":
            return rng.choice([Channel.API, Channel.EMAIL])
        if rng.random() < 0.7:
            return account.contacts[contact].preferred_channel
        channels = [c for c in CHANNEL_WEIGHTS if c != Channel.API]
        return rng.choices(channels, weights=[CHANNEL_WEIGHTS[c] for c in channels])[0]

    def place(self, plan: TicketPlan) -> None:
        """Put a historical ticket in time: after the order it is about, or during the account's life."""
        rng, account = self.rng, plan.account
        latest = self.end - timedelta(days=20)
        delay_days = {"delivery": (3, 8), "order_change": (0.01, 0.2), "refund": (2, 9), "invoice": (1, 20)}
        orders = [o for o in account.orders if o.placed_at < latest]
        if plan.topic in {"delivery", "order_change", "refund", "invoice", "tax", "integration"} and orders:
            plan.order = rng.choice(orders)
            low, high = delay_days.get(plan.topic, (3, 40))
            plan.created_at = plan.order.placed_at + timedelta(days=rng.uniform(low, high))
        else:
            plan.order = account.orders[-1] if account.orders else None
            plan.created_at = account.created_at + timedelta(days=rng.uniform(0.1, 200))
        plan.created_at = min(plan.created_at, latest - timedelta(hours=rng.uniform(0, 240)))
        plan.created_at = max(plan.created_at, account.created_at + timedelta(minutes=30))
        if plan.order is not None and plan.order.placed_at > plan.created_at:
            plan.order = None
        if plan.order is None and TOPICS[plan.topic][3]:
            plan.topic = "account_access"

    def cover(self, plans: list[TicketPlan]) -> None:
        """Make every topic (so every tier), channel and priority appear at least once when there is room."""
        for topic in TOPICS:
            if any(p.topic == topic for p in plans):
                continue
            counts = {t: sum(1 for p in plans if p.topic == t) for t in TOPICS}
            for plan in plans:
                if not plan.recent and counts[plan.topic] > 1 and self.eligible(plan.account, topic):
                    plan.topic = topic
                    plan.channel = self.channel(plan.account, plan.contact, topic)
                    self.place(plan)
                    break
        for attribute, values in (("channel", list(CHANNEL_WEIGHTS)), ("priority", list(PRIORITY_WEIGHTS))):
            for value in values:
                if any(getattr(p, attribute) == value for p in plans):
                    continue
                counts = {v: sum(1 for p in plans if getattr(p, attribute) == v) for v in values}
                for plan in plans:
                    business = plan.account.kind == AccountKind.ORGANISATION
                    if (
                        counts[getattr(plan, attribute)] > 1
                        and plan.topic not in {"howto", "integration"}
                        and (value != Channel.API or business)
                    ):
                        setattr(plan, attribute, value)
                        break

    def make_recent(self, plans: list[TicketPlan]) -> None:
        """Move some tickets into the last days, in every unfinished status; the rest are long closed."""
        rng = self.rng
        candidates = [p for p in plans if p.account.created_at < self.end - timedelta(days=14)]
        recent = rng.sample(candidates, min(len(candidates), max(10, round(len(plans) * 0.08))))
        for number, plan in enumerate(recent):
            plan.recent = True
            plan.status = RECENT_STATUSES[number % len(RECENT_STATUSES)]
            window = {Status.NEW: (0.05, 2), Status.SOLVED: (1.5, 3)}.get(plan.status, (1, 12))
            plan.created_at = self.days_ago(*window)
            plan.created_at = min(plan.created_at, self.end - timedelta(minutes=rng.uniform(20, 120)))
            earlier = [o for o in plan.account.orders if o.placed_at < plan.created_at]
            plan.order = earlier[-1] if earlier else None
            fresh = plan.order is not None and plan.created_at - plan.order.placed_at < timedelta(days=30)
            topics = [
                topic
                for topic in TOPICS
                if self.eligible(plan.account, topic)
                and (fresh or topic not in PARCEL_TOPICS)
                and (plan.order is not None or not TOPICS[topic][3])
                and (topic != "howto" or plan.status in {Status.NEW, Status.SOLVED})
            ]
            if plan.topic not in topics:
                plan.topic = rng.choice(topics)
            plan.channel = self.channel(plan.account, plan.contact, plan.topic)

    def steps(self, plan: TicketPlan) -> list[Step]:
        rng = self.rng
        contact = plan.account.contacts[plan.contact]
        conversation = CONVERSATIONS[plan.topic][contact.language]
        tier = TOPICS[plan.topic][0]
        agent = self.staff_for(FRONT_LINE, contact.language)
        words = self.words(plan, contact)
        plan.subject = conversation.subject.format(**words)
        t = plan.created_at
        steps = [Step("create", t, body=conversation.opening.format(**words))]
        if plan.status == Status.NEW:
            return steps
        quick = plan.channel in {Channel.CHAT, Channel.PHONE}
        t += timedelta(minutes=rng.uniform(1, 12) if quick else rng.uniform(20, 18 * 60))
        words["agent"] = self.first_name(agent)
        if tier == 0:
            steps.append(Step("staff_reply", t, agent, conversation.acknowledgement.format(**words), Status.SOLVED))
            return self.fit(plan, steps)
        escalated = tier >= 2
        # The requester writes back before anyone takes the ticket, so no one is notified of a reply to history.
        follow_up = plan.status == Status.OPEN or (plan.status != Status.PENDING and rng.random() < 0.5)
        advisor = plan.account.owner if plan.account.owner and rng.random() < 0.7 else None
        ack_status = None if escalated else Status.PENDING
        steps.append(Step("staff_reply", t, agent, conversation.acknowledgement.format(**words), ack_status))
        owner = agent
        if escalated:
            owner = self.staff_for(SPECIALIST_TEAMS[tier], contact.language)
            t += timedelta(minutes=rng.uniform(2, 30))
            steps.append(Step("note", t, agent, ESCALATION_NOTES[tier]))
            t += timedelta(minutes=rng.uniform(1, 10))
            # Escalation hands the ticket to the tier's team queue (the demo's tier queues).
            steps.append(Step("escalate", t, agent, changes={"tier": tier}, reason=ESCALATION_NOTES[tier]))
        if advisor:
            t += timedelta(minutes=rng.uniform(10, 240))
            steps.append(Step("note", t, advisor, ADVISOR_NOTE))
        if follow_up:
            t += timedelta(minutes=rng.uniform(30, 36 * 60))
            steps.append(Step("contact_reply", t, body=conversation.follow_up.format(**words)))
        t += timedelta(minutes=rng.uniform(30, 20 * 60) if escalated else rng.uniform(2, 60))
        steps.append(Step("update", t, owner, changes={"assignee": owner}))
        if escalated or rng.random() < 0.5:
            t += timedelta(minutes=rng.uniform(5, 90))
            steps.append(Step("note", t, owner, TOPIC_NOTES[plan.topic]))
        if plan.status == Status.PENDING and escalated:
            t += timedelta(minutes=rng.uniform(5, 60))
            steps.append(Step("update", t, owner, changes={"status": Status.PENDING}))
        elif plan.status == Status.ON_HOLD:
            t += timedelta(minutes=rng.uniform(5, 60))
            steps.append(Step("note", t, owner, ON_HOLD_NOTE))
            steps.append(Step("update", t + timedelta(minutes=1), owner, changes={"status": Status.ON_HOLD}))
        elif plan.status == Status.SOLVED:
            words["agent"] = self.first_name(owner)
            t += timedelta(minutes=rng.uniform(4 * 60, 5 * 24 * 60) if escalated else rng.uniform(60, 3 * 24 * 60))
            steps.append(Step("staff_reply", t, owner, conversation.resolution.format(**words), Status.SOLVED))
        return self.fit(plan, steps)

    def fit(self, plan: TicketPlan, steps: list[Step]) -> list[Step]:
        """Squeeze a recent ticket's story so it ends before `today`, keeping its order and proportions."""
        if steps[-1].at <= self.end - timedelta(minutes=5):
            return steps
        span = (steps[-1].at - plan.created_at).total_seconds()
        room = (self.end - timedelta(minutes=5) - plan.created_at).total_seconds() * self.rng.uniform(0.5, 1)
        for step in steps:
            step.at = plan.created_at + timedelta(seconds=(step.at - plan.created_at).total_seconds() * room / span)
        return steps

    def staff_for(self, team: str, language: str) -> str:
        members = [m for m in STAFF if m.team == team]
        speakers = [m for m in members if language in m.languages] or members
        return self.rng.choice(speakers).username

    @staticmethod
    def first_name(username: str) -> str:
        return next(m.first_name for m in STAFF if m.username == username)

    def words(self, plan: TicketPlan, contact: ContactPlan) -> dict[str, str]:
        rng, market = self.rng, plan.account.market
        order = plan.order
        placed = order.placed_at if order else plan.created_at
        date_format = {"en": "%Y-%m-%d", "de": "%d.%m.%Y"}.get(contact.language, "%d/%m/%Y")
        amount = f"{order.amount if order else Decimal('0')} {market.currency}"
        if contact.language != "en":
            amount = amount.replace(".", ",")
        vat = (
            f"EX-{rng.randint(100000, 999999)}"
            if market.language == "en"
            else f"{market.country}{rng.randint(10**8, 10**9 - 1)}"
        )
        return {
            "first": contact.first_name,
            "agent": "",
            "order": order.external_id if order else "",
            "date": placed.strftime(date_format),
            "amount": amount,
            "invoice": f"INV-{placed.year}-{rng.randint(10000, 99999)}",
            "company": plan.account.name,
            "vat": vat,
        }
