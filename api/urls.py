"""/api/: the REST API (token or session auth), its schema and docs, and inbound webhooks.

API views answer 401/403 as JSON themselves, so Django's login redirect is off for them
(DRF's views opt out of LoginRequiredMiddleware; login_not_required says so explicitly); the
docs page is a browser page and keeps it."""

from anymail import urls as anymail_urls
from django.contrib.auth.decorators import login_not_required, login_required
from django.urls import URLPattern, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import imports, views, webhooks

app_name = "api"

_api = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("leads/", views.LeadListView.as_view(), name="leads"),
    path("leads/<int:lead_id>/", views.LeadDetailView.as_view(), name="lead"),
    path(
        "leads/<int:lead_id>/transitions/<str:name>/",
        views.LeadTransitionView.as_view(),
        name="lead_transition",
    ),
    path("leads/<int:lead_id>/timeline/", views.LeadTimelineView.as_view(), name="lead_timeline"),
    path(
        "leads/<int:lead_id>/qualification/",
        views.LeadQualificationView.as_view(),
        name="lead_qualification",
    ),
    path("prospects/", views.ProspectListView.as_view(), name="prospects"),
    path("prospects/<int:prospect_id>/", views.ProspectDetailView.as_view(), name="prospect"),
    path("companies/", views.CompanyListView.as_view(), name="companies"),
    path("companies/<int:company_id>/", views.CompanyDetailView.as_view(), name="company"),
    path("cadences/", views.CadenceListView.as_view(), name="cadences"),
    path("cadences/<int:cadence_id>/", views.CadenceDetailView.as_view(), name="cadence"),
    path(
        "cadences/<int:cadence_id>/preview/",
        views.CadencePreviewView.as_view(),
        name="cadence_preview",
    ),
    path("enrollments/", views.EnrollmentListView.as_view(), name="enrollments"),
    path(
        "enrollments/<int:enrollment_id>/",
        views.EnrollmentDetailView.as_view(),
        name="enrollment",
    ),
    path("tasks/", views.TaskListView.as_view(), name="tasks"),
    path("imports/", imports.ImportListView.as_view(), name="imports"),
    path("imports/<int:job_id>/", imports.ImportDetailView.as_view(), name="import"),
    path("imports/<int:job_id>/start/", imports.ImportStartView.as_view(), name="import_start"),
    path(
        "imports/<int:job_id>/issues/", imports.ImportIssueListView.as_view(), name="import_issues"
    ),
]
for _pattern in _api:
    login_not_required(_pattern.callback)

# django-anymail's provider webhooks (…/anymail/postmark/tracking/ etc.), each view wrapped.
_anymail = [
    URLPattern(p.pattern, webhooks.anymail_view(p.callback), p.default_args, p.name)
    for p in anymail_urls.urlpatterns
]

urlpatterns = [
    *_api,
    # A browser page: anonymous visitors go to the login page (DRF views opt out of it).
    path(
        "docs/",
        login_required(
            SpectacularSwaggerSplitView.as_view(
                url_name="api:schema", template_name="api/swagger_ui.html"
            )
        ),
        name="docs",
    ),
    path("webhooks/inbound/<int:team_id>/", webhooks.inbound_generic, name="inbound"),
    path("webhooks/anymail/", include((_anymail, "anymail"))),
]
