from django.contrib.auth import views as auth_views
from django.urls import path

from carefront.web import views

app_name = "web"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
