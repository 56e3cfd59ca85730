"""The demo's follow-ups: four rules a business would start with, and some follow-ups of the story's past, sent or
skipped, as the job would have left them (history: nothing is queued, no email goes out)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from carefront.accounts.models import Order
from carefront.desk.models import Status, Ticket
from carefront.relationships.models import FollowUp, FollowUpState, Interaction, SkipReason
from carefront.relationships.services_followups import (
    CHECK_IN_HELD,
    ORDER_CREATED,
    TICKET_SOLVED,
    followup_rule_create,
    followups_schedule,
)

RULES = (
    (
        "Did this fix it?",
        "ticket_solved",
        None,
        2 * 24 * 60,
        {
            "en": {
                "subject": "Did this fix it? (#{{ ticket_number }})",
                "body": "Hello {{ contact_name }},\n\nWe marked “{{ ticket_subject }}” as solved two days ago. Did "
                "this fix it? If not, simply reply to this email and we will pick it up again.\n\n{{ sender_name }}",
            },
            "fr": {
                "subject": "Est-ce réglé ? (#{{ ticket_number }})",
                "body": "Bonjour {{ contact_name }},\n\nNous avons résolu « {{ ticket_subject }} » il y a deux jours. "
                "Est-ce bien réglé ? Sinon, répondez simplement à ce message.\n\n{{ sender_name }}",
            },
        },
    ),
    (
        "Welcome",
        "first_order",
        None,
        60,
        {
            "en": {
                "subject": "Welcome to us, {{ contact_name }}",
                "body": "Thank you for your first order ({{ order_number }}, {{ order_amount }}). Reply to this "
                "email with any question: a person reads it.\n\n{{ sender_name }}",
            }
        },
    ),
    (
        "Third order: thank you",
        "nth_order",
        3,
        24 * 60,
        {
            "en": {
                "subject": "Thank you for coming back",
                "body": "{{ contact_name }}, this is your third order with us ({{ order_number }}). Thank you for "
                "your trust.\n\n{{ sender_name }}",
            }
        },
    ),
    (
        "Check-in summary",
        "check_in_held",
        None,
        120,
        {
            "en": {
                "subject": "Our conversation: summary and next steps",
                "body": "Hello {{ contact_name }},\n\nThank you for your time. What we agreed: {{ check_in_summary }}"
                "\n\nNext steps:\n{{ next_steps }}\n\n{% if goals %}With your goals in mind: {{ goals }}\n\n{% endif %}"
                "{{ advisor_name }}",
            }
        },
    ),
)


def demo_followups_load(*, end: datetime, travel: Callable[[datetime], None]) -> int:
    """Write the rules, then schedule the follow-ups of a few past events and mark them as the job would have:
    sent, or skipped within the quiet period. Returns how many follow-ups."""
    travel(end - timedelta(days=60))
    for name, event, count, delay, templates in RULES:
        followup_rule_create(
            actor=None, name=name, event=event, order_count=count, delay_minutes=delay, templates=templates
        )
    last = end - timedelta(minutes=1)
    travel(last)
    solved = Ticket.objects.filter(status__in=[Status.SOLVED, Status.CLOSED], solved_at__isnull=False)
    for ticket_id in solved.order_by("-solved_at").values_list("pk", flat=True)[:12]:
        # A closed ticket was solved first: the follow-up was asked about while it was solved.
        Ticket.objects.filter(pk=ticket_id, status=Status.CLOSED).update(status=Status.SOLVED)
        followups_schedule(event=TICKET_SOLVED, object_id=ticket_id)
        Ticket.objects.filter(pk=ticket_id, closed_at__isnull=False).update(status=Status.CLOSED)
    # The latest orders: each one a first, a third or another (which no rule answers).
    for order_id in Order.objects.order_by("-placed_at", "-id").values_list("pk", flat=True)[:20]:
        followups_schedule(event=ORDER_CREATED, object_id=order_id)
    for interaction_id in Interaction.objects.filter(check_in__isnull=False).values_list("pk", flat=True)[:6]:
        followups_schedule(event=CHECK_IN_HELD, object_id=interaction_id)
    seen: set[int] = set()
    rows = list(FollowUp.objects.select_related("contact").order_by("scheduled_at", "id"))
    for followup in rows:
        moment = min(followup.scheduled_at, last)
        if followup.contact_id in seen:
            followup.state, followup.skip_reason = FollowUpState.SKIPPED, SkipReason.QUIET_PERIOD
        elif not followup.contact.email:
            followup.state, followup.skip_reason = FollowUpState.SKIPPED, SkipReason.NO_EMAIL
        else:
            followup.state, followup.sent_at, followup.language = FollowUpState.SENT, moment, "en"
            seen.add(followup.contact_id)
    FollowUp.objects.bulk_update(rows, ["state", "skip_reason", "sent_at", "language"])
    return len(rows)
