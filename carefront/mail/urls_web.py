"""Settings → Email and a ticket message's original email, in the `web` namespace."""

from django.urls import path

from carefront.mail import views

urlpatterns = [
    path("settings/mail/", views.mailboxes_view, name="settings-mail"),
    path("settings/mail/mailboxes/<int:mailbox_id>/", views.mailbox_view, name="settings-mailbox"),
    path("settings/mail/mailboxes/<int:mailbox_id>/delete/", views.mailbox_delete_view, name="settings-mailbox-delete"),
    path("settings/mail/inbound/<int:inbound_id>.eml", views.inbound_download_view, name="mail-inbound-download"),
    path(
        "settings/mail/inbound/<int:inbound_id>/reprocess/", views.inbound_reprocess_view, name="mail-inbound-reprocess"
    ),
    path("tickets/<int:number>/messages/<int:message_id>/original/", views.original_view, name="mail-original"),
    path("tickets/<int:number>/email/", views.ticket_email_card, name="mail-ticket-card"),
    path(
        "tickets/<int:number>/messages/<int:message_id>/original.eml",
        views.ticket_original_download_view,
        name="mail-original-download",
    ),
]
