from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("", include("accounts.urls")),
    path("leads/", include("leads.urls")),
    path("admin/", admin.site.urls),
]
