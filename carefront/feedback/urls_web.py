"""The feedback's pages, in the workspace's `web` namespace: the public answer page and the staff screens."""

from django.urls import path

from carefront.feedback import views, views_clients, views_public

urlpatterns = [
    path("survey/<str:token>/", views_public.answer, name="feedback-answer"),
    path("feedback/responses/", views.responses, name="feedback-responses"),
    path("feedback/tickets/<int:number>/", views.ticket_card, name="feedback-ticket-card"),
    path("feedback/clients/<int:account_id>/", views_clients.report, name="feedback-client-report"),
    path("feedback/clients/<int:account_id>/report.pdf", views_clients.report_pdf, name="feedback-client-report-pdf"),
    path(
        "feedback/clients/<int:account_id>/customers/", views_clients.customers_upload, name="feedback-client-customers"
    ),
    path(
        "feedback/clients/<int:account_id>/campaigns/", views_clients.campaign_new, name="feedback-client-campaign-new"
    ),
    path("settings/surveys/", views.surveys, name="feedback-surveys"),
    path("settings/surveys/new/", views.survey_new, name="feedback-survey-new"),
    path("settings/surveys/<int:survey_id>/", views.survey_edit, name="feedback-survey"),
    path("settings/surveys/campaigns/new/", views.campaign_new, name="feedback-campaign-new"),
    path("settings/surveys/campaigns/<int:campaign_id>/", views.campaign_edit, name="feedback-campaign"),
]
