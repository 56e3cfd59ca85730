"""The demo's relationships: three engagements of the kinds clients buy, each held up by what the client owes us
(a customer list, access to call recordings, staff released from the phones), with kept, late and dropped
commitments, written through the services at the moments they happened; one incident, a billing error that
charged three clients twice, told to two of them and refunded to one; and every client's profile (`demo_profile`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model

from carefront.accounts.models import Account, ServiceModel
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Role
from carefront.desk.models import Status, Ticket
from carefront.relationships.demo_followups import demo_followups_load
from carefront.relationships.demo_profile import demo_profiles_load
from carefront.relationships.incident_services import (
    affected_mark_told,
    affected_remedy_record,
    incident_accounts_add,
    incident_create,
    incident_drafts_prepare,
)
from carefront.relationships.models import AffectedAccount, CheckIn, Milestone
from carefront.relationships.schedule import zone_of
from carefront.relationships.services import (
    Blocked,
    commitment_complete,
    commitment_create,
    commitment_drop,
    commitments_mark_late,
    dependency_create,
    dependency_receive,
    engagement_create,
    milestone_complete,
    milestone_create,
)
from carefront.relationships.services_checkins import (
    Held,
    cadence_create,
    check_in_hold,
    checkins_create,
    checkins_mark_missed,
    next_step_commit,
)
from carefront.relationships.services_health import health_recompute_all
from carefront.relationships.services_recommendations import recommendations_run

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Step:
    """A milestone of a demo engagement: due `due` days from the end of the story, done `done` days from it."""

    title: str
    due: int
    done: int | None = None


@dataclass(frozen=True)
class Owed:
    """What the client owes: opened `opened` days from the end, due `due`, received `received` (None: still open)."""

    what: str
    details: str
    blocks: str
    opened: int
    due: int
    received: int | None = None


@dataclass(frozen=True)
class Plan:
    kind: str
    title: str
    scope: str
    starts: int
    due: int
    steps: tuple[Step, ...]
    owed: Owed
    promises: tuple[tuple[str, int, int | None], ...]  # title, due, delivered (None: still open)


PLANS = (
    Plan(
        kind="survey",
        title="Customer satisfaction survey",
        scope="Survey a sample of the client's own customers about delivery and support; present the results.",
        starts=-35,
        due=30,
        steps=(Step("Questionnaire agreed", -22, -23), Step("Survey sent", 5), Step("Results presented", 25)),
        owed=Owed(
            what="Customer list for the survey",
            details="A CSV file with each customer's name, email address and language.",
            blocks="Survey sent",
            opened=-20,
            due=-12,
        ),
        promises=(("Send the draft questionnaire", -28, -29), ("Share the sampling plan", -12, -9)),
    ),
    Plan(
        kind="call_review",
        title="Call-quality review",
        scope="Score twenty recorded support calls a week against the client's quality guide for six weeks.",
        starts=-21,
        due=40,
        steps=(Step("Scoring guide agreed", -14, -15), Step("First twenty calls scored", 10)),
        owed=Owed(
            what="Secure access to the call recordings",
            details="A read-only login to the telephony system's recordings, or an SFTP export.",
            blocks="First twenty calls scored",
            opened=-14,
            due=-7,
        ),
        promises=(("Send the scoring guide for review", -16, -17), ("Weekly findings summary", 12, None)),
    ),
    Plan(
        kind="training",
        title="Support staff training programme",
        scope="Two half-day workshops for the client's support team: de-escalation, then the product in depth.",
        starts=-40,
        due=20,
        steps=(Step("Module 1: de-escalation", -10, -11), Step("Module 2: product deep-dive", 6)),
        owed=Owed(
            what="Eight support staff released from the phones for two half-days",
            details="Dates agreed with the team lead, with cover arranged for the phones.",
            blocks="Module 2: product deep-dive",
            opened=-30,
            due=-20,
            received=-9,
        ),
        promises=(("Send the training materials a week ahead", -17, -18), ("Attendance certificates", -2, None)),
    ),
)


@dataclass(frozen=True)
class DemoRelationships:
    engagements: int
    commitments: int
    dependencies: int
    incidents: int = 0
    follow_ups: int = 0


def demo_relationships_load(*, end: datetime, travel: Callable[[datetime], None]) -> DemoRelationships:
    """Write the plans for the first client accounts with contacts (as many as there are, up to three); `travel`
    sets the moment the services stamp. Nothing is queued: reminders and notifications are for the live days."""
    clients = list(
        Account.objects.filter(service_model=ServiceModel.CLIENT, owner__isnull=False, contacts__isnull=False)
        .select_related("owner")
        .distinct()
        .order_by("id")[: len(PLANS)]
    )
    counts = [0, 0, 0]
    for plan, account in zip(PLANS, clients, strict=False):
        made = _engagement_write(plan, account, end=end, travel=travel)
        counts = [total + extra for total, extra in zip(counts, made, strict=True)]
    if clients:
        _loose_promises(clients[0], end=end, travel=travel)
        counts[1] += 2
    incidents = _incident_write(clients, end=end, travel=travel)
    for account in clients[:2]:
        demo_check_ins_load(account, end=end, travel=travel)
    # Every client's profile, not only the first three's (but not again for those an earlier seed loaded).
    demo_profiles_load(
        list(
            Account.objects.filter(service_model=ServiceModel.CLIENT, owner__isnull=False, client_profile__isnull=True)
            .select_related("owner")
            .order_by("id")
        ),
        end=end,
        travel=travel,
    )
    # As the periodic job would have, a minute before the story ends (nothing in it happens at or after its end).
    last = end - timedelta(minutes=1)
    travel(last)
    commitments_mark_late(now=last)
    checkins_mark_missed(now=last)
    # Every advisor opens the demo to a morning list, as the hourly job would have made it.
    advisors = Account.objects.filter(service_model=ServiceModel.CLIENT, owner__isnull=False).values("owner_id")
    recommendations_run(now=last, advisor_ids=sorted({row["owner_id"] for row in advisors}))
    follow_ups = demo_followups_load(end=end, travel=travel)
    return DemoRelationships(
        engagements=counts[0],
        commitments=counts[1],
        dependencies=counts[2],
        incidents=incidents,
        follow_ups=follow_ups,
    )


def _engagement_write(
    plan: Plan, account: Account, *, end: datetime, travel: Callable[[datetime], None]
) -> tuple[int, int, int]:
    advisor = account.owner
    contact = account.contacts.order_by("id").first()
    travel(end + plan.starts * DAY - DAY)
    engagement = engagement_create(
        actor=advisor,
        account=account,
        kind=plan.kind,
        title=plan.title,
        scope=plan.scope,
        owner=advisor,
        status="active",
        starts_at=end + plan.starts * DAY,
        due_at=end + plan.due * DAY,
    )
    steps = {
        step.title: milestone_create(
            engagement=engagement, actor=advisor, title=step.title, due_at=end + step.due * DAY
        )
        for step in plan.steps
    }
    events: list[tuple[int, Callable[[], Any]]] = []
    for step in plan.steps:
        if step.done is not None:
            events.append((step.done, _milestone_done(steps[step.title], advisor)))
    for title, due, delivered in plan.promises:
        promise = commitment_create(
            actor=advisor,
            account=account,
            title=title,
            owner=advisor,
            due_at=end + due * DAY,
            engagement=engagement,
        )
        if delivered is not None:
            events.append((delivered, _delivered(promise, advisor)))
    owing = _Owing(plan.owed, steps[plan.owed.blocks], contact, advisor, end)
    events.append((plan.owed.opened, owing.open))
    if plan.owed.received is not None:
        events.append((plan.owed.received, owing.receive))
    for day, happen in sorted(events, key=lambda event: event[0]):
        travel(end + day * DAY)
        happen()
    return 1, len(plan.promises), 1


def _milestone_done(milestone: Milestone, advisor: Any) -> Callable[[], Any]:
    return lambda: milestone_complete(milestone=milestone, actor=advisor)


def _delivered(promise: Any, advisor: Any) -> Callable[[], Any]:
    return lambda: commitment_complete(commitment=promise, actor=advisor)


class _Owing:
    """A dependency of the story: opened on its day, received on a later one (which needs the opened row)."""

    def __init__(self, owed: Owed, blocked: Milestone, contact: Any, advisor: Any, end: datetime) -> None:
        self.owed, self.blocked, self.contact, self.advisor, self.end = owed, blocked, contact, advisor, end
        self.dependency: Any = None

    def open(self) -> None:
        self.dependency = dependency_create(
            actor=self.advisor,
            what=self.owed.what,
            details=self.owed.details,
            contact=self.contact,
            due_at=self.end + self.owed.due * DAY,
            blocks=Blocked(milestone=self.blocked),
        )

    def receive(self) -> None:
        dependency_receive(dependency=self.dependency, actor=self.advisor)


def _loose_promises(account: Account, *, end: datetime, travel: Callable[[datetime], None]) -> None:
    """Two promises outside any engagement: one dropped with its reason, one on a ticket left late."""
    advisor = account.owner
    travel(end - 12 * DAY)
    dropped = commitment_create(
        actor=advisor, account=account, title="Quarterly business review deck", owner=advisor, due_at=end - 3 * DAY
    )
    ticket = Ticket.objects.filter(account=account).exclude(status__in=[Status.SOLVED, Status.CLOSED]).first()
    commitment_create(
        actor=advisor,
        account=account,
        title="Call back about the invoicing terms",
        owner=advisor,
        due_at=end - 2 * DAY,
        ticket=ticket,
    )
    travel(end - 5 * DAY)
    commitment_drop(commitment=dropped, actor=advisor, reason="Folded into the yearly planning meeting.")


def _incident_write(clients: list[Account], *, end: datetime, travel: Callable[[datetime], None]) -> int:
    """The billing error: found two days after it happened, disclosed by email and by phone to two of the three
    clients it charged twice, and refunded to the first; the third is still to be told."""
    manager = get_user_model().objects.filter(staff_profile__role=Role.MANAGER, is_active=True).order_by("id").first()
    if manager is None or not clients:
        return 0
    travel(end - 8 * DAY)
    incident = incident_create(
        actor=manager,
        title="Invoices charged twice",
        what_happened="A retry in the billing run charged the May invoice a second time to the cards on file.",
        occurred_at=end - 10 * DAY,
        discovered_at=end - 8 * DAY,
        impact="Three clients paid their monthly fee twice; one of them went over its card limit.",
        severity="high",
        owner=manager,
    )
    incident_accounts_add(
        incident=incident, actor=manager, accounts=clients, consequence="The May invoice was charged twice."
    )
    travel(end - 7 * DAY)
    incident_drafts_prepare(incident=incident, actor=manager)
    rows = list(AffectedAccount.objects.filter(incident=incident).order_by("account_id"))
    travel(end - 6 * DAY)
    for row, via in zip(rows[:2], ("email", "call"), strict=False):
        affected_mark_told(affected=row, actor=manager, via=via)
    travel(end - 4 * DAY)
    affected_remedy_record(affected=rows[0], actor=manager, remedy="Refunded the second charge and waived June's fee.")
    return 1


# What was said at each held check-in, in turn; the last one of a cadence is left missed.
TALKS = (
    (
        "Reviewed last month's tickets; response times are back on target.",
        "Keep the current staffing.",
        "Send the figures",
    ),
    ("Discussed the peak season and the new product line.", "Plan extra cover for December.", "Draft the cover plan"),
    ("Went through the survey results with the team leads.", "Two changes to the returns process.", "Share the notes"),
)


def demo_check_ins_load(account: Account, *, end: datetime, travel: Callable[[datetime], None]) -> int:
    """A fortnightly call over the last ten weeks: each one held (with notes, outcomes and a next step, the first
    of which became a commitment) but the last, which was missed. Returns how many check-ins were written.

    The call is at 11:00 in the advisor's zone, read on the client's wall clock, so it sits inside the default
    working hours; a client too far away for that gets no cadence."""
    advisor = account.owner
    if advisor is None:
        return 0
    advisor_zone = zone_of(advisor.staff_profile.time_zone)
    start = end - 70 * DAY
    while start.astimezone(advisor_zone).isoweekday() > 5:
        # The call falls on the weekday it starts on: a weekend start would be outside the working week.
        start += DAY
    eleven = datetime.combine(start.astimezone(advisor_zone).date(), datetime.min.time().replace(hour=11))
    local = eleven.replace(tzinfo=advisor_zone).astimezone(zone_of(account.time_zone))
    travel(start - DAY)
    try:
        cadence = cadence_create(
            actor=advisor,
            account=account,
            name="Fortnightly call",
            kind="monthly_call",
            channel="video",
            rule="FREQ=WEEKLY;INTERVAL=2",
            starts_on=local.date(),
            time_of_day=local.time(),
            duration_minutes=30,
        )
    except ApplicationError:
        return 0
    held = 0
    moment, past = start, end - 3 * DAY
    while moment < past:
        travel(moment)
        checkins_create(now=moment)
        moment += 7 * DAY
    due = list(CheckIn.objects.filter(cadence=cadence, scheduled_at__lt=past).order_by("scheduled_at"))
    for index, check_in in enumerate(due[:-1]):
        notes, outcomes, step = TALKS[index % len(TALKS)]
        travel(check_in.scheduled_at + timedelta(minutes=45))
        interaction = check_in_hold(
            check_in=check_in,
            actor=advisor,
            held=Held(
                kind="video",
                occurred_at=check_in.scheduled_at,
                notes=notes,
                outcomes=outcomes,
                next_steps=(step,),
                contacts=tuple(account.contacts.order_by("id")[:1]),
            ),
        )
        if index == 0:
            next_step_commit(next_step=interaction.next_steps.get(), actor=advisor)
        held += 1
    return held


# Days before the story's end on which the demo scores its clients, so each chart has a few points of history.
HEALTH_HISTORY_DAYS_AGO = (84, 56, 28, 14, 7, 0)


def demo_health_load(*, end: datetime) -> int:
    """Score every client as the hourly job would have on a few days of the story's last weeks, then at its end;
    returns how many clients are scored."""
    scored = 0
    for days_ago in HEALTH_HISTORY_DAYS_AGO:
        scored = health_recompute_all(now=end - timedelta(days=days_ago, minutes=1)).accounts
    return scored
