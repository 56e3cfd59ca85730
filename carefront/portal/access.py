"""Who may use the portal, and the rows a portal contact may open: their own account's, or 404."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse

from carefront.core.access import is_staff_member, portal_account_id
from carefront.desk.access import access_attachment, access_ticket_by_number
from carefront.desk.models import Attachment, Ticket

View = Callable[..., HttpResponseBase]


def portal_view(view: View) -> View:
    """Sign-in required; staff are sent to the workspace, and anyone who is not a contact gets 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), login_url=reverse("portal:login"))
        if is_staff_member(user):
            return redirect("web:inbox")
        if portal_account_id(user) is None:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def access_portal_ticket(*, user: Any, number: int) -> Ticket:
    """The ticket with this number if it belongs to the contact's account, else 404."""
    if portal_account_id(user) is None:
        raise Http404
    return access_ticket_by_number(user=user, number=number)


def access_portal_attachment(*, user: Any, number: int, message_id: int, attachment_id: int) -> Attachment:
    """An attachment of a public message on one of the account's tickets, else 404."""
    ticket = access_portal_ticket(user=user, number=number)
    return access_attachment(user=user, ticket_id=ticket.pk, message_id=message_id, attachment_id=attachment_id)
