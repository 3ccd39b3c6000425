"""Every lead has a way to reach the person (email, phone or LinkedIn) and a company or the
reason it has none: the lead form, the API, LeadData (every path) and the import."""

import pytest
from django.contrib.messages import get_messages

from leads.fields import NO_COMPANY_IN_IMPORT, reachability_errors
from leads.models import Lead, Prospect
from leads.services import LeadData, LeadInvalid, lead_create
from tests.fixtures import api_token_for
from tests.html import parse

from .helpers import world_counts

pytestmark = pytest.mark.django_db

REACH = "Give at least one way to reach the person: email, phone or LinkedIn."
COMPANY = "Give the company, or say why there is none (e.g. a private person)."


@pytest.mark.parametrize(
    ("given", "errors"),
    [
        ({"email": "a@b.example", "has_company": True}, {}),
        ({"phone": "+47 900 00 000", "no_company_reason": "Private person"}, {}),
        ({"linkedin_url": "https://www.linkedin.com/in/kari", "has_company": True}, {}),
        ({"has_company": True}, {"email": REACH}),
        ({"email": "a@b.example", "no_company_reason": "  "}, {"no_company_reason": COMPANY}),
        ({}, {"email": REACH, "no_company_reason": COMPANY}),
    ],
)
def test_the_rule(given, errors):
    values = {
        "email": "",
        "phone": "",
        "linkedin_url": "",
        "has_company": False,
        "no_company_reason": "",
    }
    assert reachability_errors(**{**values, **given}) == errors


def test_lead_data_refuses_a_lead_nobody_can_reach():
    with pytest.raises(LeadInvalid) as exc:
        LeadData(first_name="Kari", company_name="Fjordkraft")
    assert (str(exc.value), exc.value.field) == (REACH, "email")
    with pytest.raises(LeadInvalid) as exc:
        LeadData(first_name="Kari", phone="+47 900 00 000")
    assert (str(exc.value), exc.value.field) == (COMPANY, "no_company_reason")


def test_a_company_clears_the_reason_why_there_is_none():
    data = LeadData(
        first_name="Kari", phone="+47 900 00 000", company_name="Fjordkraft", no_company_reason="x"
    )
    assert data.no_company_reason == ""


def test_a_lead_without_company_keeps_its_reason(crew):
    lead, _ = lead_create(
        actor=crew.sdr,
        data=LeadData(first_name="Kari", phone="+47 900 00 000", no_company_reason="Sole trader"),
    )
    p = Prospect.objects.get(pk=lead.prospect_id)
    assert (p.company_id, p.no_company_reason, p.phone) == (None, "Sole trader", "+47 900 00 000")


# --- The lead form -----------------------------------------------------------------------------


def test_the_form_says_what_a_lead_needs(crew, client):
    client.force_login(crew.sdr)
    page = parse(client.get("/leads/new/").content.decode())
    assert page.one("p", id="reach-help").text == (
        "Email, phone or LinkedIn: give at least one way to reach the person."
    )
    assert page.one("p", id="id_no_company_reason_helptext").text == (
        "A lead needs a company or the reason it has none (a private person, a sole trader…)."
    )
    assert page.one("p", id="id_role_helptext").text == (
        "Decision maker is one of the roles: the one who decides."
    )
    assert page.find_all("input", name="is_decision_maker") == []


def test_the_form_refuses_a_lead_without_a_way_to_reach_or_a_company(crew, client):
    client.force_login(crew.sdr)
    before = world_counts()
    response = client.post("/leads/new/", {"first_name": "Kari", "source": "outbound"})
    assert response.status_code == 400
    page = parse(response.content.decode())
    assert page.one("p", id="id_email_error").text == REACH
    assert page.one("p", id="id_no_company_reason_error").text == COMPANY
    assert world_counts() == before


def test_the_form_makes_a_lead_with_a_phone_and_a_reason(crew, client):
    client.force_login(crew.sdr)
    response = client.post(
        "/leads/new/",
        {
            "first_name": "Kari",
            "phone": "+47 900 00 000",
            "no_company_reason": "Private buyer",
            "role": "champion",
            "source": "outbound",
        },
    )
    lead = Lead.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/leads/{lead.pk}/")
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Lead created."]
    p = lead.prospect
    assert (p.email, p.phone, p.company_id, p.no_company_reason, p.role) == (
        None,
        "+47 900 00 000",
        None,
        "Private buyer",
        "champion",
    )


# --- The API -----------------------------------------------------------------------------------


def test_the_api_refuses_a_lead_nobody_can_reach(crew, client):
    token = api_token_for(crew.sdr)
    before = world_counts()
    response = client.post(
        "/api/leads/",
        {"first_name": "Kari", "company_name": "Fjordkraft"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 400
    assert REACH in response.content.decode()
    assert world_counts() == before


def test_the_api_takes_the_reason_why_there_is_no_company(crew, client):
    token = api_token_for(crew.sdr)
    response = client.post(
        "/api/leads/",
        {"first_name": "Kari", "email": "kari@gmail.example", "no_company_reason": "Student"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 201
    prospect = response.json()["prospect"]
    assert (prospect["company"], prospect["no_company_reason"]) == (None, "Student")
    assert "is_decision_maker" not in prospect


# --- The import --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["copy", "staged"])
def test_an_imported_row_without_company_gets_the_imports_reason(crew, monkeypatch, path):
    """A busy team wants its list in: a row with no company (no name, a free-mail address)
    is imported with the reason "Not given in the import", on both of the writer's paths."""
    from intake import engine
    from tests.intake.conftest import run_import

    if path == "staged":
        monkeypatch.setattr(engine, "_write_batch_copy", lambda cursor, **kw: None)
    run_import(
        crew.manager,
        b"email,first name,company\nkari@gmail.com,Kari,\nola@fjordkraft.example,Ola,Fjordkraft\n",
    )
    rows = {
        p.first_name: (p.company.name if p.company else None, p.no_company_reason)
        for p in Prospect.objects.select_related("company")
    }
    assert rows == {"Kari": (None, NO_COMPANY_IN_IMPORT), "Ola": ("Fjordkraft", "")}
