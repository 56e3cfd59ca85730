"""Forms of the relationships screens. They parse what a person typed; the services check it again and own every
rule, so a refusal (ApplicationError) comes back onto the field it names through `form_error`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from carefront.relationships.models import (
    Commitment,
    CommitmentState,
    DependencyState,
    EngagementKind,
    EngagementStatus,
    Milestone,
)
from carefront.relationships.selectors import Filters, due_cursor_decode
from carefront.web.forms_tickets import StaffChoiceField


class MomentField(forms.DateTimeField):
    """A date and time typed in the viewer's time zone (the middleware activates it), stored in UTC."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class EngagementForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=EngagementKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    scope = forms.CharField(label=_("Scope"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    owner = StaffChoiceField(label=_("Owner"), queryset=None)
    status = forms.ChoiceField(label=_("Status"), choices=EngagementStatus.choices, initial=EngagementStatus.PLANNED)
    starts_at = MomentField(label=_("Starts"))
    due_at = MomentField(label=_("Due"))

    def __init__(self, *args: Any, staff: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff  # type: ignore[attr-defined]


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=EngagementStatus.choices)


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("Milestone"), max_length=200)
    due_at = MomentField(label=_("Due"))


class CommitmentForm(forms.Form):
    """A promise: what, who keeps it, by when, and optionally the milestone or ticket it belongs to."""

    title = forms.CharField(label=_("What we promise"), max_length=200)
    owner = StaffChoiceField(label=_("Owner"), queryset=None)
    due_at = MomentField(label=_("Due"))
    milestone = forms.TypedChoiceField(label=_("Milestone"), required=False, coerce=int, empty_value=None)
    ticket = forms.IntegerField(label=_("Ticket number"), required=False, min_value=1)

    def __init__(self, *args: Any, staff: QuerySet[Any], milestones: Sequence[Milestone] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff  # type: ignore[attr-defined]
        self._milestones = {m.pk: m for m in milestones}
        if milestones:
            self.fields["milestone"].choices = [("", _("None")), *((m.pk, m.title) for m in milestones)]  # type: ignore[attr-defined]
        else:
            del self.fields["milestone"]

    def chosen_milestone(self) -> Milestone | None:
        chosen = self.cleaned_data.get("milestone")
        return self._milestones.get(chosen) if chosen is not None else None


class DependencyForm(forms.Form):
    """What the client owes: what, who at the client, by when, and the one piece of work it holds up."""

    what = forms.CharField(label=_("What the client owes us"), max_length=200)
    details = forms.CharField(
        label=_("Details"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    contact = forms.TypedChoiceField(label=_("Client contact"), coerce=int)
    due_at = MomentField(label=_("Due"))
    blocks = forms.ChoiceField(label=_("It blocks"))

    def __init__(
        self,
        *args: Any,
        contacts: Sequence[Any],
        commitments: Sequence[Commitment] = (),
        milestones: Sequence[Milestone] = (),
        tickets: Sequence[Any] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._contacts = {c.pk: c for c in contacts}
        self.fields["contact"].choices = [(c.pk, c.name) for c in contacts]  # type: ignore[attr-defined]
        self._blocked: dict[str, Any] = {}
        groups: list[Any] = []
        named: tuple[tuple[str, Any, Sequence[Any]], ...] = (
            ("milestone", _("Milestones"), milestones),
            ("commitment", _("Commitments"), commitments),
            ("ticket", _("Tickets"), tickets),
        )
        for prefix, label, items in named:
            options = []
            for item in items:
                key = f"{prefix}:{item.pk}"
                self._blocked[key] = (prefix, item)
                options.append((key, str(item)))
            if options:
                groups.append((label, options))
        self.fields["blocks"].choices = groups  # type: ignore[attr-defined]

    def chosen_contact(self) -> Any:
        return self._contacts[self.cleaned_data["contact"]]

    def chosen_blocks(self) -> dict[str, Any]:
        """The blocked work as the service's keyword: {"commitment": …}, {"milestone": …} or {"ticket": …}."""
        prefix, item = self._blocked[self.cleaned_data["blocks"]]
        return {prefix: item}


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Why"), max_length=1000)


class ReassignForm(ReasonForm):
    owner = StaffChoiceField(label=_("New owner"), queryset=None)

    def __init__(self, *args: Any, staff: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff  # type: ignore[attr-defined]


class ListForm(forms.Form):
    """The query string of the commitments and dependencies lists: filters and a keyset position."""

    state = forms.ChoiceField(label=_("State"), required=False)
    owner = StaffChoiceField(label=_("Owner"), queryset=None, required=False, empty_label=_("Anyone"))
    due_after = MomentField(label=_("Due from"), required=False)
    due_before = MomentField(label=_("Due before"), required=False)
    after = forms.CharField(required=False, max_length=60, widget=forms.HiddenInput)

    def __init__(self, *args: Any, staff: QuerySet[Any], states: Sequence[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff  # type: ignore[attr-defined]
        self.fields["state"].choices = [("", _("Any")), *states]  # type: ignore[attr-defined]

    def filters(self, *, account: int | None = None) -> Filters:
        data = self.cleaned_data if self.is_valid() else {}
        owner = data.get("owner")
        due_after: datetime | None = data.get("due_after")
        due_before: datetime | None = data.get("due_before")
        return Filters(
            account=account,
            owner=owner.pk if owner is not None else None,
            state=data.get("state") or None,
            due_after=due_after,
            due_before=due_before,
        )

    def cursor(self) -> tuple[datetime, int] | None:
        return due_cursor_decode(self.cleaned_data.get("after") if self.is_valid() else None)


COMMITMENT_STATES = CommitmentState.choices
DEPENDENCY_STATES = DependencyState.choices
