"""Forms of the cadence, check-in and calendar screens; the services check everything again."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from carefront.relationships.forms import MomentField
from carefront.relationships.models import CadenceKind, CheckInState, InteractionKind
from carefront.relationships.services_checkins import MAX_NEXT_STEPS, Held
from carefront.web.forms_tickets import StaffChoiceField

WEEKDAYS = [
    ("1", _("Monday")),
    ("2", _("Tuesday")),
    ("3", _("Wednesday")),
    ("4", _("Thursday")),
    ("5", _("Friday")),
    ("6", _("Saturday")),
    ("7", _("Sunday")),
]


class CadenceForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=CadenceKind.choices)
    channel = forms.ChoiceField(label=_("Channel"), choices=InteractionKind.choices, initial=InteractionKind.VIDEO)
    duration_minutes = forms.IntegerField(label=_("Duration in minutes"), min_value=1, max_value=480, initial=30)
    rule = forms.CharField(
        label=_("Recurrence rule (RFC 5545 RRULE)"),
        max_length=500,
        help_text=_("For example FREQ=MONTHLY;BYDAY=1TU (first Tuesday) or FREQ=MONTHLY;INTERVAL=3 (quarterly)."),
    )
    starts_on = forms.DateField(label=_("First date"), widget=forms.DateInput(attrs={"type": "date"}))
    time_of_day = forms.TimeField(
        label=_("Time, in the client's time zone"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    owner = StaffChoiceField(label=_("Advisor"), queryset=None)

    def __init__(self, *args: Any, staff: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff  # type: ignore[attr-defined]


class HeldForm(forms.Form):
    """What happened: how, when, who was there, what was said and decided, and the next steps (one a line)."""

    kind = forms.ChoiceField(label=_("How"), choices=InteractionKind.choices)
    occurred_at = MomentField(label=_("When"))
    contacts = forms.TypedMultipleChoiceField(label=_("Client contacts present"), coerce=int, required=False)
    staff = forms.TypedMultipleChoiceField(label=_("Staff present"), coerce=int, required=False)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    outcomes = forms.CharField(
        label=_("Outcomes"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    next_steps = forms.CharField(
        label=_("Next steps, one a line"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, contacts: Sequence[Any], staff: Sequence[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._contacts = {c.pk: c for c in contacts}
        self._staff = {s.pk: s for s in staff}
        self.fields["contacts"].choices = [(c.pk, c.name) for c in contacts]  # type: ignore[attr-defined]
        self.fields["staff"].choices = [  # type: ignore[attr-defined]
            (s.pk, s.get_full_name() or s.get_username()) for s in staff
        ]

    def clean_next_steps(self) -> list[str]:
        steps = [line.strip() for line in str(self.cleaned_data["next_steps"]).splitlines() if line.strip()]
        if len(steps) > MAX_NEXT_STEPS:
            raise forms.ValidationError(_("At most %(count)s next steps."), params={"count": MAX_NEXT_STEPS})
        return steps

    def held(self) -> Held:
        data = self.cleaned_data
        return Held(
            kind=data["kind"],
            occurred_at=data["occurred_at"],
            notes=data["notes"],
            outcomes=data["outcomes"],
            next_steps=tuple(data["next_steps"]),
            contacts=tuple(self._contacts[pk] for pk in data["contacts"]),
            staff=tuple(self._staff[pk] for pk in data["staff"]),
        )


class WorkingHoursForm(forms.Form):
    starts = forms.TimeField(label=_("Day starts"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    ends = forms.TimeField(label=_("Day ends"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    days = forms.MultipleChoiceField(label=_("Working days"), choices=WEEKDAYS, widget=forms.CheckboxSelectMultiple)


CHECK_IN_STATES = [("", _("Any state")), *CheckInState.choices]


class CheckInListForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=CHECK_IN_STATES, required=False)
    everyone = forms.BooleanField(label=_("Everyone's (managers)"), required=False)
