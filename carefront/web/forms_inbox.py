"""Forms of the inbox: the filters (GET), bulk actions and saving a view (POST)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from carefront.accounts.models import Channel, ServiceModel
from carefront.core.selectors import staff_members
from carefront.desk.models import Priority, Status, Tier
from carefront.desk.selectors import TicketFilters
from carefront.desk.services import BULK_MAX_TICKETS
from carefront.web.selectors import SORTS, VIEW_KEYS, InboxQuery

MAX_ID = 2**63 - 1
ASSIGNEE_PATTERN = re.compile(r"^(none|me|[1-9][0-9]{0,18})$")
ANY = [("", _("Any"))]


def _assignee_value(value: str) -> str:
    if value and not ASSIGNEE_PATTERN.match(value):
        raise forms.ValidationError(_("Choose someone from the list."))
    if value.isdigit() and int(value) > MAX_ID:
        raise forms.ValidationError(_("Choose someone from the list."))
    return value


class InboxFilterForm(forms.Form):
    """The inbox's filters as GET parameters; invalid ones are reported and ignored, never fatal."""

    view = forms.ChoiceField(choices=[(key, key) for key in VIEW_KEYS], required=False)
    status = forms.MultipleChoiceField(label=_("Status"), choices=Status.choices, required=False)
    priority = forms.ChoiceField(label=_("Priority"), choices=ANY + list(Priority.choices), required=False)
    tier = forms.TypedChoiceField(
        label=_("Tier"),
        choices=ANY + [(str(value), label) for value, label in Tier.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=ANY + list(Channel.choices), required=False)
    team = forms.IntegerField(label=_("Team"), min_value=1, max_value=MAX_ID, required=False)
    assignee = forms.CharField(label=_("Assignee"), max_length=20, required=False)
    tag = forms.CharField(label=_("Tag"), max_length=50, required=False)
    service_model = forms.ChoiceField(
        label=_("Service model"), choices=ANY + list(ServiceModel.choices), required=False
    )
    saved_segment = forms.IntegerField(label=_("Segment"), min_value=1, max_value=MAX_ID, required=False)
    sort = forms.ChoiceField(label=_("Sort"), choices=SORTS, required=False)

    def clean_assignee(self) -> str:
        return _assignee_value(self.cleaned_data.get("assignee") or "")

    def inbox_query(self, *, user: Any) -> InboxQuery:
        """The query from the fields that were valid (call after `is_valid()`)."""
        data = getattr(self, "cleaned_data", {})
        assignee = data.get("assignee") or ""
        statuses = tuple(data.get("status") or ())
        filters = TicketFilters(
            statuses=statuses or None,
            priority=data.get("priority") or None,
            tier=data.get("tier"),
            channel=data.get("channel") or None,
            team=data.get("team"),
            assignee=user.pk if assignee == "me" else (int(assignee) if assignee.isdigit() else None),
            unassigned=assignee == "none",
            tag=(data.get("tag") or "").strip().lower() or None,
            service_model=data.get("service_model") or None,
            saved_segment=data.get("saved_segment"),
        )
        return InboxQuery(view=data.get("view") or "all", filters=filters, sort=data.get("sort") or "newest")


def inbox_query_params(query: InboxQuery) -> QueryDict:
    """The GET parameters that reproduce a query: for links and the save-view form."""
    params = QueryDict(mutable=True)
    if query.view != "all":
        params["view"] = query.view
    filters = query.filters
    for status in filters.statuses or ():
        params.appendlist("status", status)
    for name in ("priority", "tier", "channel", "team", "tag", "service_model", "saved_segment"):
        value = getattr(filters, name)
        if value is not None and value != "":
            params[name] = str(value)
    if filters.unassigned:
        params["assignee"] = "none"
    elif filters.assignee is not None:
        params["assignee"] = str(filters.assignee)
    if query.sort != "newest":
        params["sort"] = query.sort
    return params


class TicketIdsField(forms.Field):
    """The ticket ids of the ticked rows (repeated `ticket` parameters)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        values = value if isinstance(value, list | tuple) else ([value] if value else [])
        ids: list[int] = []
        for item in values:
            text = str(item).strip()
            if not text.isdigit() or not 0 < int(text) <= MAX_ID:
                raise forms.ValidationError(_("Not a ticket."))
            ids.append(int(text))
        if len(ids) > BULK_MAX_TICKETS:
            raise forms.ValidationError(
                _("Select at most %(limit)s tickets at a time."), params={"limit": BULK_MAX_TICKETS}
            )
        return ids


class InboxBulkForm(forms.Form):
    """One change for the ticked tickets: assign, set a status, or add a tag."""

    ACTIONS = [("assign", _("Assign")), ("status", _("Set status")), ("tag", _("Add tag"))]

    ticket = TicketIdsField(label=_("Tickets"), required=False)
    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS)
    assignee = forms.CharField(label=_("Assign to"), max_length=20, required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[(value, label) for value, label in Status.choices if value != Status.NEW],
        required=False,
    )
    tag = forms.CharField(label=_("Tag"), max_length=50, required=False)
    next = forms.CharField(max_length=4000, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        if action == "assign":
            assignee = _assignee_value(data.get("assignee") or "")
            if not assignee:
                self.add_error("assignee", _("Choose whom to assign the tickets to."))
            elif assignee == "none":
                data["assignee_user"] = None
            else:
                user_id = self.user.pk if assignee == "me" else int(assignee)
                user = staff_members().filter(pk=user_id).first()
                if user is None:
                    self.add_error("assignee", _("Choose someone from the list."))
                data["assignee_user"] = user
        elif action == "status" and not data.get("status"):
            self.add_error("status", _("Choose a status."))
        elif action == "tag" and not (data.get("tag") or "").strip():
            self.add_error("tag", _("Enter a tag to add."))
        return data

    def changes(self) -> dict[str, Any]:
        """What `tickets_bulk_update` applies (call after `is_valid()`)."""
        data = self.cleaned_data
        if data["action"] == "assign":
            return {"assignee": data["assignee_user"]}
        if data["action"] == "status":
            return {"status": data["status"]}
        return {"add_tags": [data["tag"]]}


class SavedViewForm(forms.Form):
    """Save the current filter set under a name; `query` carries the inbox's GET parameters."""

    name = forms.CharField(label=_("Name"), max_length=80)
    query = forms.CharField(max_length=4000, required=False)

    def inbox_query(self, *, user: Any) -> InboxQuery:
        filters = InboxFilterForm(QueryDict(self.cleaned_data.get("query") or ""))
        filters.is_valid()
        return filters.inbox_query(user=user)
