"""URLs of the workspace area: settings."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
