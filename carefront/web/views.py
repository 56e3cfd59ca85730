"""The staff workspace's pages: each parses the request, checks access, and calls selectors and services."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from carefront.core.access import is_staff_member
from carefront.desk.selectors import TicketFilters, tickets_list

PAGE_SIZE = 50


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


def staff_required(request: HttpRequest) -> None:
    """Only staff use the workspace; contacts have the portal."""
    if not is_staff_member(request.user):
        raise PermissionDenied


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    staff_required(request)
    tickets = list(tickets_list(user=request.user, filters=TicketFilters()).order_by("-id")[:PAGE_SIZE])
    return render(request, "web/inbox.html", {"tickets": tickets, "nav": "inbox"})
