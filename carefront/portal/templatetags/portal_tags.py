"""Template helpers of the portal: statuses and authors in the customer's words."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from carefront.desk.models import Message
from carefront.portal.selectors import CUSTOMER_STATUS_LABELS

register = template.Library()


@register.filter
def customer_status(status: str) -> str:
    """A ticket status as the customer reads it ("Awaiting your reply" rather than "Pending")."""
    label = CUSTOMER_STATUS_LABELS.get(status)
    return str(label) if label is not None else status


@register.filter
def author_name(message: Message) -> str:
    """Who wrote a message, as the customer sees it: a contact's name, or a staff member's first name."""
    if message.author_contact is not None:
        return message.author_contact.name
    staff = message.author_user
    first = staff.first_name if staff is not None else ""
    return _("{name} (support team)").format(name=first) if first else _("Support team")
