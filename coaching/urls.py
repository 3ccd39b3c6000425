from django.urls import path

from . import views

app_name = "coaching"
urlpatterns = [
    path("", views.feedback_list, name="list"),
    path("leads/<int:lead_id>/", views.feedback_create, name="create"),
    path("<int:feedback_id>/acknowledge/", views.feedback_acknowledge, name="acknowledge"),
]
