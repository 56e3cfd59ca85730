"""Forms of the routing and automation settings. They turn fields into the condition and action documents of
`carefront.desk.rules` (and back, to edit); the desk's services check them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from carefront.accounts.models import Channel, ServiceModel
from carefront.core.models import Team
from carefront.desk.models import Calendar, Priority, RunsOn, Since, Status, Strategy, Tier
from carefront.desk.rules import AUTOMATION_STATUSES, NOTIFY_WHOM

# A select's "set nothing" and "clear it" options: an action may set a team, or set no team at all.
UNCHANGED = ""
CLEAR = "none"
LIST_KEYS = ("segment", "language", "tags_any", "tags_none", "words")
CHOICE_KEYS = ("channel", "service_model", "tier", "priority", "status")
BOOLEAN_KEYS = ("assigned", "difficult")


def _words(text: str) -> list[str]:
    """A comma- or line-separated field as a list of its non-empty items."""
    return [item.strip() for chunk in text.splitlines() for item in chunk.split(",") if item.strip()]


def _multiple(label: Any, choices: Any) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label, choices=choices, required=False, widget=forms.CheckboxSelectMultiple, help_text=_("None: any.")
    )


def _text(label: Any, help_text: Any) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=2000, help_text=help_text)


def _staff_choices() -> list[tuple[str, str]]:
    people = get_user_model().objects.filter(is_active=True, staff_profile__isnull=False).order_by("username")
    return [(str(person.pk), person.get_full_name() or person.get_username()) for person in people]


def _team_choices() -> list[tuple[str, str]]:
    return [(str(team.pk), team.name) for team in Team.objects.order_by("name")]


class ConditionsActionsForm(forms.Form):
    """The fields every rule has: conditions (`cond_…`) and the actions routing rules share (`act_…`)."""

    def __init__(self, *args: Any, words: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields = self.fields
        fields["cond_channel"] = _multiple(_("Channel"), Channel.choices)
        fields["cond_service_model"] = _multiple(_("Service model"), ServiceModel.choices)
        fields["cond_tier"] = _multiple(_("Tier"), Tier.choices)
        fields["cond_priority"] = _multiple(_("Priority"), Priority.choices)
        fields["cond_status"] = _multiple(_("Status"), Status.choices)
        fields["cond_assigned"] = forms.ChoiceField(
            label=_("Assigned"),
            required=False,
            choices=[("", _("Any")), ("yes", _("Assigned to someone")), ("no", _("Unassigned"))],
        )
        fields["cond_difficult"] = forms.ChoiceField(
            label=_("Difficult conversation"),
            required=False,
            choices=[("", _("Any")), ("yes", _("Flagged difficult")), ("no", _("Not flagged"))],
        )
        fields["cond_segment"] = _text(_("Segment is one of"), _("Comma-separated; blank: any."))
        fields["cond_language"] = _text(_("Requester's language is one of"), _("Codes such as en, fr; blank: any."))
        fields["cond_tags_any"] = _text(_("Has any of the tags"), _("Comma-separated; blank: any."))
        fields["cond_tags_none"] = _text(_("Has none of the tags"), _("Comma-separated."))
        if words:
            fields["cond_words"] = _text(
                _("Subject or first message contains"), _("Whole words or phrases, comma-separated; any of them.")
            )
        team_choices = [(UNCHANGED, _("— leave as is —")), (CLEAR, _("— no team —")), *_team_choices()]
        staff_choices = [(UNCHANGED, _("— leave as is —")), (CLEAR, _("— no one —")), *_staff_choices()]
        fields["act_team"] = forms.ChoiceField(label=_("Set team"), choices=team_choices, required=False)
        fields["act_assignee"] = forms.ChoiceField(label=_("Set assignee"), choices=staff_choices, required=False)
        fields["act_priority"] = forms.ChoiceField(
            label=_("Set priority"), choices=[(UNCHANGED, _("— leave as is —")), *Priority.choices], required=False
        )
        fields["act_tier"] = forms.ChoiceField(
            label=_("Set tier"), choices=[(UNCHANGED, _("— leave as is —")), *Tier.choices], required=False
        )
        fields["act_tags_add"] = _text(_("Add tags"), _("Comma-separated."))
        fields["act_tags_remove"] = _text(_("Remove tags"), _("Comma-separated."))

    def conditions(self) -> dict[str, Any]:
        data = self.cleaned_data
        conditions: dict[str, Any] = {}
        for key in CHOICE_KEYS:
            values = data.get(f"cond_{key}") or []
            if values:
                conditions[key] = [int(value) for value in values] if key == "tier" else list(values)
        for key in LIST_KEYS:
            values = _words(data.get(f"cond_{key}") or "")
            if values:
                conditions[key] = values
        for key in BOOLEAN_KEYS:
            if data.get(f"cond_{key}"):
                conditions[key] = [data[f"cond_{key}"] == "yes"]
        return conditions

    def actions(self) -> dict[str, Any]:
        data = self.cleaned_data
        actions: dict[str, Any] = {}
        for key in ("team", "assignee"):
            value = data.get(f"act_{key}") or UNCHANGED
            if value != UNCHANGED:
                actions[key] = None if value == CLEAR else int(value)
        if data.get("act_priority"):
            actions["priority"] = data["act_priority"]
        if data.get("act_tier"):
            actions["tier"] = int(data["act_tier"])
        for key in ("tags_add", "tags_remove"):
            values = _words(data.get(f"act_{key}") or "")
            if values:
                actions[key] = values
        return actions

    @staticmethod
    def initial_from(conditions: dict[str, Any], actions: dict[str, Any]) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        for key in CHOICE_KEYS:
            if key in conditions:
                initial[f"cond_{key}"] = [str(value) for value in conditions[key]]
        for key in LIST_KEYS:
            if key in conditions:
                initial[f"cond_{key}"] = ", ".join(conditions[key])
        for key in BOOLEAN_KEYS:
            if conditions.get(key) in ([True], [False]):
                initial[f"cond_{key}"] = "yes" if conditions[key] == [True] else "no"
        for key in ("team", "assignee"):
            if key in actions:
                initial[f"act_{key}"] = CLEAR if actions[key] is None else str(actions[key])
        for key in ("priority", "tier"):
            if key in actions:
                initial[f"act_{key}"] = str(actions[key])
        for key in ("tags_add", "tags_remove"):
            if key in actions:
                initial[f"act_{key}"] = ", ".join(actions[key])
        return initial

    def field_for(self, name: str | None) -> str | None:
        """The form field a service's error names (`conditions.channel` is `cond_channel`)."""
        if not name:
            return None
        prefix, _dot, key = name.partition(".")
        candidate = {"conditions": f"cond_{key}", "actions": f"act_{key}"}.get(prefix, name)
        return candidate if candidate in self.fields else None


class RuleForm(ConditionsActionsForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    runs_on = forms.ChoiceField(label=_("Runs"), choices=RunsOn.choices, initial=RunsOn.CREATED)
    position = forms.IntegerField(
        label=_("Position"), min_value=0, max_value=1_000_000, required=False, help_text=_("Rules run in this order.")
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class AutomationForm(ConditionsActionsForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    since = forms.ChoiceField(label=_("Count hours since the ticket was"), choices=Since.choices)
    hours = forms.IntegerField(label=_("Hours"), min_value=1, max_value=24 * 365)
    calendar = forms.ModelChoiceField(
        label=_("Business hours"),
        queryset=Calendar.objects.order_by("name"),
        required=False,
        empty_label=_("— calendar hours —"),
    )
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=1_000_000, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    skip_due = forms.BooleanField(
        label=_("Leave tickets that are already due alone"),
        required=False,
        help_text=_("Act only on tickets that become due from now on (no reminders for an old backlog)."),
    )
    act_status = forms.ChoiceField(
        label=_("Set status"),
        choices=[(UNCHANGED, _("— leave as is —")), *[(s, Status(s).label) for s in AUTOMATION_STATUSES]],
        required=False,
    )
    act_notify = forms.MultipleChoiceField(
        label=_("Notify"),
        choices=[("assignee", _("the assignee")), ("owner", _("the account's owner")), ("team", _("the team"))],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    act_remind_requester = forms.BooleanField(
        label=_("Email the requester a reminder"), required=False, help_text=_("In their language, with a portal link.")
    )

    def __init__(self, *args: Any, new: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, words=False, **kwargs)
        if not new:
            del self.fields["skip_due"]

    def actions(self) -> dict[str, Any]:
        actions = super().actions()
        data = self.cleaned_data
        if data.get("act_status"):
            actions["status"] = data["act_status"]
        if data.get("act_notify"):
            actions["notify"] = [whom for whom in NOTIFY_WHOM if whom in data["act_notify"]]
        if data.get("act_remind_requester"):
            actions["remind_requester"] = True
        return actions

    @staticmethod
    def initial_from(conditions: dict[str, Any], actions: dict[str, Any]) -> dict[str, Any]:
        initial = ConditionsActionsForm.initial_from(conditions, actions)
        if "status" in actions:
            initial["act_status"] = actions["status"]
        if "notify" in actions:
            initial["act_notify"] = list(actions["notify"])
        initial["act_remind_requester"] = bool(actions.get("remind_requester"))
        return initial


class TeamStrategiesForm(forms.Form):
    """One strategy select per team."""

    def __init__(self, *args: Any, teams: list[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.teams = teams
        for team in teams:
            self.fields[f"team_{team.pk}"] = forms.ChoiceField(label=team.name, choices=Strategy.choices)


KEY_LABELS = {
    "channel": _("Channel"),
    "service_model": _("Service model"),
    "segment": _("Segment"),
    "language": _("Language"),
    "tier": _("Tier"),
    "priority": _("Priority"),
    "status": _("Status"),
    "assigned": _("Assigned"),
    "difficult": _("Difficult conversation"),
    "tags_any": _("Any of the tags"),
    "tags_none": _("None of the tags"),
    "words": _("Words"),
    "team": _("Team"),
    "assignee": _("Assignee"),
    "tags_add": _("Add tags"),
    "tags_remove": _("Remove tags"),
    "notify": _("Notify"),
    "remind_requester": _("Remind the requester"),
}


def document_text(document: dict[str, Any], *, names: dict[str, dict[int, str]]) -> str:
    """A condition or action document as one readable line (`Channel: email, chat · Team: Specialists`);
    `names` gives team and person names by id."""
    parts = []
    for key, value in document.items():
        if key in ("team", "assignee"):
            shown = "—" if value is None else names[key].get(value, f"#{value}")
        elif key in BOOLEAN_KEYS:
            shown = ", ".join(str(_("yes") if item else _("no")) for item in value)
        elif key == "remind_requester":
            shown = str(_("yes"))
        elif isinstance(value, list):
            shown = ", ".join(str(item) for item in value)
        else:
            shown = str(value)
        parts.append(f"{KEY_LABELS.get(key, key)}: {shown}")
    return " · ".join(parts) or str(_("every ticket"))


def names_for_documents() -> dict[str, dict[int, str]]:
    """Team and staff names by id, read once for a page of rules."""
    people = get_user_model().objects.filter(staff_profile__isnull=False).values_list("pk", "username")
    return {"team": dict(Team.objects.values_list("pk", "name")), "assignee": dict(people)}
