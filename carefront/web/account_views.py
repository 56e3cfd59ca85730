"""The account pages: the searchable list and the 360° view of one account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from carefront.accounts.access import access_account
from carefront.accounts.models import Account
from carefront.accounts.selectors import account_overview, accounts_list
from carefront.accounts.selectors_timeline import TimelineCursor, account_timeline, timeline_sources
from carefront.accounts.services import account_change_owner, account_change_service_model
from carefront.core.access import is_manager
from carefront.core.exceptions import ApplicationError
from carefront.core.selectors import staff_members
from carefront.feedback.selectors import latest_response
from carefront.insights.selectors import account_insight_card, segments_list
from carefront.relationships.access import may_manage_account, may_see_health
from carefront.relationships.selectors import account_card
from carefront.relationships.selectors_followups import followups_for_account, opted_out_contact_ids
from carefront.relationships.selectors_health import account_health
from carefront.relationships.selectors_profile import profile_card
from carefront.web.access import staff_view
from carefront.web.forms_accounts import AccountListForm, AccountServiceModelForm
from carefront.web.htmx import htmx_fragment

PAGE_SIZE = 50
PAGE = "web/account/page.html"
SERVICE_MODEL_PAGE = "web/account/service_model.html"


@dataclass(frozen=True)
class KeysetPage:
    """One page of a newest-first list, with the query strings of its neighbours (None at either end)."""

    rows: list[Any]
    newer_query: str | None
    older_query: str | None


def _query(params: QueryDict, **position: int) -> str:
    query = params.copy()
    for key in ("before", "after"):
        query.pop(key, None)
    for key, value in position.items():
        query[key] = str(value)
    return query.urlencode()


def _keyset_page(
    rows: QuerySet[Any], *, params: QueryDict, before: int | None, after: int | None, size: int = PAGE_SIZE
) -> KeysetPage:
    """Rows by id, newest first, from `?before=<id>` or `?after=<id>`: one query whatever the page's depth."""
    if after is not None:
        found = list(rows.filter(id__gt=after).order_by("id")[: size + 1])
        has_newer, has_older = len(found) > size, True
        page = list(reversed(found[:size]))
    else:
        if before is not None:
            rows = rows.filter(id__lt=before)
        found = list(rows.order_by("-id")[: size + 1])
        has_newer, has_older = before is not None, len(found) > size
        page = found[:size]
    if not page:
        return KeysetPage(rows=[], newer_query=None, older_query=None)
    return KeysetPage(
        rows=page,
        newer_query=_query(params, after=page[0].pk) if has_newer else None,
        older_query=_query(params, before=page[-1].pk) if has_older else None,
    )


@staff_view
def account_list(request: HttpRequest) -> HttpResponse:
    form = AccountListForm(request.GET, staff=staff_members(), segments=list(segments_list(user=request.user)))
    filters = form.filters()
    position = form.cleaned_data if form.is_valid() else {}
    accounts = accounts_list(user=request.user, filters=filters).prefetch_related(None)
    page = _keyset_page(accounts, params=request.GET, before=position.get("before"), after=position.get("after"))
    return render(request, "web/account/list.html", {"nav": "accounts", "form": form, "page": page})


def _timeline_context(request: HttpRequest, account: Account) -> dict[str, Any]:
    """One page of the account's timeline, of the kinds ticked (`?kind=…&kind=…`; none ticked is every kind),
    after `?before=<cursor>` (a cursor that is not one shows the newest)."""
    kinds = timeline_sources(user=request.user)
    known = {kind.key for kind in kinds}
    selected = [key for key in request.GET.getlist("kind") if key in known]
    before = TimelineCursor.decode(request.GET.get("before"))
    return {
        "account": account,
        "timeline": account_timeline(user=request.user, account=account, kinds=selected, before=before),
        "timeline_kinds": kinds,
        "selected_kinds": selected,
        # The kinds again in the "Show older" link, so the next page keeps the filter.
        "kind_query": urlencode([("kind", key) for key in selected]),
        "paged": before is not None,
    }


def _page_context(request: HttpRequest, account: Account, *, change_form: AccountServiceModelForm | None = None) -> Any:
    context: dict[str, Any] = {
        "nav": "accounts",
        "overview": account_overview(user=request.user, account=account),
        **_timeline_context(request, account),
        "can_change_model": is_manager(request.user),
        "insight": account_insight_card(user=request.user, account_id=account.pk),
        "relationship": account_card(user=request.user, account_id=account.pk),
        "profile": profile_card(user=request.user, account=account),
        "may_manage": may_manage_account(request.user, account),
        "followups": followups_for_account(user=request.user, account_id=account.pk),
        "latest_response": latest_response(user=request.user, account_id=account.pk),
        "health": account_health(account_id=account.pk) if may_see_health(request.user, account) else None,
        "may_edit_health": is_manager(request.user),
    }
    context["opted_out"] = opted_out_contact_ids(contact_ids=[contact.pk for contact in context["overview"].contacts])
    # A form sent back with its errors is shown open; a fresh one is fetched when its card is opened.
    context["change_form"] = change_form
    return context


@staff_view
def account_page(request: HttpRequest, account_id: int) -> HttpResponse:
    account = access_account(user=request.user, account_id=account_id)
    # htmx asks for the timeline alone: the older entries ("Show older") or the first page of other kinds.
    if htmx_fragment(request) and ("before" in request.GET or request.htmx.target == "timeline"):  # type: ignore[attr-defined]
        return render(request, f"{PAGE}#timeline-page", _timeline_context(request, account))
    return render(request, PAGE, _page_context(request, account))


@require_http_methods(["GET", "POST"])
@staff_view
def account_service_model(request: HttpRequest, account_id: int) -> HttpResponse:
    """Change an account's service model or owner, with a reason: managers and admins only. GET shows the form
    (alone when htmx opens it in the account page's card)."""
    account = access_account(user=request.user, account_id=account_id)
    if not is_manager(request.user):
        raise PermissionDenied
    if request.method == "GET":
        form = AccountServiceModelForm(
            staff=staff_members(),
            initial={"service_model": account.service_model, "owner": account.owner_id, "version": account.version},
        )
        template = f"{SERVICE_MODEL_PAGE}#change-model" if htmx_fragment(request) else SERVICE_MODEL_PAGE
        return render(request, template, {"nav": "accounts", "account": account, "change_form": form})
    form = AccountServiceModelForm(request.POST, staff=staff_members())
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["service_model"] != account.service_model:
                account_change_service_model(
                    account=account,
                    actor=request.user,
                    service_model=data["service_model"],
                    owner=data["owner"],
                    reason=data["reason"],
                    version=data["version"],
                )
            elif data["owner"] != account.owner:
                account_change_owner(
                    account=account,
                    actor=request.user,
                    owner=data["owner"],
                    reason=data["reason"],
                    version=data["version"],
                )
            else:
                raise ApplicationError(_("Choose another service model or owner."), field="service_model")
        except ApplicationError as error:
            visible = {"service_model", "owner", "reason"}
            form.add_error(error.field if error.field in visible else None, error.message)
            status = error.status
        else:
            messages.success(request, _("The account's service model and owner were saved."))
            return redirect(reverse("web:account", args=[account.pk]) + "#timeline-heading")
    return render(request, PAGE, _page_context(request, account, change_form=form), status=status)
