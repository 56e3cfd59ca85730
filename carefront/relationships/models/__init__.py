"""Client relationships (issue 9), one module per part; every model is importable from here.

Engagements, commitments, dependencies and waits are in `work`; cadences, check-ins, interactions and advisor
settings in `checkins`; incidents in `incidents`; advisors' morning recommendations in `recommendations`;
follow-up rules, follow-ups and outreach opt-outs in `followups`; health scores in `health`; the client profile
(goals, preferences, key people, services) in `profile`.
"""

from carefront.relationships.models.checkins import (
    AdvisorSettings,
    Cadence,
    CadenceKind,
    CheckIn,
    CheckInState,
    Interaction,
    InteractionKind,
    NextStep,
)
from carefront.relationships.models.followups import (
    FollowUp,
    FollowUpAudience,
    FollowUpEvent,
    FollowUpRule,
    FollowUpState,
    OptOutSource,
    OutreachOptOut,
    OutreachSettings,
    SkipReason,
)
from carefront.relationships.models.health import AccountHealth, HealthBand, HealthSettings, HealthSnapshot
from carefront.relationships.models.incidents import (
    AffectedAccount,
    DisclosureChannel,
    DisclosureState,
    Incident,
    IncidentSeverity,
    IncidentStatus,
)
from carefront.relationships.models.profile import (
    BillingPeriod,
    ClientGoal,
    ClientProfile,
    ClientService,
    GoalState,
    KeyPerson,
    KeyPersonRole,
    ProfileField,
    ProfileFieldKind,
    ServiceStatus,
)
from carefront.relationships.models.recommendations import (
    AdvisorRecommendation,
    RecommendationKind,
    RecommendationRun,
    RecommendationState,
)
from carefront.relationships.models.work import (
    Commitment,
    CommitmentState,
    Dependency,
    DependencyState,
    Engagement,
    EngagementKind,
    EngagementStatus,
    Milestone,
    Wait,
)

__all__ = [
    "AccountHealth",
    "AdvisorRecommendation",
    "AdvisorSettings",
    "AffectedAccount",
    "BillingPeriod",
    "Cadence",
    "CadenceKind",
    "CheckIn",
    "CheckInState",
    "ClientGoal",
    "ClientProfile",
    "ClientService",
    "Commitment",
    "CommitmentState",
    "Dependency",
    "DependencyState",
    "DisclosureChannel",
    "DisclosureState",
    "Engagement",
    "EngagementKind",
    "EngagementStatus",
    "FollowUp",
    "FollowUpAudience",
    "FollowUpEvent",
    "FollowUpRule",
    "FollowUpState",
    "GoalState",
    "HealthBand",
    "HealthSettings",
    "HealthSnapshot",
    "Incident",
    "IncidentSeverity",
    "IncidentStatus",
    "Interaction",
    "InteractionKind",
    "KeyPerson",
    "KeyPersonRole",
    "Milestone",
    "NextStep",
    "OptOutSource",
    "OutreachOptOut",
    "OutreachSettings",
    "ProfileField",
    "ProfileFieldKind",
    "RecommendationKind",
    "RecommendationRun",
    "RecommendationState",
    "ServiceStatus",
    "SkipReason",
    "Wait",
]
