"""REST endpoints of the relationships: engagements and milestones, commitments, dependencies, the on-time rate and
the time lost waiting on the client. Advisors see their own accounts' items, managers all; a portal contact's token
reads its own account's commitments and dependencies, nothing more."""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from carefront.accounts.access import access_account, access_contact
from carefront.api.common import (
    ERRORS,
    Id,
    IdCursorPagination,
    IsoDatetime,
    StrictIn,
    UserRef,
    actor,
    staff_actor,
    user_by_id,
)
from carefront.core.exceptions import ApplicationError
from carefront.desk.access import access_ticket
from carefront.relationships import selectors, services
from carefront.relationships.access import (
    access_commitment,
    access_dependency,
    access_engagement,
    access_milestone,
)
from carefront.relationships.selectors import Filters
from carefront.relationships.services_reminders import dependency_remind_now

router = Router(tags=["relationships"])

EngagementKindName = Literal["survey", "call_review", "training", "onboarding", "other"]
EngagementStatusName = Literal["planned", "active", "done", "cancelled"]
CommitmentStateName = Literal["open", "done", "late", "dropped"]
DependencyStateName = Literal["open", "received", "cancelled"]


class ListQuery(Schema):
    account: Id | None = None
    owner: Id | None = Field(None, description="The owner (commitments, engagements) or the account's advisor.")
    engagement: Id | None = None
    due_before: IsoDatetime | None = None
    due_after: IsoDatetime | None = None


# --- engagements ---------------------------------------------------------------------------------


class MilestoneOut(Schema):
    id: int
    title: str
    promised_due_at: datetime
    due_at: datetime = Field(description="The promised date pushed on by the time the milestone waited on the client.")
    done_at: datetime | None


class EngagementOut(Schema):
    id: int
    account_id: int
    kind: EngagementKindName
    title: str
    scope: str
    owner: UserRef
    status: EngagementStatusName
    starts_at: datetime
    due_at: datetime
    milestones_total: int
    milestones_done: int
    commitments_total: int = Field(description="Dropped commitments aside.")
    commitments_done: int
    blocking: int = Field(description="Open dependencies: what the client still owes for this engagement.")
    version: int
    created_at: datetime
    updated_at: datetime


class EngagementDetailOut(EngagementOut):
    milestones: list[MilestoneOut]
    waited_hours: float = Field(description="Time some of its work waited on the client (overlaps counted once).")


class EngagementQuery(ListQuery):
    status: EngagementStatusName | None = None


class EngagementIn(StrictIn):
    account_id: Id
    kind: EngagementKindName = "other"
    title: str = Field(min_length=1, max_length=200)
    scope: str = Field("", max_length=5000)
    owner_id: Id
    status: EngagementStatusName = "planned"
    starts_at: IsoDatetime
    due_at: IsoDatetime


class EngagementPatch(StrictIn):
    kind: EngagementKindName | None = None
    title: str | None = Field(None, min_length=1, max_length=200)
    scope: str | None = Field(None, max_length=5000)
    owner_id: Id | None = None
    status: EngagementStatusName | None = None
    starts_at: IsoDatetime | None = None
    due_at: IsoDatetime | None = None
    version: Id | None = Field(None, description="The version you read; a stale one is refused with 409.")


class MilestoneIn(StrictIn):
    title: str = Field(min_length=1, max_length=200)
    due_at: IsoDatetime


def patch_changes(payload: Schema) -> tuple[dict[str, Any], int | None]:
    """The fields a PATCH sets, with an `owner_id` read as its user, and the version it was based on; a null is
    refused (leave a field out to keep it)."""
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version", None)
    if "owner_id" in changes:
        changes["owner"] = user_by_id(changes.pop("owner_id"), field="owner_id")
    for name, value in changes.items():
        if value is None:
            raise ApplicationError(_("This field cannot be null."), field=name)
    return changes, version


def _engagement(user: Any, engagement_id: int) -> Any:
    return selectors.engagements_list(user=user).get(pk=engagement_id)


def _engagement_detail(user: Any, engagement_id: int) -> dict[str, Any]:
    row = _engagement(user, engagement_id)
    detail = selectors.engagement_detail(engagement=row)
    return {
        **{field: getattr(row, field) for field in EngagementOut.model_fields},
        "milestones": detail.milestones,
        "waited_hours": round(detail.waited.total_seconds() / 3600, 1),
    }


@router.get("/relationships/engagements", response={200: list[EngagementOut], **ERRORS}, summary="List engagements")
@paginate(IdCursorPagination)
def list_engagements(request: HttpRequest, filters: Query[EngagementQuery]) -> Any:
    data = filters.dict()
    status = data.pop("status")
    return selectors.engagements_list(user=staff_actor(request), filters=Filters(state=status, **data))


@router.post("/relationships/engagements", response={201: EngagementDetailOut, **ERRORS}, summary="Add an engagement")
def create_engagement(request: HttpRequest, payload: EngagementIn) -> Any:
    user = staff_actor(request)
    data = payload.dict()
    account = access_account(user=user, account_id=data.pop("account_id"))
    owner = user_by_id(data.pop("owner_id"), field="owner_id")
    engagement = services.engagement_create(actor=user, account=account, owner=owner, **data)
    return Status(201, _engagement_detail(user, engagement.pk))


@router.get(
    "/relationships/engagements/{engagement_id}",
    response={200: EngagementDetailOut, **ERRORS},
    summary="An engagement with its milestones and time lost waiting",
)
def get_engagement(request: HttpRequest, engagement_id: Id) -> Any:
    user = staff_actor(request)
    access_engagement(user=user, engagement_id=engagement_id)
    return _engagement_detail(user, engagement_id)


@router.patch(
    "/relationships/engagements/{engagement_id}",
    response={200: EngagementDetailOut, **ERRORS},
    summary="Change an engagement",
)
def update_engagement(request: HttpRequest, engagement_id: Id, payload: EngagementPatch) -> Any:
    user = staff_actor(request)
    engagement = access_engagement(user=user, engagement_id=engagement_id)
    changes, version = patch_changes(payload)
    services.engagement_update(engagement=engagement, actor=user, version=version, **changes)
    return _engagement_detail(user, engagement_id)


@router.post(
    "/relationships/engagements/{engagement_id}/milestones",
    response={201: MilestoneOut, **ERRORS},
    summary="Add a milestone",
)
def create_milestone(request: HttpRequest, engagement_id: Id, payload: MilestoneIn) -> Any:
    user = staff_actor(request)
    engagement = access_engagement(user=user, engagement_id=engagement_id)
    return Status(201, services.milestone_create(engagement=engagement, actor=user, **payload.dict()))


@router.post(
    "/relationships/milestones/{milestone_id}/done", response={200: MilestoneOut, **ERRORS}, summary="Mark done"
)
def complete_milestone(request: HttpRequest, milestone_id: Id) -> Any:
    user = staff_actor(request)
    milestone = access_milestone(user=user, milestone_id=milestone_id)
    return services.milestone_complete(milestone=milestone, actor=user)


# --- commitments ---------------------------------------------------------------------------------


class CommitmentOut(Schema):
    id: int
    account_id: int
    title: str
    owner: UserRef
    state: CommitmentStateName
    promised_due_at: datetime
    due_at: datetime = Field(description="The promised date pushed on by the time it waited on the client.")
    waiting_on_client: bool = Field(description="An open dependency holds it up: its due date is paused.")
    engagement_id: int | None
    milestone_id: int | None
    ticket_id: int | None
    done_at: datetime | None
    dropped_reason: str
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_waiting_on_client(obj: Any) -> bool:
        return bool(obj.waiting)


class CommitmentQuery(ListQuery):
    state: CommitmentStateName | None = None
    owner_inactive: bool = Field(
        False, description="Only unfinished commitments whose owner was deactivated: reassign them."
    )


class CommitmentIn(StrictIn):
    account_id: Id
    title: str = Field(min_length=1, max_length=200)
    owner_id: Id
    due_at: IsoDatetime
    engagement_id: Id | None = None
    milestone_id: Id | None = None
    ticket_id: Id | None = None


class CommitmentPatch(StrictIn):
    title: str | None = Field(None, min_length=1, max_length=200)
    due_at: IsoDatetime | None = Field(None, description="A renegotiated date; needs a reason.")
    reason: str = Field("", max_length=1000)
    version: Id | None = None


class ReasonIn(StrictIn):
    reason: str = Field(min_length=1, max_length=1000)


class ReassignIn(StrictIn):
    owner_id: Id
    reason: str = Field(min_length=1, max_length=1000)


def _commitment(user: Any, commitment_id: int) -> Any:
    return selectors.commitments_list(user=user).get(pk=commitment_id)


@router.get("/relationships/commitments", response={200: list[CommitmentOut], **ERRORS}, summary="List commitments")
@paginate(IdCursorPagination)
def list_commitments(request: HttpRequest, filters: Query[CommitmentQuery]) -> Any:
    data = filters.dict()
    state = data.pop("state")
    return selectors.commitments_list(user=actor(request), filters=Filters(state=state, **data))


@router.post("/relationships/commitments", response={201: CommitmentOut, **ERRORS}, summary="Record a commitment")
def create_commitment(request: HttpRequest, payload: CommitmentIn) -> Any:
    user = staff_actor(request)
    data = payload.dict()
    account = access_account(user=user, account_id=data.pop("account_id"))
    engagement_id, milestone_id, ticket_id = data.pop("engagement_id"), data.pop("milestone_id"), data.pop("ticket_id")
    commitment = services.commitment_create(
        actor=user,
        account=account,
        owner=user_by_id(data.pop("owner_id"), field="owner_id"),
        engagement=access_engagement(user=user, engagement_id=engagement_id) if engagement_id else None,
        milestone=access_milestone(user=user, milestone_id=milestone_id) if milestone_id else None,
        ticket=access_ticket(user=user, ticket_id=ticket_id) if ticket_id else None,
        **data,
    )
    return Status(201, _commitment(user, commitment.pk))


@router.get(
    "/relationships/commitments/{commitment_id}", response={200: CommitmentOut, **ERRORS}, summary="A commitment"
)
def get_commitment(request: HttpRequest, commitment_id: Id) -> Any:
    access_commitment(user=actor(request), commitment_id=commitment_id)
    return _commitment(actor(request), commitment_id)


@router.patch(
    "/relationships/commitments/{commitment_id}", response={200: CommitmentOut, **ERRORS}, summary="Change a commitment"
)
def update_commitment(request: HttpRequest, commitment_id: Id, payload: CommitmentPatch) -> Any:
    commitment = access_commitment(user=actor(request), commitment_id=commitment_id)
    user = staff_actor(request)
    services.commitment_update(commitment=commitment, actor=user, **payload.dict())
    return _commitment(user, commitment_id)


@router.post(
    "/relationships/commitments/{commitment_id}/done",
    response={200: CommitmentOut, **ERRORS},
    summary="Deliver: done if on time, else late",
)
def complete_commitment(request: HttpRequest, commitment_id: Id) -> Any:
    commitment = access_commitment(user=actor(request), commitment_id=commitment_id)
    user = staff_actor(request)
    services.commitment_complete(commitment=commitment, actor=user)
    return _commitment(user, commitment_id)


@router.post(
    "/relationships/commitments/{commitment_id}/drop", response={200: CommitmentOut, **ERRORS}, summary="Drop it"
)
def drop_commitment(request: HttpRequest, commitment_id: Id, payload: ReasonIn) -> Any:
    commitment = access_commitment(user=actor(request), commitment_id=commitment_id)
    user = staff_actor(request)
    services.commitment_drop(commitment=commitment, actor=user, reason=payload.reason)
    return _commitment(user, commitment_id)


@router.post(
    "/relationships/commitments/{commitment_id}/reassign",
    response={200: CommitmentOut, **ERRORS},
    summary="Give it to another owner",
)
def reassign_commitment(request: HttpRequest, commitment_id: Id, payload: ReassignIn) -> Any:
    commitment = access_commitment(user=actor(request), commitment_id=commitment_id)
    user = staff_actor(request)
    owner = user_by_id(payload.owner_id, field="owner_id")
    services.commitment_reassign(commitment=commitment, actor=user, owner=owner, reason=payload.reason)
    return _commitment(user, commitment_id)


class OnTimeOut(Schema):
    key: int | None = Field(description="The owner's, team's or account's id; null for everything in view.")
    label: str
    kept: int = Field(description="Done by the due date (pushed on by time waited on the client).")
    late: int = Field(description="Done after the due date, or still open past it and not waiting on the client.")
    dropped: int = Field(description="Never counted in the rate.")
    pending: int = Field(description="Open and not yet due, or waiting on the client: not counted yet.")
    rate: float | None = Field(description="kept / (kept + late); null when nothing is decided yet.")


class OnTimeQuery(ListQuery):
    by: Literal["owner", "team", "account"] | None = Field(None, description="One figure per owner, team or account.")


@router.get(
    "/relationships/on-time-rate",
    response={200: list[OnTimeOut], **ERRORS},
    summary="The on-time rate of commitments (see docs/relationships.md)",
)
def on_time_rate(request: HttpRequest, filters: Query[OnTimeQuery]) -> Any:
    user = staff_actor(request)
    data = filters.dict()
    by = data.pop("by")
    if by is None:
        return [selectors.on_time_rate(user=user, filters=Filters(**data))]
    return selectors.on_time_rates(user=user, by=by, filters=Filters(**data))


# --- dependencies --------------------------------------------------------------------------------


class DependencyOut(Schema):
    id: int
    account_id: int
    engagement_id: int | None
    what: str
    details: str
    contact_id: int
    due_at: datetime
    state: DependencyStateName
    blocks_commitment_id: int | None
    blocks_milestone_id: int | None
    blocks_ticket_id: int | None
    holding: bool = Field(description="The work it blocks is waiting on it now.")
    resolved_at: datetime | None
    last_reminded_at: datetime | None
    reminders_sent: int
    version: int
    created_at: datetime
    updated_at: datetime


class DependencyQuery(ListQuery):
    state: DependencyStateName | None = None


class DependencyIn(StrictIn):
    what: str = Field(min_length=1, max_length=200)
    details: str = Field("", max_length=5000)
    contact_id: Id
    due_at: IsoDatetime
    blocks_commitment_id: Id | None = Field(None, description="Exactly one of the three blocks_… ids.")
    blocks_milestone_id: Id | None = None
    blocks_ticket_id: Id | None = None
    engagement_id: Id | None = Field(None, description="For a ticket's dependency; others take their work's.")


class DependencyPatch(StrictIn):
    what: str | None = Field(None, min_length=1, max_length=200)
    details: str | None = Field(None, max_length=5000)
    contact_id: Id | None = None
    due_at: IsoDatetime | None = None
    version: Id | None = None


def _dependency(user: Any, dependency_id: int) -> Any:
    return selectors.dependencies_list(user=user).get(pk=dependency_id)


@router.get(
    "/relationships/dependencies", response={200: list[DependencyOut], **ERRORS}, summary="List what clients owe us"
)
@paginate(IdCursorPagination)
def list_dependencies(request: HttpRequest, filters: Query[DependencyQuery]) -> Any:
    data = filters.dict()
    state = data.pop("state")
    return selectors.dependencies_list(user=actor(request), filters=Filters(state=state, **data))


@router.post("/relationships/dependencies", response={201: DependencyOut, **ERRORS}, summary="Record a dependency")
def create_dependency(request: HttpRequest, payload: DependencyIn) -> Any:
    user = staff_actor(request)
    data = payload.dict()
    commitment_id, milestone_id = data.pop("blocks_commitment_id"), data.pop("blocks_milestone_id")
    ticket_id, engagement_id = data.pop("blocks_ticket_id"), data.pop("engagement_id")
    blocks = services.Blocked(
        commitment=access_commitment(user=user, commitment_id=commitment_id) if commitment_id else None,
        milestone=access_milestone(user=user, milestone_id=milestone_id) if milestone_id else None,
        ticket=access_ticket(user=user, ticket_id=ticket_id) if ticket_id else None,
    )
    dependency = services.dependency_create(
        actor=user,
        contact=access_contact(user=user, contact_id=data.pop("contact_id")),
        blocks=blocks,
        engagement=access_engagement(user=user, engagement_id=engagement_id) if engagement_id else None,
        **data,
    )
    return Status(201, _dependency(user, dependency.pk))


@router.get(
    "/relationships/dependencies/{dependency_id}", response={200: DependencyOut, **ERRORS}, summary="A dependency"
)
def get_dependency(request: HttpRequest, dependency_id: Id) -> Any:
    access_dependency(user=actor(request), dependency_id=dependency_id)
    return _dependency(actor(request), dependency_id)


@router.patch(
    "/relationships/dependencies/{dependency_id}", response={200: DependencyOut, **ERRORS}, summary="Change it"
)
def update_dependency(request: HttpRequest, dependency_id: Id, payload: DependencyPatch) -> Any:
    dependency = access_dependency(user=actor(request), dependency_id=dependency_id)
    user = staff_actor(request)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version", None)
    if "contact_id" in changes:
        contact_id = changes.pop("contact_id")
        changes["contact"] = access_contact(user=user, contact_id=contact_id) if contact_id else None
    for name, value in changes.items():
        if value is None:
            raise ApplicationError(_("This field cannot be null."), field=name)
    services.dependency_update(dependency=dependency, actor=user, version=version, **changes)
    return _dependency(user, dependency_id)


@router.post(
    "/relationships/dependencies/{dependency_id}/received",
    response={200: DependencyOut, **ERRORS},
    summary="The client delivered",
)
def receive_dependency(request: HttpRequest, dependency_id: Id) -> Any:
    dependency = access_dependency(user=actor(request), dependency_id=dependency_id)
    user = staff_actor(request)
    services.dependency_receive(dependency=dependency, actor=user)
    return _dependency(user, dependency_id)


@router.post(
    "/relationships/dependencies/{dependency_id}/cancel",
    response={200: DependencyOut, **ERRORS},
    summary="No longer needed",
)
def cancel_dependency(request: HttpRequest, dependency_id: Id, payload: ReasonIn) -> Any:
    dependency = access_dependency(user=actor(request), dependency_id=dependency_id)
    user = staff_actor(request)
    services.dependency_cancel(dependency=dependency, actor=user, reason=payload.reason)
    return _dependency(user, dependency_id)


# --- the waiting report --------------------------------------------------------------------------


class WaitingOut(Schema):
    key: int = Field(description="The account's or engagement's id.")
    label: str
    account_id: int
    hours: float = Field(description="Hours some of its work waited on the client (overlapping waits counted once).")
    dependencies: int
    open: int


class WaitingPageOut(Schema):
    results: list[WaitingOut]
    next_cursor: int | None = Field(description="Pass as `before` for the next page.")


class WaitingQuery(Schema):
    by: Literal["account", "engagement"] = "account"
    before: Id | None = None


@router.get(
    "/relationships/waiting",
    response={200: WaitingPageOut, **ERRORS},
    summary="Time lost waiting on the client, per account or engagement",
)
def waiting_report(request: HttpRequest, filters: Query[WaitingQuery]) -> Any:
    report = selectors.waiting_report(user=staff_actor(request), by=filters.by, before=filters.before)
    return {"results": report.rows, "next_cursor": report.next_cursor}


@router.post(
    "/relationships/dependencies/{dependency_id}/remind",
    response={200: DependencyOut, **ERRORS},
    summary="Remind the client contact now (once late; at most once per reminder interval)",
)
def remind_dependency(request: HttpRequest, dependency_id: Id) -> Any:
    user = staff_actor(request)
    dependency = access_dependency(user=user, dependency_id=dependency_id)
    dependency_remind_now(dependency=dependency, actor=user)
    return _dependency(user, dependency_id)
