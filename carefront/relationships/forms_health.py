"""The health settings form: a weight for every registered signal, a window for those that look back, the bands."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from carefront.core.exceptions import ApplicationError
from carefront.relationships.selectors_health import SignalSetting
from carefront.relationships.services_health import MAX_TICKET_NORM, MAX_WEIGHT, MAX_WINDOW, MIN_WINDOW


class HealthSettingsForm(forms.Form):
    """Weights (0 switches a signal off), look-back windows in days, the bands' limits and the usual ticket load."""

    red_below = forms.IntegerField(
        label=_("Red below"), min_value=1, max_value=100, help_text=_("A score below this is at risk (red).")
    )
    amber_below = forms.IntegerField(
        label=_("Amber below"),
        min_value=1,
        max_value=100,
        help_text=_("A score below this, and not red, needs attention (amber); from it on, healthy (green)."),
    )
    ticket_norm = forms.IntegerField(
        label=_("Usual ticket load"),
        min_value=1,
        max_value=MAX_TICKET_NORM,
        help_text=_(
            "Tickets in the ticket window, weighted by priority (low ½, normal 1, high 2, urgent 4), that are usual "
            "for a client: the ticket signal is half-way there."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, signals: list[SignalSetting], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.signals = signals
        for signal in signals:
            self.fields[f"weight_{signal.key}"] = forms.DecimalField(
                label=_("Weight: {signal}").format(signal=signal.label),
                min_value=Decimal(0),
                max_value=Decimal(MAX_WEIGHT),
                decimal_places=2,
                help_text=_("0 leaves it out of the score; default {weight}.").format(
                    weight=f"{signal.default_weight:g}"
                ),
            )
            if signal.default_window is not None:
                self.fields[f"window_{signal.key}"] = forms.IntegerField(
                    label=_("Look back (days): {signal}").format(signal=signal.label),
                    min_value=MIN_WINDOW,
                    max_value=MAX_WINDOW,
                    help_text=_("Default {days} days.").format(days=signal.default_window),
                )

    @staticmethod
    def initial_for(row: Any, signals: list[SignalSetting]) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "red_below": row.red_below,
            "amber_below": row.amber_below,
            "ticket_norm": row.ticket_norm,
            "version": row.version,
        }
        for signal in signals:
            initial[f"weight_{signal.key}"] = Decimal(str(signal.weight))
            if signal.window is not None:
                initial[f"window_{signal.key}"] = signal.window
        return initial

    def signal_fields(self) -> list[tuple[SignalSetting, Any, Any]]:
        """Each signal with its weight field and window field (None for a signal without a window)."""
        return [
            (signal, self[f"weight_{signal.key}"], self[f"window_{signal.key}"] if signal.window else None)
            for signal in self.signals
        ]

    def band_fields(self) -> list[Any]:
        return [self["red_below"], self["amber_below"], self["ticket_norm"]]

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "weights": {signal.key: data[f"weight_{signal.key}"] for signal in self.signals},
            "windows": {signal.key: data[f"window_{signal.key}"] for signal in self.signals if signal.window},
            "red_below": data["red_below"],
            "amber_below": data["amber_below"],
            "ticket_norm": data["ticket_norm"],
            "version": data.get("version"),
        }

    def show_error(self, error: ApplicationError) -> None:
        """The service's refusal on its field (`weights.spend` is the field `weight_spend`), or above the form."""
        name = error.field or ""
        if name.startswith("weights."):
            name = f"weight_{name.removeprefix('weights.')}"
        elif name.startswith("windows."):
            name = f"window_{name.removeprefix('windows.')}"
        self.add_error(name if name in self.fields else None, error.message)
