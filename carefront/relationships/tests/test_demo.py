"""The demo's relationships: the three engagements the issue names, each held up by what its client owes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db.models import F

from carefront.accounts.models import Account
from carefront.core.demo import demo_load
from carefront.relationships.incident_selectors import incident_detail, incidents_log
from carefront.relationships.models import (
    AdvisorRecommendation,
    CheckIn,
    ClientGoal,
    ClientProfile,
    Commitment,
    Dependency,
    Engagement,
    Incident,
    KeyPerson,
    Milestone,
    ProfileField,
    RecommendationRun,
)
from carefront.relationships.selectors import waiting_report
from carefront.relationships.selectors_profile import goals_due_within, services_renewing_within

TODAY = date(2025, 6, 30)
END = datetime(2025, 6, 30, tzinfo=UTC)


def test_the_demo_has_blocked_engagements_and_kept_late_and_dropped_commitments(
    db: Any, django_capture_on_commit_callbacks: Any, morgan: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        demo_load(seed=11, accounts=40, today=TODAY)
    assert callbacks == []  # no reminder or notification about the past is queued
    engagements = {e.kind: e for e in Engagement.objects.all()}
    assert set(engagements) == {"survey", "call_review", "training"}
    blocked = dict(Dependency.objects.values_list("engagement__kind", "what"))
    assert blocked == {
        "survey": "Customer list for the survey",
        "call_review": "Secure access to the call recordings",
        "training": "Eight support staff released from the phones for two half-days",
    }
    assert set(Dependency.objects.values_list("engagement__kind", "state")) == {
        ("survey", "open"),
        ("call_review", "open"),
        ("training", "received"),
    }
    # The training's second module waited 21 days for the client's staff: its due date moved on by as much.
    module = Milestone.objects.get(title="Module 2: product deep-dive")
    assert module.due_at - module.promised_due_at == timedelta(days=21)
    states = set(Commitment.objects.values_list("state", flat=True))
    assert states == {"open", "done", "late", "dropped"}
    late = dict(Commitment.objects.filter(state="late").values_list("title", "done_at"))
    assert late["Share the sampling plan"] == END - timedelta(days=9)  # delivered three days after it was due
    assert late["Attendance certificates"] is None  # still owed, past its date
    # Fortnightly calls: each held but the last, which was missed; the first one's next step became a commitment.
    check_ins = list(
        CheckIn.objects.filter(scheduled_at__lt=END).order_by("cadence", "scheduled_at").values_list("cadence", "state")
    )
    assert check_ins and {state for _cadence, state in check_ins} == {"held", "missed"}
    for cadence in {cadence for cadence, _state in check_ins}:
        assert [state for one, state in check_ins if one == cadence][-1] == "missed"
    assert Commitment.objects.filter(check_in__isnull=False).count() == len({cadence for cadence, _state in check_ins})
    report = {row.label: row.hours for row in waiting_report(user=morgan, by="engagement", now=END).rows}
    assert report["Support staff training programme"] == 21 * 24
    assert report["Customer satisfaction survey"] == 20 * 24
    # Every advisor with clients starts the demo with a morning list; the late customer list is on it.
    advisors = set(Account.objects.filter(service_model="client").values_list("owner_id", flat=True))
    assert set(AdvisorRecommendation.objects.values_list("advisor_id", flat=True)) <= advisors
    assert AdvisorRecommendation.objects.filter(
        kind="dependency_late", facts__what="Customer list for the survey"
    ).exists()
    assert RecommendationRun.objects.filter(advisor_id__in=advisors).count() == len(advisors)


def test_the_demo_has_one_incident_told_to_some_and_remedied_for_one(db: Any, morgan: Any) -> None:
    demo_load(seed=11, accounts=40, today=TODAY)
    incident = Incident.objects.get()
    log: Any = incidents_log(user=morgan).get(pk=incident.pk)
    assert (incident.title, incident.severity) == ("Invoices charged twice", "high")
    assert (log.affected_count, log.told_count, log.remedied_count, log.clients_untold) == (3, 2, 1, 1)
    assert not incident_detail(user=morgan, incident_id=incident.pk).fully_disclosed


def test_the_demo_plans_its_calls_on_a_weekday_whatever_day_it_is_loaded(db: Any, morgan: Any) -> None:
    """Loaded on a Sunday seventy days after a Sunday (2026-12-06), the fortnightly calls still start on a weekday,
    inside the advisors' working week, and are held."""
    demo_load(seed=11, accounts=40, today=date(2026, 12, 6))
    states = set(CheckIn.objects.values_list("state", flat=True))
    assert {"held", "missed"} <= states
    assert all(moment.isoweekday() <= 5 for moment in CheckIn.objects.values_list("scheduled_at", flat=True))


def test_the_demo_has_follow_up_rules_and_follow_ups_sent_and_skipped(db: Any) -> None:
    from carefront.relationships.models import FollowUp, FollowUpRule

    demo_load(seed=11, accounts=40, today=TODAY)
    assert set(FollowUpRule.objects.values_list("event", flat=True)) == {
        "ticket_solved",
        "first_order",
        "nth_order",
        "check_in_held",
    }
    states = set(FollowUp.objects.values_list("state", flat=True))
    assert {"sent", "skipped"} <= states
    assert FollowUp.objects.filter(rule__event="ticket_solved", state="sent").exists()


def test_the_demo_clients_have_profiles_with_goals_near_and_renewals_coming(db: Any, morgan: Any) -> None:
    demo_load(seed=11, accounts=40, today=TODAY)
    clients = Account.objects.filter(service_model="client")
    assert clients.exists()
    assert ClientProfile.objects.count() == clients.count()
    assert set(ProfileField.objects.values_list("kind", flat=True)) >= {"choice", "number"}
    assert all(
        profile.fields.get("support_tier") in {"Gold", "Silver", "Bronze"} for profile in ClientProfile.objects.all()
    )
    assert goals_due_within(account_ids=None, days=14, today=TODAY).exists()
    assert ClientGoal.objects.filter(state="open", target_date__lt=TODAY).exists()  # one already past its date
    renewals = services_renewing_within(account_ids=None, days=60, today=TODAY)
    assert renewals.filter(renews_on__gte=TODAY + timedelta(days=30)).exists()
    assert KeyPerson.objects.filter(role="decision_maker").count() >= 1
    assert not KeyPerson.objects.exclude(contact__account_id=F("account_id")).exists()
