"""Who may see surveys, campaigns, invitations and responses: every staff member reads them (an agent their CSAT,
an advisor their clients' NPS, a manager all of it); managers change surveys and campaigns; portal contacts and
strangers see none of it (a response names the agent it judges, and colleagues at one account would read each
other's comments)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from carefront.accounts.models import Account, ServiceModel
from carefront.core.access import is_manager, is_staff_member
from carefront.feedback.models import Campaign, Invitation, Response, Survey


def surveys_visible_to(user: Any) -> QuerySet[Survey]:
    return Survey.objects.all() if is_staff_member(user) else Survey.objects.none()


def campaigns_visible_to(user: Any) -> QuerySet[Campaign]:
    return Campaign.objects.all() if is_staff_member(user) else Campaign.objects.none()


def invitations_visible_to(user: Any) -> QuerySet[Invitation]:
    return Invitation.objects.all() if is_staff_member(user) else Invitation.objects.none()


def responses_visible_to(user: Any) -> QuerySet[Response]:
    return Response.objects.all() if is_staff_member(user) else Response.objects.none()


def access_survey(*, user: Any, survey_id: int) -> Survey:
    survey = surveys_visible_to(user).filter(pk=survey_id).first()
    if survey is None:
        raise Http404
    return survey


def access_campaign(*, user: Any, campaign_id: int) -> Campaign:
    campaign = campaigns_visible_to(user).select_related("survey").filter(pk=campaign_id).first()
    if campaign is None:
        raise Http404
    return campaign


def access_response(*, user: Any, response_id: int) -> Response:
    response = (
        responses_visible_to(user)
        .select_related("survey", "account", "contact", "ticket", "agent", "advisor")
        .filter(pk=response_id)
        .first()
    )
    if response is None:
        raise Http404
    return response


def access_invitation(*, user: Any, invitation_id: int) -> Invitation:
    invitation = (
        invitations_visible_to(user)
        .select_related("survey", "account", "contact", "ticket", "agent", "advisor")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None:
        raise Http404
    return invitation


def access_client_for_surveys(*, user: Any, account_id: int) -> Account:
    """A client whose customers' surveys the user may read and run: its advisor (the account's owner) or a
    manager; 404 for anything else (another advisor's client, a customer account, a portal user)."""
    account = (
        Account.objects.select_related("owner").filter(pk=account_id, service_model=ServiceModel.CLIENT).first()
        if is_staff_member(user)
        else None
    )
    if account is None or not (is_manager(user) or account.owner_id == user.pk):
        raise Http404
    return account
