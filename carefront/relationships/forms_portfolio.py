"""The forms of the portfolio screens: giving one account, or a whole portfolio, to another advisor."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from carefront.relationships.forms import ReassignForm


class HandOverForm(ReassignForm):
    """A whole portfolio to another advisor, and whether the advisor leaves (is deactivated) once it is done."""

    deactivate = forms.BooleanField(
        label=_("Deactivate them once everything is handed over"),
        required=False,
        help_text=_("They can no longer sign in; their history stays."),
    )
