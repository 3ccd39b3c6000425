from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from cadences import views as cadence_views

from . import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("", include("accounts.urls")),
    path("leads/", include("leads.urls")),
    path("cadences/", include("cadences.urls")),
    path("qualification/", include("qualification.urls")),
    path("today/", cadence_views.today, name="today"),
    path("u/<str:token>/", cadence_views.unsubscribe, name="unsubscribe"),
    path("account/two-factor/", include("security.urls")),
    path("privacy/", include("privacy.urls")),
    path("admin/", admin.site.urls),
]
if settings.ANYMAIL.get("WEBHOOK_SECRET"):  # bounces and complaints from the email provider
    urlpatterns.append(path("anymail/", include("privacy.webhook_urls")))
