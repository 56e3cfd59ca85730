"""Who am I, and the staff and teams a client needs to fill in ids."""

from decimal import Decimal
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from carefront.api.common import ERRORS, OldestFirstPagination, StrictIn, actor, staff_actor
from carefront.core.access import portal_account_id, require_admin, require_manager, staff_role
from carefront.core.models import Role, Team
from carefront.core.selectors import cost_rates
from carefront.core.services import cost_rate_set

router = Router(tags=["meta"])
User = get_user_model()


class MeOut(Schema):
    id: int
    username: str
    email: str
    role: str | None
    account_id: int | None
    contact_id: int | None


class StaffOut(Schema):
    id: int
    username: str
    name: str
    email: str
    role: str
    is_active: bool

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj.get_full_name() or obj.get_username())

    @staticmethod
    def resolve_role(obj: Any) -> str:
        return str(obj.staff_profile.role)


class TeamOut(Schema):
    id: int
    name: str
    description: str


@router.get("/me", response={200: MeOut, **ERRORS}, summary="The authenticated user")
def me(request: HttpRequest) -> dict[str, Any]:
    user = actor(request)
    contact = getattr(user, "contact", None)
    return {
        "id": user.pk,
        "username": user.get_username(),
        "email": user.email,
        "role": staff_role(user),
        "account_id": portal_account_id(user),
        "contact_id": contact.pk if contact is not None and staff_role(user) is None else None,
    }


@router.get("/staff", response={200: list[StaffOut], **ERRORS}, summary="Staff members (staff only)")
@paginate(OldestFirstPagination)
def list_staff(request: HttpRequest) -> Any:
    staff_actor(request)
    return User.objects.filter(staff_profile__isnull=False).select_related("staff_profile")


@router.get("/teams", response={200: list[TeamOut], **ERRORS}, summary="Teams (staff only)")
@paginate(OldestFirstPagination)
def list_teams(request: HttpRequest) -> Any:
    staff_actor(request)
    return Team.objects.all()


RoleName = Literal["admin", "manager", "agent", "advisor"]


class CostRateOut(Schema):
    role: str
    hourly: Decimal | None = Field(description="Cost of an hour of this role's time; null: not set (costs nothing).")
    currency: str


class CostRateIn(StrictIn):
    hourly: Decimal | None = Field(ge=0, lt=100_000_000, max_digits=10, decimal_places=2)


def _cost_rates() -> list[dict[str, Any]]:
    rates = cost_rates()
    currency = settings.CAREFRONT_COST_CURRENCY
    return [{"role": role, "hourly": rates.get(role), "currency": currency} for role in Role.values]


@router.get("/cost-rates", response={200: list[CostRateOut], **ERRORS}, summary="Cost of an hour of each role")
def list_cost_rates(request: HttpRequest) -> Any:
    require_manager(staff_actor(request))
    return _cost_rates()


@router.put("/cost-rates/{role}", response={200: list[CostRateOut], **ERRORS}, summary="Set a role's cost rate")
def set_cost_rate(
    request: HttpRequest, role: Literal["admin", "manager", "agent", "advisor"], payload: CostRateIn
) -> Any:
    user = staff_actor(request)
    require_admin(user)
    cost_rate_set(actor=user, role=role, hourly=payload.hourly)
    return _cost_rates()
