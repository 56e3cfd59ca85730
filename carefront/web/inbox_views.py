"""The inbox: the ticket queues agents work from."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from carefront.desk.selectors import TicketFilters, tickets_list
from carefront.web.access import staff_view

PAGE_SIZE = 50


@staff_view
def inbox(request: HttpRequest) -> HttpResponse:
    tickets = list(tickets_list(user=request.user, filters=TicketFilters()).order_by("-id")[:PAGE_SIZE])
    return render(request, "web/inbox.html", {"tickets": tickets, "nav": "inbox"})
