import pytest

from leads.models import Company, EventKind, Lead, LeadEvent, LeadSource, Prospect
from leads.services import (
    DuplicateProspect,
    LeadData,
    LeadForbidden,
    LeadInvalid,
    lead_create,
)
from tests.factories import CompanyFactory, ProspectFactory
from tests.fixtures import walk

from ..helpers import world_counts

pytestmark = pytest.mark.django_db


def ann(**kwargs) -> LeadData:
    values = {
        "first_name": "Ann",
        "last_name": "Smith",
        "email": "ann@acme.example",
        "company_name": "Acme",
        "company_website": "https://acme.example",
    }
    values.update(kwargs)
    return LeadData(**values)


def test_create_normalises_and_records_the_creation(crew):
    lead, notices = lead_create(
        actor=crew.sdr,
        data=LeadData(
            first_name="  Ann   Marie ",
            last_name=" Smith ",
            email="  Ann.Smith@Example.COM ",
            title="Head of Sales",
            company_name="  Example   Industries ",
            company_website=" https://www.Example.com/about ",
            company_industry=" Software ",
            company_country="no",
            company_employee_count=120,
            source=LeadSource.INBOUND,
        ),
    )
    assert notices == []
    lead = Lead.objects.select_related("prospect__company").get(pk=lead.pk)
    assert (lead.team_id, lead.owner_id, lead.state, lead.version, lead.source) == (
        crew.team.pk,
        crew.sdr.pk,
        "new",
        1,
        "inbound",
    )
    p = lead.prospect
    assert (p.first_name, p.last_name, p.email, p.title) == (
        "Ann Marie",
        "Smith",
        "ann.smith@example.com",
        "Head of Sales",
    )
    c = p.company
    assert (c.name, c.domain, c.website, c.industry, c.country, c.employee_count) == (
        "Example Industries",
        "example.com",
        "https://www.example.com/about",  # scheme and host lower-cased
        "Software",
        "NO",
        120,
    )
    event = LeadEvent.objects.get(lead=lead)
    assert (event.kind, event.actor_id, event.from_state, event.to_state) == (
        EventKind.CREATED,
        crew.sdr.pk,
        "",
        "new",
    )
    assert (event.body, event.payload) == (
        "Created by hand (Inbound)",
        {"source": "inbound", "owner_id": crew.sdr.pk},
    )
    assert (event.created_at, lead.created_at, lead.updated_at, lead.state_changed_at) == (
        (lead.created_at,) * 4
    )


def test_an_empty_email_is_stored_as_null(crew):
    # (reached by phone: a lead needs a way to reach the person)
    first, _ = lead_create(actor=crew.sdr, data=ann(email="   ", phone="+47 900 00 001"))
    second, _ = lead_create(actor=crew.sdr, data=ann(email="", phone="+47 900 00 002"))
    assert list(
        Prospect.objects.filter(leads__in=[first, second]).values_list("email", flat=True)
    ) == [None, None]
    assert first.prospect_id != second.prospect_id


def test_company_is_matched_by_domain_filling_only_what_it_lacks(crew):
    acme = CompanyFactory(
        team=crew.team,
        name="Acme",
        domain="acme.example",
        website="",
        industry="",
        employee_count=None,
        country="NO",
    )
    counts = world_counts()
    lead, notices = lead_create(
        actor=crew.sdr,
        data=ann(
            company_name="Acme Corporation",
            company_website="http://WWW.Acme.example/contact",
            company_industry="Manufacturing",
            company_employee_count=250,
            company_country="se",
        ),
    )
    assert notices == ["Linked to the existing company Acme (acme.example)."]
    assert Company.objects.count() == counts["companies"]
    assert Prospect.objects.get(leads=lead).company_id == acme.pk
    acme.refresh_from_db()
    assert (acme.name, acme.website, acme.industry, acme.employee_count, acme.country) == (
        "Acme",  # not overwritten
        "http://www.acme.example/contact",  # filled
        "Manufacturing",  # filled
        250,  # filled
        "NO",  # not overwritten
    )


def test_companies_without_a_domain_are_never_matched_by_name(crew):
    first, _ = lead_create(actor=crew.sdr, data=ann(email="a@x.example", company_website=""))
    second, _ = lead_create(actor=crew.sdr, data=ann(email="b@x.example", company_website=""))
    companies = list(
        Company.objects.filter(prospects__leads__in=[first, second]).values_list("name", "domain")
    )
    assert companies == [("Acme", None), ("Acme", None)]


def test_no_company_at_all(crew):
    lead, notices = lead_create(
        actor=crew.sdr,
        data=LeadData(first_name="Bo", email="bo@x.example", no_company_reason="Student"),
    )
    assert notices == []
    prospect = Prospect.objects.get(leads=lead)
    assert (prospect.company_id, prospect.no_company_reason) == (None, "Student")


@pytest.mark.parametrize("website", ["not a domain", "http://", "localhost", "acme"])
def test_an_invalid_website_is_refused(crew, website):
    counts = world_counts()
    with pytest.raises(LeadInvalid) as exc:
        lead_create(actor=crew.sdr, data=ann(company_website=website))
    assert (exc.value.field, str(exc.value)) == (
        "company_website",
        f"Website '{website}' is not a web address.",
    )
    assert world_counts() == counts


def test_first_name_is_required(crew):
    counts = world_counts()
    with pytest.raises(LeadInvalid) as exc:
        lead_create(actor=crew.sdr, data=ann(first_name="   "))
    assert exc.value.field == "first_name"
    assert world_counts() == counts


def test_source_must_be_known(crew):
    counts = world_counts()
    with pytest.raises(LeadInvalid) as exc:
        lead_create(actor=crew.sdr, data=ann(source="cold_call"))
    assert (exc.value.field, str(exc.value)) == ("source", "Choose a source.")
    assert world_counts() == counts


# --- Duplicates ------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["new", "qualified", "handed_off", "nurture"])
def test_a_prospect_with_an_active_lead_is_refused_naming_the_lead(crew, state):
    existing, _ = lead_create(actor=crew.sdr, data=ann())
    walk(existing, state, ae=crew.ae)
    counts = world_counts()
    with pytest.raises(DuplicateProspect) as exc:
        lead_create(actor=crew.sdr, data=ann(email="  ANN@Acme.Example "))
    assert str(exc.value) == f"A lead for this email already exists (lead #{existing.pk})."
    assert (exc.value.existing_lead_id, exc.value.field) == (existing.pk, "email")
    assert world_counts() == counts


@pytest.mark.parametrize(
    ("who", "visible"),
    [
        ("manager", True),
        ("sdr2", False),
        ("bdr", False),
    ],
)
def test_the_duplicate_names_the_lead_only_to_who_may_see_it(crew, who, visible):
    # Within the team. Another team has its own prospects (tests/leads/test_workspace.py).
    existing, _ = lead_create(actor=crew.sdr, data=ann())
    actor = getattr(crew, who)
    counts = world_counts()
    with pytest.raises(DuplicateProspect) as exc:
        lead_create(actor=actor, data=ann())
    if visible:
        assert str(exc.value) == f"A lead for this email already exists (lead #{existing.pk})."
        assert exc.value.existing_lead_id == existing.pk
    else:
        assert str(exc.value) == "A lead for this email already exists in your team."
        assert exc.value.existing_lead_id is None
        assert str(existing.pk) not in str(exc.value)
    assert world_counts() == counts


@pytest.mark.parametrize("state", ["disqualified", "accepted"])
def test_a_prospect_with_only_closed_leads_is_reused(crew, state):
    old, _ = lead_create(
        actor=crew.sdr,
        data=ann(company_name="", company_website="", no_company_reason="Not known yet"),
    )
    walk(old, state, ae=crew.ae)
    prospects = Prospect.objects.count()

    lead, notices = lead_create(actor=crew.sdr2, data=ann(first_name="Annie"))

    assert notices == [
        "This prospect was known from an earlier lead: the new lead shares their history."
    ]
    assert Prospect.objects.count() == prospects
    assert lead.prospect_id == old.prospect_id
    prospect = Prospect.objects.select_related("company").get(pk=lead.prospect_id)
    # The known person keeps their recorded name; the company they lacked is linked.
    assert (prospect.first_name, prospect.company.domain) == ("Ann", "acme.example")
    assert set(Lead.objects.filter(prospect=prospect).values_list("pk", "state", "owner_id")) == {
        (old.pk, state, crew.sdr.pk),
        (lead.pk, "new", crew.sdr2.pk),
    }


# --- Who may create, and for whom ------------------------------------------------------------


@pytest.mark.parametrize("who", ["ae", "marketing"])
def test_roles_that_cannot_create(crew, who):
    counts = world_counts()
    with pytest.raises(LeadForbidden, match="^Your role cannot create leads.$"):
        lead_create(actor=getattr(crew, who), data=ann())
    assert world_counts() == counts


@pytest.mark.parametrize("who", ["sdr", "bdr"])
def test_a_prospector_creates_for_themselves(crew, who):
    actor = getattr(crew, who)
    lead, _ = lead_create(actor=actor, data=ann())
    assert (lead.owner_id, lead.team_id) == (actor.pk, crew.team.pk)
    lead2, _ = lead_create(actor=actor, data=ann(email="bo@acme.example", owner_id=actor.pk))
    assert lead2.owner_id == actor.pk


@pytest.mark.parametrize("owner", ["sdr2", "manager", None])
def test_a_prospector_cannot_create_for_someone_else(crew, owner):
    counts = world_counts()
    owner_id = getattr(crew, owner).pk if owner else None
    if owner_id is None:
        # No owner given means "me" for an SDR, never the pool.
        lead, _ = lead_create(actor=crew.sdr, data=ann(owner_id=None))
        assert lead.owner_id == crew.sdr.pk
        return
    with pytest.raises(LeadForbidden, match="^SDRs create leads for themselves.$"):
        lead_create(actor=crew.sdr, data=ann(owner_id=owner_id))
    assert world_counts() == counts


def test_a_manager_creates_for_an_sdr_of_the_team_or_the_pool(crew):
    for_sdr, _ = lead_create(actor=crew.manager, data=ann(owner_id=crew.sdr2.pk))
    for_pool, _ = lead_create(actor=crew.manager, data=ann(email="bo@acme.example"))
    assert (for_sdr.owner_id, for_sdr.team_id) == (crew.sdr2.pk, crew.team.pk)
    assert (for_pool.owner_id, for_pool.team_id) == (None, crew.team.pk)
    assert LeadEvent.objects.get(lead=for_sdr).payload == {
        "source": "outbound",
        "owner_id": crew.sdr2.pk,
    }


@pytest.mark.parametrize("which", ["other_team_sdr", "ae", "inactive_sdr", "missing"])
def test_a_manager_cannot_pick_an_owner_outside_the_teams_prospectors(crew, other_crew, which):
    if which == "inactive_sdr":
        crew.sdr2.is_active = False
        crew.sdr2.save(update_fields=["is_active"])
    owner_id = {
        "other_team_sdr": other_crew.sdr.pk,
        "ae": crew.ae.pk,
        "inactive_sdr": crew.sdr2.pk,
        "missing": 10**9,
    }[which]
    counts = world_counts()
    with pytest.raises(LeadInvalid) as exc:
        lead_create(actor=crew.manager, data=ann(owner_id=owner_id))
    assert (exc.value.field, str(exc.value)) == ("owner", "Choose an SDR or BDR of your team.")
    assert world_counts() == counts


def test_a_user_without_a_team_cannot_create(crew):
    crew.sdr.team = None
    crew.sdr.save(update_fields=["team"])
    counts = world_counts()
    with pytest.raises(LeadForbidden, match="^You need to belong to a team to create leads.$"):
        lead_create(actor=crew.sdr, data=ann())
    assert world_counts() == counts


def test_an_existing_prospect_is_reused_without_overwriting_it(crew):
    known = ProspectFactory(
        team=crew.team, email="ann@acme.example", first_name="Ann", title="CFO"
    )
    lead, _ = lead_create(actor=crew.sdr, data=ann(first_name="Someone", title="Intern"))
    assert lead.prospect_id == known.pk
    known.refresh_from_db()
    assert (known.first_name, known.title) == ("Ann", "CFO")
