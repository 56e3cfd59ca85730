"""Every write of the health scores: the settings, the computation for a batch of client accounts, the periodic
recompute of them all, and the recompute of those whose inputs changed.

The score is the weighted mean of the signals that have data (see `health_signals`), times 100, rounded: a signal
with no data, or a weight of 0, is left out and the others' weights are shared out again (renormalised), so a new
client without check-ins is not marked down for it. No signal with data: no score.

Inputs changing (a commitment, dependency, check-in, ticket or order of a client) call `health_mark_stale()` in
their own transaction: it counts one more change on the account's health row, and after the commit queues one
sweep that recomputes every stale account in batches. Many changes to one account before the sweep runs make one
recompute (the counter only says "stale"); the sweep also runs every minute, so a lost queue message delays a
score by a minute at most. A brand-new client (no row yet) is scored by the next sweep too.

History: one row per account per day on which its score changed (the day's last score), kept HISTORY_DAYS days;
the row in force at the cutoff is kept so the chart starts from a known score.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from carefront.accounts.models import Account, ServiceModel
from carefront.core.access import require_manager
from carefront.core.bulk import datetime_value, json_value, rows_upsert
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Event
from carefront.core.services import Actor, Change, events_record
from carefront.core.validation import version_check
from carefront.relationships.health_signals import SIGNALS, HealthConfig, Reading, accounts_filter, health_signals
from carefront.relationships.models import AccountHealth, HealthBand, HealthSettings, HealthSnapshot

BATCH = 1000
HISTORY_DAYS = 730
MAX_WEIGHT = 100
MIN_WINDOW, MAX_WINDOW = 7, 730
MAX_TICKET_NORM = 10_000


# --- settings ------------------------------------------------------------------------------------


def health_settings() -> HealthSettings:
    """The one settings row, created with the defaults the first time it is asked for."""
    row, _created = HealthSettings.objects.get_or_create(pk=1)
    return row


def health_config(row: HealthSettings | None = None) -> HealthConfig:
    """What a computation reads: the health settings, and the insights' currency of value and exchange rates."""
    from carefront.insights.services import insight_settings

    row = row or health_settings()
    insights = insight_settings()
    rates = {code: Decimal(rate) for code, rate in (insights.exchange_rates or {}).items()}
    return HealthConfig(
        weights={key: float(value) for key, value in (row.weights or {}).items()},
        windows={key: int(value) for key, value in (row.windows or {}).items()},
        red_below=row.red_below,
        amber_below=row.amber_below,
        ticket_norm=row.ticket_norm,
        currency=insights.currency,
        rates=rates,
    )


def _number(value: Any, *, field: str, low: float, high: float, integer: bool = False) -> Any:
    if isinstance(value, bool):
        raise ApplicationError(_("Enter a number."), field=field)
    try:
        number = int(value) if integer and float(value) == int(float(value)) else float(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ApplicationError(_("Enter a number."), field=field) from exc
    if integer and not isinstance(number, int):
        raise ApplicationError(_("Enter a whole number."), field=field)
    if not low <= number <= high:
        raise ApplicationError(_("Enter a number from {low} to {high}.").format(low=low, high=high), field=field)
    return number


def _weights_clean(values: Mapping[str, Any]) -> dict[str, float]:
    weights: dict[str, float] = {}
    for key, value in values.items():
        if key not in SIGNALS:
            raise ApplicationError(_("Unknown signal “{key}”.").format(key=key), field=f"weights.{key}")
        weights[key] = float(_number(value, field=f"weights.{key}", low=0, high=MAX_WEIGHT))
    every = {signal.key: weights.get(signal.key, signal.default_weight) for signal in health_signals()}
    if not any(weight > 0 for weight in every.values()):
        raise ApplicationError(_("Give at least one signal a weight above 0."), field="weights")
    return weights


def _windows_clean(values: Mapping[str, Any]) -> dict[str, int]:
    windows: dict[str, int] = {}
    for key, value in values.items():
        if key not in SIGNALS or SIGNALS[key].default_window is None:
            raise ApplicationError(_("Unknown signal “{key}”.").format(key=key), field=f"windows.{key}")
        windows[key] = int(_number(value, field=f"windows.{key}", low=MIN_WINDOW, high=MAX_WINDOW, integer=True))
    return windows


@transaction.atomic
def health_settings_update(
    *,
    actor: Actor,
    weights: Mapping[str, Any] | None = None,
    windows: Mapping[str, Any] | None = None,
    red_below: Any = None,
    amber_below: Any = None,
    ticket_norm: Any = None,
    version: int | None = None,
) -> HealthSettings:
    """Change the weights, windows, bands or usual ticket load (managers and admins, or the system: `actor=None`).

    All or nothing: a refused value leaves every setting as it was. Every score is recomputed after the commit.
    """
    if actor is not None:
        require_manager(actor)
    row = HealthSettings.objects.select_for_update().get(pk=health_settings().pk)
    version_check(row, version)
    values: dict[str, Any] = {}
    if weights is not None:
        values["weights"] = _weights_clean(weights)
    if windows is not None:
        values["windows"] = _windows_clean(windows)
    if red_below is not None:
        values["red_below"] = _number(red_below, field="red_below", low=1, high=100, integer=True)
    if amber_below is not None:
        values["amber_below"] = _number(amber_below, field="amber_below", low=1, high=100, integer=True)
    if ticket_norm is not None:
        values["ticket_norm"] = _number(ticket_norm, field="ticket_norm", low=1, high=MAX_TICKET_NORM, integer=True)
    if values.get("red_below", row.red_below) >= values.get("amber_below", row.amber_below):
        raise ApplicationError(
            _("The red band must end below the amber band: red below {red}, amber below {amber}.").format(
                red=values.get("red_below", row.red_below), amber=values.get("amber_below", row.amber_below)
            ),
            field="amber_below",
        )
    recorded = [
        Change(name, getattr(row, name), value) for name, value in values.items() if getattr(row, name) != value
    ]
    if not recorded:
        return row
    for change in recorded:
        setattr(row, change.field, change.new)
    row.version += 1
    row.updated_at = timezone.now()
    row.updated_by = actor if actor is not None and actor.is_authenticated else None  # type: ignore[assignment]
    row.save(update_fields=[change.field for change in recorded] + ["version", "updated_at", "updated_by"])
    events_record(
        subject_kind=Event.SubjectKind.HEALTH, subject_id=row.pk, action="updated", changes=recorded, actor=actor
    )
    transaction.on_commit(_recompute_all_soon)
    return row


def _recompute_all_soon() -> None:
    from carefront.relationships.tasks import recompute_health_now

    recompute_health_now()


# --- the score -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Computed:
    """An account's score (None: no signal with data), its band ("" with no score) and each signal's part."""

    score: int | None
    band: str
    contributions: list[dict[str, Any]]


def health_band(score: int | None, config: HealthConfig) -> str:
    if score is None:
        return ""
    if score < config.red_below:
        return HealthBand.RED
    return HealthBand.AMBER if score < config.amber_below else HealthBand.GREEN


def health_compute(
    readings: Mapping[str, Reading], config: HealthConfig, weights: Mapping[str, float] | None = None
) -> Computed:
    """Score = round(100 × Σ weight × value ÷ Σ weight) over the signals with a weight above 0 and a value; each
    signal's points are its share of that sum (they add up to the score before rounding). `weights`: the config's,
    looked up once for a whole batch."""
    weights = weights if weights is not None else {key: config.weight(key) for key in readings}
    values = {key: None if r.value is None else min(1.0, max(0.0, r.value)) for key, r in readings.items()}
    total = sum(weights[key] for key, value in values.items() if value is not None and weights[key] > 0)
    exact = 0.0
    contributions = []
    for key, reading in readings.items():
        weight, value = weights[key], values[key]
        share = weight / total if value is not None and weight > 0 else 0.0
        if share:
            exact += 100 * share * value  # type: ignore[operator]
        contributions.append(
            {
                "key": key,
                "value": None if value is None else round(value, 4),
                "weight": weight,
                "share": round(share, 4),
                "points": round(100 * share * (value or 0), 1),
                "facts": reading.facts,
            }
        )
    if not total:
        return Computed(score=None, band="", contributions=contributions)
    # Half up, after rounding away the floating-point noise of the sum (62.4999999 is 62.5).
    score = math.floor(round(exact, 6) + 0.5)
    return Computed(score=score, band=health_band(score, config), contributions=contributions)


# --- computing for a batch of accounts -----------------------------------------------------------


@dataclass
class HealthRun:
    """What a recompute did: accounts scored, batches, scores that changed."""

    accounts: int = 0
    batches: int = 0
    changed: int = 0


def _snapshots_upsert(rows: Sequence[tuple[Any, ...]]) -> None:
    if not rows:
        return
    table = connection.ops.quote_name(HealthSnapshot._meta.db_table)
    statement = (
        f"INSERT INTO {table} (account_id, day, score, band) VALUES (%s, %s, %s, %s) "  # noqa: S608
        "ON CONFLICT (account_id, day) DO UPDATE SET score = excluded.score, band = excluded.band"
    )
    with connection.cursor() as cursor:
        cursor.executemany(statement, rows)


def health_recompute_accounts(
    *, account_ids: Iterable[int], now: datetime | None = None, config: HealthConfig | None = None
) -> HealthRun:
    """Score the given accounts, in the same few queries however many there are (one per signal with a weight, one
    read of the stored scores, one write of them, one of the day's history): the caller passes client accounts."""
    ids = sorted(set(account_ids))
    if not ids:
        return HealthRun()
    moment = now or timezone.now()
    config = config or health_config()
    signals = [signal for signal in health_signals() if config.weight(signal.key) > 0]
    weights = {signal.key: config.weight(signal.key) for signal in signals}
    with transaction.atomic():
        # Read first: a change counted after this read keeps the account stale for the next sweep.
        stored = {
            account_id: (score, changes)
            for account_id, score, changes in AccountHealth.objects.filter(accounts_filter(ids)).values_list(
                "account_id", "score", "changes"
            )
        }
        readings = {signal.key: signal.read(ids, config, moment) for signal in signals}
        rows: list[tuple[Any, ...]] = []
        history: list[tuple[Any, ...]] = []
        computed_at, day = datetime_value(moment), moment.date()
        changed = 0
        for account_id in ids:
            computed = health_compute({key: found[account_id] for key, found in readings.items()}, config, weights)
            before, changes = stored.get(account_id, (None, 0))
            rows.append(
                (
                    account_id,
                    computed.score,
                    computed.band,
                    json_value(computed.contributions),
                    computed_at,
                    changes,
                )
            )
            if computed.score is not None and (account_id not in stored or computed.score != before):
                changed += 1
                history.append((account_id, day, computed.score, computed.band))
        rows_upsert(
            model=AccountHealth,
            fields=["account", "score", "band", "contributions", "computed_at", "computed_changes"],
            rows=rows,
            key="account",
        )
        _snapshots_upsert(history)
    return HealthRun(accounts=len(ids), batches=1, changed=changed)


def _client_ids_after(last: int, size: int) -> list[int]:
    clients = Account.objects.filter(service_model=ServiceModel.CLIENT, pk__gt=last).order_by("pk")
    return list(clients.values_list("pk", flat=True)[:size])


def health_recompute_all(*, now: datetime | None = None, batch_size: int = BATCH) -> HealthRun:
    """Score every client account, batch by batch (the periodic job, and after the settings change); forget the
    scores of accounts that are clients no more, and history past HISTORY_DAYS."""
    moment = now or timezone.now()
    config = health_config()
    run = HealthRun()
    last = 0
    while ids := _client_ids_after(last, batch_size):
        done = health_recompute_accounts(account_ids=ids, now=moment, config=config)
        run.accounts += done.accounts
        run.batches += 1
        run.changed += done.changed
        last = ids[-1]
    AccountHealth.objects.exclude(account__service_model=ServiceModel.CLIENT).delete()
    health_history_prune(now=moment)
    return run


def _stale_ids(size: int) -> list[int]:
    clients = AccountHealth.objects.filter(account__service_model=ServiceModel.CLIENT)
    stale = clients.filter(changes__gt=F("computed_changes")).order_by("account_id")
    ids = list(stale.values_list("account_id", flat=True)[:size])
    if len(ids) < size:
        scored = AccountHealth.objects.filter(account_id=OuterRef("pk"))
        new = Account.objects.filter(service_model=ServiceModel.CLIENT).filter(~Exists(scored)).order_by("pk")
        ids += list(new.values_list("pk", flat=True)[: size - len(ids)])
    return ids


def health_recompute_stale(*, now: datetime | None = None, batch_size: int = BATCH, max_batches: int = 100) -> int:
    """Score the client accounts whose inputs changed since their score was computed, and new clients; returns
    how many. Stops after `max_batches` (the next run goes on)."""
    config = None
    scored = 0
    for _batch in range(max_batches):
        ids = _stale_ids(batch_size)
        if not ids:
            break
        config = config or health_config()
        scored += health_recompute_accounts(account_ids=ids, now=now, config=config).accounts
    return scored


def health_mark_stale(*, account_ids: Iterable[int]) -> int:
    """Count a change to these accounts' health inputs (in the caller's transaction) and, after its commit, queue
    the sweep that recomputes them. One query; accounts with no score yet (customers, new clients) are left to the
    sweep's own search. Returns how many scores went stale."""
    ids = sorted({account_id for account_id in account_ids if account_id is not None})
    if not ids:
        return 0
    stale = AccountHealth.objects.filter(account_id__in=ids).update(changes=F("changes") + 1)
    if stale:
        transaction.on_commit(_sweep_soon)
    return int(stale)


def _sweep_soon() -> None:
    from carefront.relationships.tasks import recompute_stale_health_now

    recompute_stale_health_now()


def health_history_prune(*, now: datetime | None = None) -> int:
    """Delete history older than HISTORY_DAYS, except each account's last row before the cutoff (the score then in
    force, where its chart starts)."""
    cutoff = (now or timezone.now()).date() - timedelta(days=HISTORY_DAYS)
    newer_in_force = HealthSnapshot.objects.filter(account_id=OuterRef("account_id"), day__gt=OuterRef("day"))
    old = HealthSnapshot.objects.filter(day__lt=cutoff).filter(Exists(newer_in_force.filter(day__lte=cutoff)))
    deleted, _by_model = old.delete()
    return int(deleted)
