from django.contrib import admin
from django.urls import include, path

from cadences import views as cadence_views
from intake import views as intake_views

from . import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("", include("accounts.urls")),
    path("leads/", include("leads.urls")),
    path("cadences/", include("cadences.urls")),
    path("qualification/notifications/", include("notifications.urls")),
    path("qualification/", include("qualification.urls")),
    path("imports/", include("intake.urls")),
    path("in/<str:token>/", intake_views.webform_submit, name="webform_submit"),
    path("dashboards/", include("dashboards.urls")),
    path("coaching/", include("coaching.urls")),
    path("today/", cadence_views.today, name="today"),
    path("u/<str:token>/", cadence_views.unsubscribe, name="unsubscribe"),
    path("api/", include("api.urls")),
    path("settings/", include("api.page_urls")),
    path("mailboxes/", include("mailboxes.urls")),
    path("account/two-factor/", include("security.urls")),
    path("privacy/", include("privacy.urls")),
    path("admin/", admin.site.urls),
]

# The product's own error pages (sdrcrm/errorpages.py), whenever DEBUG is off.
handler400 = "sdrcrm.errorpages.bad_request"
handler403 = "sdrcrm.errorpages.permission_denied"
handler404 = "sdrcrm.errorpages.page_not_found"
handler500 = "sdrcrm.errorpages.server_error"
