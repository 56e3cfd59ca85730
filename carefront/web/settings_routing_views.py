"""Workspace settings for routing (admins): the ordered routing rules, each team's assignment strategy, and the
time-based automations. Each view parses its form, calls one desk service and renders; a refusal is shown on
the field it names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from carefront.core.exceptions import ApplicationError
from carefront.core.selectors import unique_or_none
from carefront.desk.automation_services import automation_create, automation_delete, automation_update
from carefront.desk.models import Automation, RoutingRule
from carefront.desk.routing_selectors import (
    automations_list,
    routing_rules_list,
    team_strategy,
    teams_with_assignment,
)
from carefront.desk.routing_services import (
    routing_rule_create,
    routing_rule_delete,
    routing_rule_update,
    team_assignment_set,
)
from carefront.web.access import admin_view
from carefront.web.forms_routing import (
    AutomationForm,
    ConditionsActionsForm,
    RuleForm,
    TeamStrategiesForm,
    document_text,
    names_for_documents,
)


def _render(request: HttpRequest, template: str, context: dict[str, Any], *, form: Any = None) -> HttpResponse:
    status = 400 if form is not None and form.is_bound and form.errors else 200
    return render(request, template, {"nav": "settings", **context}, status=status)


def _error(form: ConditionsActionsForm, error: ApplicationError) -> None:
    form.add_error(form.field_for(error.field), error.message)


def _one(model: type[Any], pk: int) -> Any:
    row = unique_or_none(model.objects.filter(pk=pk))
    if row is None:
        raise Http404
    return row


@admin_view
def routing_settings(request: HttpRequest) -> HttpResponse:
    """The rules in order and every team's strategy (the strategies are saved here too)."""
    teams = list(teams_with_assignment())
    initial = {f"team_{team.pk}": team_strategy(team) for team in teams}
    form = TeamStrategiesForm(request.POST or None, teams=teams, initial=initial)
    if request.method == "POST" and form.is_valid():
        for team in teams:
            team_assignment_set(actor=request.user, team=team, strategy=form.cleaned_data[f"team_{team.pk}"])
        messages.success(request, _("Team assignment saved."))
        return redirect("web:settings-routing")
    return _render(
        request,
        "web/settings/routing.html",
        {"section": "routing", "rules": _described(routing_rules_list()), "form": form},
        form=form,
    )


def _described(rows: Any) -> list[tuple[Any, str, str]]:
    """Each rule or automation with its conditions and actions as readable lines."""
    names = names_for_documents()
    return [(row, document_text(row.conditions, names=names), document_text(row.actions, names=names)) for row in rows]


def _edit(
    request: HttpRequest,
    *,
    row: Any,
    form_class: type[RuleForm] | type[AutomationForm],
    save: Callable[[dict[str, Any]], Any],
    template: str,
    section: str,
    done: str,
    saved: str,
) -> HttpResponse:
    """A rule's or an automation's page: the form, then the service, then back to the list."""
    extra = {"new": row is None} if form_class is AutomationForm else {}
    if request.method != "POST":
        initial = {}
        if row is not None:
            initial = {name: getattr(row, name) for name in form_class.base_fields if hasattr(row, name)}
            initial.update(form_class.initial_from(row.conditions, row.actions))
        form = form_class(initial=initial, **extra)
        return _render(request, template, {"section": section, "row": row, "form": form})
    form = form_class(request.POST, **extra)
    if form.is_valid():
        plain = [name for name in form.fields if not name.startswith(("act_", "cond_"))]
        values = {name: form.cleaned_data[name] for name in plain}
        values.update(conditions=form.conditions(), actions=form.actions())
        if values.get("position") is None:
            values.pop("position", None)  # blank: last when new, unchanged when editing
        try:
            save(values)
        except ApplicationError as error:
            _error(form, error)
        else:
            messages.success(request, saved.format(name=values["name"]))
            return redirect(done)
    return _render(request, template, {"section": section, "row": row, "form": form}, form=form)


@admin_view
def routing_rule(request: HttpRequest, rule_id: int | None = None) -> HttpResponse:
    rule = _one(RoutingRule, rule_id) if rule_id is not None else None

    def save(values: dict[str, Any]) -> Any:
        if rule is None:
            return routing_rule_create(actor=request.user, **values)
        return routing_rule_update(rule=rule, actor=request.user, **values)

    return _edit(
        request,
        row=rule,
        form_class=RuleForm,
        save=save,
        template="web/settings/routing_rule.html",
        section="routing",
        done="web:settings-routing",
        saved=_("Routing rule “{name}” saved."),
    )


@admin_view
@require_POST
def routing_rule_delete_view(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = _one(RoutingRule, rule_id)
    routing_rule_delete(rule=rule, actor=request.user)
    messages.success(request, _("Routing rule “{name}” deleted.").format(name=rule.name))
    return redirect("web:settings-routing")


@admin_view
def automations_view(request: HttpRequest) -> HttpResponse:
    return _render(
        request,
        "web/settings/automations.html",
        {"section": "automations", "automations": _described(automations_list())},
    )


@admin_view
def automation_view(request: HttpRequest, automation_id: int | None = None) -> HttpResponse:
    automation = _one(Automation, automation_id) if automation_id is not None else None

    def save(values: dict[str, Any]) -> Any:
        if automation is None:
            return automation_create(actor=request.user, **values)
        return automation_update(automation=automation, actor=request.user, **values)

    return _edit(
        request,
        row=automation,
        form_class=AutomationForm,
        save=save,
        template="web/settings/automation.html",
        section="automations",
        done="web:settings-automations",
        saved=_("Automation “{name}” saved."),
    )


@admin_view
@require_POST
def automation_delete_view(request: HttpRequest, automation_id: int) -> HttpResponse:
    automation = _one(Automation, automation_id)
    automation_delete(automation=automation, actor=request.user)
    messages.success(request, _("Automation “{name}” deleted.").format(name=automation.name))
    return redirect("web:settings-automations")
