from django.urls import path

from . import views

app_name = "security"

urlpatterns = [
    path("", views.two_factor, name="two_factor"),
    path("remove/", views.two_factor_remove, name="two_factor_remove"),
    path("verify/", views.verify, name="verify"),
]
