"""Background jobs of the core: staff notifications."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone
from huey.contrib.djhuey import db_task

from carefront.core.services import notification_create


@db_task(retries=3, retry_delay=30)
def notify_staff(*, recipient_id: int, verb: str, text: str, ticket_id: int | None = None) -> int:
    """Store an in-app notification and email it to the staff member when they have an address."""
    notification = notification_create(recipient_id=recipient_id, verb=verb, text=text, ticket_id=ticket_id)
    recipient = get_user_model().objects.get(pk=recipient_id)
    if recipient.email:
        ticket = notification.ticket
        link = f"{settings.BASE_URL}{reverse('web:ticket', args=[ticket.number])}" if ticket else settings.BASE_URL
        send_mail(subject=text, message=f"{text}\n\n{link}\n", from_email=None, recipient_list=[recipient.email])
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return notification.pk
