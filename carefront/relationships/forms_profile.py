"""Forms of the client profile's screens; the services check everything again."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from carefront.core.exceptions import ApplicationError
from carefront.relationships.forms_checkins import WEEKDAYS
from carefront.relationships.models import (
    BillingPeriod,
    ClientProfile,
    InteractionKind,
    KeyPersonRole,
    ProfileField,
    ProfileFieldKind,
    ServiceStatus,
)

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
FIELD_PREFIX = "field_"


def _custom_field(definition: ProfileField, stored: Any) -> forms.Field:
    """The form field of one profile field; a stored choice no longer offered stays selectable, so saving the form
    without touching it keeps it."""
    common: dict[str, Any] = {"label": definition.label, "required": False, "help_text": definition.help_text}
    if definition.kind == ProfileFieldKind.NUMBER:
        return forms.DecimalField(**common)
    if definition.kind == ProfileFieldKind.DATE:
        return forms.DateField(widget=DATE_INPUT, **common)
    if definition.kind == ProfileFieldKind.CHOICE:
        choices = [("", "—"), *((choice, choice) for choice in definition.choices)]
        if stored not in (None, "") and stored not in definition.choices:
            choices.append((stored, gettext("{value} (no longer offered)").format(value=stored)))
        return forms.ChoiceField(choices=choices, **common)
    if definition.kind == ProfileFieldKind.YES_NO:
        return forms.NullBooleanField(widget=forms.NullBooleanSelect, **common)
    return forms.CharField(max_length=1000, **common)


class PreferencesForm(forms.Form):
    """A client's preferences, then one field per active profile field the business defines."""

    preferred_channel = forms.ChoiceField(
        label=_("Preferred channel"), required=False, choices=[("", "—"), *InteractionKind.choices]
    )
    preferred_language = forms.CharField(
        label=_("Preferred language"),
        required=False,
        max_length=16,
        help_text=_("A language code such as fr or en-GB; empty means the account's locale."),
    )
    meeting_days = forms.MultipleChoiceField(
        label=_("Meeting days"), required=False, choices=WEEKDAYS, widget=forms.CheckboxSelectMultiple
    )
    meeting_from = forms.TimeField(label=_("Meetings from"), required=False, widget=TIME_INPUT)
    meeting_until = forms.TimeField(label=_("Meetings until"), required=False, widget=TIME_INPUT)
    meeting_notes = forms.CharField(
        label=_("Notes on meetings"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(label="", widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, profile: ClientProfile, definitions: list[ProfileField], **kwargs: Any) -> None:
        initial = {
            "preferred_channel": profile.preferred_channel,
            "preferred_language": profile.preferred_language,
            "meeting_days": list(profile.meeting_days),
            "meeting_from": profile.meeting_from,
            "meeting_until": profile.meeting_until,
            "meeting_notes": profile.meeting_notes,
            "version": profile.version,
        }
        self.definitions = definitions
        for definition in definitions:
            stored = profile.fields.get(definition.key)
            if definition.kind == ProfileFieldKind.DATE and isinstance(stored, str):
                stored = date.fromisoformat(stored)
            initial[FIELD_PREFIX + definition.key] = stored
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        for definition in definitions:
            self.fields[FIELD_PREFIX + definition.key] = _custom_field(definition, profile.fields.get(definition.key))

    def preference_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if not name.startswith(FIELD_PREFIX) and name != "version"]

    def custom_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name.startswith(FIELD_PREFIX)]

    def changes(self) -> dict[str, Any]:
        """What the service is asked to set: every preference, and only the profile fields that were changed (a
        field left alone is not rewritten)."""
        data = self.cleaned_data
        changes: dict[str, Any] = {
            "preferred_channel": data["preferred_channel"],
            "preferred_language": data["preferred_language"],
            "meeting_days": "".join(data["meeting_days"]),
            "meeting_from": data["meeting_from"],
            "meeting_until": data["meeting_until"],
            "meeting_notes": data["meeting_notes"],
        }
        values: dict[str, Any] = {}
        for name in self.changed_data:
            if name.startswith(FIELD_PREFIX):
                value = data[name]
                values[name.removeprefix(FIELD_PREFIX)] = value.isoformat() if hasattr(value, "isoformat") else value
        if values:
            changes["fields"] = values
        return changes

    def show_error(self, error: ApplicationError) -> None:
        name = error.field or ""
        if FIELD_PREFIX + name in self.fields:
            name = FIELD_PREFIX + name
        self.add_error(name if name in self.fields else None, error.message)


class GoalForm(forms.Form):
    title = forms.CharField(label=_("Goal"), max_length=200)
    target_date = forms.DateField(
        label=_("Target date"), widget=DATE_INPUT, help_text=_("The client's own date; a past date is kept as given.")
    )
    notes = forms.CharField(label=_("Notes"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(label="", widget=forms.HiddenInput, required=False)


class KeyPersonForm(forms.Form):
    contact = forms.TypedChoiceField(label=_("Contact"), coerce=int)
    role = forms.ChoiceField(label=_("Role"), choices=KeyPersonRole.choices)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(label="", widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, contacts: list[Any] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if contacts is None:  # editing: the contact stays who it is
            del self.fields["contact"]
        else:
            self.fields["contact"].choices = [(contact.pk, str(contact)) for contact in contacts]  # type: ignore[attr-defined]


class ClientServiceForm(forms.Form):
    name = forms.CharField(label=_("Service"), max_length=200)
    status = forms.ChoiceField(label=_("Status"), choices=ServiceStatus.choices, initial=ServiceStatus.ACTIVE)
    started_on = forms.DateField(label=_("Started on"), widget=DATE_INPUT)
    renews_on = forms.DateField(label=_("Renews on"), required=False, widget=DATE_INPUT)
    amount = forms.DecimalField(label=_("Amount"), min_value=0, max_digits=14, decimal_places=2)
    currency = forms.CharField(label=_("Currency (ISO 4217)"), min_length=3, max_length=3)
    period = forms.ChoiceField(label=_("Per"), choices=BillingPeriod.choices, initial=BillingPeriod.MONTH)
    version = forms.IntegerField(label="", widget=forms.HiddenInput, required=False)


class ProfileFieldForm(forms.Form):
    """A manager's definition of a profile field; the key and type are set once."""

    key = forms.SlugField(
        label=_("Key"),
        max_length=50,
        help_text=_("Lower-case letters, digits and underscores, e.g. budget_2026; it never changes."),
    )
    label = forms.CharField(label=_("Label"), max_length=100)
    kind = forms.ChoiceField(label=_("Type"), choices=ProfileFieldKind.choices)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For a choice field: one choice a line."),
    )
    help_text = forms.CharField(label=_("Help text"), required=False, max_length=300)
    position = forms.IntegerField(label=_("Order"), min_value=0, max_value=10_000, initial=0)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(label="", widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            for name in ("key", "kind"):
                self.fields[name].disabled = True
        else:
            del self.fields["active"]

    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("choices", "").splitlines() if line.strip()]
