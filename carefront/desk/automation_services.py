"""Automations: time-based rules a periodic job applies, each at most once per ticket per moment.

An automation says "when a ticket has matched these conditions for N hours since it was created, last
changed, last changed status or solved, do this". The job finds the tickets in one query per automation
(conditions become a database filter; hours become a cut-off instant, counted in business hours when the
automation names a calendar) and leaves out those it already fired on for the same moment: a firing row,
unique per (ticket, automation, moment), makes the job idempotent however often or concurrently it runs.
A ticket that moves on (a new change, a new status) has a new moment and may be acted on again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, Max, OuterRef, QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from carefront.core.exceptions import ApplicationError
from carefront.core.models import Team
from carefront.core.selectors import supported_language
from carefront.core.services import Actor, Change, events_record
from carefront.core.validation import clean_choice, clean_text
from carefront.desk.business_time import epoch, from_epoch
from carefront.desk.models import Automation, AutomationFiring, Calendar, Since, Status, Ticket
from carefront.desk.routing_services import action_ids_check, loop_refuse, position_clean
from carefront.desk.rules import AUTOMATION_ACTIONS, RuleShape, actions_clean, conditions_clean, conditions_q
from carefront.desk.services import notify_on_commit, ticket_update
from carefront.desk.sla_services import business_line

User = get_user_model()

MAX_HOURS = 24 * 365
MAX_AUTOMATIONS = 200
# Tickets one automation acts on per run: a new automation over a large backlog catches up over a few runs
# instead of holding the job for minutes.
BATCH = 500

_SINCE_COLUMNS = {
    Since.CREATED: F("created_at"),
    Since.UPDATED: F("updated_at"),
    # Tickets from before the status change time was kept count from their creation.
    Since.STATUS: Coalesce(F("status_changed_at"), F("created_at")),
    Since.SOLVED: F("solved_at"),
}


def _clean(*, name: Any, since: Any, hours: Any, conditions: Any, actions: Any, exclude_id: int = 0) -> dict[str, Any]:
    name = clean_text(name, field="name", max_length=100, required=True)
    clean_choice(since, choices=Since.values, field="since")
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= MAX_HOURS:
        raise ApplicationError(_("Hours is a whole number from 1 to {max}.").format(max=MAX_HOURS), field="hours")
    cleaned_conditions = conditions_clean(conditions)
    if "words" in cleaned_conditions:
        # A job over many tickets filters in the database; it cannot read every conversation's words.
        raise ApplicationError(_("Automations cannot look for words; use tags."), field="conditions.words")
    cleaned_actions = actions_clean(actions, allowed=AUTOMATION_ACTIONS)
    action_ids_check(cleaned_actions)
    if cleaned_actions.get("status") == Status.CLOSED and cleaned_conditions.get("status") != [Status.SOLVED]:
        raise ApplicationError(
            _("Only solved tickets can be closed: add the condition status is solved."), field="actions.status"
        )
    if Automation.objects.filter(name=name).exclude(pk=exclude_id).exists():
        raise ApplicationError(_("An automation named “{name}” exists.").format(name=name), field="name", status=409)
    return {"name": name, "since": since, "hours": hours, "conditions": cleaned_conditions, "actions": cleaned_actions}


def _loop_check(automation: Automation) -> None:
    # Two automations loop when each one's action makes the other's conditions hold again and they write a
    # field differently (pending → open and open → pending): a flip every few hours, for ever.
    if not automation.is_active:
        return
    others = Automation.objects.filter(is_active=True).exclude(pk=automation.pk or 0)
    loop_refuse(
        RuleShape(automation.name, automation.conditions, automation.actions),
        (RuleShape(other.name, other.conditions, other.actions) for other in others),
        kind=_("automation"),
        simultaneous=False,
    )


@transaction.atomic
def automation_create(
    *,
    actor: Actor,
    name: str,
    since: str,
    hours: int,
    conditions: Any,
    actions: Any,
    calendar: Calendar | None = None,
    position: int | None = None,
    is_active: bool = True,
    skip_due: bool = False,
) -> Automation:
    """A new automation (`skip_due`: leave the tickets already due alone, act only on those due from now on)."""
    values = _clean(name=name, since=since, hours=hours, conditions=conditions, actions=actions)
    if Automation.objects.count() >= MAX_AUTOMATIONS:
        raise ApplicationError(_("At most {max} automations.").format(max=MAX_AUTOMATIONS), field="name")
    if position is None:
        position = (Automation.objects.aggregate(last=Max("position"))["last"] or 0) + 1
    automation = Automation(**values, calendar=calendar, position=position_clean(position), is_active=bool(is_active))
    _loop_check(automation)
    automation.save()
    events_record(
        subject_kind="automation",
        subject_id=automation.pk,
        action="created",
        changes=[Change(key, None, value) for key, value in values.items()],
        actor=actor,
    )
    if skip_due:
        automation_skip_due(automation=automation, now=timezone.now())
    return automation


def automation_skip_due(*, automation: Automation, now: datetime) -> int:
    """Count the tickets already due as done, without acting on them: a new automation then applies only to
    tickets that become due from now on (no reminder storm over an old backlog). Returns how many."""
    due = automation_due(automation, now=now).order_by().values_list("pk", "since_at")
    skipped = 0
    batch: list[AutomationFiring] = []
    for ticket_id, since_at in due.iterator(chunk_size=5000):
        batch.append(AutomationFiring(automation=automation, ticket_id=ticket_id, since=since_at, fired_at=now))
        if len(batch) == 5000:
            skipped += len(AutomationFiring.objects.bulk_create(batch, ignore_conflicts=True))
            batch = []
    skipped += len(AutomationFiring.objects.bulk_create(batch, ignore_conflicts=True))
    return skipped


@transaction.atomic
def automation_update(*, automation: Automation, actor: Actor, **values: Any) -> Automation:
    """Change any of an automation's settings; firings already made stay (it will not re-fire on them)."""
    automation = Automation.objects.select_for_update().get(pk=automation.pk)
    allowed = {"name", "since", "hours", "conditions", "actions", "calendar", "position", "is_active"}
    unknown = set(values) - allowed
    if unknown:
        raise ApplicationError(_("Unknown field."), field=sorted(unknown)[0])
    new = _clean(
        name=values.get("name", automation.name),
        since=values.get("since", automation.since),
        hours=values.get("hours", automation.hours),
        conditions=values.get("conditions", automation.conditions),
        actions=values.get("actions", automation.actions),
        exclude_id=automation.pk,
    )
    new["calendar"] = values.get("calendar", automation.calendar)
    new["position"] = position_clean(values.get("position", automation.position))
    new["is_active"] = bool(values.get("is_active", automation.is_active))
    changes = []
    for key, value in new.items():
        old = getattr(automation, key)
        if old != value:
            shown = (lambda c: c.name if c else None) if key == "calendar" else (lambda v: v)
            changes.append(Change(key, shown(old), shown(value)))
            setattr(automation, key, value)
    if not changes:
        return automation
    _loop_check(automation)
    automation.updated_at = timezone.now()
    automation.save()
    events_record(subject_kind="automation", subject_id=automation.pk, action="updated", changes=changes, actor=actor)
    return automation


@transaction.atomic
def automation_delete(*, automation: Automation, actor: Actor) -> None:
    events_record(
        subject_kind="automation",
        subject_id=automation.pk,
        action="deleted",
        changes=[Change("name", automation.name, None)],
        actor=actor,
    )
    automation.delete()


def automation_cutoff(automation: Automation, now: datetime) -> datetime | None:
    """The latest moment a ticket's `since` may be for the automation to apply now (None: none can yet)."""
    if automation.calendar is None:
        return now - timedelta(hours=automation.hours)
    line = business_line(automation.calendar)
    target = line.position(epoch(now)) - automation.hours * 3600
    if target <= 0:
        return None
    instant = line.instant(target)
    return from_epoch(instant) if instant is not None else None


def _matching(automation: Automation, *, now: datetime) -> QuerySet[Any]:
    cutoff = automation_cutoff(automation, now)
    if cutoff is None:
        return Ticket.objects.none()
    return (
        Ticket.objects.exclude(status=Status.CLOSED)
        .filter(conditions_q(automation.conditions))
        .annotate(since_at=_SINCE_COLUMNS[Since(automation.since)])
        .filter(since_at__lte=cutoff)
    )


def automation_due(automation: Automation, *, now: datetime) -> QuerySet[Any]:
    """The tickets the automation should act on now and has not acted on for their current moment."""
    fired = AutomationFiring.objects.filter(automation=automation, ticket=OuterRef("pk"), since=OuterRef("since_at"))
    return _matching(automation, now=now).exclude(Exists(fired))


def automations_run(*, now: datetime | None = None, batch: int = BATCH) -> dict[str, int]:
    """Apply every active automation to the tickets due for it; returns how many times each fired."""
    now = now or timezone.now()
    fired: dict[str, int] = {}
    for automation in Automation.objects.filter(is_active=True).select_related("calendar"):
        due = list(automation_due(automation, now=now).order_by("since_at", "pk").values_list("pk", "since_at")[:batch])
        count = 0
        for ticket_id, since_at in due:
            count += automation_fire(automation=automation, ticket_id=ticket_id, since_at=since_at, now=now)
        if count:
            fired[automation.name] = count
    return fired


def automation_fire(*, automation: Automation, ticket_id: int, since_at: datetime, now: datetime) -> int:
    """Act on one ticket, once: 1 if this call fired, 0 if it had already fired or the ticket moved on."""
    try:
        with transaction.atomic():
            AutomationFiring.objects.create(automation=automation, ticket_id=ticket_id, since=since_at, fired_at=now)
            # Checked again inside the transaction: someone may have changed the ticket since it was found.
            still = _matching(automation, now=now).filter(pk=ticket_id, since_at=since_at)
            if not still.select_for_update(of=("self",)).exists():
                raise _MovedOn
            _act(automation, Ticket.objects.select_related("account").get(pk=ticket_id))
    except (IntegrityError, _MovedOn):
        return 0
    except ApplicationError as refused:
        events_record(
            subject_kind="ticket",
            subject_id=ticket_id,
            account_id=Ticket.objects.values_list("account_id", flat=True).get(pk=ticket_id),
            action="automation_failed",
            changes=[Change("automation", None, automation.name)],
            reason=refused.message,
            actor=None,
        )
        return 0
    return 1


class _MovedOn(Exception):
    pass


def _act(automation: Automation, ticket: Ticket) -> None:
    actions = automation.actions
    changes: dict[str, Any] = {key: actions[key] for key in ("priority", "tier", "status") if key in actions}
    if "team" in actions:
        changes["team"] = Team.objects.filter(pk=actions["team"]).first() if actions["team"] else None
    if "assignee" in actions:
        changes["assignee"] = User.objects.filter(pk=actions["assignee"]).first() if actions["assignee"] else None
    if "tags_add" in actions or "tags_remove" in actions:
        tags = set(ticket.tags.values_list("name", flat=True))
        changes["tags"] = sorted((tags | set(actions.get("tags_add", ()))) - set(actions.get("tags_remove", ())))
    if changes:
        ticket = ticket_update(ticket=ticket, actor=None, action="automation", reason=automation.name, **changes)
    events_record(
        subject_kind="ticket",
        subject_id=ticket.pk,
        account_id=ticket.account_id,
        action="automation_fired",
        changes=[Change("automation", None, automation.name)],
        actor=None,
    )
    for recipient_id in _recipients(ticket, actions.get("notify", ())):
        notify_on_commit(
            recipient_id=recipient_id,
            verb="automation",
            text=lambda: _("Ticket #{number} “{subject}”: {automation}.").format(
                number=ticket.number, subject=ticket.subject, automation=automation.name
            ),
            ticket_id=ticket.pk,
        )
    if actions.get("remind_requester"):
        from carefront.desk.tasks import remind_requester

        ticket_id = ticket.pk
        transaction.on_commit(lambda: remind_requester(ticket_id=ticket_id))


def _recipients(ticket: Ticket, whom: Sequence[str]) -> list[int]:
    recipients: list[int] = []
    if "assignee" in whom and ticket.assignee_id:
        recipients.append(ticket.assignee_id)
    if "owner" in whom and ticket.account.owner_id:
        recipients.append(ticket.account.owner_id)
    if "team" in whom and ticket.team_id:
        recipients += User.objects.filter(staff_profile__teams=ticket.team_id, is_active=True).values_list(
            "pk", flat=True
        )
    return list(dict.fromkeys(recipients))


def requester_remind(*, ticket_id: int) -> bool:
    """Email the requester, in their language, that the ticket waits on their reply (False: no one to tell)."""
    ticket = Ticket.objects.select_related("requester").filter(pk=ticket_id).first()
    if ticket is None or not ticket.requester.email or ticket.status in (Status.SOLVED, Status.CLOSED):
        return False
    link = f"{settings.BASE_URL}{reverse('portal:ticket', args=[ticket.number])}"
    with translation.override(supported_language(ticket.requester.language) or settings.LANGUAGE_CODE):
        subject = _("Ticket #{number}: we are waiting for your reply").format(number=ticket.number)
        lines = [
            _("Hello {name},").format(name=ticket.requester.name),
            "",
            _("We need your reply to go on with “{subject}”. You can answer in the portal:").format(
                subject=ticket.subject
            ),
            link,
        ]
    send_mail(
        subject=subject, message="\n".join(lines) + "\n", from_email=None, recipient_list=[ticket.requester.email]
    )
    events_record(
        subject_kind="ticket",
        subject_id=ticket.pk,
        account_id=ticket.account_id,
        action="requester_reminded",
        changes=[Change("email", None, ticket.requester.email)],
        actor=None,
    )
    return True
