"""Every write to engagements, milestones, commitments and dependencies, each audited on the account's history.

Each change is recorded as an event of the account (subject kind `account`), so it reads on the account's
timeline next to its tickets: the action names what happened (`commitment_done`), the field names the kind of
thing (`commitment`) and the from/to values hold its id, title and the fields that changed.

While a dependency is open, the work it blocks waits on the client (a `Wait` row): a ticket's SLA clocks pause
through the desk's SLA service, and a commitment's or milestone's due date moves on by the time waited (see
`pausing`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from carefront.accounts.models import Account, Contact, ServiceModel
from carefront.core.access import is_manager, require_manager
from carefront.core.exceptions import ApplicationError
from carefront.core.services import Actor, Change, events_record
from carefront.core.validation import clean_choice, clean_datetime, clean_text, version_check
from carefront.desk.models import Status, Ticket
from carefront.desk.services import ticket_set_waiting_on_client
from carefront.relationships.access import require_account_manager, require_commitment_editor
from carefront.relationships.models import (
    CheckIn,
    Commitment,
    CommitmentState,
    Dependency,
    DependencyState,
    Engagement,
    EngagementKind,
    EngagementStatus,
    Milestone,
    Wait,
)
from carefront.relationships.pausing import due_extend
from carefront.relationships.services_health import health_mark_stale

User = get_user_model()

# A commitment not yet delivered: open, or late and still owed.
UNFINISHED = Q(state=CommitmentState.OPEN) | Q(state=CommitmentState.LATE, done_at__isnull=True)
FINISHED_TICKET = frozenset({Status.SOLVED, Status.CLOSED})
MAX_TITLE = 200
MAX_TEXT = 5000
MAX_REASON = 1000


# --- shared pieces -------------------------------------------------------------------------------


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _record(
    *,
    account_id: int,
    action: str,
    kind: str,
    item: Any,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    reason: str = "",
    actor: Actor,
) -> None:
    """One event on the account's history: what happened to which engagement, commitment or dependency.

    Every such change may move the account's health score: it is marked stale here, for the queued recompute.
    """
    health_mark_stale(account_ids=[account_id])
    label = {"id": item.pk, "title": str(item)}
    events_record(
        subject_kind="account",
        subject_id=account_id,
        action=action,
        changes=[Change(kind, None if old is None else {**label, **old}, {**label, **(new or {})})],
        reason=reason,
        actor=actor,
    )


def _differences(item: Any, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Set the values that differ on `item`; return the old and new of those, as audit values."""
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for field, value in values.items():
        current = getattr(item, field)
        if current == value:
            continue
        old[field], new[field] = _audit_value(current), _audit_value(value)
        setattr(item, field, value)
    return old, new


def _audit_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "get_username"):
        return value.get_username()
    return value


def _bump(item: Engagement | Commitment | Dependency, fields: Iterable[str], *, now: datetime) -> None:
    """Save the changed fields with a new version, so an edit based on the old one is refused."""
    item.version += 1
    item.updated_at = now
    item.save(update_fields=[*fields, "version", "updated_at"])


def _owner_clean(owner: Any, *, field: str = "owner") -> Any:
    """An owner is active staff: a promise needs someone who can keep it."""
    if owner is None:
        raise ApplicationError(_("This field is required."), field=field)
    # Read again: the caller's copy may predate a deactivation.
    if not User.objects.filter(pk=owner.pk, is_active=True, staff_profile__isnull=False).exists():
        raise ApplicationError(
            _("{user} is not active staff and cannot own this.").format(user=owner.get_username()), field=field
        )
    return owner


def _future(value: Any, *, field: str, now: datetime) -> datetime:
    moment = clean_datetime(value, field=field)
    if moment <= now:
        raise ApplicationError(_("Choose a date and time in the future."), field=field)
    return moment


def _reason(reason: str, *, required: bool = True) -> str:
    return clean_text(reason, field="reason", max_length=MAX_REASON, required=required)


# --- engagements ---------------------------------------------------------------------------------


@transaction.atomic
def engagement_create(
    *,
    actor: Actor,
    account: Account,
    title: str,
    owner: Any,
    starts_at: Any,
    due_at: Any,
    kind: str = EngagementKind.OTHER,
    scope: str = "",
    status: str = EngagementStatus.PLANNED,
) -> Engagement:
    """Contract a piece of work for a client: its advisor or a manager."""
    require_account_manager(actor, account)
    if account.service_model != ServiceModel.CLIENT:
        raise ApplicationError(_("Engagements are for client accounts."), field="account")
    starts = clean_datetime(starts_at, field="starts_at")
    due = clean_datetime(due_at, field="due_at")
    if due < starts:
        raise ApplicationError(_("The due date comes after the start."), field="due_at")
    now = timezone.now()
    engagement = Engagement.objects.create(
        account=account,
        kind=clean_choice(kind, choices=EngagementKind.values, field="kind"),
        title=clean_text(title, field="title", max_length=MAX_TITLE, required=True),
        scope=clean_text(scope, field="scope", max_length=MAX_TEXT),
        owner=_owner_clean(owner),
        status=clean_choice(status, choices=EngagementStatus.values, field="status"),
        starts_at=starts,
        due_at=due,
        created_at=now,
        updated_at=now,
    )
    _record(
        account_id=account.pk,
        action="engagement_created",
        kind="engagement",
        item=engagement,
        new={"kind": engagement.kind, "owner": engagement.owner.get_username(), "due_at": _when(due)},
        actor=actor,
    )
    return engagement


@transaction.atomic
def engagement_update(
    *, engagement: Engagement, actor: Actor, version: int | None = None, **changes: Any
) -> Engagement:
    """Change an engagement's title, kind, scope, owner, dates or status."""
    engagement = Engagement.objects.select_for_update().select_related("account").get(pk=engagement.pk)
    require_account_manager(actor, engagement.account)
    version_check(engagement, version)
    values: dict[str, Any] = {}
    if "title" in changes:
        values["title"] = clean_text(changes.pop("title"), field="title", max_length=MAX_TITLE, required=True)
    if "scope" in changes:
        values["scope"] = clean_text(changes.pop("scope"), field="scope", max_length=MAX_TEXT)
    if "kind" in changes:
        values["kind"] = clean_choice(changes.pop("kind"), choices=EngagementKind.values, field="kind")
    if "status" in changes:
        values["status"] = clean_choice(changes.pop("status"), choices=EngagementStatus.values, field="status")
    if "owner" in changes:
        values["owner"] = _owner_clean(changes.pop("owner"))
    for field in ("starts_at", "due_at"):
        if field in changes:
            values[field] = clean_datetime(changes.pop(field), field=field)
    if changes:
        raise ApplicationError(_("Unknown field."), field=sorted(changes)[0])
    if values.get("due_at", engagement.due_at) < values.get("starts_at", engagement.starts_at):
        raise ApplicationError(_("The due date comes after the start."), field="due_at")
    old, new = _differences(engagement, values)
    if not new:
        return engagement
    _bump(engagement, values, now=timezone.now())
    _record(
        account_id=engagement.account_id,
        action="engagement_updated",
        kind="engagement",
        item=engagement,
        old=old,
        new=new,
        actor=actor,
    )
    return engagement


def _engagement_open(engagement: Engagement) -> None:
    if engagement.status in {EngagementStatus.DONE, EngagementStatus.CANCELLED}:
        raise ApplicationError(
            _("The engagement is {status}; reopen it first.").format(status=engagement.get_status_display()),
            field="engagement",
            status=409,
        )


@transaction.atomic
def milestone_create(*, engagement: Engagement, actor: Actor, title: str, due_at: Any) -> Milestone:
    """Add a step with a due date to an engagement."""
    require_account_manager(actor, engagement.account)
    _engagement_open(engagement)
    due = clean_datetime(due_at, field="due_at")
    milestone = Milestone.objects.create(
        engagement=engagement,
        title=clean_text(title, field="title", max_length=MAX_TITLE, required=True),
        promised_due_at=due,
        due_at=due,
        created_at=timezone.now(),
    )
    _record(
        account_id=engagement.account_id,
        action="milestone_created",
        kind="milestone",
        item=milestone,
        new={"engagement": engagement.title, "due_at": _when(due)},
        actor=actor,
    )
    return milestone


@transaction.atomic
def milestone_complete(*, milestone: Milestone, actor: Actor, now: datetime | None = None) -> Milestone:
    """Mark a milestone done; whatever still blocks it no longer holds it up. `actor` None: the system (a survey
    campaign on a client's behalf completes its milestone "survey sent" when it sends)."""
    milestone = Milestone.objects.select_for_update().select_related("engagement__account").get(pk=milestone.pk)
    if actor is not None:
        require_account_manager(actor, milestone.engagement.account)
    if milestone.done_at is not None:
        return milestone
    moment = now or timezone.now()
    _waits_end(Wait.objects.filter(milestone=milestone), now=moment)
    _due_refresh(milestone, now=moment)
    milestone.done_at = moment
    milestone.save(update_fields=["done_at", "due_at"])
    _record(
        account_id=milestone.engagement.account_id,
        action="milestone_done",
        kind="milestone",
        item=milestone,
        new={"engagement": milestone.engagement.title, "on_time": moment <= milestone.due_at},
        actor=actor,
    )
    return milestone


# --- waiting on the client -----------------------------------------------------------------------


def _waits_end(waits: Any, *, now: datetime) -> int:
    return int(waits.filter(ended_at__isnull=True).update(ended_at=now))


def _due_refresh(item: Commitment | Milestone, *, now: datetime) -> None:
    """Push the item's due date on by its waits (not saved); it never moves backwards."""
    spans = list(item.waits.values_list("started_at", "ended_at"))
    item.due_at = max(item.due_at, due_extend(promised=item.promised_due_at, spans=spans, now=now))


def _ticket_waiting_sync(ticket_id: int, *, actor: Actor, now: datetime, reason: str) -> None:
    """The ticket waits on its client while any open wait blocks it; the SLA service pauses its clocks."""
    waiting = Wait.objects.filter(ticket_id=ticket_id, ended_at__isnull=True).exists()
    ticket = Ticket.objects.get(pk=ticket_id)
    ticket_set_waiting_on_client(ticket=ticket, waiting=waiting, actor=actor, reason=reason, now=now)


def _blocked_release(dependency: Dependency, *, actor: Actor, now: datetime) -> None:
    """End the dependency's wait and let the work it blocked move on."""
    _waits_end(dependency.waits.all(), now=now)
    if dependency.blocks_commitment_id is not None:
        commitment = Commitment.objects.select_for_update().get(pk=dependency.blocks_commitment_id)
        _due_refresh(commitment, now=now)
        commitment.save(update_fields=["due_at"])
    elif dependency.blocks_milestone_id is not None:
        milestone = Milestone.objects.select_for_update().get(pk=dependency.blocks_milestone_id)
        _due_refresh(milestone, now=now)
        milestone.save(update_fields=["due_at"])
    elif dependency.blocks_ticket_id is not None:
        _ticket_waiting_sync(dependency.blocks_ticket_id, actor=actor, now=now, reason=dependency.what)


# --- commitments ---------------------------------------------------------------------------------


def _links_clean(
    *, account: Account, engagement: Engagement | None, milestone: Milestone | None, ticket: Ticket | None
) -> Engagement | None:
    """The engagement a commitment belongs to (a milestone's own, when only the milestone is named); every link is
    the account's."""
    if milestone is not None:
        if engagement is not None and milestone.engagement_id != engagement.pk:
            raise ApplicationError(_("The milestone belongs to another engagement."), field="milestone")
        engagement = milestone.engagement
    if engagement is not None and engagement.account_id != account.pk:
        raise ApplicationError(_("The engagement belongs to another account."), field="engagement")
    if ticket is not None and ticket.account_id != account.pk:
        raise ApplicationError(_("The ticket belongs to another account."), field="ticket")
    return engagement


@transaction.atomic
def commitment_create(
    *,
    actor: Actor,
    account: Account,
    title: str,
    owner: Any,
    due_at: Any,
    engagement: Engagement | None = None,
    milestone: Milestone | None = None,
    ticket: Ticket | None = None,
    check_in: CheckIn | None = None,
) -> Commitment:
    """Promise an account something by a date: its advisor or a manager records it, for any active staff member."""
    require_account_manager(actor, account)
    now = timezone.now()
    due = _future(due_at, field="due_at", now=now)
    engagement = _links_clean(account=account, engagement=engagement, milestone=milestone, ticket=ticket)
    if check_in is not None and check_in.account_id != account.pk:
        raise ApplicationError(_("The check-in belongs to another account."), field="check_in")
    commitment = Commitment.objects.create(
        account=account,
        title=clean_text(title, field="title", max_length=MAX_TITLE, required=True),
        owner=_owner_clean(owner),
        promised_due_at=due,
        due_at=due,
        engagement=engagement,
        milestone=milestone,
        ticket=ticket,
        check_in=check_in,
        created_at=now,
        updated_at=now,
    )
    _record(
        account_id=account.pk,
        action="commitment_created",
        kind="commitment",
        item=commitment,
        new={"owner": commitment.owner.get_username(), "due_at": _when(due)},
        actor=actor,
    )
    return commitment


def _commitment_lock(commitment: Commitment) -> Commitment:
    return Commitment.objects.select_for_update().select_related("account", "owner").get(pk=commitment.pk)


def _commitment_unfinished(commitment: Commitment) -> None:
    if not Commitment.objects.filter(UNFINISHED, pk=commitment.pk).exists():
        raise ApplicationError(
            _("This commitment is {state} already.").format(state=commitment.get_state_display()),
            field="state",
            status=409,
        )


@transaction.atomic
def commitment_update(
    *,
    commitment: Commitment,
    actor: Actor,
    version: int | None = None,
    title: str | None = None,
    due_at: Any = None,
    reason: str = "",
) -> Commitment:
    """Retitle a commitment, or agree a new due date with the client (a reason is then required: it is the promise
    that changes). The new date is pushed on by the time already waited on the client, as the old one was."""
    commitment = _commitment_lock(commitment)
    require_commitment_editor(actor, commitment)
    version_check(commitment, version)
    now = timezone.now()
    values: dict[str, Any] = {}
    if title is not None:
        values["title"] = clean_text(title, field="title", max_length=MAX_TITLE, required=True)
    if due_at is not None:
        _commitment_unfinished(commitment)
        values["promised_due_at"] = _future(due_at, field="due_at", now=now)
    old, new = _differences(commitment, values)
    if not new:
        return commitment
    fields = list(values)
    if "promised_due_at" in new:
        reason = _reason(reason)
        spans = list(commitment.waits.values_list("started_at", "ended_at"))
        # A renegotiated date replaces the old one outright, so here alone the due date may come earlier.
        # A late commitment stays late: a new date is a new promise, not a kept old one.
        commitment.due_at = due_extend(promised=commitment.promised_due_at, spans=spans, now=now)
        fields.append("due_at")
    _bump(commitment, fields, now=now)
    _record(
        account_id=commitment.account_id,
        action="commitment_updated",
        kind="commitment",
        item=commitment,
        old=old,
        new=new,
        reason=_reason(reason, required=False),
        actor=actor,
    )
    return commitment


@transaction.atomic
def commitment_complete(*, commitment: Commitment, actor: Actor, now: datetime | None = None) -> Commitment:
    """Deliver a commitment: done when on or before its due date (pushed on by any wait on the client), else late."""
    commitment = _commitment_lock(commitment)
    require_commitment_editor(actor, commitment)
    _commitment_unfinished(commitment)
    moment = now or timezone.now()
    _waits_end(Wait.objects.filter(commitment=commitment), now=moment)
    _due_refresh(commitment, now=moment)
    old_state = commitment.state
    commitment.state = CommitmentState.DONE if moment <= commitment.due_at else CommitmentState.LATE
    commitment.done_at = moment
    _bump(commitment, ["state", "done_at", "due_at"], now=moment)
    _record(
        account_id=commitment.account_id,
        action="commitment_done" if commitment.state == CommitmentState.DONE else "commitment_done_late",
        kind="commitment",
        item=commitment,
        old={"state": old_state},
        new={"state": commitment.state, "due_at": _when(commitment.due_at)},
        actor=actor,
    )
    return commitment


@transaction.atomic
def commitment_drop(*, commitment: Commitment, actor: Actor, reason: str) -> Commitment:
    """Give up a commitment, saying why (the client changed their mind, it was folded into another)."""
    commitment = _commitment_lock(commitment)
    require_commitment_editor(actor, commitment)
    _commitment_unfinished(commitment)
    reason = _reason(reason)
    now = timezone.now()
    _waits_end(Wait.objects.filter(commitment=commitment), now=now)
    _due_refresh(commitment, now=now)
    old_state = commitment.state
    commitment.state = CommitmentState.DROPPED
    commitment.dropped_reason = reason
    _bump(commitment, ["state", "dropped_reason", "due_at"], now=now)
    _record(
        account_id=commitment.account_id,
        action="commitment_dropped",
        kind="commitment",
        item=commitment,
        old={"state": old_state},
        new={"state": commitment.state},
        reason=reason,
        actor=actor,
    )
    return commitment


@transaction.atomic
def commitment_reassign(*, commitment: Commitment, actor: Actor, owner: Any, reason: str) -> Commitment:
    """Give a commitment to another staff member (its owner is away, or leaving), saying why."""
    commitment = _commitment_lock(commitment)
    if not is_manager(actor):
        require_commitment_editor(actor, commitment)
    reason = _reason(reason)
    owner = _owner_clean(owner)
    if owner.pk == commitment.owner_id:
        return commitment
    old_owner = commitment.owner.get_username()
    commitment.owner = owner
    _bump(commitment, ["owner"], now=timezone.now())
    _record(
        account_id=commitment.account_id,
        action="commitment_reassigned",
        kind="commitment",
        item=commitment,
        old={"owner": old_owner},
        new={"owner": owner.get_username()},
        reason=reason,
        actor=actor,
    )
    return commitment


def commitments_hand_over(*, from_owner: Any, to_owner: Any, actor: Actor, reason: str) -> int:
    """Reassign every commitment a staff member still owes to another (before they leave): managers only.
    Returns how many moved; each is audited on its account."""
    require_manager(actor)
    reason = _reason(reason)
    _owner_clean(to_owner)
    with transaction.atomic():
        owed = list(Commitment.objects.filter(UNFINISHED, owner_id=from_owner.pk).order_by("id"))
        for commitment in owed:
            commitment_reassign(commitment=commitment, actor=actor, owner=to_owner, reason=reason)
    return len(owed)


def commitments_mark_late(*, now: datetime | None = None) -> int:
    """Mark open commitments whose due date passed, and that do not wait on the client, as late (the periodic
    job); returns how many. A wait that began before the due date keeps the commitment on time while it lasts."""
    moment = now or timezone.now()
    candidates = Commitment.objects.filter(state=CommitmentState.OPEN, due_at__lt=moment).values_list("pk", flat=True)
    marked = 0
    for commitment_id in list(candidates):
        with transaction.atomic():
            commitment = _commitment_lock(Commitment(pk=commitment_id))
            if commitment.state != CommitmentState.OPEN:
                continue
            _due_refresh(commitment, now=moment)
            if commitment.due_at >= moment:
                commitment.save(update_fields=["due_at"])
                continue
            commitment.state = CommitmentState.LATE
            _bump(commitment, ["state", "due_at"], now=moment)
            _record(
                account_id=commitment.account_id,
                action="commitment_late",
                kind="commitment",
                item=commitment,
                old={"state": CommitmentState.OPEN},
                new={"state": CommitmentState.LATE, "due_at": _when(commitment.due_at)},
                actor=None,
            )
            marked += 1
    return marked


# --- dependencies --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Blocked:
    """What a new dependency holds up: exactly one of these."""

    commitment: Commitment | None = None
    milestone: Milestone | None = None
    ticket: Ticket | None = None


def _blocked_clean(blocks: Blocked) -> tuple[Account, Engagement | None]:
    """The account (read afresh, for the access check) and engagement of the blocked work; refused when it names
    not exactly one thing, or work already finished (nothing can hold up what is done)."""
    account_id, engagement = _blocked_owner(blocks)
    return Account.objects.select_related("owner").get(pk=account_id), engagement


def _blocked_owner(blocks: Blocked) -> tuple[int, Engagement | None]:
    named = [item for item in (blocks.commitment, blocks.milestone, blocks.ticket) if item is not None]
    if len(named) != 1:
        raise ApplicationError(_("Say what it blocks: one commitment, milestone or ticket."), field="blocks")
    if blocks.commitment is not None:
        if not Commitment.objects.filter(UNFINISHED, pk=blocks.commitment.pk).exists():
            raise ApplicationError(
                _("That commitment is finished; nothing is left to block."), field="blocks", status=409
            )
        return blocks.commitment.account_id, blocks.commitment.engagement
    if blocks.milestone is not None:
        if not Milestone.objects.filter(pk=blocks.milestone.pk, done_at__isnull=True).exists():
            raise ApplicationError(_("That milestone is done; nothing is left to block."), field="blocks", status=409)
        engagement = blocks.milestone.engagement
        return engagement.account_id, engagement
    assert blocks.ticket is not None
    if Ticket.objects.filter(pk=blocks.ticket.pk, status__in=FINISHED_TICKET).exists():
        raise ApplicationError(_("That ticket is solved; nothing is left to block."), field="blocks", status=409)
    return blocks.ticket.account_id, None


@transaction.atomic
def dependency_create(
    *,
    actor: Actor,
    what: str,
    contact: Contact,
    due_at: Any,
    blocks: Blocked,
    details: str = "",
    engagement: Engagement | None = None,
) -> Dependency:
    """Record something the client owes us; from now until it arrives, the work it blocks waits on the client."""
    account, blocked_engagement = _blocked_clean(blocks)
    require_account_manager(actor, account)
    if contact.account_id != account.pk:
        raise ApplicationError(_("The contact belongs to another account."), field="contact")
    if engagement is not None and engagement.account_id != account.pk:
        raise ApplicationError(_("The engagement belongs to another account."), field="engagement")
    if engagement is not None and blocked_engagement is not None and engagement.pk != blocked_engagement.pk:
        raise ApplicationError(_("The blocked work belongs to another engagement."), field="engagement")
    now = timezone.now()
    dependency = Dependency.objects.create(
        account=account,
        engagement=blocked_engagement or engagement,
        what=clean_text(what, field="what", max_length=MAX_TITLE, required=True),
        details=clean_text(details, field="details", max_length=MAX_TEXT),
        contact=contact,
        due_at=clean_datetime(due_at, field="due_at"),
        blocks_commitment=blocks.commitment,
        blocks_milestone=blocks.milestone,
        blocks_ticket=blocks.ticket,
        created_at=now,
        updated_at=now,
    )
    Wait.objects.create(
        dependency=dependency,
        account=account,
        engagement=dependency.engagement,
        commitment=blocks.commitment,
        milestone=blocks.milestone,
        ticket=blocks.ticket,
        started_at=now,
    )
    if blocks.ticket is not None:
        ticket_set_waiting_on_client(ticket=blocks.ticket, waiting=True, actor=actor, reason=dependency.what, now=now)
    _record(
        account_id=account.pk,
        action="dependency_created",
        kind="dependency",
        item=dependency,
        new={"contact": contact.name, "due_at": _when(dependency.due_at), "blocks": _blocked_label(dependency)},
        actor=actor,
    )
    return dependency


def _blocked_label(dependency: Dependency) -> str:
    if dependency.blocks_commitment is not None:
        return str(dependency.blocks_commitment)
    if dependency.blocks_milestone is not None:
        return str(dependency.blocks_milestone)
    ticket = dependency.blocks_ticket
    return f"#{ticket.number}" if ticket is not None else ""


def _dependency_lock(dependency: Dependency) -> Dependency:
    return Dependency.objects.select_for_update().select_related("account", "contact").get(pk=dependency.pk)


def _dependency_open(dependency: Dependency) -> None:
    if dependency.state != DependencyState.OPEN:
        raise ApplicationError(
            _("This dependency is {state} already.").format(state=dependency.get_state_display()),
            field="state",
            status=409,
        )


@transaction.atomic
def dependency_update(
    *, dependency: Dependency, actor: Actor, version: int | None = None, **changes: Any
) -> Dependency:
    """Change what is owed, its details, who owes it or by when (while it is open)."""
    dependency = _dependency_lock(dependency)
    require_account_manager(actor, dependency.account)
    version_check(dependency, version)
    _dependency_open(dependency)
    values: dict[str, Any] = {}
    if "what" in changes:
        values["what"] = clean_text(changes.pop("what"), field="what", max_length=MAX_TITLE, required=True)
    if "details" in changes:
        values["details"] = clean_text(changes.pop("details"), field="details", max_length=MAX_TEXT)
    if "due_at" in changes:
        values["due_at"] = clean_datetime(changes.pop("due_at"), field="due_at")
    if "contact" in changes:
        contact = changes.pop("contact")
        if contact is None or contact.account_id != dependency.account_id:
            raise ApplicationError(_("The contact belongs to another account."), field="contact")
        values["contact"] = contact
    if changes:
        raise ApplicationError(_("Unknown field."), field=sorted(changes)[0])
    old, new = _differences(dependency, values)
    if "contact" in new:
        old["contact"], new["contact"] = str(old["contact"]), dependency.contact.name
    if not new:
        return dependency
    _bump(dependency, values, now=timezone.now())
    _record(
        account_id=dependency.account_id,
        action="dependency_updated",
        kind="dependency",
        item=dependency,
        old=old,
        new=new,
        actor=actor,
    )
    return dependency


def _dependency_resolve(
    dependency: Dependency, *, state: str, action: str, actor: Actor, reason: str, now: datetime | None
) -> Dependency:
    dependency = _dependency_lock(dependency)
    require_account_manager(actor, dependency.account)
    _dependency_open(dependency)
    moment = now or timezone.now()
    dependency.state = state
    dependency.resolved_at = moment
    _bump(dependency, ["state", "resolved_at"], now=moment)
    _blocked_release(dependency, actor=actor, now=moment)
    waited = sum((wait.ended_at - wait.started_at for wait in dependency.waits.all() if wait.ended_at), timedelta())
    _record(
        account_id=dependency.account_id,
        action=action,
        kind="dependency",
        item=dependency,
        old={"state": DependencyState.OPEN},
        new={"state": state, "waited_hours": round(waited.total_seconds() / 3600, 1)},
        reason=reason,
        actor=actor,
    )
    return dependency


@transaction.atomic
def dependency_receive(*, dependency: Dependency, actor: Actor, now: datetime | None = None) -> Dependency:
    """The client delivered: the blocked work goes on, its due date pushed on by the time it waited."""
    return _dependency_resolve(
        dependency, state=DependencyState.RECEIVED, action="dependency_received", actor=actor, reason="", now=now
    )


@transaction.atomic
def dependency_cancel(*, dependency: Dependency, actor: Actor, reason: str, now: datetime | None = None) -> Dependency:
    """No longer needed (we went ahead without it, the scope changed): the wait ends, as on receipt."""
    return _dependency_resolve(
        dependency,
        state=DependencyState.CANCELLED,
        action="dependency_cancelled",
        actor=actor,
        reason=_reason(reason),
        now=now,
    )
