"""Forms of the feedback screens: a survey, a campaign, the responses list's filters."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carefront.feedback.models import Campaign, CampaignTrigger, QuestionType, Survey, SurveyKind
from carefront.mail.models import Mailbox

QUESTION_SLOTS = 3
PARTS = (("question", _("Question")), ("comment", _("Comment prompt")))


class SurveyForm(forms.Form):
    """A survey: texts per language (blank: the translated default), CES mailboxes, custom questions."""

    kind = forms.ChoiceField(label=_("Kind"), choices=SurveyKind.choices)
    name = forms.CharField(label=_("Name"), max_length=200)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    mailboxes = forms.ModelMultipleChoiceField(
        label=_("Mailboxes (CES only)"),
        queryset=Mailbox.objects.filter(is_active=True).order_by("address"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, survey: Survey | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.survey = survey
        if survey is not None:
            self.fields["kind"].disabled = True
        for code, language in settings.LANGUAGES:
            for part, label in PARTS:
                self.fields[f"{part}_{code}"] = forms.CharField(
                    label=f"{label} ({language})", max_length=500, required=False
                )
        for slot in range(1, QUESTION_SLOTS + 1):
            self.fields[f"q{slot}_type"] = forms.ChoiceField(
                label=_("Question {number}: type").format(number=slot),
                choices=[("", "—"), *QuestionType.choices],
                required=False,
            )
            self.fields[f"q{slot}_label"] = forms.CharField(
                label=_("Question {number}: text").format(number=slot), max_length=500, required=False
            )
            self.fields[f"q{slot}_choices"] = forms.CharField(
                label=_("Question {number}: choices, one per line").format(number=slot),
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    @staticmethod
    def initial_for(survey: Survey) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "kind": survey.kind,
            "name": survey.name,
            "is_active": survey.is_active,
            "mailboxes": list(survey.mailboxes.all()),
        }
        for code, parts in (survey.texts or {}).items():
            for part, text in parts.items():
                initial[f"{part}_{code}"] = text
        for slot, question in enumerate(survey.questions or [], start=1):
            initial[f"q{slot}_type"] = question.get("type", "")
            initial[f"q{slot}_label"] = (question.get("label") or {}).get(settings.LANGUAGE_CODE, "")
            initial[f"q{slot}_choices"] = "\n".join(
                choice.get(settings.LANGUAGE_CODE, "") for choice in question.get("choices") or []
            )
        return initial

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        texts: dict[str, dict[str, str]] = {}
        for code, _language in settings.LANGUAGES:
            for part, _label in PARTS:
                if data.get(f"{part}_{code}"):
                    texts.setdefault(code, {})[part] = data[f"{part}_{code}"]
        questions = []
        for slot in range(1, QUESTION_SLOTS + 1):
            kind = data.get(f"q{slot}_type")
            if not kind:
                continue
            question: dict[str, Any] = {"type": kind, "label": {settings.LANGUAGE_CODE: data.get(f"q{slot}_label")}}
            if kind == QuestionType.CHOICE:
                lines = [line.strip() for line in (data.get(f"q{slot}_choices") or "").splitlines() if line.strip()]
                question["choices"] = [{settings.LANGUAGE_CODE: line} for line in lines]
            questions.append(question)
        values: dict[str, Any] = {
            "name": data["name"],
            "is_active": data["is_active"],
            "texts": texts,
            "questions": questions,
            "mailbox_ids": [mailbox.pk for mailbox in data.get("mailboxes") or []],
        }
        if self.survey is None:
            values["kind"] = data["kind"]
        return values

    def field_for(self, name: str | None) -> str | None:
        if name and name.startswith("texts."):
            parts = name.split(".")
            name = f"{parts[2]}_{parts[1]}" if len(parts) == 3 else None
        elif name and name.startswith("questions."):
            index = name.split(".")[1]
            name = f"q{int(index) + 1}_label" if index.isdigit() else None
        elif name == "mailbox_ids":
            name = "mailboxes"
        return name if name in self.fields else None


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    survey = forms.ModelChoiceField(
        label=_("Survey"), queryset=Survey.objects.filter(kind__in=[SurveyKind.NPS, SurveyKind.CUSTOM]).order_by("name")
    )
    trigger = forms.ChoiceField(
        label=_("Trigger"),
        choices=[
            (value, label) for value, label in CampaignTrigger.choices if value != CampaignTrigger.CLIENT_CUSTOMERS
        ],
    )
    rule = forms.CharField(
        label=_("Recurrence (RFC 5545 RRULE), e.g. FREQ=MONTHLY;INTERVAL=6"), max_length=500, required=False
    )
    starts_on = forms.DateField(
        label=_("First sending (date, UTC)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    starts_time = forms.TimeField(
        label=_("First sending (time, UTC)"),
        required=False,
        initial=time(9),
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    order_count = forms.IntegerField(
        label=_("After the customer's order number"), min_value=1, max_value=1000, required=False
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, campaign: Campaign | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        if campaign is not None:
            self.fields["survey"].disabled = True
            self.fields["trigger"].disabled = True
            # A campaign for a client's customers (made from the client's report page) shows its own trigger
            # and survey (a CSAT one may be among them).
            trigger, survey = self.fields["trigger"], self.fields["survey"]
            assert isinstance(trigger, forms.ChoiceField) and isinstance(survey, forms.ModelChoiceField)
            trigger.choices = CampaignTrigger.choices
            survey.queryset = Survey.objects.filter(pk=campaign.survey_id)

    @staticmethod
    def initial_for(campaign: Campaign) -> dict[str, Any]:
        start = campaign.starts_at.astimezone(UTC) if campaign.starts_at else None
        return {
            "name": campaign.name,
            "survey": campaign.survey_id,
            "trigger": campaign.trigger,
            "rule": campaign.rule,
            "starts_on": start.date() if start else None,
            "starts_time": start.time() if start else None,
            "order_count": campaign.order_count,
            "is_active": campaign.is_active,
        }

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        values: dict[str, Any] = {"name": data["name"], "is_active": data["is_active"]}
        trigger = self.campaign.trigger if self.campaign is not None else data["trigger"]
        if trigger == CampaignTrigger.SCHEDULE:
            values["rule"] = data.get("rule") or ""
            day = data.get("starts_on")
            values["starts_at"] = (
                datetime.combine(day, data.get("starts_time") or time(9), tzinfo=UTC) if day is not None else None
            )
        else:
            values["order_count"] = data.get("order_count")
        if self.campaign is None:
            values["survey_id"] = data["survey"].pk
            values["trigger"] = trigger
        return values

    def field_for(self, name: str | None) -> str | None:
        if name == "starts_at":
            return "starts_on"
        if name == "survey_id":
            return "survey"
        return name if name in self.fields else None


class ResponseFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("All")), *SurveyKind.choices], required=False)
    band = forms.ChoiceField(
        label=_("Score"),
        choices=[
            ("", _("All")),
            ("positive", _("Positive (CSAT 4–5, NPS 9–10)")),
            ("neutral", _("Neutral")),
            ("negative", _("Negative (CSAT 1–2, NPS 0–6)")),
        ],
        required=False,
    )
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    account = forms.IntegerField(label=_("Account id"), required=False, min_value=1, max_value=2**63 - 1)


class ClientReportPeriodForm(forms.Form):
    """The days a client's report covers (both included; either may be left open), in the workspace's time zone."""

    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since is not None and until is not None and until < since:
            self.add_error("until", _("The end of the period comes before its start."))
        return data

    def period(self) -> tuple[datetime | None, datetime | None]:
        """[since, until) as instants: the first day's midnight and the midnight after the last day."""
        zone = timezone.get_current_timezone()
        since, until = self.cleaned_data.get("since"), self.cleaned_data.get("until")
        return (
            datetime.combine(since, time(0), tzinfo=zone) if since is not None else None,
            datetime.combine(until + timedelta(days=1), time(0), tzinfo=zone) if until is not None else None,
        )


class CustomerListForm(forms.Form):
    """A client's customer list, as a CSV file."""

    file = forms.FileField(
        label=_("Customer list (CSV)"),
        help_text=_("Columns: external_id (required), name, email, phone, language, country, kind."),
    )


class ClientCampaignForm(forms.Form):
    """A survey of a client's customers on its behalf."""

    survey = forms.ModelChoiceField(label=_("Survey"), queryset=Survey.objects.none())
    name = forms.CharField(label=_("Name (optional)"), max_length=200, required=False)
    starts_on = forms.DateField(label=_("Send on"), widget=forms.DateInput(attrs={"type": "date"}))
    engagement = forms.ModelChoiceField(
        label=_("Engagement (optional)"),
        queryset=Survey.objects.none(),
        required=False,
        help_text=_("Without the customer list yet, the list becomes an open dependency of this engagement."),
    )

    def __init__(self, *args: Any, client: Any, **kwargs: Any) -> None:
        from carefront.relationships.models import Engagement, EngagementStatus

        super().__init__(*args, **kwargs)
        survey_field = self.fields["survey"]
        engagement_field = self.fields["engagement"]
        assert isinstance(survey_field, forms.ModelChoiceField)
        assert isinstance(engagement_field, forms.ModelChoiceField)
        survey_field.queryset = Survey.objects.filter(
            kind__in=[SurveyKind.CSAT, SurveyKind.NPS], is_active=True
        ).order_by("kind", "name")
        engagement_field.queryset = (
            Engagement.objects.filter(account=client)
            .exclude(status__in=[EngagementStatus.DONE, EngagementStatus.CANCELLED])
            .order_by("-id")
        )

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "survey_id": data["survey"].pk,
            "name": data["name"],
            "starts_at": datetime.combine(data["starts_on"], time(9), tzinfo=UTC),
            "engagement": data.get("engagement"),
        }
