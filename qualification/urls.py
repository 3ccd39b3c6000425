from django.urls import path

from . import views

app_name = "qualification"
urlpatterns = [
    path("model/", views.scoring_model, name="model"),
    path("leads/<int:lead_id>/", views.lead_qualify, name="qualify"),
    path("leads/<int:lead_id>/preview/", views.lead_qualify_preview, name="preview"),
    path("leads/<int:lead_id>/accept/", views.handoff_accept, name="accept"),
    path("leads/<int:lead_id>/reject/", views.handoff_reject, name="reject"),
    path("queue/", views.ae_queue, name="queue"),
    path("handoffs/", views.handoffs, name="handoffs"),
    path("aes/<int:ae_id>/", views.ae_profile, name="ae_profile"),
]
