"""Reminding clients of what they owe us: the hourly job chases every overdue dependency (at most once per
CAREFRONT_DEPENDENCY_REMINDER_DAYS), an advisor may chase one at once, and the email goes in the contact's language
through the queue, the advisor alerted."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from carefront.core.exceptions import ApplicationError
from carefront.core.selectors import supported_language
from carefront.core.services import Actor
from carefront.desk.services import notify_on_commit
from carefront.relationships.access import require_account_manager
from carefront.relationships.models import Dependency, DependencyState, Wait
from carefront.relationships.services import _dependency_open, _record


def _reminder_interval() -> timedelta:
    return timedelta(days=settings.CAREFRONT_DEPENDENCY_REMINDER_DAYS)


def _reminder_due(now: datetime) -> Q:
    """Open, overdue, still holding work up, and not reminded within the interval."""
    holding = Exists(Wait.objects.filter(dependency=OuterRef("pk"), ended_at__isnull=True))
    return (
        Q(state=DependencyState.OPEN, due_at__lt=now)
        & (Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lte=now - _reminder_interval()))
        & Q(holding)
    )


def dependencies_remind(*, now: datetime | None = None) -> int:
    """Remind the contact of every overdue dependency (at most once per CAREFRONT_DEPENDENCY_REMINDER_DAYS) and alert
    the advisor; returns how many were reminded. Run twice, it reminds once: each is marked reminded in the same
    transaction that queues its email, and checked again under its row lock."""
    moment = now or timezone.now()
    due = list(Dependency.objects.filter(_reminder_due(moment)).order_by("id").values_list("pk", flat=True))
    reminded = 0
    for dependency_id in due:
        with transaction.atomic():
            # Only the dependency's row is locked: PostgreSQL cannot lock the empty side of the engagement's outer join.
            locked = Dependency.objects.select_for_update(of=("self",)).filter(pk=dependency_id)
            locked = locked.filter(_reminder_due(moment))
            dependency = locked.select_related("account", "contact", "engagement").first()
            if dependency is None:
                continue
            _remind(dependency, now=moment, actor=None)
            reminded += 1
    return reminded


def _remind(dependency: Dependency, *, now: datetime, actor: Actor) -> None:
    """Mark the (locked) dependency reminded, on the account's history, and queue the email and the alert."""
    dependency.last_reminded_at = now
    dependency.reminders_sent += 1
    dependency.save(update_fields=["last_reminded_at", "reminders_sent"])
    _record(
        account_id=dependency.account_id,
        action="dependency_reminded",
        kind="dependency",
        item=dependency,
        new={"contact": dependency.contact.name, "reminders_sent": dependency.reminders_sent},
        actor=actor,
    )
    _reminder_queue(dependency)


@transaction.atomic
def dependency_remind_now(*, dependency: Dependency, actor: Actor, now: datetime | None = None) -> Dependency:
    """Remind the client contact of an overdue dependency at once (the advisor's button), rather than at the
    hourly job; still at most once per CAREFRONT_DEPENDENCY_REMINDER_DAYS, so the client is never pestered."""
    moment = now or timezone.now()
    dependency = (
        Dependency.objects.select_for_update(of=("self",))
        .select_related("account", "contact", "engagement")
        .get(pk=dependency.pk)
    )
    require_account_manager(actor, dependency.account)
    _dependency_open(dependency)
    if dependency.due_at >= moment:
        raise ApplicationError(
            _("It is not due yet: a reminder goes only once it is late."), field="due_at", status=409
        )
    last = dependency.last_reminded_at
    if last is not None and last > moment - _reminder_interval():
        raise ApplicationError(
            _("{contact} was reminded on {date}; the next reminder can go from {next}.").format(
                contact=dependency.contact.name,
                date=date_format(timezone.localtime(last), "SHORT_DATETIME_FORMAT"),
                next=date_format(timezone.localtime(last + _reminder_interval()), "SHORT_DATETIME_FORMAT"),
            ),
            field="last_reminded_at",
            status=409,
        )
    _remind(dependency, now=moment, actor=actor)
    return dependency


def _advisor_id(dependency: Dependency) -> int | None:
    if dependency.account.owner_id is not None:
        return int(dependency.account.owner_id)
    return dependency.engagement.owner_id if dependency.engagement is not None else None


def _reminder_queue(dependency: Dependency) -> None:
    """After the commit: the email to the contact through the queue, and the advisor's notification."""
    from carefront.relationships.tasks import send_dependency_reminder

    dependency_id = dependency.pk
    transaction.on_commit(lambda: send_dependency_reminder(dependency_id=dependency_id))
    advisor_id = _advisor_id(dependency)
    if advisor_id is None:
        return
    what, account, contact = dependency.what, dependency.account.name, dependency.contact.name
    notify_on_commit(
        recipient_id=advisor_id,
        verb="dependency_overdue",
        text=lambda: _("{account} is late with “{what}”: {contact} was reminded.").format(
            account=account, what=what, contact=contact
        ),
        ticket_id=dependency.blocks_ticket_id,
    )


def dependency_reminder_send(*, dependency_id: int) -> bool:
    """Write the reminder in the contact's language and send it through Django's email backend (the queue's job);
    False when there is nothing to send: received meanwhile, no address, or mail to it bounces."""
    dependency = (
        Dependency.objects.select_related("account", "account__owner", "contact", "engagement")
        .filter(pk=dependency_id, state=DependencyState.OPEN)
        .first()
    )
    if dependency is None:
        return False
    contact = dependency.contact
    if not contact.email or contact.email_failing_since is not None:
        return False
    advisor = dependency.account.owner
    language = supported_language(contact.language) or settings.LANGUAGE_CODE
    zone = contact.time_zone or dependency.account.time_zone
    with translation.override(language), timezone.override(zone):
        context = {"dependency": dependency, "contact": contact, "advisor": advisor}
        subject = _("A reminder: {what}").format(what=dependency.what)
        text = render_to_string("relationships/email/dependency_reminder.html#text", context).strip() + "\n"
        html = render_to_string("relationships/email/dependency_reminder.html#html", context).strip()
    reply_to = [advisor.email] if advisor is not None and advisor.email else []
    message = EmailMultiAlternatives(subject=subject, body=text, to=[contact.email], reply_to=reply_to)
    message.attach_alternative(html, "text/html")
    message.send()
    return True
