"""Screens that shape the insights: saved segments (every staff member reads; managers and admins write) and
Settings → Insights (managers and admins). Each view parses, checks access, calls one service, renders."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from carefront.core.access import is_manager
from carefront.core.exceptions import ApplicationError
from carefront.insights.forms import InsightSettingsForm, SegmentForm
from carefront.insights.selectors import access_segment, segment_rows
from carefront.insights.services import (
    insight_settings,
    insight_settings_update,
    segment_create,
    segment_delete,
    segment_update,
)
from carefront.web.access import manager_view, staff_view


def _status(form: Any) -> int:
    return 400 if form is not None and form.is_bound and form.errors else 200


def _require_manager(request: HttpRequest) -> None:
    if not is_manager(request.user):
        raise PermissionDenied


@staff_view
@require_http_methods(["GET", "POST"])
def segments_view(request: HttpRequest) -> HttpResponse:
    """The saved segments with their conditions in words, and for managers the form to save a new one."""
    may_write = is_manager(request.user)
    if request.method == "POST" and not may_write:
        raise PermissionDenied
    form = SegmentForm(request.POST or None) if may_write else None
    if form is not None and request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            segment = segment_create(
                actor=request.user, name=data["name"], description=data["description"], conditions=form.conditions()
            )
        except ApplicationError as error:
            form.show_error(error)
        else:
            messages.success(request, _("Segment “{name}” saved.").format(name=segment.name))
            return redirect("web:insights-segments")
    context = {"nav": "insights", "segments": segment_rows(user=request.user), "form": form, "may_write": may_write}
    return render(request, "insights/segments.html", context, status=_status(form))


@staff_view
@require_http_methods(["GET", "POST"])
def segment_view(request: HttpRequest, segment_id: int) -> HttpResponse:
    """Change a saved segment (managers and admins)."""
    segment = access_segment(user=request.user, segment_id=segment_id)
    _require_manager(request)
    form = SegmentForm(request.POST or None, initial=SegmentForm.initial_for(segment))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            segment_update(
                segment=segment,
                actor=request.user,
                name=data["name"],
                description=data["description"],
                conditions=form.conditions(),
            )
        except ApplicationError as error:
            form.show_error(error)
        else:
            messages.success(request, _("Segment “{name}” saved.").format(name=data["name"]))
            return redirect("web:insights-segments")
    context = {"nav": "insights", "segment": segment, "form": form}
    return render(request, "insights/segment.html", context, status=_status(form))


@staff_view
@require_POST
def segment_delete_view(request: HttpRequest, segment_id: int) -> HttpResponse:
    segment = access_segment(user=request.user, segment_id=segment_id)
    _require_manager(request)
    name = segment.name
    segment_delete(segment=segment, actor=request.user)
    messages.success(request, _("Segment “{name}” deleted.").format(name=name))
    return redirect("web:insights-segments")


@manager_view
@require_http_methods(["GET", "POST"])
def settings_view(request: HttpRequest) -> HttpResponse:
    """How the models and the advisor work: time unit, horizon, value, and every threshold of the advisor."""
    row = insight_settings()
    form = InsightSettingsForm(request.POST or None, initial=InsightSettingsForm.initial_for(row))
    if request.method == "POST" and form.is_valid():
        try:
            insight_settings_update(actor=request.user, **form.changes())
        except ApplicationError as error:
            # The update is one transaction: a refused value leaves every stored setting as it was.
            form.show_error(error)
        else:
            messages.success(request, _("Insight settings saved; they apply from the next refresh."))
            return redirect("web:settings-insights")
    context = {"nav": "settings", "section": "insights", "form": form, "row": row}
    return render(request, "insights/settings.html", context, status=_status(form))
