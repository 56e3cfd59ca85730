"""The demo's surveys: CSAT and NPS answers over the last months, in English and French, linked to the demo's
tickets, agents, clients and advisors, so the scorecards show something believable (neither empty nor perfect)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from carefront.core.demo import demo_load
from carefront.feedback.models import Campaign, Invitation, Response, Survey
from carefront.feedback.selectors_clients import client_report

TODAY = date(2025, 6, 30)
END = datetime(2025, 6, 30, tzinfo=UTC)


@pytest.mark.django_db
def test_the_demo_has_surveys_campaigns_and_a_believable_spread_of_answers(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        demo_load(seed=11, accounts=40, today=TODAY)
    assert callbacks == []  # no survey about the past is emailed
    assert set(Survey.objects.values_list("kind", "is_active")) == {
        ("csat", True),
        ("nps", True),
        ("ces", True),
        ("custom", False),
    }
    assert set(Campaign.objects.values_list("trigger", flat=True)) == {"schedule", "nth_order", "client_customers"}
    # The surveys of a client's own customers are checked below; these are ours.
    csat = Response.objects.filter(kind="csat", invitation__campaign__client__isnull=True)
    nps = Response.objects.filter(kind="nps")
    assert csat.count() >= 6 and nps.count() >= 3
    satisfied = csat.filter(score__gte=4).count() / csat.count()
    assert 0.3 <= satisfied < 1  # mostly satisfied over the 200 accounts of `carefront demo`, never all
    promoters = nps.filter(score__gte=9).count()
    assert 0 < promoters < nps.count()  # promoters, and others
    assert not csat.filter(ticket__isnull=True).exists()
    # Each about the ticket's assignee (a ticket solved unassigned has none).
    assert csat.filter(agent__isnull=False).count() >= csat.count() - 2
    assert nps.filter(advisor__isnull=False).count() == nps.count()
    assert Response.objects.filter(created_at__gt=END).count() == 0
    assert Response.objects.filter(created_at__lt=END - timedelta(days=400)).count() == 0
    assert set(Response.objects.exclude(comment="").values_list("language", flat=True)) == {"en", "fr"}
    sent = Invitation.objects.filter(state="sent").count()
    assert csat.count() + nps.count() < sent  # a response rate below 100 %
    # One client's customers surveyed on its behalf, with enough comments for the report to find themes.
    campaign = Campaign.objects.filter(client__isnull=False).select_related("client").first()
    assert campaign is not None and campaign.client is not None
    client = campaign.client
    report = client_report(client=client)
    assert report.customers >= 60 and report.sent == 60
    assert 30 <= report.answered <= 50 and report.csat is not None and report.csat.count == report.answered
    assert len(report.months) == 3 and report.has_themes
    english = next(group for group in report.themes if group.language == "en")
    assert len(english.themes) >= 3
    assert not Invitation.objects.filter(campaign__client=client).exclude(account__served_for=client).exists()
