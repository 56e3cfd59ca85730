"""A deflection is an L0 resolution: the tier report (selector, screen and API) counts the period's ones."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from carefront.desk.selectors import tier_report
from carefront.desk.services import ticket_create, ticket_reply
from carefront.knowledge.models import Article, Deflection
from carefront.knowledge.services import deflection_record

pytestmark = pytest.mark.django_db


def test_deflections_in_the_period_are_l0_resolutions(
    tracking: Article,
    carol: Any,
    charlie: Any,
    portal_user_for: Any,
    alice: Any,
    morgan: Any,
    api_client: Any,
) -> None:
    """GIVEN two deflections now, one a month ago, and a ticket solved at L1
    WHEN the tier report covers the last day
    THEN L0 shows two resolutions and L1 one, in the selector, the API and the Reports screen.
    """
    since = timezone.now() - timedelta(days=1)
    old = deflection_record(article=tracking, user=portal_user_for(carol), subject="Old", language="en")
    Deflection.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30))
    for contact, subject in ((carol, "Where is my parcel?"), (charlie, "Track order")):
        deflection_record(article=tracking, user=portal_user_for(contact), subject=subject, language="en")
    ticket = ticket_create(actor=alice, requester=carol, subject="Broken", body="Broken.")
    ticket_reply(ticket=ticket, staff=alice, body="Fixed.", status="solved")

    lines = {line.tier: line for line in tier_report(since=since, until=timezone.now() + timedelta(minutes=1))}
    assert (lines[0].resolved, lines[1].resolved) == (2, 1)

    report = api_client(morgan).get("/api/v1/reports/tiers", {"days": 1}).json()
    assert [line["resolved"] for line in report][:2] == [2, 1]

    manager = Client()
    manager.force_login(morgan)
    page = manager.get("/reports/tiers/", {"days": 1}).content.decode()
    l0_row = page.split('data-tier="0"', 1)[1].split("</tr>", 1)[0]
    assert "<td>2</td>" in l0_row
