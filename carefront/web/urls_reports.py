"""URLs of the managers' reports."""

from django.urls import path

from carefront.web import report_views as views

urlpatterns = [
    path("reports/tiers/", views.tiers_report_view, name="report-tiers"),
    path("reports/time-spent/", views.time_spent_report_view, name="report-time-spent"),
]
