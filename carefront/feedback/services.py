"""Managing surveys and campaigns (managers only): create, edit, deactivate. Sending lives in
`services_sending.py`, answering in `services_answers.py`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carefront.core.access import require_manager
from carefront.core.exceptions import ApplicationError
from carefront.core.selectors import supported_language
from carefront.core.services import Actor, Change, events_record
from carefront.core.validation import clean_choice, clean_datetime, clean_text, version_check
from carefront.feedback.models import Campaign, CampaignTrigger, QuestionType, Survey, SurveyKind
from carefront.feedback.services_sending import campaign_next_run
from carefront.mail.models import Mailbox
from carefront.relationships.schedule import Recurrence, rule_clean

MAX_NAME = 200
MAX_TEXT = 500
MAX_QUESTIONS = 10
MAX_CHOICES = 10
TEXT_PARTS = ("question", "comment", "low", "high", "subject")
_UNSET: Any = object()


def _languages() -> set[str]:
    return {code for code, _name in settings.LANGUAGES}


def texts_clean(value: Any) -> dict[str, dict[str, str]]:
    """{language: {question, comment, low, high, subject}}: every part optional (the default stands in)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ApplicationError(_("Give the texts as {language: {question, comment}}."), field="texts")
    cleaned: dict[str, dict[str, str]] = {}
    for code, parts in value.items():
        if not isinstance(code, str) or supported_language(code) != code or code not in _languages():
            raise ApplicationError(
                _("“{language}” is not a language Carefront speaks.").format(language=str(code)[:20]), field="texts"
            )
        if not isinstance(parts, dict) or set(parts) - set(TEXT_PARTS):
            raise ApplicationError(
                _("Each language's texts are among: {parts}.").format(parts=", ".join(TEXT_PARTS)),
                field=f"texts.{code}",
            )
        own = {
            part: " ".join(clean_text(text, field=f"texts.{code}.{part}", max_length=MAX_TEXT).split())
            for part, text in parts.items()
        }
        own = {part: text for part, text in own.items() if text}
        if own:
            cleaned[code] = own
    return cleaned


def _labels_clean(value: Any, *, field: str) -> dict[str, str]:
    if isinstance(value, str):
        value = {settings.LANGUAGE_CODE: value}
    if not isinstance(value, dict) or not value:
        raise ApplicationError(_("Give a label per language: {language: text}."), field=field)
    labels = {}
    for code, text in value.items():
        if code not in _languages():
            raise ApplicationError(
                _("“{language}” is not a language Carefront speaks.").format(language=str(code)[:20]), field=field
            )
        cleaned = " ".join(clean_text(text, field=field, max_length=MAX_TEXT).split())
        if cleaned:
            labels[code] = cleaned
    if not labels:
        raise ApplicationError(_("A question needs a label."), field=field)
    return labels


def questions_clean(value: Any) -> list[dict[str, Any]]:
    """A custom survey's questions: [{key?, type, label, choices?, required?}], keys made unique."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_QUESTIONS:
        raise ApplicationError(
            _("Give at most {count} questions as a list.").format(count=MAX_QUESTIONS), field="questions"
        )
    cleaned = []
    for index, question in enumerate(value):
        field = f"questions.{index}"
        if not isinstance(question, dict):
            raise ApplicationError(_("Each question is an object."), field=field)
        kind = clean_choice(question.get("type"), choices=QuestionType.values, field=f"{field}.type")
        item: dict[str, Any] = {
            "key": f"q{index + 1}",
            "type": kind,
            "label": _labels_clean(question.get("label"), field=f"{field}.label"),
            "required": bool(question.get("required", False)),
        }
        if kind == QuestionType.CHOICE:
            choices = question.get("choices")
            if not isinstance(choices, list) or not 2 <= len(choices) <= MAX_CHOICES:
                raise ApplicationError(
                    _("A single-choice question has 2 to {count} choices.").format(count=MAX_CHOICES),
                    field=f"{field}.choices",
                )
            item["choices"] = [_labels_clean(choice, field=f"{field}.choices") for choice in choices]
        cleaned.append(item)
    return cleaned


def _mailboxes_clean(value: Any) -> list[Mailbox]:
    if not isinstance(value, list | tuple) or not all(isinstance(pk, int) for pk in value):
        raise ApplicationError(_("Give the mailboxes as a list of ids."), field="mailbox_ids")
    found = list(Mailbox.objects.filter(pk__in=value))
    if len(found) != len(set(value)):
        raise ApplicationError(_("One of these mailboxes does not exist."), field="mailbox_ids")
    return found


def _survey_check(survey: Survey) -> None:
    if survey.kind == SurveyKind.CSAT and survey.is_active:
        others = Survey.objects.filter(kind=SurveyKind.CSAT, is_active=True).exclude(pk=survey.pk)
        if others.exists():
            raise ApplicationError(
                _("Another CSAT survey is active: deactivate it first (a solved ticket asks one)."),
                field="is_active",
                status=409,
            )


@transaction.atomic
def survey_create(
    *,
    actor: Actor,
    kind: Any,
    name: Any,
    texts: Any = None,
    questions: Any = None,
    mailbox_ids: Any = (),
    is_active: bool = True,
) -> Survey:
    if actor is not None:  # None: the system (the demo)
        require_manager(actor)
    kind = clean_choice(kind, choices=SurveyKind.values, field="kind")
    now = timezone.now()
    survey = Survey(
        kind=kind,
        name=clean_text(name, field="name", max_length=MAX_NAME, required=True).strip(),
        texts=texts_clean(texts),
        questions=questions_clean(questions) if kind == SurveyKind.CUSTOM else [],
        is_active=bool(is_active),
        created_by_id=getattr(actor, "pk", None),
        created_at=now,
        updated_at=now,
    )
    _survey_check(survey)
    survey.save()
    if kind == SurveyKind.CES:
        survey.mailboxes.set(_mailboxes_clean(list(mailbox_ids or [])))
    events_record(
        subject_kind="survey",
        subject_id=survey.pk,
        action="created",
        changes=[Change("name", None, survey.name)],
        actor=actor,
    )
    return survey


@transaction.atomic
def survey_update(
    *,
    survey: Survey,
    actor: Actor,
    version: int | None = None,
    name: Any = _UNSET,
    texts: Any = _UNSET,
    questions: Any = _UNSET,
    mailbox_ids: Any = _UNSET,
    is_active: Any = _UNSET,
) -> Survey:
    """Change a survey; invitations already sent keep asking what they asked (the texts are read when shown)."""
    if actor is not None:  # None: the system (the demo)
        require_manager(actor)
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    version_check(survey, version)
    changes = []
    if name is not _UNSET:
        cleaned = clean_text(name, field="name", max_length=MAX_NAME, required=True).strip()
        changes.append(Change("name", survey.name, cleaned))
        survey.name = cleaned
    if texts is not _UNSET:
        changes.append(Change("texts", survey.texts, texts_clean(texts)))
        survey.texts = changes[-1].new
    if questions is not _UNSET and survey.kind == SurveyKind.CUSTOM:
        changes.append(Change("questions", survey.questions, questions_clean(questions)))
        survey.questions = changes[-1].new
    if is_active is not _UNSET:
        changes.append(Change("is_active", survey.is_active, bool(is_active)))
        survey.is_active = bool(is_active)
    _survey_check(survey)
    changes = [change for change in changes if change.old != change.new]
    if mailbox_ids is not _UNSET and survey.kind == SurveyKind.CES:
        before = sorted(survey.mailboxes.values_list("pk", flat=True))
        found = _mailboxes_clean(list(mailbox_ids or []))
        after = sorted(mailbox.pk for mailbox in found)
        if before != after:
            survey.mailboxes.set(found)
            changes.append(Change("mailboxes", before, after))
    if changes:
        survey.version += 1
        survey.updated_at = timezone.now()
        survey.save()
        events_record(subject_kind="survey", subject_id=survey.pk, action="updated", changes=changes, actor=actor)
    return survey


def _schedule_clean(rule: Any, starts_at: Any) -> tuple[str, datetime]:
    cleaned = rule_clean(str(rule or ""))
    start = clean_datetime(starts_at, field="starts_at")
    if not Recurrence(rule=cleaned, starts_on=start.date(), time_of_day=start.time(), time_zone="UTC").occurs():
        raise ApplicationError(_("This rule never occurs."), field="rule")
    return cleaned, start


def _campaign_survey(survey_id: Any) -> Survey:
    survey = Survey.objects.filter(pk=survey_id).first() if isinstance(survey_id, int) else None
    if survey is None or survey.kind not in {SurveyKind.NPS, SurveyKind.CUSTOM}:
        raise ApplicationError(_("A campaign sends an NPS or custom survey."), field="survey_id")
    return survey


def _order_count_clean(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 1000:
        raise ApplicationError(_("Give the order number, from 1 to 1000."), field="order_count")
    return value


@transaction.atomic
def campaign_create(
    *,
    actor: Actor,
    name: Any,
    survey_id: Any,
    trigger: Any,
    rule: Any = "",
    starts_at: Any = None,
    order_count: Any = None,
    is_active: bool = True,
) -> Campaign:
    """A campaign: an RFC 5545 rule and first sending (clients), or the order number (customers)."""
    if actor is not None:  # None: the system (the demo)
        require_manager(actor)
    trigger = clean_choice(
        trigger, choices=[CampaignTrigger.SCHEDULE.value, CampaignTrigger.NTH_ORDER.value], field="trigger"
    )  # a client's customers: services_clients.client_campaign_create
    now = timezone.now()
    campaign = Campaign(
        name=clean_text(name, field="name", max_length=MAX_NAME, required=True).strip(),
        survey=_campaign_survey(survey_id),
        trigger=trigger,
        is_active=bool(is_active),
        created_by_id=getattr(actor, "pk", None),
        created_at=now,
        updated_at=now,
    )
    if trigger == CampaignTrigger.SCHEDULE:
        campaign.rule, campaign.starts_at = _schedule_clean(rule, starts_at)
        campaign.next_run_at = campaign_next_run(campaign, after=max(now, campaign.starts_at))
    else:
        campaign.order_count = _order_count_clean(order_count)
    campaign.save()
    events_record(
        subject_kind="campaign",
        subject_id=campaign.pk,
        action="created",
        changes=[Change("name", None, campaign.name)],
        actor=actor,
    )
    return campaign


@transaction.atomic
def campaign_update(
    *,
    campaign: Campaign,
    actor: Actor,
    version: int | None = None,
    name: Any = _UNSET,
    rule: Any = _UNSET,
    starts_at: Any = _UNSET,
    order_count: Any = _UNSET,
    is_active: Any = _UNSET,
) -> Campaign:
    if actor is not None:  # None: the system (the demo)
        require_manager(actor)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    version_check(campaign, version)
    before = {
        "name": campaign.name,
        "rule": campaign.rule,
        "starts_at": campaign.starts_at.isoformat() if campaign.starts_at else None,
        "order_count": campaign.order_count,
        "is_active": campaign.is_active,
    }
    if name is not _UNSET:
        campaign.name = clean_text(name, field="name", max_length=MAX_NAME, required=True).strip()
    if campaign.trigger == CampaignTrigger.SCHEDULE and (rule is not _UNSET or starts_at is not _UNSET):
        campaign.rule, campaign.starts_at = _schedule_clean(
            campaign.rule if rule is _UNSET else rule, campaign.starts_at if starts_at is _UNSET else starts_at
        )
    if campaign.trigger == CampaignTrigger.NTH_ORDER and order_count is not _UNSET:
        campaign.order_count = _order_count_clean(order_count)
    if is_active is not _UNSET:
        campaign.is_active = bool(is_active)
    now = timezone.now()
    if campaign.trigger == CampaignTrigger.SCHEDULE and campaign.starts_at is not None:
        campaign.next_run_at = campaign_next_run(campaign, after=max(now, campaign.starts_at))
    after = {
        "name": campaign.name,
        "rule": campaign.rule,
        "starts_at": campaign.starts_at.isoformat() if campaign.starts_at else None,
        "order_count": campaign.order_count,
        "is_active": campaign.is_active,
    }
    changes = [Change(key, before[key], after[key]) for key in before if before[key] != after[key]]
    if changes:
        campaign.version += 1
        campaign.updated_at = now
        campaign.save()
        events_record(subject_kind="campaign", subject_id=campaign.pk, action="updated", changes=changes, actor=actor)
    return campaign
