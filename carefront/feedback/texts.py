"""What a survey says, in the contact's language: the survey's own texts for that language when set, else the
built-in translated defaults. Call inside `translation.override(language)`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from carefront.feedback.models import SCALES, Survey, SurveyKind


@dataclass(frozen=True)
class SurveyTexts:
    """The question, the comment prompt and the words at both ends of the scale."""

    question: str
    comment: str
    low: str
    high: str
    subject: str


def _defaults(kind: str) -> SurveyTexts:
    if kind == SurveyKind.NPS:
        return SurveyTexts(
            question=_("How likely are you to recommend us to a friend or colleague?"),
            comment=_("Why did you choose this score?"),
            low=_("Not at all likely"),
            high=_("Extremely likely"),
            subject=_("One quick question"),
        )
    if kind == SurveyKind.CES:
        return SurveyTexts(
            question=_("How easy was it to get your request handled?"),
            comment=_("What could have made it easier?"),
            low=_("Very difficult"),
            high=_("Very easy"),
            subject=_("How easy was it?"),
        )
    return SurveyTexts(
        question=_("How would you rate the help you received?"),
        comment=_("Anything you would like to add? (optional)"),
        low=_("Very dissatisfied"),
        high=_("Very satisfied"),
        subject=_("How did we do?"),
    )


def survey_texts(survey: Survey, language: str) -> SurveyTexts:
    """The survey's texts in `language` (its own where given, else the defaults of its kind)."""
    base = _defaults(survey.kind)
    own: dict[str, Any] = (survey.texts or {}).get(language) or {}
    return SurveyTexts(
        question=own.get("question") or base.question,
        comment=own.get("comment") or base.comment,
        low=own.get("low") or base.low,
        high=own.get("high") or base.high,
        subject=own.get("subject") or base.subject,
    )


def question_label(question: dict[str, Any], language: str, default_language: str) -> str:
    labels = question.get("label") or {}
    return str(labels.get(language) or labels.get(default_language) or next(iter(labels.values()), ""))


def choice_labels(question: dict[str, Any], language: str, default_language: str) -> list[str]:
    return [
        str(choice.get(language) or choice.get(default_language) or next(iter(choice.values()), ""))
        for choice in question.get("choices") or []
    ]


def scale_points(kind: str) -> list[int]:
    low, high = SCALES[kind]
    return list(range(low, high + 1))
