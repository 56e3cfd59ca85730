"""Forms of the SLA settings: business calendars and policies. They parse; the desk's SLA services decide."""

from __future__ import annotations

import re
from datetime import date, time
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from carefront.accounts.models import Channel, ServiceModel
from carefront.core.models import Role, Team
from carefront.desk.business_time import WorkingPeriod
from carefront.desk.macro_services import MACRO_STATUSES, PLACEHOLDERS
from carefront.desk.models import Calendar, Macro, Priority, SlaPolicy, SlaTarget, Tier, Visibility
from carefront.desk.sla_services import TargetMinutes
from carefront.web.forms_settings import time_zone_choices

# Monday is 0, as in Python's date.weekday(); both English and French abbreviations are understood.
WEEKDAYS = {
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
    "lun": 0, "mar": 1, "mer": 2, "jeu": 3, "ven": 4, "sam": 5, "dim": 6,
}  # fmt: skip
WEEKDAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HOURS_LINE = re.compile(r"^(?P<day>[a-zé]{3})\w*\s+(?P<start>\d{1,2}:\d{2})\s*[-–]\s*(?P<end>\d{1,2}:\d{2})$", re.I)
DAY_OFF_LINE = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2})\s*(?P<name>.*)$")


def _clock(text: str, *, line: int) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    if hours > 23 or minutes > 59:
        raise forms.ValidationError(gettext("Line {line}: {time} is not a time of day.").format(line=line, time=text))
    return time(hours, minutes)


def hours_text(periods: list[Any]) -> str:
    """Working periods as the hours field shows them, one per line (`Mon 09:00-17:00`)."""
    return "\n".join(
        f"{WEEKDAY_LABELS[p.weekday]} {p.starts_at:%H:%M}-{p.ends_at:%H:%M}"
        for p in sorted(periods, key=lambda p: (p.weekday, p.starts_at))
    )


class CalendarForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)
    country = forms.CharField(
        label=_("Public holidays of"),
        max_length=2,
        required=False,
        help_text=_("A two-letter country code (GB, FR, US…); blank for none."),
    )
    subdivision = forms.CharField(
        label=_("Region"), max_length=10, required=False, help_text=_("For regional holidays, such as ENG or CA.")
    )
    hours = forms.CharField(
        label=_("Working hours"),
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text=_(
            "One period per line: a weekday and its hours, as Mon 09:00-17:00. A period that ends before it "
            "starts runs past midnight (Fri 22:00-06:00); 00:00 as the end is midnight."
        ),
    )
    days_off = forms.CharField(
        label=_("Days off"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("Besides public holidays: one date per line, with an optional name (2026-12-24 Inventory)."),
    )

    def clean_hours(self) -> list[WorkingPeriod]:
        periods = []
        for number, raw in enumerate(self.cleaned_data["hours"].splitlines(), start=1):
            line = raw.strip()
            if not line:
                continue
            match = HOURS_LINE.match(line)
            day = WEEKDAYS.get(match.group("day").lower()) if match else None
            if match is None or day is None:
                raise forms.ValidationError(
                    gettext("Line {line}: write a weekday and its hours, as Mon 09:00-17:00.").format(line=number)
                )
            start = _clock(match.group("start"), line=number)
            end = _clock(match.group("end"), line=number)
            periods.append(WorkingPeriod(weekday=day, starts_at=start, ends_at=end))
        return periods

    def clean_days_off(self) -> list[tuple[date, str]]:
        days = []
        for number, raw in enumerate(self.cleaned_data["days_off"].splitlines(), start=1):
            line = raw.strip()
            if not line:
                continue
            match = DAY_OFF_LINE.match(line)
            try:
                day = date.fromisoformat(match.group("date")) if match else None
            except ValueError:
                day = None
            if match is None or day is None:
                raise forms.ValidationError(
                    gettext("Line {line}: start with a date, as 2026-12-24.").format(line=number)
                )
            days.append((day, match.group("name").strip()))
        return days

    @classmethod
    def for_calendar(cls, calendar: Calendar) -> CalendarForm:
        return cls(
            initial={
                "name": calendar.name,
                "time_zone": calendar.time_zone,
                "country": calendar.country,
                "subdivision": calendar.subdivision,
                "hours": hours_text(list(calendar.hours.all())),
                "days_off": "\n".join(f"{d.date.isoformat()} {d.name}".strip() for d in calendar.holidays.all()),
            }
        )


METRICS = ("first_response", "next_response", "resolution")


class PolicyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    calendar = forms.ModelChoiceField(label=_("Business hours"), queryset=Calendar.objects.order_by("name"))
    position = forms.IntegerField(
        label=_("Position"), min_value=0, required=False, help_text=_("Policies are tried in this order.")
    )
    service_model = forms.ChoiceField(
        label=_("Service model"), choices=[("", _("Any")), *ServiceModel.choices], required=False
    )
    segment = forms.CharField(label=_("Segment"), max_length=64, required=False, help_text=_("Blank: any."))
    channel = forms.ChoiceField(label=_("Channel"), choices=[("", _("Any")), *Channel.choices], required=False)
    tier = forms.TypedChoiceField(
        label=_("Tier"),
        choices=[("", _("Any")), *Tier.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    warn_percent = forms.IntegerField(label=_("Warn at (% of the target)"), min_value=1, max_value=99, initial=80)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = {
            "first_response": _("first response"),
            "next_response": _("next response"),
            "resolution": _("resolution"),
        }
        for priority, priority_label in Priority.choices:
            for metric in METRICS:
                self.fields[f"{priority}_{metric}"] = forms.IntegerField(
                    label=gettext("{priority}: {metric} (business minutes)").format(
                        priority=priority_label, metric=labels[metric]
                    ),
                    min_value=1,
                    max_value=10_000_000,
                    required=False,
                )

    def targets(self) -> dict[str, TargetMinutes]:
        data = self.cleaned_data
        return {
            priority: TargetMinutes(
                first_response=data.get(f"{priority}_first_response"),
                next_response=data.get(f"{priority}_next_response"),
                resolution=data.get(f"{priority}_resolution"),
            )
            for priority in Priority.values
            if any(data.get(f"{priority}_{metric}") for metric in METRICS)
        }

    def target_rows(self) -> list[tuple[str, list[Any]]]:
        """The target fields as a grid: one row per priority, one column per metric."""
        return [
            (str(label), [self[f"{priority}_{metric}"] for metric in METRICS]) for priority, label in Priority.choices
        ]

    @classmethod
    def for_policy(cls, policy: SlaPolicy) -> PolicyForm:
        initial: dict[str, Any] = {
            "name": policy.name,
            "calendar": policy.calendar_id,
            "position": policy.position,
            "service_model": policy.service_model,
            "segment": policy.segment,
            "channel": policy.channel,
            "tier": policy.tier,
            "warn_percent": policy.warn_percent,
            "is_active": policy.is_active,
        }
        target: SlaTarget
        for target in policy.targets.all():
            for metric in METRICS:
                initial[f"{target.priority}_{metric}"] = target.minutes(metric)
        return cls(initial=initial)


class TierQueuesForm(forms.Form):
    """The team of each tier; blank keeps a moved ticket's team."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for tier, label in Tier.choices:
            self.fields[f"tier_{tier}"] = forms.ModelChoiceField(
                label=label, queryset=Team.objects.order_by("name"), required=False, empty_label=_("No team")
            )


class CostRatesForm(forms.Form):
    """What an hour of each role's time costs; blank means the role's time costs nothing."""

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for role, label in Role.choices:
            self.fields[f"rate_{role}"] = forms.DecimalField(
                label=gettext("{role} ({currency} per hour)").format(role=label, currency=currency),
                min_value=0,
                max_digits=10,
                decimal_places=2,
                required=False,
            )


class MacroForm(forms.Form):
    """A macro: its text in each language (placeholders such as {{ requester.first_name }}) and its actions."""

    name = forms.CharField(label=_("Name"), max_length=100)
    shared = forms.BooleanField(label=_("Shared with all staff"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=Visibility.choices)
    set_status = forms.ChoiceField(
        label=_("Then set status"),
        choices=[("", _("Leave as it is")), *((s.value, s.label) for s in MACRO_STATUSES)],
        required=False,
    )
    add_tags = forms.CharField(label=_("Add tags"), required=False, help_text=_("Separated by commas."))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, may_share: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not may_share:
            del self.fields["shared"]
        placeholders = ", ".join("{{ " + name + " }}" for name in sorted(PLACEHOLDERS))
        for code, language in settings.LANGUAGES:
            self.fields[f"text_{code}"] = forms.CharField(
                label=gettext("Text in {language}").format(language=language),
                widget=forms.Textarea(attrs={"rows": 6}),
                required=False,
                help_text=gettext("Placeholders: {placeholders}").format(placeholders=placeholders),
            )

    def texts(self) -> dict[str, str]:
        return {
            code: self.cleaned_data[f"text_{code}"]
            for code, _language in settings.LANGUAGES
            if self.cleaned_data.get(f"text_{code}", "").strip()
        }

    def tags(self) -> list[str]:
        return [tag.strip() for tag in self.cleaned_data["add_tags"].split(",") if tag.strip()]

    @staticmethod
    def initial_for(macro: Macro) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "name": macro.name,
            "shared": macro.owner_id is None,
            "kind": macro.kind,
            "set_status": macro.set_status,
            "add_tags": ", ".join(macro.add_tags),
            "is_active": macro.is_active,
        }
        initial.update({f"text_{text.language}": text.body for text in macro.texts.all()})
        return initial
