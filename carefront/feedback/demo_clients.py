"""The demo's survey of a client's own customers: one client (the first of the demo's clients with a contact)
supplies a list of 60 customers, imported through the real customer list import; three monthly CSAT waves on
its behalf asked 20 customers each, and about 40 answered, most with a comment about delivery, prices, the shop's
staff or the mobile app (and a few in French), so the client's report shows themes after `make run`.

The campaigns go through the service; the past invitations and answers are written with `bulk_create` at the
moments they would have happened, as the rest of the demo's surveys are, so no email about the past is queued."""

from __future__ import annotations

import io
import random
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count

from carefront.accounts.models import Account, Contact, ServiceModel
from carefront.feedback.models import (
    Campaign,
    Invitation,
    InvitationReason,
    InvitationState,
    Response,
    Survey,
    SurveyKind,
)
from carefront.feedback.services_clients import client_campaign_create, customer_list_upload

CUSTOMERS = 60
WAVES = 3
ANSWER_RATE = 0.67
FIRST = ["Ana", "Ben", "Chloé", "David", "Emma", "Farid", "Grace", "Hugo", "Inès", "Jonas", "Kate", "Liam"]
LAST = ["Lima", "Brown", "Martin", "Okafor", "Schmidt", "Rossi", "Nguyen", "Dubois", "Silva", "Walsh"]
# What the client's customers write, by topic: (satisfied, dissatisfied) sentences, combined at random.
TOPICS: dict[str, tuple[list[str], list[str]]] = {
    "delivery": (
        ["Fast delivery, the parcel arrived the next day.", "Delivery was on time and the parcel well packed."],
        [
            "The delivery was late again and the parcel was damaged.",
            "My parcel arrived a week late, slow delivery.",
            "Late delivery and the courier never called about the parcel.",
        ],
    ),
    "price": (
        ["Fair prices for the quality.", "Good value, the price is fair."],
        [
            "Prices are too high compared to other shops.",
            "Too expensive, the price went up again this year.",
            "The subscription price is too high for what you get.",
        ],
    ),
    "staff": (
        [
            "The staff in the shop were friendly and helpful.",
            "Very helpful staff, friendly and patient with my questions.",
            "Friendly staff who really helped me choose.",
        ],
        ["The staff at the counter were not helpful and a bit rude."],
    ),
    "app": (
        ["Ordering in the mobile app is easy."],
        [
            "The mobile app keeps crashing at checkout.",
            "The app is slow and the login fails in the mobile app.",
            "Checkout in the app failed twice, the app needs fixing.",
        ],
    ),
}
FRENCH = ["Livraison rapide, merci.", "Les prix sont trop élevés.", "Personnel très aimable en magasin."]


def _customer_list(rng: random.Random) -> bytes:
    lines = ["external_id,name,email,language,country"]
    for number in range(1, CUSTOMERS + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        language = "fr" if number % 12 == 0 else "en"
        lines.append(f"C{number:04d},{first} {last},customer{number:04d}@example.net,{language},GB")
    return ("\n".join(lines) + "\n").encode()


def _comment(rng: random.Random, score: int, language: str) -> str:
    if language == "fr":
        return rng.choice(FRENCH)
    if rng.random() < 0.08:
        return ""
    satisfied = score >= 4
    topic = rng.choice(list(TOPICS))
    good, bad = TOPICS[topic]
    return rng.choice(good if satisfied else bad)


def demo_client_surveys_load(*, end: datetime, seed: int) -> tuple[int, int]:
    """The client's customer list, its CSAT waves and their answers; nothing when a client already has customers
    (a second demo load). Returns (invitations, responses)."""
    rng = random.Random(seed * 104729 + 3)
    survey = Survey.objects.filter(kind=SurveyKind.CSAT, is_active=True).first()
    if survey is None or Campaign.objects.filter(client__isnull=False).exists():
        return 0, 0
    clients = (
        Account.objects.filter(service_model=ServiceModel.CLIENT, owner__isnull=False, served_for__isnull=True)
        .annotate(customers=Count("served_accounts"), contact_count=Count("contacts"))
        .filter(contact_count__gt=0)
        .select_related("owner")
        .order_by("customers", "id")
    )
    client = clients.first()
    if client is None:
        return 0, 0
    customer_list_upload(client=client, source=io.BytesIO(_customer_list(rng)), actor=client.owner)
    customers = list(Account.objects.filter(served_for=client).order_by("id"))
    contacts = {contact.account_id: contact for contact in Contact.objects.filter(account__served_for=client)}
    expiry = timedelta(days=int(settings.CAREFRONT_SURVEY_LINK_DAYS))
    invitations: list[Invitation] = []
    responses: list[Response] = []
    per_wave = CUSTOMERS // WAVES
    for wave in range(WAVES):
        sent = end - timedelta(days=30 * (WAVES - wave) - 2)
        campaign = client_campaign_create(
            actor=client.owner,
            client=client,
            survey_id=survey.pk,
            starts_at=sent,
            name=f"{client.name}: customer CSAT, wave {wave + 1}",
        )
        Campaign.objects.filter(pk=campaign.pk).update(next_run_at=None, last_run_at=sent)
        for account in customers[wave * per_wave : (wave + 1) * per_wave]:
            contact = contacts[account.pk]
            invitation = Invitation(
                key=f"campaign:{campaign.pk}:account:{account.pk}",
                survey=survey,
                kind=SurveyKind.CSAT,
                campaign=campaign,
                reason=InvitationReason.CAMPAIGN,
                account=account,
                contact=contact,
                language=contact.language,
                state=InvitationState.SENT,
                created_at=sent,
                sent_at=sent,
                expires_at=sent + expiry,
            )
            invitations.append(invitation)
            if rng.random() > ANSWER_RATE:
                continue
            # Satisfaction climbs a little from wave to wave.
            score = rng.choices([5, 4, 3, 2, 1], weights=[30 + 8 * wave, 25, 12, 12 - 3 * wave, 8 - 2 * wave])[0]
            at = sent + timedelta(hours=rng.randint(1, 72))
            invitation.answered_at = at
            invitation.answer_score = score
            responses.append(
                Response(
                    invitation=invitation,
                    survey=survey,
                    kind=SurveyKind.CSAT,
                    score=score,
                    comment=_comment(rng, score, contact.language),
                    account=account,
                    contact=contact,
                    language=contact.language,
                    created_at=at,
                    updated_at=at,
                    submitted_at=at,
                )
            )
    Invitation.objects.bulk_create(invitations)
    Response.objects.bulk_create(responses)
    return len(invitations), len(responses)
