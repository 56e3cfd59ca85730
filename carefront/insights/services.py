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
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from carefront.accounts.models import Account, Order, ServiceModel
from carefront.accounts.services import account_change_service_model
from carefront.core.access import require_manager
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Event
from carefront.core.selectors import staff_language
from carefront.core.services import Actor, Change, events_record, notification_create
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
    day_to_datetime,
    fits_from_rows,
    fits_params,
    item_pairs_fit,
    money,
    population_fit,
    score_batch,
)
from carefront.insights.segments import conditions_clean

SCORE_BATCH = 5000
INSIGHT_FIELDS = [
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
        return _store(scored, settings_row=row, now=now)


def _optional(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _insight_rows(scored: Scored, *, now: datetime) -> list[AccountInsight]:
    accounts, inputs, advised = scored.accounts, scored.inputs, scored.advised
    facts_first = dict(zip(scored.facts.account_ids.tolist(), scored.facts.first_day.tolist(), strict=True))
    facts_last = dict(zip(scored.facts.account_ids.tolist(), scored.facts.last_day.tolist(), strict=True))
    rows = []
    for index, account_id in enumerate(accounts.ids.tolist()):
        clv = scored.clv[index]
        first, last = facts_first.get(account_id), facts_last.get(account_id)
        rows.append(
            AccountInsight(
                account_id=account_id,
                rfm_segment=scored.segment[index],
                recency_score=int(scored.recency_score[index]) or None,
                frequency_score=int(scored.frequency_score[index]) or None,
                monetary_score=int(scored.monetary_score[index]) or None,
                orders=int(inputs.orders[index]),
                orders_12m=int(inputs.orders_12m[index]),
                first_order_at=day_to_datetime(float(first)) if first is not None else None,
                last_order_at=day_to_datetime(float(last)) if last is not None else None,
                spend_12m=money(inputs.spend_12m[index]),
                spend_prior_12m=money(inputs.spend_prior_12m[index]),
                p_alive=_optional(scored.p_alive[index]),
                expected_purchases=_optional(scored.expected_purchases[index]),
                clv=None if np.isnan(clv) else money(clv),
                cost_month=money(scored.cost_month[index]),
                client_cost_month=money(scored.client_cost_month),
                currency=scored.currency,
                advice=advised.advice[index],
                score=int(advised.score[index]),
                reasons=advised.reasons[index],
                inputs=inputs.row(index),
                computed_at=now,
            )
        )
    return rows


def _store(scored: Scored, *, settings_row: InsightSettings, now: datetime) -> BatchResult:
    ids = scored.accounts.ids.tolist()
    previous = dict(AccountInsight.objects.filter(account_id__in=ids).values_list("account_id", "advice"))
    rows = _insight_rows(scored, now=now)
    AccountInsight.objects.bulk_create(
        rows, batch_size=1000, update_conflicts=True, unique_fields=["account"], update_fields=INSIGHT_FIELDS
    )
    # A first advice is history only when it asks for something; afterwards every change is.
    changes = [
        Recommendation(
            account_id=row.account_id,
            advice=row.advice,
            previous=previous.get(row.account_id, ""),
            score=row.score,
            reasons=row.reasons,
            inputs=row.inputs,
            created_at=now,
        )
        for row in rows
        if previous.get(row.account_id) != row.advice
        and (row.account_id in previous or row.advice in {Advice.OFFER_CLIENT, Advice.CLIENT_AT_RISK})
    ]
    Recommendation.objects.bulk_create(changes, batch_size=1000)
    opened = _reviews_open(changes, settings_row=settings_row, now=now)
    _reviews_withdraw([row.account_id for row in rows if row.advice != Advice.OFFER_CLIENT], now=now)
    alerts = _alert_at_risk(
        [change for change in changes if change.advice == Advice.CLIENT_AT_RISK], scored=scored, now=now
    )
    return BatchResult(accounts=len(rows), changed=len(changes), reviews_opened=opened, alerts=alerts)


def _reviews_open(changes: list[Recommendation], *, settings_row: InsightSettings, now: datetime) -> int:
    offers = {change.account_id: change for change in changes if change.advice == Advice.OFFER_CLIENT}
    if not offers:
        return 0
    busy = set(
        Review.objects.filter(account_id__in=list(offers), state=Review.State.OPEN).values_list("account_id", flat=True)
    )
    quiet = set(
        Review.objects.filter(
            account_id__in=list(offers), state=Review.State.DECLINED, advice=Advice.OFFER_CLIENT, quiet_until__gt=now
        ).values_list("account_id", flat=True)
    )
    reviews = [
        Review(account_id=account_id, recommendation=change, advice=change.advice, created_at=now)
        for account_id, change in offers.items()
        if account_id not in busy and account_id not in quiet
    ]
    Review.objects.bulk_create(reviews)
    return len(reviews)


def _reviews_withdraw(account_ids: list[int], *, now: datetime) -> int:
    """An open suggestion whose evidence has gone (the account no longer looks like a client) is withdrawn."""
    return Review.objects.filter(account_id__in=account_ids, state=Review.State.OPEN).update(
        state=Review.State.WITHDRAWN, decided_at=now, reason="The advice changed before anyone decided."
    )


def _alert_at_risk(changes: list[Recommendation], *, scored: Scored, now: datetime) -> int:
    """Tell a client's advisor, in their language, that the client now looks at risk."""
    from carefront.insights.selectors import reason_words

    owners = dict(zip(scored.accounts.ids.tolist(), scored.accounts.owner_ids, strict=True))
    names = dict(zip(scored.accounts.ids.tolist(), scored.accounts.names, strict=True))
    sent = 0
    for change in changes:
        owner_id = owners.get(change.account_id)
        if owner_id is None:
            continue
        with override(staff_language(user_id=owner_id)):
            why = "; ".join(reason_words(reason, currency=scored.currency) for reason in change.reasons[:3])
            text = _("{account} looks at risk: {reasons}").format(account=names[change.account_id], reasons=why)
        notification_create(recipient_id=owner_id, verb="client_at_risk", text=text)
        sent += 1
    return sent


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
