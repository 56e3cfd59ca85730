"""URLs of the workspace area: tickets (addressed by their number, as people quote them)."""

from django.urls import path

from carefront.web import ticket_actions_views as actions
from carefront.web import ticket_views

urlpatterns = [
    path("tickets/<int:number>/", ticket_views.ticket_page, name="ticket"),
    path("tickets/<int:number>/messages/", ticket_views.ticket_message, name="ticket-message"),
    path("tickets/<int:number>/properties/<str:field>/", ticket_views.ticket_property, name="ticket-property"),
    path("tickets/<int:number>/presence/", ticket_views.ticket_presence, name="ticket-presence"),
    path("tickets/<int:number>/escalate/", ticket_views.ticket_escalate_view, name="ticket-escalate"),
    path("tickets/<int:number>/macro/", ticket_views.ticket_macro, name="ticket-macro"),
    path("tickets/<int:number>/merge/", actions.ticket_merge_view, name="ticket-merge"),
    path("tickets/<int:number>/links/", actions.ticket_link_view, name="ticket-link"),
    path("tickets/<int:number>/split/", actions.ticket_split_view, name="ticket-split"),
    path("tickets/<int:number>/difficult/", actions.ticket_difficult_view, name="ticket-difficult"),
    path("tickets/<int:number>/difficult/checklist/", actions.ticket_checklist_view, name="ticket-checklist"),
]
