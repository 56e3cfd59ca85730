"""URLs of the customer portal, mounted at /portal/ under the `portal` namespace."""

from django.urls import path

from carefront.knowledge import urls_portal as help_centre
from carefront.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.tickets, name="tickets"),
    path("login/", views.login, name="login"),
    path("login/link/", views.login_link, name="login_link"),
    path("login/link/sent/", views.link_sent, name="link_sent"),
    path("login/link/<str:token>/", views.magic_link, name="magic_link"),
    path("login/password/", views.login_password, name="login_password"),
    path("logout/", views.logout, name="logout"),
    path("tickets/new/", views.ticket_new, name="ticket_new"),
    path("tickets/<int:number>/", views.ticket, name="ticket"),
    path("tickets/<int:number>/reply/", views.ticket_reply, name="ticket_reply"),
    path(
        "tickets/<int:number>/messages/<int:message_id>/attachments/<int:attachment_id>/",
        views.attachment,
        name="attachment",
    ),
    path("profile/", views.profile, name="profile"),
    path("profile/password/", views.password_set, name="password_set"),
    *help_centre.urlpatterns,
]
