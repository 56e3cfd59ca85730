"""Who may use the workspace: staff only (contacts have the portal), admins for settings."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from carefront.core.access import is_manager, is_staff_member, staff_role
from carefront.core.models import Role
from carefront.web.models import SavedView

View = Callable[..., HttpResponse]


def staff_view(view: View) -> View:
    """Sign-in required; then 403 for anyone who is not active staff."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_staff_member(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def manager_view(view: View) -> View:
    """Sign-in required; then 403 for anyone who is not a manager or an admin."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_manager(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def admin_view(view: View) -> View:
    """Sign-in required; then 403 for anyone who is not an admin."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if staff_role(request.user) != Role.ADMIN:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def access_saved_view(*, user: Any, saved_view_id: int) -> SavedView:
    """One of the user's own saved inbox views, or 404: nobody sees another person's views."""
    saved_view = SavedView.objects.filter(pk=saved_view_id, owner_id=user.pk).first()
    if saved_view is None:
        raise Http404
    return saved_view
