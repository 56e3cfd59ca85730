"""The demo's surveys: a CSAT survey after solved tickets, a CES survey for the support mailbox, a twice-yearly
NPS campaign to clients and one after a customer's third order, and a believable spread of answers over the last
months — most customers satisfied, some not, clients mostly promoters with a few detractors — with comments in
English and French, so the scorecards have something to say on day one.

The surveys and campaigns go through the services; the past invitations and responses are written with
`bulk_create` (as the demo's orders are), at the moments they would have happened, so no email about the past is
queued and no job runs."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.conf import settings

from carefront.accounts.models import Account, Contact, ServiceModel
from carefront.core.selectors import supported_language
from carefront.desk.models import Ticket
from carefront.feedback.demo_clients import demo_client_surveys_load
from carefront.feedback.models import (
    Campaign,
    Invitation,
    InvitationReason,
    InvitationState,
    Response,
    Survey,
    SurveyKind,
)
from carefront.feedback.services import campaign_create, survey_create
from carefront.feedback.services_sending import campaign_next_run
from carefront.mail.models import Mailbox

CSAT_DAYS = 365
RESPONSE_RATE: dict[str, float] = {SurveyKind.CSAT: 0.42, SurveyKind.NPS: 0.58}
CSAT_WEIGHTS: dict[int, float] = {5: 46, 4: 24, 3: 12, 2: 8, 1: 10}
NPS_WEIGHTS: dict[int, float] = {10: 22, 9: 26, 8: 18, 7: 11, 6: 8, 5: 5, 4: 4, 3: 3, 2: 2, 1: 0.5, 0: 0.5}
# By kind, band and language: what people write (none half the time).
COMMENTS: dict[str, dict[str, dict[str, list[str]]]] = {
    "csat": {
        "good": {
            "en": [
                "Quick and friendly, thank you!",
                "Solved on the first reply.",
                "Clear explanation, exactly what I needed.",
                "Great help, the replacement arrived the next day.",
            ],
            "fr": [
                "Rapide et aimable, merci !",
                "Réglé dès la première réponse.",
                "Explication claire, exactement ce qu'il me fallait.",
                "Très bonne aide, le remplacement est arrivé le lendemain.",
            ],
        },
        "bad": {
            "en": [
                "I had to explain the problem three times.",
                "Took a week to get an answer.",
                "The refund still hasn't arrived.",
                "Nobody told me the ticket was closed.",
            ],
            "fr": [
                "J'ai dû expliquer le problème trois fois.",
                "Une semaine pour avoir une réponse.",
                "Le remboursement n'est toujours pas arrivé.",
                "Personne ne m'a dit que la demande était close.",
            ],
        },
    },
    "nps": {
        "good": {
            "en": [
                "Our advisor knows our business and anticipates what we need.",
                "Reliable, responsive and always honest with us.",
                "The quarterly reviews are genuinely useful.",
            ],
            "fr": [
                "Notre conseillère connaît notre activité et anticipe nos besoins.",
                "Fiables, réactifs et toujours francs avec nous.",
                "Les revues trimestrielles sont vraiment utiles.",
            ],
        },
        "bad": {
            "en": [
                "Too many changes of contact person this year.",
                "The billing error was handled slowly.",
                "Good people, but prices went up without warning.",
            ],
            "fr": [
                "Trop de changements d'interlocuteur cette année.",
                "L'erreur de facturation a été traitée lentement.",
                "Des gens bien, mais les prix ont augmenté sans prévenir.",
            ],
        },
    },
}


def _pick(rng: random.Random, weights: dict[int, float]) -> int:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _language(contact: Contact) -> str:
    return supported_language(contact.language) or supported_language(settings.LANGUAGE_CODE) or "en"


def _comment(rng: random.Random, kind: str, score: int, language: str) -> str:
    good = score >= (9 if kind == SurveyKind.NPS else 4)
    bad = score <= (6 if kind == SurveyKind.NPS else 2)
    if not (good or bad) or rng.random() < 0.45:
        return ""
    texts = COMMENTS[kind]["good" if good else "bad"]
    return rng.choice(texts.get(language, texts["en"]))


def _answered(
    rng: random.Random,
    invitation: Invitation,
    weights: dict[int, float],
    responses: list[Response],
    end: datetime,
) -> None:
    if invitation.sent_at is None or rng.random() > RESPONSE_RATE[invitation.kind]:
        return
    score = _pick(rng, weights)
    at = invitation.sent_at + timedelta(minutes=rng.randint(20, 60 * 48))
    if at + timedelta(minutes=2) >= end:
        return  # still unanswered when the story ends
    invitation.answered_at = at + timedelta(minutes=2)
    invitation.answer_score = score
    responses.append(
        Response(
            invitation=invitation,
            survey=invitation.survey,
            kind=invitation.kind,
            score=score,
            comment=_comment(rng, invitation.kind, score, invitation.language),
            account_id=invitation.account_id,
            contact_id=invitation.contact_id,
            ticket_id=invitation.ticket_id,
            agent_id=invitation.agent_id,
            advisor_id=invitation.advisor_id,
            language=invitation.language,
            created_at=at,
            updated_at=invitation.answered_at,
            submitted_at=invitation.answered_at,
        )
    )


def _main_contacts(account_ids: list[int]) -> dict[int, Contact]:
    found: dict[int, Contact] = {}
    for contact in Contact.objects.filter(account_id__in=account_ids).exclude(email="").order_by("id"):
        found.setdefault(contact.account_id, contact)
    return found


def _taken(keys: list[str]) -> list[str]:
    return list(Invitation.objects.filter(key__in=keys).values_list("key", flat=True))


def _surveys_create(end: datetime) -> None:
    """The demo's surveys and campaigns (once: a second demo load adds answers, not surveys)."""
    survey_create(actor=None, kind=SurveyKind.CSAT, name="After a solved ticket")
    nps = survey_create(actor=None, kind=SurveyKind.NPS, name="Relationship NPS")
    mailbox = Mailbox.objects.filter(is_active=True).order_by("id").first()
    survey_create(
        actor=None,
        kind=SurveyKind.CES,
        name="Effort (support mailbox)",
        mailbox_ids=[mailbox.pk] if mailbox is not None else [],
    )
    survey_create(
        actor=None,
        kind=SurveyKind.CUSTOM,
        name="Onboarding check",
        is_active=False,
        texts={
            "en": {"question": "How was your first month with us?"},
            "fr": {"question": "Comment s'est passé votre premier mois ?"},
        },
        questions=[
            {"type": "yes_no", "label": {"en": "Did you know whom to call?", "fr": "Saviez-vous qui appeler ?"}},
            {
                "type": "text",
                "label": {"en": "What should we improve first?", "fr": "Que devons-nous améliorer d'abord ?"},
            },
        ],
    )
    campaign_create(
        actor=None,
        name="Twice-yearly NPS to clients",
        survey_id=nps.pk,
        trigger="schedule",
        rule="FREQ=MONTHLY;INTERVAL=6",
        starts_at=end - timedelta(days=330),
    )
    campaign_create(
        actor=None, name="NPS after a customer's third order", survey_id=nps.pk, trigger="nth_order", order_count=3
    )


def demo_feedback_load(*, end: datetime, seed: int) -> tuple[int, int]:
    """Surveys, campaigns and their past answers up to `end`, for the tickets and clients not yet surveyed.
    Returns (invitations, responses)."""
    rng = random.Random(seed * 7919 + 10)
    if not Survey.objects.filter(kind=SurveyKind.CSAT, is_active=True).exists():
        _surveys_create(end)
    csat = Survey.objects.get(kind=SurveyKind.CSAT, is_active=True)
    twice_yearly = (
        Campaign.objects.filter(trigger="schedule", is_active=True, survey__kind=SurveyKind.NPS)
        .select_related("survey")
        .order_by("id")
        .first()
    )
    invitations: list[Invitation] = []
    responses: list[Response] = []
    expiry = timedelta(days=int(settings.CAREFRONT_SURVEY_LINK_DAYS))

    tickets = (
        Ticket.objects.filter(
            solved_at__gte=end - timedelta(days=CSAT_DAYS),
            solved_at__lt=end,
            merged_into__isnull=True,
            requester__email__gt="",
        )
        .select_related("requester", "account")
        .order_by("solved_at", "id")
    )
    for ticket in tickets:
        assert ticket.solved_at is not None
        sent = ticket.solved_at + timedelta(minutes=5)
        owner_id = ticket.account.owner_id if ticket.account.service_model == ServiceModel.CLIENT else None
        invitation = Invitation(
            key=f"ticket:{ticket.pk}:solved:{int(ticket.solved_at.timestamp())}",
            survey=csat,
            kind=SurveyKind.CSAT,
            reason=InvitationReason.TICKET_SOLVED,
            account_id=ticket.account_id,
            contact_id=ticket.requester_id,
            ticket=ticket,
            agent_id=ticket.assignee_id,
            advisor_id=owner_id,
            language=_language(ticket.requester),
            state=InvitationState.SENT,
            created_at=sent,
            sent_at=sent,
            expires_at=sent + expiry,
        )
        invitations.append(invitation)

    clients = list(Account.objects.filter(service_model=ServiceModel.CLIENT).order_by("id"))
    contacts = _main_contacts([client.pk for client in clients])
    # The campaign's occurrences before the end of the story, as the job would have run them.
    waves: list[datetime] = []
    wave = twice_yearly.starts_at if twice_yearly is not None else None
    while twice_yearly is not None and wave is not None and wave < end:
        waves.append(wave)
        wave = campaign_next_run(twice_yearly, after=wave + timedelta(seconds=1))
    for wave in waves:
        assert twice_yearly is not None
        for client in clients:
            contact = contacts.get(client.pk)
            if contact is None:
                continue
            invitation = Invitation(
                key=f"campaign:{twice_yearly.pk}:{int(wave.timestamp())}:account:{client.pk}",
                survey=twice_yearly.survey,
                kind=SurveyKind.NPS,
                campaign=twice_yearly,
                reason=InvitationReason.CAMPAIGN,
                account=client,
                contact=contact,
                advisor_id=client.owner_id,
                language=_language(contact),
                state=InvitationState.SENT,
                created_at=wave,
                sent_at=wave,
                expires_at=wave + expiry,
            )
            invitations.append(invitation)
    # A second demo load surveys only what the first did not.
    keys = [invitation.key for invitation in invitations]
    taken = {key for start in range(0, len(keys), 500) for key in _taken(keys[start : start + 500])}
    invitations = [invitation for invitation in invitations if invitation.key not in taken]
    for invitation in invitations:
        _answered(rng, invitation, NPS_WEIGHTS if invitation.kind == SurveyKind.NPS else CSAT_WEIGHTS, responses, end)
    Invitation.objects.bulk_create(invitations, batch_size=500)
    Response.objects.bulk_create(responses, batch_size=500)
    if twice_yearly is not None and waves:
        Campaign.objects.filter(pk=twice_yearly.pk).update(last_run_at=max(waves))
    # A client's own customers surveyed on its behalf (demo_clients.py).
    client_invitations, client_responses = demo_client_surveys_load(end=end, seed=seed)
    return len(invitations) + client_invitations, len(responses) + client_responses
