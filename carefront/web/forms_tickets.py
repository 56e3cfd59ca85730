"""Forms of the ticket page: the reply/note editor, one small form per property, the presence poll."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from carefront.core.models import Team
from carefront.desk.models import PresenceState, Priority, Status, Tier
from carefront.desk.services import MAX_BODY_CHARS, NewAttachment

MAX_ATTACHMENTS = 20


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one <input type="file" multiple>."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, (list, tuple)):
            files = [single(item, initial) for item in data if item]
        else:
            files = [single(data, initial)] if data else []
        if len(files) > MAX_ATTACHMENTS:
            raise forms.ValidationError(
                _("Attach at most %(count)d files to one message."), params={"count": MAX_ATTACHMENTS}
            )
        return files


class MessageKind:
    REPLY = "reply"
    NOTE = "note"


# What a reply may set the status to, besides leaving it as the service decides.
REPLY_STATUSES = [Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED]


class TicketMessageForm(forms.Form):
    """The editor under the conversation: a public reply (that may set the status) or an internal note."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(MessageKind.REPLY, _("Public reply")), (MessageKind.NOTE, _("Internal note"))],
        initial=MessageKind.REPLY,
        widget=forms.RadioSelect,
    )
    body = forms.CharField(label=_("Message"), max_length=MAX_BODY_CHARS, widget=forms.Textarea(attrs={"rows": 6}))
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    status = forms.ChoiceField(
        label=_("Then set status"), choices=[("", "")] + [(s.value, s.label) for s in REPLY_STATUSES], required=False
    )
    minutes_spent = forms.IntegerField(label=_("Minutes spent"), min_value=0, max_value=1440, required=False)
    # The macro whose text is in the editor: sending applies its status (unless a button says otherwise) and tags.
    macro = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("kind") == MessageKind.NOTE and cleaned.get("status"):
            self.add_error("status", _("A note does not change the status; send a reply or change the status."))
        return cleaned

    def new_attachments(self) -> list[NewAttachment]:
        return [
            NewAttachment(
                filename=upload.name or "attachment",
                content_type=upload.content_type or "application/octet-stream",
                content=upload,
            )
            for upload in self.cleaned_data.get("attachments") or []
        ]


class StaffChoiceField(forms.ModelChoiceField):
    """A staff member, shown by name."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.get_full_name() or obj.get_username())


TAG_SPLIT = re.compile(r"[,\s]+")


def _tags_field() -> forms.CharField:
    return forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=1000,
        help_text=_("Separate tags with commas or spaces."),
    )


PROPERTY_FIELDS = ("status", "priority", "tier", "assignee", "team", "tags")


def property_form(
    name: str,
    *,
    staff: QuerySet[Any],
    teams: QuerySet[Team],
    data: Any = None,
    initial: Any = None,
) -> forms.Form:
    """A form holding one ticket property, posted on its own when it changes."""
    field: forms.Field
    if name == "status":
        field = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    elif name == "priority":
        field = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    elif name == "tier":
        field = forms.TypedChoiceField(label=_("Tier"), choices=Tier.choices, coerce=int)
    elif name == "assignee":
        field = StaffChoiceField(label=_("Assignee"), queryset=staff, required=False, empty_label=_("Unassigned"))
    elif name == "team":
        field = forms.ModelChoiceField(label=_("Team"), queryset=teams, required=False, empty_label=_("No team"))
    elif name == "tags":
        field = _tags_field()
    else:
        raise KeyError(name)
    form = forms.Form(data=data, initial=initial, auto_id="prop_%s")
    form.fields[name] = field
    return form


def property_value(name: str, form: forms.Form) -> Any:
    """The cleaned value of a valid property form, as `ticket_update` takes it."""
    value = form.cleaned_data[name]
    if name == "tags":
        return [tag for tag in TAG_SPLIT.split(value or "") if tag]
    return value


class PresenceForm(forms.Form):
    state = forms.ChoiceField(choices=PresenceState.choices, required=False)


class EscalateForm(forms.Form):
    """Move a ticket to another tier, saying why (the reason goes to the audit trail and the new team)."""

    tier = forms.TypedChoiceField(
        label=_("Move to"), choices=[(t, label) for t, label in Tier.choices if t != Tier.L0], coerce=int
    )
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class MergeForm(forms.Form):
    target = forms.IntegerField(label=_("Merge into ticket number"), min_value=1)
    reason = forms.CharField(label=_("Reason"), max_length=1000, required=False)


class LinkForm(forms.Form):
    other = forms.IntegerField(label=_("Ticket number"), min_value=1)
    unlink = forms.BooleanField(required=False)


class SplitForm(forms.Form):
    message = forms.IntegerField(min_value=1)
    subject = forms.CharField(label=_("Subject of the new ticket"), max_length=250, required=False)


class DifficultForm(forms.Form):
    reason = forms.CharField(label=_("Why"), max_length=1000, required=False)
    clear = forms.BooleanField(required=False)


class ChecklistForm(forms.Form):
    item = forms.CharField(max_length=32)
    done = forms.BooleanField(required=False)
