"""Answering a survey through its link: no login, the signed link is the authority.

The email carries one link per score; following one records that score at once (a scorecard counts it within
the minute) and opens the answer page, where the score can still be changed and a comment, the CES score and a
custom survey's answers added until the contact submits or the link expires. Once submitted the link is used up.
Mail scanners that open links record a score the contact can still change; they cannot submit (a POST with the
page's CSRF token).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carefront.accounts.models import ServiceModel
from carefront.core.exceptions import ApplicationError
from carefront.core.services import Change, events_record
from carefront.feedback.models import SCALES, Invitation, InvitationState, QuestionType, Response
from carefront.feedback.services_sending import LINK_SALT, link_days

MAX_COMMENT = 5000
MAX_TEXT_ANSWER = 2000


def invitation_for_token(*, token: str, now: datetime | None = None) -> Invitation:
    """The invitation a link was made for; an altered link (400), an expired one (410) or one for an invitation
    that is gone (404) is refused with a message for the contact. An answered invitation is returned: the page
    says thank you."""
    now = now or timezone.now()
    try:
        value = signing.TimestampSigner(salt=LINK_SALT).unsign(token, max_age=timedelta(days=max(link_days(), 1)))
    except signing.SignatureExpired as error:
        raise ApplicationError(_("This survey link has expired. Thank you all the same."), status=410) from error
    except signing.BadSignature as error:
        raise ApplicationError(
            _("This link is not valid: it may have been cut short or changed. Copy the whole link from the email."),
            status=400,
        ) from error
    invitation = (
        Invitation.objects.select_related("survey", "effort_survey", "contact", "account", "ticket", "campaign__client")
        .filter(pk=int(value), state=InvitationState.SENT)
        .first()
    )
    if invitation is None:
        raise ApplicationError(_("This survey is no longer available."), status=404)
    if invitation.answered_at is None and invitation.expires_at is not None and invitation.expires_at <= now:
        raise ApplicationError(_("This survey link has expired. Thank you all the same."), status=410)
    return invitation


def _answered_refusal() -> ApplicationError:
    return ApplicationError(_("Thank you: this survey was already answered."), status=409)


def score_clean(value: Any, *, low: int, high: int, field: str = "score") -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        number = None
    if number is None or not low <= number <= high:
        raise ApplicationError(_("Choose a score from {low} to {high}.").format(low=low, high=high), field=field)
    return number


def _locked(invitation: Invitation) -> Invitation:
    """The invitation again, locked, so two clicks at once make one response (PostgreSQL; SQLite has one writer)."""
    return Invitation.objects.select_for_update().get(pk=invitation.pk)


def _health_stale(invitation: Invitation) -> None:
    if invitation.account.service_model == ServiceModel.CLIENT:
        from carefront.relationships.services_health import health_mark_stale

        health_mark_stale(account_ids=[invitation.account_id])


@transaction.atomic
def response_record_score(*, invitation: Invitation, score: Any, now: datetime | None = None) -> Response:
    """The contact followed a score link: record (or change) the score of the response, not yet submitted."""
    now = now or timezone.now()
    locked = _locked(invitation)
    if locked.answered_at is not None:
        raise _answered_refusal()
    low, high = SCALES[invitation.kind]
    value = score_clean(score, low=low, high=high)
    response = Response.objects.filter(invitation=invitation).first()
    if response is None:
        response = Response(
            invitation=invitation,
            survey_id=invitation.survey_id,
            kind=invitation.kind,
            score=value,
            account_id=invitation.account_id,
            contact_id=invitation.contact_id,
            ticket_id=invitation.ticket_id,
            agent_id=invitation.agent_id,
            advisor_id=invitation.advisor_id,
            language=invitation.language,
            created_at=now,
            updated_at=now,
        )
        try:
            with transaction.atomic():
                response.save()
        except IntegrityError:
            response = Response.objects.get(invitation=invitation)
    if response.score != value or response.pk is None:
        response.score, response.updated_at = value, now
        response.save(update_fields=["score", "updated_at"])
    if locked.answer_score != value:
        Invitation.objects.filter(pk=locked.pk).update(answer_score=value)
        invitation.answer_score = value
    _health_stale(invitation)
    return response


def answers_clean(questions: list[dict[str, Any]], raw: dict[str, Any]) -> dict[str, Any]:
    """A custom survey's answers, by question key: a scale 1–5, a choice's index, yes/no, text."""
    answers: dict[str, Any] = {}
    for question in questions:
        key = str(question.get("key"))
        kind = question.get("type")
        value = raw.get(key)
        field = f"answers.{key}"
        if value in (None, ""):
            if question.get("required"):
                raise ApplicationError(_("Please answer this question."), field=field)
            continue
        if kind == QuestionType.SCALE:
            answers[key] = score_clean(value, low=1, high=5, field=field)
        elif kind == QuestionType.CHOICE:
            count = len(question.get("choices") or [])
            answers[key] = score_clean(value, low=0, high=max(count - 1, 0), field=field)
        elif kind == QuestionType.YES_NO:
            if str(value) not in {"yes", "no", "True", "False", "true", "false"}:
                raise ApplicationError(_("Answer yes or no."), field=field)
            answers[key] = str(value) in {"yes", "True", "true"}
        else:
            text = str(value).strip()
            if len(text) > MAX_TEXT_ANSWER:
                raise ApplicationError(
                    _("Keep this answer under {count} characters.").format(count=MAX_TEXT_ANSWER), field=field
                )
            answers[key] = text
    return answers


@transaction.atomic
def response_submit(
    *,
    invitation: Invitation,
    score: Any,
    comment: Any = "",
    effort: Any = None,
    answers: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Response:
    """The contact submitted the answer page: the final score, comment, CES score and answers; the link is used up."""
    now = now or timezone.now()
    locked = _locked(invitation)
    if locked.answered_at is not None:
        raise _answered_refusal()
    low, high = SCALES[invitation.kind]
    value = score_clean(score, low=low, high=high)
    text = str(comment or "").strip()
    if len(text) > MAX_COMMENT:
        raise ApplicationError(
            _("Keep your comment under {count} characters.").format(count=MAX_COMMENT), field="comment"
        )
    effort_value = None
    if invitation.effort_survey_id is not None and effort not in (None, ""):
        effort_value = score_clean(effort, low=1, high=7, field="effort")
    cleaned = answers_clean(list(invitation.survey.questions or []), answers or {})
    response = response_record_score(invitation=invitation, score=value, now=now)
    response.comment, response.effort, response.answers = text, effort_value, cleaned
    response.updated_at = response.submitted_at = now
    response.save(update_fields=["comment", "effort", "answers", "updated_at", "submitted_at"])
    Invitation.objects.filter(pk=invitation.pk).update(answered_at=now)
    invitation.answered_at = now
    events_record(
        subject_kind="survey",
        subject_id=invitation.survey_id,
        action="answered",
        changes=[Change("score", None, value)],
        actor=None,
    )
    return response
