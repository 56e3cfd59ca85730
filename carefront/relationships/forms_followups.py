"""Forms of the follow-up screens; the services check everything again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from carefront.relationships.models import FollowUpAudience, FollowUpEvent, FollowUpRule, FollowUpState
from carefront.relationships.services_followups import MAX_BODY, MAX_DELAY_MINUTES, MAX_QUIET_DAYS, MAX_SUBJECT


def template_field_names(language: str) -> tuple[str, str]:
    return f"subject_{language}", f"body_{language}"


class FollowUpRuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    event = forms.ChoiceField(label=_("After"), choices=FollowUpEvent.choices)
    order_count = forms.IntegerField(
        label=_("Which order (Nth order rules)"), min_value=2, max_value=10_000, required=False
    )
    delay_minutes = forms.IntegerField(
        label=_("Delay after the event, in minutes"), min_value=0, max_value=MAX_DELAY_MINUTES, initial=1440
    )
    audience = forms.ChoiceField(label=_("Who"), choices=FollowUpAudience.choices, initial=FollowUpAudience.BOTH)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, name in settings.LANGUAGES:
            subject, body = template_field_names(code)
            self.fields[subject] = forms.CharField(
                label=_("Subject ({language})").format(language=name), max_length=MAX_SUBJECT, required=False
            )
            self.fields[body] = forms.CharField(
                label=_("Text ({language})").format(language=name),
                max_length=MAX_BODY,
                required=False,
                widget=forms.Textarea(attrs={"rows": 8}),
            )

    @staticmethod
    def initial_for(rule: FollowUpRule) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "name": rule.name,
            "event": rule.event,
            "order_count": rule.order_count,
            "delay_minutes": rule.delay_minutes,
            "audience": rule.audience,
            "is_active": rule.is_active,
        }
        for code, template in (rule.templates or {}).items():
            subject, body = template_field_names(code)
            initial[subject], initial[body] = template.get("subject", ""), template.get("body", "")
        return initial

    def values(self) -> dict[str, Any]:
        """What the services take: the rule's fields and its templates by language."""
        data = self.cleaned_data
        templates = {}
        for code, _name in settings.LANGUAGES:
            subject, body = template_field_names(code)
            if data.get(subject) or data.get(body):
                templates[code] = {"subject": data.get(subject, ""), "body": data.get(body, "")}
        return {
            "name": data["name"],
            "event": data["event"],
            "order_count": data["order_count"] if data["event"] == FollowUpEvent.NTH_ORDER else None,
            "delay_minutes": data["delay_minutes"],
            "audience": data["audience"],
            "is_active": data["is_active"],
            "templates": templates,
        }

    def field_for(self, error_field: str | None) -> str | None:
        """The form field a service's error names ("templates.fr.body" is body_fr)."""
        if error_field and error_field.startswith("templates."):
            parts = error_field.split(".")
            code = parts[1]
            name = f"{parts[2]}_{code}" if len(parts) > 2 else f"body_{code}"
            return name if name in self.fields else None
        return error_field if error_field in self.fields else None


class QuietPeriodForm(forms.Form):
    quiet_days = forms.IntegerField(
        label=_("Quiet period: days a contact hears no other follow-up"), min_value=0, max_value=MAX_QUIET_DAYS
    )


class FollowUpListForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=[("", _("Any state")), *FollowUpState.choices], required=False)
    rule = forms.ModelChoiceField(label=_("Rule"), queryset=FollowUpRule.objects.none(), required=False)

    def __init__(self, *args: Any, rules: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rule"].queryset = rules  # type: ignore[attr-defined]


class PreviewForm(forms.Form):
    contact = forms.IntegerField(label=_("Contact id"), min_value=1)
