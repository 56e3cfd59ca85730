"""Forms of the account pages: the list's search and filters, and the service model / owner change."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from carefront.accounts.models import LifecycleStage, ServiceModel
from carefront.accounts.selectors import AccountFilters
from carefront.web.forms_tickets import StaffChoiceField


class AccountListForm(forms.Form):
    """The query string of the account list: a search box, filters and a keyset position."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    service_model = forms.ChoiceField(
        label=_("Service model"), required=False, choices=[("", _("Any")), *ServiceModel.choices]
    )
    lifecycle_stage = forms.ChoiceField(
        label=_("Lifecycle stage"), required=False, choices=[("", _("Any")), *LifecycleStage.choices]
    )
    owner = StaffChoiceField(label=_("Owner"), queryset=None, required=False, empty_label=_("Anyone"))
    segment = forms.CharField(label=_("Segment"), required=False, max_length=64)
    country = forms.CharField(label=_("Country"), required=False, max_length=2, min_length=2)
    saved_segment = forms.TypedChoiceField(label=_("Saved segment"), required=False, coerce=int, empty_value=None)
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    after = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, staff: QuerySet[Any], segments: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff  # type: ignore[attr-defined]
        self.fields["saved_segment"].choices = [("", _("Any")), *((str(s.pk), s.name) for s in segments)]  # type: ignore[attr-defined]
        self.fields["q"].widget.attrs.update({"type": "search", "placeholder": _("Name or external id")})
        self.fields["country"].widget.attrs.update({"placeholder": "GB", "size": 3})

    def filters(self) -> AccountFilters:
        data = self.cleaned_data if self.is_valid() else {}
        owner = data.get("owner")
        return AccountFilters(
            search=data.get("q") or None,
            service_model=data.get("service_model") or None,
            lifecycle_stage=data.get("lifecycle_stage") or None,
            owner=owner.pk if owner is not None else None,
            segment=(data.get("segment") or "").strip() or None,
            country=(data.get("country") or "").strip() or None,
            saved_segment=data.get("saved_segment"),
        )


class AccountServiceModelForm(forms.Form):
    """Make an account a client with its advisor, a customer again, or hand it to another owner — with a reason."""

    service_model = forms.ChoiceField(label=_("Service model"), choices=ServiceModel.choices)
    owner = StaffChoiceField(
        label=_("Owner"),
        queryset=None,
        required=False,
        empty_label=_("No owner"),
        help_text=_("A client needs an owner: their advisor."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, staff: QuerySet[Any], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "change_%s")
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff  # type: ignore[attr-defined]
