"""The forms of the team goals screens: set a goal, change it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from carefront.core.models import Team
from carefront.insights.metrics.definitions import DEFINITIONS

SCOPE_FIELDS = ("team", "channel", "tier", "segment", "service_model")


def _metric_choices() -> list[tuple[str, str]]:
    return [(d.name, f"{d.label} ({d.name})") for d in DEFINITIONS.values() if d.better]


class GoalTargetForm(forms.Form):
    """What a goal's target is: a value, or a change in percent from the baseline (−10 for "−10 %")."""

    name = forms.CharField(label=_("Name"), max_length=200)
    deadline = forms.DateField(label=_("Deadline"), widget=forms.DateInput(attrs={"type": "date"}))
    target_value = forms.FloatField(label=_("Target value"), required=False)
    target_change_percent = forms.FloatField(
        label=_("or change from the baseline, in percent"), required=False, help_text=_("−10 for ten percent less.")
    )
    notify_team = forms.ModelChoiceField(label=_("Team to notify"), queryset=Team.objects.all(), required=False)

    def target(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"target_value": data["target_value"], "target_change_percent": data["target_change_percent"]}


class GoalCreateForm(GoalTargetForm):
    metric = forms.ChoiceField(label=_("Figure"), choices=_metric_choices)
    start = forms.DateField(label=_("Start"), widget=forms.DateInput(attrs={"type": "date"}))
    scope_team = forms.ModelChoiceField(
        label=_("Only the tickets of team"), queryset=Team.objects.all(), required=False
    )

    field_order = ["name", "metric", "scope_team", "start", "deadline", "target_value", "target_change_percent"]

    def scope(self) -> dict[str, Any]:
        team = self.cleaned_data.get("scope_team")
        return {"team": team.pk} if team is not None else {}
