from typing import Any

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext as _

from carefront.accounts.models import Account, Contact, Order, OrderItem
from carefront.accounts.services import account_create, account_update
from carefront.core.admin import ServiceErrorsAdmin

ACCOUNT_EDITABLE = [
    "name",
    "kind",
    "service_model",
    "lifecycle_stage",
    "owner",
    "locale",
    "time_zone",
    "country",
    "segment",
    "served_for",
    "external_id",
    "custom_fields",
]


class ContactInline(admin.TabularInline):
    model = Contact
    fields = ["name", "email", "phone", "language", "preferred_channel"]
    extra = 0
    show_change_link = True


@admin.register(Account)
class AccountAdmin(ServiceErrorsAdmin):
    """Edits go through the account services, so the admin is audited like the API."""

    list_display = ["name", "kind", "service_model", "lifecycle_stage", "owner", "country", "segment"]
    list_filter = ["service_model", "lifecycle_stage", "kind"]
    search_fields = ["name", "external_id"]
    raw_id_fields = ["owner", "served_for"]
    fields = tuple(ACCOUNT_EDITABLE)
    inlines = [ContactInline]
    show_full_result_count = False

    def save_model(self, request: HttpRequest, obj: Account, form: ModelForm[Account], change: bool) -> None:
        values = {field: form.cleaned_data[field] for field in ACCOUNT_EDITABLE if field in form.cleaned_data}
        if change:
            changed = {field: values[field] for field in form.changed_data if field in values}
            saved = account_update(account=obj, actor=request.user, reason=_("changed in the back office"), **changed)
        else:
            saved = account_create(actor=request.user, **values)
        obj.pk = saved.pk
        obj.refresh_from_db()


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["external_id", "account", "placed_at", "amount", "currency"]
    search_fields = ["external_id"]
    raw_id_fields = ["account"]
    inlines = [OrderItemInline]
    show_full_result_count = False


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "phone", "account", "language"]
    search_fields = ["name", "email", "phone"]
    raw_id_fields = ["account", "user"]
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["version", "created_at", "updated_at"]
