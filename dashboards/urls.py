from django.urls import path

from . import views

app_name = "dashboards"
urlpatterns = [
    path("", views.pipeline, name="pipeline"),
    path("activity/", views.activity, name="activity"),
    path("commission/", views.commission, name="commission"),
    path("commission/export/<slug:fmt>/", views.commission_export, name="commission_export"),
    path("cadences/", views.cadences, name="cadences"),
    path("time-in-stage/", views.stages, name="stages"),
    path("leads/", views.figure_leads, name="leads"),
]
