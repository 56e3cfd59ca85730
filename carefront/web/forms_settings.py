"""Forms of the workspace settings: they parse input; the services in carefront.core validate and decide."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import get_language_info, gettext
from django.utils.translation import gettext_lazy as _

from carefront.core.exceptions import ApplicationError
from carefront.core.models import Role, Team
from carefront.core.selectors import time_zone_names


@lru_cache(maxsize=1)
def time_zone_choices() -> list[tuple[str, str]]:
    return [(zone, zone.replace("_", " ")) for zone in time_zone_names()]


def language_choices() -> list[tuple[str, str]]:
    """Each interface language in its own name, so anyone can find theirs."""
    return [(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES]


def form_error(form: forms.Form, error: ApplicationError) -> None:
    """Show a service's refusal on the field it names, or above the form."""
    form.add_error(error.field if error.field in form.fields else None, error.message)


class StaffChoiceField(forms.ModelMultipleChoiceField):
    """Staff users as checkboxes, labelled with name, username and role."""

    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: Any) -> str:
        label = gettext("{name} ({username}, {role})").format(
            name=obj.get_full_name() or obj.get_username(),
            username=obj.get_username(),
            role=obj.staff_profile.get_role_display(),
        )
        return label if obj.is_active else gettext("{label} — inactive").format(label=label)


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(label=_("Description"), max_length=2000, required=False, widget=forms.Textarea)


class TeamMembersForm(forms.Form):
    members = StaffChoiceField(label=_("Members"), queryset=None, required=False)

    def __init__(self, *args: Any, staff: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = staff  # type: ignore[attr-defined]


class TeamsField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple


def _teams_field() -> TeamsField:
    return TeamsField(label=_("Teams"), queryset=Team.objects.order_by("name"), required=False)


class PreferencesForm(forms.Form):
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)
    language = forms.ChoiceField(label=_("Language"), choices=language_choices)


class MyPreferencesForm(PreferencesForm):
    away = forms.BooleanField(
        label=_("I am away"),
        required=False,
        help_text=_("While you are away, routing gives you no new tickets; your clients' go to your team."),
    )


class StaffUpdateForm(PreferencesForm):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    field_order = ["role", "teams", "time_zone", "language"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["teams"] = _teams_field()
        self.order_fields(self.field_order)


class StaffCreateForm(StaffUpdateForm):
    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("Email"), max_length=254)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    password = forms.CharField(
        label=_("Initial password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to generate one; it is shown once, after saving."),
    )
    field_order = ["username", "email", "first_name", "last_name", "role", "teams", "time_zone", "language", "password"]


class TagRenameForm(forms.Form):
    name = forms.CharField(
        label=_("New name"),
        max_length=50,
        help_text=_("If a tag with this name exists, this tag is merged into it."),
    )


class TokenCreateForm(forms.Form):
    user = forms.CharField(
        label=_("User"),
        max_length=254,
        help_text=_("Username or email. A contact's email gives the contact portal access first."),
    )
    name = forms.CharField(label=_("Label"), max_length=100, required=False, help_text=_("For example “CRM sync”."))
