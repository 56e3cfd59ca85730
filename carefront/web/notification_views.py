"""The bell: a staff member's notifications (assignments, requester replies, SLA warnings and breaches)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from carefront.core.selectors import notifications_page, notifications_unread_count
from carefront.core.services import notifications_mark_read
from carefront.web.access import staff_view

PAGE_SIZE = 50


@staff_view
def notifications(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("before", "")
    before = int(raw) if raw.isdigit() and len(raw) <= 18 else None
    rows = notifications_page(user=request.user, before=before, size=PAGE_SIZE + 1)
    return render(
        request,
        "web/notifications.html",
        {
            "nav": "notifications",
            "notifications": rows[:PAGE_SIZE],
            "next_before": rows[PAGE_SIZE - 1].pk if len(rows) > PAGE_SIZE else None,
        },
    )


@staff_view
def notifications_bell(request: HttpRequest) -> HttpResponse:
    """The bell's unread count, fetched after the page loads (and every minute) so no page waits for it."""
    return render(request, "web/notifications_bell.html", {"unread": notifications_unread_count(user=request.user)})


@require_POST
@staff_view
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification read and follow it to its ticket, or mark them all read."""
    raw = request.POST.get("notification", "")
    if raw.isdigit() and len(raw) <= 18:
        notifications_mark_read(user=request.user, notification_ids=[int(raw)])
    else:
        notifications_mark_read(user=request.user)
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(target)
    return redirect(reverse("web:notifications"))
