"""Every write to tickets and their conversations, each change audited in the same transaction."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import nh3
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _

from carefront.accounts.models import Channel, Contact, ServiceModel
from carefront.core.access import is_manager, staff_role
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Event, Team
from carefront.core.selectors import staff_language
from carefront.core.services import (
    Actor,
    Change,
    counter_reserve,
    events_build,
    events_record,
    tag_names_normalise,
    tags_get_or_create,
)
from carefront.core.validation import clean_choice, clean_text
from carefront.desk.models import (
    Attachment,
    Message,
    PresenceState,
    Priority,
    Status,
    Ticket,
    TicketFollower,
    TicketPresence,
    Tier,
    TierQueue,
    Visibility,
)
from carefront.desk.routing_selectors import routing_remember
from carefront.desk.routing_services import (
    Routed,
    route_changed,
    route_new,
    routing_config,
    routing_events,
    routing_record,
    routings_record_new,
)
from carefront.desk.sla_services import SlaEvent, sla_ticket_sync, sla_tickets_start
from carefront.relationships.services_health import health_mark_stale

User = get_user_model()

TICKET_NUMBER_COUNTER = "ticket_number"
MAX_BODY_CHARS = 100_000
# Statuses a person may set; `closed` is reached only from `solved` (by the auto-close job or staff).
SETTABLE_STATUSES = [Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED, Status.CLOSED, Status.NEW]


@dataclass(frozen=True)
class NewAttachment:
    """A file to attach: an upload from a form, or bytes from the API or email."""

    filename: str
    content_type: str
    content: bytes | UploadedFile


def body_html_sanitise(*, body_text: str, body_html: str | None) -> str:
    """Safe HTML for display: the sender's HTML cleaned by nh3, or the text with line breaks."""
    if body_html:
        return nh3.clean(body_html, link_rel="noopener noreferrer nofollow", url_schemes={"http", "https", "mailto"})
    return linebreaks(escape(body_text))


# A day: more on one reply is a typo (minutes for hours), and a typo here would skew the cost to serve.
MAX_MINUTES_PER_MESSAGE = 24 * 60


def minutes_clean(minutes: Any) -> int:
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 <= minutes <= MAX_MINUTES_PER_MESSAGE:
        raise ApplicationError(
            _("Time spent is a whole number of minutes from 0 to {limit}.").format(limit=MAX_MINUTES_PER_MESSAGE),
            field="minutes_spent",
        )
    return minutes


@transaction.atomic
def message_set_minutes(*, message: Message, actor: Actor, minutes_spent: int) -> Message:
    """Correct the time recorded on a staff reply or note (its author, or a manager)."""
    minutes_spent = minutes_clean(minutes_spent)
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.author_user_id is None:
        raise ApplicationError(_("Only staff replies and notes record time spent."), field="minutes_spent")
    if message.author_user_id != getattr(actor, "pk", None) and not is_manager(actor):
        raise ApplicationError(_("Only the author or a manager may change the time spent."), status=403)
    if minutes_spent != message.minutes_spent:
        change = Change("minutes_spent", message.minutes_spent, minutes_spent)
        message.minutes_spent = minutes_spent
        message.save(update_fields=["minutes_spent"])
        events_record(
            subject_kind="ticket",
            subject_id=message.ticket_id,
            account_id=message.account_id,
            action="time_changed",
            changes=[change],
            actor=actor,
        )
    return message


def body_clean(body: str) -> str:
    return clean_text(body, field="body", max_length=MAX_BODY_CHARS, required=True)


def assignee_validate(assignee: Any) -> None:
    if assignee is None:
        return
    if not assignee.is_active:
        raise ApplicationError(
            _("{user} is inactive and cannot be assigned tickets.").format(user=assignee.get_username()),
            field="assignee",
        )
    if staff_role(assignee) is None:
        raise ApplicationError(
            _("{user} is not staff and cannot be assigned tickets.").format(user=assignee.get_username()),
            field="assignee",
        )


def attachments_store(message: Message, attachments: Sequence[NewAttachment]) -> None:
    from django.core.files.base import ContentFile

    limit = settings.CAREFRONT_MAX_ATTACHMENT_BYTES
    for item in attachments:
        content = item.content
        size = content.size if isinstance(content, UploadedFile) else len(content)
        if size is not None and size > limit:
            raise ApplicationError(
                _("{name} is larger than the {limit} MB limit.").format(name=item.filename, limit=limit // 1_048_576),
                field="attachments",
            )
        filename = clean_text(item.filename, field="attachments", max_length=200, required=True)
        upload = content if isinstance(content, UploadedFile) else ContentFile(content, name=filename)
        attachment = Attachment(
            message=message, filename=filename, content_type=item.content_type[:100], size=size or 0
        )
        attachment.file.save(filename, upload, save=False)
        attachment.save()


def notify_on_commit(*, recipient_id: int, verb: str, text: Callable[[], str], ticket_id: int | None) -> None:
    """After the commit, notify a staff member; `text` is written in the recipient's language, not the actor's."""
    from carefront.core.tasks import notify_staff

    def send() -> None:
        with translation.override(staff_language(user_id=recipient_id)):
            written = text()
        notify_staff(recipient_id=recipient_id, verb=verb, text=written, ticket_id=ticket_id)

    transaction.on_commit(send)


@dataclass(frozen=True)
class NewTicket:
    """What opens a ticket: the requester's request and where it starts (routing may change the rest)."""

    requester: Contact
    subject: str
    body: str
    channel: str = Channel.EMAIL
    priority: str = Priority.NORMAL
    tier: int = Tier.L1
    assignee: Any = None
    team: Team | None = None
    tags: Iterable[str] = ()
    body_html: str | None = None
    external_id: str | None = None
    attachments: Sequence[NewAttachment] = ()
    follow_up_of: Ticket | None = None


@dataclass(frozen=True)
class Opened:
    """A ticket just opened and its first message."""

    ticket: Ticket
    message: Message


def ticket_create(
    *,
    actor: Actor,
    requester: Contact,
    subject: str,
    body: str,
    channel: str = Channel.EMAIL,
    priority: str = Priority.NORMAL,
    tier: int = Tier.L1,
    assignee: Any = None,
    team: Team | None = None,
    tags: Iterable[str] = (),
    body_html: str | None = None,
    external_id: str | None = None,
    attachments: Sequence[NewAttachment] = (),
    follow_up_of: Ticket | None = None,
    route: bool = True,
) -> Ticket:
    """Open a ticket for a contact; its first message is the requester's own words. Routing decides its team,
    assignee and the rest (`route=False`: history being written, as it happened, by the demo)."""
    request = NewTicket(
        requester=requester,
        subject=subject,
        body=body,
        channel=channel,
        priority=priority,
        tier=tier,
        assignee=assignee,
        team=team,
        tags=tags,
        body_html=body_html,
        external_id=external_id,
        attachments=attachments,
        follow_up_of=follow_up_of,
    )
    return tickets_create(actor=actor, requests=[request], route=route)[0].ticket


@dataclass
class _Cleaned:
    request: NewTicket
    subject: str
    body: str
    body_html: str
    external_id: str | None
    tags: list[str]


def _ticket_request_clean(request: NewTicket) -> _Cleaned:
    subject = clean_text(request.subject, field="subject", max_length=250, required=True)
    body = body_clean(request.body)
    clean_choice(request.channel, choices=Channel.values, field="channel")
    clean_choice(request.priority, choices=Priority.values, field="priority")
    clean_choice(request.tier, choices=Tier.values, field="tier")
    assignee_validate(request.assignee)
    external_id = clean_text(request.external_id, field="external_id", max_length=100) or None
    tags = tag_names_normalise(request.tags)
    return _Cleaned(
        request=request,
        subject=subject,
        body=body,
        body_html=body_html_sanitise(body_text=body, body_html=request.body_html),
        external_id=external_id,
        tags=tags,
    )


def _external_ids_check(cleaned: Sequence[_Cleaned]) -> None:
    external_ids = [item.external_id for item in cleaned if item.external_id]
    if not external_ids:
        return
    taken = set(Ticket.objects.filter(external_id__in=external_ids).values_list("external_id", flat=True))
    seen: set[str] = set()
    for external_id in external_ids:
        if external_id in taken or external_id in seen:
            raise ApplicationError(
                _("A ticket with external id “{id}” already exists.").format(id=external_id),
                field="external_id",
                status=409,
            )
        seen.add(external_id)


def tickets_create(*, actor: Actor, requests: Sequence[NewTicket], route: bool = True) -> list[Opened]:
    """Open tickets, each as `ticket_create` would, in one transaction and a few statements for them all (email
    files what waits in batches). All or none: the first request that is refused refuses them all."""
    # Checked and cleaned before the transaction: on SQLite it holds the database's one write lock,
    # and every concurrent request waits for it.
    cleaned = [_ticket_request_clean(request) for request in requests]
    if not cleaned:
        return []
    with transaction.atomic():
        _external_ids_check(cleaned)
        config = routing_config() if route else None
        now = timezone.now()
        first_number = counter_reserve(name=TICKET_NUMBER_COUNTER, count=len(cleaned))
        tickets: list[Ticket] = []
        decisions: list[tuple[Routed | None, list[Change]]] = []
        for offset, item in enumerate(cleaned):
            request = item.request
            team, assignee = request.team, request.assignee
            priority, tier, tag_names = request.priority, request.tier, item.tags
            routed = None
            if config is not None:
                routed = route_new(
                    account=request.requester.account,
                    language=request.requester.language,
                    channel=request.channel,
                    priority=priority,
                    tier=tier,
                    tags=tag_names,
                    team_id=team.pk if team else None,
                    assignee_id=assignee.pk if assignee else None,
                    text=f"{item.subject}\n{item.body}",
                    config=config,
                )
            routed_changes: list[Change] = []
            if routed is not None:
                team, assignee, routed_changes = _routed_resolve(
                    routed, team=team, assignee=assignee, priority=priority, tier=tier, tags=tag_names
                )
                priority, tier, item.tags = routed.priority, routed.tier, sorted(routed.tags)
            decisions.append((routed, routed_changes))
            tickets.append(
                Ticket(
                    number=first_number + offset,
                    subject=item.subject,
                    status=Status.OPEN if assignee is not None else Status.NEW,
                    priority=priority,
                    tier=tier,
                    channel=request.channel,
                    # The requester's account object, not just its id: callers usually hold it already, so the
                    # new ticket can be shown without reading it back.
                    account=request.requester.account,
                    requester=request.requester,
                    assignee=assignee,
                    team=team,
                    external_id=item.external_id,
                    follow_up_of=request.follow_up_of,
                    created_at=now,
                    updated_at=now,
                    status_changed_at=now,
                )
            )
        Ticket.objects.bulk_create(tickets)
        for ticket, item in zip(tickets, cleaned, strict=True):
            if item.tags:
                # A new ticket has no tags yet: add, without reading its (empty) set first.
                ticket.tags.add(*tags_get_or_create(names=item.tags))
        messages = [
            Message(
                ticket=ticket,
                account_id=ticket.account_id,
                visibility=Visibility.PUBLIC,
                author_contact=item.request.requester,
                channel=ticket.channel,
                body_text=item.body,
                body_html=item.body_html,
                created_at=now,
            )
            for ticket, item in zip(tickets, cleaned, strict=True)
        ]
        Message.objects.bulk_create(messages)
        for message, item in zip(messages, cleaned, strict=True):
            attachments_store(message, item.request.attachments)
        sla_tickets_start(tickets=tickets, now=now)
        events: list[Event] = []
        routings: list[tuple[Ticket, Routed]] = []
        for ticket, item, (routed, routed_changes) in zip(tickets, cleaned, decisions, strict=True):
            follow_up_of = item.request.follow_up_of
            events += events_build(
                subject_kind="ticket",
                subject_id=ticket.pk,
                account_id=ticket.account_id,
                action="created",
                # The tier a ticket starts at: with the tier changes after it, the history of every tier's volume.
                changes=[Change("tier", None, ticket.tier)]
                + ([Change("follow_up_of", None, follow_up_of.number)] if follow_up_of else []),
                actor=actor,
            )
            if routed is not None:
                routings.append((ticket, routed))
                events += routing_events(ticket=ticket, routed=routed, changes=routed_changes)
            else:
                routing_remember(ticket, None)
        routings_record_new(routings)
        Event.objects.bulk_create(events)
        # A client's tickets weigh on its health score (each ticket holds its account: no query for customers).
        health_mark_stale(account_ids={t.account_id for t in tickets if t.account.service_model == ServiceModel.CLIENT})
        for ticket in tickets:
            if ticket.assignee is not None and ticket.assignee != actor:
                _notify_assigned(ticket)
    return [Opened(ticket=ticket, message=message) for ticket, message in zip(tickets, messages, strict=True)]


def _notify_assigned(ticket: Ticket) -> None:
    assert ticket.assignee_id is not None
    number, subject = ticket.number, ticket.subject
    notify_on_commit(
        recipient_id=ticket.assignee_id,
        verb="assigned",
        text=lambda: _("Ticket #{number} “{subject}” was assigned to you.").format(number=number, subject=subject),
        ticket_id=ticket.pk,
    )


def _routed_resolve(
    routed: Routed, *, team: Team | None, assignee: Any, priority: str, tier: int, tags: Sequence[str]
) -> tuple[Team | None, Any, list[Change]]:
    """The team and assignee objects routing chose (a rule naming a since-deleted team or person is ignored),
    and what routing changed, for the audit trail."""
    changes: list[Change] = []
    if routed.team_id != (team.pk if team else None):
        new_team = Team.objects.filter(pk=routed.team_id).first() if routed.team_id else None
        if new_team is not None or routed.team_id is None:
            changes.append(Change("team", team.name if team else None, new_team.name if new_team else None))
            team = new_team
    if routed.assignee_id != (assignee.pk if assignee else None):
        new_assignee = routed.picked if getattr(routed.picked, "pk", None) == routed.assignee_id else None
        if new_assignee is None and routed.assignee_id is not None:
            new_assignee = User.objects.filter(pk=routed.assignee_id, is_active=True).first()
        if new_assignee is not None or routed.assignee_id is None:
            old = assignee.get_username() if assignee else None
            changes.append(Change("assignee", old, new_assignee.get_username() if new_assignee else None))
            assignee = new_assignee
    if routed.priority != priority:
        changes.append(Change("priority", priority, routed.priority))
    if routed.tier != tier:
        changes.append(Change("tier", tier, routed.tier))
    if sorted(routed.tags) != sorted(tags):
        changes.append(Change("tags", sorted(tags), sorted(routed.tags)))
    return team, assignee, changes


def _refuse_if_closed(ticket: Ticket) -> None:
    if ticket.status == Status.CLOSED:
        raise ApplicationError(
            _("Ticket #{number} is closed and cannot change; a new reply opens a follow-up ticket.").format(
                number=ticket.number
            ),
            field="status",
            status=409,
        )


def _status_apply(ticket: Ticket, status: str, now: datetime) -> list[Change]:
    clean_choice(status, choices=Status.values, field="status")
    if status == ticket.status:
        return []
    if status == Status.CLOSED and ticket.status != Status.SOLVED:
        raise ApplicationError(_("Only a solved ticket can be closed."), field="status")
    if status == Status.NEW:
        raise ApplicationError(_("A ticket cannot go back to new."), field="status")
    changes = [Change("status", ticket.status, status)]
    ticket.status_changed_at = now
    if status == Status.SOLVED:
        ticket.solved_at = now
        # The relationships schedule their "did this fix it?" follow-ups after the commit (none if it rolls back).
        from carefront.relationships.services_followups import TICKET_SOLVED, followups_after_commit

        if ticket.pk is not None:  # a ticket being imported as solved is history, not an event
            followups_after_commit(event=TICKET_SOLVED, object_id=ticket.pk)
            # And the feedback app sends its CSAT (and CES) survey, once per solve.
            from carefront.feedback.services_sending import TICKET_SOLVED as SURVEY_TICKET_SOLVED
            from carefront.feedback.services_sending import surveys_after_commit

            surveys_after_commit(event=SURVEY_TICKET_SOLVED, object_id=ticket.pk)
    elif status == Status.CLOSED:
        ticket.closed_at = now
    elif ticket.status == Status.SOLVED:
        ticket.solved_at = None
    ticket.status = status
    return changes


@transaction.atomic
def ticket_update(
    *,
    ticket: Ticket,
    actor: Actor,
    version: int | None = None,
    reason: str = "",
    action: str = "updated",
    **changes: Any,
) -> Ticket:
    """Change status, priority, tier, assignee, team, subject or tags in one audited step (`action` names
    the step in the audit trail)."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if version is not None and version != ticket.version:
        raise ApplicationError(
            _(
                "Ticket #{number} was changed by someone else (version {current}, you sent {sent}); reload and retry."
            ).format(number=ticket.number, current=ticket.version, sent=version),
            field="version",
            status=409,
        )
    _refuse_if_closed(ticket)
    now = timezone.now()
    previous_status = ticket.status
    recorded: list[Change] = []
    notify_assignee = None
    if "subject" in changes:
        subject = clean_text(changes.pop("subject"), field="subject", max_length=250, required=True)
        if subject != ticket.subject:
            recorded.append(Change("subject", ticket.subject, subject))
            ticket.subject = subject
    if "priority" in changes:
        priority = clean_choice(changes.pop("priority"), choices=Priority.values, field="priority")
        if priority != ticket.priority:
            recorded.append(Change("priority", ticket.priority, priority))
            ticket.priority = priority
    if "tier" in changes:
        tier = clean_choice(changes.pop("tier"), choices=Tier.values, field="tier")
        if tier != ticket.tier:
            recorded.append(Change("tier", ticket.tier, tier))
            ticket.tier = tier
    if "team" in changes:
        team = changes.pop("team")
        if team != ticket.team:
            recorded.append(Change("team", ticket.team.name if ticket.team else None, team.name if team else None))
            ticket.team = team
    if "assignee" in changes:
        assignee = changes.pop("assignee")
        assignee_validate(assignee)
        if assignee != ticket.assignee:
            old = ticket.assignee.get_username() if ticket.assignee else None
            recorded.append(Change("assignee", old, assignee.get_username() if assignee else None))
            ticket.assignee = assignee
            if assignee is not None and assignee != actor:
                notify_assignee = assignee
            if ticket.status == Status.NEW and assignee is not None and "status" not in changes:
                recorded += _status_apply(ticket, Status.OPEN, now)
    if "status" in changes:
        recorded += _status_apply(ticket, changes.pop("status"), now)
    if "difficult" in changes:
        difficult = changes.pop("difficult")
        if not isinstance(difficult, bool):
            raise ApplicationError(_("Use true or false."), field="difficult")
        if difficult != (ticket.difficult_since is not None):
            recorded.append(Change("difficult", not difficult, difficult))
            ticket.difficult_since = now if difficult else None
            ticket.difficult_checklist = [] if difficult else None
    if "tags" in changes:
        names = tag_names_normalise(changes.pop("tags") or [])
        old_names = sorted(ticket.tags.values_list("name", flat=True))
        if names != old_names:
            ticket.tags.set(tags_get_or_create(names=names))
            recorded.append(Change("tags", old_names, names))
    if changes:
        raise ApplicationError(_("Unknown field."), field=sorted(changes)[0])
    if not recorded:
        return ticket
    routed, routed_changes = _route_after_change(ticket, changed={c.field for c in recorded}, now=now)
    if routed_changes and ticket.assignee_id is not None and ticket.assignee != actor:
        notify_assignee = ticket.assignee
    ticket.version += 1
    ticket.updated_at = now
    columns = {c.field for c in recorded + routed_changes} - {"tags", "difficult"}
    if any(c.field == "difficult" for c in recorded):
        columns |= {"difficult_since", "difficult_checklist"}
    extra = {"solved_at", "closed_at", "status_changed_at"} if "status" in columns else set()
    ticket.save(update_fields=sorted(columns | extra | {"version", "updated_at"}))
    if columns & {"status", "priority", "tier"}:
        sla_ticket_sync(
            ticket=ticket,
            now=now,
            event=SlaEvent.CHANGED,
            previous_status=previous_status,
            retarget=bool(columns & {"priority", "tier"}),
        )
    events = events_build(
        subject_kind="ticket",
        subject_id=ticket.pk,
        account_id=ticket.account_id,
        action=action,
        changes=recorded,
        reason=reason,
        actor=actor,
    )
    if routed is not None:
        routing_record(ticket=ticket, routed=routed)
        events += routing_events(ticket=ticket, routed=routed, changes=routed_changes)
    Event.objects.bulk_create(events)
    if "priority" in columns:
        health_mark_stale(account_ids=[ticket.account_id])
    if notify_assignee is not None:
        notify_on_commit(
            recipient_id=notify_assignee.pk,
            verb="assigned",
            text=lambda: _("Ticket #{number} “{subject}” was assigned to you.").format(
                number=ticket.number, subject=ticket.subject
            ),
            ticket_id=ticket.pk,
        )
    return ticket


def _route_after_change(ticket: Ticket, *, changed: set[str], now: datetime) -> tuple[Routed | None, list[Change]]:
    """Run the change rules (and the team's strategy, if the team changed) on a ticket being updated; what they
    change is applied to `ticket` (not saved) and returned for the audit trail."""
    routed = route_changed(ticket=ticket, team_changed="team" in changed)
    if routed is None:
        return None, []
    old_tags = sorted(routed.tags_before)
    team, assignee, changes = _routed_resolve(
        routed, team=ticket.team, assignee=ticket.assignee, priority=ticket.priority, tier=ticket.tier, tags=old_tags
    )
    ticket.team, ticket.assignee, ticket.priority, ticket.tier = team, assignee, routed.priority, routed.tier
    if any(change.field == "tags" for change in changes):
        ticket.tags.set(tags_get_or_create(names=sorted(routed.tags)))
    if ticket.status == Status.NEW and assignee is not None:
        changes += _status_apply(ticket, Status.OPEN, now)
    return routed, changes


@transaction.atomic
def ticket_escalate(*, ticket: Ticket, actor: Actor, tier: int, reason: str, notify_team: bool = True) -> Ticket:
    """Move a ticket up (escalate) or down (de-escalate) the tiers, with a reason.

    The ticket goes to the queue of the tier's team, unassigned, and that team's members are told (unless
    `notify_team` is False: the demo writes two years of history without ringing anyone's bell).
    """
    if staff_role(actor) is None:
        raise ApplicationError(_("Only staff may do this."), status=403)
    tier = clean_choice(tier, choices=Tier.values, field="tier")
    reason = clean_text(reason, field="reason", max_length=1000, required=True)
    current = Ticket.objects.filter(pk=ticket.pk).values_list("tier", flat=True).get()
    if tier == current:
        raise ApplicationError(_("The ticket is already at this tier."), field="tier")
    if tier == Tier.L0:
        raise ApplicationError(_("L0 is self-service: staff work tickets from L1 up."), field="tier")
    queue = TierQueue.objects.select_related("team").filter(tier=tier).first()
    changes: dict[str, Any] = {"tier": tier}
    if queue is not None:
        changes.update(team=queue.team, assignee=None)
    escalated = tier > current
    updated = ticket_update(
        ticket=ticket, actor=actor, reason=reason, action="escalated" if escalated else "de_escalated", **changes
    )
    if queue is not None and notify_team:
        members = User.objects.filter(staff_profile__teams=queue.team, is_active=True).values_list("pk", flat=True)
        label = str(Tier(tier).label)
        for member_id in members:
            if member_id == getattr(actor, "pk", None):
                continue
            notify_on_commit(
                recipient_id=member_id,
                verb="escalated" if escalated else "de_escalated",
                text=lambda: _("Ticket #{number} “{subject}” moved to {tier} for your team: {reason}").format(
                    number=updated.number, subject=updated.subject, tier=_(label), reason=reason
                ),
                ticket_id=updated.pk,
            )
    return updated


@transaction.atomic
def tier_queue_set(*, actor: Actor, tier: int, team: Team | None) -> TierQueue | None:
    """Say which team's queue a tier's tickets go to (None: escalation keeps the ticket's team). Who may
    is checked where the request comes in (admins, in the settings and the API)."""
    tier = clean_choice(tier, choices=Tier.values, field="tier")
    existing = TierQueue.objects.select_related("team").filter(tier=tier).first()
    old = existing.team.name if existing else None
    if team is None:
        if existing is not None:
            existing.delete()
    elif existing is None:
        existing = TierQueue.objects.create(tier=tier, team=team)
    elif existing.team_id != team.pk:
        existing.team = team
        existing.save(update_fields=["team"])
    new = team.name if team else None
    if old != new:
        events_record(
            subject_kind="tier_queue",
            subject_id=tier,
            action="updated",
            changes=[Change("team", old, new)],
            actor=actor,
        )
    return existing if team is not None else None


def ticket_change_status(*, ticket: Ticket, actor: Actor, status: str) -> Ticket:
    return ticket_update(ticket=ticket, actor=actor, status=status)


def ticket_change_priority(*, ticket: Ticket, actor: Actor, priority: str) -> Ticket:
    return ticket_update(ticket=ticket, actor=actor, priority=priority)


def ticket_change_tier(*, ticket: Ticket, actor: Actor, tier: int) -> Ticket:
    return ticket_update(ticket=ticket, actor=actor, tier=tier)


def ticket_assign(*, ticket: Ticket, actor: Actor, assignee: Any) -> Ticket:
    return ticket_update(ticket=ticket, actor=actor, assignee=assignee)


def ticket_change_team(*, ticket: Ticket, actor: Actor, team: Team | None) -> Ticket:
    return ticket_update(ticket=ticket, actor=actor, team=team)


def ticket_set_tags(*, ticket: Ticket, actor: Actor, tags: Iterable[str]) -> Ticket:
    return ticket_update(ticket=ticket, actor=actor, tags=list(tags))


def _touch(ticket: Ticket, now: datetime, fields: list[str]) -> None:
    ticket.version += 1
    ticket.updated_at = now
    ticket.save(update_fields=sorted({*fields, "version", "updated_at"}))


@transaction.atomic
def ticket_set_waiting_on_client(
    *, ticket: Ticket, waiting: bool, actor: Actor, reason: str = "", now: datetime | None = None
) -> Ticket:
    """Mark a ticket as waiting on something its client owes us, or no longer: while it waits its SLA clocks
    pause through `sla_ticket_sync`, exactly as when it is pending (called by the relationships app when a
    dependency that blocks the ticket opens, is received or is cancelled)."""
    ticket = Ticket.objects.select_for_update().select_related("account").get(pk=ticket.pk)
    if (ticket.waiting_on_client_since is not None) == waiting:
        return ticket
    moment = now or timezone.now()
    ticket.waiting_on_client_since = moment if waiting else None
    _touch(ticket, moment, ["waiting_on_client_since"])
    sla_ticket_sync(ticket=ticket, now=moment, event=SlaEvent.CHANGED, was_waiting=not waiting)
    events_record(
        subject_kind="ticket",
        subject_id=ticket.pk,
        account_id=ticket.account_id,
        action="waiting_on_client" if waiting else "client_delivered",
        changes=[Change("waiting_on_client", not waiting, waiting)],
        reason=clean_text(reason, field="reason", max_length=1000),
        actor=actor,
    )
    return ticket


@transaction.atomic
def ticket_reply(
    *,
    ticket: Ticket,
    body: str,
    staff: Any = None,
    contact: Contact | None = None,
    actor: Actor = None,
    body_html: str | None = None,
    channel: str | None = None,
    status: str | None = None,
    attachments: Sequence[NewAttachment] = (),
    minutes_spent: int = 0,
    email_requester: bool = True,
) -> Message:
    """A public reply from staff or from a contact (`minutes_spent`: staff time, the cost to serve).

    A staff reply counts as the first response, may set the status (default open) and is emailed to the
    requester and the ticket's followers (`email_requester=False`: history written by the demo).
    A requester's reply reopens a solved or pending ticket; on a closed ticket it opens a
    linked follow-up ticket instead, and the returned message belongs to that ticket.
    """
    if (staff is None) == (contact is None):
        raise ApplicationError(_("A reply has exactly one author: a staff member or a contact."), field="author")
    body = body_clean(body)
    minutes_spent = minutes_clean(minutes_spent)
    if contact is not None and minutes_spent:
        raise ApplicationError(_("Only staff record time spent."), field="minutes_spent")
    ticket = Ticket.objects.select_for_update().select_related("account").get(pk=ticket.pk)
    now = timezone.now()
    if contact is not None:
        if (
            contact.account_id != ticket.account_id
            and not TicketFollower.objects.filter(ticket=ticket, contact=contact).exists()
        ):
            raise ApplicationError(
                _("This contact does not belong to the ticket's account."), field="author", status=403
            )
        if ticket.status == Status.CLOSED:
            follow_up = ticket_create(
                actor=actor,
                requester=contact,
                subject=ticket.subject,
                body=body,
                body_html=body_html,
                channel=channel or ticket.channel,
                priority=ticket.priority,
                tier=ticket.tier,
                assignee=ticket.assignee if ticket.assignee and ticket.assignee.is_active else None,
                team=ticket.team,
                attachments=attachments,
                follow_up_of=ticket,
            )
            return follow_up.messages.get()
        recorded: list[Change] = []
        previous_status = ticket.status
        if ticket.status in {Status.SOLVED, Status.PENDING, Status.ON_HOLD}:
            recorded = _status_apply(ticket, Status.OPEN, now)
        message = Message.objects.create(
            ticket=ticket,
            account_id=ticket.account_id,
            visibility=Visibility.PUBLIC,
            author_contact=contact,
            channel=channel or ticket.channel,
            body_text=body,
            body_html=body_html_sanitise(body_text=body, body_html=body_html),
            created_at=now,
        )
        _touch(ticket, now, ["status", "solved_at", "status_changed_at"] if recorded else [])
        sla_ticket_sync(ticket=ticket, now=now, event=SlaEvent.REQUESTER_REPLIED, previous_status=previous_status)
        if recorded:
            events_record(
                subject_kind="ticket",
                subject_id=ticket.pk,
                account_id=ticket.account_id,
                action="reopened_by_requester",
                changes=recorded,
                actor=actor,
            )
        if ticket.assignee_id is not None:
            notify_on_commit(
                recipient_id=ticket.assignee_id,
                verb="requester_replied",
                text=lambda: _("{name} replied on ticket #{number}.").format(name=contact.name, number=ticket.number),
                ticket_id=ticket.pk,
            )
    else:
        if staff_role(staff) is None:
            raise ApplicationError(_("Only staff may reply as the desk."), field="author", status=403)
        _refuse_if_closed(ticket)
        message = Message.objects.create(
            ticket=ticket,
            account_id=ticket.account_id,
            visibility=Visibility.PUBLIC,
            author_user=staff,
            channel=channel or ticket.channel,
            body_text=body,
            body_html=body_html_sanitise(body_text=body, body_html=body_html),
            minutes_spent=minutes_spent,
            created_at=now,
        )
        previous_status = ticket.status
        recorded = _status_apply(ticket, status or Status.OPEN, now) if (status or ticket.status == Status.NEW) else []
        fields = ["status", "solved_at", "closed_at", "status_changed_at"] if recorded else []
        if ticket.first_responded_at is None:
            ticket.first_responded_at = now
            fields.append("first_responded_at")
        _touch(ticket, now, fields)
        sla_ticket_sync(ticket=ticket, now=now, event=SlaEvent.STAFF_REPLIED, previous_status=previous_status)
        events_record(
            subject_kind="ticket",
            subject_id=ticket.pk,
            account_id=ticket.account_id,
            action="replied",
            changes=recorded,
            actor=actor or staff,
        )
    attachments_store(message, attachments)
    if staff is not None and email_requester:
        # The email channel writes the reply as an email in this transaction and sends it after the commit.
        from carefront.mail.services import reply_email_queue

        reply_email_queue(ticket=ticket, message=message)
    return message


@transaction.atomic
def ticket_add_note(
    *,
    ticket: Ticket,
    actor: Any,
    body: str,
    body_html: str | None = None,
    attachments: Sequence[NewAttachment] = (),
    minutes_spent: int = 0,
) -> Message:
    """An internal note: staff only, never shown to the requester."""
    if staff_role(actor) is None:
        raise ApplicationError(_("Only staff may add internal notes."), field="author", status=403)
    body = body_clean(body)
    minutes_spent = minutes_clean(minutes_spent)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    _refuse_if_closed(ticket)
    now = timezone.now()
    message = Message.objects.create(
        ticket=ticket,
        account_id=ticket.account_id,
        visibility=Visibility.INTERNAL,
        author_user=actor,
        channel=ticket.channel,
        body_text=body,
        body_html=body_html_sanitise(body_text=body, body_html=body_html),
        minutes_spent=minutes_spent,
        created_at=now,
    )
    attachments_store(message, attachments)
    _touch(ticket, now, [])
    events_record(
        subject_kind="ticket", subject_id=ticket.pk, account_id=ticket.account_id, action="noted", actor=actor
    )
    author = actor.get_full_name() or actor.get_username()
    for mentioned_id in _mentioned_staff_ids(body, exclude=actor.pk):
        notify_on_commit(
            recipient_id=mentioned_id,
            verb="mentioned",
            text=lambda: _("{name} mentioned you in a note on ticket #{number} “{subject}”.").format(
                name=author, number=ticket.number, subject=ticket.subject
            ),
            ticket_id=ticket.pk,
        )
    return message


# "@dana" or "@dana.lee" in a note; an email address ("x@example.com") is not a mention.
MENTION = re.compile(r"(?<![\w.@])@([\w.+-]*\w)")


def _mentioned_staff_ids(body: str, *, exclude: int) -> list[int]:
    """The active staff members a note mentions by username (at most 20 looked up)."""
    names = list(dict.fromkeys(match.lower() for match in MENTION.findall(body)))[:20]
    if not names:
        return []
    found = User.objects.filter(is_active=True, staff_profile__isnull=False).exclude(pk=exclude)
    lookup = Q()
    for name in names:
        lookup |= Q(username__iexact=name)
    return list(found.filter(lookup).values_list("pk", flat=True))


def tickets_close_solved(*, older_than: timedelta, batch_size: int = 1000, now: datetime | None = None) -> int:
    """Close tickets solved longer ago than `older_than`, in set-based batches; returns how many."""
    now = now or timezone.now()
    cutoff = now - older_than
    closed = 0
    while True:
        with transaction.atomic():
            solved = list(
                Ticket.objects.filter(status=Status.SOLVED, solved_at__lt=cutoff)
                .order_by("solved_at")
                .values_list("id", "account_id")[:batch_size]
            )
            ids = [ticket_id for ticket_id, _account_id in solved]
            if not ids:
                return closed
            Ticket.objects.filter(id__in=ids, status=Status.SOLVED).update(
                status=Status.CLOSED,
                closed_at=now,
                status_changed_at=now,
                updated_at=now,
                version=F("version") + 1,
            )
            Event.objects.bulk_create(
                [
                    Event(
                        subject_kind="ticket",
                        subject_id=ticket_id,
                        account_id=account_id,
                        action="auto_closed",
                        field="status",
                        old_value=Status.SOLVED,
                        new_value=Status.CLOSED,
                        actor_label="system",
                        occurred_at=now,
                    )
                    for ticket_id, account_id in solved
                ]
            )
            closed += len(ids)


# A user's presence rows older than this are pruned when they next poll: nobody reads them any more.
PRESENCE_KEEP = timedelta(hours=1)


def ticket_presence_touch(*, ticket: Ticket, actor: Any, state: str = PresenceState.VIEWING) -> None:
    """Record that a staff member is viewing (or replying to) a ticket right now.

    Not audited: presence is a passing signal for the collision notice, not a change to the ticket.
    """
    if staff_role(actor) is None:
        raise ApplicationError(_("Only staff may do this."), status=403)
    clean_choice(state, choices=PresenceState.values, field="state")
    now = timezone.now()
    # One upsert, so two tabs of the same agent polling at once cannot collide on the unique pair.
    TicketPresence.objects.bulk_create(
        [TicketPresence(ticket=ticket, user=actor, state=state, seen_at=now)],
        update_conflicts=True,
        unique_fields=["ticket", "user"],
        update_fields=["state", "seen_at"],
    )
    TicketPresence.objects.filter(user=actor, seen_at__lt=now - PRESENCE_KEEP).delete()


@dataclass(frozen=True)
class BulkRefusal:
    """A ticket a bulk change left as it was, and why."""

    ticket_id: int
    number: int | None
    reason: str


BULK_MAX_TICKETS = 200
BULK_FIELDS = frozenset({"assignee", "status", "priority", "tier", "team", "add_tags"})


def tickets_bulk_update(
    *, ticket_ids: Sequence[int], actor: Actor, changes: dict[str, Any]
) -> tuple[list[Ticket], list[BulkRefusal]]:
    """Apply the same change to many tickets, each in its own transaction through `ticket_update`.

    A ticket that refuses the change (closed, a status it cannot reach) is reported with the reason and
    the others still change. `add_tags` adds to each ticket's own tags; the other keys are as `ticket_update`.
    Returns (the updated tickets, the refusals), both in the order of `ticket_ids`.
    """
    if staff_role(actor) is None:
        raise ApplicationError(_("Only staff may do this."), status=403)
    unknown = sorted(set(changes) - BULK_FIELDS)
    if unknown:
        raise ApplicationError(_("Unknown field."), field=unknown[0])
    if not changes:
        raise ApplicationError(_("Choose a change to apply."), field="action")
    ids = list(dict.fromkeys(ticket_ids))
    if not ids:
        raise ApplicationError(_("Select at least one ticket."), field="tickets")
    if len(ids) > BULK_MAX_TICKETS:
        raise ApplicationError(
            _("Select at most {limit} tickets at a time.").format(limit=BULK_MAX_TICKETS), field="tickets"
        )
    fields = dict(changes)
    add_tags = tag_names_normalise(fields.pop("add_tags", None) or [], field="add_tags")
    if "add_tags" in changes and not add_tags:
        raise ApplicationError(_("Enter a tag to add."), field="add_tags")
    if "assignee" in fields:
        assignee_validate(fields["assignee"])
    found = Ticket.objects.in_bulk(ids)
    updated: list[Ticket] = []
    refused: list[BulkRefusal] = []
    for ticket_id in ids:
        ticket = found.get(ticket_id)
        if ticket is None:
            refused.append(BulkRefusal(ticket_id=ticket_id, number=None, reason=_("No such ticket.")))
            continue
        try:
            with transaction.atomic():
                per_ticket = dict(fields)
                if add_tags:
                    # Lock before reading the tags so a concurrent edit of them is not lost.
                    Ticket.objects.select_for_update().filter(pk=ticket.pk).values_list("pk").first()
                    current = list(
                        Ticket.tags.through.objects.filter(ticket_id=ticket.pk).values_list("tag__name", flat=True)
                    )
                    per_ticket["tags"] = [*current, *add_tags]
                updated.append(ticket_update(ticket=ticket, actor=actor, **per_ticket))
        except ApplicationError as error:
            refused.append(BulkRefusal(ticket_id=ticket.pk, number=ticket.number, reason=error.message))
    return updated, refused
