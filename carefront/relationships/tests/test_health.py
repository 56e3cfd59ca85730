"""Health scores: each signal's arithmetic on small hand-made data, the weighted score and its bands, the settings'
validation, the batch job's constant query count, the recompute queued when an input changes, and the history."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from carefront.accounts.models import Account, Contact
from carefront.accounts.services import account_create, contact_create, order_create
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Event
from carefront.desk.services import ticket_create, ticket_update
from carefront.insights.services import insight_settings_update
from carefront.relationships.health_signals import SIGNALS, HealthConfig, Reading, health_signals
from carefront.relationships.models import (
    AccountHealth,
    Cadence,
    CheckIn,
    Commitment,
    Dependency,
    HealthSettings,
    HealthSnapshot,
)
from carefront.relationships.services import commitment_complete, commitment_create
from carefront.relationships.services_health import (
    HISTORY_DAYS,
    health_band,
    health_compute,
    health_config,
    health_history_prune,
    health_recompute_accounts,
    health_recompute_all,
    health_settings,
    health_settings_update,
)
from carefront.relationships.tasks import mark_late_commitments
from carefront.relationships.tests.conftest import NOW

pytestmark = pytest.mark.django_db


def _read(key: str, account: Account) -> Reading:
    return SIGNALS[key].read([account.pk], health_config(), NOW)[account.pk]


def _explained(key: str, reading: Reading) -> str:
    return SIGNALS[key].explain(reading.facts)


@pytest.fixture
def cadence(client_account: Account, dana: Any) -> Cadence:
    return Cadence.objects.create(
        account=client_account,
        name="Monthly call",
        duration_minutes=30,
        rule="FREQ=MONTHLY",
        starts_on=date(2025, 1, 1),
        time_of_day=time(10),
        owner=dana,
    )


def _check_in(cadence: Cadence, *, days_ago: int, state: str) -> CheckIn:
    moment = NOW - timedelta(days=days_ago)
    return CheckIn.objects.create(
        cadence=cadence,
        account=cadence.account,
        owner=cadence.owner,
        occurs_at=moment,
        scheduled_at=moment,
        duration_minutes=30,
        state=state,
    )


def _commitment(account: Account, owner: Any, *, due_days: int, state: str, done_days: int | None = None) -> Any:
    due = NOW + timedelta(days=due_days)
    return Commitment.objects.create(
        account=account,
        title=f"{state} {due_days}",
        owner=owner,
        state=state,
        promised_due_at=due,
        due_at=due,
        done_at=NOW + timedelta(days=done_days) if done_days is not None else None,
        dropped_reason="Not wanted" if state == "dropped" else "",
    )


@pytest.fixture
def camille(client_account: Account) -> Contact:
    return contact_create(actor=None, account=client_account, name="Camille Roux", email="camille@globex.example")


# --- each signal ---------------------------------------------------------------------------------


def test_check_in_adherence_is_held_over_held_and_missed_in_the_window(cadence: Cadence) -> None:
    for days_ago in (10, 40, 70):
        _check_in(cadence, days_ago=days_ago, state="held")
    _check_in(cadence, days_ago=20, state="missed")
    _check_in(cadence, days_ago=100, state="missed")  # before the 90-day window
    _check_in(cadence, days_ago=5, state="cancelled")
    _check_in(cadence, days_ago=-3, state="scheduled")
    reading = _read("check_ins", cadence.account)
    assert reading.value == 0.75
    assert _explained("check_ins", reading) == "3 of 4 check-ins held in the last 90 days."


def test_no_check_in_due_is_no_data_and_says_so(client_account: Account) -> None:
    reading = _read("check_ins", client_account)
    assert reading.value is None
    assert _explained("check_ins", reading) == "No check-in was due in the last 90 days: left out of the score."


def test_commitments_count_kept_against_late_as_the_on_time_rate_does(client_account: Account, dana: Any) -> None:
    _commitment(client_account, dana, due_days=-10, state="done", done_days=-11)
    _commitment(client_account, dana, due_days=-20, state="late", done_days=-18)
    _commitment(client_account, dana, due_days=-5, state="open")  # overdue, not waiting: late
    _commitment(client_account, dana, due_days=-200, state="late")  # still owed: counts whatever its age
    _commitment(client_account, dana, due_days=-150, state="done", done_days=-151)  # before the window
    _commitment(client_account, dana, due_days=7, state="open")  # not due yet
    _commitment(client_account, dana, due_days=-3, state="dropped")
    reading = _read("commitments", client_account)
    assert (reading.facts["kept"], reading.facts["late"]) == (1, 3)
    assert reading.value == 0.25
    assert _explained("commitments", reading) == "1 of 4 commitments kept on time in the last 90 days."


def test_dependencies_cost_a_late_one_fully_and_an_open_one_a_quarter(
    client_account: Account, erins_client: Account, initech_contact: Contact, camille: Contact, dana: Any, erin: Any
) -> None:
    blocked = _commitment(client_account, dana, due_days=30, state="open")
    for due_days in (-2, 5):
        Dependency.objects.create(
            account=client_account,
            what=f"List {due_days}",
            contact=camille,
            due_at=NOW + timedelta(days=due_days),
            blocks_commitment=blocked,
        )
    reading = _read("dependencies", client_account)
    assert reading.value == pytest.approx(1 / (1 + 1 + 0.25))
    assert _explained("dependencies", reading) == "2 open dependencies, 1 of them late."
    # Erin's client owed one thing and delivered it: nothing owed now is full marks; a client that never owed
    # anything has no data.
    other = _commitment(erins_client, erin, due_days=30, state="open")
    Dependency.objects.create(
        account=erins_client,
        what="Access",
        contact=initech_contact,
        due_at=NOW,
        blocks_commitment=other,
        state="received",
        resolved_at=NOW - timedelta(days=3),
    )
    assert _read("dependencies", erins_client).value == 1.0
    Dependency.objects.filter(account=erins_client).update(resolved_at=NOW - timedelta(days=120))
    assert _read("dependencies", erins_client).value is None


def test_tickets_weigh_by_priority_against_the_usual_load(
    client_account: Account, camille: Contact, clock: Any
) -> None:
    clock.move_to(NOW - timedelta(days=40))
    ticket_create(actor=None, requester=camille, subject="Old", body="Before the window", priority="urgent")
    clock.move_to(NOW - timedelta(days=3))
    for priority in ("urgent", "high", "normal", "low"):
        ticket_create(actor=None, requester=camille, subject=priority, body="Help", priority=priority)
    clock.move_to(NOW)
    reading = _read("tickets", client_account)
    load = 4 + 2 + 1 + 0.5
    assert reading.value == pytest.approx(5 / (5 + load))
    assert _explained("tickets", reading) == (
        "4 tickets in the last 30 days (1 urgent, 1 high): a load of 7.5 against a usual 5."
    )


def test_no_tickets_is_full_marks(client_account: Account) -> None:
    reading = _read("tickets", client_account)
    assert reading.value == 1.0
    assert _explained("tickets", reading) == "No tickets in the last 30 days."


def _order(account: Account, ref: str, days_ago: int, amount: str, currency: str = "EUR") -> None:
    order_create(
        actor=None,
        account=account,
        external_id=ref,
        placed_at=NOW - timedelta(days=days_ago),
        currency=currency,
        amount=Decimal(amount),
    )


def test_spend_trend_compares_the_windows_in_the_accounts_main_currency(client_account: Account) -> None:
    _order(client_account, "o1", 10, "400")
    _order(client_account, "o2", 50, "200")
    _order(client_account, "o3", 60, "100", "USD")
    _order(client_account, "o4", 120, "1000")
    _order(client_account, "o5", 200, "5000")  # before both windows
    reading = _read("spend", client_account)
    assert reading.value == pytest.approx(0.8 * 0.6)
    assert _explained("spend", reading) == (
        "600.00 EUR in the last 90 days against 1,000.00 EUR in the 90 before (-40 %). Orders in USD are left out."
    )


def test_spend_converts_at_the_insights_rates_when_a_currency_of_value_is_set(client_account: Account) -> None:
    insight_settings_update(actor=None, currency="EUR", exchange_rates={"USD": "0.9"})
    _order(client_account, "o1", 10, "600")
    _order(client_account, "o2", 60, "100", "USD")
    _order(client_account, "o3", 30, "50", "JPY")
    _order(client_account, "o4", 120, "1000")
    reading = _read("spend", client_account)
    assert reading.value == pytest.approx(0.8 * 0.69)
    assert reading.facts["left_out"] == ["JPY"]


def test_spend_growth_and_a_first_order_score_high_and_no_orders_is_no_data(
    client_account: Account, erins_client: Account
) -> None:
    assert _read("spend", client_account).value is None
    _order(client_account, "o1", 10, "1500")
    _order(client_account, "o2", 100, "1000")
    assert _read("spend", client_account).value == pytest.approx(0.9)
    _order(erins_client, "o3", 10, "10")
    assert _read("spend", erins_client).value == 1.0


# --- the score -----------------------------------------------------------------------------------

CONFIG = HealthConfig(
    weights={"check_ins": 3, "commitments": 3, "dependencies": 2, "tickets": 2, "spend": 0},
    windows={},
    red_below=40,
    amber_below=70,
    ticket_norm=5,
)


def _readings(**values: float | None) -> dict[str, Reading]:
    return {key: Reading(value, {}) for key, value in values.items()}


def test_a_signal_without_data_is_left_out_and_the_weights_shared_again() -> None:
    computed = health_compute(
        _readings(check_ins=1.0, commitments=None, dependencies=None, tickets=0.5, spend=0.0), CONFIG
    )
    # (3 × 1 + 2 × 0.5) ÷ (3 + 2): commitments and dependencies have no data, spend's weight is 0.
    assert computed.score == 80
    parts = {part["key"]: part for part in computed.contributions}
    assert parts["check_ins"]["points"] == 60.0 and parts["tickets"]["points"] == 20.0
    assert parts["commitments"]["points"] == 0 and parts["spend"]["share"] == 0


def test_no_signal_with_data_is_no_score() -> None:
    computed = health_compute(_readings(check_ins=None, commitments=None, spend=1.0), CONFIG)
    assert (computed.score, computed.band) == (None, "")


@pytest.mark.parametrize(
    ("score", "band"), [(0, "red"), (39, "red"), (40, "amber"), (69, "amber"), (70, "green"), (100, "green")]
)
def test_bands_follow_the_thresholds(score: int, band: str) -> None:
    assert health_band(score, CONFIG) == band


VALUE = st.one_of(st.none(), st.floats(min_value=0, max_value=1))
WEIGHTS = st.dictionaries(st.sampled_from(list(SIGNALS)), st.floats(min_value=0, max_value=100), min_size=len(SIGNALS))


@settings(max_examples=300, deadline=None)
@given(
    weights=WEIGHTS,
    values=st.fixed_dictionaries(dict.fromkeys(SIGNALS, VALUE)),
    raised=st.sampled_from(list(SIGNALS)),
    increase=st.floats(min_value=0, max_value=1),
)
def test_the_score_is_within_0_and_100_and_never_falls_when_a_signal_rises(
    weights: dict[str, float], values: dict[str, float | None], raised: str, increase: float
) -> None:
    config = HealthConfig(weights=weights, windows={}, red_below=40, amber_below=70, ticket_norm=5)
    before = health_compute(_readings(**values), config)
    counted = any(value is not None and weights[key] > 0 for key, value in values.items())
    assert (before.score is None) == (not counted)
    if before.score is None:
        return
    assert 0 <= before.score <= 100
    if values[raised] is None:
        return
    higher = dict(values, **{raised: min(1.0, values[raised] + increase)})  # type: ignore[operator]
    after = health_compute(_readings(**higher), config)
    assert after.score is not None and after.score >= before.score


# --- settings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"weights": {"check_ins": -1}}, "weights.check_ins"),
        ({"weights": {"luck": 1}}, "weights.luck"),
        ({"weights": dict.fromkeys(SIGNALS, 0)}, "weights"),
        ({"windows": {"tickets": 3}}, "windows.tickets"),
        ({"red_below": 80}, "amber_below"),
        ({"red_below": 50, "amber_below": 50}, "amber_below"),
        ({"amber_below": 101}, "amber_below"),
        ({"ticket_norm": 0}, "ticket_norm"),
        ({"weights": {"spend": "lots"}}, "weights.spend"),
    ],
)
def test_bad_settings_are_refused_with_their_field_and_change_nothing(
    morgan: Any, changes: dict[str, Any], field: str
) -> None:
    before = health_settings()
    with pytest.raises(ApplicationError) as refused:
        # A valid change alongside: refused with the rest.
        health_settings_update(actor=morgan, **{"windows": {"spend": 60}, **changes})
    assert refused.value.field == field
    after = HealthSettings.objects.get()
    assert (after.weights, after.windows, after.red_below, after.amber_below, after.version) == (
        before.weights,
        before.windows,
        before.red_below,
        before.amber_below,
        before.version,
    )


def test_a_manager_changes_the_settings_audited_and_an_advisor_may_not(morgan: Any, dana: Any) -> None:
    with pytest.raises(ApplicationError) as refused:
        health_settings_update(actor=dana, red_below=30)
    assert refused.value.status == 403
    row = health_settings_update(actor=morgan, weights={"spend": 0}, windows={"tickets": 60}, red_below=30)
    assert (row.weights, row.windows, row.red_below, row.version) == ({"spend": 0.0}, {"tickets": 60}, 30, 2)
    assert set(Event.objects.filter(subject_kind="health").values_list("field", flat=True)) == {
        "weights",
        "windows",
        "red_below",
    }
    assert health_config().weight("spend") == 0 and health_config().window("tickets") == 60


# --- the job -------------------------------------------------------------------------------------


def _clients(count: int, owner: Any, *, prefix: str = "c") -> list[Account]:
    accounts = []
    for n in range(count):
        account = account_create(
            actor=None, name=f"Client {prefix}{n}", kind="organisation", service_model="client", owner=owner
        )
        _commitment(account, owner, due_days=-5 - n, state="done", done_days=-6 - n)
        _order(account, f"{prefix}{n}", 5 + n, "100")
        accounts.append(account)
    return accounts


def test_the_job_scores_a_batch_in_the_same_queries_however_large(clock: Any, dana: Any) -> None:
    few, more = _clients(2, dana, prefix="few"), _clients(12, dana, prefix="more")

    def queries(accounts: list[Account]) -> int:
        config = health_config()
        with CaptureQueriesContext(connection) as captured:
            health_recompute_accounts(account_ids=[a.pk for a in accounts], now=NOW, config=config)
        return len(captured.captured_queries)

    # One read of the stored scores, one query per signal (the feedback app registers one more), the scores' upsert
    # (one executemany on SQLite; a COPY through a staging table on PostgreSQL, four statements) and the history's;
    # the transaction's begin and end.
    assert queries(few) == queries(more) <= len(health_signals()) + 7
    assert AccountHealth.objects.filter(score__isnull=False).count() == 14


def test_recompute_all_scores_every_client_and_forgets_former_ones(
    clock: Any, dana: Any, client_account: Account, acme: Account, morgan: Any
) -> None:
    clients = _clients(3, dana)
    run = health_recompute_all(now=NOW, batch_size=2)
    assert (run.accounts, run.batches) == (4, 2)
    assert set(AccountHealth.objects.values_list("account_id", flat=True)) == {client_account.pk} | {
        a.pk for a in clients
    }
    Account.objects.filter(pk=clients[0].pk).update(service_model="customer", owner=None)
    health_recompute_all(now=NOW)
    assert not AccountHealth.objects.filter(account=clients[0]).exists()


def test_a_commitment_found_late_lowers_the_score_once_the_queued_recompute_runs(
    client_account: Account, dana: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """GIVEN Globex with one commitment kept and one due tomorrow, scored 100
    WHEN two days pass and the periodic job finds the second one late
    THEN the recompute queued after its commit scores Globex 70 (commitments 1 of 2 at weight 3, tickets full)."""
    kept = commitment_create(
        actor=dana, account=client_account, title="Plan", owner=dana, due_at=NOW + timedelta(hours=1)
    )
    commitment_complete(commitment=kept, actor=dana)
    commitment_create(actor=dana, account=client_account, title="Report", owner=dana, due_at=NOW + timedelta(days=1))
    health_recompute_all(now=NOW)
    assert AccountHealth.objects.get(account=client_account).score == 100
    clock.move_to(NOW + timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert mark_late_commitments.call_local() == 1
    assert len(callbacks) == 1
    health = AccountHealth.objects.get(account=client_account)
    assert (health.score, health.band, health.changes, health.computed_changes) == (70, "green", 1, 1)


def test_many_changes_to_one_account_make_one_recompute(
    client_account: Account, camille: Contact, clock: Any, django_capture_on_commit_callbacks: Any, morgan: Any
) -> None:
    health_recompute_all(now=NOW)
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        ticket = ticket_create(actor=None, requester=camille, subject="Down", body="All down", priority="normal")
        ticket_update(ticket=ticket, actor=morgan, priority="urgent")
        _order(client_account, "o1", 1, "10")
    health = AccountHealth.objects.get(account=client_account)
    assert health.changes - health.computed_changes == 3  # stale
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    health.refresh_from_db()
    assert health.changes == health.computed_changes == 3
    assert [part["facts"]["urgent"] for part in health.contributions if part["key"] == "tickets"] == [1]


def test_a_customers_ticket_queues_nothing(carol: Contact, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        ticket_create(actor=None, requester=carol, subject="Hi", body="Hello")
    assert not [c for c in callbacks if "health" in getattr(c, "__qualname__", "") + getattr(c, "__name__", "")]
    assert not AccountHealth.objects.exists()


def test_history_keeps_a_row_per_day_the_score_changed_and_forgets_what_is_too_old(
    client_account: Account, dana: Any, clock: Any
) -> None:
    _commitment(client_account, dana, due_days=-5, state="done", done_days=-6)
    health_recompute_all(now=NOW - timedelta(days=2))
    health_recompute_all(now=NOW - timedelta(days=1))  # same score: no row
    _commitment(client_account, dana, due_days=-3, state="late", done_days=-2)
    health_recompute_all(now=NOW)
    health_recompute_all(now=NOW + timedelta(hours=1))  # same day, same score
    history = list(HealthSnapshot.objects.filter(account=client_account).order_by("day").values_list("day", "score"))
    assert history == [((NOW - timedelta(days=2)).date(), 100), (NOW.date(), 70)]
    later = NOW + timedelta(days=HISTORY_DAYS + 10)
    HealthSnapshot.objects.create(account=client_account, day=(NOW + timedelta(days=5)).date(), score=60, band="amber")
    # Every row is older than the cutoff (ten days after NOW): the one in force then, five days after NOW, stays.
    assert health_history_prune(now=later) == 2
    assert list(HealthSnapshot.objects.order_by("day").values_list("score", flat=True)) == [60]


def test_the_demos_clients_are_scored_with_a_few_weeks_of_history(db: Any) -> None:
    from carefront.core.demo import demo_load

    demo_load(seed=11, accounts=40, today=date(2025, 6, 30))
    clients = set(Account.objects.filter(service_model="client").values_list("pk", flat=True))
    assert clients and set(AccountHealth.objects.filter(score__isnull=False).values_list("account_id", flat=True)) == (
        clients
    )
    days = set(HealthSnapshot.objects.values_list("day", flat=True))
    assert len(days) >= 2 and max(days) == date(2025, 6, 29)  # a minute before the story's end
