"""The leads resource: list, create, update; bad input (4xx, nothing changed)."""

# ruff: noqa: E501  (the tables of bad input and their messages read best one case a line)

import pytest

from leads.models import Lead, Prospect
from tests.fixtures import walk

from .helpers import lead_state as _lead_state

# --- Leads ------------------------------------------------------------------------------------


def test_lead_list_filters_like_the_page_and_pages_with_a_cursor(crew, api, other_crew):
    mine = [crew.lead() for _ in range(3)]
    walk(mine[0], "researching")
    crew.lead(owner="sdr2")  # a team-mate's: not visible
    other_crew.lead()  # another team's
    client = api(crew.sdr)

    everything = client.get("/api/leads/").json()
    researching = client.get("/api/leads/?state=researching").json()

    assert everything["count"] == 3
    assert [r["id"] for r in everything["results"]] == [m.pk for m in reversed(mine)]
    assert [r["id"] for r in researching["results"]] == [mine[0].pk]
    first = client.get("/api/leads/?page_size=2&sort=created").json()
    assert first["next"] is None  # page_size is not a lead list parameter: 50 a page
    assert first["count"] == 3


def test_lead_list_cursor_walks_every_row_once(crew, api, settings):
    settings.SDRCRM_LEAD_PAGE_SIZE = 2
    leads = [crew.lead() for _ in range(5)]
    client = api(crew.sdr)

    seen, url = [], "/api/leads/?sort=created"
    while url:
        page = client.get(url).json()
        seen += [r["id"] for r in page["results"]]
        url = page["next"]

    assert seen == [lead.pk for lead in leads]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("state=flying", "state"),
        ("score_min=abc", "score_min"),
        ("score_max=101", "score_max"),
        ("created_from=yesterday", "created_from"),
        ("sort=random", "sort"),
        ("owner=somebody", "owner"),
    ],
)
def test_lead_list_refuses_a_bad_filter(crew, api, query, field):
    response = api(crew.sdr).get(f"/api/leads/?{query}")

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_a_forged_cursor_gives_the_first_page(crew, api):
    lead = crew.lead()
    response = api(crew.sdr).get("/api/leads/?cursor=!!not-base64!!")
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [lead.pk]


def test_create_a_lead(crew, api):
    response = api(crew.sdr).post(
        "/api/leads/",
        {
            "first_name": "Nina",
            "last_name": "Ny",
            "email": "Nina@NY.example",
            "source": "inbound",
            "company_name": "Ny AS",
            "company_website": "https://www.ny.example/",
            "company_employee_count": 40,
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    lead = Lead.objects.get(pk=body["id"])
    assert (lead.owner_id, lead.state, lead.source) == (crew.sdr.pk, "new", "inbound")
    assert body["prospect"]["email"] == "nina@ny.example"
    assert body["prospect"]["company"]["domain"] == "ny.example"
    assert list(lead.events.values_list("kind", flat=True)) == ["created"]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"first_name": ["This field is required."]}),
        ({"first_name": "A", "shoe_size": 44}, {"shoe_size": ["Unknown field."]}),
        ({"first_name": ["A"]}, {"first_name": ["Not a valid string."]}),
        ({"first_name": "A", "email": "not-an-email"}, {"email": ["Enter a valid email address."]}),
        ({"first_name": "A", "source": "carrier pigeon"}, {"source": ['"carrier pigeon" is not a valid choice.']}),
        ({"first_name": "A", "company_employee_count": "many"}, {"company_employee_count": ["A valid integer is required."]}),
        ({"first_name": "A", "time_zone": "Mars/Olympus"}, {"time_zone": ["Time zone 'Mars/Olympus' is not a known time zone; use a name like Europe/Oslo."]}),
        ({"first_name": "A", "company_website": "not a domain"}, {"company_website": ["Website 'not a domain' is not a web address."]}),
    ],
)  # fmt: skip
def test_create_refuses_bad_input_and_changes_nothing(crew, api, body, errors):
    response = api(crew.sdr).post("/api/leads/", body, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert Lead.objects.count() == 0
    assert Prospect.objects.count() == 0


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"first_name": "A",', "The body is not valid JSON"),
        (b"[1, 2]", "The body must be a JSON object."),
        (b'"just a string"', "The body must be a JSON object."),
        (b"\xff\xfe", "The body is not valid JSON"),
    ],
)
def test_malformed_json_is_400(crew, api, raw, message):
    response = api(crew.sdr).post("/api/leads/", raw, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith(message)
    assert Lead.objects.count() == 0


def test_a_body_over_the_limit_is_413(crew, api, settings):
    settings.SDRCRM_API_MAX_BODY = 1000
    body = b'{"first_name": "' + b"A" * 1000 + b'"}'

    response = api(crew.sdr).post("/api/leads/", body, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {"detail": "The body is larger than the limit of 1000 bytes."}
    assert Lead.objects.count() == 0


def test_other_content_types_are_415(crew, api):
    response = api(crew.sdr).post("/api/leads/", "first_name=A", content_type="text/plain")
    assert response.status_code == 415
    assert Lead.objects.count() == 0


def test_duplicate_email_is_a_clear_400(crew, api):
    lead = crew.lead()
    response = api(crew.sdr).post(
        "/api/leads/",
        {"first_name": "Again", "email": lead.prospect.email, "company_name": "Acme"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "email": [f"A lead for this email already exists (lead #{lead.pk})."]
    }


def test_partial_update_keeps_what_is_not_sent(crew, api):
    lead = crew.lead()
    prospect = lead.prospect

    response = api(crew.sdr).patch(
        f"/api/leads/{lead.pk}/", {"title": "CTO", "version": 1}, format="json"
    )

    assert response.status_code == 200
    prospect.refresh_from_db()
    assert (prospect.title, prospect.first_name, prospect.email) == (
        "CTO",
        lead.prospect.first_name,
        lead.prospect.email,
    )
    assert prospect.company.domain == lead.prospect.company.domain
    assert response.json()["version"] == 2
    event = lead.events.get()
    assert (event.kind, event.body) == ("edit", "Edited title")


def test_update_with_an_old_version_is_409_and_changes_nothing(crew, api):
    lead = walk(crew.lead(), "researching")
    before = _lead_state(lead.pk)

    response = api(crew.sdr).patch(
        f"/api/leads/{lead.pk}/", {"title": "CTO", "version": 1}, format="json"
    )

    assert response.status_code == 409
    body = response.json()
    assert (body["state"], body["version"]) == ("researching", 2)
    assert body["detail"].startswith("This lead was changed by ")
    assert _lead_state(lead.pk) == before
    assert Prospect.objects.get(pk=lead.prospect_id).title == "CEO"


def test_update_needs_the_version(crew, api):
    lead = crew.lead()
    response = api(crew.sdr).patch(f"/api/leads/{lead.pk}/", {"title": "CTO"}, format="json")
    assert (response.status_code, response.json()) == (
        400,
        {"version": ["This field is required."]},
    )


def test_put_and_delete_are_405(crew, api):
    lead = crew.lead()
    client = api(crew.sdr)
    assert client.put(f"/api/leads/{lead.pk}/", {}, format="json").status_code == 405
    assert client.delete(f"/api/leads/{lead.pk}/").status_code == 405
    assert Lead.objects.filter(pk=lead.pk).exists()
