"""Surveys of a client's own customers (the `served_for` side).

- The client supplies its customer list: `customer_list_upload` imports it through the accounts app (each row an
  account served for the client with one contact; all or nothing, errors by row and column) and marks the list
  received wherever a campaign for this client waits on it (the relationships app's `dependency_receive`).
- A campaign on the client's behalf (`client_campaign_create`) asks each of the client's customers a CSAT or NPS
  survey once, from its first sending on, under the client's name. When it belongs to an engagement and the list
  has not arrived (the client has no customers on file), the list becomes an open dependency of the engagement:
  it blocks a milestone "survey sent" that the campaign adds, the engagement's clocks wait on the client, and the
  campaign is not sent until the list arrives. Sending itself is the surveys' own (`campaign_run`, with the
  quiet period, the opt-out and each contact's language).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carefront.accounts.csvio import client_customers_import
from carefront.accounts.models import Account, ServiceModel
from carefront.core.csvio import ImportCounts
from carefront.core.exceptions import ApplicationError
from carefront.core.services import Actor, Change, events_record
from carefront.core.validation import clean_datetime, clean_text
from carefront.feedback.models import Campaign, CampaignTrigger, Survey, SurveyKind
from carefront.feedback.services_sending import main_contact
from carefront.relationships.access import require_account_manager
from carefront.relationships.models import Dependency, DependencyState, Engagement
from carefront.relationships.services import Blocked, dependency_create, dependency_receive, milestone_create

CLIENT_SURVEY_KINDS = (SurveyKind.CSAT, SurveyKind.NPS)
MAX_NAME = 200


def _client_check(client: Account) -> None:
    if client.service_model != ServiceModel.CLIENT:
        raise ApplicationError(_("Surveys of a client's customers are for client accounts."), field="account")


def customers_on_file(client: Account) -> bool:
    """Whether the client's customer list has arrived: at least one account is served for it."""
    return Account.objects.filter(served_for=client).exists()


def _client_survey(survey_id: Any) -> Survey:
    survey = Survey.objects.filter(pk=survey_id).first() if isinstance(survey_id, int) else None
    if survey is None or survey.kind not in CLIENT_SURVEY_KINDS or not survey.is_active:
        raise ApplicationError(_("Choose an active CSAT or NPS survey."), field="survey_id")
    return survey


@transaction.atomic
def client_campaign_create(
    *,
    actor: Actor,
    client: Account,
    survey_id: Any,
    starts_at: Any,
    name: Any = "",
    engagement: Engagement | None = None,
    list_due_at: Any = None,
) -> Campaign:
    """A survey of the client's customers on its behalf, sent once from `starts_at`: by its advisor or a manager.
    With an engagement and no customer list yet, the list is recorded as owed (see the module's docstring)."""
    if actor is not None:  # None: the system (the demo)
        require_account_manager(actor, client)
    _client_check(client)
    survey = _client_survey(survey_id)
    start = clean_datetime(starts_at, field="starts_at")
    now = timezone.now()
    title = (
        clean_text(name, field="name", max_length=MAX_NAME).strip()
        or _("{kind} survey for {client}").format(kind=survey.get_kind_display(), client=client.name)[:MAX_NAME]
    )
    campaign = Campaign(
        name=title,
        survey=survey,
        trigger=CampaignTrigger.CLIENT_CUSTOMERS,
        client=client,
        starts_at=start,
        next_run_at=start,
        created_by_id=getattr(actor, "pk", None),
        created_at=now,
        updated_at=now,
    )
    if engagement is not None:
        if engagement.account_id != client.pk:
            raise ApplicationError(_("The engagement belongs to another account."), field="engagement_id")
        if not customers_on_file(client):
            campaign.dependency = _list_owed(
                actor=actor, client=client, engagement=engagement, starts_at=start, due_at=list_due_at
            )
    campaign.save()
    events_record(
        subject_kind="campaign",
        subject_id=campaign.pk,
        action="created",
        changes=[Change("name", None, campaign.name), Change("client", None, client.pk)],
        actor=actor,
    )
    return campaign


def _list_owed(*, actor: Actor, client: Account, engagement: Engagement, starts_at: datetime, due_at: Any) -> Any:
    contact = main_contact(client)
    if contact is None:
        raise ApplicationError(_("Add a contact to the client first: someone owes us the list."), field="engagement_id")
    milestone = milestone_create(
        engagement=engagement,
        actor=actor,
        title=_("Survey sent to the customers of {client}").format(client=client.name)[:200],
        due_at=starts_at,
    )
    return dependency_create(
        actor=actor,
        what=_("Customer list"),
        details=_("The list of the client's customers to survey, as a CSV file."),
        contact=contact,
        due_at=clean_datetime(due_at, field="list_due_at") if due_at is not None else starts_at,
        blocks=Blocked(milestone=milestone),
        engagement=engagement,
    )


@dataclass(frozen=True)
class CustomerListResult:
    """What a customer list upload did: the import's counts and the dependencies it marked received."""

    counts: ImportCounts
    received: list[Dependency]


@transaction.atomic
def customer_list_upload(*, client: Account, source: BinaryIO, actor: Actor) -> CustomerListResult:
    """Import the client's customer list (all or nothing; CsvImportError lists every problem) and mark the list
    received wherever a campaign for this client waits on it."""
    if actor is not None:
        require_account_manager(actor, client)
    _client_check(client)
    counts = client_customers_import(client=client, source=source, actor=actor)
    waiting = Dependency.objects.filter(
        state=DependencyState.OPEN,
        pk__in=Campaign.objects.filter(client=client, dependency__isnull=False).values("dependency_id"),
    ).order_by("id")
    received = [dependency_receive(dependency=dependency, actor=actor) for dependency in waiting]
    events_record(
        subject_kind="account",
        subject_id=client.pk,
        action="customer_list_received",
        changes=[Change("customers", None, counts.rows)],
        actor=actor,
    )
    return CustomerListResult(counts=counts, received=received)
