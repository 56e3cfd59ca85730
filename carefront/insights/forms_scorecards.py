"""The dashboards' filter form: a period (a preset or custom days) and what narrows the tickets and accounts, its
choices limited to what the user may see. Read from the query string, so a filtered dashboard is a link."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carefront.accounts.models import Account, Channel, ServiceModel
from carefront.core.access import staff_role
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Role, Team
from carefront.desk.models import Tier
from carefront.insights.forms import form_error
from carefront.insights.metrics.definitions import MetricFilters, metric_filters_build

PRESETS = (
    ("7", _("Last 7 days")),
    ("30", _("Last 30 days")),
    ("90", _("Last 90 days")),
    ("quarter", _("This quarter")),
    ("year", _("This year")),
    ("custom", _("Custom")),
)
DEFAULT_PRESET = "30"
FILTER_NAMES = ("period", "start", "end", "team", "agent", "advisor", "segment", "service_model", "channel", "tier")


def _person(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


def preset_days(preset: str, today: date) -> tuple[date, date]:
    """The first and last day (both included) of a preset period ending today."""
    if preset == "quarter":
        return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today
    if preset == "year":
        return date(today.year, 1, 1), today
    return today - timedelta(days=int(preset) - 1), today


class ScorecardFilterForm(forms.Form):
    """The dashboards' filters; `filters` holds the checked MetricFilters once valid."""

    period = forms.ChoiceField(label=_("Period"), choices=PRESETS, required=False, initial=DEFAULT_PRESET)
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    team = forms.TypedChoiceField(label=_("Team"), coerce=int, empty_value=None, required=False)
    agent = forms.TypedChoiceField(label=_("Agent"), coerce=int, empty_value=None, required=False)
    advisor = forms.TypedChoiceField(label=_("Advisor"), coerce=int, empty_value=None, required=False)
    segment = forms.ChoiceField(label=_("Segment"), required=False)
    service_model = forms.ChoiceField(label=_("Service model"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    tier = forms.TypedChoiceField(label=_("Tier"), coerce=int, empty_value=None, required=False)

    def __init__(self, data: QueryDict, *, user: Any) -> None:
        data = data.copy()
        preset = data.get("period") or DEFAULT_PRESET
        data["period"] = preset
        if preset in dict(PRESETS) and preset != "custom":
            # The days of a preset are shown in the date fields (changing one makes the period custom: scorecards.js).
            first, last = preset_days(preset, timezone.localdate())
            data["start"], data["end"] = first.isoformat(), last.isoformat()
        super().__init__(data)
        self.user = user
        self.filters: MetricFilters | None = None
        role = staff_role(user)
        everyone: list[tuple[Any, Any]] = [("", _("All"))]
        staff = list(
            get_user_model()
            .objects.filter(is_active=True, staff_profile__role__in=[Role.AGENT, Role.ADVISOR])
            .select_related("staff_profile")
            .order_by("first_name", "username")
        )
        agents = [(u.pk, _person(u)) for u in staff if u.staff_profile.role == Role.AGENT]
        advisors = [(u.pk, _person(u)) for u in staff if u.staff_profile.role == Role.ADVISOR]
        # An agent sees their own tickets and an advisor their own accounts (metrics/access.py): the choices say so.
        if role == Role.AGENT:
            self._choices("agent", [(user.pk, _person(user))])
            del self.fields["advisor"]
            for name in ("segment", "service_model"):
                del self.fields[name]
        else:
            self._choices("agent", everyone + agents)
        if role == Role.ADVISOR:
            self._choices("advisor", [(user.pk, _person(user))])
        elif "advisor" in self.fields:
            self._choices("advisor", everyone + advisors)
        self._choices("team", everyone + list(Team.objects.order_by("name").values_list("pk", "name")))
        if "segment" in self.fields:
            accounts = Account.objects.exclude(segment="")
            if role == Role.ADVISOR:
                accounts = accounts.filter(owner_id=user.pk)
            segments = accounts.order_by("segment").values_list("segment", flat=True).distinct()
            self._choices("segment", everyone + [(name, name) for name in segments])
            self._choices("service_model", everyone + list(ServiceModel.choices))
        self._choices("channel", everyone + list(Channel.choices))
        self._choices("tier", everyone + [(value, label) for value, label in Tier.choices])

    def _choices(self, name: str, choices: list[tuple[Any, Any]]) -> None:
        cast(forms.ChoiceField, self.fields[name]).choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        preset = data.get("period") or DEFAULT_PRESET
        data["period"] = preset
        start, end = data.get("start"), data.get("end")
        if preset == "custom":
            for name, value in (("start", start), ("end", end)):
                if value is None:
                    self.add_error(name, _("A custom period needs its first and last day."))
            if start is None or end is None:
                return data
        else:
            start, end = preset_days(preset, timezone.localdate())
            data["start"], data["end"] = start, end
        try:
            self.filters = metric_filters_build(
                start=start,
                end=end,
                time_zone=timezone.get_current_timezone_name(),
                **{name: None if data.get(name) in (None, "") else data.get(name) for name in FILTER_NAMES[3:]},
            )
        except ApplicationError as error:
            form_error(self, error)
        return data

    def chosen(self) -> list[tuple[str, str]]:
        """The filters in force besides the period, as (field label, choice label), for a page to say what it shows."""
        found = []
        for name in FILTER_NAMES[3:]:
            value = self.cleaned_data.get(name) if name in self.fields else None
            if value in (None, ""):
                continue
            offered: Any = cast(forms.ChoiceField, self.fields[name]).choices
            choices = {str(key): str(label) for key, label in offered}
            found.append((str(self.fields[name].label), choices.get(str(value), str(value))))
        return found

    def query(self, **more: str) -> str:
        """The form's filters as a query string for links to the drill-down and the CSV files: the period as its
        days, so a link lists the rows of the number it was on whenever it is followed."""
        query = QueryDict(mutable=True)
        for name in FILTER_NAMES:
            value = self.cleaned_data.get(name)
            if value not in (None, ""):
                query[name] = value.isoformat() if isinstance(value, date) else str(value)
        query["period"] = "custom"
        for name, value in more.items():
            query[name] = value
        return query.urlencode()

    def api_query(self) -> str:
        """The same filters as the metrics API reads them (start and end days, the zone, the rest as they are)."""
        query = QueryDict(mutable=True)
        for name in FILTER_NAMES[1:]:
            value = self.cleaned_data.get(name)
            if value not in (None, ""):
                query[name] = value.isoformat() if isinstance(value, date) else str(value)
        query["time_zone"] = timezone.get_current_timezone_name()
        return query.urlencode()
