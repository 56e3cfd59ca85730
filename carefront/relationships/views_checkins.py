"""The workspace's check-in screens: the advisor's check-ins, a new cadence, logging a held check-in, an
interaction with its next steps (each a commitment in one click), and the advisor's own calendar settings."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from carefront.accounts.access import contacts_visible_to
from carefront.core.access import is_manager
from carefront.core.exceptions import ApplicationError
from carefront.core.selectors import staff_members
from carefront.relationships import selectors_checkins as selectors
from carefront.relationships import services_checkins as services
from carefront.relationships.access import access_check_in, access_interaction, access_next_step
from carefront.relationships.forms_checkins import CadenceForm, CheckInListForm, HeldForm, WorkingHoursForm
from carefront.relationships.models import CheckIn, CheckInState
from carefront.relationships.selectors import due_cursor_decode
from carefront.relationships.views import _account_from_query, _act, _create_page, _reason
from carefront.web.access import staff_view
from carefront.web.forms_settings import form_error

PAGE = 50


@staff_view
@require_GET
def check_ins_page(request: HttpRequest) -> HttpResponse:
    """The advisor's check-ins soonest first (a manager may look at everyone's), keyset-paginated."""
    form = CheckInListForm(request.GET)
    state = (form.cleaned_data["state"] or None) if form.is_valid() else CheckInState.SCHEDULED
    everyone = form.is_valid() and form.cleaned_data["everyone"] and is_manager(request.user)
    filters = selectors.CheckInFilters(owner=None if everyone else request.user.pk, state=state)
    page = selectors.check_ins_page(
        selectors.check_ins_list(user=request.user, filters=filters),
        after=due_cursor_decode(request.GET.get("after")),
        size=PAGE,
    )
    query = request.GET.copy()
    query.pop("after", None)
    context = {"nav": "relationships", "tab": "check-ins", "form": form, "page": page, "query": query.urlencode()}
    return render(request, "relationships/check_ins.html", context)


@staff_view
def cadence_new(request: HttpRequest) -> HttpResponse:
    account = _account_from_query(request)
    form = CadenceForm(request.POST or None, staff=staff_members(), initial={"owner": account.owner_id})

    def create() -> tuple[str, str]:
        cadence = services.cadence_create(actor=request.user, account=account, **form.cleaned_data)
        return _("Cadence “{name}” planned.").format(name=cadence.name), reverse("web:account", args=[account.pk])

    return _create_page(request, form, create, template="relationships/cadence_new.html", context={"account": account})


def _held_form(request: HttpRequest, check_in: CheckIn) -> HeldForm:
    contacts = list(contacts_visible_to(request.user).filter(account_id=check_in.account_id).order_by("name")[:50])
    initial = {"kind": check_in.cadence.channel, "occurred_at": timezone.localtime(check_in.scheduled_at)}
    return HeldForm(request.POST or None, contacts=contacts, staff=list(staff_members()[:100]), initial=initial)


@staff_view
def check_in_held(request: HttpRequest, check_in_id: int) -> HttpResponse:
    """Log a check-in as held, with its notes, outcomes and next steps; then on to the interaction's page."""
    check_in = access_check_in(user=request.user, check_in_id=check_in_id)
    form = _held_form(request, check_in)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                interaction = services.check_in_hold(check_in=check_in, actor=request.user, held=form.held())
            except ApplicationError as error:
                form_error(form, error)
                status = error.status
            else:
                messages.success(request, _("Check-in logged as held."))
                return redirect("web:relationships-interaction", interaction.pk)
    context = {"nav": "relationships", "form": form, "check_in": check_in}
    return render(request, "relationships/check_in_held.html", context, status=status)


@require_POST
@staff_view
def check_in_cancel(request: HttpRequest, check_in_id: int) -> HttpResponse:
    check_in = access_check_in(user=request.user, check_in_id=check_in_id)
    reason = _reason(request)
    return _act(
        request,
        lambda: services.check_in_cancel(check_in=check_in, actor=request.user, reason=reason),
        fallback=reverse("web:relationships-check-ins"),
    )


@staff_view
@require_GET
def interaction_page(request: HttpRequest, interaction_id: int) -> HttpResponse:
    access_interaction(user=request.user, interaction_id=interaction_id)
    interaction = selectors.interaction_detail(user=request.user, interaction_id=interaction_id)
    return render(request, "relationships/interaction.html", {"nav": "relationships", "interaction": interaction})


@require_POST
@staff_view
def next_step_commit(request: HttpRequest, next_step_id: int) -> HttpResponse:
    """One click: the next step becomes a commitment of the account's advisor, due in a week."""
    step = access_next_step(user=request.user, next_step_id=next_step_id)
    target = reverse("web:relationships-interaction", args=[step.interaction_id])

    def commit() -> Any:
        services.next_step_commit(next_step=step, actor=request.user)
        messages.success(request, _("“{step}” is now a commitment.").format(step=step.text))

    return _act(request, commit, fallback=target)


@staff_view
def calendar_settings(request: HttpRequest) -> HttpResponse:
    """The staff member's own working hours and the secret URL of their check-ins' calendar feed."""
    hours = services.working_hours(user=request.user)
    initial = {"starts": hours.starts, "ends": hours.ends, "days": list(hours.days)}
    form = WorkingHoursForm(request.POST if request.POST.get("action") == "hours" else None, initial=initial)
    feed_url = ""
    status = 200
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "hours":
        status = 400
        if form.is_valid():
            try:
                data = form.cleaned_data
                services.working_hours_set(
                    actor=request.user, starts=data["starts"], ends=data["ends"], days="".join(data["days"])
                )
            except ApplicationError as error:
                form_error(form, error)
                status = error.status
            else:
                messages.success(request, _("Your working hours were saved."))
                return redirect("web:relationships-calendar")
    elif action == "feed":
        token = services.feed_token_create(actor=request.user)
        feed_url = request.build_absolute_uri(reverse("web:relationships-calendar-feed", args=[token]))
    elif action == "revoke":
        services.feed_token_revoke(actor=request.user)
        messages.success(request, _("Your calendar feed's address no longer works."))
        return redirect("web:relationships-calendar")
    context = {
        "nav": "relationships",
        "tab": "calendar",
        "form": form,
        "time_zone": hours.time_zone,
        "feed_url": feed_url,
        "feed_active": selectors.feed_active(user=request.user),
    }
    return render(request, "relationships/calendar.html", context, status=status)
