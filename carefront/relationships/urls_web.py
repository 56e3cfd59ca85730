"""The workspace's relationships screens, in the `web` namespace."""

from django.urls import path

from carefront.relationships import (
    feed,
    incident_views,
    views,
    views_checkins,
    views_followups,
    views_health,
    views_portfolio,
    views_profile,
)

urlpatterns = [
    path("relationships/portfolio/", views_portfolio.my_portfolio, name="relationships-portfolio"),
    path("relationships/portfolio/<int:advisor_id>/", views_portfolio.portfolio, name="relationships-portfolio-of"),
    path(
        "relationships/portfolio/<int:advisor_id>/hand-over/",
        views_portfolio.hand_over,
        name="relationships-hand-over",
    ),
    path(
        "relationships/portfolio/<int:advisor_id>/recommendations/refresh/",
        views_portfolio.recommendations_refresh,
        name="relationships-recommendations-refresh",
    ),
    path(
        "relationships/recommendations/<int:recommendation_id>/commit/",
        views_portfolio.recommendation_commit_view,
        name="relationships-recommendation-commit",
    ),
    path(
        "relationships/recommendations/<int:recommendation_id>/check-in/",
        views_portfolio.recommendation_check_in_view,
        name="relationships-recommendation-check-in",
    ),
    path(
        "relationships/recommendations/<int:recommendation_id>/dismiss/",
        views_portfolio.recommendation_dismiss_view,
        name="relationships-recommendation-dismiss",
    ),
    path(
        "relationships/accounts/<int:account_id>/reassign/",
        views_portfolio.account_reassign_view,
        name="relationships-account-reassign",
    ),
    path("settings/health/", views_health.health_settings_view, name="settings-health"),
    path("settings/health/recompute/", views_health.health_recompute_view, name="settings-health-recompute"),
    path("relationships/", views.engagements_page, name="relationships"),
    path("relationships/engagements/new/", views.engagement_new, name="relationships-engagement-new"),
    path("relationships/engagements/<int:engagement_id>/", views.engagement_page, name="relationships-engagement"),
    path(
        "relationships/engagements/<int:engagement_id>/status/",
        views.engagement_status,
        name="relationships-engagement-status",
    ),
    path(
        "relationships/engagements/<int:engagement_id>/milestones/",
        views.milestone_add,
        name="relationships-milestone-add",
    ),
    path(
        "relationships/engagements/<int:engagement_id>/commitments/",
        views.engagement_commitment_add,
        name="relationships-engagement-commitment-add",
    ),
    path(
        "relationships/engagements/<int:engagement_id>/dependencies/",
        views.engagement_dependency_add,
        name="relationships-engagement-dependency-add",
    ),
    path(
        "relationships/milestones/<int:milestone_id>/done/", views.milestone_done, name="relationships-milestone-done"
    ),
    path("relationships/commitments/", views.commitments_page, name="relationships-commitments"),
    path("relationships/commitments/new/", views.commitment_new, name="relationships-commitment-new"),
    path(
        "relationships/commitments/<int:commitment_id>/done/",
        views.commitment_done,
        name="relationships-commitment-done",
    ),
    path(
        "relationships/commitments/<int:commitment_id>/drop/",
        views.commitment_drop,
        name="relationships-commitment-drop",
    ),
    path(
        "relationships/commitments/<int:commitment_id>/reassign/",
        views.commitment_reassign,
        name="relationships-commitment-reassign",
    ),
    path("relationships/dependencies/", views.dependencies_page, name="relationships-dependencies"),
    path("relationships/dependencies/new/", views.dependency_new, name="relationships-dependency-new"),
    path(
        "relationships/dependencies/<int:dependency_id>/received/",
        views.dependency_received,
        name="relationships-dependency-received",
    ),
    path(
        "relationships/dependencies/<int:dependency_id>/cancel/",
        views.dependency_cancel,
        name="relationships-dependency-cancel",
    ),
    path(
        "relationships/dependencies/<int:dependency_id>/remind/",
        views.dependency_remind,
        name="relationships-dependency-remind",
    ),
    path("relationships/waiting/", views.waiting_page, name="relationships-waiting"),
    path("relationships/incidents/", incident_views.incidents_page, name="relationships-incidents"),
    path("relationships/incidents/new/", incident_views.incident_new, name="relationships-incident-new"),
    path("relationships/incidents/<int:incident_id>/", incident_views.incident_page, name="relationships-incident"),
    path(
        "relationships/incidents/<int:incident_id>/accounts/",
        incident_views.incident_accounts_add,
        name="relationships-incident-accounts",
    ),
    path(
        "relationships/incidents/<int:incident_id>/drafts/",
        incident_views.incident_drafts,
        name="relationships-incident-drafts",
    ),
    path(
        "relationships/incidents/<int:incident_id>/status/",
        incident_views.incident_status,
        name="relationships-incident-status",
    ),
    path(
        "relationships/incidents/<int:incident_id>/accounts/<int:account_id>/draft/",
        incident_views.affected_draft,
        name="relationships-affected-draft",
    ),
    path(
        "relationships/incidents/<int:incident_id>/accounts/<int:account_id>/told/",
        incident_views.affected_told,
        name="relationships-affected-told",
    ),
    path(
        "relationships/incidents/<int:incident_id>/accounts/<int:account_id>/remedy/",
        incident_views.affected_remedy,
        name="relationships-affected-remedy",
    ),
    path("relationships/check-ins/", views_checkins.check_ins_page, name="relationships-check-ins"),
    path(
        "relationships/check-ins/<int:check_in_id>/held/",
        views_checkins.check_in_held,
        name="relationships-check-in-held",
    ),
    path(
        "relationships/check-ins/<int:check_in_id>/cancel/",
        views_checkins.check_in_cancel,
        name="relationships-check-in-cancel",
    ),
    path("relationships/cadences/new/", views_checkins.cadence_new, name="relationships-cadence-new"),
    path(
        "relationships/interactions/<int:interaction_id>/",
        views_checkins.interaction_page,
        name="relationships-interaction",
    ),
    path(
        "relationships/next-steps/<int:next_step_id>/commitment/",
        views_checkins.next_step_commit,
        name="relationships-next-step-commit",
    ),
    path("relationships/calendar/", views_checkins.calendar_settings, name="relationships-calendar"),
    path(
        "relationships/accounts/<int:account_id>/profile/",
        views_profile.profile_edit,
        name="relationships-profile-edit",
    ),
    path(
        "relationships/accounts/<int:account_id>/profile/sidebar/",
        views_profile.profile_sidebar,
        name="relationships-profile-sidebar",
    ),
    path("relationships/accounts/<int:account_id>/goals/new/", views_profile.goal_new, name="relationships-goal-new"),
    path("relationships/goals/<int:goal_id>/", views_profile.goal_edit, name="relationships-goal"),
    path("relationships/goals/<int:goal_id>/achieve/", views_profile.goal_achieve, name="relationships-goal-achieve"),
    path("relationships/goals/<int:goal_id>/abandon/", views_profile.goal_abandon, name="relationships-goal-abandon"),
    path(
        "relationships/accounts/<int:account_id>/key-people/new/",
        views_profile.key_person_new,
        name="relationships-key-person-new",
    ),
    path(
        "relationships/key-people/<int:key_person_id>/", views_profile.key_person_edit, name="relationships-key-person"
    ),
    path(
        "relationships/key-people/<int:key_person_id>/remove/",
        views_profile.key_person_remove,
        name="relationships-key-person-remove",
    ),
    path(
        "relationships/accounts/<int:account_id>/services/new/",
        views_profile.client_service_new,
        name="relationships-service-new",
    ),
    path("relationships/services/<int:service_id>/", views_profile.client_service_edit, name="relationships-service"),
    path("settings/profile-fields/", views_profile.profile_fields_settings, name="settings-profile-fields"),
    path(
        "settings/profile-fields/<int:field_id>/", views_profile.profile_fields_settings, name="settings-profile-field"
    ),
    # No login: the secret in the address is the key (calendar programs cannot sign in).
    path("calendar/<str:token>.ics", feed.calendar_feed, name="relationships-calendar-feed"),
    path("relationships/follow-ups/", views_followups.followups_page, name="relationships-follow-ups"),
    path(
        "relationships/contacts/<int:contact_id>/outreach/",
        views_followups.contact_outreach,
        name="relationships-contact-outreach",
    ),
    path("settings/follow-ups/", views_followups.followup_rules, name="settings-follow-ups"),
    path("settings/follow-ups/new/", views_followups.followup_rule_edit, name="settings-follow-up-new"),
    path("settings/follow-ups/<int:rule_id>/", views_followups.followup_rule_edit, name="settings-follow-up"),
    path(
        "settings/follow-ups/<int:rule_id>/deactivate/",
        views_followups.followup_rule_deactivate,
        name="settings-follow-up-deactivate",
    ),
    path("unsubscribe/<str:token>/", views_followups.unsubscribe, name="relationships-unsubscribe"),
]
