"""Writes of the workspace: a staff member's own saved inbox views."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from carefront.accounts.models import Channel, ServiceModel
from carefront.core.access import staff_role
from carefront.core.exceptions import ApplicationError
from carefront.core.services import tag_names_normalise
from carefront.core.validation import clean_choice, clean_text
from carefront.desk.models import Priority, Status, Tier
from carefront.web.models import SavedView
from carefront.web.selectors import MAX_SAVED_VIEWS, SORT_KEYS, VIEW_KEYS, InboxQuery


def _query_validate(query: InboxQuery) -> None:
    clean_choice(query.view, choices=list(VIEW_KEYS), field="view")
    clean_choice(query.sort, choices=sorted(SORT_KEYS), field="sort")
    filters = query.filters
    for status in filters.statuses or ():
        clean_choice(status, choices=Status.values, field="status")
    for name, choices in (
        ("priority", Priority.values),
        ("tier", Tier.values),
        ("channel", Channel.values),
        ("service_model", ServiceModel.values),
    ):
        value = getattr(filters, name)
        if value is not None and value != "":
            clean_choice(value, choices=choices, field=name)
    if filters.tag:
        tag_names_normalise([filters.tag], field="tag")


@transaction.atomic
def saved_view_create(*, actor: Any, name: str, query: InboxQuery) -> SavedView:
    """Save the inbox's current filter set under a name, for the actor's own sidebar."""
    if staff_role(actor) is None:
        raise ApplicationError(_("Only staff may do this."), status=403)
    name = clean_text(name, field="name", max_length=80, required=True)
    _query_validate(query)
    mine = SavedView.objects.select_for_update().filter(owner_id=actor.pk)
    if mine.filter(name__iexact=name).exists():
        raise ApplicationError(_("You already have a view named “{name}”.").format(name=name), field="name", status=409)
    if mine.count() >= MAX_SAVED_VIEWS:
        raise ApplicationError(
            _("You can keep at most {limit} saved views; delete one first.").format(limit=MAX_SAVED_VIEWS),
            field="name",
        )
    return SavedView.objects.create(owner=actor, name=name, query=query.as_json())


@transaction.atomic
def saved_view_delete(*, actor: Any, saved_view: SavedView) -> None:
    """Delete one of the actor's own saved views."""
    if saved_view.owner_id != actor.pk:
        raise ApplicationError(_("This view belongs to someone else."), status=403)
    saved_view.delete()
