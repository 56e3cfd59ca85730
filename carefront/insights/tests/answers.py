"""Survey answers made for the dashboards' tests: an invitation sent at a moment and answered with a score and an
optional comment, through the feedback app's own services."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from carefront.accounts.models import Account, Contact
from carefront.accounts.services import contact_create
from carefront.desk.models import Ticket
from carefront.feedback.models import InvitationReason, Response, Survey
from carefront.feedback.services_answers import response_record_score, response_submit
from carefront.feedback.services_sending import invitation_send

_numbers = itertools.count(1)


def answer(
    *,
    survey: Survey,
    account: Account,
    at: datetime,
    score: int | None,
    comment: str = "",
    ticket: Ticket | None = None,
    agent: Any = None,
    contact: Contact | None = None,
) -> Response | None:
    """An invitation of `survey` sent at `at`, answered `score` (None: unanswered) with `comment`."""
    number = next(_numbers)
    if contact is None:
        contact = contact_create(actor=None, account=account, name=f"P{number}", email=f"p{number}@answers.example")
    invitation = invitation_send(
        key=f"dash-{number}",
        survey=survey,
        reason=InvitationReason.CAMPAIGN,
        account=account,
        contact=contact,
        ticket=ticket,
        agent=agent,
        now=at,
    )
    if score is None:
        return None
    if comment:
        return response_submit(invitation=invitation, score=score, comment=comment, now=at)
    return response_record_score(invitation=invitation, score=score, now=at)
