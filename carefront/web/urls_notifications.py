"""URLs of the bell: the notification list, its unread count and marking read."""

from django.urls import path

from carefront.web import notification_views as views

urlpatterns = [
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/bell/", views.notifications_bell, name="notifications-bell"),
    path("notifications/read/", views.notifications_read, name="notifications-read"),
]
