"""Writes across tickets and on a conversation's tone: merge a duplicate into another ticket, link related
tickets, split a requester's message into a ticket of its own, and flag a difficult conversation (routed to a
senior by the change rules, worked with a de-escalation checklist)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carefront.accounts.models import Channel, Contact
from carefront.core.access import staff_role
from carefront.core.exceptions import ApplicationError
from carefront.core.services import Actor, Change, events_record
from carefront.core.validation import clean_choice, clean_text
from carefront.desk.models import (
    CHECKLIST,
    Attachment,
    Message,
    MessageFlag,
    Status,
    Ticket,
    TicketFollower,
    TicketLink,
    Visibility,
)
from carefront.desk.services import (
    NewAttachment,
    attachments_store,
    body_clean,
    body_html_sanitise,
    ticket_add_note,
    ticket_create,
    ticket_update,
)

CHECKLIST_KEYS = tuple(key for key, _label in CHECKLIST)


def _require_staff(actor: Actor) -> None:
    if staff_role(actor) is None:
        raise ApplicationError(_("Only staff may do this."), status=403)


@transaction.atomic
def ticket_merge(*, source: Ticket, target: Ticket, actor: Actor, reason: str = "") -> Ticket:
    """Merge a duplicate (`source`) into `target`: its messages move over, its tags join the target's, and it is
    closed pointing at the target. Both must belong to the same account; the target must not be closed."""
    _require_staff(actor)
    reason = clean_text(reason, field="reason", max_length=1000)
    source, target = (
        Ticket.objects.select_for_update().get(pk=source.pk),
        Ticket.objects.select_for_update().get(pk=target.pk),
    )
    if source.pk == target.pk:
        raise ApplicationError(_("A ticket cannot be merged into itself."), field="target")
    if source.account_id != target.account_id:
        raise ApplicationError(
            _("Only tickets of the same account can be merged: their requesters would see each other's messages."),
            field="target",
        )
    if source.merged_into_id is not None:
        raise ApplicationError(_("Ticket #{number} is already merged.").format(number=source.number), field="source")
    for ticket, field in ((source, "source"), (target, "target")):
        if ticket.status == Status.CLOSED:
            raise ApplicationError(
                _("Ticket #{number} is closed: it cannot be merged.").format(number=ticket.number), field=field
            )
    moved = Message.objects.filter(ticket=source).update(ticket=target)
    source_tags = set(source.tags.values_list("name", flat=True))
    target_tags = set(target.tags.values_list("name", flat=True))
    if source_tags - target_tags:
        target = ticket_update(ticket=target, actor=actor, tags=sorted(source_tags | target_tags), reason=reason)
    note = _("Ticket #{number} “{subject}” was merged into this one ({count} messages moved).").format(
        number=source.number, subject=source.subject, count=moved
    )
    ticket_add_note(ticket=target, actor=actor, body=note + (f"\n\n{reason}" if reason else ""))
    ticket_add_note(
        ticket=source,
        actor=actor,
        body=_("Merged into ticket #{number}.").format(number=target.number) + (f"\n\n{reason}" if reason else ""),
    )
    if source.status != Status.SOLVED:
        ticket_update(ticket=source, actor=actor, status=Status.SOLVED, action="merged", reason=reason)
    Ticket.objects.filter(pk=source.pk).update(merged_into=target)
    ticket_update(ticket=source, actor=actor, status=Status.CLOSED, action="merged", reason=reason)
    events_record(
        subject_kind="ticket",
        subject_id=source.pk,
        account_id=source.account_id,
        action="merged",
        changes=[Change("merged_into", None, target.number)],
        reason=reason,
        actor=actor,
    )
    events_record(
        subject_kind="ticket",
        subject_id=target.pk,
        account_id=target.account_id,
        action="merged",
        changes=[Change("merged_from", None, source.number)],
        reason=reason,
        actor=actor,
    )
    target.refresh_from_db()
    return target


@transaction.atomic
def ticket_link(*, ticket: Ticket, other: Ticket, actor: Actor) -> TicketLink:
    """Link two related tickets (both ways); linking them again changes nothing."""
    _require_staff(actor)
    if ticket.pk == other.pk:
        raise ApplicationError(_("A ticket cannot be linked to itself."), field="other")
    low, high = sorted((ticket, other), key=lambda item: item.pk)
    created_by_id = actor.pk if actor is not None and actor.is_authenticated else None
    link, created = TicketLink.objects.get_or_create(ticket=low, other=high, defaults={"created_by_id": created_by_id})
    if created:
        for one, two in ((low, high), (high, low)):
            events_record(
                subject_kind="ticket",
                subject_id=one.pk,
                account_id=one.account_id,
                action="linked",
                changes=[Change("link", None, two.number)],
                actor=actor,
            )
    return link


@transaction.atomic
def ticket_unlink(*, ticket: Ticket, other: Ticket, actor: Actor) -> None:
    _require_staff(actor)
    low, high = sorted((ticket, other), key=lambda item: item.pk)
    deleted, _rows = TicketLink.objects.filter(ticket=low, other=high).delete()
    if not deleted:
        raise ApplicationError(_("These tickets are not linked."), field="other", status=404)
    for one, two in ((low, high), (high, low)):
        events_record(
            subject_kind="ticket",
            subject_id=one.pk,
            account_id=one.account_id,
            action="unlinked",
            changes=[Change("link", two.number, None)],
            actor=actor,
        )


@transaction.atomic
def message_split(*, message: Message, actor: Actor, subject: str = "") -> Ticket:
    """A requester's message that asks something else becomes a ticket of its own, linked to the first: the
    message stays where it was (the conversation reads as it happened) and opens the new ticket, with its
    attachments. The new ticket is routed like any other."""
    _require_staff(actor)
    source = Ticket.objects.select_related("requester").get(pk=message.ticket_id)
    author = message.author_contact
    if author is None or message.visibility != Visibility.PUBLIC:
        raise ApplicationError(_("Only a message from a requester can start a ticket of its own."), field="message")
    if not Message.objects.filter(ticket=source, id__lt=message.pk).exists():
        raise ApplicationError(_("This message opened the ticket: there is nothing to split from."), field="message")
    subject = clean_text(subject, field="subject", max_length=250) or source.subject
    new = ticket_create(
        actor=actor,
        requester=author,
        subject=subject,
        body=message.body_text,
        body_html=message.body_html or None,
        channel=message.channel,
        priority=source.priority,
        attachments=[
            NewAttachment(filename=item.filename, content_type=item.content_type, content=item.file.read())
            for item in Attachment.objects.filter(message=message)
        ],
    )
    ticket_link(ticket=source, other=new, actor=actor)
    ticket_add_note(
        ticket=source, actor=actor, body=_("A message was split into ticket #{number}.").format(number=new.number)
    )
    events_record(
        subject_kind="ticket",
        subject_id=new.pk,
        account_id=new.account_id,
        action="split",
        changes=[Change("split_from", None, source.number)],
        actor=actor,
    )
    return new


def ticket_flag_difficult(*, ticket: Ticket, actor: Actor, reason: str) -> Ticket:
    """Flag a difficult conversation: the change rules route it (the demo sends it to a senior) and its page
    shows the de-escalation checklist. The reason is required and kept in the history."""
    _require_staff(actor)
    reason = clean_text(reason, field="reason", max_length=1000, required=True)
    return ticket_update(ticket=ticket, actor=actor, difficult=True, reason=reason, action="flagged_difficult")


def ticket_clear_difficult(*, ticket: Ticket, actor: Actor, reason: str = "") -> Ticket:
    _require_staff(actor)
    reason = clean_text(reason, field="reason", max_length=1000)
    return ticket_update(ticket=ticket, actor=actor, difficult=False, reason=reason, action="cleared_difficult")


@transaction.atomic
def difficult_checklist_set(*, ticket: Ticket, actor: Actor, item: str, done: bool) -> Ticket:
    """Tick (or untick) an item of a difficult conversation's de-escalation checklist."""
    _require_staff(actor)
    if item not in CHECKLIST_KEYS:
        raise ApplicationError(
            _("“{item}” is not on the checklist; use one of: {items}.").format(
                item=str(item)[:60], items=", ".join(CHECKLIST_KEYS)
            ),
            field="item",
        )
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.difficult_since is None:
        raise ApplicationError(_("The ticket is not flagged as a difficult conversation."), field="item", status=409)
    checked = set(ticket.difficult_checklist or [])
    if (item in checked) == done:
        return ticket
    checked = checked | {item} if done else checked - {item}
    ticket.difficult_checklist = [key for key in CHECKLIST_KEYS if key in checked]
    ticket.version += 1
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["difficult_checklist", "version", "updated_at"])
    events_record(
        subject_kind="ticket",
        subject_id=ticket.pk,
        account_id=ticket.account_id,
        action="checklist",
        changes=[Change(item, not done, done)],
        actor=actor,
    )
    return ticket


@transaction.atomic
def ticket_add_contact_note(
    *,
    ticket: Ticket,
    contact: Contact,
    body: str,
    flag: str,
    body_html: str | None = None,
    attachments: Sequence[NewAttachment] = (),
    channel: str = Channel.EMAIL,
) -> Message:
    """An internal note holding what someone outside wrote that must not pass as the requester's reply (a
    message from a non-participant, an automatic reply, a bounce): staff see it, flagged; the status, the SLA
    clocks and the requester are untouched."""
    clean_choice(flag, choices=MessageFlag.values, field="flag")
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    now = timezone.now()
    message = Message.objects.create(
        ticket=ticket,
        account_id=ticket.account_id,
        visibility=Visibility.INTERNAL,
        author_contact=contact,
        channel=channel,
        flag=flag,
        body_text=body_clean(body),
        body_html=body_html_sanitise(body_text=body, body_html=body_html),
        created_at=now,
    )
    attachments_store(message, attachments)
    ticket.updated_at = now
    ticket.version += 1
    ticket.save(update_fields=["updated_at", "version"])
    events_record(
        subject_kind="ticket",
        subject_id=ticket.pk,
        account_id=ticket.account_id,
        action="noted",
        changes=[Change("flag", None, flag)],
        actor=None,
    )
    return message


@transaction.atomic
def ticket_add_followers(*, ticket: Ticket, contacts: Iterable[Contact], actor: Actor) -> list[Contact]:
    """Copy contacts on a ticket (the requester never follows their own ticket); returns those newly added."""
    wanted = {contact.pk: contact for contact in contacts if contact.pk != ticket.requester_id}
    if not wanted:
        return []
    present = set(
        TicketFollower.objects.filter(ticket=ticket, contact_id__in=wanted).values_list("contact_id", flat=True)
    )
    added = [contact for pk, contact in wanted.items() if pk not in present]
    if added:
        TicketFollower.objects.bulk_create(
            [TicketFollower(ticket=ticket, contact=contact) for contact in added], ignore_conflicts=True
        )
        events_record(
            subject_kind="ticket",
            subject_id=ticket.pk,
            account_id=ticket.account_id,
            action="followers_added",
            changes=[Change("followers", None, sorted(contact.email or contact.name for contact in added))],
            actor=actor,
        )
    return added
