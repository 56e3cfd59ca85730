"""Forms of the incident screens. They parse what a person typed; the services check it again and own every rule."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from carefront.relationships.forms import MomentField
from carefront.relationships.incident_selectors import IncidentFilters
from carefront.relationships.models import DisclosureChannel, IncidentSeverity, IncidentStatus
from carefront.web.forms_tickets import StaffChoiceField

MAX_LINES = 500


class IncidentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    what_happened = forms.CharField(label=_("What happened"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    occurred_at = MomentField(label=_("When it happened"))
    discovered_at = MomentField(label=_("When we found out"))
    impact = forms.CharField(
        label=_("Impact"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    severity = forms.ChoiceField(label=_("Severity"), choices=IncidentSeverity.choices, initial=IncidentSeverity.MEDIUM)
    owner = StaffChoiceField(label=_("Owner"), queryset=None)
    disclosure_template = forms.CharField(
        label=_("Disclosure template"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Leave empty for the default wording. Placeholders: {{ contact_name }}, {{ account_name }}, "
            "{{ advisor_name }}, {{ incident_title }}, {{ incident_what }}, {{ incident_impact }}, {{ occurred_at }}, "
            "{{ consequence }}; tags: if, elif, else, firstof, comment."
        ),
    )

    def __init__(self, *args: Any, staff: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff  # type: ignore[attr-defined]


class AccountsForm(forms.Form):
    """Accounts to link: one per line, by id or exact name."""

    accounts = forms.CharField(
        label=_("Accounts, one per line (id or exact name)"),
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    consequence = forms.CharField(
        label=_("What it meant for them"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_accounts(self) -> list[str]:
        lines = [line.strip() for line in re.split(r"[\r\n]+", self.cleaned_data["accounts"]) if line.strip()]
        if len(lines) > MAX_LINES:
            raise forms.ValidationError(_("Link at most 500 accounts at a time."))
        return lines


class DraftForm(forms.Form):
    draft = forms.CharField(label=_("Disclosure draft"), max_length=10000, widget=forms.Textarea(attrs={"rows": 6}))


class ToldForm(forms.Form):
    via = forms.ChoiceField(label=_("How"), choices=DisclosureChannel.choices)
    told_at = MomentField(label=_("When"), required=False)


class RemedyForm(forms.Form):
    remedy = forms.CharField(label=_("What we did to make it right"), max_length=5000)


class IncidentStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=IncidentStatus.choices)


class LogForm(forms.Form):
    """The incident log's query string: status, the period it occurred in, and a keyset position."""

    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any")), *IncidentStatus.choices])
    occurred_after = MomentField(label=_("Occurred from"), required=False)
    occurred_before = MomentField(label=_("Occurred before"), required=False)

    def filters(self) -> IncidentFilters:
        data = self.cleaned_data if self.is_valid() else {}
        after: datetime | None = data.get("occurred_after")
        before: datetime | None = data.get("occurred_before")
        return IncidentFilters(status=data.get("status") or None, occurred_after=after, occurred_before=before)
