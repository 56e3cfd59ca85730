"""REST endpoints of the clients' health scores: an account's score with each signal's part, its history, the
settings (staff read them, managers change them) and a recompute of every score (managers). A score is read by
the account's advisor and managers; portal contacts never see it."""

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from carefront.api.common import ERRORS, Id, StrictIn, staff_actor
from carefront.core.access import require_manager
from carefront.relationships import selectors_health as selectors
from carefront.relationships import services_health as services
from carefront.relationships.access import access_health_account

router = Router(tags=["relationships"])

BandName = Literal["red", "amber", "green", ""]


class ContributionOut(Schema):
    key: str = Field(description="The signal: check_ins, commitments, dependencies, tickets, spend, …")
    label: str
    value: float | None = Field(description="From 0 (bad) to 1 (good); null: no data, left out of the score.")
    weight: float = Field(description="The weight set when the score was computed.")
    share: float = Field(description="Its part of the weights of the signals counted (0 to 1).")
    points: float = Field(description="What it added to the score: 100 × share × value.")
    explanation: str


class HealthOut(Schema):
    account_id: int
    score: int | None = Field(description="0 to 100; null until computed, or with no signal to go by.")
    band: BandName
    band_label: str
    computed_at: datetime | None
    stale: bool = Field(description="Its inputs changed since; a recompute is queued.")
    contributions: list[ContributionOut]


class SnapshotOut(Schema):
    day: date
    score: int
    band: BandName


class HistoryQuery(Schema):
    since: date | None = Field(None, description="Only days from this one on.")


class SignalSettingOut(Schema):
    key: str
    label: str
    weight: float
    window_days: int | None
    default_weight: float
    default_window_days: int | None


class HealthSettingsOut(Schema):
    signals: list[SignalSettingOut]
    red_below: int
    amber_below: int
    ticket_norm: int
    version: int
    updated_at: datetime


class HealthSettingsIn(StrictIn):
    weights: dict[str, float] | None = Field(None, description="Signal key → weight (0 switches it off).")
    windows: dict[str, int] | None = Field(None, description="Signal key → days it looks back.")
    red_below: int | None = None
    amber_below: int | None = None
    ticket_norm: int | None = Field(None, description="Tickets in the window, weighted by priority, that are usual.")
    version: Id | None = Field(None, description="The version you read; a stale one is refused with 409.")


class QueuedOut(Schema):
    queued: bool


def _health_out(account_id: int) -> dict[str, Any]:
    card = selectors.account_health(account_id=account_id)
    summary = card.summary
    return {
        "account_id": account_id,
        "score": summary.score,
        "band": summary.band,
        "band_label": summary.band_label,
        "computed_at": summary.computed_at,
        "stale": summary.stale,
        "contributions": [vars(item) for item in card.contributions],
    }


def _settings_out() -> dict[str, Any]:
    row = services.health_settings()
    return {
        "signals": [
            {
                "key": item.key,
                "label": item.label,
                "weight": item.weight,
                "window_days": item.window,
                "default_weight": item.default_weight,
                "default_window_days": item.default_window,
            }
            for item in selectors.health_signal_settings(row)
        ],
        "red_below": row.red_below,
        "amber_below": row.amber_below,
        "ticket_norm": row.ticket_norm,
        "version": row.version,
        "updated_at": row.updated_at,
    }


@router.get(
    "/relationships/accounts/{account_id}/health",
    response={200: HealthOut, **ERRORS},
    summary="A client's health score and each signal's part",
)
def get_health(request: HttpRequest, account_id: Id) -> Any:
    account = access_health_account(user=staff_actor(request), account_id=account_id)
    return _health_out(account.pk)


@router.get(
    "/relationships/accounts/{account_id}/health/history",
    response={200: list[SnapshotOut], **ERRORS},
    summary="A client's score on each day it changed, oldest first (two years at most)",
)
def get_health_history(request: HttpRequest, account_id: Id, filters: Query[HistoryQuery]) -> Any:
    account = access_health_account(user=staff_actor(request), account_id=account_id)
    return selectors.health_history(account_id=account.pk, since=filters.since)


@router.get("/relationships/health/settings", response={200: HealthSettingsOut, **ERRORS}, summary="Health settings")
def get_health_settings(request: HttpRequest) -> Any:
    staff_actor(request)
    return _settings_out()


@router.put(
    "/relationships/health/settings",
    response={200: HealthSettingsOut, **ERRORS},
    summary="Change the weights, windows and bands (managers); every score is recomputed",
)
def put_health_settings(request: HttpRequest, payload: HealthSettingsIn) -> Any:
    user = staff_actor(request)
    services.health_settings_update(actor=user, **payload.dict(exclude_unset=True))
    return _settings_out()


@router.post(
    "/relationships/health/recompute",
    response={202: QueuedOut, **ERRORS},
    summary="Recompute every client's score through the job queue (managers)",
)
def recompute_health(request: HttpRequest) -> Any:
    from carefront.relationships.tasks import recompute_health_now

    require_manager(staff_actor(request))
    recompute_health_now()
    return Status(202, {"queued": True})
