"""Sending surveys: who is asked what, when, and who is left alone.

- A ticket solved (the desk calls `surveys_after_commit` in its transaction): after the commit a job asks the
  requester the active CSAT survey, once per ticket and solve (the invitation's key names both). When the ticket's
  mailbox has an active CES survey, the same email asks it too: the score links are CSAT's and the answer page
  adds the CES question (stored as the response's `effort`); with no active CSAT survey the CES survey is sent on
  its own (its links are the 1–7 scale). A merged-away ticket is never surveyed (the ticket it joined is).
- An order recorded (the accounts app calls the same hook): each active "after the Nth order" campaign asks a
  customer's main contact once, after the order that is their Nth.
- A schedule: a periodic job runs each due campaign, asking every client's main contact, then moves the campaign
  to the next occurrence of its RFC 5545 rule (python-dateutil, via the relationships' `Recurrence`).
- Every invitation goes through `invitation_send`: its key is unique, so an event run twice sends once. It is
  skipped, with the reason kept, when the contact opted out of outreach (the relationships' `OutreachOptOut`, the
  same unsubscribe link), has no working address, or was sent a survey within CAREFRONT_SURVEY_QUIET_DAYS.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from carefront.accounts.models import Account, Contact, Order, ServiceModel
from carefront.core.selectors import supported_language
from carefront.core.services import Change, events_record
from carefront.desk.models import Status, Ticket
from carefront.feedback.models import (
    Campaign,
    CampaignTrigger,
    Invitation,
    InvitationReason,
    InvitationState,
    Survey,
    SurveyKind,
    SurveySkipReason,
)
from carefront.feedback.texts import scale_points, survey_texts
from carefront.mail import selectors as mail_selectors
from carefront.mail.services import outreach_email_queue
from carefront.relationships.models import OutreachOptOut
from carefront.relationships.schedule import Recurrence
from carefront.relationships.services_followups import unsubscribe_url

TICKET_SOLVED = "ticket_solved"
ORDER_CREATED = "order_created"
HOOK_EVENTS = (TICKET_SOLVED, ORDER_CREATED)
LINK_SALT = "carefront.feedback.answer"
CAMPAIGN_BATCH = 500


def default_language() -> str:
    return supported_language(settings.LANGUAGE_CODE) or "en"


def quiet_days() -> int:
    return int(settings.CAREFRONT_SURVEY_QUIET_DAYS)


def link_days() -> int:
    return int(settings.CAREFRONT_SURVEY_LINK_DAYS)


# --- links ---------------------------------------------------------------------------------------------------


def answer_token(invitation: Invitation) -> str:
    """The signed, timestamped token of an invitation's links (Django's signing: altered or too old, refused)."""
    return signing.TimestampSigner(salt=LINK_SALT).sign(str(invitation.pk))


def answer_url(invitation: Invitation, score: int | None = None) -> str:
    url = settings.BASE_URL + reverse("web:feedback-answer", args=[answer_token(invitation)])
    return f"{url}?score={score}" if score is not None else url


# --- the hook ------------------------------------------------------------------------------------------------


def surveys_after_commit(*, event: str, object_id: int) -> None:
    """Called by a service inside its transaction: after the commit, a job sends this event's survey (nothing if
    the transaction rolls back, and no job at all when no survey or campaign could apply)."""
    if event not in HOOK_EVENTS:
        raise ValueError(event)
    if event == TICKET_SOLVED:
        listening = Survey.objects.filter(kind__in=[SurveyKind.CSAT, SurveyKind.CES], is_active=True).exists()
    else:
        listening = Campaign.objects.filter(trigger=CampaignTrigger.NTH_ORDER, is_active=True).exists()
    if not listening:
        return

    def later() -> None:
        from carefront.feedback.tasks import send_event_surveys

        send_event_surveys(event=event, object_id=object_id)

    transaction.on_commit(later)


def event_surveys_send(*, event: str, object_id: int, now: datetime | None = None) -> list[Invitation]:
    """The hook's job: the invitations of one event (already there when it ran before)."""
    now = now or timezone.now()
    if event == TICKET_SOLVED:
        found = ticket_survey_send(ticket_id=object_id, now=now)
        return [found] if found is not None else []
    if event == ORDER_CREATED:
        return order_surveys_send(order_id=object_id, now=now)
    raise ValueError(event)


def main_contact(account: Account) -> Contact | None:
    """Who is asked about an account as a whole: its first contact with an address (else its first contact)."""
    contacts = Contact.objects.filter(account=account).order_by("id")
    return contacts.exclude(email="").first() or contacts.first()


def ticket_survey_send(*, ticket_id: int, now: datetime | None = None) -> Invitation | None:
    """Ask a solved ticket's requester the CSAT survey (with the mailbox's CES question), or the mailbox's CES
    survey alone; None when the ticket was reopened or merged away, or no survey applies."""
    now = now or timezone.now()
    ticket = (
        Ticket.objects.select_related("account", "account__owner", "requester", "assignee")
        .filter(
            pk=ticket_id, status__in=[Status.SOLVED, Status.CLOSED], solved_at__isnull=False, merged_into__isnull=True
        )
        .first()
    )
    # Reopened meanwhile (solved_at cleared), or merged into another ticket (that one is surveyed when solved).
    if ticket is None or ticket.solved_at is None:
        return None
    mailbox = mail_selectors.mailbox_for_ticket(ticket)
    csat = Survey.objects.filter(kind=SurveyKind.CSAT, is_active=True).first()
    effort = None
    if mailbox is not None:
        effort = Survey.objects.filter(kind=SurveyKind.CES, is_active=True, mailboxes=mailbox).order_by("id").first()
    survey = csat or effort
    if survey is None:
        return None
    return invitation_send(
        key=f"ticket:{ticket.pk}:solved:{int(ticket.solved_at.timestamp())}",
        survey=survey,
        effort_survey=effort if csat is not None else None,
        reason=InvitationReason.TICKET_SOLVED,
        account=ticket.account,
        contact=ticket.requester,
        ticket=ticket,
        agent=ticket.assignee,
        mailbox=mailbox,
        now=now,
    )


def order_surveys_send(*, order_id: int, now: datetime | None = None) -> list[Invitation]:
    """Ask a customer after their Nth order, once per campaign (whatever orders follow)."""
    now = now or timezone.now()
    order = Order.objects.select_related("account", "account__owner").filter(pk=order_id).first()
    if order is None or order.account.service_model != ServiceModel.CUSTOMER:
        return []
    position = Order.objects.filter(
        Q(placed_at__lt=order.placed_at) | Q(placed_at=order.placed_at, pk__lte=order.pk), account=order.account
    ).count()
    campaigns = Campaign.objects.filter(
        trigger=CampaignTrigger.NTH_ORDER, is_active=True, survey__is_active=True, order_count=position
    ).select_related("survey")
    contact = main_contact(order.account)
    return [
        invitation_send(
            key=f"campaign:{campaign.pk}:account:{order.account_id}",
            survey=campaign.survey,
            campaign=campaign,
            reason=InvitationReason.ORDER,
            account=order.account,
            contact=contact,
            order=order,
            now=now,
        )
        for campaign in campaigns
    ]


# --- campaigns on a schedule ---------------------------------------------------------------------------------


def campaign_next_run(campaign: Campaign, *, after: datetime) -> datetime | None:
    """The campaign's first occurrence at or after `after` (its rule read in UTC from its first sending)."""
    if campaign.starts_at is None or not campaign.rule:
        return None
    start = campaign.starts_at.astimezone(UTC)
    recurrence = Recurrence(rule=campaign.rule, starts_on=start.date(), time_of_day=start.time(), time_zone="UTC")
    return next(recurrence.occurrences(after=after), None)


def campaigns_run(*, now: datetime | None = None) -> int:
    """The periodic job: run each due scheduled campaign. Returns how many invitations it handled."""
    now = now or timezone.now()
    due = Campaign.objects.filter(
        trigger__in=[CampaignTrigger.SCHEDULE, CampaignTrigger.CLIENT_CUSTOMERS],
        is_active=True,
        next_run_at__isnull=False,
        next_run_at__lte=now,
    ).values_list("pk", flat=True)
    return sum(campaign_run(campaign_id=pk, now=now) for pk in list(due))


def campaign_run(*, campaign_id: int, now: datetime | None = None) -> int:
    """Ask every client's main contact the campaign's survey for its due occurrence, then move it to the next
    one. Each invitation commits on its own and its key names the occurrence: a run cut short and run again
    sends the rest, never twice."""
    now = now or timezone.now()
    campaign = (
        Campaign.objects.select_related("survey", "client", "client__owner", "dependency__blocks_milestone")
        .filter(pk=campaign_id, is_active=True)
        .first()
    )
    if campaign is None or campaign.next_run_at is None or campaign.next_run_at > now:
        return 0
    if campaign.trigger == CampaignTrigger.CLIENT_CUSTOMERS:
        return _client_campaign_run(campaign, now=now)
    occurrence = campaign.next_run_at
    handled = 0
    if campaign.survey.is_active:
        handled = _campaign_ask(
            campaign,
            Account.objects.filter(service_model=ServiceModel.CLIENT).select_related("owner"),
            key=f"campaign:{campaign.pk}:{int(occurrence.timestamp())}",
            now=now,
        )
    following = campaign_next_run(campaign, after=max(now, occurrence + timedelta(seconds=1)))
    Campaign.objects.filter(pk=campaign.pk, next_run_at=occurrence).update(next_run_at=following, last_run_at=now)
    return handled


def _campaign_ask(campaign: Campaign, accounts: Any, *, key: str, now: datetime, mailbox: Any = None) -> int:
    """Ask each account's main contact the campaign's survey, a batch of accounts at a time (keyset on the id);
    `key` and the account name each invitation. Returns how many accounts were handled."""
    handled = 0
    last_id = 0
    while True:
        batch = list(accounts.filter(pk__gt=last_id).order_by("pk")[:CAMPAIGN_BATCH])
        if not batch:
            return handled
        for account in batch:
            invitation_send(
                key=f"{key}:account:{account.pk}",
                survey=campaign.survey,
                campaign=campaign,
                reason=InvitationReason.CAMPAIGN,
                account=account,
                contact=main_contact(account),
                mailbox=mailbox,
                now=now,
            )
            handled += 1
        last_id = batch[-1].pk


def _client_campaign_run(campaign: Campaign, *, now: datetime) -> int:
    """A campaign on a client's behalf: once, each of the client's customers (accounts served for it), asked under
    the client's name. It waits, still due, while the client's customer list is owed (an open dependency)."""
    from carefront.relationships.models import DependencyState

    if campaign.dependency is not None and campaign.dependency.state == DependencyState.OPEN:
        return 0
    handled = 0
    if campaign.survey.is_active and campaign.client is not None:
        handled = _campaign_ask(
            campaign,
            Account.objects.filter(served_for=campaign.client),
            key=f"campaign:{campaign.pk}",
            now=now,
            mailbox=_outreach_mailbox(campaign.client.owner),
        )
    occurrence = campaign.next_run_at
    Campaign.objects.filter(pk=campaign.pk, next_run_at=occurrence).update(next_run_at=None, last_run_at=now)
    milestone = campaign.dependency.blocks_milestone if campaign.dependency is not None else None
    if handled and milestone is not None and milestone.done_at is None:
        # The engagement's milestone "survey sent", which the customer list blocked: done now that it is sent.
        from carefront.relationships.services import milestone_complete

        with transaction.atomic():
            milestone_complete(milestone=milestone, actor=None, now=now)
    return handled


# --- one invitation ------------------------------------------------------------------------------------------


def _skip_reason(contact: Contact | None, now: datetime) -> str:
    if contact is None:
        return SurveySkipReason.NO_CONTACT
    if OutreachOptOut.objects.filter(contact=contact).exists():
        return SurveySkipReason.OPTED_OUT
    if not contact.email or contact.email_failing_since is not None:
        return SurveySkipReason.NO_EMAIL
    days = quiet_days()
    if (
        days
        and Invitation.objects.filter(
            contact=contact, state=InvitationState.SENT, sent_at__gt=now - timedelta(days=days)
        ).exists()
    ):
        return SurveySkipReason.QUIET_PERIOD
    return ""


def _advisor_of(account: Account) -> Any:
    owner = account.owner
    if account.service_model == ServiceModel.CLIENT and owner is not None and owner.is_active:
        return owner
    return None


def _lock_contact(contact: Contact | None) -> None:
    """Two events for one contact at once (two tickets solved together) are sent one after the other, so the
    quiet period holds between them (PostgreSQL; SQLite runs one writer at a time anyway)."""
    if contact is not None and connection.features.has_select_for_update:
        list(Contact.objects.select_for_update().filter(pk=contact.pk).values_list("pk"))


@transaction.atomic
def invitation_send(
    *,
    key: str,
    survey: Survey,
    reason: str,
    account: Account,
    contact: Contact | None,
    ticket: Ticket | None = None,
    order: Order | None = None,
    campaign: Campaign | None = None,
    effort_survey: Survey | None = None,
    agent: Any = None,
    mailbox: Any = None,
    now: datetime | None = None,
) -> Invitation:
    """Send one survey for one event, or record why not; the invitation already made for `key` if there is one."""
    now = now or timezone.now()
    existing = Invitation.objects.filter(key=key).first()
    if existing is not None:
        return existing
    _lock_contact(contact)
    skip = _skip_reason(contact, now)
    language = supported_language(contact.language if contact else "") or default_language()
    invitation = Invitation(
        key=key,
        survey=survey,
        kind=survey.kind,
        effort_survey=effort_survey,
        campaign=campaign,
        reason=reason,
        account=account,
        contact=contact,
        ticket=ticket,
        order=order,
        agent=agent,
        advisor=_advisor_of(account),
        language=language,
        state=InvitationState.SKIPPED if skip else InvitationState.SENT,
        skip_reason=skip,
        created_at=now,
        sent_at=None if skip else now,
        expires_at=None if skip else now + timedelta(days=link_days()),
    )
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError:
        # Another run of the same event got there first: its invitation stands.
        return Invitation.objects.get(key=key)
    if skip or contact is None:
        return invitation
    invitation.outbound = _email(invitation, contact=contact, account=account, ticket=ticket, mailbox=mailbox)
    invitation.save(update_fields=["outbound"])
    events_record(
        subject_kind="account",
        subject_id=account.pk,
        action="survey_sent",
        changes=[Change("survey", None, {"id": survey.pk, "name": survey.name, "contact": contact.name})],
        actor=None,
    )
    return invitation


def _outreach_mailbox(advisor: Any) -> Any:
    """The outreach mailbox of the advisor's teams (else the installation's)."""
    profile = getattr(advisor, "staff_profile", None) if advisor is not None else None
    team_ids = list(profile.teams.values_list("pk", flat=True)) if profile is not None else []
    return mail_selectors.mailbox_for_outreach(team_ids=team_ids)


def _email(invitation: Invitation, *, contact: Contact, account: Account, ticket: Ticket | None, mailbox: Any) -> Any:
    """The survey email in the contact's language: the question and one link per score."""
    advisor = invitation.advisor
    if mailbox is None:
        mailbox = _outreach_mailbox(advisor)
    sender_name = (advisor.get_full_name() or advisor.get_username()) if advisor is not None else ""
    # On a client's behalf: the client's name is the sender's, and the email says who asks.
    client = invitation.campaign.client if invitation.campaign is not None else None
    if client is not None:
        sender_name = client.name
    survey = invitation.survey
    with translation.override(invitation.language):
        texts = survey_texts(survey, invitation.language)
        subject = texts.subject
        if ticket is not None:
            subject = _("{question} [#{number}] {subject}").format(
                question=texts.subject, number=ticket.number, subject=ticket.subject
            )
        elif client is not None:
            subject = _("{client}: {question}").format(client=client.name, question=texts.subject)
        if ticket is not None:
            body = _("Hello {name},\n\nYour request “{subject}” was solved. {question}").format(
                name=contact.name, subject=ticket.subject, question=texts.question
            )
        elif client is not None:
            body = _("Hello {name},\n\n{client} would like your opinion. {question}").format(
                name=contact.name, client=client.name, question=texts.question
            )
        else:
            body = _("Hello {name},\n\n{question}").format(name=contact.name, question=texts.question)
        expires = invitation.expires_at.date().isoformat() if invitation.expires_at else ""
    links = [(score, answer_url(invitation, score)) for score in scale_points(survey.kind)]
    return outreach_email_queue(
        to=contact,
        subject=subject,
        body=body,
        mailbox=mailbox,
        sender_name=sender_name,
        ticket=ticket,
        unsubscribe_url=unsubscribe_url(contact),
        template="feedback/email/survey.html",
        context={
            "links": links,
            "low": texts.low,
            "high": texts.high,
            "answer_url": answer_url(invitation),
            "expires": expires,
        },
    )
