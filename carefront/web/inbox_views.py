"""The inbox: the ticket queues agents work from, with filters, bulk actions and personal saved views.

Paging is by keyset: `?after=<cursor>` is the page that follows the row the cursor names in the current
sort order, `?before=<cursor>` the page that precedes it. A cursor is the row's sort key and id.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from carefront.accounts.models import Channel, ServiceModel
from carefront.core.exceptions import ApplicationError
from carefront.desk.models import Priority, Status, Tier
from carefront.desk.services import tickets_bulk_update
from carefront.insights.selectors import segments_list
from carefront.web.access import access_saved_view, staff_view
from carefront.web.forms_inbox import InboxBulkForm, InboxFilterForm, SavedViewForm, inbox_query_params
from carefront.web.selectors import SORTS, InboxQuery, inbox_screen, inbox_sidebar, inbox_teams
from carefront.web.services import saved_view_create, saved_view_delete

MAX_ID = 2**63 - 1


def _positive_id(raw: str | None) -> int | None:
    if raw and raw.isdigit() and 0 < int(raw) <= MAX_ID:
        return int(raw)
    return None


def _inbox_url(params: QueryDict | str = "") -> str:
    query = params.urlencode() if isinstance(params, QueryDict) else QueryDict(params).urlencode()
    return reverse("web:inbox") + (f"?{query}" if query else "")


def _partial(request: HttpRequest) -> bool:
    """An htmx request that swaps part of the page (not htmx restoring a whole page from history)."""
    htmx: Any = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


@staff_view
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    saved_view = None
    form = InboxFilterForm(request.GET)
    saved_id = _positive_id(request.GET.get("saved"))
    if saved_id is not None:
        saved_view = access_saved_view(user=request.user, saved_view_id=saved_id)
        query = InboxQuery.from_json(saved_view.query)
    else:
        form.is_valid()
        query = form.inbox_query(user=request.user)
    screen = inbox_screen(
        user=request.user,
        query=query,
        saved_view=saved_view,
        after=request.GET.get("after"),
        before=request.GET.get("before"),
    )
    filters = query.filters
    context = {
        "nav": "inbox",
        "screen": screen,
        "sidebar": screen.sidebar,
        "query": query,
        "form_errors": [] if saved_view else [error for errors in form.errors.values() for error in errors],
        "query_params": inbox_query_params(query).urlencode(),
        "selected": {
            "statuses": set(filters.statuses or ()),
            "priority": filters.priority or "",
            "tier": "" if filters.tier is None else str(filters.tier),
            "channel": filters.channel or "",
            "team": "" if filters.team is None else str(filters.team),
            "assignee": "none" if filters.unassigned else ("" if filters.assignee is None else str(filters.assignee)),
            "tag": filters.tag or "",
            "service_model": filters.service_model or "",
            "saved_segment": "" if filters.saved_segment is None else str(filters.saved_segment),
        },
        "segments": list(segments_list(user=request.user)),
        "choices": {
            "statuses": Status.choices,
            "settable_statuses": [(value, label) for value, label in Status.choices if value != Status.NEW],
            "priorities": Priority.choices,
            "tiers": [(str(value), label) for value, label in Tier.choices],
            "channels": Channel.choices,
            "service_models": ServiceModel.choices,
            "sorts": SORTS,
        },
        "partial": _partial(request),
    }
    template = "web/inbox.html#results" if context["partial"] else "web/inbox.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@staff_view
@require_GET
def inbox_sidebar_view(request: HttpRequest) -> HttpResponse:
    """The saved views with fresh counts: the sidebar polls this."""
    sidebar = inbox_sidebar(
        user=request.user, teams=inbox_teams(user=request.user), active_key=request.GET.get("active", "")
    )
    response = render(request, "web/inbox.html#sidebar", {"sidebar": sidebar})
    patch_vary_headers(response, ["HX-Request"])
    return response


@staff_view
@require_POST
def inbox_bulk(request: HttpRequest) -> HttpResponse:
    """Apply one change to the ticked tickets, then show the same list again with what happened."""
    form = InboxBulkForm(request.POST, user=request.user)
    back = _inbox_url(request.POST.get("next", "")[:4000])
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return HttpResponseRedirect(back, status=303)
    try:
        updated, refused = tickets_bulk_update(
            ticket_ids=form.cleaned_data["ticket"], actor=request.user, changes=form.changes()
        )
    except ApplicationError as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(back, status=303)
    if updated:
        messages.success(
            request,
            ngettext("{count} ticket updated.", "{count} tickets updated.", len(updated)).format(count=len(updated)),
        )
    for refusal in refused:
        if refusal.number is None:
            messages.error(request, _("Ticket id {id}: {reason}").format(id=refusal.ticket_id, reason=refusal.reason))
        else:
            messages.error(request, _("#{number}: {reason}").format(number=refusal.number, reason=refusal.reason))
    return HttpResponseRedirect(back, status=303)


@staff_view
@require_POST
def saved_view_create_view(request: HttpRequest) -> HttpResponse:
    form = SavedViewForm(request.POST)
    back = _inbox_url(request.POST.get("query", "")[:4000])
    if not form.is_valid():
        messages.error(request, _("Give the view a name of at most 80 characters."))
        return HttpResponseRedirect(back, status=303)
    try:
        saved = saved_view_create(
            actor=request.user, name=form.cleaned_data["name"], query=form.inbox_query(user=request.user)
        )
    except ApplicationError as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(back, status=303)
    messages.success(request, _("Saved the view “{name}”.").format(name=saved.name))
    return HttpResponseRedirect(_inbox_url(f"saved={saved.pk}"), status=303)


@staff_view
@require_POST
def saved_view_delete_view(request: HttpRequest, saved_view_id: int) -> HttpResponse:
    saved = access_saved_view(user=request.user, saved_view_id=saved_view_id)
    name = saved.name
    saved_view_delete(actor=request.user, saved_view=saved)
    messages.success(request, _("Deleted the view “{name}”.").format(name=name))
    return HttpResponseRedirect(_inbox_url(), status=303)
