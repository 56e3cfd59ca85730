"""The counts the scorecards read: CSAT on the invitations sent in the period (answers and 4–5s among them), NPS on
the answers received in it, narrowed by the account and ticket filters, in two queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from carefront.accounts.models import Account, Contact
from carefront.accounts.services import contact_create
from carefront.desk.services import ticket_create
from carefront.feedback.metrics import feedback_counts
from carefront.feedback.models import InvitationReason
from carefront.feedback.services import survey_create
from carefront.feedback.services_answers import response_record_score
from carefront.feedback.services_sending import invitation_send
from carefront.feedback.tests.conftest import NOW
from carefront.insights.metrics.providers import SurveyCounts

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Period:
    """The fields of the metrics' MetricFilters that matter here."""

    start: datetime
    end: datetime
    team: int | None = None
    agent: int | None = None
    advisor: int | None = None
    segment: str | None = None
    service_model: str | None = None
    channel: str | None = None
    tier: int | None = None


def test_counts_for_the_period_and_filters_in_two_queries(
    clock: Any, acme: Account, carol: Contact, alice: Any, bob: Any, morgan: Any, django_assert_num_queries: Any
) -> None:
    csat = survey_create(actor=morgan, kind="csat", name="CSAT")
    nps = survey_create(actor=morgan, kind="nps", name="NPS")

    def ask(survey: Any, score: int | None, *, agent: Any = None, days: int = 0) -> None:
        contact = contact_create(
            actor=None, account=acme, name="P", email=f"p{NOW.timestamp() + days}{score}@x.example"
        )
        ticket = ticket_create(actor=None, requester=contact, subject="x", body="x") if survey is csat else None
        invitation = invitation_send(
            key=f"m-{survey.kind}-{score}-{days}-{getattr(agent, 'pk', 0)}",
            survey=survey,
            reason=InvitationReason.CAMPAIGN,
            account=acme,
            contact=contact,
            ticket=ticket,
            agent=agent,
            now=NOW - timedelta(days=days),
        )
        if score is not None:
            response_record_score(invitation=invitation, score=score, now=NOW - timedelta(days=days))

    ask(csat, 5, agent=alice)
    ask(csat, 4, agent=alice)
    ask(csat, 2, agent=bob)
    ask(csat, None, agent=bob)  # not answered
    ask(csat, 5, agent=alice, days=40)  # before the period
    for score in (10, 9, 7, 3):
        ask(nps, score)
    period = Period(start=NOW - timedelta(days=30), end=NOW + timedelta(hours=1))
    with django_assert_num_queries(2):
        counts = feedback_counts(period)
    assert counts == SurveyCounts(
        csat_invitations=4, csat_answers=3, csat_satisfied=2, nps_answers=4, nps_promoters=2, nps_detractors=1
    )
    # Each scorecard asks for its own counts only: one query each.
    with django_assert_num_queries(1):
        assert feedback_counts(period, nps=False) == SurveyCounts(csat_invitations=4, csat_answers=3, csat_satisfied=2)
    with django_assert_num_queries(1):
        assert feedback_counts(period, csat=False) == SurveyCounts(nps_answers=4, nps_promoters=2, nps_detractors=1)
    by_alice = feedback_counts(Period(start=period.start, end=period.end, agent=alice.pk))
    assert (by_alice.csat_invitations, by_alice.csat_satisfied) == (2, 2)
    # NPS answers have no ticket: a ticket filter narrows CSAT only.
    assert by_alice.nps_answers == 4
    clients_only = feedback_counts(Period(start=period.start, end=period.end, service_model="client"))
    assert clients_only == SurveyCounts()  # Acme is a customer


def test_an_answer_moves_csat_on_the_service_scorecard(
    clock: Any, acme: Account, carol: Contact, alice: Any, morgan: Any
) -> None:
    """GIVEN a CSAT invitation sent today WHEN it is answered 5 THEN the scorecard's CSAT (read through the provider
    the feedback app registers at start) goes from no data to 100 %, with one answer of one invitation."""
    from carefront.insights.metrics.definitions import metric_filters_build
    from carefront.insights.metrics.service import service_scorecard

    csat = survey_create(actor=morgan, kind="csat", name="CSAT")
    ticket = ticket_create(actor=None, requester=carol, subject="x", body="x")
    invitation = invitation_send(
        key="scorecard",
        survey=csat,
        reason=InvitationReason.CAMPAIGN,
        account=acme,
        contact=carol,
        ticket=ticket,
        agent=alice,
        now=NOW,
    )
    filters = metric_filters_build(start=NOW.date() - timedelta(days=1), end=NOW.date() + timedelta(days=1))

    def figures() -> dict[str, Any]:
        return {item.name: item for item in service_scorecard(filters=filters)}

    before = figures()
    assert before["csat"].value is None
    assert before["csat_response_rate"].value == 0
    response_record_score(invitation=invitation, score=5, now=NOW)
    after = figures()
    assert after["csat"].value == 100
    assert after["csat_response_rate"].value == 100


def test_the_scorecards_csat_counts_the_invitations_the_drill_down_lists_under_every_filter(
    clock: Any,
    acme: Account,
    globex_client: Account,
    carol: Contact,
    alice: Any,
    bob: Any,
    morgan: Any,
    front_line: Any,
) -> None:
    """GIVEN CSAT invitations of tickets of two teams, channels and tiers, for a customer and a client, one whose
    ticket was merged since, one whose ticket was deleted, one asked on a client's behalf, some answered and the
    days stored by the queue, then one more answered
    WHEN the service scorecard counts CSAT under each filter
    THEN it counts exactly the invitations `csat_invitations()` lists (the drill-down's rows) and their answers."""
    from carefront.core.models import Team
    from carefront.desk.conversation_services import ticket_merge
    from carefront.desk.models import Ticket
    from carefront.feedback.metrics import csat_invitations
    from carefront.feedback.models import Invitation
    from carefront.feedback.services_clients import client_campaign_create
    from carefront.insights.metrics.definitions import metric_filters_build
    from carefront.insights.metrics.service import service_scorecard
    from carefront.insights.services_facts import fact_days_refresh_all

    survey = survey_create(actor=morgan, kind="csat", name="CSAT")
    specialists = Team.objects.create(name="Specialists")
    on_behalf = client_campaign_create(actor=None, client=globex_client, survey_id=survey.pk, starts_at=NOW)
    invitations, tickets = [], []
    for number, (account, team, channel, tier, agent, score, days) in enumerate(
        [
            (acme, front_line, "email", 1, alice, 5, 0),
            (acme, front_line, "chat", 1, alice, 2, 1),
            (acme, specialists, "email", 2, bob, 4, 2),
            (globex_client, specialists, "chat", 2, bob, None, 3),
            (globex_client, front_line, "email", 3, alice, 1, 4),
            (acme, specialists, "email", 1, bob, 5, 5),
            (acme, front_line, "email", 1, alice, 4, 45),  # before the period
        ]
    ):
        contact = contact_create(actor=None, account=account, name="P", email=f"csat{number}@x.example")
        ticket = ticket_create(actor=None, requester=contact, subject=f"#{number}", body="x")
        Ticket.objects.filter(pk=ticket.pk).update(team=team, channel=channel, tier=tier)
        invitation = invitation_send(
            key=f"facts-{number}",
            survey=survey,
            reason=InvitationReason.TICKET_SOLVED,
            account=account,
            contact=contact,
            ticket=ticket,
            agent=agent,
            now=NOW - timedelta(days=days),
            campaign=on_behalf if number == 4 else None,
        )
        if score is not None:
            response_record_score(invitation=invitation, score=score, now=NOW - timedelta(days=days))
        invitations.append(invitation)
        tickets.append(ticket)
    # Ticket 1 merged into ticket 2 since (the invitation keeps its merged ticket); ticket 5's deleted.
    ticket_merge(source=tickets[1], target=tickets[2], actor=morgan)
    Ticket.objects.filter(pk=tickets[5].pk).delete()
    fact_days_refresh_all()
    unanswered = Invitation.objects.get(pk=invitations[3].pk)
    response_record_score(invitation=unanswered, score=4, now=NOW)

    start, end = NOW.date() - timedelta(days=30), NOW.date() + timedelta(days=1)
    filter_sets: list[dict[str, Any]] = [
        {},
        {"team": front_line.pk},
        {"team": specialists.pk},
        {"channel": "chat"},
        {"tier": 2},
        {"agent": alice.pk},
        {"agent": bob.pk, "team": specialists.pk},
        {"service_model": "client"},
        {"service_model": "customer", "channel": "email"},
    ]
    seen = set()
    for extra in filter_sets:
        filters = metric_filters_build(start=start, end=end, **extra)
        figures = {item.name: item for item in service_scorecard(filters=filters)}
        listed = csat_invitations(filters)
        sent = listed.count()
        answered = listed.filter(answer_score__isnull=False)
        satisfied = answered.filter(answer_score__gte=4).count()
        assert figures["csat_response_rate"].count == sent, extra
        assert figures["csat"].count == answered.count(), extra
        expected = 100 * satisfied / answered.count() if answered.count() else None
        assert figures["csat"].value == expected, extra
        seen.add((sent, answered.count(), satisfied))
    # The filters told the invitations apart (not every set counted alike).
    assert len(seen) >= 4
    whole = {item.name: item for item in service_scorecard(filters=metric_filters_build(start=start, end=end))}
    # Six invitations in the period but the one on the client's behalf; five answered (one after the days were stored).
    assert (whole["csat_response_rate"].count, whole["csat"].count) == (5, 5)
