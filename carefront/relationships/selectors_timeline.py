"""The relationships' kinds of account-timeline entries: interactions, check-ins, commitments, dependencies and
engagements, each as the user may see it (relationships.access). Registered from `RelationshipsConfig.ready()`.

Their changes (a commitment done, a dependency received, a check-in missed) are audit events of the account,
so they are on the timeline as the accounts app's "change" entries.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carefront.accounts.selectors_timeline import TimelineSource, TimelineSummary, timeline_source_register
from carefront.relationships.access import (
    check_ins_visible_to,
    commitments_visible_to,
    dependencies_visible_to,
    engagements_visible_to,
    interactions_visible_to,
)


def _interactions(user: Any, account_id: int) -> QuerySet[Any]:
    return interactions_visible_to(user).filter(account_id=account_id).select_related("author")


def _describe_interaction(interaction: Any) -> TimelineSummary:
    links = {"interaction_id": interaction.pk}
    if interaction.check_in_id:
        links["check_in_id"] = interaction.check_in_id
    return TimelineSummary(title=interaction.get_kind_display(), summary=interaction.notes[:240], links=links)


def _check_ins(user: Any, account_id: int) -> QuerySet[Any]:
    # A check-in is on the timeline once its time has come: the ones ahead are on the account's card.
    return (
        check_ins_visible_to(user)
        .filter(account_id=account_id, scheduled_at__lte=timezone.now())
        .select_related("cadence", "owner", "interaction")
    )


def _held_interaction_id(check_in: Any) -> int | None:
    # The reverse one-to-one raises (an AttributeError among others) when the check-in has no interaction.
    interaction = getattr(check_in, "interaction", None)
    return interaction.pk if interaction is not None else None


def _describe_check_in(check_in: Any) -> TimelineSummary:
    links = {"check_in_id": check_in.pk}
    interaction_id = _held_interaction_id(check_in)
    if interaction_id is not None:
        links["interaction_id"] = interaction_id
    return TimelineSummary(
        title=_("{cadence}: {state}").format(cadence=check_in.cadence.name, state=check_in.get_state_display()),
        summary=check_in.cancelled_reason,
        links=links,
    )


def _commitments(user: Any, account_id: int) -> QuerySet[Any]:
    return commitments_visible_to(user).filter(account_id=account_id).select_related("owner", "ticket")


def _describe_commitment(commitment: Any) -> TimelineSummary:
    links = {"commitment_id": commitment.pk}
    for name, value in (
        ("engagement_id", commitment.engagement_id),
        ("ticket_id", commitment.ticket_id),
        ("check_in_id", commitment.check_in_id),
    ):
        if value is not None:
            links[name] = value
    return TimelineSummary(
        title=_("Commitment: {title}").format(title=commitment.title),
        summary=_("{state}, due {due}").format(
            state=commitment.get_state_display(), due=commitment.due_at.date().isoformat()
        ),
        links=links,
    )


def _dependencies(user: Any, account_id: int) -> QuerySet[Any]:
    return dependencies_visible_to(user).filter(account_id=account_id).select_related("contact", "blocks_ticket")


def _describe_dependency(dependency: Any) -> TimelineSummary:
    links = {"dependency_id": dependency.pk, "contact_id": dependency.contact_id}
    for name, value in (
        ("engagement_id", dependency.engagement_id),
        ("commitment_id", dependency.blocks_commitment_id),
        ("milestone_id", dependency.blocks_milestone_id),
        ("ticket_id", dependency.blocks_ticket_id),
    ):
        if value is not None:
            links[name] = value
    return TimelineSummary(
        title=_("Awaited from the client: {what}").format(what=dependency.what),
        summary=_("{state}, due {due}").format(
            state=dependency.get_state_display(), due=dependency.due_at.date().isoformat()
        ),
        links=links,
    )


def _engagements(user: Any, account_id: int) -> QuerySet[Any]:
    return engagements_visible_to(user).filter(account_id=account_id).select_related("owner")


def _describe_engagement(engagement: Any) -> TimelineSummary:
    return TimelineSummary(
        title=_("Engagement: {title}").format(title=engagement.title),
        summary=engagement.get_status_display(),
        links={"engagement_id": engagement.pk},
    )


def register() -> None:
    """The relationships' kinds; ranks 10 to 14."""
    for source in (
        TimelineSource(
            key="interaction",
            label=gettext_lazy("Interactions"),
            rank=10,
            rows=_interactions,
            time_field="occurred_at",
            template="relationships/timeline/interaction.html",
            describe=_describe_interaction,
        ),
        TimelineSource(
            key="check_in",
            label=gettext_lazy("Check-ins"),
            rank=11,
            rows=_check_ins,
            time_field="scheduled_at",
            template="relationships/timeline/check_in.html",
            describe=_describe_check_in,
        ),
        TimelineSource(
            key="commitment",
            label=gettext_lazy("Commitments"),
            rank=12,
            rows=_commitments,
            time_field="created_at",
            template="relationships/timeline/commitment.html",
            describe=_describe_commitment,
            portal=True,
        ),
        TimelineSource(
            key="dependency",
            label=gettext_lazy("Dependencies"),
            rank=13,
            rows=_dependencies,
            time_field="created_at",
            template="relationships/timeline/dependency.html",
            describe=_describe_dependency,
            portal=True,
        ),
        TimelineSource(
            key="engagement",
            label=gettext_lazy("Engagements"),
            rank=14,
            rows=_engagements,
            time_field="created_at",
            template="relationships/timeline/engagement.html",
            describe=_describe_engagement,
        ),
    ):
        timeline_source_register(source)
