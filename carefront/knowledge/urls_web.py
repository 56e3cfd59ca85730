"""The workspace's Knowledge screens and the ticket page's suggested articles, in the `web` namespace."""

from django.urls import path

from carefront.knowledge import ticket_views, views

urlpatterns = [
    path("knowledge/", views.knowledge_list, name="knowledge"),
    path("knowledge/new/", views.article_new, name="knowledge-new"),
    path("knowledge/preview/", views.markdown_preview, name="knowledge-preview"),
    path("knowledge/categories/", views.categories_view, name="knowledge-categories"),
    path("knowledge/categories/<int:category_id>/", views.categories_view, name="knowledge-category"),
    path(
        "knowledge/categories/<int:category_id>/delete/",
        views.category_delete_view,
        name="knowledge-category-delete",
    ),
    path("knowledge/<int:article_id>/", views.article_page, name="knowledge-article"),
    path("knowledge/<int:article_id>/publish/", views.article_status, {"action": "publish"}, name="knowledge-publish"),
    path(
        "knowledge/<int:article_id>/unpublish/",
        views.article_status,
        {"action": "unpublish"},
        name="knowledge-unpublish",
    ),
    path("knowledge/<int:article_id>/delete/", views.article_status, {"action": "delete"}, name="knowledge-delete"),
    path("tickets/<int:number>/articles/", ticket_views.ticket_articles, name="ticket-articles"),
]
