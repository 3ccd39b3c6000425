"""Enrolling from the pages when another SDR is working the lead's company: the page asks
(htmx or not), nothing is enrolled until the confirmed second submit; the API answers 409
unless ``confirm``."""

import pytest
from django.contrib.messages import get_messages
from rest_framework.test import APIClient

from api.services import api_token_create
from cadences.models import Enrollment
from leads.models import Lead, LeadState
from tests.factories import CompanyFactory, ProspectFactory
from tests.fixtures import walk

pytestmark = pytest.mark.django_db

QUESTION = "Kari Nordmann is working 1 lead at Acme AS. Enroll anyway?"


@pytest.fixture
def acme(crew):
    crew.sdr2.first_name, crew.sdr2.last_name = "Kari", "Nordmann"
    crew.sdr2.save(update_fields=["first_name", "last_name"])
    company = CompanyFactory(team=crew.team, name="Acme AS", domain="acme.example")
    walk(
        crew.lead(owner="sdr2", prospect=ProspectFactory(team=crew.team, company=company)),
        "researching",
    )
    return company


@pytest.fixture
def lead(crew, acme):
    return crew.lead(
        owner="sdr",
        prospect=ProspectFactory(team=crew.team, company=acme, first_name="Ida", last_name="Olsen"),
    )


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _post(client, lead_ids, cadence, **extra):
    data = {"lead": lead_ids, "cadence": cadence.pk, "next": f"/leads/{lead_ids[0]}/"}
    return client.post("/cadences/enroll/", data | extra.pop("data", {}), **extra)


def test_the_lead_page_asks_and_enrolls_only_when_confirmed(crew, lead, standard, now, client):
    client.force_login(crew.sdr)

    asked = _post(client, [lead.pk], standard)

    assert asked.status_code == 200
    assert [t.name for t in asked.templates][:2] == [
        "cadences/enroll_confirm.html",
        "base.html",
    ]
    page = asked.content.decode()
    assert f'<li data-lead="{lead.pk}"><strong>Ida Olsen</strong>: {QUESTION}</li>' in page
    assert '<input type="hidden" name="confirm" value="1">' in page
    assert f'<input type="hidden" name="lead" value="{lead.pk}">' in page
    assert f'<input type="hidden" name="cadence" value="{standard.pk}">' in page
    assert f'<a class="button" href="/leads/{lead.pk}/">Cancel</a>' in page
    assert not Enrollment.objects.filter(lead=lead).exists()
    assert Lead.objects.get(pk=lead.pk).state == LeadState.NEW

    confirmed = _post(client, [lead.pk], standard, data={"confirm": "1"})

    assert (confirmed.status_code, confirmed["Location"]) == (302, f"/leads/{lead.pk}/")
    assert _messages(confirmed) == ["1 lead enrolled."]
    assert Enrollment.objects.get(lead=lead).status == "active"


def test_with_htmx_the_question_replaces_the_form_and_the_confirmation_reloads(
    crew, lead, standard, now, client
):
    client.force_login(crew.sdr)
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert 'hx-post="/cadences/enroll/" hx-target="this" hx-swap="outerHTML"' in page

    asked = _post(client, [lead.pk], standard, HTTP_HX_REQUEST="true")

    assert asked.status_code == 200
    fragment = asked.content.decode()
    assert fragment.startswith('<section class="card enroll-confirm" id="enroll-confirm"')
    assert "<html" not in fragment
    assert QUESTION in fragment
    assert 'hx-post="/cadences/enroll/" hx-target="#enroll-confirm"' in fragment
    assert not Enrollment.objects.filter(lead=lead).exists()

    confirmed = _post(client, [lead.pk], standard, data={"confirm": "1"}, HTTP_HX_REQUEST="true")

    assert (confirmed.status_code, confirmed["HX-Redirect"]) == (200, f"/leads/{lead.pk}/")
    assert Enrollment.objects.get(lead=lead).status == "active"


def test_a_selection_enrolls_the_others_and_asks_about_the_worked_one(
    crew, lead, standard, now, client
):
    plain = crew.lead(owner="sdr")
    client.force_login(crew.sdr)

    asked = client.post(
        "/cadences/enroll/",
        {"lead": [plain.pk, lead.pk], "cadence": standard.pk, "next": "/leads/"},
    )

    assert asked.status_code == 200
    page = asked.content.decode()
    assert f'<input type="hidden" name="lead" value="{lead.pk}">' in page
    assert f'<input type="hidden" name="lead" value="{plain.pk}">' not in page
    assert set(Enrollment.objects.values_list("lead_id", flat=True)) == {plain.pk}
    assert _messages(asked) == ["1 lead enrolled."]


def test_a_forged_confirmation_for_another_teams_lead_enrolls_nothing(
    crew, other_crew, standard, now, client
):
    theirs = other_crew.lead(owner="sdr")
    client.force_login(crew.sdr)

    response = client.post(
        "/cadences/enroll/",
        {"lead": [theirs.pk], "cadence": standard.pk, "next": "/leads/", "confirm": "1"},
    )

    assert (response.status_code, response["Location"]) == (302, "/leads/")
    assert _messages(response) == [f"Lead #{theirs.pk} not enrolled: not found"]
    assert not Enrollment.objects.exists()


def test_the_api_answers_409_unless_confirmed(crew, lead, acme, standard, now):
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {api_token_create(actor=crew.sdr, name='tests').raw}"
    )
    body = {"lead_id": lead.pk, "cadence_id": standard.pk}

    refused = client.post("/api/enrollments/", body, format="json")

    assert refused.status_code == 409
    assert refused.json() == {
        "detail": "Kari Nordmann is working 1 lead at Acme AS.",
        "state": "new",
        "version": Lead.objects.get(pk=lead.pk).version,
        "code": "company_worked",
        "workers": [{"owner_id": crew.sdr2.pk, "owner": "Kari Nordmann", "leads": 1}],
    }
    assert not Enrollment.objects.filter(lead=lead).exists()

    confirmed = client.post("/api/enrollments/", body | {"confirm": True}, format="json")

    assert confirmed.status_code == 201
    assert confirmed.json()["id"] == Enrollment.objects.get(lead=lead).pk


def test_with_htmx_a_form_without_a_cadence_reloads_the_page_with_the_message(
    crew, lead, now, client
):
    client.force_login(crew.sdr)

    response = client.post(
        "/cadences/enroll/",
        {"lead": [lead.pk], "cadence": "", "next": f"/leads/{lead.pk}/"},
        HTTP_HX_REQUEST="true",
    )

    assert (response.status_code, response["HX-Redirect"]) == (200, f"/leads/{lead.pk}/")
    assert _messages(response) == ["Select leads and a cadence to enroll them in."]
    assert not Enrollment.objects.exists()
