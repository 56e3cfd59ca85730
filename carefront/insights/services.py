"""Every write of the insights: settings, refreshes (fits, scores, recommendations), reviews and segments."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from carefront.accounts.models import Account, Order, ServiceModel
from carefront.accounts.services import account_change_service_model
from carefront.core.access import require_manager
from carefront.core.bulk import datetime_value, json_value, rows_insert, rows_upsert
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Event, Notification
from carefront.core.selectors import staff_languages
from carefront.core.services import Actor, Change, events_record
from carefront.core.validation import clean_choice, clean_currency, clean_text
from carefront.desk.models import Ticket
from carefront.insights.advisor import Thresholds
from carefront.insights.models import (
    AccountInsight,
    Advice,
    InsightSettings,
    ItemPair,
    ModelFit,
    Recommendation,
    Review,
    Segment,
    TimeUnit,
)
from carefront.insights.scoring import (
    Fits,
    Scored,
    batch_q,
    day_to_datetime,
    fits_from_rows,
    fits_params,
    item_pairs_fit,
    population_fit,
    score_batch,
)
from carefront.insights.segments import conditions_clean

SCORE_BATCH = 20000
INSIGHT_FIELDS = [
    "account",
    "rfm_segment",
    "recency_score",
    "frequency_score",
    "monetary_score",
    "orders",
    "orders_12m",
    "first_order_at",
    "last_order_at",
    "spend_12m",
    "spend_prior_12m",
    "p_alive",
    "expected_purchases",
    "clv",
    "cost_month",
    "client_cost_month",
    "currency",
    "advice",
    "score",
    "reasons",
    "inputs",
    "computed_at",
]
RECOMMENDATION_FIELDS = ["account", "advice", "previous", "score", "reasons", "inputs", "created_at"]


def insight_settings() -> InsightSettings:
    """The one settings row, created with the defaults the first time it is asked for."""
    row, _created = InsightSettings.objects.get_or_create(pk=1)
    return row


def _clean_decimal(value: Any, *, field: str, low: Decimal, high: Decimal) -> Decimal:
    try:
        number = Decimal(str(value))
    except ArithmeticError as exc:
        raise ApplicationError(_("Enter a number."), field=field) from exc
    if not number.is_finite() or not low <= number <= high:
        raise ApplicationError(_("Enter a number from {low} to {high}.").format(low=low, high=high), field=field)
    return number


def _clean_int(value: Any, *, field: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise ApplicationError(_("Enter a whole number."), field=field) from exc
    if not low <= number <= high:
        raise ApplicationError(_("Enter a whole number from {low} to {high}.").format(low=low, high=high), field=field)
    return number


def _clean_rates(values: Any) -> dict[str, str]:
    """Rates as {"USD": "0.92"}: ISO codes, each worth a positive amount of the currency of value."""
    if not isinstance(values, dict):
        raise ApplicationError(
            _("Exchange rates must be an object of currency codes and rates."), field="exchange_rates"
        )
    cleaned: dict[str, str] = {}
    for code, rate in values.items():
        field = f"exchange_rates.{code}"
        number = _clean_decimal(rate, field=field, low=Decimal("0.000001"), high=Decimal(1_000_000))
        cleaned[clean_currency(str(code), field=field)] = str(number)
    return cleaned


def _clean_thresholds(values: dict[str, Any]) -> dict[str, Any]:
    defaults = Thresholds().as_json()
    unknown = sorted(set(values) - set(defaults))
    if unknown:
        raise ApplicationError(_("Unknown thresholds: {names}.").format(names=", ".join(unknown)), field="thresholds")
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(defaults[name], int):
            cleaned[name] = _clean_int(value, field=f"thresholds.{name}", low=0, high=100_000)
        else:
            cleaned[name] = float(_clean_decimal(value, field=f"thresholds.{name}", low=Decimal(0), high=Decimal(1000)))
    merged = Thresholds.from_json({**defaults, **cleaned})
    if merged.risk_below > merged.offer_at:
        raise ApplicationError(
            _("The at-risk score must not be above the score that offers client service."),
            field="thresholds.risk_below",
        )
    return cleaned


@transaction.atomic
def insight_settings_update(*, actor: Actor, **changes: Any) -> InsightSettings:
    """Change how the models and the advisor work; a time unit or currency change applies at the next full refresh.

    Managers and admins, or the system itself (`actor=None`: the demo loader, a management command).
    """
    if actor is not None:
        require_manager(actor)
    row = InsightSettings.objects.select_for_update().get(pk=insight_settings().pk)
    cleaners: dict[str, Any] = {
        "time_unit": lambda v: clean_choice(v, choices=TimeUnit.values, field="time_unit"),
        "horizon_months": lambda v: _clean_int(v, field="horizon_months", low=1, high=120),
        "annual_discount_rate": lambda v: _clean_decimal(
            v, field="annual_discount_rate", low=Decimal(0), high=Decimal("0.9")
        ),
        "advisor_hours_per_month": lambda v: _clean_decimal(
            v, field="advisor_hours_per_month", low=Decimal(0), high=Decimal(744)
        ),
        "suppress_days": lambda v: _clean_int(v, field="suppress_days", low=0, high=3650),
        "currency": lambda v: clean_currency(v) if v else "",
        "exchange_rates": _clean_rates,
        "thresholds": lambda v: _clean_thresholds(dict(v or {})),
    }
    unknown = sorted(set(changes) - set(cleaners))
    if unknown:
        raise ApplicationError(_("Unknown settings: {names}.").format(names=", ".join(unknown)))
    recorded: list[Change] = []
    for field, value in changes.items():
        cleaned = cleaners[field](value)
        old = getattr(row, field)
        if cleaned != old:
            recorded.append(Change(field, _json(old), _json(cleaned)))
            setattr(row, field, cleaned)
    if recorded:
        row.updated_at = timezone.now()
        row.save(update_fields=[change.field for change in recorded] + ["updated_at"])
        events_record(
            subject_kind=Event.SubjectKind.INSIGHTS, subject_id=row.pk, action="updated", changes=recorded, actor=actor
        )
    return row


def _actor_id(actor: Actor) -> int | None:
    return actor.pk if actor is not None and actor.is_authenticated else None


def _json(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


# --- refresh -------------------------------------------------------------------------------------


@transaction.atomic
def insights_fit(*, now: datetime | None = None) -> Fits:
    """Fit the population models on every order and keep the fits (the first step of a full refresh)."""
    now = now or timezone.now()
    row = insight_settings()
    started = time.perf_counter()
    fits = population_fit(settings_row=row, now=now)
    seconds = time.perf_counter() - started
    params = fits_params(fits)
    rows = []
    for kind in ModelFit.Kind.values:
        fitted = params[kind]
        rows.append(
            ModelFit(
                kind=kind,
                params=fitted or {},
                log_likelihood=(fitted or {}).get("log_likelihood"),
                customers=int((fitted or {}).get("customers", 0)),
                time_unit=fits.time_unit,
                currency=fits.currency,
                problem=fits.problems.get(kind, "")[:300],
                seconds=seconds,
                fitted_at=now,
            )
        )
    ModelFit.objects.bulk_create(rows)
    # The item pairs are small (at most 20 per item) and always replaced whole.
    ItemPair.objects.all().delete()
    ItemPair.objects.bulk_create(
        [
            ItemPair(item=item, other=other, score=score, support=support)
            for item, other, score, support in item_pairs_fit()
        ],
        batch_size=2000,
    )
    return fits


def latest_fits() -> Fits | None:
    """The fits of the last full refresh, or None before the first."""
    rows: dict[str, ModelFit] = {}
    for kind in ModelFit.Kind.values:
        row = ModelFit.objects.filter(kind=kind).order_by("-fitted_at", "-id").first()
        if row is not None:
            rows[kind] = row
    if not rows:
        return None
    return fits_from_rows(rows, settings_row=insight_settings())


def account_id_batches(*, size: int = SCORE_BATCH) -> list[tuple[int, int]]:
    """Ranges of account ids [low, high) that together cover every account, `size` ids each."""
    top = Account.objects.aggregate(top=Max("id"))["top"]
    if top is None:
        return []
    return [(low, low + size) for low in range(1, top + 1, size)]


def changed_account_ids(*, since: datetime) -> list[int]:
    """Accounts whose orders, tickets or own record changed since `since`: the incremental refresh's work."""
    changed: set[int] = set(Order.objects.filter(updated_at__gte=since).values_list("account_id", flat=True))
    changed.update(Ticket.objects.filter(updated_at__gte=since).values_list("account_id", flat=True))
    changed.update(Account.objects.filter(updated_at__gte=since).values_list("id", flat=True))
    return sorted(changed)


@dataclass(frozen=True)
class BatchResult:
    """What one scoring batch did."""

    accounts: int
    changed: int
    reviews_opened: int
    alerts: int


def insights_score(
    *,
    account_ids: Sequence[int] | None = None,
    id_range: tuple[int, int] | None = None,
    now: datetime | None = None,
) -> BatchResult:
    """Score a batch of accounts with the kept fits and store the results, recommendations, reviews and alerts."""
    now = now or timezone.now()
    fits = latest_fits()
    if fits is None:
        raise ApplicationError(_("Run a full refresh first: there are no fitted models yet."))
    row = insight_settings()
    scored = score_batch(
        fits=fits,
        settings_row=row,
        thresholds=Thresholds.from_json(row.thresholds),
        now=now,
        account_ids=account_ids,
        id_range=id_range,
    )
    with transaction.atomic():
        return _store(scored, batch=batch_q(account_ids=account_ids, id_range=id_range), now=now)


def _nullable(values: Any, *, digits: int | None = None) -> list[Any]:
    """A float array as a list, NaN as None (NULL), rounded when `digits` is given."""
    array = np.asarray(values, dtype=np.float64)
    if digits is not None:
        array = np.round(array, digits)
    return [None if value != value else value for value in array.tolist()]


def _day_moments(days: list[Any]) -> list[Any]:
    """Days as stored timestamps; a batch holds a few hundred distinct days, each adapted once."""
    adapted: dict[Any, Any] = {None: None}
    out = []
    for day in days:
        if day not in adapted:
            adapted[day] = datetime_value(day_to_datetime(day))
        out.append(adapted[day])
    return out


def _insight_rows(scored: Scored, *, now: datetime) -> list[tuple[Any, ...]]:
    """The batch's insight rows as tuples in INSIGHT_FIELDS order, built column by column (NumPy, then lists)."""
    accounts, inputs, advised = scored.accounts, scored.inputs, scored.advised
    ids = accounts.ids
    first = np.full(ids.size, np.nan)
    last = np.full(ids.size, np.nan)
    if scored.facts.account_ids.size:
        position = np.searchsorted(ids, scored.facts.account_ids)
        first[position] = scored.facts.first_day
        last[position] = scored.facts.last_day
    size = ids.size
    columns: list[list[Any]] = [
        ids.tolist(),
        scored.segment.tolist(),
        [score or None for score in scored.recency_score.tolist()],
        [score or None for score in scored.frequency_score.tolist()],
        [score or None for score in scored.monetary_score.tolist()],
        inputs.orders.astype(np.int64).tolist(),
        inputs.orders_12m.astype(np.int64).tolist(),
        _day_moments(_nullable(first)),
        _day_moments(_nullable(last)),
        _nullable(inputs.spend_12m, digits=2),
        _nullable(inputs.spend_prior_12m, digits=2),
        _nullable(scored.p_alive),
        _nullable(scored.expected_purchases),
        _nullable(scored.clv, digits=2),
        _nullable(scored.cost_month, digits=2),
        [round(scored.client_cost_month, 2)] * size,
        [scored.currency] * size,
        advised.advice.tolist(),
        advised.score.tolist(),
        [json_value(reasons) for reasons in advised.reasons],
        [json_value(row) for row in inputs.rows()],
        [datetime_value(now)] * size,
    ]
    return list(zip(*columns, strict=True))


@dataclass(frozen=True)
class _Change:
    account_id: int
    advice: str
    previous: str
    score: int
    reasons: list[dict[str, Any]]
    inputs: dict[str, Any]


def _store(scored: Scored, *, batch: Q, now: datetime) -> BatchResult:
    """Write a scored batch; `batch` is the condition on `account_id` that names its accounts (a range of ids
    compiles to two parameters where a list of thousands costs a parameter each)."""
    ids = scored.accounts.ids.tolist()
    previous = dict(AccountInsight.objects.filter(batch).values_list("account_id", "advice"))
    rows = _insight_rows(scored, now=now)
    rows_upsert(model=AccountInsight, fields=INSIGHT_FIELDS, rows=rows, key="account")
    advice = scored.advised.advice.tolist()
    # A first advice is history only when it asks for something; afterwards every change is.
    changed = [
        index
        for index, account_id in enumerate(ids)
        if previous.get(account_id) != advice[index]
        and (account_id in previous or advice[index] in {Advice.OFFER_CLIENT, Advice.CLIENT_AT_RISK})
    ]
    all_inputs = scored.inputs.rows() if changed else []
    changes = [
        _Change(
            account_id=ids[index],
            advice=advice[index],
            previous=previous.get(ids[index], ""),
            score=int(scored.advised.score[index]),
            reasons=scored.advised.reasons[index],
            inputs=all_inputs[index],
        )
        for index in changed
    ]
    rows_insert(
        model=Recommendation,
        fields=RECOMMENDATION_FIELDS,
        rows=[
            (
                c.account_id,
                c.advice,
                c.previous,
                c.score,
                json_value(c.reasons),
                json_value(c.inputs),
                datetime_value(now),
            )
            for c in changes
        ],
    )
    opened = _reviews_open([c for c in changes if c.advice == Advice.OFFER_CLIENT], now=now)
    offered = [account_id for account_id, said in zip(ids, advice, strict=True) if said == Advice.OFFER_CLIENT]
    _reviews_withdraw(batch, keep=offered, now=now)
    alerts = _alert_at_risk([c for c in changes if c.advice == Advice.CLIENT_AT_RISK], scored=scored)
    return BatchResult(accounts=len(rows), changed=len(changes), reviews_opened=opened, alerts=alerts)


def _reviews_open(offers: list[_Change], *, now: datetime) -> int:
    """A review for each account newly recommended for client service, unless one is open or a decline keeps
    it quiet."""
    if not offers:
        return 0
    account_ids = [offer.account_id for offer in offers]
    busy = set(
        Review.objects.filter(account_id__in=account_ids, state=Review.State.OPEN).values_list("account_id", flat=True)
    )
    quiet = set(
        Review.objects.filter(
            account_id__in=account_ids, state=Review.State.DECLINED, advice=Advice.OFFER_CLIENT, quiet_until__gt=now
        ).values_list("account_id", flat=True)
    )
    wanted = [account_id for account_id in account_ids if account_id not in busy and account_id not in quiet]
    recommendations = dict(
        Recommendation.objects.filter(account_id__in=wanted, created_at=now, advice=Advice.OFFER_CLIENT).values_list(
            "account_id", "id"
        )
    )
    Review.objects.bulk_create(
        [
            Review(
                account_id=account_id,
                recommendation_id=recommendations[account_id],
                advice=Advice.OFFER_CLIENT,
                created_at=now,
            )
            for account_id in wanted
        ]
    )
    return len(wanted)


def _reviews_withdraw(batch: Q, *, keep: list[int], now: datetime) -> int:
    """An open suggestion whose evidence has gone (the account no longer looks like a client) is withdrawn."""
    return (
        Review.objects.filter(batch, state=Review.State.OPEN)
        .exclude(account_id__in=keep)
        .update(state=Review.State.WITHDRAWN, decided_at=now, reason="The advice changed before anyone decided.")
    )


def _alert_at_risk(changes: list[_Change], *, scored: Scored) -> int:
    """Tell each client's advisor, in their language, that the client now looks at risk (one insert for all)."""
    from carefront.insights.selectors import reason_words

    owners = dict(zip(scored.accounts.ids.tolist(), scored.accounts.owner_ids, strict=True))
    names = dict(zip(scored.accounts.ids.tolist(), scored.accounts.names, strict=True))
    told = [change for change in changes if owners.get(change.account_id) is not None]
    languages = staff_languages(user_ids={owners[change.account_id] for change in told})
    notifications = []
    for change in told:
        owner_id = owners[change.account_id]
        with override(languages[owner_id]):
            why = "; ".join(reason_words(reason, currency=scored.currency) for reason in change.reasons[:3])
            text = _("{account} looks at risk: {reasons}").format(account=names[change.account_id], reasons=why)
        notifications.append(Notification(recipient_id=owner_id, verb="client_at_risk", text=text[:500]))
    Notification.objects.bulk_create(notifications)
    return len(notifications)


@transaction.atomic
def insights_refresh_done(*, full: bool, now: datetime) -> None:
    """Note when the refresh that started at `now` finished its work."""
    row = insight_settings()
    row.last_refresh_at = now
    fields = ["last_refresh_at"]
    if full:
        row.last_full_refresh_at = now
        fields.append("last_full_refresh_at")
    row.save(update_fields=fields)


def insights_refresh_now(*, now: datetime | None = None) -> int:
    """A full refresh in this process, batch after batch (the demo loader; the command and jobs use the queue)."""
    now = now or timezone.now()
    insights_fit(now=now)
    scored = sum(insights_score(id_range=batch, now=now).accounts for batch in account_id_batches())
    insights_refresh_done(full=True, now=now)
    return scored


# --- reviews -------------------------------------------------------------------------------------


def _open_review(review: Review) -> Review:
    locked = Review.objects.select_for_update().select_related("account", "recommendation").get(pk=review.pk)
    if locked.state != Review.State.OPEN:
        raise ApplicationError(
            _("This suggestion was already {state}.").format(state=locked.get_state_display().lower()), status=409
        )
    return locked


def _review_decide(
    review: Review, *, actor: Actor, state: str, reason: str, quiet_until: datetime | None = None
) -> None:
    """Close a review with the decision, and put the decision on the account's timeline."""
    review.state = state
    review.decided_by_id = _actor_id(actor)
    review.decided_at = timezone.now()
    review.reason = reason
    review.quiet_until = quiet_until
    review.save(update_fields=["state", "decided_by_id", "decided_at", "reason", "quiet_until"])
    events_record(
        subject_kind=Event.SubjectKind.ACCOUNT,
        subject_id=review.account_id,
        action="insight_accepted" if state == Review.State.ACCEPTED else "insight_declined",
        changes=[Change("advice", None, review.advice)],
        reason=reason,
        actor=actor,
    )


@transaction.atomic
def review_accept(*, review: Review, actor: Actor, owner: Any, note: str = "") -> Review:
    """Make the account a client with `owner` as its advisor, through the accounts service (audited)."""
    require_manager(actor)
    review = _open_review(review)
    account = Account.objects.select_for_update().get(pk=review.account_id)
    if account.service_model == ServiceModel.CLIENT:
        raise ApplicationError(_("{account} is already a client.").format(account=account.name), status=409)
    if owner is None:
        raise ApplicationError(_("Choose the advisor who will own the account."), field="owner")
    reason = clean_text(note, field="note", max_length=500) or _(
        "Accepted the insights' suggestion to offer client service."
    )
    account_change_service_model(
        account=account, actor=actor, service_model=ServiceModel.CLIENT, owner=owner, reason=reason
    )
    _review_decide(review, actor=actor, state=Review.State.ACCEPTED, reason=reason)
    return review


@transaction.atomic
def review_decline(*, review: Review, actor: Actor, reason: str) -> Review:
    """Keep the account as it is, say why, and hear no more of the same suggestion for a while."""
    require_manager(actor)
    review = _open_review(review)
    reason = clean_text(reason, field="reason", max_length=500)
    if not reason:
        raise ApplicationError(_("Say why you decline, so that the next reviewer knows."), field="reason")
    quiet_until = timezone.now() + timedelta(days=insight_settings().suppress_days)
    _review_decide(review, actor=actor, state=Review.State.DECLINED, reason=reason, quiet_until=quiet_until)
    return review


# --- saved segments ------------------------------------------------------------------------------


def _segment_name(name: str, *, exclude_pk: int | None) -> str:
    name = clean_text(name, field="name", max_length=100, required=True)
    taken = Segment.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ApplicationError(_("A segment named {name} already exists.").format(name=name), field="name")
    return name


@transaction.atomic
def segment_create(*, actor: Actor, name: str, conditions: Any, description: str = "") -> Segment:
    """Save a segment that the inbox, the account list and the API can filter by (managers and admins)."""
    require_manager(actor)
    segment = Segment.objects.create(
        name=_segment_name(name, exclude_pk=None),
        description=clean_text(description, field="description", max_length=2000),
        conditions=conditions_clean(conditions),
        created_by_id=_actor_id(actor),
    )
    events_record(
        subject_kind=Event.SubjectKind.SEGMENT,
        subject_id=segment.pk,
        action="created",
        changes=[Change("conditions", None, segment.conditions)],
        actor=actor,
    )
    return segment


@transaction.atomic
def segment_update(
    *,
    segment: Segment,
    actor: Actor,
    name: str | None = None,
    conditions: Any = None,
    description: str | None = None,
) -> Segment:
    require_manager(actor)
    segment = Segment.objects.select_for_update().get(pk=segment.pk)
    wanted: dict[str, Any] = {}
    if name is not None:
        wanted["name"] = _segment_name(name, exclude_pk=segment.pk)
    if description is not None:
        wanted["description"] = clean_text(description, field="description", max_length=2000)
    if conditions is not None:
        wanted["conditions"] = conditions_clean(conditions)
    recorded = [
        Change(field, getattr(segment, field), value)
        for field, value in wanted.items()
        if getattr(segment, field) != value
    ]
    if recorded:
        for change in recorded:
            setattr(segment, change.field, change.new)
        segment.updated_at = timezone.now()
        segment.save(update_fields=[change.field for change in recorded] + ["updated_at"])
        events_record(
            subject_kind=Event.SubjectKind.SEGMENT,
            subject_id=segment.pk,
            action="updated",
            changes=recorded,
            actor=actor,
        )
    return segment


@transaction.atomic
def segment_delete(*, segment: Segment, actor: Actor) -> None:
    require_manager(actor)
    events_record(
        subject_kind=Event.SubjectKind.SEGMENT,
        subject_id=segment.pk,
        action="deleted",
        changes=[Change("name", segment.name, None)],
        actor=actor,
    )
    segment.delete()
