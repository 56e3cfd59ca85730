"""REST endpoints of the surveys: surveys and campaigns (staff read, managers write), invitations and responses
(staff read, filtered, cursor-paginated). Portal tokens get 403: a response judges a named agent, and a contact's
colleagues would read each other's comments."""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from carefront.api.common import ERRORS, Id, IdCursorPagination, IsoDatetime, StrictIn, staff_actor
from carefront.core.exceptions import ApplicationError
from carefront.feedback import selectors, services
from carefront.feedback.access import access_campaign, access_invitation, access_response, access_survey
from carefront.relationships.services_followups import null_refused

router = Router(tags=["feedback"])

KindName = Literal["csat", "nps", "ces", "custom"]
TriggerName = Literal["schedule", "nth_order", "client_customers"]
NewTriggerName = Literal["schedule", "nth_order"]
BandName = Literal["positive", "neutral", "negative"]
InvitationStateName = Literal["sent", "skipped", "failed"]


class FeedbackQuestion(StrictIn):
    type: Literal["scale", "choice", "yes_no", "text"]
    label: dict[str, str] | str = Field(description='By language, e.g. {"en": "Was it on time?"}.')
    choices: list[dict[str, str] | str] | None = Field(None, description="A single-choice question's 2 to 10 choices.")
    required: bool = Field(False, strict=True)


class FeedbackSurveyOut(Schema):
    id: int
    kind: KindName
    name: str
    is_active: bool
    texts: dict[str, dict[str, str]] = Field(description="By language: question, comment, low, high, subject.")
    questions: list[dict[str, Any]]
    mailbox_ids: list[int]
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_mailbox_ids(obj: Any) -> list[int]:
        return sorted(mailbox.pk for mailbox in obj.mailboxes.all())


class FeedbackSurveyIn(StrictIn):
    kind: KindName
    name: str = Field(min_length=1, max_length=200)
    is_active: bool = Field(True, strict=True)
    texts: dict[str, dict[str, str]] = Field(default_factory=dict)
    questions: list[FeedbackQuestion] = Field(default_factory=list, description="Custom surveys only.")
    mailbox_ids: list[Id] = Field(default_factory=list, description="CES surveys: the mailboxes they are asked for.")


class FeedbackSurveyPatch(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=200)
    is_active: bool | None = Field(None, strict=True)
    texts: dict[str, dict[str, str]] | None = None
    questions: list[FeedbackQuestion] | None = None
    mailbox_ids: list[Id] | None = None
    version: Id | None = Field(None, description="The version you read; a stale one is refused with 409.")


class FeedbackSurveyQuery(Schema):
    kind: KindName | None = None
    active: bool | None = None


class FeedbackCampaignOut(Schema):
    id: int
    name: str
    survey_id: int
    trigger: TriggerName
    rule: str
    starts_at: datetime | None
    next_run_at: datetime | None
    last_run_at: datetime | None
    order_count: int | None
    client_id: int | None = Field(description="On behalf of this client: its customers are asked, under its name.")
    dependency_id: int | None = Field(description="The client's customer list, owed for an engagement.")
    is_active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class FeedbackCampaignIn(StrictIn):
    name: str = Field(min_length=1, max_length=200)
    survey_id: Id
    trigger: NewTriggerName = Field(description="A client's customers: POST /feedback/clients/{id}/campaigns.")
    rule: str = Field("", description="RFC 5545 RRULE for a schedule, e.g. FREQ=MONTHLY;INTERVAL=6.")
    starts_at: IsoDatetime | None = None
    order_count: int | None = Field(None, strict=True, description="After a customer's order of this number.")
    is_active: bool = Field(True, strict=True)


class FeedbackCampaignPatch(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=200)
    rule: str | None = None
    starts_at: IsoDatetime | None = None
    order_count: int | None = Field(None, strict=True)
    is_active: bool | None = Field(None, strict=True)
    version: Id | None = None


class FeedbackInvitationOut(Schema):
    id: int
    key: str
    survey_id: int
    kind: KindName
    effort_survey_id: int | None
    campaign_id: int | None
    reason: str
    account_id: int
    contact_id: int | None
    ticket_id: int | None
    order_id: int | None
    agent_id: int | None
    advisor_id: int | None
    language: str
    state: InvitationStateName
    skip_reason: str
    created_at: datetime
    sent_at: datetime | None
    expires_at: datetime | None
    answered_at: datetime | None


class FeedbackInvitationQuery(Schema):
    kind: KindName | None = None
    state: InvitationStateName | None = None
    account: Id | None = None
    contact: Id | None = None
    ticket: Id | None = None
    campaign: Id | None = None


class FeedbackResponseOut(Schema):
    id: int
    invitation_id: int
    survey_id: int
    kind: KindName
    score: int
    effort: int | None
    comment: str
    answers: dict[str, Any]
    account_id: int
    contact_id: int | None
    ticket_id: int | None
    agent_id: int | None
    advisor_id: int | None
    language: str
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None = Field(description="Empty while the contact may still change the answer.")


class FeedbackResponseQuery(Schema):
    kind: KindName | None = None
    band: BandName | None = Field(None, description="positive: CSAT 4–5, NPS 9–10, CES 6–7; negative: 1–2, 0–6, 1–3.")
    since: IsoDatetime | None = None
    until: IsoDatetime | None = None
    account: Id | None = None
    agent: Id | None = None
    advisor: Id | None = None
    ticket: Id | None = None
    submitted: bool | None = None


def _refuse_nulls(changes: dict[str, Any], allowed: set[str]) -> None:
    for name, value in changes.items():
        if value is None and name not in allowed:
            raise ApplicationError(null_refused(), field=name)


def _questions(value: list[Any] | None) -> list[dict[str, Any]] | None:
    return None if value is None else [question.dict() if hasattr(question, "dict") else question for question in value]


@router.get("/feedback/surveys", response={200: list[FeedbackSurveyOut], **ERRORS}, summary="List surveys")
@paginate(IdCursorPagination)
def list_surveys(request: HttpRequest, filters: Query[FeedbackSurveyQuery]) -> Any:
    return selectors.surveys_list(user=staff_actor(request), kind=filters.kind, active=filters.active)


@router.post("/feedback/surveys", response={201: FeedbackSurveyOut, **ERRORS}, summary="Create a survey (managers)")
def create_survey(request: HttpRequest, payload: FeedbackSurveyIn) -> Any:
    data = payload.dict()
    data["questions"] = _questions(data["questions"])
    return Status(201, services.survey_create(actor=staff_actor(request), **data))


@router.get("/feedback/surveys/{survey_id}", response={200: FeedbackSurveyOut, **ERRORS}, summary="A survey")
def get_survey(request: HttpRequest, survey_id: Id) -> Any:
    return access_survey(user=staff_actor(request), survey_id=survey_id)


@router.patch(
    "/feedback/surveys/{survey_id}", response={200: FeedbackSurveyOut, **ERRORS}, summary="Change it (managers)"
)
def update_survey(request: HttpRequest, survey_id: Id, payload: FeedbackSurveyPatch) -> Any:
    user = staff_actor(request)
    survey = access_survey(user=user, survey_id=survey_id)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version", None)
    _refuse_nulls(changes, set())
    if "questions" in changes:
        changes["questions"] = _questions(changes["questions"])
    return services.survey_update(survey=survey, actor=user, version=version, **changes)


@router.get("/feedback/campaigns", response={200: list[FeedbackCampaignOut], **ERRORS}, summary="List campaigns")
@paginate(IdCursorPagination)
def list_campaigns(request: HttpRequest, active: bool | None = None) -> Any:
    return selectors.campaigns_list(user=staff_actor(request), active=active)


@router.post(
    "/feedback/campaigns", response={201: FeedbackCampaignOut, **ERRORS}, summary="Create a campaign (managers)"
)
def create_campaign(request: HttpRequest, payload: FeedbackCampaignIn) -> Any:
    return Status(201, services.campaign_create(actor=staff_actor(request), **payload.dict()))


@router.get("/feedback/campaigns/{campaign_id}", response={200: FeedbackCampaignOut, **ERRORS}, summary="A campaign")
def get_campaign(request: HttpRequest, campaign_id: Id) -> Any:
    return access_campaign(user=staff_actor(request), campaign_id=campaign_id)


@router.patch(
    "/feedback/campaigns/{campaign_id}", response={200: FeedbackCampaignOut, **ERRORS}, summary="Change it (managers)"
)
def update_campaign(request: HttpRequest, campaign_id: Id, payload: FeedbackCampaignPatch) -> Any:
    user = staff_actor(request)
    campaign = access_campaign(user=user, campaign_id=campaign_id)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version", None)
    _refuse_nulls(changes, set())
    return services.campaign_update(campaign=campaign, actor=user, version=version, **changes)


@router.get(
    "/feedback/invitations",
    response={200: list[FeedbackInvitationOut], **ERRORS},
    summary="Invitations sent or skipped, newest first",
)
@paginate(IdCursorPagination)
def list_invitations(request: HttpRequest, filters: Query[FeedbackInvitationQuery]) -> Any:
    return selectors.invitations_list(user=staff_actor(request), filters=selectors.InvitationFilters(**filters.dict()))


@router.get(
    "/feedback/invitations/{invitation_id}", response={200: FeedbackInvitationOut, **ERRORS}, summary="An invitation"
)
def get_invitation(request: HttpRequest, invitation_id: Id) -> Any:
    return access_invitation(user=staff_actor(request), invitation_id=invitation_id)


@router.get(
    "/feedback/responses", response={200: list[FeedbackResponseOut], **ERRORS}, summary="Responses, newest first"
)
@paginate(IdCursorPagination)
def list_responses(request: HttpRequest, filters: Query[FeedbackResponseQuery]) -> Any:
    return selectors.responses_list(user=staff_actor(request), filters=selectors.ResponseFilters(**filters.dict()))


@router.get("/feedback/responses/{response_id}", response={200: FeedbackResponseOut, **ERRORS}, summary="A response")
def get_response(request: HttpRequest, response_id: Id) -> Any:
    return access_response(user=staff_actor(request), response_id=response_id)
