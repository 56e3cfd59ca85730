"""Workspace settings for service levels (admins): business calendars, the SLA policies that time tickets on
them, and the team queue of each tier.

Each view parses its form, fetches rows through the access helpers, calls one SLA service and renders;
a refusal comes back as ApplicationError and is shown on the field it names.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from carefront.core.access import is_manager
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Role
from carefront.core.selectors import cost_rates
from carefront.core.services import cost_rate_set
from carefront.desk.access import access_calendar, access_macro, access_sla_policy
from carefront.desk.macro_selectors import macros_list
from carefront.desk.macro_services import macro_create, macro_update
from carefront.desk.models import Tier
from carefront.desk.selectors import tier_queues
from carefront.desk.services import tier_queue_set
from carefront.desk.sla_selectors import calendars_list, sla_policies_list
from carefront.desk.sla_services import calendar_create, calendar_update, sla_policy_create, sla_policy_update
from carefront.web.access import admin_view, staff_view
from carefront.web.forms_settings import form_error
from carefront.web.forms_sla import CalendarForm, CostRatesForm, MacroForm, PolicyForm, TierQueuesForm


def _render(request: HttpRequest, template: str, context: dict[str, Any], *, form: Any = None) -> HttpResponse:
    status = 400 if form is not None and form.is_bound and form.errors else 200
    return render(request, template, {"nav": "settings", "section": "sla", **context}, status=status)


@admin_view
def sla_settings(request: HttpRequest) -> HttpResponse:
    return _render(
        request,
        "web/settings/sla.html",
        {"calendars": list(calendars_list()), "policies": list(sla_policies_list().select_related("calendar"))},
    )


@admin_view
def sla_calendar(request: HttpRequest, calendar_id: int | None = None) -> HttpResponse:
    calendar = access_calendar(user=request.user, calendar_id=calendar_id) if calendar_id is not None else None
    if request.method != "POST":
        form = CalendarForm.for_calendar(calendar) if calendar is not None else CalendarForm()
        return _render(request, "web/settings/sla_calendar.html", {"calendar": calendar, "form": form})
    form = CalendarForm(request.POST)
    if form.is_valid():
        values = form.cleaned_data
        try:
            if calendar is None:
                calendar = calendar_create(actor=request.user, **values)
            else:
                calendar_update(actor=request.user, calendar=calendar, **values)
        except ApplicationError as error:
            form_error(form, error)
        else:
            messages.success(request, _("Calendar “{name}” saved.").format(name=values["name"]))
            return redirect("web:settings-sla")
    return _render(request, "web/settings/sla_calendar.html", {"calendar": calendar, "form": form}, form=form)


@admin_view
def sla_policy(request: HttpRequest, policy_id: int | None = None) -> HttpResponse:
    policy = access_sla_policy(user=request.user, policy_id=policy_id) if policy_id is not None else None
    if request.method != "POST":
        form = PolicyForm.for_policy(policy) if policy is not None else PolicyForm()
        return _render(request, "web/settings/sla_policy.html", {"policy": policy, "form": form})
    form = PolicyForm(request.POST)
    if form.is_valid():
        values = {key: form.cleaned_data[key] for key in ("name", "calendar", "position", "warn_percent")}
        conditions = {key: form.cleaned_data[key] for key in ("service_model", "segment", "channel", "tier")}
        try:
            if policy is None:
                sla_policy_create(actor=request.user, targets=form.targets(), **values, **conditions)
            else:
                sla_policy_update(
                    actor=request.user,
                    policy=policy,
                    targets=form.targets(),
                    is_active=form.cleaned_data["is_active"],
                    **values,
                    **conditions,
                )
        except ApplicationError as error:
            form_error(form, error)
        else:
            messages.success(request, _("SLA policy “{name}” saved.").format(name=values["name"]))
            return redirect("web:settings-sla")
    return _render(request, "web/settings/sla_policy.html", {"policy": policy, "form": form}, form=form)


@admin_view
def tier_queues_view(request: HttpRequest) -> HttpResponse:
    """Which team's queue each tier's tickets go to when they are escalated or de-escalated."""
    form = TierQueuesForm(request.POST or None, initial={f"tier_{t}": team for t, team in tier_queues().items()})
    if request.method == "POST" and form.is_valid():
        for tier in Tier.values:
            tier_queue_set(actor=request.user, tier=tier, team=form.cleaned_data[f"tier_{tier}"])
        messages.success(request, _("Tier queues saved."))
        return redirect("web:settings-tiers")
    return _render(request, "web/settings/tiers.html", {"form": form, "section": "tiers"}, form=form)


@admin_view
def cost_rates_view(request: HttpRequest) -> HttpResponse:
    """The cost of an hour of each role's time: what turns staff minutes into an account's cost to serve."""
    currency = settings.CAREFRONT_COST_CURRENCY
    initial = {f"rate_{role}": hourly for role, hourly in cost_rates().items()}
    form = CostRatesForm(request.POST or None, initial=initial, currency=currency)
    if request.method == "POST" and form.is_valid():
        try:
            for role in Role.values:
                cost_rate_set(actor=request.user, role=role, hourly=form.cleaned_data[f"rate_{role}"])
        except ApplicationError as error:
            form_error(form, error)
        else:
            messages.success(request, _("Cost rates saved."))
            return redirect("web:settings-cost-rates")
    return _render(request, "web/settings/cost_rates.html", {"form": form, "section": "cost-rates"}, form=form)


@staff_view
def macros_view(request: HttpRequest, macro_id: int | None = None) -> HttpResponse:
    """Every staff member's macros: their own, and the shared ones (which managers and admins change)."""
    macro = access_macro(user=request.user, macro_id=macro_id) if macro_id is not None else None
    may_share = is_manager(request.user)
    initial = MacroForm.initial_for(macro) if macro is not None else None
    form = MacroForm(request.POST or None, initial=initial, may_share=may_share)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        values = {"name": data["name"], "kind": data["kind"], "set_status": data["set_status"], "add_tags": form.tags()}
        try:
            if macro is None:
                macro_create(actor=request.user, texts=form.texts(), shared=bool(data.get("shared")), **values)
            else:
                macro_update(actor=request.user, macro=macro, texts=form.texts(), is_active=data["is_active"], **values)
        except ApplicationError as error:
            form_error(form, error)
        else:
            messages.success(request, _("Macro “{name}” saved.").format(name=data["name"]))
            return redirect("web:settings-macros")
    context = {"form": form, "macro": macro, "macros": list(macros_list(user=request.user)), "section": "macros"}
    return _render(request, "web/settings/macros.html", context, form=form)
