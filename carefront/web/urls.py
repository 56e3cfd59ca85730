"""The staff workspace. Each area keeps its URLs in its own module, all under the `web` namespace."""

from django.contrib.auth import views as auth_views
from django.urls import path

from carefront.feedback import urls_web as urls_feedback
from carefront.insights import urls_web as urls_insights
from carefront.knowledge import urls_web as urls_knowledge
from carefront.mail import urls_web as urls_mail
from carefront.relationships import urls_web as urls_relationships
from carefront.web import (
    urls_accounts,
    urls_inbox,
    urls_notifications,
    urls_reports,
    urls_search,
    urls_settings,
    urls_tickets,
    views,
)

app_name = "web"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    *urls_inbox.urlpatterns,
    *urls_tickets.urlpatterns,
    *urls_accounts.urlpatterns,
    *urls_search.urlpatterns,
    *urls_settings.urlpatterns,
    *urls_notifications.urlpatterns,
    *urls_reports.urlpatterns,
    *urls_knowledge.urlpatterns,
    *urls_insights.urlpatterns,
    *urls_mail.urlpatterns,
    *urls_relationships.urlpatterns,
    *urls_feedback.urlpatterns,
]
