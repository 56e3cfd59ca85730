"""The workspace's Insights screens, the ticket page's insight card and Settings → Insights, in the `web` namespace."""

from django.urls import path

from carefront.insights import manage_views, views, views_goals, views_scorecards

urlpatterns = [
    path("insights/", views.insights_page, name="insights"),
    path("insights/reviews/<int:review_id>/accept/", views.review_accept_view, name="insights-review-accept"),
    path("insights/reviews/<int:review_id>/decline/", views.review_decline_view, name="insights-review-decline"),
    path("insights/refresh/", views.refresh_view, name="insights-refresh"),
    path("insights/accounts/<int:account_id>/card/", views.account_card, name="insights-card"),
    path("insights/goals/", views_goals.goals_view, name="insights-goals"),
    path("insights/goals/<int:goal_id>/", views_goals.goal_view, name="insights-goal"),
    path("insights/goals/<int:goal_id>/archive/", views_goals.goal_archive_view, name="insights-goal-archive"),
    path("insights/scorecards/", views_scorecards.scorecards_view, name="insights-scorecards"),
    path("insights/scorecards/people/", views_scorecards.scorecards_people_view, name="insights-scorecards-people"),
    path(
        "insights/scorecards/drill/<str:name>/",
        views_scorecards.scorecards_drill_view,
        name="insights-scorecards-drill",
    ),
    path(
        "insights/scorecards/drill/<str:name>/csv/",
        views_scorecards.scorecards_drill_csv,
        name="insights-scorecards-drill-csv",
    ),
    path(
        "insights/scorecards/table/<str:name>/<str:dimension>/csv/",
        views_scorecards.scorecards_table_csv,
        name="insights-scorecards-table-csv",
    ),
    path("insights/segments/", manage_views.segments_view, name="insights-segments"),
    path("insights/segments/<int:segment_id>/", manage_views.segment_view, name="insights-segment"),
    path(
        "insights/segments/<int:segment_id>/delete/",
        manage_views.segment_delete_view,
        name="insights-segment-delete",
    ),
    path("settings/insights/", manage_views.settings_view, name="settings-insights"),
]
