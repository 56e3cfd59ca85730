"""`carefront demo`: deterministic, varied, consistent demo data, loaded once."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction

from carefront.accounts.models import Account, Channel, Contact, LifecycleStage, Order, OrderItem, ServiceModel
from carefront.core.demo import DemoSummary, demo_load
from carefront.core.models import CostRate, Event, Role, Team
from carefront.desk.automation_services import automations_run
from carefront.desk.models import (
    Automation,
    AutomationFiring,
    Message,
    Priority,
    RoutingRule,
    Status,
    TeamAssignment,
    Ticket,
    Tier,
    Visibility,
)
from carefront.insights.models import AccountInsight, Advice, GoalCheck, GoalState, Review, TeamGoal

User = get_user_model()

TODAY = date(2025, 6, 30)
END = datetime(2025, 6, 30, tzinfo=UTC)
ACCOUNTS = 60
CLIENT_CUSTOMERS = 60  # feedback/demo_clients.py: one client's list of its own customers
CLIENT_CUSTOMER_ID = "client-"  # the import keeps a client's ids for its customers as client-<pk>:<id>

# A few words each language's demo messages cannot do without; two of them mark a message as that language.
LANGUAGE_WORDS = {
    "en": {"the", "and", "your", "you", "our", "thank"},
    "fr": {"le", "la", "les", "de", "votre", "vous", "nous", "merci"},
    "de": {"die", "der", "und", "ich", "sie", "ihr", "ihre", "wir"},
    "es": {"el", "la", "los", "que", "su", "de", "gracias", "hemos"},
}


class _Rollback(Exception):
    pass


def _without_client_pk(rows: Iterable[Any]) -> list[Any]:
    """A client's customers keep their ids as client-<pk>:<id>; PostgreSQL does not roll back its sequences, so a
    second load gives the client another pk: the fingerprint compares the ids without it."""
    return [(re.sub(r"^client-\d+:", "client-:", row[0]) if row[0] else row[0], *row[1:]) for row in rows]


def _fingerprint() -> dict[str, list[Any]]:
    return {
        "accounts": _without_client_pk(
            Account.objects.order_by("external_id").values_list(
                "external_id",
                "name",
                "kind",
                "service_model",
                "lifecycle_stage",
                "locale",
                "country",
                "created_at",
                "served_for__external_id",
            )
        ),
        "contacts": _without_client_pk(
            Contact.objects.order_by("external_id").values_list("external_id", "name", "email", "phone", "language")
        ),
        "orders": list(
            Order.objects.order_by("external_id").values_list("external_id", "amount", "currency", "placed_at")
        ),
        "tickets": list(
            Ticket.objects.order_by("number").values_list(
                "number", "subject", "status", "tier", "channel", "priority", "created_at", "solved_at"
            )
        ),
        "messages": list(
            Message.objects.order_by("ticket__number", "id").values_list("body_text", "visibility", "created_at")
        ),
    }


def _fresh_fingerprint(seed: int) -> dict[str, list[Any]]:
    """Load into an empty database, fingerprint it, and roll everything back."""
    assert not Account.objects.exists()
    result: dict[str, list[Any]] = {}
    try:
        with transaction.atomic():
            demo_load(seed=seed, accounts=ACCOUNTS, today=TODAY)
            result = _fingerprint()
            raise _Rollback
    except _Rollback:
        pass
    return result


@pytest.fixture(scope="class")
def loaded(django_db_setup: Any, django_db_blocker: Any) -> Iterator[DemoSummary]:
    """One load shared by the read-only checks of a class, rolled back after its last test.

    Each test's own `db` transaction nests inside this one as a savepoint, so a test cannot leak
    into the next, and the tests outside the class start from an empty database.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        yield demo_load(seed=7, accounts=ACCOUNTS, today=TODAY)
        transaction.set_rollback(True)


def test_same_seed_and_today_give_identical_data_and_another_seed_does_not(db: Any) -> None:
    first = _fresh_fingerprint(7)
    second = _fresh_fingerprint(7)
    other = _fresh_fingerprint(8)

    # The accounts asked for, and a demo client's own customers (served for it) on top.
    listed = [row for row in first["accounts"] if row[0].startswith(CLIENT_CUSTOMER_ID)]
    assert (len(first["accounts"]) - len(listed), len(listed)) == (ACCOUNTS, CLIENT_CUSTOMERS)
    assert all(row[-1] is not None for row in listed)
    assert first["tickets"] and first["messages"] and first["orders"]
    assert first == second
    assert [row[1] for row in other["accounts"]] != [row[1] for row in first["accounts"]]


@pytest.mark.usefixtures("db")
class TestLoadedDemo:
    def test_summary_matches_what_was_written(self, loaded: DemoSummary) -> None:
        listed = Account.objects.filter(external_id__startswith=CLIENT_CUSTOMER_ID, served_for__isnull=False)
        assert loaded.accounts == Account.objects.exclude(pk__in=listed.values("pk")).count() == ACCOUNTS
        assert listed.count() == CLIENT_CUSTOMERS
        assert loaded.contacts == Contact.objects.exclude(account__in=listed).count()
        assert Contact.objects.filter(account__in=listed).count() == CLIENT_CUSTOMERS  # one contact each
        assert loaded.orders == Order.objects.count()
        assert loaded.order_items == OrderItem.objects.count()
        assert loaded.tickets == Ticket.objects.count()
        assert loaded.messages == Message.objects.count()
        assert loaded.clients == Account.objects.filter(service_model=ServiceModel.CLIENT).count()

    def test_team_goals_show_progress_from_weekly_checks(self, loaded: DemoSummary) -> None:
        goals = TeamGoal.objects.all()
        assert goals.count() >= 2
        assert not goals.filter(state=GoalState.PENDING).exists()
        for goal in goals:
            assert GoalCheck.objects.filter(goal=goal, value__isnull=False).count() >= 2

    def test_accounts_span_both_service_models_kinds_countries_and_time_zones(self, loaded: DemoSummary) -> None:
        accounts = Account.objects.all()
        assert set(accounts.values_list("service_model", flat=True)) == set(ServiceModel.values)
        assert set(accounts.values_list("kind", flat=True)) == {"person", "organisation"}
        assert len(set(accounts.values_list("country", flat=True))) >= 4
        assert len(set(accounts.values_list("time_zone", flat=True))) >= 4
        assert {"en", "fr", "de", "es"} <= {locale[:2] for locale in accounts.values_list("locale", flat=True)}
        assert {"prospect", "new", "repeat", "client"} <= set(accounts.values_list("lifecycle_stage", flat=True))
        assert not accounts.filter(external_id__isnull=True).exists()
        assert not Contact.objects.filter(external_id__isnull=True).exists()

    def test_clients_are_owned_by_advisors_and_some_became_clients_with_a_reason(self, loaded: DemoSummary) -> None:
        clients = Account.objects.filter(service_model=ServiceModel.CLIENT).select_related("owner__staff_profile")
        assert clients.exists()
        for client in clients:
            assert client.owner is not None and client.owner.staff_profile.role == Role.ADVISOR
            assert client.lifecycle_stage == LifecycleStage.CLIENT
        changes = Event.objects.filter(subject_kind="account", field="service_model", new_value=ServiceModel.CLIENT)
        assert changes.exists()
        assert all(change.reason and change.actor is not None for change in changes)

    def test_some_accounts_are_served_for_a_client(self, loaded: DemoSummary) -> None:
        served = Account.objects.filter(served_for__isnull=False).select_related("served_for")
        assert served.exists()
        payers = Account.objects.filter(served_accounts__in=served).distinct()
        assert set(payers.values_list("service_model", flat=True)) == {ServiceModel.CLIENT}

    def test_orders_have_categorised_items_that_add_up(self, loaded: DemoSummary) -> None:
        assert Order.objects.exists()
        assert not Order.objects.filter(items__isnull=True).exists()
        assert not OrderItem.objects.filter(sku="").exists()
        assert not OrderItem.objects.filter(category="").exists()
        for order in Order.objects.prefetch_related("items")[:200]:
            assert order.amount == sum((i.unit_price * i.quantity for i in order.items.all()), Decimal("0"))
        assert Order.objects.filter(placed_at__lt=END - timedelta(days=600)).exists()
        assert not Order.objects.filter(placed_at__gte=END).exists()

    def test_buyers_include_one_off_repeat_high_value_and_clearly_growing_customers(self, loaded: DemoSummary) -> None:
        year_ago, two_years_ago = END - timedelta(days=365), END - timedelta(days=730)
        spend: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal("0"), Decimal("0")])
        counts: dict[int, int] = defaultdict(int)
        for account_id, placed_at, amount in Order.objects.values_list("account_id", "placed_at", "amount"):
            counts[account_id] += 1
            if placed_at >= two_years_ago:
                spend[account_id][placed_at >= year_ago] += amount
        customers = set(Account.objects.filter(service_model=ServiceModel.CUSTOMER).values_list("id", flat=True))
        growing = [a for a in customers if spend[a][0] > 0 and spend[a][1] >= 2 * spend[a][0]]
        assert growing, "no customer doubled their spend over the last twelve months"
        assert any(n == 1 for n in counts.values())
        assert any(n >= 5 for n in counts.values())
        totals = sorted(sum(pair) for pair in spend.values())
        assert totals[-1] >= 10 * totals[len(totals) // 2], "no high-value account stands out"

    def test_insights_find_customers_becoming_clients_and_clients_drifting_away(self, loaded: DemoSummary) -> None:
        insights = AccountInsight.objects.select_related("account")
        assert insights.count() == Account.objects.count()  # every account, a client's own customers too
        offered = insights.filter(advice=Advice.OFFER_CLIENT)
        assert offered.exists(), "the advisor found no customer becoming a client"
        assert all(row.account.service_model == ServiceModel.CUSTOMER for row in offered)
        assert Review.objects.filter(state=Review.State.OPEN, account__in=offered.values("account")).exists()
        at_risk = insights.filter(advice=Advice.CLIENT_AT_RISK)
        assert at_risk.exists(), "the advisor found no client drifting away"
        assert all(row.account.service_model == ServiceModel.CLIENT for row in at_risk)
        assert all(row.reasons for row in offered.union(at_risk))
        assert CostRate.objects.filter(role=Role.ADVISOR).exists()

    def test_tickets_cover_every_status_priority_tier_and_channel(self, loaded: DemoSummary) -> None:
        tickets = Ticket.objects.all()
        assert set(tickets.values_list("status", flat=True)) == set(Status.values)
        assert set(tickets.values_list("priority", flat=True)) == set(Priority.values)
        assert set(tickets.values_list("tier", flat=True)) == set(Tier.values)
        assert set(tickets.values_list("channel", flat=True)) == set(Channel.values)
        escalated = tickets.filter(tier__gte=2).select_related("team", "assignee__staff_profile")
        assert escalated.exists()
        assert all(t.team is not None and t.team.name in {"Problem solving", "Technical"} for t in escalated)

    def test_conversations_are_in_four_languages_with_staff_replies_and_internal_notes(
        self, loaded: DemoSummary
    ) -> None:
        found: set[str] = set()
        for body in Message.objects.filter(author_contact__isnull=False).values_list("body_text", flat=True):
            words = set(re.findall(r"\w+", body.lower()))
            found |= {language for language, marks in LANGUAGE_WORDS.items() if len(words & marks) >= 2}
        assert found >= {"en", "fr", "de", "es"}
        assert Message.objects.filter(author_user__isnull=False, visibility=Visibility.PUBLIC).exists()
        notes = Message.objects.filter(visibility=Visibility.INTERNAL)
        assert notes.exists()
        assert notes.filter(author_user__staff_profile__role=Role.ADVISOR).exists()

    def test_times_are_spread_over_two_years_and_consistent(self, loaded: DemoSummary) -> None:
        auto_close = timedelta(days=settings.CAREFRONT_AUTO_CLOSE_DAYS)
        tickets = list(Ticket.objects.all())
        assert min(t.created_at for t in tickets) < END - timedelta(days=500)
        assert max(t.created_at for t in tickets) > END - timedelta(days=3)
        for ticket in tickets:
            assert ticket.created_at < END
            if ticket.first_responded_at:
                assert ticket.created_at < ticket.first_responded_at < END
            if ticket.solved_at:
                assert ticket.first_responded_at is not None and ticket.first_responded_at <= ticket.solved_at < END
            if ticket.status == Status.CLOSED:
                assert ticket.solved_at is not None and ticket.closed_at is not None
                assert ticket.closed_at >= ticket.solved_at + auto_close
            if ticket.status == Status.SOLVED:
                assert ticket.solved_at is not None and ticket.solved_at > END - auto_close - timedelta(days=1)
        for message in Message.objects.select_related("ticket"):
            assert message.ticket.created_at <= message.created_at < END
        for account in Account.objects.prefetch_related("orders"):
            assert all(account.created_at <= order.placed_at for order in account.orders.all())

    def test_routing_and_automations_ship_configured_and_leave_the_old_backlog_alone(self, loaded: DemoSummary) -> None:
        assert RoutingRule.objects.filter(is_active=True).count() >= 5
        assert set(TeamAssignment.objects.values_list("strategy", flat=True)) >= {"round_robin", "skill_language"}
        assert Automation.objects.filter(is_active=True).count() >= 3
        # The automations were switched on at the end of the story, skipping what was due then: the first run
        # finds nothing to do, so nobody gets a reminder for a two-year-old ticket.
        assert AutomationFiring.objects.exists()
        assert automations_run(now=END) == {}

    def test_audit_trail_is_dated_when_things_happened(self, loaded: DemoSummary) -> None:
        created = dict(
            Event.objects.filter(subject_kind="ticket", action="created").values_list("subject_id", "occurred_at")
        )
        tickets = dict(Ticket.objects.values_list("id", "created_at"))
        assert created == tickets
        closed = Event.objects.filter(subject_kind="ticket", action="auto_closed")
        assert closed.exists()
        assert not Event.objects.filter(occurred_at__gte=END).exists()

    def test_staff_fill_the_four_teams_and_cannot_sign_in_without_a_password(self, loaded: DemoSummary) -> None:
        teams = {team.name: team for team in Team.objects.prefetch_related("members")}
        assert teams["Front line"].members.count() >= 3
        assert teams["Problem solving"].members.exists()
        assert teams["Technical"].members.exists()
        assert {m.role for m in teams["Advisors"].members.all()} == {Role.ADVISOR}
        staff = User.objects.filter(staff_profile__isnull=False).select_related("staff_profile")
        assert {user.staff_profile.role for user in staff} == {Role.MANAGER, Role.AGENT, Role.ADVISOR}
        assert all(user.staff_profile.languages and user.staff_profile.time_zone != "UTC" for user in staff)
        assert not any(user.has_usable_password() for user in staff)
        assert not loaded.admin_exists


def test_writing_history_schedules_no_notifications_or_other_jobs(
    db: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Assignments are taken by the assignee and requesters write back before anyone is assigned, so the
    services have no one to notify; a notification about a two-year-old ticket would be noise."""
    with django_capture_on_commit_callbacks() as callbacks:
        summary = demo_load(seed=5, accounts=20, today=TODAY)

    assert summary.tickets >= 10
    assert set(Ticket.objects.values_list("status", flat=True)) == set(Status.values)
    assert callbacks == []


def _demo(*args: str) -> str:
    out = StringIO()
    call_command("demo", "--today", TODAY.isoformat(), "--accounts", "5", *args, stdout=out)
    return out.getvalue()


def test_if_empty_loads_once_then_does_nothing(db: Any) -> None:
    first = _demo("--if-empty", "--seed", "3")
    count = Account.objects.count()
    tickets = Ticket.objects.count()

    second = _demo("--if-empty", "--seed", "4")

    assert "5 accounts" in first and count == 5 + CLIENT_CUSTOMERS  # and a client's list of its own customers
    assert f"already has {count} accounts; no demo data loaded" in second
    assert (Account.objects.count(), Ticket.objects.count()) == (count, tickets)


def test_refuses_with_exit_code_1_when_accounts_exist(acme: Account) -> None:
    with pytest.raises(CommandError) as refused:
        _demo("--seed", "3")

    assert refused.value.returncode == 1
    assert "--force-additional" in str(refused.value)
    assert Account.objects.count() == 1


def test_force_additional_adds_to_existing_accounts_but_not_the_same_seed_twice(acme: Account) -> None:
    _demo("--force-additional", "--seed", "3")
    assert Account.objects.count() == 6 + CLIENT_CUSTOMERS

    with pytest.raises(CommandError, match="seed 3 is already loaded"):
        _demo("--force-additional", "--seed", "3")
    _demo("--force-additional", "--seed", "4")

    assert Account.objects.count() - Account.objects.filter(external_id__startswith=CLIENT_CUSTOMER_ID).count() == 11
    assert User.objects.filter(username="sam.taylor").count() == 1


def test_staff_password_lets_demo_staff_sign_in(db: Any) -> None:
    output = _demo("--staff-password")

    assert User.objects.get(username="sam.taylor").check_password("demo")
    assert "“demo”" in output
    assert "carefront createadmin" in output
