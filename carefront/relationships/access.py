"""Who may see and change engagements, commitments and dependencies.

- managers and admins: everything;
- other staff (advisors, and an agent who owns a commitment): what belongs to the accounts they own, plus the
  engagements and commitments they own themselves;
- a portal contact (session or API token): their own account's commitments and dependencies, read-only;
  engagements stay internal;
- cadences, check-ins and interactions: the account's advisor (and a check-in's own advisor) and managers;
  never a portal contact;
- anyone else: nothing.

Follow-ups: managers see every rule and follow-up and manage the rules; other staff see the rules (read-only) and
the follow-ups of the accounts they own; portal contacts see none.

The client profile (goals, preferences, key people, services): any staff member reads it, the account's advisor
and managers change it, managers define its fields; portal contacts see none of it.

Incidents: managers and admins see and manage all of them; other staff see, read-only, the incidents that touched
an account they own (and only those accounts' rows) or that they own; portal contacts see none.

A row the user may not see is a 404, as for tickets.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from carefront.core.access import is_manager, is_staff_member, portal_account_id
from carefront.core.exceptions import ApplicationError
from carefront.core.selectors import unique_or_none
from carefront.relationships.models import (
    AdvisorRecommendation,
    AffectedAccount,
    Cadence,
    CheckIn,
    ClientGoal,
    ClientService,
    Commitment,
    Dependency,
    Engagement,
    FollowUp,
    FollowUpRule,
    Incident,
    Interaction,
    KeyPerson,
    Milestone,
    NextStep,
    ProfileField,
)


def _scope(queryset: QuerySet[Any], user: Any, *, staff: Q, contacts: bool) -> QuerySet[Any]:
    if is_manager(user):
        return queryset
    if is_staff_member(user):
        return queryset.filter(staff)
    account_id = portal_account_id(user) if contacts else None
    if account_id is None:
        return queryset.none()
    return queryset.filter(account_id=account_id)


def _id(user: Any) -> int | None:
    return getattr(user, "pk", None)


def engagements_visible_to(user: Any) -> QuerySet[Engagement]:
    mine = Q(account__owner_id=_id(user)) | Q(owner_id=_id(user))
    return _scope(Engagement.objects.all(), user, staff=mine, contacts=False)


def commitments_visible_to(user: Any) -> QuerySet[Commitment]:
    mine = Q(account__owner_id=_id(user)) | Q(owner_id=_id(user))
    return _scope(Commitment.objects.all(), user, staff=mine, contacts=True)


def dependencies_visible_to(user: Any) -> QuerySet[Dependency]:
    mine = Q(account__owner_id=_id(user)) | Q(engagement__owner_id=_id(user))
    return _scope(Dependency.objects.all(), user, staff=mine, contacts=True)


def cadences_visible_to(user: Any) -> QuerySet[Cadence]:
    mine = Q(account__owner_id=_id(user)) | Q(owner_id=_id(user))
    return _scope(Cadence.objects.all(), user, staff=mine, contacts=False)


def check_ins_visible_to(user: Any) -> QuerySet[CheckIn]:
    mine = Q(account__owner_id=_id(user)) | Q(owner_id=_id(user))
    return _scope(CheckIn.objects.all(), user, staff=mine, contacts=False)


def interactions_visible_to(user: Any) -> QuerySet[Interaction]:
    mine = Q(account__owner_id=_id(user)) | Q(author_id=_id(user))
    return _scope(Interaction.objects.all(), user, staff=mine, contacts=False)


def access_cadence(*, user: Any, cadence_id: int) -> Cadence:
    cadence = unique_or_none(
        cadences_visible_to(user).select_related("account", "account__owner", "owner").filter(pk=cadence_id)
    )
    if cadence is None:
        raise Http404
    return cadence


def access_check_in(*, user: Any, check_in_id: int) -> CheckIn:
    check_in = unique_or_none(
        check_ins_visible_to(user).select_related("account", "cadence", "owner").filter(pk=check_in_id)
    )
    if check_in is None:
        raise Http404
    return check_in


def access_interaction(*, user: Any, interaction_id: int) -> Interaction:
    interaction = unique_or_none(
        interactions_visible_to(user).select_related("account", "author", "check_in").filter(pk=interaction_id)
    )
    if interaction is None:
        raise Http404
    return interaction


def access_next_step(*, user: Any, next_step_id: int) -> NextStep:
    step = unique_or_none(
        NextStep.objects.select_related("interaction", "interaction__account").filter(
            pk=next_step_id, interaction__in=interactions_visible_to(user)
        )
    )
    if step is None:
        raise Http404
    return step


def access_engagement(*, user: Any, engagement_id: int) -> Engagement:
    """The engagement with its account and owner, or 404 for anything the user may not see."""
    engagement = unique_or_none(
        engagements_visible_to(user).select_related("account", "account__owner", "owner").filter(pk=engagement_id)
    )
    if engagement is None:
        raise Http404
    return engagement


def access_milestone(*, user: Any, milestone_id: int) -> Milestone:
    milestone = unique_or_none(
        Milestone.objects.select_related("engagement", "engagement__account").filter(
            pk=milestone_id, engagement__in=engagements_visible_to(user)
        )
    )
    if milestone is None:
        raise Http404
    return milestone


def access_commitment(*, user: Any, commitment_id: int) -> Commitment:
    commitment = unique_or_none(
        commitments_visible_to(user).select_related("account", "account__owner", "owner").filter(pk=commitment_id)
    )
    if commitment is None:
        raise Http404
    return commitment


def access_dependency(*, user: Any, dependency_id: int) -> Dependency:
    dependency = unique_or_none(
        dependencies_visible_to(user)
        .select_related("account", "account__owner", "contact", "engagement")
        .filter(pk=dependency_id)
    )
    if dependency is None:
        raise Http404
    return dependency


def may_manage_account(user: Any, account: Any) -> bool:
    """Whether the user may make promises to, and ask things of, this account: its owner, or a manager."""
    return is_manager(user) or (is_staff_member(user) and account.owner_id == user.pk)


def require_account_manager(user: Any, account: Any) -> None:
    if not may_manage_account(user, account):
        raise ApplicationError(_("Only the account's advisor or a manager may do this."), field="account", status=403)


def require_commitment_editor(user: Any, commitment: Commitment) -> None:
    """The commitment's owner, the account's advisor or a manager may change it."""
    if is_staff_member(user) and commitment.owner_id == user.pk:
        return
    require_account_manager(user, commitment.account)


def incidents_visible_to(user: Any) -> QuerySet[Incident]:
    if is_manager(user):
        return Incident.objects.all()
    if not is_staff_member(user):
        return Incident.objects.none()
    touching = Exists(AffectedAccount.objects.filter(incident=OuterRef("pk"), account__owner_id=user.pk))
    return Incident.objects.filter(Q(owner_id=user.pk) | Q(touching))


def affected_visible_to(user: Any) -> QuerySet[AffectedAccount]:
    """A manager sees every affected account, an incident's owner all of its own; an advisor only their accounts."""
    if is_manager(user):
        return AffectedAccount.objects.all()
    if not is_staff_member(user):
        return AffectedAccount.objects.none()
    return AffectedAccount.objects.filter(Q(account__owner_id=user.pk) | Q(incident__owner_id=user.pk))


def access_incident(*, user: Any, incident_id: int) -> Incident:
    """The incident with its owner, or 404 for anything the user may not see."""
    incident = unique_or_none(incidents_visible_to(user).select_related("owner", "created_by").filter(pk=incident_id))
    if incident is None:
        raise Http404
    return incident


def access_affected(*, user: Any, incident_id: int, account_id: int) -> AffectedAccount:
    """One account's row of an incident, or 404."""
    affected = unique_or_none(
        affected_visible_to(user)
        .select_related("incident", "account", "account__owner", "told_by")
        .filter(incident_id=incident_id, account_id=account_id)
    )
    if affected is None:
        raise Http404
    return affected


def followup_rules_visible_to(user: Any) -> QuerySet[FollowUpRule]:
    return FollowUpRule.objects.all() if is_staff_member(user) else FollowUpRule.objects.none()


def followups_visible_to(user: Any) -> QuerySet[FollowUp]:
    return _scope(FollowUp.objects.all(), user, staff=Q(account__owner_id=_id(user)), contacts=False)


def access_followup_rule(*, user: Any, rule_id: int) -> FollowUpRule:
    rule = unique_or_none(followup_rules_visible_to(user).filter(pk=rule_id))
    if rule is None:
        raise Http404
    return rule


# Health scores: the account's advisor and managers, as for cadences; never a portal contact.


def may_see_health(user: Any, account: Any) -> bool:
    """Whether the user may read this client's health score: its advisor, or a manager."""
    return account.service_model == "client" and (
        is_manager(user) or (is_staff_member(user) and account.owner_id == _id(user))
    )


def health_accounts_visible_to(user: Any) -> QuerySet[Any]:
    """The client accounts whose health the user may read."""
    from carefront.accounts.models import Account

    return _scope(Account.objects.filter(service_model="client"), user, staff=Q(owner_id=_id(user)), contacts=False)


def access_health_account(*, user: Any, account_id: int) -> Any:
    """The client account, for reading its health, or 404 for anything else the user may not see."""
    account = unique_or_none(health_accounts_visible_to(user).select_related("owner").filter(pk=account_id))
    if account is None:
        raise Http404
    return account


# --- the client profile --------------------------------------------------------------------------
# Any staff member who may see the account reads its profile (whoever helps the client should know them); writes
# are for the account's advisor or a manager (`require_account_manager`); portal contacts see none of it.


def _staff_only(queryset: QuerySet[Any], user: Any) -> QuerySet[Any]:
    return queryset if is_staff_member(user) else queryset.none()


def goals_visible_to(user: Any) -> QuerySet[ClientGoal]:
    return _staff_only(ClientGoal.objects.all(), user)


def key_people_visible_to(user: Any) -> QuerySet[KeyPerson]:
    return _staff_only(KeyPerson.objects.all(), user)


def client_services_visible_to(user: Any) -> QuerySet[ClientService]:
    return _staff_only(ClientService.objects.all(), user)


def access_goal(*, user: Any, goal_id: int) -> ClientGoal:
    goal = unique_or_none(goals_visible_to(user).select_related("account", "account__owner").filter(pk=goal_id))
    if goal is None:
        raise Http404
    return goal


def access_key_person(*, user: Any, key_person_id: int) -> KeyPerson:
    person = unique_or_none(
        key_people_visible_to(user).select_related("account", "account__owner", "contact").filter(pk=key_person_id)
    )
    if person is None:
        raise Http404
    return person


def access_client_service(*, user: Any, service_id: int) -> ClientService:
    service = unique_or_none(
        client_services_visible_to(user).select_related("account", "account__owner").filter(pk=service_id)
    )
    if service is None:
        raise Http404
    return service


def access_profile_field(*, user: Any, field_id: int) -> ProfileField:
    """A profile field's definition, for a manager (who alone defines them); 404 for anyone else."""
    field = unique_or_none(ProfileField.objects.filter(pk=field_id)) if is_manager(user) else None
    if field is None:
        raise Http404
    return field


# Portfolios and recommendations: an advisor's own, or anyone's for a manager.


def access_portfolio(*, user: Any, advisor_id: int) -> Any:
    """The advisor whose portfolio the user asks for: their own, or anyone's for a manager; else 404."""
    if not is_staff_member(user) or (advisor_id != user.pk and not is_manager(user)):
        raise Http404
    advisor = get_user_model().objects.filter(pk=advisor_id, staff_profile__isnull=False).first()
    if advisor is None:
        raise Http404
    return advisor


def access_recommendation(*, user: Any, recommendation_id: int) -> AdvisorRecommendation:
    """The recommendation, if it was made for the user (or the user is a manager); else 404."""
    rows = AdvisorRecommendation.objects.select_related("account", "advisor")
    if not is_manager(user):
        if not is_staff_member(user):
            raise Http404
        rows = rows.filter(advisor_id=user.pk)
    row = rows.filter(pk=recommendation_id).first()
    if row is None:
        raise Http404
    return row
