"""REST endpoints of incidents: the log, an incident, its affected accounts, their drafts, disclosure and remedy.
Managers and admins see and change everything; an advisor reads the incidents touching their accounts (and only
those accounts' rows); portal contacts get nothing (403)."""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from carefront.accounts.access import accounts_visible_to
from carefront.api.common import ERRORS, Id, IdCursorPagination, IsoDatetime, StrictIn, UserRef, staff_actor, user_by_id
from carefront.core.exceptions import ApplicationError
from carefront.relationships import incident_selectors as selectors
from carefront.relationships import incident_services as services
from carefront.relationships.access import access_affected, access_incident
from carefront.relationships.incident_selectors import IncidentFilters

router = Router(tags=["incidents"])

SeverityName = Literal["low", "medium", "high", "critical"]
IncidentStatusName = Literal["open", "resolved"]
DisclosureStateName = Literal["pending", "drafted", "told"]
ChannelName = Literal["email", "call", "meeting", "letter"]
TEMPLATE_HELP = (
    "Django template text for the disclosure drafts (empty: the workspace's default wording). Placeholders: "
    "account_name, contact_name, advisor_name, incident_title, incident_what, incident_impact, occurred_at, "
    "consequence; tags: if/elif/else, firstof, comment. {% load %}, {% include %} and other tags are refused (400)."
)


class IncidentOut(Schema):
    id: int
    title: str
    what_happened: str
    occurred_at: datetime
    discovered_at: datetime
    impact: str
    severity: SeverityName
    owner: UserRef
    status: IncidentStatusName
    resolved_at: datetime | None
    disclosure_template: str
    created_by: UserRef
    affected_count: int
    told_count: int
    remedied_count: int
    clients_untold: int = Field(description="Affected client accounts not yet told.")
    fully_disclosed: bool = Field(description="Every affected client account was told.")
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_fully_disclosed(obj: Any) -> bool:
        return int(obj.clients_untold) == 0


class IncidentQuery(Schema):
    status: IncidentStatusName | None = None
    occurred_after: IsoDatetime | None = None
    occurred_before: IsoDatetime | None = None


class IncidentIn(StrictIn):
    title: str = Field(min_length=1, max_length=200)
    what_happened: str = Field(min_length=1, max_length=5000)
    occurred_at: IsoDatetime
    discovered_at: IsoDatetime
    impact: str = Field("", max_length=5000)
    severity: SeverityName = "medium"
    owner_id: Id
    disclosure_template: str = Field("", max_length=10000, description=TEMPLATE_HELP)


class IncidentPatch(StrictIn):
    title: str | None = Field(None, min_length=1, max_length=200)
    what_happened: str | None = Field(None, min_length=1, max_length=5000)
    occurred_at: IsoDatetime | None = None
    discovered_at: IsoDatetime | None = None
    impact: str | None = Field(None, max_length=5000)
    severity: SeverityName | None = None
    status: IncidentStatusName | None = None
    owner_id: Id | None = None
    disclosure_template: str | None = Field(None, max_length=10000, description=TEMPLATE_HELP)
    version: Id | None = Field(None, description="The version you read; a stale one is refused with 409.")


class AffectedOut(Schema):
    id: int
    incident_id: int
    account_id: int
    account_name: str
    client: bool = Field(description="A client account: it must be told for the incident to be fully disclosed.")
    consequence: str
    disclosure_state: DisclosureStateName
    draft: str
    told_at: datetime | None
    told_by: UserRef | None
    told_via: ChannelName | None
    remedy: str
    remedied_at: datetime | None

    @staticmethod
    def resolve_account_name(obj: Any) -> str:
        return str(obj.account.name)

    @staticmethod
    def resolve_client(obj: Any) -> bool:
        return bool(obj.account.service_model == "client")

    @staticmethod
    def resolve_told_via(obj: Any) -> str | None:
        return obj.told_via or None


class AccountsIn(StrictIn):
    account_ids: list[Id] = Field(min_length=1, max_length=500)
    consequence: str = Field("", max_length=5000, description="What the incident meant for these accounts.")


class DraftsOut(Schema):
    drafted: int = Field(description="How many accounts got a new draft (those told or already drafted are kept).")


class DraftIn(StrictIn):
    draft: str = Field(min_length=1, max_length=10000)


class ToldIn(StrictIn):
    via: ChannelName
    told_at: IsoDatetime | None = Field(None, description="When they were told; now when left out.")
    draft: str | None = Field(None, max_length=10000, description="What was actually said, if not the draft.")


class RemedyIn(StrictIn):
    remedy: str = Field(min_length=1, max_length=5000)
    remedied_at: IsoDatetime | None = Field(None, description="When it was made right; now when left out.")


def _incident(user: Any, incident_id: int) -> Any:
    return selectors.incidents_log(user=user).get(pk=incident_id)


@router.get("/relationships/incidents", response={200: list[IncidentOut], **ERRORS}, summary="The incident log")
@paginate(IdCursorPagination)
def list_incidents(request: HttpRequest, filters: Query[IncidentQuery]) -> Any:
    return selectors.incidents_log(user=staff_actor(request), filters=IncidentFilters(**filters.dict()))


@router.post("/relationships/incidents", response={201: IncidentOut, **ERRORS}, summary="Record an incident")
def create_incident(request: HttpRequest, payload: IncidentIn) -> Any:
    user = staff_actor(request)
    data = payload.dict()
    owner = user_by_id(data.pop("owner_id"), field="owner_id")
    incident = services.incident_create(actor=user, owner=owner, **data)
    return Status(201, _incident(user, incident.pk))


@router.get("/relationships/incidents/{incident_id}", response={200: IncidentOut, **ERRORS}, summary="An incident")
def get_incident(request: HttpRequest, incident_id: Id) -> Any:
    user = staff_actor(request)
    access_incident(user=user, incident_id=incident_id)
    return _incident(user, incident_id)


@router.patch(
    "/relationships/incidents/{incident_id}", response={200: IncidentOut, **ERRORS}, summary="Change or resolve it"
)
def update_incident(request: HttpRequest, incident_id: Id, payload: IncidentPatch) -> Any:
    user = staff_actor(request)
    incident = access_incident(user=user, incident_id=incident_id)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version", None)
    if "owner_id" in changes:
        changes["owner"] = user_by_id(changes.pop("owner_id"), field="owner_id")
    for name, value in changes.items():
        if value is None:
            raise ApplicationError(_("This field cannot be null."), field=name)
    services.incident_update(incident=incident, actor=user, version=version, **changes)
    return _incident(user, incident_id)


@router.get(
    "/relationships/incidents/{incident_id}/accounts",
    response={200: list[AffectedOut], **ERRORS},
    summary="The accounts it touched",
)
@paginate(IdCursorPagination)
def list_affected(request: HttpRequest, incident_id: Id) -> Any:
    user = staff_actor(request)
    incident = access_incident(user=user, incident_id=incident_id)
    return selectors.affected_list(user=user, incident=incident)


@router.post(
    "/relationships/incidents/{incident_id}/accounts",
    response={201: list[AffectedOut], **ERRORS},
    summary="Link accounts (those already linked are left as they are)",
)
def add_affected(request: HttpRequest, incident_id: Id, payload: AccountsIn) -> Any:
    user = staff_actor(request)
    incident = access_incident(user=user, incident_id=incident_id)
    wanted = set(payload.account_ids)
    accounts = list(accounts_visible_to(user).filter(pk__in=wanted))
    missing = sorted(wanted - {account.pk for account in accounts})
    if missing:
        raise ApplicationError(
            _("No account with id {ids}.").format(ids=", ".join(map(str, missing[:10]))), field="account_ids"
        )
    rows = services.incident_accounts_add(
        incident=incident, actor=user, accounts=accounts, consequence=payload.consequence
    )
    created = {row.pk for row in rows}
    return Status(201, [row for row in selectors.affected_list(user=user, incident=incident) if row.pk in created])


@router.post(
    "/relationships/incidents/{incident_id}/drafts",
    response={200: DraftsOut, **ERRORS},
    summary="Draft the disclosure to every account not yet told, from the incident's template",
)
def prepare_drafts(request: HttpRequest, incident_id: Id) -> Any:
    user = staff_actor(request)
    incident = access_incident(user=user, incident_id=incident_id)
    return {"drafted": services.incident_drafts_prepare(incident=incident, actor=user)}


def _affected(user: Any, incident_id: int, account_id: int) -> Any:
    return selectors.affected_list(user=user, incident=access_incident(user=user, incident_id=incident_id)).get(
        account_id=account_id
    )


@router.put(
    "/relationships/incidents/{incident_id}/accounts/{account_id}/draft",
    response={200: AffectedOut, **ERRORS},
    summary="Edit one account's draft",
)
def update_draft(request: HttpRequest, incident_id: Id, account_id: Id, payload: DraftIn) -> Any:
    user = staff_actor(request)
    affected = access_affected(user=user, incident_id=incident_id, account_id=account_id)
    services.affected_draft_update(affected=affected, actor=user, draft=payload.draft)
    return _affected(user, incident_id, account_id)


@router.post(
    "/relationships/incidents/{incident_id}/accounts/{account_id}/told",
    response={200: AffectedOut, **ERRORS},
    summary="Record that the account was told",
)
def mark_told(request: HttpRequest, incident_id: Id, account_id: Id, payload: ToldIn) -> Any:
    user = staff_actor(request)
    affected = access_affected(user=user, incident_id=incident_id, account_id=account_id)
    services.affected_mark_told(affected=affected, actor=user, **payload.dict())
    return _affected(user, incident_id, account_id)


@router.post(
    "/relationships/incidents/{incident_id}/accounts/{account_id}/remedy",
    response={200: AffectedOut, **ERRORS},
    summary="Record what was done to make it right",
)
def record_remedy(request: HttpRequest, incident_id: Id, account_id: Id, payload: RemedyIn) -> Any:
    user = staff_actor(request)
    affected = access_affected(user=user, incident_id=incident_id, account_id=account_id)
    services.affected_remedy_record(affected=affected, actor=user, **payload.dict())
    return _affected(user, incident_id, account_id)
