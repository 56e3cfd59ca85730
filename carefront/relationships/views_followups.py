"""The follow-up screens: the rules in the workspace settings (managers), the follow-ups list, a contact's opt-out,
and the public page a contact's unsubscribe link opens."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carefront.accounts.access import access_contact
from carefront.core.exceptions import ApplicationError
from carefront.relationships import selectors_followups as selectors
from carefront.relationships import services_followups as services
from carefront.relationships.access import access_followup_rule
from carefront.relationships.forms_followups import FollowUpListForm, FollowUpRuleForm, PreviewForm, QuietPeriodForm
from carefront.relationships.models import OptOutSource
from carefront.relationships.views import _act
from carefront.web.access import manager_view, staff_view
from carefront.web.forms_settings import form_error

PAGE = 50


def _settings_context(**extra: Any) -> dict[str, Any]:
    return {"nav": "settings", "section": "follow-ups", "variables": services.TEMPLATE_VARIABLES, **extra}


@manager_view
@require_http_methods(["GET", "POST"])
def followup_rules(request: HttpRequest) -> HttpResponse:
    """The rules, and the workspace's quiet period."""
    current = selectors.outreach_settings()
    form = QuietPeriodForm(request.POST or None, initial={"quiet_days": current.quiet_days})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.outreach_settings_update(actor=request.user, quiet_days=form.cleaned_data["quiet_days"])
            except ApplicationError as error:
                form_error(form, error)
                status = error.status
            else:
                messages.success(request, _("Quiet period saved."))
                return redirect("web:settings-follow-ups")
    rules = list(selectors.followup_rules_list(user=request.user).order_by("-is_active", "name", "id")[:200])
    return render(
        request, "relationships/followup_rules.html", _settings_context(rules=rules, form=form), status=status
    )


@manager_view
@require_http_methods(["GET", "POST"])
def followup_rule_edit(request: HttpRequest, rule_id: int | None = None) -> HttpResponse:
    """Write a rule or change one; with `?contact=<id>`, what it would send that contact now."""
    rule = access_followup_rule(user=request.user, rule_id=rule_id) if rule_id is not None else None
    initial = FollowUpRuleForm.initial_for(rule) if rule is not None else {}
    form = FollowUpRuleForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                if rule is None:
                    rule = services.followup_rule_create(actor=request.user, **form.values())
                else:
                    services.followup_rule_update(rule=rule, actor=request.user, **form.values())
            except ApplicationError as error:
                form.add_error(form.field_for(error.field), error.message)
                status = error.status
            else:
                messages.success(request, _("Follow-up rule “{name}” saved.").format(name=rule.name))
                return redirect("web:settings-follow-up", rule_id=rule.pk)
    preview, preview_error = None, ""
    preview_form = PreviewForm(request.GET if "contact" in request.GET else None)
    if rule is not None and preview_form.is_valid():
        contact = access_contact(user=request.user, contact_id=preview_form.cleaned_data["contact"])
        try:
            preview = services.followup_preview(rule=rule, contact=contact, actor=request.user)
        except ApplicationError as error:
            preview_error = error.message
    context = _settings_context(
        rule=rule, form=form, preview=preview, preview_error=preview_error, preview_form=preview_form
    )
    return render(request, "relationships/followup_rule.html", context, status=status)


@manager_view
@require_POST
def followup_rule_deactivate(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = access_followup_rule(user=request.user, rule_id=rule_id)
    return _act(
        request,
        lambda: services.followup_rule_update(rule=rule, actor=request.user, is_active=False),
        fallback=reverse("web:settings-follow-ups"),
    )


@staff_view
@require_GET
def followups_page(request: HttpRequest) -> HttpResponse:
    """The follow-ups the user may see, newest first, filtered by state and rule, keyset-paginated."""
    rules = selectors.followup_rules_list(user=request.user).order_by("name")
    form = FollowUpListForm(request.GET, rules=rules)
    filters = selectors.FollowUpFilters()
    if form.is_valid():
        rule = form.cleaned_data["rule"]
        filters = selectors.FollowUpFilters(state=form.cleaned_data["state"] or None, rule=rule.pk if rule else None)
    before = request.GET.get("before", "")
    page = selectors.followups_page(
        selectors.followups_list(user=request.user, filters=filters),
        before=int(before) if before.isdigit() and len(before) < 19 else None,
        size=PAGE,
    )
    query = request.GET.copy()
    query.pop("before", None)
    context = {"nav": "relationships", "tab": "follow-ups", "form": form, "page": page, "query": query.urlencode()}
    return render(request, "relationships/followups.html", context)


@staff_view
@require_POST
def contact_outreach(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Staff stop (or resume) outreach email to a contact."""
    contact = access_contact(user=request.user, contact_id=contact_id)
    if request.POST.get("opt_out") == "1":
        return _act(
            request,
            lambda: services.contact_outreach_opt_out(contact=contact, actor=request.user),
            fallback=reverse("web:account", args=[contact.account_id]),
        )
    return _act(
        request,
        lambda: services.contact_outreach_opt_in(contact=contact, actor=request.user),
        fallback=reverse("web:account", args=[contact.account_id]),
    )


# The link is its own authority (signed), and mail programs' one-click unsubscribe (RFC 8058) posts without a
# session or CSRF token. Opening the link only asks; the button (or the one-click POST) opts out.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        contact = services.unsubscribe_contact(token=token)
    except ApplicationError as error:
        return render(request, "relationships/unsubscribe.html", {"error": error.message}, status=error.status)
    done = False
    if request.method == "POST":
        services.contact_outreach_opt_out(contact=contact, actor=None, source=OptOutSource.LINK)
        done = True
    return render(request, "relationships/unsubscribe.html", {"contact": contact, "done": done, "token": token})
