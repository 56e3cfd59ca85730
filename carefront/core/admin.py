from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from carefront.core.exceptions import ApplicationError
from carefront.core.models import Event, Notification, StaffProfile, Tag, Team


class ServiceErrorsAdmin(admin.ModelAdmin):
    """Admin whose saves go through services: a refused change is shown as an error, nothing is saved."""

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(request.get_full_path())


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "description"]
    search_fields = ["name"]


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "time_zone"]
    list_filter = ["role", "teams"]
    search_fields = ["user__username", "user__email"]
    raw_id_fields = ["user"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Admin that only reads: the rows are written by services (or, for the audit trail, never changed)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    """The audit trail is read-only, here as everywhere."""

    list_display = ["occurred_at", "subject_kind", "subject_id", "action", "field", "actor_label"]
    list_filter = ["subject_kind", "action"]
    show_full_result_count = False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "verb", "text", "read_at"]
    raw_id_fields = ["recipient", "ticket"]
    show_full_result_count = False
