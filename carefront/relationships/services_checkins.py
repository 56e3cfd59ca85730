"""Every write to cadences, check-ins, interactions and an advisor's working hours and calendar feed.

Kept apart from `services` (engagements, commitments, dependencies) so that neither module outgrows the house
limit; the same conventions hold: keyword-only, an actor on every write, audited on the account's history.
The periodic job (`checkins_run`) creates check-ins ahead of time, reminds advisors and marks missed ones.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from carefront.accounts.models import Account, Contact, ServiceModel
from carefront.core.access import require_staff
from carefront.core.exceptions import ApplicationError
from carefront.core.services import Actor
from carefront.core.validation import clean_choice, clean_datetime, clean_text, version_check
from carefront.desk.services import notify_on_commit
from carefront.relationships.access import require_account_manager
from carefront.relationships.models import (
    AdvisorSettings,
    Cadence,
    CadenceKind,
    CheckIn,
    CheckInState,
    Commitment,
    Interaction,
    InteractionKind,
    NextStep,
)
from carefront.relationships.schedule import (
    Recurrence,
    WorkingHours,
    outside_hours,
    rule_clean,
    zone_of,
)
from carefront.relationships.services import (
    MAX_TEXT,
    MAX_TITLE,
    _differences,
    _owner_clean,
    _reason,
    _record,
    _when,
    commitment_create,
)

MAX_DURATION = 8 * 60
MAX_NEXT_STEPS = 20
# A next step made a commitment in one click is due this many days later unless a date is given.
NEXT_STEP_DUE_DAYS = 7


def _bump(item: Cadence | CheckIn, fields: list[str], *, now: datetime) -> None:
    item.version += 1
    item.updated_at = now
    item.save(update_fields=[*fields, "version", "updated_at"])


def _user_id(actor: Actor) -> int:
    """The staff actor's id (the access checks have refused anyone else)."""
    return int(getattr(actor, "pk", 0) or 0)


# --- working hours -------------------------------------------------------------------------------


def working_hours(*, user: Any) -> WorkingHours:
    """The staff member's working hours in their profile's time zone (the defaults when never set)."""
    profile = getattr(user, "staff_profile", None)
    zone = profile.time_zone if profile is not None else "UTC"
    row = AdvisorSettings.objects.filter(user_id=user.pk).first()
    if row is None:
        return WorkingHours(time_zone=zone)
    return WorkingHours(time_zone=zone, starts=row.work_starts, ends=row.work_ends, days=row.work_days)


def _settings_row(user: Any) -> AdvisorSettings:
    hours = WorkingHours(time_zone="UTC")
    row, _created = AdvisorSettings.objects.select_for_update().get_or_create(
        user=user, defaults={"work_starts": hours.starts, "work_ends": hours.ends, "work_days": hours.days}
    )
    return row


@transaction.atomic
def working_hours_set(*, actor: Actor, starts: time, ends: time, days: str) -> AdvisorSettings:
    """A staff member sets their own working hours (check-ins are kept inside them)."""
    require_staff(actor)
    assert actor is not None
    if ends <= starts:
        raise ApplicationError(_("The working day ends after it starts."), field="ends")
    clean_days = "".join(sorted(set(days)))
    if not clean_days or any(day not in "1234567" for day in clean_days):
        raise ApplicationError(_("Choose at least one working day."), field="days")
    row = _settings_row(actor)
    row.work_starts, row.work_ends, row.work_days = starts, ends, clean_days
    row.save(update_fields=["work_starts", "work_ends", "work_days"])
    return row


# --- the calendar feed ---------------------------------------------------------------------------


def feed_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def feed_token_create(*, actor: Actor) -> str:
    """A new secret for the staff member's own calendar feed, replacing any other (whose URL stops working).
    Returned once: only its hash is kept."""
    require_staff(actor)
    token = secrets.token_urlsafe(32)
    row = _settings_row(actor)
    row.feed_token_hash, row.feed_token_created_at = feed_token_hash(token), timezone.now()
    row.save(update_fields=["feed_token_hash", "feed_token_created_at"])
    return token


@transaction.atomic
def feed_token_revoke(*, actor: Actor) -> None:
    """The staff member's calendar feed URL stops working."""
    require_staff(actor)
    AdvisorSettings.objects.filter(user_id=_user_id(actor)).update(feed_token_hash="", feed_token_created_at=None)


# --- cadences ------------------------------------------------------------------------------------


def _recurrence(account: Account, values: dict[str, Any]) -> Recurrence:
    return Recurrence(
        rule=values["rule"],
        starts_on=values["starts_on"],
        time_of_day=values["time_of_day"],
        time_zone=account.time_zone,
    )


def _schedule_check(account: Account, values: dict[str, Any], *, now: datetime) -> None:
    """The rule recurs at most daily and, for a year ahead, inside the advisor's working hours."""
    recurrence = _recurrence(account, values)
    zone_of(account.time_zone)
    if not recurrence.occurs():
        raise ApplicationError(_("This rule has no occurrence in the five years from its first date."), field="rule")
    crowded = recurrence.too_frequent()
    if crowded is not None:
        raise ApplicationError(
            _("A check-in can recur at most daily; this rule has two within a day on {day}.").format(
                day=crowded.date().isoformat()
            ),
            field="rule",
        )
    hours = working_hours(user=values["owner"])
    outside = outside_hours(recurrence, hours=hours, duration=timedelta(minutes=values["duration_minutes"]), after=now)
    if outside is not None:
        local = outside.astimezone(zone_of(hours.time_zone))
        raise ApplicationError(
            _(
                "The check-in of {when} ({zone}) falls outside the advisor's working hours ({starts}–{ends}, {zone})."
            ).format(
                when=local.strftime("%Y-%m-%d %H:%M"),
                zone=hours.time_zone,
                starts=hours.starts.strftime("%H:%M"),
                ends=hours.ends.strftime("%H:%M"),
            ),
            field="time_of_day",
        )


def _cadence_values(changes: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "name" in changes:
        values["name"] = clean_text(changes.pop("name"), field="name", max_length=MAX_TITLE, required=True)
    if "kind" in changes:
        values["kind"] = clean_choice(changes.pop("kind"), choices=CadenceKind.values, field="kind")
    if "channel" in changes:
        values["channel"] = clean_choice(changes.pop("channel"), choices=InteractionKind.values, field="channel")
    if "duration_minutes" in changes:
        duration = changes.pop("duration_minutes")
        if not isinstance(duration, int) or not 0 < duration <= MAX_DURATION:
            raise ApplicationError(
                _("A check-in lasts between 1 and {most} minutes.").format(most=MAX_DURATION),
                field="duration_minutes",
            )
        values["duration_minutes"] = duration
    if "rule" in changes:
        values["rule"] = rule_clean(changes.pop("rule"))
    if "starts_on" in changes:
        starts_on = changes.pop("starts_on")
        if not isinstance(starts_on, date) or isinstance(starts_on, datetime):
            raise ApplicationError(_("Enter a valid date."), field="starts_on")
        values["starts_on"] = starts_on
    if "time_of_day" in changes:
        moment = changes.pop("time_of_day")
        if not isinstance(moment, time):
            raise ApplicationError(_("Enter a valid time."), field="time_of_day")
        values["time_of_day"] = moment.replace(second=0, microsecond=0, tzinfo=None)
    if "owner" in changes:
        values["owner"] = _owner_clean(changes.pop("owner"))
    if "active" in changes:
        values["active"] = bool(changes.pop("active"))
    if changes:
        raise ApplicationError(_("Unknown field."), field=sorted(changes)[0])
    return values


@transaction.atomic
def cadence_create(
    *,
    actor: Actor,
    account: Account,
    name: str,
    rule: str,
    starts_on: date,
    time_of_day: time,
    duration_minutes: int,
    owner: Any = None,
    kind: str = CadenceKind.OTHER,
    channel: str = InteractionKind.VIDEO,
) -> Cadence:
    """Plan a client's regular check-ins; the first ones are created at once, the rest by the periodic job."""
    require_account_manager(actor, account)
    if account.service_model != ServiceModel.CLIENT:
        raise ApplicationError(_("Cadences are for client accounts."), field="account")
    values = _cadence_values(
        {
            "name": name,
            "kind": kind,
            "channel": channel,
            "duration_minutes": duration_minutes,
            "rule": rule,
            "starts_on": starts_on,
            "time_of_day": time_of_day,
            "owner": owner if owner is not None else account.owner,
        }
    )
    now = timezone.now()
    _schedule_check(account, values, now=now)
    cadence = Cadence.objects.create(account=account, created_at=now, updated_at=now, **values)
    _record(
        account_id=account.pk,
        action="cadence_created",
        kind="cadence",
        item=cadence,
        new={"rule": cadence.rule, "owner": cadence.owner.get_username()},
        actor=actor,
    )
    _cadence_fill(cadence, now=now)
    return cadence


@transaction.atomic
def cadence_update(*, cadence: Cadence, actor: Actor, version: int | None = None, **changes: Any) -> Cadence:
    """Change a cadence (its rule, time, advisor, length…) or pause it (`active`). Check-ins still waiting at their
    rule's time are planned again from the new rule; those already rescheduled, held or missed stay."""
    cadence = Cadence.objects.select_for_update().select_related("account", "owner").get(pk=cadence.pk)
    require_account_manager(actor, cadence.account)
    version_check(cadence, version)
    values = _cadence_values(changes)
    old, new = _differences(cadence, values)
    if not new:
        return cadence
    now = timezone.now()
    planning = {"rule", "starts_on", "time_of_day", "duration_minutes", "owner"}
    if planning & set(new):
        current = {field: getattr(cadence, field) for field in planning}
        _schedule_check(cadence.account, current, now=now)
    _bump(cadence, list(values), now=now)
    if (planning | {"active"}) & set(new):
        _untouched(cadence, now=now).delete()
        if cadence.active:
            _cadence_fill(cadence, now=now)
    _record(
        account_id=cadence.account_id,
        action="cadence_updated",
        kind="cadence",
        item=cadence,
        old=old,
        new=new,
        actor=actor,
    )
    return cadence


def _untouched(cadence: Cadence, *, now: datetime) -> Any:
    """Future check-ins nobody acted on yet: still at their rule's time and not yet announced to the advisor."""
    return CheckIn.objects.filter(
        cadence=cadence,
        state=CheckInState.SCHEDULED,
        scheduled_at__gt=now,
        reminded_at__isnull=True,
        occurs_at=F("scheduled_at"),
    )


@transaction.atomic
def cadence_end(*, cadence: Cadence, actor: Actor, reason: str) -> Cadence:
    """Stop a cadence (the API's DELETE): its future check-ins are cancelled; what was held stays on record."""
    cadence = Cadence.objects.select_for_update().select_related("account").get(pk=cadence.pk)
    require_account_manager(actor, cadence.account)
    reason = _reason(reason)
    now = timezone.now()
    if cadence.active:
        cadence.active = False
        _bump(cadence, ["active"], now=now)
    cancelled = CheckIn.objects.filter(cadence=cadence, state=CheckInState.SCHEDULED, scheduled_at__gt=now).update(
        state=CheckInState.CANCELLED, cancelled_reason=reason, updated_at=now
    )
    _record(
        account_id=cadence.account_id,
        action="cadence_ended",
        kind="cadence",
        item=cadence,
        old={"active": True},
        new={"active": False, "cancelled_check_ins": cancelled},
        reason=reason,
        actor=actor,
    )
    return cadence


# --- the periodic job ----------------------------------------------------------------------------


def _horizon() -> timedelta:
    return timedelta(days=settings.CAREFRONT_CHECKIN_HORIZON_DAYS)


def _cadence_fill(cadence: Cadence, *, now: datetime) -> int:
    """Create the cadence's check-ins due within the horizon, and always the next one (a quarterly review is known
    a quarter ahead). Idempotent: an occurrence already created is skipped by the unique constraint."""
    recurrence = Recurrence(
        rule=cadence.rule,
        starts_on=cadence.starts_on,
        time_of_day=cadence.time_of_day,
        time_zone=cadence.account.time_zone,
    )
    until = now + _horizon()
    wanted: list[datetime] = []
    for moment in recurrence.occurrences(after=now):
        if wanted and moment > until:
            break
        wanted.append(moment)
    rows = [
        CheckIn(
            cadence=cadence,
            account_id=cadence.account_id,
            owner_id=cadence.owner_id,
            occurs_at=moment,
            scheduled_at=moment,
            duration_minutes=cadence.duration_minutes,
            created_at=now,
            updated_at=now,
        )
        for moment in wanted
    ]
    existing = set(CheckIn.objects.filter(cadence=cadence, occurs_at__in=wanted).values_list("occurs_at", flat=True))
    fresh = [row for row in rows if row.occurs_at not in existing]
    CheckIn.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh)


def _reminder_lead() -> timedelta:
    return timedelta(hours=settings.CAREFRONT_CHECKIN_REMINDER_HOURS)


def _grace() -> timedelta:
    return timedelta(hours=settings.CAREFRONT_CHECKIN_GRACE_HOURS)


@dataclass(frozen=True)
class CheckInRun:
    """What one run of the check-in job did."""

    created: int
    reminded: int
    missed: int


def checkins_run(*, now: datetime | None = None) -> CheckInRun:
    """The periodic job: create check-ins ahead of time, remind each advisor once per check-in, mark missed ones.
    Run twice, it does everything once."""
    moment = now or timezone.now()
    return CheckInRun(
        created=checkins_create(now=moment),
        reminded=checkins_remind(now=moment),
        missed=checkins_mark_missed(now=moment),
    )


def checkins_create(*, now: datetime | None = None) -> int:
    moment = now or timezone.now()
    created = 0
    cadences = Cadence.objects.filter(active=True).select_related("account").order_by("id")
    for cadence in cadences.iterator(chunk_size=200):
        with transaction.atomic():
            created += _cadence_fill(cadence, now=moment)
    return created


def checkins_remind(*, now: datetime | None = None) -> int:
    """Tell each advisor of their check-ins starting within CAREFRONT_CHECKIN_REMINDER_HOURS, once each: marked
    reminded under the row's lock, in the transaction that queues the notification."""
    moment = now or timezone.now()
    due = {"state": CheckInState.SCHEDULED, "reminded_at__isnull": True, "scheduled_at__gt": moment}
    soon = {"scheduled_at__lte": moment + _reminder_lead()}
    ids = list(CheckIn.objects.filter(**due, **soon).order_by("id").values_list("pk", flat=True))
    reminded = 0
    for check_in_id in ids:
        with transaction.atomic():
            locked = CheckIn.objects.select_for_update(of=("self",)).filter(pk=check_in_id, **due, **soon)
            check_in = locked.select_related("account", "cadence").first()
            if check_in is None:
                continue
            check_in.reminded_at = moment
            check_in.save(update_fields=["reminded_at"])
            account, name, when = check_in.account.name, check_in.cadence.name, check_in.scheduled_at
            owner_id = check_in.owner_id

            def text(account: str = account, name: str = name, when: datetime = when, owner_id: int = owner_id) -> str:
                zone = zone_of(_staff_zone(owner_id))
                return _("{name} with {account} at {when}.").format(
                    name=name, account=account, when=when.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
                )

            notify_on_commit(recipient_id=owner_id, verb="check_in_soon", text=text, ticket_id=None)
            reminded += 1
    return reminded


def _staff_zone(user_id: int) -> str:
    from carefront.core.models import StaffProfile

    zone = StaffProfile.objects.filter(user_id=user_id).values_list("time_zone", flat=True).first()
    return zone or "UTC"


def checkins_mark_missed(*, now: datetime | None = None) -> int:
    """Check-ins not logged as held by their end plus CAREFRONT_CHECKIN_GRACE_HOURS become missed (audited)."""
    moment = now or timezone.now()
    candidates = CheckIn.objects.filter(state=CheckInState.SCHEDULED, scheduled_at__lt=moment - _grace())
    marked = 0
    for check_in_id in list(candidates.order_by("id").values_list("pk", flat=True)):
        with transaction.atomic():
            check_in = CheckIn.objects.select_for_update().filter(pk=check_in_id).first()
            if check_in is None or check_in.state != CheckInState.SCHEDULED:
                continue
            if check_in.scheduled_at + timedelta(minutes=check_in.duration_minutes) + _grace() >= moment:
                continue
            check_in.state = CheckInState.MISSED
            _bump(check_in, ["state"], now=moment)
            _record(
                account_id=check_in.account_id,
                action="check_in_missed",
                kind="check_in",
                item=check_in,
                old={"state": CheckInState.SCHEDULED},
                new={"state": CheckInState.MISSED, "scheduled_at": _when(check_in.scheduled_at)},
                actor=None,
            )
            marked += 1
    return marked


# --- one check-in --------------------------------------------------------------------------------


def _check_in_lock(check_in: CheckIn) -> CheckIn:
    return (
        CheckIn.objects.select_for_update(of=("self",))
        .select_related("account", "cadence", "owner")
        .get(pk=check_in.pk)
    )


def _check_in_state(check_in: CheckIn, *allowed: str) -> None:
    if check_in.state not in allowed:
        raise ApplicationError(
            _("This check-in is {state}.").format(state=check_in.get_state_display()), field="state", status=409
        )


@transaction.atomic
def check_in_reschedule(
    *,
    check_in: CheckIn,
    actor: Actor,
    scheduled_at: Any,
    reason: str,
    earlier: bool = False,
    version: int | None = None,
) -> CheckIn:
    """Move a scheduled (or missed) check-in to a new time in the future, inside the advisor's working hours.
    Moving it earlier than it was is refused unless `earlier` says so: a date never moves back by accident."""
    check_in = _check_in_lock(check_in)
    require_account_manager(actor, check_in.account)
    version_check(check_in, version)
    _check_in_state(check_in, CheckInState.SCHEDULED, CheckInState.MISSED)
    reason = _reason(reason)
    now = timezone.now()
    moment = clean_datetime(scheduled_at, field="scheduled_at")
    if moment <= now:
        raise ApplicationError(_("Choose a date and time in the future."), field="scheduled_at")
    if moment < check_in.scheduled_at and not earlier:
        raise ApplicationError(
            _("This moves the check-in earlier than planned; confirm that this is what you want."),
            field="scheduled_at",
        )
    hours = working_hours(user=check_in.owner)
    if not hours.holds(moment, timedelta(minutes=check_in.duration_minutes)):
        raise ApplicationError(
            _("This time falls outside the advisor's working hours ({starts}–{ends}, {zone}).").format(
                starts=hours.starts.strftime("%H:%M"), ends=hours.ends.strftime("%H:%M"), zone=hours.time_zone
            ),
            field="scheduled_at",
        )
    old = {"scheduled_at": _when(check_in.scheduled_at), "state": check_in.state}
    check_in.scheduled_at, check_in.state, check_in.reminded_at = moment, CheckInState.SCHEDULED, None
    _bump(check_in, ["scheduled_at", "state", "reminded_at"], now=now)
    _record(
        account_id=check_in.account_id,
        action="check_in_rescheduled",
        kind="check_in",
        item=check_in,
        old=old,
        new={"scheduled_at": _when(moment), "state": check_in.state},
        reason=reason,
        actor=actor,
    )
    return check_in


@transaction.atomic
def check_in_cancel(*, check_in: CheckIn, actor: Actor, reason: str) -> CheckIn:
    """Call off one check-in (the client is on holiday); the cadence goes on."""
    check_in = _check_in_lock(check_in)
    require_account_manager(actor, check_in.account)
    _check_in_state(check_in, CheckInState.SCHEDULED, CheckInState.MISSED)
    reason = _reason(reason)
    old_state = check_in.state
    check_in.state, check_in.cancelled_reason = CheckInState.CANCELLED, reason
    _bump(check_in, ["state", "cancelled_reason"], now=timezone.now())
    _record(
        account_id=check_in.account_id,
        action="check_in_cancelled",
        kind="check_in",
        item=check_in,
        old={"state": old_state},
        new={"state": check_in.state},
        reason=reason,
        actor=actor,
    )
    return check_in


@dataclass(frozen=True)
class Held:
    """What happened in an interaction: who was there, what was said and decided, what comes next."""

    kind: str
    occurred_at: Any
    notes: str = ""
    outcomes: str = ""
    next_steps: tuple[str, ...] = ()
    contacts: tuple[Contact, ...] = ()
    staff: tuple[Any, ...] = ()


@transaction.atomic
def check_in_hold(*, check_in: CheckIn, actor: Actor, held: Held) -> Interaction:
    """Log a check-in as held (also after it was marked missed): it becomes an interaction of the account."""
    check_in = _check_in_lock(check_in)
    require_account_manager(actor, check_in.account)
    _check_in_state(check_in, CheckInState.SCHEDULED, CheckInState.MISSED)
    interaction = _interaction_save(account=check_in.account, actor=actor, held=held, check_in=check_in)
    old_state = check_in.state
    check_in.state = CheckInState.HELD
    _bump(check_in, ["state"], now=timezone.now())
    _record(
        account_id=check_in.account_id,
        action="check_in_held",
        kind="check_in",
        item=check_in,
        old={"state": old_state},
        new={"state": check_in.state, "interaction": interaction.pk},
        actor=actor,
    )
    from carefront.relationships.services_followups import CHECK_IN_HELD, followups_after_commit

    followups_after_commit(event=CHECK_IN_HELD, object_id=interaction.pk)
    return interaction


@transaction.atomic
def interaction_create(*, actor: Actor, account: Account, held: Held) -> Interaction:
    """Log something that happened with an account without a check-in (a call, an email, a chance meeting)."""
    require_account_manager(actor, account)
    interaction = _interaction_save(account=account, actor=actor, held=held, check_in=None)
    _record(
        account_id=account.pk,
        action="interaction_logged",
        kind="interaction",
        item=interaction,
        new={"kind": interaction.kind, "occurred_at": _when(interaction.occurred_at)},
        actor=actor,
    )
    return interaction


def _interaction_save(*, account: Account, actor: Actor, held: Held, check_in: CheckIn | None) -> Interaction:
    occurred = clean_datetime(held.occurred_at, field="occurred_at")
    if occurred > timezone.now() + timedelta(minutes=5):
        raise ApplicationError(_("An interaction is logged once it happened."), field="occurred_at")
    steps = [clean_text(step, field="next_steps", max_length=MAX_TITLE) for step in held.next_steps]
    steps = [step for step in steps if step]
    if len(steps) > MAX_NEXT_STEPS:
        raise ApplicationError(_("At most {count} next steps.").format(count=MAX_NEXT_STEPS), field="next_steps")
    if any(contact.account_id != account.pk for contact in held.contacts):
        raise ApplicationError(_("The contact belongs to another account."), field="contacts")
    for member in held.staff:
        _owner_clean(member, field="staff")
    interaction = Interaction.objects.create(
        account=account,
        kind=clean_choice(held.kind, choices=InteractionKind.values, field="kind"),
        occurred_at=occurred,
        author_id=_user_id(actor),
        check_in=check_in,
        notes=clean_text(held.notes, field="notes", max_length=MAX_TEXT),
        outcomes=clean_text(held.outcomes, field="outcomes", max_length=MAX_TEXT),
    )
    interaction.contacts.set(held.contacts)
    interaction.staff.set(held.staff)
    NextStep.objects.bulk_create([NextStep(interaction=interaction, text=step) for step in steps])
    return interaction


@transaction.atomic
def next_step_commit(*, next_step: NextStep, actor: Actor, owner: Any = None, due_at: Any = None) -> Commitment:
    """Make a next step a commitment in one click: its text, the advisor (or `owner`), due in NEXT_STEP_DUE_DAYS
    days unless a date is given, linked to the check-in it came from. A step is committed once."""
    step = NextStep.objects.select_for_update(of=("self",)).select_related("interaction__account").get(pk=next_step.pk)
    account = step.interaction.account
    require_account_manager(actor, account)
    if step.commitment_id is not None:
        raise ApplicationError(_("This next step is a commitment already."), field="next_step", status=409)
    commitment = commitment_create(
        actor=actor,
        account=account,
        title=step.text,
        owner=owner if owner is not None else (account.owner or actor),
        due_at=due_at if due_at is not None else timezone.now() + timedelta(days=NEXT_STEP_DUE_DAYS),
        check_in=step.interaction.check_in,
    )
    step.commitment = commitment
    step.save(update_fields=["commitment"])
    return commitment
