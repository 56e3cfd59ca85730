"""REST endpoints for macros: list, create and change them, and apply one to a ticket."""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from carefront.api.common import ERRORS, Id, OldestFirstPagination, StrictIn, staff_actor
from carefront.desk import macro_selectors
from carefront.desk.access import access_macro, access_ticket
from carefront.desk.api import MessageOut
from carefront.desk.macro_services import macro_apply, macro_create, macro_update
from carefront.desk.models import Macro
from carefront.desk.selectors import messages_list

router = Router(tags=["macros"])

LanguageCode = Literal["en", "fr"]
MacroStatus = Literal["", "open", "pending", "on_hold", "solved"]


class MacroOut(Schema):
    id: int
    name: str
    shared: bool
    kind: Literal["public", "internal"]
    set_status: str
    add_tags: list[str]
    texts: dict[str, str] = Field(description="The text in each language, by language code.")
    is_active: bool
    usage_count: int
    last_used_at: datetime | None

    @staticmethod
    def resolve_shared(obj: Macro) -> bool:
        return obj.owner_id is None

    @staticmethod
    def resolve_texts(obj: Macro) -> dict[str, str]:
        return {text.language: text.body for text in obj.texts.all()}


class MacroIn(StrictIn):
    name: str = Field(min_length=1, max_length=100)
    shared: bool = Field(False, description="Shared with all staff (managers and admins only).")
    kind: Literal["public", "internal"] = "public"
    set_status: MacroStatus = ""
    add_tags: list[str] = Field(default_factory=list, max_length=20)
    texts: dict[LanguageCode, str] = Field(min_length=1, description="Text per language; placeholders allowed.")


class MacroPatch(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=100)
    kind: Literal["public", "internal"] | None = None
    set_status: MacroStatus | None = None
    add_tags: list[str] | None = Field(None, max_length=20)
    texts: dict[LanguageCode, str] | None = Field(None, min_length=1)
    is_active: bool | None = None


class ApplyIn(StrictIn):
    send: bool = Field(False, description="Post the text as a reply or note and apply the actions now.")


class AppliedOut(Schema):
    body: str
    language: str
    kind: str
    set_status: str
    add_tags: list[str]
    message: MessageOut | None


def _detail(user: Any, macro_id: int) -> Macro:
    return macro_selectors.macros_list(user=user).get(pk=macro_id)


@router.get("/macros", response={200: list[MacroOut], **ERRORS}, summary="The macros you may use")
@paginate(OldestFirstPagination)
def list_macros(request: HttpRequest) -> Any:
    return macro_selectors.macros_list(user=staff_actor(request))


@router.post("/macros", response={201: MacroOut, **ERRORS}, summary="Create a macro")
def create_macro(request: HttpRequest, payload: MacroIn) -> Any:
    user = staff_actor(request)
    macro = macro_create(actor=user, **payload.dict())
    return Status(201, _detail(user, macro.pk))


@router.get("/macros/{macro_id}", response={200: MacroOut, **ERRORS}, summary="Get a macro")
def get_macro(request: HttpRequest, macro_id: Id) -> Any:
    user = staff_actor(request)
    access_macro(user=user, macro_id=macro_id)
    return _detail(user, macro_id)


@router.patch("/macros/{macro_id}", response={200: MacroOut, **ERRORS}, summary="Change a macro")
def update_macro(request: HttpRequest, macro_id: Id, payload: MacroPatch) -> Any:
    user = staff_actor(request)
    macro = access_macro(user=user, macro_id=macro_id)
    macro_update(actor=user, macro=macro, **payload.dict(exclude_unset=True))
    return _detail(user, macro_id)


@router.post(
    "/tickets/{ticket_id}/macros/{macro_id}/apply",
    response={200: AppliedOut, **ERRORS},
    summary="Render a macro for a ticket (and with send, post it and apply its actions)",
)
def apply_macro(request: HttpRequest, ticket_id: Id, macro_id: Id, payload: ApplyIn) -> Any:
    user = staff_actor(request)
    ticket = access_ticket(user=user, ticket_id=ticket_id)
    macro = access_macro(user=user, macro_id=macro_id)
    applied = macro_apply(macro=macro, ticket=ticket, actor=user, send=payload.send)
    message = messages_list(user=user, ticket=ticket).get(pk=applied.message.pk) if applied.message else None
    return {
        "body": applied.body,
        "language": applied.language,
        "kind": applied.kind,
        "set_status": applied.set_status,
        "add_tags": applied.add_tags,
        "message": message,
    }
