"""Forms of the customer portal: they parse input; the services judge it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.text import capfirst
from django.utils.translation import get_language_info, gettext
from django.utils.translation import gettext_lazy as _

from carefront.core.selectors import time_zone_names
from carefront.desk.services import MAX_BODY_CHARS
from carefront.portal.services import ACCEPTED_EXTENSIONS, MAX_ATTACHMENTS


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input (Django's documented recipe)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ",".join(ACCEPTED_EXTENSIONS)}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


def _attachments_field() -> MultipleFileField:
    return MultipleFileField(label=_("Attachments"), required=False)


class AttachmentsHelpMixin(forms.Form):
    """States the limits the service will apply, so nobody learns them by being refused."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = gettext(
            "Optional. Images, PDF, text or office documents; up to {count} files of {size} each."
        ).format(count=MAX_ATTACHMENTS, size=filesizeformat(settings.CAREFRONT_MAX_ATTACHMENT_BYTES))


class MagicLinkForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "link_%s")
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.update({"autocomplete": "email"})


class PasswordLoginForm(forms.Form):
    email = forms.CharField(label=_("Email address"), max_length=254)
    password = forms.CharField(label=_("Password"), strip=False, max_length=4096, widget=forms.PasswordInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "password_%s")
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.update({"autocomplete": "email", "inputmode": "email"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class TicketForm(AttachmentsHelpMixin, forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=250)
    description = forms.CharField(
        label=_("How can we help?"),
        max_length=MAX_BODY_CHARS,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Tell us what happened and what you expected; order numbers help."),
    )
    attachments = _attachments_field()


class ReplyForm(AttachmentsHelpMixin, forms.Form):
    body = forms.CharField(label=_("Your reply"), max_length=MAX_BODY_CHARS, widget=forms.Textarea(attrs={"rows": 5}))
    attachments = _attachments_field()


class ProfileForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    # Each language in its own name, so people find theirs whatever the page's language.
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[(code, capfirst(get_language_info(code)["name_local"])) for code, _name in settings.LANGUAGES],
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False)

    def __init__(self, *args: Any, account_time_zone: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs.update({"autocomplete": "name"})
        zone_field = self.fields["time_zone"]
        assert isinstance(zone_field, forms.ChoiceField)
        zone_field.choices = [
            ("", _("Same as my organisation ({zone})").format(zone=account_time_zone)),
            *((name, name) for name in time_zone_names()),
        ]


class PasswordSetForm(forms.Form):
    password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return cleaned
