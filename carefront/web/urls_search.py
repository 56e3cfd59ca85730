"""URLs of the workspace area: search."""

from django.urls import path

from carefront.web import search_views

urlpatterns = [
    path("search/", search_views.search_page, name="search"),
]
