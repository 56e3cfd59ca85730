"""REST endpoints of the advisor portfolio: an advisor's clients with what each needs (their own, or anyone's for a
manager), a manager's reassignment of one account, and the hand-over of a whole portfolio."""

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from carefront.accounts.access import access_account
from carefront.api.common import ERRORS, Id, UserRef, staff_actor, user_by_id
from carefront.relationships import selectors
from carefront.relationships.access import access_portfolio, access_recommendation
from carefront.relationships.api import ReasonIn, ReassignIn
from carefront.relationships.selectors_portfolio import (
    PortfolioCursor,
    owned_items,
    portfolio_page,
)
from carefront.relationships.selectors_recommendations import recommendations_open
from carefront.relationships.services_portfolio import account_reassign, portfolio_hand_over
from carefront.relationships.services_recommendations import (
    recommendation_commit,
    recommendation_dismiss,
    recommendation_plan_check_in,
    recommendations_run,
)

router = Router(tags=["relationships"])


class PortfolioAccountOut(Schema):
    id: int
    name: str
    overdue: int = Field(description="Overdue commitments + late dependencies + check-ins past their time, not held.")
    overdue_commitments: int
    late_dependencies: int
    overdue_check_ins: int
    open_commitments: int
    open_dependencies: int
    open_tickets: int
    next_check_in: datetime | None
    last_interaction: datetime | None
    health_score: int | None = Field(description="0–100; null until the client is first scored.")
    health_band: str | None = Field(description="red, amber or green; null or empty until scored.")
    attention: int = Field(description="1000 × overdue + 100 − health (50 when unscored): the order, highest first.")


class PortfolioOnTimeOut(Schema):
    kept: int
    late: int
    dropped: int
    pending: int
    rate: float | None = Field(description="kept ÷ (kept + late); null when nothing is decided yet.")


class PortfolioOut(Schema):
    advisor: UserRef
    on_time: PortfolioOnTimeOut
    results: list[PortfolioAccountOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")


class PortfolioQuery(Schema):
    advisor_id: Id | None = Field(None, description="Whose portfolio (managers); yours when left out.")
    cursor: str | None = Field(None, max_length=40)


@router.get(
    "/relationships/portfolio",
    response={200: PortfolioOut, **ERRORS},
    summary="An advisor's clients, those needing attention first",
)
def get_portfolio(request: HttpRequest, query: Query[PortfolioQuery]) -> Any:
    user = staff_actor(request)
    advisor = access_portfolio(user=user, advisor_id=query.advisor_id or user.pk)
    page = portfolio_page(advisor=advisor, after=PortfolioCursor.decode(query.cursor))
    rate = selectors.on_time_rate(user=user, filters=selectors.Filters(owner=advisor.pk))
    return {"advisor": advisor, "on_time": rate, "results": page.accounts, "next_cursor": page.next_cursor}


class ReassignedOut(Schema):
    id: int
    owner: UserRef
    version: int


@router.post(
    "/relationships/accounts/{account_id}/reassign",
    response={200: ReassignedOut, **ERRORS},
    summary="Give a client to another advisor (managers); their open work on it follows",
)
def reassign_account(request: HttpRequest, account_id: Id, payload: ReassignIn) -> Any:
    user = staff_actor(request)
    account = access_account(user=user, account_id=account_id)
    owner = user_by_id(payload.owner_id, field="owner_id")
    return account_reassign(account=account, actor=user, owner=owner, reason=payload.reason)


class HandOverIn(Schema):
    to_id: Id = Field(description="The advisor who takes everything over.")
    reason: str = Field(max_length=1000)
    account_ids: list[Id] | None = Field(None, description="Only these accounts (and their work); all when left out.")
    deactivate: bool = Field(False, description="Deactivate the advisor once everything is handed over.")


class OwnedOut(Schema):
    accounts: int
    clients: int
    commitments: int
    engagements: int
    cadences: int
    check_ins: int


class MovedOut(Schema):
    accounts: int
    commitments: int
    engagements: int
    cadences: int
    check_ins: int


@router.get(
    "/relationships/advisors/{advisor_id}/owned",
    response={200: OwnedOut, **ERRORS},
    summary="What an advisor still owns (their own, or anyone's for a manager)",
)
def get_owned(request: HttpRequest, advisor_id: Id) -> Any:
    advisor = access_portfolio(user=staff_actor(request), advisor_id=advisor_id)
    return owned_items(user_id=advisor.pk)


@router.post(
    "/relationships/advisors/{advisor_id}/hand-over",
    response={200: MovedOut, **ERRORS},
    summary="Hand an advisor's portfolio to another (managers), optionally deactivating them",
)
def hand_over(request: HttpRequest, advisor_id: Id, payload: HandOverIn) -> Any:
    user = staff_actor(request)
    advisor = access_portfolio(user=user, advisor_id=advisor_id)
    return portfolio_hand_over(
        advisor=advisor,
        actor=user,
        to=user_by_id(payload.to_id, field="to_id"),
        reason=payload.reason,
        account_ids=payload.account_ids,
        deactivate=payload.deactivate,
    )


# --- the morning recommendations -------------------------------------------------------------------


class AdvisorRecommendationOut(Schema):
    id: int
    account_id: int
    account_name: str = Field(alias="account.name")
    advisor_id: int
    kind: Literal[
        "no_contact", "check_in_overdue", "dependency_late", "new_ticket", "spend_drop", "renewal_near", "goal_near"
    ]
    subject: str = Field(description="What within the account it is about: dependency:12, ticket:55, or empty.")
    reason: str = Field(description="Why, in plain words, in the caller's language.")
    facts: dict[str, Any]
    day: date
    state: Literal["open", "acted", "dismissed", "resolved"]
    created_at: datetime


class AdvisorRecommendationPageOut(Schema):
    results: list[AdvisorRecommendationOut]
    next_cursor: int | None = Field(description="Pass as `before` for the next page.")


class RecommendationQuery(Schema):
    advisor_id: Id | None = Field(None, description="Whose recommendations (managers); yours when left out.")
    before: Id | None = None


@router.get(
    "/relationships/recommendations",
    response={200: AdvisorRecommendationPageOut, **ERRORS},
    summary="An advisor's open recommendations, newest first",
)
def list_recommendations(request: HttpRequest, query: Query[RecommendationQuery]) -> Any:
    user = staff_actor(request)
    advisor = access_portfolio(user=user, advisor_id=query.advisor_id or user.pk)
    page = recommendations_open(advisor=advisor, before=query.before)
    return {"results": page.rows, "next_cursor": page.next_cursor}


class RecommendationsRefreshOut(Schema):
    opened: int


@router.post(
    "/relationships/recommendations/refresh",
    response={200: RecommendationsRefreshOut, **ERRORS},
    summary="Make an advisor's recommendations again now",
)
def refresh_recommendations(request: HttpRequest, query: Query[RecommendationQuery]) -> Any:
    user = staff_actor(request)
    advisor = access_portfolio(user=user, advisor_id=query.advisor_id or user.pk)
    return {"opened": recommendations_run(advisor_ids=[advisor.pk])}


class ActedOut(Schema):
    recommendation_id: int
    commitment_id: int | None = None
    cadence_id: int | None = None
    scheduled_at: datetime | None = None


@router.post(
    "/relationships/recommendations/{recommendation_id}/commitment",
    response={201: ActedOut, **ERRORS},
    summary="Make a recommendation a commitment (due in two days)",
)
def commit_recommendation(request: HttpRequest, recommendation_id: Id) -> Any:
    user = staff_actor(request)
    row = access_recommendation(user=user, recommendation_id=recommendation_id)
    commitment = recommendation_commit(recommendation=row, actor=user)
    return Status(201, {"recommendation_id": row.pk, "commitment_id": commitment.pk})


@router.post(
    "/relationships/recommendations/{recommendation_id}/check-in",
    response={201: ActedOut, **ERRORS},
    summary="Make a recommendation a check-in (the advisor's next working morning)",
)
def check_in_recommendation(request: HttpRequest, recommendation_id: Id) -> Any:
    user = staff_actor(request)
    row = access_recommendation(user=user, recommendation_id=recommendation_id)
    check_in = recommendation_plan_check_in(recommendation=row, actor=user)
    return Status(
        201,
        {
            "recommendation_id": row.pk,
            "cadence_id": check_in.cadence_id,
            "scheduled_at": check_in.scheduled_at,
        },
    )


@router.post(
    "/relationships/recommendations/{recommendation_id}/dismiss",
    response={204: None, **ERRORS},
    summary="Dismiss a recommendation, saying why",
)
def dismiss_recommendation(request: HttpRequest, recommendation_id: Id, payload: ReasonIn) -> Any:
    user = staff_actor(request)
    row = access_recommendation(user=user, recommendation_id=recommendation_id)
    recommendation_dismiss(recommendation=row, actor=user, reason=payload.reason)
    return Status(204, None)
