from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("leads/<int:lead_id>/export/", views.prospect_export, name="export"),
    path("leads/<int:lead_id>/erase/", views.prospect_erase, name="erase"),
]
