"""A team is a workspace (issue 16): team A holds Kari (a closed lead with a brief, notes, a
call, her phone and title) at Fjordkraft. Team B then makes a lead of the same person and
company by every path (lead form, API, web form, import). B gets a prospect and a company of
its own; nothing B sees reveals that A holds her; nothing B does changes a row of A's."""

import uuid

import pytest
from django.forms.models import model_to_dict

from intake import services as intake_services
from intake.models import InboundCapture, IssueKind, WebForm
from leads.models import Company, EventKind, Lead, LeadEvent, Prospect
from leads.services import (
    LeadData,
    TransitionParams,
    lead_add_note,
    lead_create,
    lead_log_call,
    lead_transition,
    lead_update,
)
from tests.fixtures import walk
from tests.intake.conftest import run_import, upload
from tests.intake.files import csv_bytes

pytestmark = pytest.mark.django_db

KARI = "kari.nordmann@fjordkraft.example"
A_SECRETS = [
    "+47 999 11 222", "Chief Secret Officer", "in/kari-a", "Fjordkraft Holding ASA",
    "A's brief: budget approved", "A's note: likes fjords", "A's call: ring in May",
]  # fmt: skip


@pytest.fixture(autouse=True)
def _own_cache_prefix(settings):
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "KEY_PREFIX": f"t-{uuid.uuid4().hex[:12]}"},
    }


@pytest.fixture
def theirs(crew):
    """Team A's accepted lead of Kari, with everything A recorded about her."""
    lead, _ = lead_create(
        actor=crew.sdr,
        data=LeadData(
            first_name="Kari", last_name="Nordmann", email=KARI, phone="+47 999 11 222",
            title="Chief Secret Officer", linkedin_url="https://www.linkedin.com/in/kari-a",
            company_name="Fjordkraft Holding ASA", company_website="https://fjordkraft.example",
            company_industry="Energy", company_employee_count=900,
        ),
    )  # fmt: skip
    lead_add_note(actor=crew.sdr, lead_id=lead.pk, body="A's note: likes fjords")
    lead_log_call(actor=crew.sdr, lead_id=lead.pk, outcome="connected",
                  notes="A's call: ring in May")  # fmt: skip
    walk(lead, "qualified", sdr=crew.sdr)
    lead_transition(
        actor=crew.sdr, lead_id=lead.pk, name="hand_off",
        params=TransitionParams(ae_id=crew.ae.pk, brief="A's brief: budget approved"),
    )  # fmt: skip
    lead_transition(actor=crew.ae, lead_id=lead.pk, name="accept", params=TransitionParams())
    return Lead.objects.select_related("prospect__company").get(pk=lead.pk)


def a_rows(lead: Lead) -> dict:
    """Every row of team A's about Kari, as values, to compare before and after."""
    return {
        "prospect": model_to_dict(Prospect.objects.get(pk=lead.prospect_id)),
        "company": model_to_dict(Company.objects.get(pk=lead.prospect.company_id)),
        "lead": model_to_dict(Lead.objects.get(pk=lead.pk)),
        "events": list(LeadEvent.objects.filter(lead=lead).order_by("pk").values()),
    }


def assert_b_has_its_own(b_lead: Lead, theirs: Lead, other_crew) -> Prospect:
    mine = Prospect.objects.select_related("company").get(pk=b_lead.prospect_id)
    assert b_lead.team_id == other_crew.team.pk
    assert mine.pk != theirs.prospect_id
    assert (mine.team_id, mine.email) == (other_crew.team.pk, KARI)
    assert mine.company is not None
    assert mine.company.pk != theirs.prospect.company_id
    assert (mine.company.team_id, mine.company.domain) == (other_crew.team.pk, "fjordkraft.example")
    # Nothing A recorded came over.
    for value in model_to_dict(mine).values():
        assert str(value) not in A_SECRETS
    assert (mine.phone, mine.linkedin_url) == ("", "")  # B typed none
    assert (mine.company.name, mine.company.employee_count) != ("Fjordkraft Holding ASA", 900)
    return mine


def test_the_service_creates_bs_own_prospect_and_company(crew, other_crew, theirs):
    before = a_rows(theirs)
    lead, notices = lead_create(
        actor=other_crew.sdr,
        data=LeadData(first_name="Kari", email=" KARI.Nordmann@fjordkraft.example ",
                      company_name="Fjordkraft", company_website="www.fjordkraft.example"),
    )  # fmt: skip
    assert notices == []  # no "known from an earlier lead", no "linked to the company"
    assert_b_has_its_own(lead, theirs, other_crew)
    assert a_rows(theirs) == before


def test_the_lead_form_creates_bs_own_prospect_and_reveals_nothing(
    crew, other_crew, theirs, client
):
    before = a_rows(theirs)
    client.force_login(other_crew.sdr)
    response = client.post(
        "/leads/new/",
        {"first_name": "Kari", "email": KARI, "company_name": "Fjordkraft",
         "company_website": "https://fjordkraft.example", "source": "inbound"},
    )  # fmt: skip
    lead = Lead.objects.get(team=other_crew.team)
    assert response["Location"] == f"/leads/{lead.pk}/"
    assert_b_has_its_own(lead, theirs, other_crew)
    page = client.get(f"/leads/{lead.pk}/", follow=True).content.decode()
    for secret in A_SECRETS:
        assert secret not in page.replace("&#x27;", "'")
    assert "workspace" not in page and "known from an earlier lead" not in page
    assert a_rows(theirs) == before


def test_the_api_creates_bs_own_prospect_and_answers_none_of_as_fields(
    crew, other_crew, theirs, client
):
    before = a_rows(theirs)
    client.force_login(other_crew.sdr)
    response = client.post(
        "/api/leads/",
        {"first_name": "Kari", "email": KARI, "company_website": "fjordkraft.example"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.content.decode()
    for secret in A_SECRETS:
        assert secret not in body
    data = response.json()
    lead = Lead.objects.get(pk=data["id"])
    mine = assert_b_has_its_own(lead, theirs, other_crew)
    assert (data["prospect"]["id"], data["prospect"]["company"]["id"]) == (
        mine.pk, mine.company_id
    )  # fmt: skip
    assert (data["prospect"]["phone"], data["prospect"]["title"]) == ("", "")
    assert a_rows(theirs) == before


def test_b_editing_its_lead_leaves_as_rows_unchanged(crew, other_crew, theirs, client):
    lead, _ = lead_create(
        actor=other_crew.sdr,
        data=LeadData(first_name="Kari", email=KARI, company_website="fjordkraft.example"),
    )
    before = a_rows(theirs)
    lead_update(
        actor=other_crew.sdr, lead_id=lead.pk, expected_version=lead.version,
        data=LeadData(first_name="Karianne", email=KARI, phone="+47 1", title="CTO",
                      company_name="Fjordkraft B", company_website="fjordkraft.example",
                      company_industry="Retail", company_employee_count=3, source=lead.source),
    )  # fmt: skip
    mine = Prospect.objects.select_related("company").get(pk=lead.prospect_id)
    assert (mine.first_name, mine.title, mine.company.name, mine.company.employee_count) == (
        "Karianne", "CTO", "Fjordkraft B", 3
    )  # fmt: skip
    # Through the API too: a PATCH of B's lead.
    client.force_login(other_crew.sdr)
    lead.refresh_from_db()
    response = client.patch(
        f"/api/leads/{lead.pk}/",
        {"title": "CEO", "company_industry": "Media", "version": lead.version},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert a_rows(theirs) == before


def test_b_cannot_read_as_company_or_prospect_through_the_api(crew, other_crew, theirs, client):
    mine, _ = lead_create(
        actor=other_crew.manager,
        data=LeadData(first_name="Kari", email=KARI, company_website="fjordkraft.example"),
    )
    mine = Lead.objects.select_related("prospect").get(pk=mine.pk)
    client.force_login(other_crew.manager)
    for path in (
        f"/api/companies/{theirs.prospect.company_id}/",
        f"/api/prospects/{theirs.prospect_id}/",
    ):
        assert client.get(path).status_code == 404
        assert client.patch(path, {"name": "X"}, content_type="application/json").status_code in (
            404, 405
        )  # fmt: skip
    assert client.get(f"/api/companies/{mine.prospect.company_id}/").status_code == 200
    companies = client.get("/api/companies/").json()["results"]
    prospects = client.get("/api/prospects/").json()["results"]
    assert [c["id"] for c in companies] == [mine.prospect.company_id]
    assert [p["id"] for p in prospects] == [mine.prospect_id]
    # The admin sees both teams' rows.
    client.force_login(crew.admin)
    assert client.get(f"/api/companies/{theirs.prospect.company_id}/").status_code == 200
    assert len(client.get("/api/companies/").json()["results"]) == 2


def test_the_web_form_creates_bs_own_lead_not_a_note_on_as(crew, other_crew, theirs, client):
    before = a_rows(theirs)
    form = WebForm.objects.create(team=other_crew.team, name="Contact")
    response = client.post(
        f"/in/{form.token}/",
        {"first_name": "Kari", "email": KARI, "company": "Fjordkraft",
         "website": "fjordkraft.example", "message": "Call me"},
        REMOTE_ADDR="203.0.113.7",
    )  # fmt: skip
    assert response.status_code == 200
    lead = Lead.objects.get(team=other_crew.team)
    assert_b_has_its_own(lead, theirs, other_crew)
    capture = InboundCapture.objects.get(form=form)
    assert (capture.outcome, capture.lead_id) == ("created", lead.pk)
    assert a_rows(theirs) == before
    # Submitted again: noted on B's own lead, still nothing on A's.
    client.post(f"/in/{form.token}/", {"first_name": "Kari", "email": KARI},
                REMOTE_ADDR="203.0.113.8")  # fmt: skip
    assert Lead.objects.filter(team=other_crew.team).count() == 1
    assert LeadEvent.objects.filter(lead=lead, kind=EventKind.NOTE).count() == 2
    assert a_rows(theirs) == before


def kari_file() -> bytes:
    return csv_bytes(
        ["First Name", "Last Name", "Email", "Company", "Website", "Job Title"],
        [["Kari", "Nordmann", KARI, "Fjordkraft", "https://fjordkraft.example", "Buyer"],
         ["Ola", "Hansen", "ola@fjordkraft.example", "Fjordkraft", "https://fjordkraft.example",
          "CEO"]],
    )  # fmt: skip


@pytest.mark.parametrize("duplicates", ["skip", "update_empty"])
def test_the_import_creates_bs_own_rows_and_reports_no_duplicate(
    crew, other_crew, theirs, duplicates
):
    before = a_rows(theirs)
    job = upload(other_crew.marketing, kari_file())
    preview = intake_services.import_preview(job, job.mapping, job.header_row)
    assert [(p.line, p.duplicate) for p in preview] == [(2, ""), (3, "")]
    job = run_import(other_crew.marketing, kari_file(), duplicates=duplicates)
    assert (job.status, job.created_count, job.duplicate_count) == ("done", 2, 0)
    assert list(job.issues.filter(kind=IssueKind.DUPLICATE)) == []
    lead = Lead.objects.get(team=other_crew.team, prospect__email=KARI)
    mine = assert_b_has_its_own(lead, theirs, other_crew)
    assert mine.title == "Buyer"
    ola = Prospect.objects.get(email="ola@fjordkraft.example")
    assert (ola.team_id, ola.company_id) == (other_crew.team.pk, mine.company_id)
    assert a_rows(theirs) == before


def test_the_import_counts_only_the_teams_own_people_as_already_in_the_crm(crew, other_crew):
    job = run_import(crew.marketing, kari_file())
    assert job.created_count == 2
    # Team A again: both are A's duplicates; team B: none are.
    again = run_import(crew.marketing, kari_file(), name="again.csv")
    assert (again.created_count, again.duplicate_count) == (0, 2)
    assert list(again.issues.filter(kind=IssueKind.DUPLICATE).values_list("reason", flat=True)) == [
        f"{KARI}: already in the CRM", "ola@fjordkraft.example: already in the CRM"
    ]  # fmt: skip
    b = run_import(other_crew.marketing, kari_file())
    assert (b.created_count, b.duplicate_count) == (2, 0)
    assert Prospect.objects.filter(email=KARI).count() == 2
    assert Company.objects.filter(domain="fjordkraft.example").count() == 2
