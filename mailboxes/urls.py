from django.urls import path

from . import views

app_name = "mailboxes"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("connect/", views.connect, name="connect"),
    path("test/", views.retest, name="test"),
    path("disconnect/", views.disconnect, name="disconnect"),
    path("limits/", views.limits, name="limits"),
    path("oauth/start/", views.oauth_start, name="oauth_start"),
    path("oauth/callback/", views.oauth_callback, name="oauth_callback"),
    path("team/", views.team, name="team"),
]
