"""Every error page is the product's own (sdrcrm/errorpages.py): 400, 403, 404, 500 and the CSRF
failure, in the site's layout for a logged-in user and a plain one otherwise, each saying what
happened and offering a way back; never Django's pages (the URL patterns, a traceback). Also
under `make run`, which serves with DEBUG off and the static files from the source tree."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from leads.models import LeadEvent
from tests.html import parse
from tests.leads.helpers import lead_snapshot

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
NAV = {"aria-label": "Main"}


def _page(response):
    doc = parse(response.content.decode())
    section = doc.one("section", class_="error-page")
    return doc, section


def _way_back(section) -> list[tuple[str, str]]:
    return [(a.text, a["href"]) for a in section.one("p", class_="error-way-back").find_all("a")]


def _site_layout(doc) -> bool:
    return bool(doc.find_all("nav", aria_label="Main"))


# --- 404 ------------------------------------------------------------------------------------------


def test_an_unknown_address_is_the_products_404_in_the_site_layout(crew, client):
    client.force_login(crew.manager)

    response = client.get("/no-such-page/", HTTP_REFERER="http://testserver/leads/")

    assert response.status_code == 404
    doc, section = _page(response)
    assert _site_layout(doc)
    assert doc.one("title").text == "Page not found · sdrcrm"
    assert section.one("h1").text == "Page not found"
    assert section.one("p", class_="muted").text == "Error 404"
    assert _way_back(section) == [
        ("Back to the previous page", "http://testserver/leads/"),
        ("Go to your start page", "/"),
    ]
    content = response.content.decode()
    for technical in ("URLconf", "urlpatterns", "Page not found (404)", "Request Method", "DEBUG"):
        assert technical not in content


def test_a_404_without_login_has_the_plain_layout_and_a_way_to_log_in(client):
    response = client.get("/no-such-page/", HTTP_REFERER="https://evil.example/")

    assert response.status_code == 404
    doc, section = _page(response)
    assert not _site_layout(doc)
    assert doc.one("a", class_="brand")["href"] == "/"
    assert _way_back(section) == [("Log in", "/login/")]  # no way back to another site


def test_someone_elses_lead_says_what_the_service_said(crew, other_crew, client):
    lead = other_crew.lead(owner="sdr")
    client.force_login(crew.manager)

    response = client.get(f"/leads/{lead.pk}/")

    assert response.status_code == 404
    _doc, section = _page(response)
    assert section.one("p", role="alert").text == "No such lead"


# --- 403 ------------------------------------------------------------------------------------------


def test_a_page_the_role_may_not_open_is_the_products_403(crew, client):
    client.force_login(crew.marketing)

    response = client.get("/leads/", HTTP_REFERER="http://testserver/imports/")

    assert response.status_code == 403
    doc, section = _page(response)
    assert _site_layout(doc)
    assert section.one("h1").text == "You cannot open this page"
    assert section.find_all("p", role="alert") == []  # a bare PermissionDenied: no message
    assert _way_back(section) == [
        ("Back to the previous page", "http://testserver/imports/"),
        ("Go to your start page", "/"),
    ]


def test_a_service_refusal_shows_its_reason(crew, client):
    from tests.intake.conftest import upload
    from tests.intake.files import people

    job = upload(crew.sdr, people(1))
    client.force_login(crew.sdr)
    form = {**{f"col_{i}": f for i, f in job.mapping.items()}, "header_row": "1",
            "source": "marketing_list", "assignment": "one", "assignees": [str(crew.sdr2.pk)],
            "duplicates": "skip", "all_or_nothing": "0"}  # fmt: skip

    response = client.post(f"/imports/{job.pk}/start/", form)

    assert response.status_code == 403
    _doc, section = _page(response)
    assert section.one("p", role="alert").text == (
        "SDRs import leads for themselves or the team's pool."
    )


# --- CSRF ---------------------------------------------------------------------------------------


def test_a_form_without_its_token_is_the_products_page_and_saves_nothing(crew):
    lead = crew.lead(owner="sdr")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(crew.sdr)
    before = lead_snapshot(lead.pk)

    response = browser.post(f"/leads/{lead.pk}/notes/", {"body": "Forged."},
                            HTTP_REFERER=f"http://testserver/leads/{lead.pk}/")  # fmt: skip

    assert response.status_code == 403
    doc, section = _page(response)
    assert _site_layout(doc)
    assert section.one("h1").text == "This form has expired"
    assert "Nothing was saved" in section.text
    assert _way_back(section)[0] == (
        "Back to the previous page",
        f"http://testserver/leads/{lead.pk}/",
    )
    for technical in ("CSRF verification failed", "Reason given", "CSRF_FAILURE_VIEW"):
        assert technical not in response.content.decode()
    assert lead_snapshot(lead.pk) == before
    assert not LeadEvent.objects.filter(lead=lead, kind="note").exists()


def test_the_login_form_without_its_token_has_the_plain_layout(crew):
    browser = Client(enforce_csrf_checks=True)

    response = browser.post("/login/", {"username": crew.sdr.username, "password": "x"})

    assert response.status_code == 403
    doc, section = _page(response)
    assert not _site_layout(doc)
    assert _way_back(section) == [("Log in", "/login/")]
    assert "_auth_user_id" not in browser.session


# --- 400 and 500 --------------------------------------------------------------------------------


def test_a_request_for_an_unknown_host_is_the_products_400(client):
    response = client.get("/", HTTP_HOST="evil.example", HTTP_REFERER="http://evil.example/x")

    assert response.status_code == 400
    doc, section = _page(response)
    assert not _site_layout(doc)
    assert section.one("h1").text == "That request could not be read"
    assert _way_back(section) == [("Log in", "/login/")]


def test_a_nul_in_the_query_is_refused_on_the_plain_page_with_a_way_back(client):
    response = client.get("/leads/?q=a%00b")

    assert response.status_code == 400
    doc, section = _page(response)
    assert not _site_layout(doc)
    assert section.one("h1").text == "Bad request"
    assert "<p>The request holds a NUL character (\\x00), which is refused.</p>" in (
        response.content.decode()
    )
    assert _way_back(section) == [("Go to the start page", "/")]


@pytest.fixture
def broken_lead_list(monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("leads.views.selectors.lead_list", fail)


def test_a_server_error_is_the_products_500_without_a_traceback(crew, broken_lead_list):
    browser = Client(raise_request_exception=False)
    browser.force_login(crew.manager)

    response = browser.get("/leads/")

    assert response.status_code == 500
    doc, section = _page(response)
    assert _site_layout(doc)
    assert section.one("h1").text == "Something went wrong on our side"
    assert _way_back(section) == [("Go to your start page", "/")]
    content = response.content.decode()
    assert "Traceback" not in content and "the database went away" not in content


def test_when_the_site_layout_fails_too_the_500_is_plain(crew, broken_lead_list, monkeypatch):
    monkeypatch.setattr("sdrcrm.errorpages.SITE_LAYOUT", "no/such/layout.html")
    browser = Client(raise_request_exception=False)
    browser.force_login(crew.manager)

    response = browser.get("/leads/")

    assert response.status_code == 500
    doc, section = _page(response)
    assert not _site_layout(doc)
    assert section.one("h1").text == "Something went wrong on our side"


# --- `make run`: DEBUG off, the static files from the source tree --------------------------------

MAKE_RUN_CHECK = """
import django
django.setup()
from django.conf import settings
from django.test import Client
client = Client()
page = client.get("/no-such-page/")
css = client.get("/static/css/app.css")
print(settings.DEBUG, page.status_code, "error-page" in page.content.decode(),
      "URLconf" in page.content.decode(), css.status_code)
"""


def test_make_run_serves_the_products_404_and_the_static_files_from_the_source_tree(tmp_path):
    """scripts/run-dev.sh's defaults (DJANGO_DEBUG=0, SDRCRM_STATIC_FROM_SOURCE=1, SDRCRM_DEV=1):
    the product's 404, and WhiteNoise serves a stylesheet without collectstatic."""
    script = (ROOT / "scripts" / "run-dev.sh").read_text()
    assert "export DJANGO_DEBUG=${DJANGO_DEBUG:-0}" in script
    assert "export SDRCRM_STATIC_FROM_SOURCE=${SDRCRM_STATIC_FROM_SOURCE:-1}" in script
    assert "DJANGO_DEBUG ?= 0" in (ROOT / "Makefile").read_text()
    (tmp_path / "var" / "staticfiles").mkdir(parents=True)  # what run-dev.sh makes
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SDRCRM_"))}
    env.update(DJANGO_SETTINGS_MODULE="sdrcrm.settings", DJANGO_DEBUG="0", SDRCRM_DEV="1",
               SDRCRM_STATIC_FROM_SOURCE="1", SDRCRM_VAR_DIR=str(tmp_path / "var"))  # fmt: skip

    result = subprocess.run([sys.executable, "-c", MAKE_RUN_CHECK], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)  # fmt: skip

    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["False", "404", "True", "False", "200"]
    assert list((tmp_path / "var" / "staticfiles").iterdir()) == []  # nothing collected
