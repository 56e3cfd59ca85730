"""The survey answer pages: public (the signed link is the authority), in the contact's language, built for a
phone. Following a score link records the score and opens the page; the form posts (with CSRF) the final answer."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from carefront.core.exceptions import ApplicationError
from carefront.feedback import services_answers as answers
from carefront.feedback.models import Invitation, Response
from carefront.feedback.texts import choice_labels, question_label, scale_points, survey_texts

TEMPLATE = "feedback/answer.html"


def _context(invitation: Invitation, response: Response | None, **extra: Any) -> dict[str, Any]:
    language = invitation.language
    survey = invitation.survey
    texts = survey_texts(survey, language)
    chosen = extra.pop("score", None)
    if chosen is None and response is not None:
        chosen = response.score
    questions = [
        {
            **question,
            "text": question_label(question, language, settings.LANGUAGE_CODE),
            "options": list(enumerate(choice_labels(question, language, settings.LANGUAGE_CODE))),
            "value": extra.get("answers", {}).get(
                question["key"], (response.answers if response else {}).get(question["key"])
            ),
        }
        for question in survey.questions or []
    ]
    effort = None
    if invitation.effort_survey is not None:
        effort_texts = survey_texts(invitation.effort_survey, language)
        effort = {"texts": effort_texts, "points": scale_points("ces"), "value": extra.pop("effort", None)}
    return {
        "invitation": invitation,
        "response": response,
        "texts": texts,
        "points": scale_points(survey.kind),
        "score": str(chosen) if chosen is not None else "",
        "comment": extra.pop("comment", response.comment if response else ""),
        "questions": questions,
        "effort": effort,
        **extra,
    }


def _on_behalf_of(invitation: Invitation | None) -> str:
    """The client a survey of its customers is asked for: the page carries its name, not ours."""
    campaign = invitation.campaign if invitation is not None else None
    return campaign.client.name if campaign is not None and campaign.client is not None else ""


def _render(request: HttpRequest, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    on_behalf_of = _on_behalf_of(context.get("invitation"))
    return render(
        request,
        TEMPLATE,
        {"language": translation.get_language(), "on_behalf_of": on_behalf_of, **context},
        status=status,
    )


def _error(request: HttpRequest, error: ApplicationError) -> HttpResponse:
    return _render(request, {"error": error.message, "status": error.status}, status=error.status)


@never_cache
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = answers.invitation_for_token(token=token)
    except ApplicationError as error:
        return _error(request, error)
    with translation.override(invitation.language):
        request.LANGUAGE_CODE = invitation.language
        if invitation.answered_at is not None:
            return _render(request, {"invitation": invitation, "already": True}, status=409)
        response = Response.objects.filter(invitation=invitation).first()
        if request.method == "POST":
            return _submit(request, invitation, response)
        score = request.GET.get("score")
        if score is not None:
            try:
                response = answers.response_record_score(invitation=invitation, score=score)
            except ApplicationError as error:
                context = _context(invitation, response, form_error=error.message)
                return _render(request, context, status=error.status)
            context = _context(invitation, response, recorded=True)
        else:
            context = _context(invitation, response)
        return _render(request, context)


def _submit(request: HttpRequest, invitation: Invitation, response: Response | None) -> HttpResponse:
    raw_answers = {
        question["key"]: request.POST.get(f"answer-{question['key']}", "")
        for question in invitation.survey.questions or []
    }
    try:
        answers.response_submit(
            invitation=invitation,
            score=request.POST.get("score"),
            comment=request.POST.get("comment", ""),
            effort=request.POST.get("effort"),
            answers=raw_answers,
        )
    except ApplicationError as error:
        context = _context(
            invitation,
            response,
            score=request.POST.get("score"),
            comment=request.POST.get("comment", ""),
            effort=request.POST.get("effort"),
            answers=raw_answers,
            form_error=error.message,
            error_field=error.field,
        )
        return _render(request, context, status=error.status)
    return _render(request, {"invitation": invitation, "thanks": True})
