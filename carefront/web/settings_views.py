"""Workspace settings: teams, staff and roles, tags and API tokens for admins; everyone's own preferences.

Each view parses its input, fetches rows through the access helpers, calls one service or selector
and renders. Refusals from the services come back as ApplicationError and are shown on the form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from carefront.api.selectors import tokens_list
from carefront.api.services import token_create, token_owner_resolve, token_revoke
from carefront.core.access import access_staff_member, access_tag, access_team
from carefront.core.exceptions import ApplicationError
from carefront.core.selectors import (
    settings_overview,
    staff_all,
    staff_history,
    staff_list,
    tags_with_usage,
    team_member_ids,
    teams_with_member_counts,
)
from carefront.core.services import (
    staff_deactivate,
    staff_invite,
    staff_reactivate,
    staff_update,
    tag_delete,
    tag_rename,
    team_create,
    team_set_members,
    team_update,
)
from carefront.desk.routing_services import staff_away_set
from carefront.web.access import admin_view, staff_view
from carefront.web.forms_settings import (
    MyPreferencesForm,
    StaffCreateForm,
    StaffUpdateForm,
    TagRenameForm,
    TeamForm,
    TeamMembersForm,
    TokenCreateForm,
    form_error,
)
from carefront.web.htmx import htmx_fragment

PAGE_SIZE = 50


def _page(rows: Any, key: Callable[[Any], Any]) -> tuple[list[Any], Any]:
    """One page of a keyset-ordered queryset and the key the next page starts after (None on the last page)."""
    found = list(rows[: PAGE_SIZE + 1])
    more = len(found) > PAGE_SIZE
    found = found[:PAGE_SIZE]
    return found, key(found[-1]) if more and found else None


def _render(request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    return render(request, template, {"nav": "settings", **context}, status=status)


def _status(form: Any) -> int:
    return 400 if form.is_bound and form.errors else 200


def _secret(response: HttpResponse) -> HttpResponse:
    """A page showing a password or token once: never kept by a browser or proxy cache."""
    add_never_cache_headers(response)
    response.headers["Cache-Control"] += ", no-store"
    return response


@admin_view
def settings_index(request: HttpRequest) -> HttpResponse:
    return _render(request, "web/settings/index.html", {"section": "index", "overview": settings_overview()})


# Teams


@admin_view
def teams(request: HttpRequest) -> HttpResponse:
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team = team_create(
                name=form.cleaned_data["name"], description=form.cleaned_data["description"], actor=request.user
            )
        except ApplicationError as error:
            form_error(form, error)
        else:
            messages.success(request, _("Team “{name}” created.").format(name=team.name))
            return redirect("web:settings-team", team_id=team.pk)
    rows, next_after = _page(teams_with_member_counts(after=request.GET.get("after")), lambda team: team.name)
    return _render(
        request,
        "web/settings/teams.html",
        {"section": "teams", "teams": rows, "next_after": next_after, "form": form},
        status=_status(form),
    )


def _team_page(
    request: HttpRequest, team: Any, *, details: TeamForm | None = None, members: TeamMembersForm | None = None
) -> HttpResponse:
    details = details or TeamForm(initial={"name": team.name, "description": team.description})
    members = members or TeamMembersForm(initial={"members": team_member_ids(team=team)}, staff=staff_all())
    return _render(
        request,
        "web/settings/team.html",
        {"section": "teams", "team": team, "details": details, "members": members},
        status=max(_status(details), _status(members)),
    )


@admin_view
def team(request: HttpRequest, team_id: int) -> HttpResponse:
    team = access_team(user=request.user, team_id=team_id)
    if request.method != "POST":
        return _team_page(request, team)
    form = TeamForm(request.POST)
    if form.is_valid():
        try:
            team = team_update(
                team=team,
                actor=request.user,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
            )
        except ApplicationError as error:
            form_error(form, error)
        else:
            messages.success(request, _("Team “{name}” saved.").format(name=team.name))
            return redirect("web:settings-team", team_id=team.pk)
    return _team_page(request, team, details=form)


@admin_view
@require_POST
def team_members(request: HttpRequest, team_id: int) -> HttpResponse:
    team = access_team(user=request.user, team_id=team_id)
    form = TeamMembersForm(request.POST, staff=staff_all())
    if form.is_valid():
        try:
            team_set_members(team=team, members=form.cleaned_data["members"], actor=request.user)
        except ApplicationError as error:
            form_error(form, error)
        else:
            messages.success(request, _("Members of “{name}” saved.").format(name=team.name))
            return redirect("web:settings-team", team_id=team.pk)
    return _team_page(request, team, members=form)


# Staff and roles


@admin_view
def staff(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    role = request.GET.get("role", "")
    rows, next_after = _page(
        staff_list(query=query, role=role, after=request.GET.get("after")), lambda user: user.get_username()
    )
    context = {"section": "staff", "members": rows, "next_after": next_after, "query": query, "role": role}
    template = "web/settings/staff.html#staff-results" if htmx_fragment(request) else "web/settings/staff.html"
    return _render(request, template, context)


@admin_view
def staff_new(request: HttpRequest) -> HttpResponse:
    form = StaffCreateForm(request.POST or None, initial={"role": "agent", "time_zone": "UTC", "language": "en"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invite = staff_invite(
                actor=request.user,
                username=data["username"],
                email=data["email"],
                role=data["role"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                teams=data["teams"],
                time_zone=data["time_zone"],
                language=data["language"],
                password=data["password"] or None,
            )
        except ApplicationError as error:
            form_error(form, error)
        else:
            response = _render(request, "web/settings/staff_created.html", {"section": "staff", "invite": invite})
            return _secret(response)
    return _render(request, "web/settings/staff_new.html", {"section": "staff", "form": form}, status=_status(form))


def _staff_page(
    request: HttpRequest,
    member: Any,
    *,
    form: StaffUpdateForm | None = None,
    error: ApplicationError | None = None,
) -> HttpResponse:
    profile = member.staff_profile
    form = form or StaffUpdateForm(
        initial={
            "role": profile.role,
            "teams": list(profile.teams.all()),
            "time_zone": profile.time_zone,
            "language": profile.language,
        }
    )
    status = error.status if error is not None else _status(form)
    return _render(
        request,
        "web/settings/staff_edit.html",
        {
            "section": "staff",
            "member": member,
            "form": form,
            "error": error,
            "history": staff_history(user=member),
            "is_self": member.pk == request.user.pk,
        },
        status=status,
    )


@admin_view
def staff_edit(request: HttpRequest, staff_id: int) -> HttpResponse:
    member = access_staff_member(user=request.user, staff_id=staff_id)
    if request.method != "POST":
        return _staff_page(request, member)
    form = StaffUpdateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            staff_update(
                user=member,
                actor=request.user,
                role=data["role"],
                teams=data["teams"],
                time_zone=data["time_zone"],
                language=data["language"],
            )
        except ApplicationError as error:
            form_error(form, error)
        else:
            messages.success(request, _("{user} saved.").format(user=member.get_username()))
            return redirect("web:settings-staff-edit", staff_id=member.pk)
    return _staff_page(request, member, form=form)


def _staff_activation(request: HttpRequest, staff_id: int, service: Callable[..., Any], done: str) -> HttpResponse:
    member = access_staff_member(user=request.user, staff_id=staff_id)
    try:
        service(user=member, actor=request.user)
    except ApplicationError as error:
        return _staff_page(request, member, error=error)
    messages.success(request, done.format(user=member.get_username()))
    return redirect("web:settings-staff-edit", staff_id=member.pk)


@admin_view
@require_POST
def staff_deactivate_view(request: HttpRequest, staff_id: int) -> HttpResponse:
    return _staff_activation(
        request, staff_id, staff_deactivate, _("{user} was deactivated and can no longer sign in.")
    )


@admin_view
@require_POST
def staff_reactivate_view(request: HttpRequest, staff_id: int) -> HttpResponse:
    return _staff_activation(request, staff_id, staff_reactivate, _("{user} was reactivated."))


@staff_view
def me(request: HttpRequest) -> HttpResponse:
    """Every staff member's own time zone and language, and whether they are away."""
    profile = request.user.staff_profile  # type: ignore[union-attr]
    initial = {"time_zone": profile.time_zone, "language": profile.language, "away": profile.away}
    form = MyPreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                profile = staff_update(
                    user=request.user,
                    actor=request.user,
                    time_zone=form.cleaned_data["time_zone"],
                    language=form.cleaned_data["language"],
                )
                profile = staff_away_set(actor=request.user, user=request.user, away=form.cleaned_data["away"])
        except ApplicationError as error:
            form_error(form, error)
        else:
            with translation.override(profile.language):
                messages.success(request, _("Your preferences were saved."))
            return redirect("web:settings-me")
    return _render(request, "web/settings/me.html", {"section": "me", "form": form}, status=_status(form))


# Tags


@admin_view
def tags(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:50]
    rows, next_after = _page(tags_with_usage(query=query, after=request.GET.get("after")), lambda tag: tag.name)
    context = {"section": "tags", "tags": rows, "next_after": next_after, "query": query}
    template = "web/settings/tags.html#tag-results" if htmx_fragment(request) else "web/settings/tags.html"
    return _render(request, template, context)


def _tag_page(request: HttpRequest, tag: Any, *, form: TagRenameForm | None = None) -> HttpResponse:
    usage = tags_with_usage().filter(pk=tag.pk).first()
    form = form or TagRenameForm(initial={"name": tag.name})
    return _render(
        request, "web/settings/tag.html", {"section": "tags", "tag": usage, "form": form}, status=_status(form)
    )


@admin_view
def tag(request: HttpRequest, tag_id: int) -> HttpResponse:
    return _tag_page(request, access_tag(user=request.user, tag_id=tag_id))


@admin_view
@require_POST
def tag_rename_view(request: HttpRequest, tag_id: int) -> HttpResponse:
    tag = access_tag(user=request.user, tag_id=tag_id)
    old_name = tag.name
    form = TagRenameForm(request.POST)
    if form.is_valid():
        try:
            result = tag_rename(tag=tag, name=form.cleaned_data["name"], actor=request.user)
        except ApplicationError as error:
            form_error(form, error)
        else:
            template = (
                ngettext(
                    "Merged “{old}” into “{new}” on {count} ticket or account.",
                    "Merged “{old}” into “{new}” on {count} tickets and accounts.",
                    result.affected,
                )
                if result.merged
                else ngettext(
                    "Renamed “{old}” to “{new}” on {count} ticket or account.",
                    "Renamed “{old}” to “{new}” on {count} tickets and accounts.",
                    result.affected,
                )
            )
            messages.success(request, template.format(old=old_name, new=result.tag.name, count=result.affected))
            return redirect("web:settings-tags")
    return _tag_page(request, tag, form=form)


@admin_view
@require_POST
def tag_delete_view(request: HttpRequest, tag_id: int) -> HttpResponse:
    tag = access_tag(user=request.user, tag_id=tag_id)
    name = tag.name
    affected = tag_delete(tag=tag, actor=request.user)
    messages.success(
        request,
        ngettext(
            "Deleted “{name}”; it was removed from {count} ticket or account.",
            "Deleted “{name}”; it was removed from {count} tickets and accounts.",
            affected,
        ).format(name=name, count=affected),
    )
    return redirect("web:settings-tags")


# API tokens


def _before(request: HttpRequest) -> int | None:
    raw = request.GET.get("before", "")
    return int(raw) if raw.isdigit() else None


@admin_view
def tokens(request: HttpRequest) -> HttpResponse:
    form = TokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            # One step for the admin: a contact named by email gets portal access only if the token is made.
            with transaction.atomic():
                owner = token_owner_resolve(who=form.cleaned_data["user"], actor=request.user)
                token, plain = token_create(user=owner, name=form.cleaned_data["name"])
        except ApplicationError as error:
            form.add_error("user", error.message)
        else:
            response = _render(
                request, "web/settings/token_created.html", {"section": "tokens", "token": token, "plain": plain}
            )
            return _secret(response)
    listing = tokens_list().order_by("-pk")
    before = _before(request)
    if before is not None:
        listing = listing.filter(pk__lt=before)
    rows, next_before = _page(listing, lambda token: token.pk)
    return _render(
        request,
        "web/settings/tokens.html",
        {"section": "tokens", "tokens": rows, "next_before": next_before, "form": form},
        status=_status(form),
    )


@admin_view
@require_POST
def token_revoke_view(request: HttpRequest, prefix: str) -> HttpResponse:
    try:
        token = token_revoke(prefix=prefix)
    except ApplicationError as error:
        raise Http404(error.message) from error
    messages.success(
        request,
        _("Token {prefix} of {user} was revoked.").format(prefix=token.prefix, user=token.user.get_username()),
    )
    return redirect(reverse("web:settings-tokens"))
