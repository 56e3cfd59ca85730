"""Reports for managers: the work of each tier and the time staff spent, over a period."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from carefront.desk.selectors import tier_report, time_spent_report
from carefront.web.access import manager_view

PERIODS = (7, 30, 90, 365)


def _period(request: HttpRequest) -> tuple[int, datetime, datetime]:
    """The chosen number of days (30 unless one of PERIODS) and the period it ends now."""
    raw = request.GET.get("days", "")
    days = int(raw) if raw.isdigit() and int(raw) in PERIODS else 30
    until = timezone.now()
    return days, until - timedelta(days=days), until


@manager_view
def tiers_report_view(request: HttpRequest) -> HttpResponse:
    days, since, until = _period(request)
    lines = tier_report(since=since, until=until)
    context = {"nav": "reports", "lines": lines, "days": days, "periods": PERIODS, "tab": "tiers"}
    return render(request, "web/reports/tiers.html", context)


@manager_view
def time_spent_report_view(request: HttpRequest) -> HttpResponse:
    days, since, until = _period(request)
    report = time_spent_report(since=since, until=until)
    context = {"nav": "reports", "report": report, "days": days, "periods": PERIODS, "tab": "time"}
    return render(request, "web/reports/time_spent.html", context)
