"""Creating and editing a lead through its form: redirects on success, errors next to the
field on bad input (never a 500), duplicates named with a link when the user may see them,
and optimistic locking on edits."""

import html
import re

import pytest
from django.contrib.messages import get_messages

from leads.models import Company, EventKind, Lead, LeadEvent, LeadState, Prospect
from tests.factories import CompanyFactory, ProspectFactory
from tests.fixtures import walk
from tests.leads.helpers import lead_snapshot, world_counts

KARI = "kari.nordmann@fjordkraft.example"
VALID = {
    "first_name": "Kari",
    "last_name": "Nordmann",
    "email": "Kari.Nordmann@Fjordkraft.example",
    "phone": "+47 912 34 567",
    "title": "Head of Sales",
    "role": "decision_maker",
    "linkedin_url": "https://www.linkedin.com/in/kari",
    "time_zone": "Europe/Oslo",
    "company_name": "Fjordkraft Analytics",
    "company_website": "https://www.fjordkraft.example/about",
    "company_industry": "Software",
    "company_employee_count": "140",
    "company_annual_revenue": "25000000",
    "company_country": "no",
    "company_time_zone": "Europe/Oslo",
    "source": "inbound",
}

# (field, bad value, the error shown next to that field)
BAD_INPUT = [
    ("first_name", "", "This field is required."),
    ("first_name", "x" * 101, "Ensure this value has at most 100 characters (it has 101)."),
    ("first_name", "Ka\x00ri", "Null characters are not allowed."),
    ("email", "not-an-email", "Enter a valid email address."),
    ("role", "boss", "Select a valid choice. boss is not one of the available choices."),
    ("linkedin_url", "javascript:alert(1)",
     "LinkedIn profile 'javascript:alert(1)' is refused: use an http:// or https:// address."),
    ("linkedin_url", "https://evil.example/in/kari",
     "LinkedIn profile 'https://evil.example/in/kari' is not a linkedin.com address."),
    ("time_zone", "Mars/Olympus",
     "Time zone 'Mars/Olympus' is not a known time zone; use a name like Europe/Oslo."),
    ("company_time_zone", "Mars/Olympus",
     "Company time zone 'Mars/Olympus' is not a known time zone; use a name like Europe/Oslo."),
    ("company_employee_count", "abc", "Enter a whole number."),
    ("company_employee_count", "-3", "Ensure this value is greater than or equal to 0."),
    ("company_employee_count", "1" * 20,
     "Ensure this value is less than or equal to 10000000."),
    ("company_annual_revenue", "12.5", "Enter a whole amount, without øre or cents."),
    ("company_annual_revenue", "lots", "Enter a whole number."),
    ("company_country", "NOR", "Ensure this value has at most 2 characters (it has 3)."),
    ("company_country", "N", "Country 'N' is not recognised: use a two-letter code such as NO."),
    ("company_country", "XX", "Country 'XX' is not recognised: use a two-letter code such as NO."),
    ("company_website", "not a website", "Website 'not a website' is not a web address."),
    ("company_website", "http://", "Website 'http://' is not a web address."),
    ("company_website", "http://[::1", "Website 'http://[::1' is not a web address."),
    ("company_website", "https://localhost", "Website 'https://localhost' is not a web address."),
    ("company_website", "javascript://host/%0Aalert(document.cookie)",
     "Website 'javascript://host/%0Aalert(document.cookie)' is refused: "
     "use an http:// or https:// address."),
    ("source", "carrier-pigeon",
     "Select a valid choice. carrier-pigeon is not one of the available choices."),
]  # fmt: skip


def _field_error(response, field: str) -> list[str]:
    return [
        html.unescape(error)
        for error in re.findall(
            rf'<p class="field-error" id="id_{field}_error">([^<]*)</p>', response.content.decode()
        )
    ]


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- Create ---------------------------------------------------------------------------------


def test_create_form_page(crew, client):
    client.force_login(crew.sdr)

    response = client.get("/leads/new/")

    content = response.content.decode()
    assert response.status_code == 200
    assert "<h1>New lead</h1>" in content
    assert 'name="owner"' not in content  # an SDR creates for themselves


def test_manager_create_form_offers_the_team_sdrs_and_bdrs_as_owner(crew, other_crew, client):
    client.force_login(crew.manager)

    content = client.get("/leads/new/").content.decode()

    select = content.split('name="owner"', 1)[1].split("</select>", 1)[0]
    offered = re.findall(r'<option value="(\d*)"', select)
    assert sorted(offered) == sorted(["", str(crew.sdr.pk), str(crew.sdr2.pk), str(crew.bdr.pk)])


def test_sdr_creates_a_lead_and_lands_on_it(crew, client):
    client.force_login(crew.sdr)

    response = client.post("/leads/new/", VALID)

    lead = Lead.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/leads/{lead.pk}/")
    assert _messages(response) == ["Lead created."]
    assert (lead.team_id, lead.owner_id, lead.state, lead.source, lead.version) == (
        crew.team.pk, crew.sdr.pk, LeadState.NEW, "inbound", 1,
    )  # fmt: skip
    p = lead.prospect
    assert (p.first_name, p.last_name, p.email, p.role, p.time_zone) == (
        "Kari", "Nordmann", "kari.nordmann@fjordkraft.example", "decision_maker", "Europe/Oslo",
    )  # fmt: skip
    c = p.company
    assert (c.name, c.domain, c.employee_count, c.annual_revenue, c.country) == (
        "Fjordkraft Analytics", "fjordkraft.example", 140, 25000000, "NO",
    )  # fmt: skip
    event = LeadEvent.objects.get(lead=lead)
    assert (event.kind, event.actor_id, event.to_state) == (EventKind.CREATED, crew.sdr.pk, "new")


def test_manager_creates_a_lead_for_an_sdr_or_the_pool(crew, client):
    client.force_login(crew.manager)

    client.post("/leads/new/", dict(VALID, owner=str(crew.bdr.pk)))
    client.post("/leads/new/", dict(VALID, email="nora@x.example", owner=""))

    assert list(Lead.objects.order_by("pk").values_list("owner_id", flat=True)) == [
        crew.bdr.pk, None,
    ]  # fmt: skip


@pytest.mark.parametrize("owner", ["other_sdr", "ae", "9999999"])
def test_manager_cannot_create_for_someone_outside_the_team_sdrs(crew, other_crew, client, owner):
    client.force_login(crew.manager)
    owner_id = {"other_sdr": other_crew.sdr.pk, "ae": crew.ae.pk}.get(owner, owner)
    before = world_counts()

    response = client.post("/leads/new/", dict(VALID, owner=str(owner_id)))

    assert response.status_code == 400
    assert _field_error(response, "owner") == [
        f"Select a valid choice. {owner_id} is not one of the available choices."
    ]
    assert world_counts() == before


def test_sdr_cannot_slip_in_an_owner(crew, client):
    client.force_login(crew.sdr)

    client.post("/leads/new/", dict(VALID, owner=str(crew.sdr2.pk)))

    assert Lead.objects.get().owner_id == crew.sdr.pk


def test_create_links_to_the_existing_company_by_domain(crew, client):
    company = CompanyFactory(
        team=crew.team, name="Fjordkraft", domain="fjordkraft.example", industry="Energy"
    )
    client.force_login(crew.sdr)

    response = client.post("/leads/new/", VALID)

    assert _messages(response) == [
        "Linked to the existing company Fjordkraft (fjordkraft.example).",
        "Lead created.",
    ]
    assert Lead.objects.get().prospect.company_id == company.pk
    assert Company.objects.count() == 1
    company.refresh_from_db()
    assert (company.name, company.industry) == ("Fjordkraft", "Energy")  # never overwritten


def test_duplicate_email_of_a_visible_lead_names_it_and_links_to_it(crew, client):
    existing = crew.lead(owner="sdr", prospect=ProspectFactory(email=KARI))
    client.force_login(crew.sdr)
    before = world_counts()

    response = client.post("/leads/new/", VALID)  # same email, other case

    assert response.status_code == 400
    assert _field_error(response, "email") == [
        f"A lead for this email already exists (lead #{existing.pk})."
    ]
    assert (
        f'<a href="/leads/{existing.pk}/">Open the existing lead #{existing.pk}</a>'
        in response.content.decode()
    )
    assert world_counts() == before


def test_duplicate_email_of_an_invisible_lead_neither_names_nor_links_it(crew, client):
    existing = crew.lead(owner="sdr2", prospect=ProspectFactory(email=KARI))
    client.force_login(crew.sdr)
    before = world_counts()

    response = client.post("/leads/new/", VALID)

    content = response.content.decode()
    assert response.status_code == 400
    assert _field_error(response, "email") == [
        "A lead for this email already exists in your team."
    ]
    assert f"/leads/{existing.pk}/" not in content
    assert f"#{existing.pk}" not in content
    assert world_counts() == before


def test_another_teams_person_and_company_are_neither_used_nor_revealed(
    crew, other_crew, client
):
    theirs = other_crew.lead(
        owner="sdr",
        prospect=ProspectFactory(
            email=KARI, first_name="Kari", phone="+47 999", title="CFO",
            company=CompanyFactory(name="Fjordkraft AS", domain="fjordkraft.example",
                                   industry="Energy", employee_count=900),
        ),
    )  # fmt: skip
    before_prospect = Prospect.objects.filter(pk=theirs.prospect_id).values().get()
    before_company = Company.objects.filter(pk=theirs.prospect.company_id).values().get()
    client.force_login(crew.sdr)

    response = client.post("/leads/new/", VALID)

    lead = Lead.objects.get(team=crew.team)
    assert response["Location"] == f"/leads/{lead.pk}/"
    assert _messages(response) == ["Lead created."]  # nothing "known" or "linked"
    mine = Prospect.objects.select_related("company").get(pk=lead.prospect_id)
    assert mine.pk != theirs.prospect_id and mine.team_id == crew.team.pk
    assert mine.company.pk != theirs.prospect.company_id and mine.company.team_id == crew.team.pk
    assert (mine.phone, mine.title, mine.company.name, mine.company.employee_count) == (
        "+47 912 34 567", "Head of Sales", "Fjordkraft Analytics", 140  # what B typed
    )
    assert Prospect.objects.filter(pk=theirs.prospect_id).values().get() == before_prospect
    assert Company.objects.filter(pk=theirs.prospect.company_id).values().get() == before_company
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert "+47 999" not in page and "Fjordkraft AS" not in page


def test_prospect_with_only_closed_leads_gets_a_new_lead(crew, client):
    old = walk(crew.lead(owner="sdr", prospect=ProspectFactory(email=KARI)),
               "disqualified")  # fmt: skip
    client.force_login(crew.sdr)

    response = client.post("/leads/new/", VALID)

    new = Lead.objects.exclude(pk=old.pk).get()
    assert response["Location"] == f"/leads/{new.pk}/"
    assert new.prospect_id == old.prospect_id
    assert "This prospect was known from an earlier lead: the new lead shares their history." in (
        _messages(response)
    )


@pytest.mark.parametrize(("field", "value", "error"), BAD_INPUT)
def test_create_with_bad_input_shows_the_error_next_to_the_field(crew, client, field, value,
                                                                  error):  # fmt: skip
    client.force_login(crew.sdr)
    before = world_counts()

    response = client.post("/leads/new/", dict(VALID, **{field: value}))

    assert response.status_code == 400
    assert _field_error(response, field) == [error]
    assert world_counts() == before
    # What was typed is kept, so nothing needs typing twice.
    assert 'value="Head of Sales"' in response.content.decode()


# --- Edit -----------------------------------------------------------------------------------


@pytest.fixture
def lead(crew):
    prospect = ProspectFactory(
        first_name="Ola", last_name="Hansen", email="ola@brygge.example", title="CEO",
        company=CompanyFactory(name="Bergen Bryggeri", domain="brygge.example",
                               website="https://brygge.example", industry="Food",
                               employee_count=55, country="NO"),
    )  # fmt: skip
    return crew.lead(owner="sdr", prospect=prospect)


def _edit_data(lead, **changes) -> dict:
    data = {
        "first_name": "Ola", "last_name": "Hansen", "email": "ola@brygge.example",
        "title": "CEO", "company_name": "Bergen Bryggeri",
        "company_website": "https://brygge.example", "company_industry": "Food",
        "company_employee_count": "55", "company_country": "NO", "source": lead.source,
        "version": str(lead.version),
    }  # fmt: skip
    data.update(changes)
    return data


def test_edit_form_is_filled_with_the_lead_and_its_version(crew, client, lead):
    client.force_login(crew.sdr)

    content = client.get(f"/leads/{lead.pk}/edit/").content.decode()

    assert '<input type="hidden" name="version" value="1" id="id_version">' in content
    assert 'name="first_name" value="Ola"' in content
    assert 'name="email" value="ola@brygge.example"' in content
    assert 'name="company_name" value="Bergen Bryggeri"' in content
    assert 'name="company_employee_count" value="55"' in content


def test_edit_saves_and_lands_on_the_lead(crew, client, lead):
    client.force_login(crew.sdr)

    response = client.post(
        f"/leads/{lead.pk}/edit/", _edit_data(lead, title="Founder", company_employee_count="60")
    )

    assert (response.status_code, response["Location"]) == (302, f"/leads/{lead.pk}/")
    assert _messages(response) == ["Lead saved."]
    lead.refresh_from_db()
    assert lead.version == 2
    assert Prospect.objects.get(pk=lead.prospect_id).title == "Founder"
    assert Company.objects.get(domain="brygge.example").employee_count == 60
    event = LeadEvent.objects.get(lead=lead)
    assert (event.kind, event.payload["changes"]) == (
        EventKind.EDIT, {"title": ["CEO", "Founder"], "company_employee_count": ["55", "60"]},
    )  # fmt: skip


def test_edit_without_changes_records_nothing(crew, client, lead):
    client.force_login(crew.sdr)
    before = lead_snapshot(lead.pk)

    response = client.post(f"/leads/{lead.pk}/edit/", _edit_data(lead))

    assert response.status_code == 302
    assert lead_snapshot(lead.pk) == before


def test_edit_with_a_stale_version_is_a_conflict_and_changes_nothing(crew, client, lead):
    client.force_login(crew.sdr)
    form_version = lead.version
    walk(lead, "researching")  # the manager or another tab moved it meanwhile
    before = lead_snapshot(lead.pk)

    response = client.post(
        f"/leads/{lead.pk}/edit/", _edit_data(lead, title="Founder", version=str(form_version))
    )

    content = response.content.decode()
    assert response.status_code == 400
    assert re.search(
        rf'<div class="form-error" role="alert"><p>This lead was changed by {crew.sdr} at '
        r"\d\d:\d\d after you opened the form\. Nothing was saved: reload it and make your "
        r"change again\.</p></div>",
        content,
    )
    assert 'value="Founder"' in content  # what the user typed is still there
    assert lead_snapshot(lead.pk) == before


@pytest.mark.parametrize(
    ("version", "error"),
    [
        ("", "This lead was changed by someone else after you opened the form."),
        ("99", "This lead was changed by someone else after you opened the form."),
        ("abc", "This form is out of date: reload the page and try again."),
    ],
)
def test_edit_with_a_missing_or_forged_version_says_so_and_changes_nothing(
    crew, client, lead, version, error
):
    client.force_login(crew.sdr)
    before = lead_snapshot(lead.pk)

    response = client.post(f"/leads/{lead.pk}/edit/", _edit_data(lead, title="X", version=version))

    assert response.status_code == 400
    assert f'<div class="form-error" role="alert"><p>{error}' in response.content.decode()
    assert lead_snapshot(lead.pk) == before


def test_edit_to_another_prospects_email_is_refused(crew, client, lead):
    ProspectFactory(team=crew.team, email="taken@x.example")
    client.force_login(crew.sdr)
    before = lead_snapshot(lead.pk)

    response = client.post(f"/leads/{lead.pk}/edit/", _edit_data(lead, email="TAKEN@x.example"))

    assert response.status_code == 400
    assert _field_error(response, "email") == ["Another prospect already has this email."]
    assert lead_snapshot(lead.pk) == before


@pytest.mark.parametrize(("field", "value", "error"), BAD_INPUT)
def test_edit_with_bad_input_shows_the_error_next_to_the_field(crew, client, lead, field, value,
                                                                error):  # fmt: skip
    client.force_login(crew.sdr)
    before = lead_snapshot(lead.pk)
    counts = world_counts()

    response = client.post(f"/leads/{lead.pk}/edit/", _edit_data(lead, **{field: value}))

    assert response.status_code == 400
    assert _field_error(response, field) == [error]
    assert lead_snapshot(lead.pk) == before
    assert world_counts() == counts
