"""REST endpoints of the insights: each account's scores and advice, reviews, saved segments, settings,
the fitted models, transitions, and a refresh (staff read; managers and admins decide and configure)."""

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StrictBool

from carefront.api.common import ERRORS, Id, IdCursorPagination, StrictIn, UserRef, actor, staff_actor, user_by_id
from carefront.core.access import require_manager
from carefront.insights import selectors, services
from carefront.insights.models import AccountInsight, Review, Segment
from carefront.insights.tasks import refresh_insights

router = Router(tags=["insights"])

AdviceName = Literal["stay_customer", "offer_client", "keep_client", "client_at_risk"]
RfmName = Literal[
    "champions",
    "loyal",
    "potential_loyalist",
    "new",
    "promising",
    "need_attention",
    "about_to_sleep",
    "at_risk",
    "cant_lose",
    "hibernating",
    "lost",
    "no_orders",
]
ReviewState = Literal["open", "accepted", "declined", "withdrawn"]


class ReasonOut(Schema):
    code: str = Field(description="The advisor rule that applied (carefront.insights.advisor, rule_<code>).")
    points: int
    params: dict[str, Any]
    text: str = Field(description="The reason in words, in the request's language.")


def _reasons(reasons: list[dict[str, Any]], currency: str) -> list[dict[str, Any]]:
    return [{**reason, "text": selectors.reason_words(reason, currency=currency)} for reason in reasons]


class InsightOut(Schema):
    account_id: int
    rfm_segment: RfmName
    recency_score: int | None
    frequency_score: int | None
    monetary_score: int | None
    orders: int
    orders_12m: int
    first_order_at: datetime | None
    last_order_at: datetime | None
    spend_12m: Decimal
    spend_prior_12m: Decimal
    p_alive: float | None
    expected_purchases: float | None = Field(description="Over the horizon set in the insight settings.")
    clv: Decimal | None = Field(description="Discounted expected spend over the horizon.")
    cost_month: Decimal = Field(description="Staff time on the account's tickets per month, at the cost rates.")
    client_cost_month: Decimal = Field(description="What a month of client service would cost (advisor hours).")
    currency: str
    advice: AdviceName
    score: int = Field(description="Client fit, 0-100.")
    summary: str = Field(description="The reasons and the advice in one line.")
    reasons: list[ReasonOut]
    inputs: dict[str, Any] = Field(description="What the advisor read, kept so the advice can be explained later.")
    computed_at: datetime

    @staticmethod
    def resolve_summary(obj: AccountInsight) -> str:
        return selectors.advice_sentence(reasons=obj.reasons, advice=obj.advice, currency=obj.currency)

    @staticmethod
    def resolve_reasons(obj: AccountInsight) -> list[dict[str, Any]]:
        return _reasons(obj.reasons, obj.currency)


class RecommendationOut(Schema):
    id: int
    account_id: int
    advice: AdviceName
    previous: str = Field(description="The advice before; empty for an account's first.")
    score: int
    reasons: list[dict[str, Any]]
    inputs: dict[str, Any]
    created_at: datetime


class ReviewOut(Schema):
    id: int
    account_id: int
    account_name: str
    advice: AdviceName
    state: ReviewState
    recommendation: RecommendationOut
    decided_by: UserRef | None
    decided_at: datetime | None
    reason: str
    quiet_until: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_account_name(obj: Review) -> str:
        return obj.account.name


class AcceptIn(StrictIn):
    owner_id: Id = Field(description="The advisor who will own the account as a client.")
    note: str = Field("", max_length=500, description="Why; shown on the account's timeline.")


class DeclineIn(StrictIn):
    reason: str = Field(min_length=1, max_length=500)


class InsightFilters(Schema):
    advice: AdviceName | None = None
    rfm_segment: RfmName | None = None


class ReviewFilters(Schema):
    state: ReviewState = "open"


class SegmentIn(StrictIn):
    name: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=2000)
    conditions: dict[str, list[str | int]] = Field(
        description="Lists to match (AND between lists, OR within one): rfm, advice, service_model, country, "
        "locale, kind, channels, tiers, order_categories."
    )


class SegmentPatch(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=2000)
    conditions: dict[str, list[str | int]] | None = None


class SegmentOut(Schema):
    id: int
    name: str
    description: str
    conditions: dict[str, list[Any]]
    created_at: datetime
    updated_at: datetime


class SegmentSizeOut(Schema):
    segment: RfmName
    label: str
    accounts: int
    clients: int
    spend_12m: Decimal
    clv: Decimal


class SettingsOut(Schema):
    time_unit: Literal["weeks", "days"]
    horizon_months: int
    annual_discount_rate: Decimal
    advisor_hours_per_month: Decimal
    currency: str = Field(description="Orders in this currency are valued; empty: the one most orders are in.")
    exchange_rates: dict[str, Decimal] = Field(description="What one unit of another currency is worth in it.")
    suppress_days: int
    thresholds: dict[str, float] = Field(description="The advisor's thresholds, defaults filled in.")
    last_full_refresh_at: datetime | None
    last_refresh_at: datetime | None

    @staticmethod
    def resolve_thresholds(obj: Any) -> dict[str, float]:
        from carefront.insights.advisor import Thresholds

        return Thresholds.from_json(obj.thresholds).as_json()


class SettingsPatch(StrictIn):
    time_unit: Literal["weeks", "days"] | None = None
    horizon_months: int | None = None
    annual_discount_rate: Decimal | None = None
    advisor_hours_per_month: Decimal | None = None
    currency: str | None = Field(None, max_length=3)
    exchange_rates: dict[str, Decimal] | None = Field(None, description='The whole set, e.g. {"USD": 0.92}.')
    suppress_days: int | None = None
    thresholds: dict[str, float] | None = Field(None, description="Only the thresholds to change.")


class FitOut(Schema):
    kind: Literal["bg_nbd", "gamma_gamma", "rfm"]
    params: dict[str, Any]
    log_likelihood: float | None
    customers: int
    time_unit: Literal["weeks", "days"]
    currency: str
    problem: str
    seconds: float
    fitted_at: datetime


class TransitionOut(Schema):
    month: str
    by_advice: dict[str, int]
    accepted: int
    declined: int


class RefreshIn(StrictIn):
    changed_only: StrictBool = Field(False, description="Rescore only the accounts that changed since the last one.")


class RefreshOut(Schema):
    queued: bool


# --- accounts ------------------------------------------------------------------------------------


@router.get("/insights/accounts", response={200: list[InsightOut], **ERRORS}, summary="Accounts' insights")
@paginate(IdCursorPagination, ordering=("-account_id",))
def list_insights(request: HttpRequest, filters: Query[InsightFilters]) -> Any:
    return selectors.insights_list(user=staff_actor(request), advice=filters.advice, rfm_segment=filters.rfm_segment)


@router.get("/insights/accounts/{account_id}", response={200: InsightOut, **ERRORS}, summary="An account's insight")
def get_insight(request: HttpRequest, account_id: Id) -> Any:
    return selectors.account_insight(user=staff_actor(request), account_id=account_id)


@router.get(
    "/insights/accounts/{account_id}/recommendations",
    response={200: list[RecommendationOut], **ERRORS},
    summary="An account's changes of advice, newest first",
)
@paginate(IdCursorPagination)
def list_recommendations(request: HttpRequest, account_id: Id) -> Any:
    return selectors.recommendations_list(user=staff_actor(request), account_id=account_id)


# --- reviews -------------------------------------------------------------------------------------


@router.get("/insights/reviews", response={200: list[ReviewOut], **ERRORS}, summary="Suggestions to review")
@paginate(IdCursorPagination)
def list_reviews(request: HttpRequest, filters: Query[ReviewFilters]) -> Any:
    return selectors.reviews_list(user=staff_actor(request), state=filters.state)


@router.post(
    "/insights/reviews/{review_id}/accept",
    response={200: ReviewOut, **ERRORS},
    summary="Accept: the account becomes a client with this advisor (managers and admins)",
)
def accept_review(request: HttpRequest, review_id: Id, payload: AcceptIn) -> Any:
    user = actor(request)
    review = selectors.access_review(user=user, review_id=review_id)
    owner = user_by_id(payload.owner_id, field="owner_id")
    return services.review_accept(review=review, actor=user, owner=owner, note=payload.note)


@router.post(
    "/insights/reviews/{review_id}/decline",
    response={200: ReviewOut, **ERRORS},
    summary="Decline, saying why; the same suggestion stays quiet for the configured days",
)
def decline_review(request: HttpRequest, review_id: Id, payload: DeclineIn) -> Any:
    user = actor(request)
    review = selectors.access_review(user=user, review_id=review_id)
    return services.review_decline(review=review, actor=user, reason=payload.reason)


# --- segments ------------------------------------------------------------------------------------


@router.get("/insights/segments", response={200: list[SegmentOut], **ERRORS}, summary="Saved segments")
@paginate(IdCursorPagination)
def list_segments(request: HttpRequest) -> Any:
    return selectors.segments_list(user=staff_actor(request))


@router.post("/insights/segments", response={201: SegmentOut, **ERRORS}, summary="Save a segment (managers)")
def create_segment(request: HttpRequest, payload: SegmentIn) -> Any:
    return Status(201, services.segment_create(actor=actor(request), **payload.dict()))


@router.get("/insights/segments/{segment_id}", response={200: SegmentOut, **ERRORS}, summary="A saved segment")
def get_segment(request: HttpRequest, segment_id: Id) -> Segment:
    return selectors.access_segment(user=actor(request), segment_id=segment_id)


@router.patch("/insights/segments/{segment_id}", response={200: SegmentOut, **ERRORS}, summary="Change a segment")
def update_segment(request: HttpRequest, segment_id: Id, payload: SegmentPatch) -> Any:
    user = actor(request)
    segment = selectors.access_segment(user=user, segment_id=segment_id)
    return services.segment_update(segment=segment, actor=user, **payload.dict(exclude_unset=True))


@router.delete("/insights/segments/{segment_id}", response={204: None, **ERRORS}, summary="Delete a segment")
def delete_segment(request: HttpRequest, segment_id: Id) -> Any:
    user = actor(request)
    services.segment_delete(segment=selectors.access_segment(user=user, segment_id=segment_id), actor=user)
    return Status(204, None)


@router.get(
    "/insights/rfm-segments", response={200: list[SegmentSizeOut], **ERRORS}, summary="RFM segments with their size"
)
def list_rfm_segments(request: HttpRequest) -> Any:
    return selectors.segment_sizes(user=staff_actor(request))


# --- settings, models, transitions, refresh ------------------------------------------------------


@router.get("/insights/settings", response={200: SettingsOut, **ERRORS}, summary="How the models and advisor work")
def get_settings(request: HttpRequest) -> Any:
    staff_actor(request)
    return services.insight_settings()


@router.patch("/insights/settings", response={200: SettingsOut, **ERRORS}, summary="Change them (managers)")
def update_settings(request: HttpRequest, payload: SettingsPatch) -> Any:
    return services.insight_settings_update(actor=actor(request), **payload.dict(exclude_unset=True))


@router.get("/insights/models", response={200: list[FitOut], **ERRORS}, summary="The latest fit of each model")
def list_models(request: HttpRequest) -> Any:
    staff_actor(request)
    return selectors.latest_fit_rows()


@router.get(
    "/insights/transitions", response={200: list[TransitionOut], **ERRORS}, summary="Changes of advice per month"
)
def list_transitions(request: HttpRequest) -> Any:
    rows = selectors.transitions_by_month(user=staff_actor(request))
    return [
        {
            "month": row.month.strftime("%Y-%m"),
            "by_advice": row.by_advice,
            "accepted": row.accepted,
            "declined": row.declined,
        }
        for row in rows
    ]


@router.post(
    "/insights/refresh",
    response={202: RefreshOut, **ERRORS},
    summary="Refit and rescore through the job queue (managers)",
)
def refresh(request: HttpRequest, payload: RefreshIn) -> Any:
    require_manager(actor(request))
    refresh_insights(full=not payload.changed_only)
    return Status(202, {"queued": True})


class SuggestionOut(Schema):
    item: str
    score: float
    because: str = Field(description="The item the account owns that this suggestion follows from.")


@router.get(
    "/insights/accounts/{account_id}/suggestions",
    response={200: list[SuggestionOut], **ERRORS},
    summary="Accounts who bought what this one owns also bought…",
)
def list_suggestions(request: HttpRequest, account_id: Id) -> Any:
    return selectors.account_suggestions(user=staff_actor(request), account_id=account_id)
