"""Forms of the insights screens: deciding a review, the insight settings and saved segments.

The forms parse what a person typed; the services check it again and own every rule, so a refusal from a
service (ApplicationError) comes back onto the field it names through `form_error`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import fields
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from carefront.accounts.models import AccountKind, Channel, ServiceModel
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Role
from carefront.desk.models import Tier
from carefront.insights.advisor import Thresholds
from carefront.insights.models import Advice, InsightSettings, RfmSegment, Segment, TimeUnit
from carefront.insights.segments import CONDITIONS

LIST_SPLIT = re.compile(r"[,;\s]+")


def form_error(form: forms.Form, error: ApplicationError, *, field: str | None = None) -> None:
    """Show a service's refusal on the form's field `field` (by default the one the error names), or above the form."""
    name = field if field is not None else (error.field or "")
    form.add_error(name if name in form.fields else None, error.message)


def _person(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


# --- reviews -------------------------------------------------------------------------------------


class ReviewAcceptForm(forms.Form):
    """Accept a suggestion: the advisor who will own the account, and a note for its timeline."""

    owner = forms.TypedChoiceField(label=_("Advisor"), coerce=int, empty_value=None)
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Shown on the account's timeline."),
    )

    def __init__(self, *args: Any, owners: Sequence[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._owners = {user.pk: user for user in owners}
        advisors = [(user.pk, _person(user)) for user in owners if user.staff_profile.role == Role.ADVISOR]
        others = [(user.pk, _person(user)) for user in owners if user.staff_profile.role != Role.ADVISOR]
        choices: list[Any] = [("", _("Choose who will own the account"))]
        if advisors:
            choices.append((_("Advisors"), advisors))
        if others:
            choices.append((_("Other staff"), others))
        self.fields["owner"].choices = choices  # type: ignore[attr-defined]

    def chosen_owner(self) -> Any:
        """The chosen staff member (the choices are the staff read for the page, so no query)."""
        return self._owners[self.cleaned_data["owner"]]


class ReviewDeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Why decline?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required: the next reviewer reads it."),
    )


# --- settings ------------------------------------------------------------------------------------

# Each threshold of carefront.insights.advisor.Thresholds, with the rule that reads it in words (the
# rules' docstrings). A test checks that every threshold has its entry.
THRESHOLDS: dict[str, tuple[Any, Any]] = {
    "base_score": (
        _("Starting score"),
        _(
            "Every account starts at this many points of client fit (0–100); "
            "each rule that applies adds or takes away points."
        ),
    ),
    "offer_at": (
        _("Score that offers client service"),
        _("A customer whose score reaches this is recommended for client service; otherwise it stays a customer."),
    ),
    "risk_below": (
        _("Score below which a client is at risk"),
        _("A client whose score falls below this, or who is drifting away, is at risk; otherwise it is kept."),
    ),
    "frequent_orders_12m": (
        _("Orders in twelve months of a frequent buyer"),
        _("Repeat purchases: many orders in the last twelve months."),
    ),
    "spend_growth": (
        _("Growth of spend that counts as rising"),
        _("Rising value: this year's spend well above last year's (0.5 is 50 per cent more)."),
    ),
    "spend_drop": (
        _("Drop of spend that counts as falling"),
        _("Falling value: this year's spend well below last year's (0.4 is 40 per cent less)."),
    ),
    "value_cost_ratio": (
        _("Lifetime value to client cost"),
        _("Worth it: the expected lifetime value is this many times what a year of client service costs."),
    ),
    "alive_high": (
        _("P(alive) of a buyer still buying"),
        _(
            "Still buying: a repeat buyer the purchase model thinks is very likely still active "
            "(at least this P(alive))."
        ),
    ),
    "alive_low": (
        _("P(alive) of a buyer drifting away"),
        _("Drifting away: a repeat buyer the purchase model thinks has probably stopped buying (below this P(alive))."),
    ),
    "complex_tickets_12m": (
        _("L2/L3 tickets in twelve months"),
        _("Deeper requests: several problem-solving or technical (L2, L3) tickets in the last twelve months."),
    ),
    "tenure_years": (
        _("Years of buying of a loyal account"),
        _("Loyal over time: a repeat buyer for years."),
    ),
    "quiet_days_min": (
        _("Days without an order before gone quiet"),
        _(
            "Gone quiet: much longer since the last order than the account's usual gap between orders, "
            "and never sooner than this many days."
        ),
    ),
    "quiet_gap_factor": (
        _("Times the usual gap between orders"),
        _("Gone quiet: how many times the account's usual gap between orders counts as much longer."),
    ),
}


def _threshold_field(name: str, default: Any) -> forms.Field:
    label, help_text = THRESHOLDS[name]
    if isinstance(default, int):
        return forms.IntegerField(label=label, help_text=help_text, min_value=0)
    return forms.DecimalField(label=label, help_text=help_text, min_value=Decimal(0), decimal_places=4)


class InsightSettingsForm(forms.Form):
    """The one InsightSettings row: the models' time unit and horizon, the value's currency, and every threshold."""

    time_unit = forms.ChoiceField(
        label=_("Time unit"),
        choices=TimeUnit.choices,
        help_text=_("The unit the purchase model counts time in: weeks, as in the papers, or days."),
    )
    horizon_months = forms.IntegerField(
        label=_("Lifetime value horizon (months)"),
        min_value=1,
        max_value=120,
        help_text=_("Lifetime value and expected purchases look this far ahead."),
    )
    annual_discount_rate = forms.DecimalField(
        label=_("Annual discount rate"),
        min_value=Decimal(0),
        max_value=Decimal("0.9"),
        decimal_places=4,
        help_text=_("Future spend is worth less than spend today: 0.10 discounts it by 10 per cent a year."),
    )
    advisor_hours_per_month = forms.DecimalField(
        label=_("Advisor hours per client per month"),
        min_value=Decimal(0),
        decimal_places=2,
        help_text=_("At the advisor's cost rate, what a month of client service costs."),
    )
    currency = forms.CharField(
        label=_("Currency of value"),
        required=False,
        max_length=3,
        help_text=_("Orders in this currency are valued; leave it blank for the currency most orders are in."),
    )
    exchange_rates = forms.CharField(
        label=_("Exchange rates"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One a line: a currency code and what one unit of it is worth in the currency of value, e.g. USD 0.92. "
            "Orders in a currency without a rate count as purchases but not as money."
        ),
    )
    suppress_days = forms.IntegerField(
        label=_("Days a declined suggestion stays quiet"),
        min_value=0,
        help_text=_("After a manager declines a suggestion, the same one is not raised again for this many days."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, default in Thresholds().as_json().items():
            self.fields[f"threshold_{name}"] = _threshold_field(name, default)
        self.fields["currency"].widget.attrs.update({"size": 4, "autocapitalize": "characters"})

    @staticmethod
    def initial_for(row: InsightSettings) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "time_unit": row.time_unit,
            "horizon_months": row.horizon_months,
            "annual_discount_rate": row.annual_discount_rate,
            "advisor_hours_per_month": row.advisor_hours_per_month,
            "currency": row.currency,
            "exchange_rates": "\n".join(f"{code} {rate}" for code, rate in sorted(row.exchange_rates.items())),
            "suppress_days": row.suppress_days,
        }
        for name, value in Thresholds.from_json(row.thresholds).as_json().items():
            initial[f"threshold_{name}"] = value
        return initial

    def threshold_fields(self) -> list[forms.BoundField]:
        return [self[f"threshold_{field.name}"] for field in fields(Thresholds)]

    def model_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not name.startswith("threshold_")]

    def clean_exchange_rates(self) -> dict[str, str]:
        rates: dict[str, str] = {}
        for number, line in enumerate(self.cleaned_data["exchange_rates"].splitlines(), start=1):
            parts = line.replace("=", " ").replace(":", " ").split()
            if not parts:
                continue
            if len(parts) != 2:
                raise forms.ValidationError(
                    gettext("Line {line}: write a currency code and a rate, e.g. USD 0.92.").format(line=number)
                )
            rates[parts[0].upper()] = parts[1].replace(",", ".")
        return rates

    def changes(self) -> dict[str, Any]:
        """The cleaned values as insight_settings_update takes them."""
        data = self.cleaned_data
        return {
            "time_unit": data["time_unit"],
            "horizon_months": data["horizon_months"],
            "annual_discount_rate": data["annual_discount_rate"],
            "advisor_hours_per_month": data["advisor_hours_per_month"],
            "currency": data["currency"].strip().upper(),
            "exchange_rates": data["exchange_rates"],
            "suppress_days": data["suppress_days"],
            "thresholds": {field.name: data[f"threshold_{field.name}"] for field in fields(Thresholds)},
        }

    def show_error(self, error: ApplicationError) -> None:
        # The service names "thresholds.offer_at" and "exchange_rates.USD"; here they are threshold_offer_at
        # and the one exchange_rates box.
        field = error.field or ""
        if field.startswith("thresholds."):
            field = f"threshold_{field.removeprefix('thresholds.')}"
        elif field.startswith("exchange_rates"):
            field = "exchange_rates"
        form_error(self, error, field=field)


# --- saved segments ------------------------------------------------------------------------------


def _checkboxes(key: str, choices: Any) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=CONDITIONS[key], required=False, choices=choices, widget=forms.CheckboxSelectMultiple
    )


def _codes(key: str, help_text: Any) -> forms.CharField:
    return forms.CharField(label=CONDITIONS[key], required=False, max_length=1000, help_text=help_text)


class SegmentForm(forms.Form):
    """A saved segment: its name, what it is for, and the conditions an account must meet."""

    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    rfm = _checkboxes("rfm", RfmSegment.choices)
    advice = _checkboxes("advice", Advice.choices)
    service_model = _checkboxes("service_model", ServiceModel.choices)
    kind = _checkboxes("kind", AccountKind.choices)
    channels = _checkboxes("channels", Channel.choices)
    tiers = _checkboxes("tiers", [(str(value), label) for value, label in Tier.choices])
    country = _codes("country", _("ISO country codes separated by commas, e.g. FR, BE."))
    locale = _codes("locale", _("Language codes separated by commas, e.g. fr, fr-CA."))
    order_categories = _codes("order_categories", _("Categories of ordered items, separated by commas."))

    LISTS = ("rfm", "advice", "service_model", "kind", "channels", "tiers")
    TEXTS = ("country", "locale", "order_categories")

    @classmethod
    def initial_for(cls, segment: Segment) -> dict[str, Any]:
        conditions = segment.conditions
        initial: dict[str, Any] = {"name": segment.name, "description": segment.description}
        for key in cls.LISTS:
            initial[key] = [str(value) for value in conditions.get(key, [])]
        for key in cls.TEXTS:
            initial[key] = ", ".join(str(value) for value in conditions.get(key, []))
        return initial

    def condition_fields(self) -> list[forms.BoundField]:
        return [self[key] for key in (*self.LISTS, *self.TEXTS)]

    def conditions(self) -> dict[str, list[str]]:
        """The ticked and typed values by condition; segment_create checks them."""
        data = self.cleaned_data
        conditions: dict[str, list[str]] = {key: list(data[key]) for key in self.LISTS if data[key]}
        for key in self.TEXTS:
            # Categories may hold spaces: they split on commas and semicolons only.
            splitter = re.compile(r"[,;]+") if key == "order_categories" else LIST_SPLIT
            values = [value.strip() for value in splitter.split(data[key]) if value.strip()]
            if values:
                conditions[key] = values
        return conditions

    def show_error(self, error: ApplicationError) -> None:
        # "conditions.country" is the country box; "conditions" alone (no condition at all) goes above the form.
        form_error(self, error, field=(error.field or "").removeprefix("conditions."))
