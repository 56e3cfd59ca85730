"""The client profile's screens: its preferences and fields, a goal, a key person, a service bought (each a small
form page reached from the account page's card), the ticket sidebar's compact card (loaded by htmx after the
ticket page), and the managers' settings page that defines the profile fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from carefront.accounts.access import access_account, contacts_visible_to
from carefront.accounts.models import ServiceModel
from carefront.core.exceptions import ApplicationError
from carefront.relationships import selectors_profile as selectors
from carefront.relationships import services_profile as services
from carefront.relationships.access import (
    access_client_service,
    access_goal,
    access_key_person,
    access_profile_field,
    may_manage_account,
)
from carefront.relationships.forms_profile import (
    ClientServiceForm,
    GoalForm,
    KeyPersonForm,
    PreferencesForm,
    ProfileFieldForm,
)
from carefront.relationships.views import _act, _reason
from carefront.web.access import manager_view, staff_view
from carefront.web.forms_settings import form_error

FORM_PAGE = "relationships/profile_form.html"
MAX_CONTACTS = 200


def _card_url(account_id: int) -> str:
    return reverse("web:account", args=[account_id]) + "#profile-card"


def _editor(request: HttpRequest, account: Any) -> None:
    """The form pages are for who may change the profile; the services check again."""
    if not may_manage_account(request.user, account):
        raise PermissionDenied


def _form_page(
    request: HttpRequest,
    form: Any,
    save: Callable[[], str],
    *,
    account: Any,
    title: str,
    show_error: Callable[[ApplicationError], None] | None = None,
) -> HttpResponse:
    """One form on a page: on a valid POST `save` calls the service and says what was done, then back to the
    account's profile card; a refusal stays on the field it names, and nothing is saved."""
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                message = save()
            except ApplicationError as error:
                (show_error or (lambda err: form_error(form, err)))(error)
                status = error.status
            else:
                messages.success(request, message)
                return redirect(_card_url(account.pk))
    context = {"nav": "accounts", "form": form, "account": account, "title": title}
    return render(request, FORM_PAGE, context, status=status)


@staff_view
def profile_edit(request: HttpRequest, account_id: int) -> HttpResponse:
    """A client's preferences and the values of the business's profile fields."""
    account = access_account(user=request.user, account_id=account_id)
    _editor(request, account)
    profile = selectors.profile_of(user=request.user, account_id=account.pk)
    definitions = list(selectors.profile_fields_list(active=True))
    form = PreferencesForm(request.POST or None, profile=profile, definitions=definitions)

    def save() -> str:
        data = form.cleaned_data
        services.profile_update(account=account, actor=request.user, version=data["version"], **form.changes())
        return _("The client's preferences were saved.")

    title = _("Preferences of {name}").format(name=account.name)
    return _form_page(request, form, save, account=account, title=title, show_error=form.show_error)


@staff_view
def goal_new(request: HttpRequest, account_id: int) -> HttpResponse:
    account = access_account(user=request.user, account_id=account_id)
    _editor(request, account)
    form = GoalForm(request.POST or None)

    def save() -> str:
        data = form.cleaned_data
        goal = services.goal_create(
            actor=request.user,
            account=account,
            title=data["title"],
            target_date=data["target_date"],
            notes=data["notes"],
        )
        return _("Goal “{title}” recorded.").format(title=goal.title)

    return _form_page(request, form, save, account=account, title=_("Record a client's goal"))


@staff_view
def goal_edit(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal = access_goal(user=request.user, goal_id=goal_id)
    _editor(request, goal.account)
    initial = {"title": goal.title, "target_date": goal.target_date, "notes": goal.notes, "version": goal.version}
    form = GoalForm(request.POST or None, initial=initial)

    def save() -> str:
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name != "version"}
        services.goal_update(goal=goal, actor=request.user, version=form.cleaned_data["version"], **changes)
        return _("Goal “{title}” saved.").format(title=form.cleaned_data["title"])

    return _form_page(request, form, save, account=goal.account, title=_("Change a goal"))


@require_POST
@staff_view
def goal_achieve(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal = access_goal(user=request.user, goal_id=goal_id)
    return _act(
        request, lambda: services.goal_achieve(goal=goal, actor=request.user), fallback=_card_url(goal.account_id)
    )


@require_POST
@staff_view
def goal_abandon(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal = access_goal(user=request.user, goal_id=goal_id)
    reason = _reason(request)
    return _act(
        request,
        lambda: services.goal_abandon(goal=goal, actor=request.user, reason=reason),
        fallback=_card_url(goal.account_id),
    )


@staff_view
def key_person_new(request: HttpRequest, account_id: int) -> HttpResponse:
    account = access_account(user=request.user, account_id=account_id)
    _editor(request, account)
    contacts = list(
        contacts_visible_to(request.user).filter(account_id=account.pk).order_by("name", "id")[:MAX_CONTACTS]
    )
    form = KeyPersonForm(request.POST or None, contacts=contacts)

    def save() -> str:
        data = form.cleaned_data
        contact = next(contact for contact in contacts if contact.pk == data["contact"])
        person = services.key_person_add(
            actor=request.user, account=account, contact=contact, role=data["role"], notes=data["notes"]
        )
        return _("{name} recorded as {role}.").format(name=contact.name, role=person.get_role_display())

    return _form_page(request, form, save, account=account, title=_("Add a key person"))


@staff_view
def key_person_edit(request: HttpRequest, key_person_id: int) -> HttpResponse:
    person = access_key_person(user=request.user, key_person_id=key_person_id)
    _editor(request, person.account)
    initial = {"role": person.role, "notes": person.notes, "version": person.version}
    form = KeyPersonForm(request.POST or None, contacts=None, initial=initial)

    def save() -> str:
        data = form.cleaned_data
        services.key_person_update(
            person=person, actor=request.user, version=data["version"], role=data["role"], notes=data["notes"]
        )
        return _("{name}'s role was saved.").format(name=person.contact.name)

    title = _("{name}, key person").format(name=person.contact.name)
    return _form_page(request, form, save, account=person.account, title=title)


@require_POST
@staff_view
def key_person_remove(request: HttpRequest, key_person_id: int) -> HttpResponse:
    person = access_key_person(user=request.user, key_person_id=key_person_id)
    return _act(
        request,
        lambda: services.key_person_remove(person=person, actor=request.user),
        fallback=_card_url(person.account_id),
    )


@staff_view
def client_service_new(request: HttpRequest, account_id: int) -> HttpResponse:
    account = access_account(user=request.user, account_id=account_id)
    _editor(request, account)
    form = ClientServiceForm(request.POST or None)

    def save() -> str:
        data = {name: value for name, value in form.cleaned_data.items() if name != "version"}
        service = services.client_service_create(actor=request.user, account=account, **data)
        return _("Service “{name}” recorded.").format(name=service.name)

    return _form_page(request, form, save, account=account, title=_("Record a service the client buys"))


@staff_view
def client_service_edit(request: HttpRequest, service_id: int) -> HttpResponse:
    service = access_client_service(user=request.user, service_id=service_id)
    _editor(request, service.account)
    names = ("name", "status", "started_on", "renews_on", "amount", "currency", "period", "version")
    form = ClientServiceForm(request.POST or None, initial={name: getattr(service, name) for name in names})

    def save() -> str:
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name != "version"}
        services.client_service_update(
            service=service, actor=request.user, version=form.cleaned_data["version"], **changes
        )
        return _("Service “{name}” saved.").format(name=form.cleaned_data["name"])

    return _form_page(request, form, save, account=service.account, title=_("Change a service"))


@staff_view
@require_GET
def profile_sidebar(request: HttpRequest, account_id: int) -> HttpResponse:
    """The compact profile for the ticket sidebar, loaded by htmx so the ticket page's queries do not grow."""
    account = access_account(user=request.user, account_id=account_id)
    card = selectors.profile_sidebar(user=request.user, account=account)
    if card.empty and account.service_model != ServiceModel.CLIENT:
        # A customer with nothing recorded: the placeholder goes, rather than a card saying nothing on every ticket.
        return HttpResponse("")
    return render(request, "relationships/profile_sidebar.html", {"card": card, "account": account})


# --- the managers' definitions -------------------------------------------------------------------


@manager_view
def profile_fields_settings(request: HttpRequest, field_id: int | None = None) -> HttpResponse:
    """Every profile field, and the form to define one (or change the one in the address)."""
    field = access_profile_field(user=request.user, field_id=field_id) if field_id is not None else None
    initial = None
    if field is not None:
        names = ("key", "label", "kind", "help_text", "position", "active", "version")
        initial = {name: getattr(field, name) for name in names} | {"choices": "\n".join(field.choices)}
    form = ProfileFieldForm(request.POST or None, initial=initial, editing=field is not None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            values = {"label": data["label"], "help_text": data["help_text"], "position": data["position"]}
            try:
                if field is None:
                    services.profile_field_create(
                        actor=request.user, key=data["key"], kind=data["kind"], choices=form.choice_list(), **values
                    )
                else:
                    if field.kind == "choice":
                        values["choices"] = form.choice_list()
                    services.profile_field_update(
                        field=field, actor=request.user, version=data["version"], active=data["active"], **values
                    )
            except ApplicationError as error:
                form_error(form, error)
                status = error.status
            else:
                messages.success(request, _("Profile field “{label}” saved.").format(label=data["label"]))
                return redirect("web:settings-profile-fields")
    context = {
        "nav": "settings",
        "section": "profile-fields",
        "form": form,
        "field": field,
        "fields": list(selectors.profile_fields_list()),
    }
    return render(request, "relationships/profile_fields.html", context, status=status)
