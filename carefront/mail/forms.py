"""Forms of Settings → Email."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from carefront.core.models import Team
from carefront.desk.models import Tier
from carefront.web.forms_settings import language_choices


class MailboxForm(forms.Form):
    address = forms.EmailField(label=_("Address"), max_length=254, help_text=_("The address people write to."))
    name = forms.CharField(
        label=_("Sender name"), max_length=100, required=False, help_text=_("Shown as the sender of replies.")
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.order_by("name"), required=False, empty_label=_("Routing decides")
    )
    language = forms.ChoiceField(label=_("Language of new contacts"), choices=language_choices)
    tier = forms.TypedChoiceField(label=_("Default tier"), choices=Tier.choices, coerce=int)
    signature = forms.CharField(label=_("Signature"), max_length=2000, required=False, widget=forms.Textarea)
    auto_acknowledge = forms.BooleanField(label=_("Acknowledge new tickets by email"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False)
