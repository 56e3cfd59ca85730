"""URLs of the workspace area: inbox."""

from django.urls import path

from carefront.web import inbox_views

urlpatterns = [
    path("", inbox_views.inbox, name="inbox"),
]
