"""The back office reads engagements, commitments, dependencies, cadences, check-ins, interactions and client
profiles; every change goes through the screens and the API, whose services keep due dates, waits and the account's
history in step."""

from django.contrib import admin

from carefront.core.admin import ReadOnlyAdmin
from carefront.relationships.models import (
    Cadence,
    CheckIn,
    ClientGoal,
    ClientProfile,
    ClientService,
    Commitment,
    Dependency,
    Engagement,
    Interaction,
    KeyPerson,
    ProfileField,
)


@admin.register(Engagement)
class EngagementAdmin(ReadOnlyAdmin):
    list_display = ["title", "account", "kind", "owner", "status", "due_at"]
    list_filter = ["kind", "status"]
    raw_id_fields = ["account", "owner"]


@admin.register(Commitment)
class CommitmentAdmin(ReadOnlyAdmin):
    list_display = ["title", "account", "owner", "state", "due_at", "done_at"]
    list_filter = ["state"]
    raw_id_fields = ["account", "owner", "engagement", "milestone", "ticket"]


@admin.register(Dependency)
class DependencyAdmin(ReadOnlyAdmin):
    list_display = ["what", "account", "contact", "state", "due_at", "reminders_sent"]
    list_filter = ["state"]
    raw_id_fields = ["account", "contact", "engagement", "blocks_commitment", "blocks_milestone", "blocks_ticket"]


@admin.register(Cadence)
class CadenceAdmin(ReadOnlyAdmin):
    list_display = ["name", "account", "kind", "rule", "owner", "active"]
    list_filter = ["kind", "active"]
    raw_id_fields = ["account", "owner"]


@admin.register(CheckIn)
class CheckInAdmin(ReadOnlyAdmin):
    list_display = ["cadence", "account", "owner", "scheduled_at", "state"]
    list_filter = ["state"]
    raw_id_fields = ["cadence", "account", "owner"]


@admin.register(Interaction)
class InteractionAdmin(ReadOnlyAdmin):
    list_display = ["account", "kind", "occurred_at", "author"]
    list_filter = ["kind"]
    raw_id_fields = ["account", "author", "check_in", "contacts", "staff"]


@admin.register(ProfileField)
class ProfileFieldAdmin(ReadOnlyAdmin):
    list_display = ["label", "key", "kind", "position", "active"]
    list_filter = ["kind", "active"]


@admin.register(ClientProfile)
class ClientProfileAdmin(ReadOnlyAdmin):
    list_display = ["account", "preferred_channel", "preferred_language", "meeting_days", "updated_at"]
    raw_id_fields = ["account"]


@admin.register(ClientGoal)
class ClientGoalAdmin(ReadOnlyAdmin):
    list_display = ["title", "account", "target_date", "state"]
    list_filter = ["state"]
    raw_id_fields = ["account"]


@admin.register(KeyPerson)
class KeyPersonAdmin(ReadOnlyAdmin):
    list_display = ["contact", "account", "role"]
    list_filter = ["role"]
    raw_id_fields = ["account", "contact"]


@admin.register(ClientService)
class ClientServiceAdmin(ReadOnlyAdmin):
    list_display = ["name", "account", "status", "amount", "currency", "period", "renews_on"]
    list_filter = ["status", "period"]
    raw_id_fields = ["account"]
