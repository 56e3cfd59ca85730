"""The Insights page (every staff member reads; managers and admins decide reviews and refresh), and the insight
card loaded into the ticket page. Each view parses, checks access, calls one service or selector, renders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from carefront.accounts.access import access_account
from carefront.core.exceptions import ApplicationError
from carefront.insights.forms import ReviewAcceptForm, ReviewDeclineForm, form_error
from carefront.insights.models import Review
from carefront.insights.selectors import (
    ReviewRow,
    access_review,
    account_insight_card,
    insights_overview,
    review_for_row,
    review_owner_candidates,
    review_row,
)
from carefront.insights.services import review_accept, review_decline
from carefront.insights.tasks import refresh_insights
from carefront.web.access import manager_view, staff_view

PAGE = "insights/page.html"
MAX_CURSOR_DIGITS = 18


def _htmx(request: HttpRequest) -> bool:
    """An htmx request for a fragment (django-htmx's `request.htmx`), not htmx restoring a whole page from history."""
    details: Any = getattr(request, "htmx", None)
    return bool(details) and not details.history_restore_request


def _cursor(request: HttpRequest, name: str) -> int | None:
    raw = request.GET.get(name, "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= MAX_CURSOR_DIGITS else None


def _older_query(request: HttpRequest, name: str, value: int | None) -> str | None:
    """The page's query string with the one list moved on to its older rows (the other list stays where it is)."""
    if value is None:
        return None
    query = request.GET.copy()
    query[name] = str(value)
    return query.urlencode()


@dataclass(frozen=True)
class ReviewItem:
    """A review on the page with, for managers, its two forms (bound when a decision was refused)."""

    row: ReviewRow
    accept: forms.Form | None
    decline: forms.Form | None

    @property
    def refusals(self) -> list[str]:
        """Why a decision was refused, when it concerns no field (the review was decided meanwhile)."""
        return [
            str(error) for form in (self.accept, self.decline) if form is not None for error in form.non_field_errors()
        ]


def _prefixes(review: Review) -> tuple[str, str]:
    return f"accept-{review.pk}", f"decline-{review.pk}"


def _item(row: ReviewRow, *, owners: list[Any] | None) -> ReviewItem:
    if owners is None:
        return ReviewItem(row=row, accept=None, decline=None)
    accept, decline = _prefixes(row.review)
    return ReviewItem(
        row=row, accept=ReviewAcceptForm(owners=owners, prefix=accept), decline=ReviewDeclineForm(prefix=decline)
    )


def _page(request: HttpRequest, *, refused: ReviewItem | None = None, status: int = 200) -> HttpResponse:
    overview = insights_overview(
        user=request.user,
        reviews_before=_cursor(request, "reviews_before"),
        at_risk_before=_cursor(request, "at_risk_before"),
    )
    owners = overview.owners if overview.may_decide else None
    items = [_item(row, owners=owners) for row in overview.reviews.rows]
    if refused is not None:
        # The refused review keeps its place (or comes first when it is on another page), with the reason shown.
        ids = [item.row.review.pk for item in items]
        if refused.row.review.pk in ids:
            items[ids.index(refused.row.review.pk)] = refused
        else:
            items.insert(0, refused)
    context = {
        "nav": "insights",
        "overview": overview,
        "review_items": items,
        "reviews_older": _older_query(request, "reviews_before", overview.reviews.older),
        "at_risk_older": _older_query(request, "at_risk_before", overview.at_risk.older),
    }
    return render(request, PAGE, context, status=status)


@staff_view
@require_GET
def insights_page(request: HttpRequest) -> HttpResponse:
    return _page(request)


def _decided(request: HttpRequest, review: Review, *, message: str) -> HttpResponse:
    """After a decision: the review's row in its new state for htmx, otherwise back to the page with a message."""
    if _htmx(request):
        row = review_for_row(user=request.user, review_id=review.pk)
        return render(request, f"{PAGE}#review", {"item": ReviewItem(row=row, accept=None, decline=None)})
    messages.success(request, message)
    return redirect(reverse("web:insights") + "#reviews-heading")


def _refused(
    request: HttpRequest, review: Review, *, accept: forms.Form | None, decline: forms.Form | None, status: int
) -> HttpResponse:
    """The review with the form that failed and why: its row for htmx, the whole page otherwise."""
    owners = review_owner_candidates(user=request.user)
    accept_prefix, decline_prefix = _prefixes(review)
    item = ReviewItem(
        row=review_row(review),
        accept=accept or ReviewAcceptForm(owners=owners, prefix=accept_prefix),
        decline=decline or ReviewDeclineForm(prefix=decline_prefix),
    )
    if _htmx(request):
        return render(request, f"{PAGE}#review", {"item": item}, status=status)
    return _page(request, refused=item, status=status)


@staff_view
@require_POST
def review_accept_view(request: HttpRequest, review_id: int) -> HttpResponse:
    """Accept a suggestion: the account becomes a client owned by the chosen advisor (managers and admins)."""
    review = access_review(user=request.user, review_id=review_id)
    owners = review_owner_candidates(user=request.user)
    form = ReviewAcceptForm(request.POST, owners=owners, prefix=_prefixes(review)[0])
    status = 400
    if form.is_valid():
        owner = form.chosen_owner()
        try:
            review_accept(review=review, actor=request.user, owner=owner, note=form.cleaned_data["note"])
        except ApplicationError as error:
            form_error(form, error)
            status = error.status
        else:
            message = _("{account} is now a client, owned by {owner}.").format(
                account=review.account.name, owner=owner.get_full_name() or owner.get_username()
            )
            return _decided(request, review, message=message)
    return _refused(request, review, accept=form, decline=None, status=status)


@staff_view
@require_POST
def review_decline_view(request: HttpRequest, review_id: int) -> HttpResponse:
    """Decline a suggestion, saying why; the same one stays quiet for the configured days (managers and admins)."""
    review = access_review(user=request.user, review_id=review_id)
    form = ReviewDeclineForm(request.POST, prefix=_prefixes(review)[1])
    status = 400
    if form.is_valid():
        try:
            review_decline(review=review, actor=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            form_error(form, error)
            status = error.status
        else:
            message = _("The suggestion for {account} is declined.").format(account=review.account.name)
            return _decided(request, review, message=message)
    return _refused(request, review, accept=None, decline=form, status=status)


@manager_view
@require_POST
def refresh_view(request: HttpRequest) -> HttpResponse:
    """Queue a full refresh: refit the models and rescore every account, as the nightly job does."""
    refresh_insights(full=True)
    messages.success(
        request, _("Refresh queued: the models are refitted and every account rescored in the background.")
    )
    return redirect("web:insights")


@staff_view
@require_GET
def account_card(request: HttpRequest, account_id: int) -> HttpResponse:
    """The insight card of an account, loaded by htmx into the ticket page so that page's queries do not grow."""
    account = access_account(user=request.user, account_id=account_id)
    card = account_insight_card(user=request.user, account_id=account.pk)
    return render(request, "insights/card.html", {"card": card, "account": account})
