"""REST endpoints of follow-ups: the rules (staff read them, managers write them), the follow-ups (an advisor sees
their own accounts', a manager all; portal contacts none) and a contact's outreach opt-out."""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from carefront.accounts.access import access_contact
from carefront.api.common import ERRORS, Id, IdCursorPagination, StrictIn, staff_actor
from carefront.core.exceptions import ApplicationError
from carefront.relationships import selectors_followups as selectors
from carefront.relationships import services_followups as services
from carefront.relationships.access import access_followup_rule

router = Router(tags=["relationships"])

EventName = Literal["ticket_solved", "first_order", "nth_order", "check_in_held"]
AudienceName = Literal["customers", "clients", "both"]
StateName = Literal["scheduled", "sent", "skipped", "failed"]
ReasonName = Literal["", "opted_out", "quiet_period", "no_email", "rule_inactive"]


class TemplateText(Schema):
    subject: str = Field(max_length=300)
    body: str = Field(max_length=10_000)


class FollowUpRuleOut(Schema):
    id: int
    name: str
    event: EventName
    order_count: int | None
    delay_minutes: int
    audience: AudienceName
    is_active: bool
    templates: dict[str, TemplateText] = Field(description="By language; the workspace's language is always there.")
    version: int
    created_at: datetime
    updated_at: datetime


class FollowUpRuleIn(StrictIn):
    name: str = Field(min_length=1, max_length=200)
    event: EventName
    order_count: int | None = Field(None, description="The N of an nth_order rule (2 or more).")
    delay_minutes: int = Field(0, ge=0)
    audience: AudienceName = "both"
    is_active: bool = True
    templates: dict[str, TemplateText] = Field(
        description='Django template text by language, e.g. {"en": {"subject": …, "body": …}}; placeholders: '
        + ", ".join(services.TEMPLATE_VARIABLES)
    )


class FollowUpRulePatch(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=200)
    event: EventName | None = None
    order_count: int | None = None
    delay_minutes: int | None = Field(None, ge=0)
    audience: AudienceName | None = None
    is_active: bool | None = None
    templates: dict[str, TemplateText] | None = None
    version: Id | None = Field(None, description="The version you read; a stale one is refused with 409.")


class RuleQuery(Schema):
    active: bool | None = None


class FollowUpOut(Schema):
    id: int
    rule_id: int
    account_id: int
    contact_id: int
    event_key: str
    ticket_id: int | None
    order_id: int | None
    interaction_id: int | None
    scheduled_at: datetime
    state: StateName
    skip_reason: ReasonName
    error: str
    language: str
    sent_at: datetime | None
    subject: str = Field(description="The subject sent, once sent.")
    delivery_state: str = Field(description="The email's delivery state (queued, sent, deferred, failed), once sent.")
    reply_ticket_id: int | None = Field(description="The ticket a reply to it threads into, once there is one.")

    @staticmethod
    def resolve_subject(obj: Any) -> str:
        return obj.outbound.subject if obj.outbound is not None else ""

    @staticmethod
    def resolve_delivery_state(obj: Any) -> str:
        return str(obj.outbound.state) if obj.outbound is not None else ""

    @staticmethod
    def resolve_reply_ticket_id(obj: Any) -> int | None:
        return obj.outbound.ticket_id if obj.outbound is not None else None


class FollowUpQuery(Schema):
    account: Id | None = None
    contact: Id | None = None
    rule: Id | None = None
    state: StateName | None = None


class OptOutOut(Schema):
    contact_id: int
    opted_out: bool
    source: str
    opted_out_at: datetime | None


def _templates(value: dict[str, Any]) -> dict[str, Any]:
    return {code: dict(text) for code, text in value.items()}


@router.get(
    "/relationships/follow-up-rules", response={200: list[FollowUpRuleOut], **ERRORS}, summary="List follow-up rules"
)
@paginate(IdCursorPagination)
def list_rules(request: HttpRequest, filters: Query[RuleQuery]) -> Any:
    return selectors.followup_rules_list(user=staff_actor(request), active=filters.active)


@router.post(
    "/relationships/follow-up-rules", response={201: FollowUpRuleOut, **ERRORS}, summary="Write a rule (managers)"
)
def create_rule(request: HttpRequest, payload: FollowUpRuleIn) -> Any:
    data = payload.dict()
    data["templates"] = _templates(data["templates"])
    return Status(201, services.followup_rule_create(actor=staff_actor(request), **data))


@router.get("/relationships/follow-up-rules/{rule_id}", response={200: FollowUpRuleOut, **ERRORS}, summary="A rule")
def get_rule(request: HttpRequest, rule_id: Id) -> Any:
    return access_followup_rule(user=staff_actor(request), rule_id=rule_id)


@router.patch(
    "/relationships/follow-up-rules/{rule_id}",
    response={200: FollowUpRuleOut, **ERRORS},
    summary="Change it (managers)",
)
def update_rule(request: HttpRequest, rule_id: Id, payload: FollowUpRulePatch) -> Any:
    user = staff_actor(request)
    rule = access_followup_rule(user=user, rule_id=rule_id)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version", None)
    for name, value in changes.items():
        if value is None and name != "order_count":
            raise ApplicationError(services.null_refused(), field=name)
    if "templates" in changes:
        changes["templates"] = _templates(changes["templates"])
    return services.followup_rule_update(rule=rule, actor=user, version=version, **changes)


@router.delete(
    "/relationships/follow-up-rules/{rule_id}",
    response={200: FollowUpRuleOut, **ERRORS},
    summary="Deactivate it: what it scheduled is skipped, its history stays (managers)",
)
def deactivate_rule(request: HttpRequest, rule_id: Id) -> Any:
    user = staff_actor(request)
    rule = access_followup_rule(user=user, rule_id=rule_id)
    return services.followup_rule_update(rule=rule, actor=user, is_active=False)


@router.get("/relationships/follow-ups", response={200: list[FollowUpOut], **ERRORS}, summary="List follow-ups")
@paginate(IdCursorPagination)
def list_followups(request: HttpRequest, filters: Query[FollowUpQuery]) -> Any:
    return selectors.followups_list(user=staff_actor(request), filters=selectors.FollowUpFilters(**filters.dict()))


def _opt_out(contact_id: int) -> dict[str, Any]:
    row = selectors.contact_opt_out(contact_id=contact_id)
    return {
        "contact_id": contact_id,
        "opted_out": row is not None,
        "source": row.source if row is not None else "",
        "opted_out_at": row.created_at if row is not None else None,
    }


@router.get(
    "/relationships/contacts/{contact_id}/outreach-opt-out",
    response={200: OptOutOut, **ERRORS},
    summary="Whether a contact wants no outreach email",
)
def get_opt_out(request: HttpRequest, contact_id: Id) -> Any:
    contact = access_contact(user=staff_actor(request), contact_id=contact_id)
    return _opt_out(contact.pk)


@router.put(
    "/relationships/contacts/{contact_id}/outreach-opt-out",
    response={200: OptOutOut, **ERRORS},
    summary="Stop outreach email (follow-ups, surveys) to a contact",
)
def set_opt_out(request: HttpRequest, contact_id: Id) -> Any:
    user = staff_actor(request)
    contact = access_contact(user=user, contact_id=contact_id)
    services.contact_outreach_opt_out(contact=contact, actor=user)
    return _opt_out(contact.pk)


@router.delete(
    "/relationships/contacts/{contact_id}/outreach-opt-out",
    response={200: OptOutOut, **ERRORS},
    summary="Resume outreach email to a contact",
)
def clear_opt_out(request: HttpRequest, contact_id: Id) -> Any:
    user = staff_actor(request)
    contact = access_contact(user=user, contact_id=contact_id)
    services.contact_outreach_opt_in(contact=contact, actor=user)
    return _opt_out(contact.pk)
