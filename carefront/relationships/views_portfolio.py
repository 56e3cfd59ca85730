"""The advisor portfolio screens: an advisor's clients, what needs attention first; a manager's reassignment of one
account and hand-over of a whole portfolio (before the advisor leaves). Each view parses, checks access, calls one
service or selector, renders."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from carefront.accounts.access import access_account
from carefront.core.access import is_manager
from carefront.core.exceptions import ApplicationError
from carefront.core.selectors import staff_members
from carefront.relationships import selectors
from carefront.relationships.access import access_portfolio, access_recommendation
from carefront.relationships.forms import ReassignForm
from carefront.relationships.forms_portfolio import HandOverForm
from carefront.relationships.selectors_portfolio import (
    PortfolioCursor,
    owned_items,
    portfolio_page,
)
from carefront.relationships.selectors_recommendations import (
    recommendation_reason,
    recommendations_open,
)
from carefront.relationships.services_portfolio import account_reassign, portfolio_hand_over
from carefront.relationships.services_recommendations import (
    recommendation_commit,
    recommendation_dismiss,
    recommendation_plan_check_in,
    recommendations_run,
)
from carefront.relationships.views import _htmx
from carefront.web.access import staff_view
from carefront.web.forms_settings import form_error


@staff_view
@require_GET
def my_portfolio(request: HttpRequest) -> HttpResponse:
    """The signed-in advisor's portfolio; a manager's choice of another (`?advisor=`) goes to that one's page."""
    chosen = request.GET.get("advisor", "")
    if chosen.isdigit() and len(chosen) <= 18:
        return redirect("web:relationships-portfolio-of", advisor_id=int(chosen))
    return portfolio(request, advisor_id=request.user.pk)


@staff_view
@require_GET
def portfolio(request: HttpRequest, advisor_id: int) -> HttpResponse:
    advisor = access_portfolio(user=request.user, advisor_id=advisor_id)
    manager = is_manager(request.user)
    staff = list(staff_members()) if manager else []
    context: dict[str, Any] = {
        "nav": "relationships",
        "tab": "portfolio",
        "advisor": advisor,
        "page": portfolio_page(advisor=advisor, after=PortfolioCursor.decode(request.GET.get("after"))),
        "recommendations": recommendations_open(advisor=advisor),
        "rate": selectors.on_time_rate(user=request.user, filters=selectors.Filters(owner=advisor.pk)),
        "manager": manager,
        "staff": staff,
        "reassign_to": [member for member in staff if member.pk != advisor.pk],
    }
    return render(request, "relationships/portfolio.html", context)


@require_POST
@staff_view
def account_reassign_view(request: HttpRequest, account_id: int) -> HttpResponse:
    """A manager gives one client to another advisor, saying why; back to the portfolio it was on."""
    account = access_account(user=request.user, account_id=account_id)
    if not is_manager(request.user):
        raise PermissionDenied
    previous_owner = account.owner_id
    form = ReassignForm(request.POST, staff=staff_members())
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
    else:
        try:
            account_reassign(
                account=account,
                actor=request.user,
                owner=form.cleaned_data["owner"],
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            owner = form.cleaned_data["owner"]
            messages.success(
                request,
                _("{account} now belongs to {advisor}.").format(
                    account=account.name, advisor=owner.get_full_name() or owner.get_username()
                ),
            )
    if previous_owner is None:
        return redirect("web:account", account_id=account.pk)
    return redirect("web:relationships-portfolio-of", advisor_id=previous_owner)


@staff_view
def hand_over(request: HttpRequest, advisor_id: int) -> HttpResponse:
    """A manager hands an advisor's whole portfolio to another (and, if they leave, deactivates them)."""
    advisor = access_portfolio(user=request.user, advisor_id=advisor_id)
    if not is_manager(request.user):
        raise PermissionDenied
    others = staff_members().exclude(pk=advisor.pk)
    form = HandOverForm(request.POST or None, staff=others, initial={"deactivate": "leaving" in request.GET})
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            moved = portfolio_hand_over(
                advisor=advisor,
                actor=request.user,
                to=data["owner"],
                reason=data["reason"],
                deactivate=data["deactivate"],
            )
        except ApplicationError as error:
            form_error(form, error)
            status = error.status
        else:
            messages.success(
                request,
                _(
                    "{accounts} accounts, {commitments} commitments, {engagements} engagements, {cadences} cadences "
                    "and {check_ins} check-ins went to {advisor}."
                ).format(
                    accounts=moved.accounts,
                    commitments=moved.commitments,
                    engagements=moved.engagements,
                    cadences=moved.cadences,
                    check_ins=moved.check_ins,
                    advisor=data["owner"].get_full_name() or data["owner"].get_username(),
                ),
            )
            if data["deactivate"]:
                messages.success(request, _("{user} was deactivated.").format(user=advisor.get_username()))
            return redirect(reverse("web:relationships-portfolio-of", args=[data["owner"].pk]))
    elif request.method == "POST":
        status = 400
    context = {
        "nav": "relationships",
        "tab": "portfolio",
        "advisor": advisor,
        "owned": owned_items(user_id=advisor.pk),
        "form": form,
    }
    return render(request, "relationships/hand_over.html", context, status=status)


# --- the morning recommendations -------------------------------------------------------------------


def _recommendation_done(request: HttpRequest, row: Any, message: str, link: str | None = None) -> HttpResponse:
    if _htmx(request):
        return render(
            request, "relationships/_recommendation.html", {"recommendation": row, "done": message, "link": link}
        )
    messages.success(request, message)
    return redirect(reverse("web:relationships-portfolio-of", args=[row.advisor_id]) + "#recommendations-heading")


def _recommendation_refused(request: HttpRequest, row: Any, error: ApplicationError) -> HttpResponse:
    if _htmx(request):
        row.reason = recommendation_reason(row)
        context = {"recommendation": row, "error": error.message}
        return render(request, "relationships/_recommendation.html", context, status=error.status)
    messages.error(request, error.message)
    return redirect(reverse("web:relationships-portfolio-of", args=[row.advisor_id]) + "#recommendations-heading")


@require_POST
@staff_view
def recommendation_commit_view(request: HttpRequest, recommendation_id: int) -> HttpResponse:
    row = access_recommendation(user=request.user, recommendation_id=recommendation_id)
    try:
        commitment = recommendation_commit(recommendation=row, actor=request.user)
    except ApplicationError as error:
        return _recommendation_refused(request, row, error)
    message = _("Commitment made: {title}").format(title=commitment.title)
    return _recommendation_done(request, row, message, reverse("web:account", args=[row.account_id]))


@require_POST
@staff_view
def recommendation_check_in_view(request: HttpRequest, recommendation_id: int) -> HttpResponse:
    row = access_recommendation(user=request.user, recommendation_id=recommendation_id)
    try:
        check_in = recommendation_plan_check_in(recommendation=row, actor=request.user)
    except ApplicationError as error:
        return _recommendation_refused(request, row, error)
    message = _("Check-in planned: {when}").format(
        when=date_format(timezone.localtime(check_in.scheduled_at), "SHORT_DATETIME_FORMAT")
    )
    return _recommendation_done(request, row, message, reverse("web:relationships-check-ins"))


@require_POST
@staff_view
def recommendation_dismiss_view(request: HttpRequest, recommendation_id: int) -> HttpResponse:
    row = access_recommendation(user=request.user, recommendation_id=recommendation_id)
    try:
        recommendation_dismiss(recommendation=row, actor=request.user, reason=request.POST.get("reason", ""))
    except ApplicationError as error:
        return _recommendation_refused(request, row, error)
    return _recommendation_done(request, row, _("Dismissed."))


@require_POST
@staff_view
def recommendations_refresh(request: HttpRequest, advisor_id: int) -> HttpResponse:
    """Make the advisor's list again now (their own, or a manager for anyone), rather than wait for the morning."""
    advisor = access_portfolio(user=request.user, advisor_id=advisor_id)
    opened = recommendations_run(advisor_ids=[advisor.pk])
    messages.success(
        request,
        ngettext("{count} new recommendation.", "{count} new recommendations.", opened).format(count=opened),
    )
    return redirect(reverse("web:relationships-portfolio-of", args=[advisor.pk]) + "#recommendations-heading")
