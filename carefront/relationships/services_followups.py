"""Follow-ups: rules that write to a contact after an event, the follow-ups they schedule and send, and the
contacts who want no outreach email.

- The desk (a ticket solved), the accounts (an order recorded) and the check-ins (one held) call
  `followups_after_commit` inside their transaction; after the commit a job (`followups_schedule`) creates one
  follow-up per matching active rule and contact. The row is unique per rule, contact and event key, so running
  the hook or the job again schedules nothing twice.
- A periodic job (`followups_send_due`) takes the due rows a set at a time and sends each in its own transaction
  (`followup_send`): skipped with the reason when the rule was deactivated, the contact opted out, has no working
  address or heard from us within the quiet period; otherwise written from the rule's template in the contact's
  language (else the workspace's) and queued through the email channel. A client hears from their advisor, a
  customer from the team; replies come back to a mailbox and thread into a ticket (the solved ticket itself, or a
  new one quoting the follow-up).
- The opt-out is general ("no outreach email"): surveys are to honour the same row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from carefront.accounts.models import Account, Contact, Order, ServiceModel
from carefront.core.access import require_manager
from carefront.core.exceptions import ApplicationError
from carefront.core.selectors import supported_language
from carefront.core.services import Actor, Change, events_record
from carefront.core.validation import clean_choice, clean_text, version_check
from carefront.desk.models import Status, Ticket
from carefront.mail import selectors as mail_selectors
from carefront.mail.services import outreach_email_queue
from carefront.relationships.disclosure import TemplateTextError, template_text_clean, template_text_render
from carefront.relationships.models import (
    FollowUp,
    FollowUpAudience,
    FollowUpEvent,
    FollowUpRule,
    FollowUpState,
    Interaction,
    InteractionKind,
    OptOutSource,
    OutreachOptOut,
    OutreachSettings,
    SkipReason,
)
from carefront.relationships.selectors_followups import outreach_settings
from carefront.relationships.selectors_profile import profile_as_text
from carefront.relationships.services import _record

MAX_NAME = 200
MAX_SUBJECT = 300
MAX_BODY = 10_000
MAX_DELAY_MINUTES = 60 * 24 * 365
MAX_QUIET_DAYS = 365
SEND_BATCH = 200
UNSUBSCRIBE_SALT = "carefront.relationships.unsubscribe"
UNSUBSCRIBE_MAX_AGE = timedelta(days=365)

# The events the other apps report, and the rules each one may match.
TICKET_SOLVED = "ticket_solved"
ORDER_CREATED = "order_created"
CHECK_IN_HELD = "check_in_held"
HOOK_EVENTS = (TICKET_SOLVED, ORDER_CREATED, CHECK_IN_HELD)
RULE_EVENTS = {
    TICKET_SOLVED: [FollowUpEvent.TICKET_SOLVED],
    ORDER_CREATED: [FollowUpEvent.FIRST_ORDER, FollowUpEvent.NTH_ORDER],
    CHECK_IN_HELD: [FollowUpEvent.CHECK_IN_HELD],
}

# The placeholders a follow-up template may use: plain strings, empty when the event has none.
TEMPLATE_VARIABLES = (
    "contact_name",
    "account_name",
    "sender_name",
    "advisor_name",
    "team_name",
    "ticket_subject",
    "ticket_number",
    "order_number",
    "order_amount",
    "check_in_summary",
    "next_steps",
    "last_interaction_date",
    "last_interaction_kind",
    "last_interaction_summary",
    "goals",
    "preferences",
)


def null_refused() -> str:
    return _("This field cannot be null.")


def default_language() -> str:
    return supported_language(settings.LANGUAGE_CODE) or "en"


# --- rules ---------------------------------------------------------------------------------------------------


def _templates_clean(value: Any) -> dict[str, dict[str, str]]:
    """{language: {"subject", "body"}}: the workspace's language required, every text a safe template."""
    if not isinstance(value, dict):
        raise ApplicationError(_("Give the templates as {language: {subject, body}}."), field="templates")
    cleaned: dict[str, dict[str, str]] = {}
    for code, template in value.items():
        language = supported_language(code) if isinstance(code, str) else None
        if language is None or language != code:
            raise ApplicationError(
                _("“{language}” is not a language Carefront speaks.").format(language=str(code)[:20]),
                field="templates",
            )
        if not isinstance(template, dict) or set(template) - {"subject", "body"}:
            raise ApplicationError(_("Each template has a subject and a body."), field=f"templates.{code}")
        subject = clean_text(template.get("subject"), field=f"templates.{code}.subject", max_length=MAX_SUBJECT)
        body = clean_text(template.get("body"), field=f"templates.{code}.body", max_length=MAX_BODY)
        if not subject.strip() and not body.strip():
            continue  # an empty translation: that language falls back to the default
        if not subject.strip() or not body.strip():
            raise ApplicationError(
                _("The {language} template needs both a subject and a body.").format(language=code),
                field=f"templates.{code}",
            )
        for part, text in (("subject", subject), ("body", body)):
            try:
                template_text_clean(text)
            except TemplateTextError as error:
                raise ApplicationError(str(error), field=f"templates.{code}.{part}") from error
        cleaned[code] = {"subject": " ".join(subject.split()), "body": body}
    if default_language() not in cleaned:
        raise ApplicationError(
            _("Write the template in the workspace's language ({language}) at least.").format(
                language=default_language()
            ),
            field=f"templates.{default_language()}",
        )
    return cleaned


def _rule_values(values: dict[str, Any], *, event: str) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for field, value in values.items():
        if field == "name":
            cleaned[field] = clean_text(value, field="name", max_length=MAX_NAME, required=True)
        elif field == "delay_minutes":
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_DELAY_MINUTES:
                raise ApplicationError(
                    _("The delay is a whole number of minutes from 0 to {most}.").format(most=MAX_DELAY_MINUTES),
                    field="delay_minutes",
                )
            cleaned[field] = value
        elif field == "audience":
            cleaned[field] = clean_choice(value, choices=FollowUpAudience.values, field="audience")
        elif field == "is_active":
            if not isinstance(value, bool):
                raise ApplicationError(_("Use true or false."), field="is_active")
            cleaned[field] = value
        elif field == "templates":
            cleaned[field] = _templates_clean(value)
        elif field != "order_count":
            raise ApplicationError(_("Unknown field."), field=field)
    if "order_count" in values or "event" in values:
        count = values.get("order_count")
        if event == FollowUpEvent.NTH_ORDER:
            if not isinstance(count, int) or isinstance(count, bool) or not 2 <= count <= 10_000:
                raise ApplicationError(
                    _("Say which order: a number from 2 (the first order has a rule of its own)."),
                    field="order_count",
                )
        elif count is not None:
            raise ApplicationError(_("Only an “Nth order” rule counts orders."), field="order_count")
        cleaned["order_count"] = count
    return cleaned


@transaction.atomic
def followup_rule_create(
    *,
    actor: Actor,
    name: str,
    event: str,
    templates: dict[str, Any],
    delay_minutes: int = 0,
    audience: str = FollowUpAudience.BOTH,
    order_count: int | None = None,
    is_active: bool = True,
) -> FollowUpRule:
    """A rule (managers; `actor=None`: the system, e.g. the demo)."""
    if actor is not None:
        require_manager(actor)
    event = clean_choice(event, choices=FollowUpEvent.values, field="event")
    values = _rule_values(
        {
            "name": name,
            "templates": templates,
            "delay_minutes": delay_minutes,
            "audience": audience,
            "order_count": order_count,
            "is_active": is_active,
        },
        event=event,
    )
    now = timezone.now()
    rule = FollowUpRule.objects.create(
        event=event, created_by_id=getattr(actor, "pk", None), created_at=now, updated_at=now, **values
    )
    events_record(
        subject_kind="follow_up_rule",
        subject_id=rule.pk,
        action="created",
        changes=[Change("name", None, rule.name)],
        actor=actor,
    )
    return rule


@transaction.atomic
def followup_rule_update(
    *, rule: FollowUpRule, actor: Actor, version: int | None = None, **changes: Any
) -> FollowUpRule:
    """Change a rule (managers); `is_active=False` deactivates it: what it scheduled is skipped, not sent."""
    require_manager(actor)
    rule = FollowUpRule.objects.select_for_update().get(pk=rule.pk)
    version_check(rule, version)
    event = rule.event
    if "event" in changes:
        event = clean_choice(changes.pop("event"), choices=FollowUpEvent.values, field="event")
        if event != FollowUpEvent.NTH_ORDER and "order_count" not in changes:
            changes["order_count"] = None
        changes["event"] = event
    cleaned = _rule_values({key: value for key, value in changes.items() if key != "event"}, event=event)
    if "event" in changes:
        cleaned["event"] = event
    recorded = []
    for field, value in cleaned.items():
        old = getattr(rule, field)
        if old != value:
            recorded.append(
                Change(field, None if field == "templates" else old, None if field == "templates" else value)
            )
            setattr(rule, field, value)
    if not recorded:
        return rule
    rule.version += 1
    rule.updated_at = timezone.now()
    rule.save(update_fields=[change.field for change in recorded] + ["version", "updated_at"])
    events_record(subject_kind="follow_up_rule", subject_id=rule.pk, action="updated", changes=recorded, actor=actor)
    return rule


# --- writing one ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    """A follow-up as the contact reads it, and who it comes from."""

    language: str
    subject: str
    body: str
    sender_name: str
    mailbox: Any


def rule_template(rule: FollowUpRule, language: str) -> tuple[str, dict[str, str]]:
    """The template in this language, else the workspace's, else any the rule has."""
    templates = rule.templates or {}
    for code in (language, default_language()):
        if code in templates:
            return code, templates[code]
    if not templates:
        raise ApplicationError(_("This rule has no template."), field="templates")
    code = sorted(templates)[0]
    return code, templates[code]


def _advisor_of(account: Account) -> Any:
    """A client's advisor, when they can still write (an active account owner)."""
    owner = account.owner
    if account.service_model == ServiceModel.CLIENT and owner is not None and owner.is_active:
        return owner
    return None


def _person(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _sender(account: Account, ticket: Ticket | None) -> tuple[Any, str]:
    """The mailbox a follow-up goes from (replies come back to it) and the name it is signed with: a client's
    advisor by name, at the mailbox of the ticket, else of the advisor's team; a customer's the team (the
    mailbox's own name)."""
    advisor = _advisor_of(account)
    mailbox = mail_selectors.mailbox_for_ticket(ticket) if ticket is not None else None
    if mailbox is None:
        profile = getattr(advisor, "staff_profile", None) if advisor is not None else None
        team_ids = list(profile.teams.values_list("pk", flat=True)) if profile is not None else []
        mailbox = mail_selectors.mailbox_for_outreach(team_ids=team_ids)
    return mailbox, _person(advisor)


def _when(value: datetime | None, zone: str) -> str:
    if value is None:
        return ""
    return formats.date_format(timezone.localtime(value, timezone=_zone(zone)), "DATE_FORMAT")


def _zone(name: str) -> Any:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _summary(interaction: Interaction) -> str:
    text = interaction.outcomes or interaction.notes
    return " ".join(text.split())[:300]


def followup_context(
    *,
    account: Account,
    contact: Contact,
    sender_name: str,
    team_name: str,
    ticket: Ticket | None = None,
    order: Order | None = None,
    interaction: Interaction | None = None,
) -> dict[str, str]:
    """The plain strings a follow-up template sees (call inside the contact's language), the client profile's open
    goals and preferences among them (`goals`, `preferences`)."""
    zone = contact.time_zone or account.time_zone
    last = interaction or (
        Interaction.objects.filter(account=account)
        .order_by("-occurred_at", "-id")
        .only("kind", "occurred_at", "notes", "outcomes")
        .first()
    )
    steps = list(interaction.next_steps.order_by("id").values_list("text", flat=True)) if interaction else []
    return {
        "contact_name": contact.name,
        "account_name": account.name,
        "sender_name": sender_name or team_name,
        "advisor_name": _person(_advisor_of(account)),
        "team_name": team_name,
        "ticket_subject": ticket.subject if ticket is not None else "",
        "ticket_number": str(ticket.number) if ticket is not None else "",
        "order_number": order.external_id if order is not None else "",
        "order_amount": f"{formats.number_format(order.amount, 2)} {order.currency}" if order is not None else "",
        "check_in_summary": _summary(interaction) if interaction is not None else "",
        "next_steps": "\n".join(f"- {step}" for step in steps),
        "last_interaction_date": _when(last.occurred_at, zone) if last is not None else "",
        "last_interaction_kind": str(InteractionKind(last.kind).label) if last is not None else "",
        "last_interaction_summary": _summary(last) if last is not None else "",
        # The client's open goals and preferences, from its profile, as text.
        **profile_as_text(account_id=account.pk),
    }


def followup_write(
    *,
    rule: FollowUpRule,
    account: Account,
    contact: Contact,
    ticket: Ticket | None = None,
    order: Order | None = None,
    interaction: Interaction | None = None,
) -> Written:
    """A rule's template rendered for one contact, in their language (else the workspace's)."""
    wanted = supported_language(contact.language) or default_language()
    language, template = rule_template(rule, wanted)
    mailbox, sender_name = _sender(account, ticket)
    team_name = (mailbox.name if mailbox is not None else "") or (
        mailbox.team.name if mailbox is not None and mailbox.team is not None else ""
    )
    with translation.override(language):
        values = followup_context(
            account=account,
            contact=contact,
            sender_name=sender_name,
            team_name=team_name,
            ticket=ticket,
            order=order,
            interaction=interaction,
        )
        subject = " ".join(template_text_render(template["subject"], values).split())[:MAX_SUBJECT]
        body = template_text_render(template["body"], values)
    return Written(language=language, subject=subject, body=body, sender_name=sender_name, mailbox=mailbox)


def followup_preview(*, rule: FollowUpRule, contact: Contact, actor: Actor) -> Written:
    """What the rule would send this contact now, for the rule's editor: the account's latest ticket, order or
    interaction stands in for the event."""
    require_manager(actor)
    account = contact.account
    ticket = order = interaction = None
    if rule.event == FollowUpEvent.TICKET_SOLVED:
        ticket = Ticket.objects.filter(account=account).order_by("-id").first()
    elif rule.event in {FollowUpEvent.FIRST_ORDER, FollowUpEvent.NTH_ORDER}:
        order = Order.objects.filter(account=account).order_by("-placed_at", "-id").first()
    else:
        interaction = Interaction.objects.filter(account=account).order_by("-occurred_at", "-id").first()
    try:
        return followup_write(
            rule=rule, account=account, contact=contact, ticket=ticket, order=order, interaction=interaction
        )
    except TemplateTextError as error:
        raise ApplicationError(str(error), field="templates") from error


# --- scheduling ----------------------------------------------------------------------------------------------


def followups_after_commit(*, event: str, object_id: int) -> None:
    """Called by a service inside its transaction: schedule this event's follow-ups by a job after the commit
    (nothing if it rolls back)."""
    if event not in HOOK_EVENTS:
        raise ValueError(event)
    if not FollowUpRule.objects.filter(event__in=RULE_EVENTS[event], is_active=True).exists():
        return  # no rule listens: no job (an import of many orders queues nothing)

    def later() -> None:
        from carefront.relationships.tasks import schedule_followups

        schedule_followups(event=event, object_id=object_id)

    transaction.on_commit(later)


@dataclass(frozen=True)
class _Event:
    key: str
    at: datetime
    account: Account
    contacts: list[Contact]
    rules: list[FollowUpRule]
    ticket: Ticket | None = None
    order: Order | None = None
    interaction: Interaction | None = None


def _audience_filter(account: Account) -> Q:
    mine = FollowUpAudience.CLIENTS if account.service_model == ServiceModel.CLIENT else FollowUpAudience.CUSTOMERS
    return Q(audience__in=[mine, FollowUpAudience.BOTH])


def _account_contact(account: Account) -> list[Contact]:
    """Who hears about an account-wide event: its first contact with an address (else its first contact)."""
    contacts = Contact.objects.filter(account=account).order_by("id")
    first = contacts.exclude(email="").first() or contacts.first()
    return [first] if first is not None else []


def _event_read(event: str, object_id: int) -> _Event | None:
    rules = FollowUpRule.objects.filter(is_active=True)
    if event == TICKET_SOLVED:
        ticket = (
            Ticket.objects.select_related("account", "requester")
            .filter(pk=object_id, status=Status.SOLVED, solved_at__isnull=False)
            .first()
        )
        if ticket is None or ticket.solved_at is None:
            return None  # reopened meanwhile: nothing to ask about
        matching = rules.filter(_audience_filter(ticket.account), event=FollowUpEvent.TICKET_SOLVED)
        return _Event(
            key=f"ticket:{ticket.pk}:solved:{int(ticket.solved_at.timestamp())}",
            at=ticket.solved_at,
            account=ticket.account,
            contacts=[ticket.requester],
            rules=list(matching),
            ticket=ticket,
        )
    if event == ORDER_CREATED:
        order = Order.objects.select_related("account").filter(pk=object_id).first()
        if order is None:
            return None
        position = Order.objects.filter(
            Q(placed_at__lt=order.placed_at) | Q(placed_at=order.placed_at, pk__lte=order.pk), account=order.account
        ).count()
        which = Q(event=FollowUpEvent.FIRST_ORDER) if position == 1 else Q(event=FollowUpEvent.NTH_ORDER)
        matching = rules.filter(_audience_filter(order.account), which).filter(
            Q(order_count=None) | Q(order_count=position)
        )
        return _Event(
            key=f"order:{order.pk}",
            at=order.created_at,
            account=order.account,
            contacts=_account_contact(order.account),
            rules=list(matching),
            order=order,
        )
    interaction = Interaction.objects.select_related("account").filter(pk=object_id, check_in__isnull=False).first()
    if interaction is None:
        return None
    matching = rules.filter(_audience_filter(interaction.account), event=FollowUpEvent.CHECK_IN_HELD)
    present = list(interaction.contacts.order_by("id"))
    return _Event(
        key=f"check_in:{interaction.check_in_id}",
        at=interaction.created_at,
        account=interaction.account,
        contacts=present or _account_contact(interaction.account),
        rules=list(matching),
        interaction=interaction,
    )


def followups_schedule(*, event: str, object_id: int) -> int:
    """Schedule the follow-ups of one event (the hook's job): one per matching active rule and contact, due the
    rule's delay after the event. Run again, it schedules nothing more. Returns how many it added."""
    if event not in HOOK_EVENTS:
        raise ApplicationError(_("Unknown event."), field="event")
    found = _event_read(event, object_id)
    if found is None or not found.rules or not found.contacts:
        return 0
    now = timezone.now()
    rows = [
        FollowUp(
            rule=rule,
            account=found.account,
            contact=contact,
            event_key=found.key,
            ticket=found.ticket,
            order=found.order,
            interaction=found.interaction,
            scheduled_at=found.at + timedelta(minutes=rule.delay_minutes),
            created_at=now,
        )
        for rule in found.rules
        for contact in found.contacts
    ]
    before = FollowUp.objects.filter(event_key=found.key).count()
    # The unique (rule, contact, event) makes a second run (or a second hook) a no-op, also when both race.
    FollowUp.objects.bulk_create(rows, ignore_conflicts=True)
    return FollowUp.objects.filter(event_key=found.key).count() - before


# --- sending -------------------------------------------------------------------------------------------------


def followups_due_ids(*, now: datetime | None = None, limit: int = SEND_BATCH) -> list[int]:
    """The follow-ups due now, oldest first (followup_due_idx answers it)."""
    now = now or timezone.now()
    due = FollowUp.objects.filter(state=FollowUpState.SCHEDULED, scheduled_at__lte=now)
    return list(due.order_by("scheduled_at", "id").values_list("pk", flat=True)[:limit])


def followups_send_due(*, now: datetime | None = None, limit: int = SEND_BATCH) -> int:
    """The periodic job: send (or skip) what is due, each in its own transaction. Safe to run twice at once: a
    row is handled by whichever run locks it first. Returns how many it handled."""
    handled = 0
    for followup_id in followups_due_ids(now=now, limit=limit):
        if followup_send(followup_id=followup_id, now=now) is not None:
            handled += 1
    return handled


def _quiet_since(now: datetime) -> datetime:
    return now - timedelta(days=outreach_settings().quiet_days)


def _skip_reason(followup: FollowUp, now: datetime) -> str:
    contact = followup.contact
    if not followup.rule.is_active:
        return SkipReason.RULE_INACTIVE
    if OutreachOptOut.objects.filter(contact=contact).exists():
        return SkipReason.OPTED_OUT
    if not contact.email or contact.email_failing_since is not None:
        return SkipReason.NO_EMAIL
    recent = FollowUp.objects.filter(contact=contact, state=FollowUpState.SENT, sent_at__gt=_quiet_since(now)).exclude(
        pk=followup.pk
    )
    if recent.exists():
        return SkipReason.QUIET_PERIOD
    return ""


@transaction.atomic
def followup_send(*, followup_id: int, now: datetime | None = None) -> FollowUp | None:
    """Send one due follow-up, or skip it with the reason; None when it is not due or another run has it."""
    now = now or timezone.now()
    rows = FollowUp.objects.select_related(
        "rule", "account", "account__owner", "contact", "ticket", "order", "interaction"
    )
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True, of=("self",))
    followup = rows.filter(pk=followup_id, state=FollowUpState.SCHEDULED, scheduled_at__lte=now).first()
    if followup is None:
        return None
    changes: dict[str, Any] = {}
    reason = _skip_reason(followup, now)
    if reason:
        changes = {"state": FollowUpState.SKIPPED, "skip_reason": reason}
    else:
        try:
            written = followup_write(
                rule=followup.rule,
                account=followup.account,
                contact=followup.contact,
                ticket=followup.ticket,
                order=followup.order,
                interaction=followup.interaction,
            )
        except (TemplateTextError, ApplicationError) as error:
            changes = {"state": FollowUpState.FAILED, "error": str(error)[:2000]}
        else:
            outbound = outreach_email_queue(
                to=followup.contact,
                subject=written.subject,
                body=written.body,
                mailbox=written.mailbox,
                sender_name=written.sender_name,
                ticket=followup.ticket,
                unsubscribe_url=unsubscribe_url(followup.contact),
            )
            changes = {
                "state": FollowUpState.SENT,
                "outbound": outbound,
                "sent_at": now,
                "language": written.language,
            }
    # A conditional write: on a database without row locks (SQLite), a run that finds the row handled by another
    # one rolls back, the email it queued with it.
    if not FollowUp.objects.filter(pk=followup.pk, state=FollowUpState.SCHEDULED).update(**changes):
        transaction.set_rollback(True)
        return None
    for field, value in changes.items():
        setattr(followup, field, value)
    if followup.state == FollowUpState.SENT:
        _record(
            account_id=followup.account_id,
            action="follow_up_sent",
            kind="follow_up",
            item=followup.rule,
            new={"contact": followup.contact.name, "event": followup.event_key},
            actor=None,
        )
    return followup


# --- opting out ----------------------------------------------------------------------------------------------


def unsubscribe_token(contact: Contact) -> str:
    return signing.TimestampSigner(salt=UNSUBSCRIBE_SALT).sign(str(contact.pk))


def unsubscribe_url(contact: Contact) -> str:
    return settings.BASE_URL + reverse("web:relationships-unsubscribe", args=[unsubscribe_token(contact)])


def unsubscribe_contact(*, token: str) -> Contact:
    """The contact a link was made for; a link altered or older than a year is refused with a message."""
    try:
        value = signing.TimestampSigner(salt=UNSUBSCRIBE_SALT).unsign(token, max_age=UNSUBSCRIBE_MAX_AGE)
    except signing.SignatureExpired as error:
        raise ApplicationError(
            _("This link has expired. Reply to any of our emails and we will stop writing."), field="token", status=410
        ) from error
    except signing.BadSignature as error:
        raise ApplicationError(
            _("This link is not valid: it may have been cut short or changed. Copy the whole link from the email."),
            field="token",
            status=400,
        ) from error
    contact = Contact.objects.filter(pk=int(value)).select_related("account").first()
    if contact is None:
        raise ApplicationError(_("This link is not valid any more."), field="token", status=404)
    return contact


@transaction.atomic
def contact_outreach_opt_out(*, contact: Contact, actor: Actor, source: str = OptOutSource.STAFF) -> OutreachOptOut:
    """The contact gets no more outreach email (follow-ups, surveys); by staff, or by the contact's own link
    (`actor=None`)."""
    clean_choice(source, choices=OptOutSource.values, field="source")
    if source == OptOutSource.STAFF:
        from carefront.relationships.access import require_account_manager

        require_account_manager(actor, contact.account)
    row, created = OutreachOptOut.objects.get_or_create(
        contact=contact, defaults={"source": source, "created_by_id": getattr(actor, "pk", None)}
    )
    if created:
        events_record(
            subject_kind="account",
            subject_id=contact.account_id,
            action="outreach_opted_out",
            changes=[Change("contact", None, {"id": contact.pk, "name": contact.name, "source": source})],
            actor=actor,
        )
    return row


@transaction.atomic
def contact_outreach_opt_in(*, contact: Contact, actor: Actor) -> None:
    """Staff lift a contact's opt-out (the contact asked to hear from us again)."""
    from carefront.relationships.access import require_account_manager

    require_account_manager(actor, contact.account)
    deleted, _rows = OutreachOptOut.objects.filter(contact=contact).delete()
    if deleted:
        events_record(
            subject_kind="account",
            subject_id=contact.account_id,
            action="outreach_opted_in",
            changes=[Change("contact", {"id": contact.pk, "name": contact.name}, None)],
            actor=actor,
        )


# --- settings ------------------------------------------------------------------------------------------------


@transaction.atomic
def outreach_settings_update(*, actor: Actor, quiet_days: Any) -> OutreachSettings:
    require_manager(actor)
    if not isinstance(quiet_days, int) or isinstance(quiet_days, bool) or not 0 <= quiet_days <= MAX_QUIET_DAYS:
        raise ApplicationError(
            _("The quiet period is a whole number of days from 0 to {most}.").format(most=MAX_QUIET_DAYS),
            field="quiet_days",
        )
    row = OutreachSettings.objects.select_for_update().order_by("pk").first() or OutreachSettings()
    old = row.quiet_days if row.pk else None
    row.quiet_days, row.updated_at = quiet_days, timezone.now()
    row.save()
    if old != quiet_days:
        events_record(
            subject_kind="outreach",
            subject_id=row.pk,
            action="updated",
            changes=[Change("quiet_days", old, quiet_days)],
            actor=actor,
        )
    return row
