"""Survey responses on the account timeline (rank 20), registered from `FeedbackConfig.ready()`.

Staff only: a response names the agent it judges, and a portal contact's colleagues would read each other's
comments; the contact who answered already knows what they said."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carefront.accounts.selectors_timeline import TimelineSource, TimelineSummary, timeline_source_register
from carefront.feedback.access import responses_visible_to


def _responses(user: Any, account_id: int) -> QuerySet[Any]:
    return responses_visible_to(user).filter(account_id=account_id).select_related("contact", "ticket", "agent")


def _describe(response: Any) -> TimelineSummary:
    links = {"response_id": response.pk}
    for name, value in (("ticket_id", response.ticket_id), ("contact_id", response.contact_id)):
        if value is not None:
            links[name] = value
    return TimelineSummary(
        title=_("{kind} survey: {score}").format(kind=response.get_kind_display(), score=response.score),
        summary=response.comment[:240],
        links=links,
    )


def register() -> None:
    timeline_source_register(
        TimelineSource(
            key="survey_response",
            label=gettext_lazy("Survey responses"),
            rank=20,
            rows=_responses,
            time_field="created_at",
            template="feedback/timeline/response.html",
            describe=_describe,
        )
    )
