from django.urls import path

from . import reason_views, views

app_name = "leads"
urlpatterns = [
    path("", views.lead_list, name="list"),
    path("new/", views.lead_create, name="create"),
    path("export/", views.lead_export, name="export"),
    path("overview/", views.overview, name="overview"),
    path("bulk-assign/", views.lead_bulk_assign, name="bulk_assign"),
    path("reasons/", reason_views.reason_list, name="reasons"),
    path("reasons/<int:reason_id>/", reason_views.reason_change, name="reason_change"),
    path("<int:lead_id>/", views.lead_detail, name="detail"),
    path("<int:lead_id>/edit/", views.lead_edit, name="edit"),
    path("<int:lead_id>/transition/<slug:name>/", views.lead_transition, name="transition"),
    path("<int:lead_id>/notes/", views.lead_note, name="note"),
    path("<int:lead_id>/checklist/", views.lead_checklist, name="checklist"),
    path("<int:lead_id>/claim/", views.lead_claim, name="claim"),
]
