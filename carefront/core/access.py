"""Who is who: staff roles and portal contacts, as the API and views need to know them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.http import Http404
from django.utils.translation import gettext as _

from carefront.core.exceptions import ApplicationError
from carefront.core.models import Role, Tag, Team


def staff_role(user: Any) -> str | None:
    """The user's staff role, or None for anonymous users, contacts and inactive staff."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    profile = getattr(user, "staff_profile", None)
    return profile.role if profile is not None else None


def is_staff_member(user: Any) -> bool:
    return staff_role(user) is not None


def is_manager(user: Any) -> bool:
    return staff_role(user) in {Role.ADMIN, Role.MANAGER}


def portal_account_id(user: Any) -> int | None:
    """The account a portal user belongs to, or None for staff and strangers."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if staff_role(user) is not None:
        return None
    contact = getattr(user, "contact", None)
    return contact.account_id if contact is not None else None


def require_staff(user: Any) -> None:
    if not is_staff_member(user):
        raise ApplicationError(_("Only staff may do this."), status=403)


def require_manager(user: Any) -> None:
    if not is_manager(user):
        raise ApplicationError(_("Only managers and admins may do this."), status=403)


def require_admin(user: Any) -> None:
    if staff_role(user) != Role.ADMIN:
        raise ApplicationError(_("Only admins may do this."), status=403)


# Rows that only admins manage in the workspace settings: anything else gets a 404, as for tickets.


def access_team(*, user: Any, team_id: int) -> Team:
    team = Team.objects.filter(pk=team_id).first() if staff_role(user) == Role.ADMIN else None
    if team is None:
        raise Http404
    return team


def access_staff_member(*, user: Any, staff_id: int) -> Any:
    """A staff user (active or not) with their profile, for an admin."""
    member = None
    if staff_role(user) == Role.ADMIN:
        member = (
            get_user_model()
            .objects.filter(pk=staff_id, staff_profile__isnull=False)
            .select_related("staff_profile")
            .first()
        )
    if member is None:
        raise Http404
    return member


def access_tag(*, user: Any, tag_id: int) -> Tag:
    tag = Tag.objects.filter(pk=tag_id).first() if staff_role(user) == Role.ADMIN else None
    if tag is None:
        raise Http404
    return tag
