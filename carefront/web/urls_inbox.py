"""URLs of the workspace area: inbox."""

from django.urls import path

from carefront.web import inbox_views

urlpatterns = [
    path("", inbox_views.inbox, name="inbox"),
    path("inbox/sidebar/", inbox_views.inbox_sidebar_view, name="inbox-sidebar"),
    path("inbox/bulk/", inbox_views.inbox_bulk, name="inbox-bulk"),
    path("inbox/views/", inbox_views.saved_view_create_view, name="inbox-view-create"),
    path("inbox/views/<int:saved_view_id>/delete/", inbox_views.saved_view_delete_view, name="inbox-view-delete"),
]
