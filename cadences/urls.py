from django.urls import path

from . import views

app_name = "cadences"
urlpatterns = [
    path("", views.cadence_list, name="list"),
    path("new/", views.cadence_create, name="create"),
    path("standard/", views.cadence_add_standard, name="add_standard"),
    path("snippets/", views.snippet_list, name="snippets"),
    path("steps/preview/", views.step_preview, name="step_preview"),
    path("enroll/", views.enroll, name="enroll"),
    path("holiday/", views.holiday, name="holiday"),
    path("<int:cadence_id>/", views.cadence_detail, name="detail"),
    path("<int:cadence_id>/edit/", views.cadence_edit, name="edit"),
    path("<int:cadence_id>/copy/", views.cadence_copy, name="copy"),
    path("<int:cadence_id>/archive/", views.cadence_archive, name="archive"),
    path("enrollments/<int:enrollment_id>/pause/", views.enrollment_pause, name="pause"),
    path("enrollments/<int:enrollment_id>/resume/", views.enrollment_resume, name="resume"),
    path("enrollments/<int:enrollment_id>/stop/", views.enrollment_stop, name="stop"),
    path("leads/<int:lead_id>/reply/", views.lead_reply, name="reply"),
    path("leads/<int:lead_id>/calls/", views.lead_call, name="lead_call"),
    path("leads/<int:lead_id>/reminders/", views.reminder_create, name="reminder_create"),
    path("reminders/<int:reminder_id>/done/", views.reminder_done, name="reminder_done"),
    path("touches/<int:touch_id>/complete/", views.touch_complete, name="complete"),
    path("touches/<int:touch_id>/skip/", views.touch_skip, name="skip"),
    path("touches/<int:touch_id>/release/", views.touch_release, name="release"),
    path("touches/<int:touch_id>/override/", views.touch_override, name="override"),
    path("touches/<int:touch_id>/scrap/", views.touch_scrap, name="scrap"),
    path("touches/<int:touch_id>/settle/", views.touch_settle, name="settle"),
    path("proposal/dismiss/", views.dismiss_proposal, name="dismiss_proposal"),
]
