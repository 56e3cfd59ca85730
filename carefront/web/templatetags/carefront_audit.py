"""How audit events and SLA states read on screen: translated actions, field names, values and states."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import TextChoices
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from carefront.accounts.models import AccountKind, Channel, LifecycleStage, ServiceModel
from carefront.desk.models import Priority, Status, Tier
from carefront.desk.sla_selectors import ticket_sla
from carefront.insights.models import Advice

register = template.Library()

# What someone did, read after their name ("Alice changed #12: Status …"): a context of its own,
# since "created" as a column heading reads differently in other languages.
ACTIONS = {
    "created": pgettext_lazy("audit action", "created"),
    "updated": pgettext_lazy("audit action", "changed"),
    "replied": pgettext_lazy("audit action", "replied"),
    "noted": pgettext_lazy("audit action", "added an internal note"),
    "reopened_by_requester": pgettext_lazy("audit action", "reopened by the requester's reply"),
    "auto_closed": pgettext_lazy("audit action", "closed automatically"),
    "contact_added": pgettext_lazy("audit action", "added a contact"),
    "portal_access_granted": pgettext_lazy("audit action", "gave portal access"),
    "escalated": pgettext_lazy("audit action", "escalated"),
    "de_escalated": pgettext_lazy("audit action", "de-escalated"),
    "routed": pgettext_lazy("audit action", "routed"),
    "automation": pgettext_lazy("audit action", "changed (automation)"),
    "automation_fired": pgettext_lazy("audit action", "ran an automation"),
    "automation_failed": pgettext_lazy("audit action", "could not run an automation"),
    "requester_reminded": pgettext_lazy("audit action", "reminded the requester"),
    "merged": pgettext_lazy("audit action", "merged"),
    "linked": pgettext_lazy("audit action", "linked"),
    "unlinked": pgettext_lazy("audit action", "unlinked"),
    "split": pgettext_lazy("audit action", "split from another ticket"),
    "flagged_difficult": pgettext_lazy("audit action", "flagged a difficult conversation"),
    "cleared_difficult": pgettext_lazy("audit action", "cleared the difficult-conversation flag"),
    "checklist": pgettext_lazy("audit action", "worked the de-escalation checklist"),
    "insight_accepted": pgettext_lazy("audit action", "accepted the insights' suggestion"),
    "insight_declined": pgettext_lazy("audit action", "declined the insights' suggestion"),
    "waiting_on_client": pgettext_lazy("audit action", "set waiting on the client"),
    "client_delivered": pgettext_lazy("audit action", "stopped waiting on the client"),
    "engagement_created": pgettext_lazy("audit action", "planned an engagement"),
    "engagement_updated": pgettext_lazy("audit action", "changed an engagement"),
    "milestone_created": pgettext_lazy("audit action", "added a milestone"),
    "milestone_done": pgettext_lazy("audit action", "completed a milestone"),
    "commitment_created": pgettext_lazy("audit action", "made a commitment"),
    "commitment_updated": pgettext_lazy("audit action", "changed a commitment"),
    "commitment_done": pgettext_lazy("audit action", "kept a commitment"),
    "commitment_done_late": pgettext_lazy("audit action", "delivered a commitment late"),
    "commitment_late": pgettext_lazy("audit action", "found a commitment late"),
    "commitment_dropped": pgettext_lazy("audit action", "dropped a commitment"),
    "commitment_reassigned": pgettext_lazy("audit action", "reassigned a commitment"),
    "dependency_created": pgettext_lazy("audit action", "recorded what the client owes"),
    "dependency_updated": pgettext_lazy("audit action", "changed what the client owes"),
    "dependency_received": pgettext_lazy("audit action", "received what the client owed"),
    "dependency_cancelled": pgettext_lazy("audit action", "no longer needs what the client owed"),
    "dependency_reminded": pgettext_lazy("audit action", "reminded the client"),
    "incident_linked": pgettext_lazy("audit action", "linked the account to an incident"),
    "incident_updated": pgettext_lazy("audit action", "changed an incident"),
    "incident_resolved": pgettext_lazy("audit action", "resolved an incident"),
    "incident_drafted": pgettext_lazy("audit action", "drafted an incident's disclosure"),
    "incident_disclosed": pgettext_lazy("audit action", "told the client of an incident"),
    "incident_remedied": pgettext_lazy("audit action", "made an incident right"),
    "cadence_created": pgettext_lazy("audit action", "planned a cadence"),
    "cadence_updated": pgettext_lazy("audit action", "changed a cadence"),
    "cadence_ended": pgettext_lazy("audit action", "ended a cadence"),
    "check_in_rescheduled": pgettext_lazy("audit action", "rescheduled a check-in"),
    "check_in_cancelled": pgettext_lazy("audit action", "cancelled a check-in"),
    "check_in_held": pgettext_lazy("audit action", "held a check-in"),
    "check_in_missed": pgettext_lazy("audit action", "found a check-in missed"),
    "interaction_logged": pgettext_lazy("audit action", "logged an interaction"),
    "work_handed_over": pgettext_lazy("audit action", "handed the advisor's work over"),
    "follow_up_sent": pgettext_lazy("audit action", "sent a follow-up"),
    "outreach_opted_out": pgettext_lazy("audit action", "stopped outreach email to a contact"),
    "outreach_opted_in": pgettext_lazy("audit action", "resumed outreach email to a contact"),
    "profile_updated": pgettext_lazy("audit action", "changed the client profile"),
    "goal_created": pgettext_lazy("audit action", "recorded a client goal"),
    "goal_updated": pgettext_lazy("audit action", "changed a client goal"),
    "goal_achieved": pgettext_lazy("audit action", "marked a client goal achieved"),
    "goal_abandoned": pgettext_lazy("audit action", "marked a client goal abandoned"),
    "key_person_added": pgettext_lazy("audit action", "named a key person"),
    "key_person_updated": pgettext_lazy("audit action", "changed a key person"),
    "key_person_removed": pgettext_lazy("audit action", "removed a key person"),
    "client_service_added": pgettext_lazy("audit action", "recorded a service the client buys"),
    "client_service_updated": pgettext_lazy("audit action", "changed a service the client buys"),
}

FIELDS = {
    "status": gettext_lazy("Status"),
    "priority": gettext_lazy("Priority"),
    "tier": gettext_lazy("Tier"),
    "assignee": gettext_lazy("Assignee"),
    "team": gettext_lazy("Team"),
    "tags": gettext_lazy("Tags"),
    "subject": gettext_lazy("Subject"),
    "follow_up_of": gettext_lazy("Follow-up of"),
    "service_model": gettext_lazy("Service model"),
    "lifecycle_stage": gettext_lazy("Lifecycle stage"),
    "owner": gettext_lazy("Owner"),
    "name": gettext_lazy("Name"),
    "kind": gettext_lazy("Kind"),
    "locale": gettext_lazy("Locale"),
    "time_zone": gettext_lazy("Time zone"),
    "country": gettext_lazy("Country"),
    "segment": gettext_lazy("Segment"),
    "served_for": gettext_lazy("Served for"),
    "external_id": gettext_lazy("External id"),
    "custom_fields": gettext_lazy("Custom fields"),
    "contact": gettext_lazy("Contact"),
    "merged_into": gettext_lazy("Merged into"),
    "merged_from": gettext_lazy("Merged from"),
    "link": gettext_lazy("Linked ticket"),
    "split_from": gettext_lazy("Split from"),
    "difficult": gettext_lazy("Difficult conversation"),
    "automation": gettext_lazy("Automation"),
    "email": gettext_lazy("Email"),
    "advice": gettext_lazy("Advice"),
    "waiting_on_client": gettext_lazy("Waiting on client"),
    "engagement": gettext_lazy("Engagement"),
    "milestone": gettext_lazy("Milestone"),
    "commitment": gettext_lazy("Commitment"),
    "dependency": gettext_lazy("Dependency"),
    "incident": gettext_lazy("Incident"),
    "cadence": gettext_lazy("Cadence"),
    "check_in": gettext_lazy("Check-in"),
    "interaction": gettext_lazy("Interaction"),
    "commitments_moved": gettext_lazy("Commitments moved"),
    "engagements_moved": gettext_lazy("Engagements moved"),
    "cadences_moved": gettext_lazy("Cadences moved"),
    "check_ins_moved": gettext_lazy("Check-ins moved"),
    "follow_up": gettext_lazy("Follow-up"),
    "profile": gettext_lazy("Client profile"),
    "goal": gettext_lazy("Goal"),
    "key_person": gettext_lazy("Key person"),
    "client_service": gettext_lazy("Service bought"),
    "profile_field": gettext_lazy("Profile field"),
}

# Relationship items are recorded on the account as {"id", "title", <what changed>}: read by their title.
ITEMS = frozenset(
    {
        "engagement",
        "milestone",
        "commitment",
        "dependency",
        "cadence",
        "check_in",
        "interaction",
        "incident",
        "goal",
        "key_person",
        "client_service",
    }
)

CHOICES: dict[str, type[TextChoices] | Any] = {
    "status": Status,
    "priority": Priority,
    "tier": Tier,
    "service_model": ServiceModel,
    "lifecycle_stage": LifecycleStage,
    "kind": AccountKind,
    "channel": Channel,
    "advice": Advice,
}


@register.filter
def audit_action(action: str) -> str:
    label = ACTIONS.get(action)
    return str(label) if label is not None else action.replace("_", " ")


@register.filter
def audit_field(field: str) -> str:
    label = FIELDS.get(field)
    return str(label) if label is not None else field.replace("_", " ")


@register.filter
def audit_value(value: Any, field: str = "") -> str:
    """A stored from/to value as people read it: choice labels, lists joined, nothing as a dash."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict) and field in ITEMS:
        rest = ", ".join(f"{key}: {item}" for key, item in value.items() if key not in {"id", "title"})
        title = _("“{title}”").format(title=value.get("title", ""))
        return f"{title} ({rest})" if rest else title
    if isinstance(value, dict):
        return ", ".join(f"{key}: {item}" for key, item in value.items())
    choices = CHOICES.get(field)
    if choices is not None:
        try:
            return str(choices(value).label)
        except ValueError:
            return str(value)
    if field == "follow_up_of":
        return _("#{number}").format(number=value)
    return str(value)


SLA_STATES = {
    "active": pgettext_lazy("SLA state", "Active"),
    "warning": pgettext_lazy("SLA state", "Due soon"),
    "paused": pgettext_lazy("SLA state", "Paused"),
    "achieved": pgettext_lazy("SLA state", "Achieved"),
    "breached": pgettext_lazy("SLA state", "Breached"),
}


@register.filter
def sla_state(state: str) -> str:
    label = SLA_STATES.get(state)
    return str(label) if label is not None else state


@register.filter
def ticket_sla_state(ticket: Any) -> str:
    """A listed ticket's SLA state from its prefetched clocks ("" when no policy times it)."""
    sla = ticket_sla(ticket.sla_clocks.all())
    return sla.state if sla is not None else ""
