from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from carefront.core.admin import ServiceErrorsAdmin
from carefront.desk.models import Attachment, Message, Ticket
from carefront.desk.services import ticket_update

TICKET_EDITABLE = ["subject", "status", "priority", "tier", "assignee", "team"]


class MessageInline(admin.StackedInline):
    model = Message
    fields = ("visibility", "author_user", "author_contact", "channel", "body_text", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Ticket)
class TicketAdmin(ServiceErrorsAdmin):
    """Changes go through the desk services, so they are validated and audited."""

    list_display = [
        "number",
        "subject",
        "status",
        "priority",
        "tier",
        "channel",
        "account",
        "service_model",
        "assignee",
    ]
    list_filter = ["status", "priority", "tier", "channel", "account__service_model"]
    search_fields = ["=number", "subject"]
    raw_id_fields = ["account", "requester", "assignee", "team", "follow_up_of"]
    list_select_related = ["account", "assignee"]
    readonly_fields = (
        "number",
        "account",
        "service_model",
        "requester",
        "channel",
        "first_responded_at",
        "solved_at",
        "closed_at",
    )
    fields = (*TICKET_EDITABLE, *readonly_fields)
    inlines = [MessageInline]
    show_full_result_count = False

    @admin.display(description=_("service model"), ordering="account__service_model")
    def service_model(self, ticket: Ticket) -> str:
        return ticket.account.get_service_model_display()

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A ticket needs a first message from its requester: create it through the API or the portal.
        return False

    def save_model(self, request: HttpRequest, obj: Ticket, form: ModelForm[Ticket], change: bool) -> None:
        changed = {field: form.cleaned_data[field] for field in form.changed_data if field in TICKET_EDITABLE}
        ticket_update(ticket=obj, actor=request.user, **changed)
        obj.refresh_from_db()


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["filename", "content_type", "size", "message"]
    raw_id_fields = ["message"]
