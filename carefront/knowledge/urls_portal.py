"""The help centre's URLs, mounted by the portal under /portal/help/ in the `portal` namespace."""

from django.urls import path

from carefront.knowledge import portal_views

urlpatterns = [
    path("help/", portal_views.help_home, name="help"),
    path("help/search/", portal_views.help_search, name="help-search"),
    path("help/suggestions/", portal_views.help_suggest, name="help-suggest"),
    path("help/categories/<slug:slug>/", portal_views.help_category, name="help-category"),
    path("help/articles/<slug:slug>/", portal_views.help_article, name="help-article"),
    path("help/articles/<slug:slug>/feedback/", portal_views.help_feedback, name="help-feedback"),
    path("help/articles/<slug:slug>/solved/", portal_views.help_solved, name="help-solved"),
    path("help/articles/<slug:slug>/solved/thanks/", portal_views.help_solved_thanks, name="help-solved-thanks"),
]
