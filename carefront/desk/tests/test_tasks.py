from datetime import timedelta

from django.test import override_settings
from django.utils import timezone

from carefront.desk.models import Status, Ticket
from carefront.desk.services import ticket_change_status
from carefront.desk.tasks import close_solved_tickets


@override_settings(CAREFRONT_AUTO_CLOSE_DAYS=2)
def test_periodic_job_closes_tickets_solved_longer_than_the_setting(ticket, alice):
    ticket_change_status(ticket=ticket, actor=alice, status=Status.SOLVED)
    Ticket.objects.filter(pk=ticket.pk).update(solved_at=timezone.now() - timedelta(days=3))
    close_solved_tickets()
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert ticket.closed_at is not None
