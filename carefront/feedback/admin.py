"""The back office reads surveys, campaigns, invitations and responses; every change goes through Settings →
Surveys and the API, whose services keep the one active CSAT survey, the campaigns' next sending and the audit
trail in step."""

from django.contrib import admin

from carefront.core.admin import ReadOnlyAdmin
from carefront.feedback.models import Campaign, Invitation, Response, Survey


@admin.register(Survey)
class SurveyAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "is_active", "updated_at"]
    list_filter = ["kind", "is_active"]


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ["name", "survey", "trigger", "rule", "order_count", "next_run_at", "is_active"]
    list_filter = ["trigger", "is_active"]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ["key", "kind", "account", "contact", "state", "skip_reason", "sent_at", "answered_at"]
    list_filter = ["kind", "state", "skip_reason"]
    raw_id_fields = ["account", "contact", "ticket", "order", "agent", "advisor", "outbound"]


@admin.register(Response)
class ResponseAdmin(ReadOnlyAdmin):
    list_display = ["kind", "score", "account", "contact", "agent", "created_at", "submitted_at"]
    list_filter = ["kind"]
    raw_id_fields = ["invitation", "account", "contact", "ticket", "agent", "advisor"]
