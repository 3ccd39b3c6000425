from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("", views.subject, name="subject"),
    path("export/", views.subject_export, name="subject_export"),
    path("erase/", views.subject_erase, name="subject_erase"),
    path("leads/<int:lead_id>/export/", views.prospect_export, name="export"),
    path("leads/<int:lead_id>/erase/", views.prospect_erase, name="erase"),
]
