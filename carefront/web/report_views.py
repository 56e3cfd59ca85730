"""Reports for managers: the work of each tier over a period."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from carefront.desk.selectors import tier_report
from carefront.web.access import manager_view

PERIODS = (7, 30, 90, 365)


@manager_view
def tiers_report_view(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("days", "")
    days = int(raw) if raw.isdigit() and int(raw) in PERIODS else 30
    until = timezone.now()
    lines = tier_report(since=until - timedelta(days=days), until=until)
    return render(
        request, "web/reports/tiers.html", {"nav": "reports", "lines": lines, "days": days, "periods": PERIODS}
    )
