"""The one error model (sdrcrm/errors.py): each domain error becomes the same answer wherever it
is raised, by ``sdrcrm.middleware.DomainErrorMiddleware`` for pages and by
``api.errors.exception_handler`` for the API; and no service or selector raises an HTTP
exception or imports Django's HTTP layer (a scan of the source)."""

import ast
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from sdrcrm import urls as project_urls
from sdrcrm.errors import Conflict, Invalid, NotAllowed, NotFound
from tests.factories import UserFactory

ERRORS = {
    "not-found": NotFound("No such thing."),
    "not-allowed": NotAllowed("You may not do that."),
    "conflict": Conflict("Someone else changed it first."),
    "invalid": Invalid("The date is in the past.", field="recycle_on"),
}


def _page(request, kind: str):
    raise ERRORS[kind]


class _ApiView(APIView):
    service_error_fields = {"recycle_on": "recycle_date"}

    def get(self, request, kind: str):
        raise ERRORS[kind]

    def post(self, request, kind: str):  # pragma: no cover - never reached
        return Response({})


# The project's URLs (the error page and the base template link to them) and two of the test's.
urlpatterns = [
    path("errors/<str:kind>/", _page),
    path("api/errors/<str:kind>/", _ApiView.as_view()),
    *project_urls.urlpatterns,
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture
def client_in(client):
    client.force_login(UserFactory())
    return client


# --- Pages ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind,status", [("not-found", 404), ("not-allowed", 403), ("conflict", 409), ("invalid", 400)]
)
def test_a_page_get_answers_the_errors_status(client_in, kind, status):
    response = client_in.get(f"/errors/{kind}/")
    assert response.status_code == status
    if status in (409, 400):  # templates/error.html with the message
        assert [t.name for t in response.templates][0] == "error.html"
        assert response.context["message"] == str(ERRORS[kind])


@pytest.mark.parametrize("kind,status", [("not-found", 404), ("not-allowed", 403)])
def test_a_post_not_found_or_not_allowed_is_the_status_page_even_with_a_referer(
    client_in, kind, status
):
    response = client_in.post(f"/errors/{kind}/", HTTP_REFERER="http://testserver/leads/")
    assert response.status_code == status
    assert list(get_messages(response.wsgi_request)) == []


@pytest.mark.parametrize("kind", ["conflict", "invalid"])
def test_a_post_from_a_page_of_the_site_goes_back_there_with_the_message(client_in, kind):
    response = client_in.post(f"/errors/{kind}/", HTTP_REFERER="http://testserver/leads/7/")
    assert response.status_code == 302
    assert response["Location"] == "http://testserver/leads/7/"
    assert [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)] == [
        ("error", str(ERRORS[kind]))
    ]


@pytest.mark.parametrize("kind,status", [("conflict", 409), ("invalid", 400)])
@pytest.mark.parametrize(
    "referer", ["http://evil.example/leads/", "//evil.example/", "javascript:alert(1)", None]
)
def test_a_post_from_elsewhere_gets_the_error_page_not_a_redirect(client_in, kind, status, referer):
    headers = {"HTTP_REFERER": referer} if referer else {}
    response = client_in.post(f"/errors/{kind}/", **headers)
    assert response.status_code == status
    assert response.context["message"] == str(ERRORS[kind])
    assert list(get_messages(response.wsgi_request)) == []


@pytest.mark.parametrize(
    "kind,status", [("not-found", 404), ("not-allowed", 403), ("conflict", 409), ("invalid", 400)]
)
def test_an_htmx_post_gets_the_status_not_a_redirect(client_in, kind, status):
    response = client_in.post(
        f"/errors/{kind}/", HTTP_REFERER="http://testserver/leads/", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == status
    assert list(get_messages(response.wsgi_request)) == []


# --- API --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind,status,body",
    [
        ("not-found", 404, {"detail": "No such thing."}),
        ("not-allowed", 403, {"detail": "You may not do that."}),
        ("conflict", 409, {"detail": "Someone else changed it first."}),
        # the field is named as the API names it (the view's service_error_fields)
        ("invalid", 400, {"recycle_date": ["The date is in the past."]}),
    ],
)
def test_the_api_answers_each_error_with_its_status_and_json(client_in, kind, status, body):
    response = client_in.get(f"/api/errors/{kind}/")
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json() == body


def test_an_api_error_without_a_field_is_a_non_field_error(client_in, monkeypatch):
    monkeypatch.setitem(ERRORS, "invalid", Invalid("Nothing to import."))
    response = client_in.get("/api/errors/invalid/")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Nothing to import."]}


# --- Services never speak HTTP ----------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent

# The project's apps: every directory beside manage.py with an apps.py.
APPS = sorted(p.parent.name for p in ROOT.glob("*/apps.py"))
# Apps whose services are converted on their own branches: remove each when it is merged, until
# this is empty and the scan covers every app.
NOT_YET_CONVERTED: tuple[str, ...] = ()
# Modules that are selectors in all but name.
EXTRA_DOMAIN_MODULES = {"dashboards": ("metrics",)}
HTTP_MODULES = ("django.http", "django.core.exceptions.PermissionDenied")
HTTP_NAMES = {"Http404", "PermissionDenied"}


def _domain_modules(app: str) -> list[Path]:
    """An app's service and selector modules: ``services.py``/``selectors.py`` or the modules of
    ``services/``/``selectors/`` packages."""
    base = ROOT / app
    found = []
    for name in ("services", "selectors", *EXTRA_DOMAIN_MODULES.get(app, ())):
        if (base / f"{name}.py").exists():
            found.append(base / f"{name}.py")
        found.extend(sorted((base / name).rglob("*.py")) if (base / name).is_dir() else [])
    return found


def _http_uses(source: str) -> list[str]:
    uses = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if node.module == "django.http" or full in HTTP_MODULES:
                    uses.append(f"line {node.lineno}: from {node.module} import {alias.name}")
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names if a.name == "django.http"]
            uses += [f"line {node.lineno}: import {name}" for name in names]
        elif isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            name = exc.attr if isinstance(exc, ast.Attribute) else getattr(exc, "id", "")
            if name in HTTP_NAMES:
                uses.append(f"line {node.lineno}: raise {name}")
    return uses


def test_the_scan_finds_what_it_looks_for():
    source = (
        "from django.http import Http404\n"
        "from django.core.exceptions import PermissionDenied\n"
        "def f():\n    raise Http404('x')\n"
        "def g():\n    raise exceptions.PermissionDenied\n"
    )
    assert _http_uses(source) == [
        "line 1: from django.http import Http404",
        "line 2: from django.core.exceptions import PermissionDenied",
        "line 4: raise Http404",
        "line 6: raise PermissionDenied",
    ]


def test_the_scan_covers_the_apps_with_services():
    assert set(NOT_YET_CONVERTED) <= set(APPS)
    scanned = [a for a in APPS if a not in NOT_YET_CONVERTED and _domain_modules(a)]
    assert scanned == [
        "accounts", "api", "audit", "cadences", "coaching", "dashboards", "inbox", "intake",
        "leads", "mailboxes", "notifications", "privacy", "qualification", "suppression",
    ]


@pytest.mark.parametrize("app", [a for a in APPS if a not in NOT_YET_CONVERTED])
def test_services_and_selectors_raise_domain_errors_only(app):
    modules = _domain_modules(app)
    found = {
        str(m.relative_to(ROOT)): uses
        for m in modules
        if (uses := _http_uses(m.read_text(encoding="utf-8")))
    }
    assert found == {}
