"""URLs of the workspace area: accounts."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
