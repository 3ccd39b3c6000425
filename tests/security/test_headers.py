"""Security headers on every page of the project (the URL list of test_auth_pages), for a
logged-in user and for anonymous visitors, and pages without inline script or style."""

import re
from pathlib import Path

import pytest

from cadences.services import cadence_ensure_standard
from tests.accounts.test_auth_pages import PUBLIC, _project_paths

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
PARTIALS = TEMPLATES.parent / "partials"  # the Jinja2 ones (sdrcrm/partials.py)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<[^>]+\sstyle\s*=|<style", re.I)
HTMX_EVAL = re.compile(
    r"hx-on|hx-vars|hx-vals\s*=\s*['\"]\s*(js|javascript):|hx-trigger=\"[^\"]*\[", re.I
)


@pytest.fixture
def https(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True


@pytest.fixture
def now_paths(crew):
    """Every project URL, with the ids of real objects where there are some."""
    lead = crew.lead(owner="sdr")
    cadence = cadence_ensure_standard(team_id=crew.team.pk, actor=crew.manager)
    ids = {"lead_id": str(lead.pk), "cadence_id": str(cadence.pk), "ae_id": str(crew.ae.pk)}
    return sorted(set(_project_paths_with(ids)))


def _project_paths_with(ids):
    import tests.accounts.test_auth_pages as pages

    saved = dict(pages.SAMPLE_ARGS)
    pages.SAMPLE_ARGS.update(ids)
    try:
        return pages._project_paths()
    finally:
        pages.SAMPLE_ARGS.clear()
        pages.SAMPLE_ARGS.update(saved)


def _directives(policy: str) -> dict[str, str]:
    return dict(part.strip().partition(" ")[::2] for part in policy.split(";"))


def _assert_headers(response, path, secure=True):
    where = f"{path} ({response.status_code})"
    assert _directives(response["Content-Security-Policy"]) == _directives(CSP), where
    assert response["X-Frame-Options"] == "DENY", where
    assert response["Referrer-Policy"] == "same-origin", where
    assert response["X-Content-Type-Options"] == "nosniff", where
    assert response["Cross-Origin-Opener-Policy"] == "same-origin", where
    if secure:
        assert (
            response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
        ), where


def _assert_no_inline(response, path):
    if not response["Content-Type"].startswith("text/html"):
        return
    html = response.content.decode()
    assert not INLINE_SCRIPT.findall(html), path
    assert not INLINE_HANDLER.findall(html), path
    assert not INLINE_STYLE.findall(html), path


@pytest.mark.parametrize("role", ["sdr", "manager", "admin", "ae", "marketing"])
def test_every_page_has_the_security_headers_and_no_inline_code(
    crew, now_paths, client, https, role
):
    client.force_login(getattr(crew, role))
    assert len(now_paths) == len(_project_paths())
    for path in now_paths:
        if path == "/logout/":
            continue  # GET answers 405; the POST below logs out
        response = client.get(path, secure=True)
        _assert_headers(response, path)
        _assert_no_inline(response, path)
    response = client.post("/logout/", secure=True)
    _assert_headers(response, "/logout/")


def test_anonymous_pages_have_the_headers_too(db, client, https, settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_out": str(tmp_path)}
    for path in sorted(PUBLIC) + ["/leads/", "/admin/login/"]:
        response = client.get(path, secure=True)
        _assert_headers(response, path)
        _assert_no_inline(response, path)


def test_plain_http_is_redirected_to_https_but_the_health_check(db, client, https, settings):
    settings.CELERY_BROKER_URL = "memory://"
    response = client.get("/leads/")
    assert (response.status_code, response["Location"]) == (301, "https://testserver/leads/")
    assert client.get("/healthz").status_code in (200, 503)  # answered, not redirected


def test_login_cookies_are_secure_and_http_only(crew, client, https):
    page = client.get("/login/", secure=True)
    csrf = page.cookies["csrftoken"]
    assert (csrf["secure"], csrf["httponly"], csrf["samesite"]) == (True, True, "Lax")

    response = client.post(
        "/login/", {"username": crew.sdr.username, "password": "pw-for-tests-1"}, secure=True
    )

    session = response.cookies["sessionid"]
    assert response.status_code == 302
    assert (session["secure"], session["httponly"], session["samesite"]) == (True, True, "Lax")


def test_no_template_has_inline_script_handler_or_style():
    offenders = []
    partials = sorted(PARTIALS.rglob("*.jinja"))
    assert len(partials) >= 6
    for template in sorted(TEMPLATES.rglob("*.html")) + partials:
        text = template.read_text()
        for pattern in (INLINE_SCRIPT, INLINE_HANDLER, INLINE_STYLE, HTMX_EVAL):
            offenders += [f"{template.relative_to(TEMPLATES.parent)}: {m}"
                          for m in pattern.findall(text)]  # fmt: skip
    assert offenders == []


def test_htmx_is_told_not_to_inject_styles_or_evaluate_code(crew, client):
    client.force_login(crew.sdr)
    html = client.get("/leads/").content.decode()
    assert (
        '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false, '
        '"allowEval": false, "allowScriptTags": false}\'>'
    ) in html
    # htmx itself comes from django-htmx's static files, never a CDN.
    assert re.findall(r'<script src="([^"]+)"', html) == [
        "/static/django_htmx/htmx-2.min.js", "/static/js/app.js",
    ]  # fmt: skip


def test_every_admin_list_and_form_has_the_headers_and_no_inline_code(crew, client, https):
    from django.contrib import admin

    client.force_login(crew.admin)
    paths = ["/admin/"]
    for model in admin.site._registry:
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        paths += [base, base + "add/"]
    paths.append(f"/admin/accounts/user/{crew.sdr.pk}/change/")
    paths.append(f"/admin/accounts/user/{crew.sdr.pk}/password/")
    for path in paths:
        response = client.get(path, secure=True)
        assert response.status_code in (200, 403), path  # 403: read-only models
        _assert_headers(response, path)
        _assert_no_inline(response, path)
