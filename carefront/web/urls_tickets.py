"""URLs of the workspace area: tickets."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
