"""URLs of the workspace area: accounts."""

from django.urls import path

from carefront.web import account_views

urlpatterns = [
    path("accounts/", account_views.account_list, name="accounts"),
    path("accounts/<int:account_id>/", account_views.account_page, name="account"),
    path(
        "accounts/<int:account_id>/service-model/",
        account_views.account_service_model,
        name="account-service-model",
    ),
]
