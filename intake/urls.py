from django.urls import path

from . import views

app_name = "intake"
urlpatterns = [
    path("", views.import_list, name="list"),
    path("<int:job_id>/", views.import_detail, name="detail"),
    path("<int:job_id>/leads/", views.import_leads, name="leads"),
    path("<int:job_id>/preview/", views.import_preview, name="preview"),
    path("<int:job_id>/start/", views.import_start, name="start"),
    path("<int:job_id>/issues.csv", views.import_issues_csv, name="issues_csv"),
    path("web-forms/", views.webform_list, name="webforms"),
    path(
        "web-forms/<int:form_id>/deactivate/", views.webform_deactivate, name="webform_deactivate"
    ),
]
