"""Every way a lead is made or edited passes the same gate (leads/fields.py): the lead form
(create and edit), the API (create and PATCH), the public web form and the import. Each refuses
the same bad website with a clear error and stores nothing, and stores the same bare domain as
the same address."""

import uuid

import pytest
from rest_framework.test import APIClient

from api.services import api_token_create
from intake.models import ImportIssue, InboundCapture, IssueKind, WebForm
from leads.models import Company, Lead
from tests.factories import CompanyFactory, ProspectFactory
from tests.intake.conftest import run_import

from .helpers import lead_snapshot, world_counts

pytestmark = pytest.mark.django_db

SCHEME = "is refused: use an http:// or https:// address."
BAD = [
    ("javascript://host/%0Aalert(document.cookie)",
     f"Website 'javascript://host/%0Aalert(document.cookie)' {SCHEME}"),
    ("javascript://fjord.example/%0Aalert(document.cookie)",
     f"Website 'javascript://fjord.example/%0Aalert(document.cookie)' {SCHEME}"),
    ("JavaScript:alert(1)", f"Website 'JavaScript:alert(1)' {SCHEME}"),
    ("data:text/html,<script>alert(1)</script>",
     f"Website 'data:text/html,<script>alert(1)</script>' {SCHEME}"),
    ("vbscript:msgbox(1)", f"Website 'vbscript:msgbox(1)' {SCHEME}"),
    ("ftp://fjord.example", f"Website 'ftp://fjord.example' {SCHEME}"),
    ("not a website", "Website 'not a website' is not a web address."),
]  # fmt: skip
# (typed, stored): the same on every path.
GOOD = [
    ("fjord.example", "https://fjord.example"),
    ("  HTTPS://WWW.Fjord.Example/Om ", "https://www.fjord.example/Om"),
    ("blåbær.no", "https://blåbær.no"),
]


@pytest.fixture(autouse=True)
def _own_cache_prefix(settings):
    # The web form's rate limit counts in Redis: a prefix of this test's own.
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "KEY_PREFIX": f"t-{uuid.uuid4().hex[:12]}"},
    }


def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(actor=user, name='t').raw}")
    return client


@pytest.fixture
def lead(crew):
    prospect = ProspectFactory(
        first_name="Ola", last_name="Hansen", email="ola@brygge.example", title="CEO",
        company=CompanyFactory(name="Brygge", domain="brygge.example",
                               website="https://brygge.example", country="NO"),
    )  # fmt: skip
    return crew.lead(owner="sdr", prospect=prospect)


def _form(**changes) -> dict:
    data = {
        "first_name": "Kari", "last_name": "Nordmann", "email": "kari@fjord.example",
        "company_name": "Fjord AS", "source": "outbound",
    }  # fmt: skip
    data.update(changes)
    return data


def _edit_form(lead, **changes) -> dict:
    data = _form(
        first_name="Ola", last_name="Hansen", email="ola@brygge.example", title="CEO",
        company_name="Brygge", company_website="https://brygge.example", company_country="NO",
        source=lead.source, version=str(lead.version),
    )  # fmt: skip
    data.update(changes)
    return data


def _csv(website: str) -> bytes:
    return (
        f'First name,Email,Company,Website\nKari,kari@fjord.example,Fjord AS,"{website}"\n'
    ).encode()


def _website_of(email: str) -> str:
    return Lead.objects.select_related("prospect__company").get(
        prospect__email=email
    ).prospect.company.website


# --- Refused on every path, nothing stored ------------------------------------------------------


@pytest.mark.parametrize(("website", "message"), BAD)
def test_the_lead_form_refuses_a_bad_website(crew, client, website, message):
    client.force_login(crew.sdr)
    before = world_counts()

    response = client.post("/leads/new/", _form(company_website=website))

    assert response.status_code == 400
    assert response.context["form"].errors == {"company_website": [message]}
    assert world_counts() == before


@pytest.mark.parametrize(("website", "message"), BAD)
def test_the_lead_edit_form_refuses_a_bad_website(crew, client, lead, website, message):
    client.force_login(crew.sdr)
    before, counts = lead_snapshot(lead.pk), world_counts()

    response = client.post(f"/leads/{lead.pk}/edit/", _edit_form(lead, company_website=website))

    assert response.status_code == 400
    assert response.context["form"].errors == {"company_website": [message]}
    assert (lead_snapshot(lead.pk), world_counts()) == (before, counts)


@pytest.mark.parametrize(("website", "message"), BAD)
def test_the_api_create_refuses_a_bad_website(crew, website, message):
    before = world_counts()

    response = api(crew.sdr).post(
        "/api/leads/", _form(company_website=website), format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"company_website": [message]}
    assert world_counts() == before


@pytest.mark.parametrize(("website", "message"), BAD)
def test_the_api_patch_refuses_a_bad_website(crew, lead, website, message):
    before, counts = lead_snapshot(lead.pk), world_counts()

    response = api(crew.sdr).patch(
        f"/api/leads/{lead.pk}/",
        {"company_website": website, "version": lead.version},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"company_website": [message]}
    assert (lead_snapshot(lead.pk), world_counts()) == (before, counts)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("linkedin_url", "javascript:alert(1)", f"LinkedIn profile 'javascript:alert(1)' {SCHEME}"),
        ("company_linkedin_url", "https://evil.example/in/x",
         "Company LinkedIn 'https://evil.example/in/x' is not a linkedin.com address."),
        ("time_zone", "Mars/Olympus",
         "Time zone 'Mars/Olympus' is not a known time zone; use a name like Europe/Oslo."),
        ("company_country", "XX",
         "Country 'XX' is not recognised: use a two-letter code such as NO."),
        ("title", "CEO\x1b[2J", "Job title contains a control character (U+001B)."),
    ],
)  # fmt: skip
def test_the_api_patch_refuses_every_gated_field(crew, lead, field, value, message):
    before = lead_snapshot(lead.pk)

    response = api(crew.sdr).patch(
        f"/api/leads/{lead.pk}/", {field: value, "version": lead.version}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {field: [message]}
    assert lead_snapshot(lead.pk) == before


@pytest.mark.parametrize(("website", "message"), BAD)
def test_the_web_form_refuses_a_bad_website(crew, client, website, message):
    form = WebForm.objects.create(team=crew.team, name="Contact us")
    before = world_counts()

    response = client.post(
        f"/in/{form.token}/",
        {"first_name": "Kari", "email": "kari@fjord.example", "website": website},
        HTTP_ACCEPT="application/json",
        REMOTE_ADDR="203.0.113.9",
    )

    assert response.status_code == 400
    assert response.json() == {"ok": False, "error": message}
    assert world_counts() == before
    assert InboundCapture.objects.count() == 0


def test_the_web_form_refuses_a_control_character_in_any_field(crew, client):
    form = WebForm.objects.create(team=crew.team, name="Contact us")
    before = world_counts()

    response = client.post(
        f"/in/{form.token}/",
        {"first_name": "Kari", "email": "kari@fjord.example", "message": "Hi\x1b[2J"},
        HTTP_ACCEPT="application/json",
        REMOTE_ADDR="203.0.113.9",
    )

    assert response.status_code == 400
    assert response.json() == {
        "ok": False,
        "error": "The field 'message' contains a control character (U+001B).",
    }
    assert world_counts() == before and InboundCapture.objects.count() == 0


@pytest.mark.parametrize(("website", "message"), BAD)
def test_the_import_rejects_a_row_with_a_bad_website(crew, website, message):
    before = world_counts()

    job = run_import(crew.marketing, _csv(website))

    assert (job.status, job.created_count, job.rejected_count) == ("done", 0, 1)
    assert list(
        ImportIssue.objects.filter(job=job, kind=IssueKind.REJECTED).values_list("line", "reason")
    ) == [(2, message)]
    assert world_counts() == before


# --- The same bare domain, the same stored address ----------------------------------------------


@pytest.mark.parametrize(("typed", "stored"), GOOD)
def test_every_path_stores_a_website_identically(crew, client, lead, typed, stored):
    client.force_login(crew.sdr)
    response = client.post("/leads/new/", _form(email="a@form.example", company_website=typed))
    assert response.status_code == 302
    assert _website_of("a@form.example") == stored

    response = api(crew.sdr).post(
        "/api/leads/", _form(email="b@api.example", company_website=typed), format="json"
    )
    assert response.status_code == 201
    assert response.json()["prospect"]["company"]["website"] == stored
    assert _website_of("b@api.example") == stored

    form = WebForm.objects.create(team=crew.team, name="Contact us")
    response = client.post(
        f"/in/{form.token}/",
        {"first_name": "C", "email": "c@web.example", "website": typed},
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 200
    assert _website_of("c@web.example") == stored

    job = run_import(crew.marketing, _csv(typed).replace(b"kari@fjord", b"d@import"))
    assert (job.status, job.created_count) == ("done", 1)
    assert _website_of("d@import.example") == stored


@pytest.mark.parametrize(("typed", "stored"), GOOD)
def test_the_update_paths_store_a_website_identically(crew, client, lead, typed, stored):
    client.force_login(crew.sdr)
    response = client.post(f"/leads/{lead.pk}/edit/", _edit_form(lead, company_website=typed))
    assert response.status_code == 302
    assert _website_of("ola@brygge.example") == stored

    lead.refresh_from_db()
    # Back to the old address, then the API's PATCH to the new one.
    Company.objects.filter(website=stored).update(website="https://other.example")
    response = api(crew.sdr).patch(
        f"/api/leads/{lead.pk}/",
        {"company_website": typed, "version": lead.version},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["prospect"]["company"]["website"] == stored
    assert _website_of("ola@brygge.example") == stored


def test_the_api_normalises_linkedin_time_zone_and_country(crew):
    response = api(crew.sdr).post(
        "/api/leads/",
        _form(
            linkedin_url="linkedin.com/in/kari", time_zone="europe/oslo",
            company_linkedin_url="WWW.LinkedIn.com/company/fjord", company_country="no",
            company_time_zone="europe/stockholm", email="Kari@Fjord.Example",
        ),
        format="json",
    )  # fmt: skip

    assert response.status_code == 201
    p = Lead.objects.select_related("prospect__company").get(pk=response.json()["id"]).prospect
    assert (p.email, p.linkedin_url, p.time_zone) == (
        "kari@fjord.example",
        "https://linkedin.com/in/kari",
        "Europe/Oslo",
    )
    c = p.company
    assert (c.linkedin_url, c.country, c.time_zone) == (
        "https://www.linkedin.com/company/fjord",
        "NO",
        "Europe/Stockholm",
    )


CREATED_AT = {"created_at_0": "2026-01-05", "created_at_1": "10:00:00"}


@pytest.mark.parametrize(("website", "message"), BAD)
def test_the_admin_refuses_a_bad_website(crew, client, website, message):
    client.force_login(crew.admin)
    before = world_counts()

    response = client.post(
        "/admin/leads/company/add/",
        {"name": "Fjord AS", "website": website, "team": crew.team.pk, **CREATED_AT},
    )

    assert response.status_code == 200  # the form again, with its errors
    # Django's own URL check refuses most first; it lets ftp: through, and the gate refuses it.
    expected = [message] if website.startswith("ftp:") else ["Enter a valid URL."]
    assert response.context["adminform"].form.errors == {"website": expected}
    assert world_counts() == before


def test_the_admin_stores_a_bare_domain_as_the_other_paths_do(crew, client):
    client.force_login(crew.admin)

    response = client.post(
        "/admin/leads/company/add/",
        {"name": "Fjord AS", "website": "Fjord.example", "domain": "WWW.Fjord.example",
         "country": "no", "time_zone": "europe/oslo", "team": crew.team.pk, **CREATED_AT},
    )  # fmt: skip

    assert response.status_code == 302
    c = Company.objects.get(name="Fjord AS")
    assert (c.website, c.domain, c.country, c.time_zone) == (
        "https://fjord.example",
        "fjord.example",
        "NO",
        "Europe/Oslo",
    )
