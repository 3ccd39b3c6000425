from django.contrib.auth import views as auth_views
from django.urls import path

from security import views as security_views

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/language/", views.language_set, name="language_set"),
    path("team/calendar/", views.team_calendar, name="team_calendar"),
    path("team/calendar/remove/", views.team_calendar_remove, name="team_calendar_remove"),
    path(
        "password/",
        security_views.PasswordChangeView.as_view(),  # audited
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="accounts/password_change_done.html"
        ),
        name="password_change_done",
    ),
]
