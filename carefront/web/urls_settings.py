"""URLs of the workspace area: settings (admins), and every staff member's own preferences."""

from django.urls import path

from carefront.web import settings_routing_views as routing_views
from carefront.web import settings_sla_views as sla_views
from carefront.web import settings_views as views

urlpatterns = [
    path("settings/", views.settings_index, name="settings"),
    path("settings/me/", views.me, name="settings-me"),
    path("settings/teams/", views.teams, name="settings-teams"),
    path("settings/teams/<int:team_id>/", views.team, name="settings-team"),
    path("settings/teams/<int:team_id>/members/", views.team_members, name="settings-team-members"),
    path("settings/staff/", views.staff, name="settings-staff"),
    path("settings/staff/new/", views.staff_new, name="settings-staff-new"),
    path("settings/staff/<int:staff_id>/", views.staff_edit, name="settings-staff-edit"),
    path("settings/staff/<int:staff_id>/deactivate/", views.staff_deactivate_view, name="settings-staff-deactivate"),
    path("settings/staff/<int:staff_id>/reactivate/", views.staff_reactivate_view, name="settings-staff-reactivate"),
    path("settings/tags/", views.tags, name="settings-tags"),
    path("settings/tags/<int:tag_id>/", views.tag, name="settings-tag"),
    path("settings/tags/<int:tag_id>/rename/", views.tag_rename_view, name="settings-tag-rename"),
    path("settings/tags/<int:tag_id>/delete/", views.tag_delete_view, name="settings-tag-delete"),
    path("settings/sla/", sla_views.sla_settings, name="settings-sla"),
    path("settings/sla/calendars/new/", sla_views.sla_calendar, name="settings-sla-calendar-new"),
    path("settings/sla/calendars/<int:calendar_id>/", sla_views.sla_calendar, name="settings-sla-calendar"),
    path("settings/sla/policies/new/", sla_views.sla_policy, name="settings-sla-policy-new"),
    path("settings/sla/policies/<int:policy_id>/", sla_views.sla_policy, name="settings-sla-policy"),
    path("settings/tiers/", sla_views.tier_queues_view, name="settings-tiers"),
    path("settings/macros/", sla_views.macros_view, name="settings-macros"),
    path("settings/macros/<int:macro_id>/", sla_views.macros_view, name="settings-macro"),
    path("settings/routing/", routing_views.routing_settings, name="settings-routing"),
    path("settings/routing/rules/new/", routing_views.routing_rule, name="settings-routing-rule-new"),
    path("settings/routing/rules/<int:rule_id>/", routing_views.routing_rule, name="settings-routing-rule"),
    path(
        "settings/routing/rules/<int:rule_id>/delete/",
        routing_views.routing_rule_delete_view,
        name="settings-routing-rule-delete",
    ),
    path("settings/automations/", routing_views.automations_view, name="settings-automations"),
    path("settings/automations/new/", routing_views.automation_view, name="settings-automation-new"),
    path("settings/automations/<int:automation_id>/", routing_views.automation_view, name="settings-automation"),
    path(
        "settings/automations/<int:automation_id>/delete/",
        routing_views.automation_delete_view,
        name="settings-automation-delete",
    ),
    path("settings/cost-rates/", sla_views.cost_rates_view, name="settings-cost-rates"),
    path("settings/tokens/", views.tokens, name="settings-tokens"),
    path("settings/tokens/<slug:prefix>/revoke/", views.token_revoke_view, name="settings-token-revoke"),
]
