"""Pieces every app's API shares: pagination, the actor of a request, small reference schemas."""

from datetime import UTC, datetime
from typing import Annotated, Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import ValidationError
from ninja.pagination import CursorPagination
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field

from carefront.core.access import require_staff
from carefront.core.exceptions import ApplicationError

MAX_ID = 2**63 - 1
# A database id: positive and within a 64-bit integer, so no request can overflow the database.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class IdCursorPagination(CursorPagination):
    """Keyset pagination on the primary key: O(page) however deep the cursor."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("ordering", ("-id",))
        kwargs.setdefault("page_size", 50)
        kwargs.setdefault("max_page_size", 100)
        super().__init__(**kwargs)

    def _find_position(self, queryset: Any, cursor: CursorPagination.Cursor) -> Any:
        if cursor.p is not None and not (cursor.p.isdigit() and int(cursor.p) <= MAX_ID):
            raise ValidationError([{"loc": ["query", "cursor"], "msg": "Invalid cursor"}])
        return super()._find_position(queryset, cursor)


class OldestFirstPagination(IdCursorPagination):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("ordering", ("id",))
        super().__init__(**kwargs)


def actor(request: HttpRequest) -> Any:
    """The authenticated user (token or session)."""
    return request.auth  # type: ignore[attr-defined]


def staff_actor(request: HttpRequest) -> Any:
    user = actor(request)
    require_staff(user)
    return user


class StrictIn(Schema):
    """Input schemas refuse unknown fields, so a typo is an error rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


class UserRef(Schema):
    id: int
    username: str
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj.get_full_name() or obj.get_username())


class EventOut(Schema):
    id: int
    action: str
    field: str
    old_value: Any = None
    new_value: Any = None
    reason: str
    actor: str
    occurred_at: datetime

    @staticmethod
    def resolve_actor(obj: Any) -> str:
        return str(obj.actor_label)


class ErrorOut(Schema):
    """Every error: a sentence for people, and the field it concerns when there is one."""

    detail: str
    field: str | None = None
    errors: list[dict[str, Any]] | None = None


ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 409, 413, 422), ErrorOut)


def _iso_8601_only(value: Any) -> Any:
    # Pydantic would read a bare number as a Unix timestamp; the schema promises ISO 8601 text.
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or value.strip().lstrip("+-").replace(".", "", 1).isdigit():
        raise ValueError("expected an ISO 8601 date-time such as 2026-01-31T12:00:00Z")
    return value


def _as_utc(value: datetime) -> datetime:
    # Databases keep UTC; PostgreSQL refuses offsets beyond ±16 hours that ISO 8601 text may carry.
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("date-time out of range") from exc


IsoDatetime = Annotated[datetime, BeforeValidator(_iso_8601_only), AfterValidator(_as_utc)]


def user_by_id(user_id: int | None, *, field: str) -> Any:
    """The user a payload names by id (with their staff profile), None for none, or an error on `field`."""
    if user_id is None:
        return None
    user = get_user_model().objects.select_related("staff_profile").filter(pk=user_id).first()
    if user is None:
        raise ApplicationError(_("No user with id {id}.").format(id=user_id), field=field)
    return user


def team_by_id(team_id: int | None, *, field: str = "team_id") -> Any:
    """The team a payload names by id, None for none, or an error on `field`."""
    from carefront.core.models import Team

    if team_id is None:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise ApplicationError(_("No team with id {id}.").format(id=team_id), field=field)
    return team
