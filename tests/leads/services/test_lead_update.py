import pytest
from django.utils import timezone

from leads.models import Company, EventKind, Lead, LeadEvent, Prospect
from leads.services import (
    DuplicateProspect,
    LeadConflict,
    LeadForbidden,
    LeadInvalid,
    lead_set_checklist_item,
    lead_transition,
    lead_update,
)
from sdrcrm.errors import NotFound
from tests.factories import CompanyFactory, ProspectFactory
from tests.fixtures import walk

from ..helpers import data_for, lead_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(crew):
    company = CompanyFactory(name="Acme", domain="acme.example", website="https://acme.example")
    prospect = ProspectFactory(
        company=company, first_name="Ann", last_name="Smith", email="ann@acme.example", title="CFO"
    )
    return crew.lead(prospect=prospect)


def edit_event(lead_id: int) -> LeadEvent:
    return LeadEvent.objects.filter(lead_id=lead_id, kind=EventKind.EDIT).get()


def test_an_edit_changes_the_prospect_and_records_what_changed(crew, lead):
    result = lead_update(
        actor=crew.sdr,
        lead_id=lead.pk,
        expected_version=1,
        data=data_for(lead, first_name="  Annie ", title="CEO", email=" Annie@ACME.example"),
    )
    p = Prospect.objects.get(pk=lead.prospect_id)
    assert (p.first_name, p.title, p.email) == ("Annie", "CEO", "annie@acme.example")
    event = edit_event(lead.pk)
    assert (event.actor_id, event.from_state, event.to_state) == (crew.sdr.pk, "", "")
    assert event.body == "Edited first name, email, title"
    assert event.payload == {
        "changes": {
            "first_name": ["Ann", "Annie"],
            "email": ["ann@acme.example", "annie@acme.example"],
            "title": ["CFO", "CEO"],
        }
    }
    row = Lead.objects.filter(pk=lead.pk).values("version", "updated_at", "state").get()
    assert row == {"version": 2, "updated_at": event.created_at, "state": "new"}
    assert result.version == 2


def test_an_edit_that_changes_nothing_records_nothing(crew, lead):
    before = lead_snapshot(lead.pk)
    lead_update(actor=crew.sdr, lead_id=lead.pk, expected_version=1, data=data_for(lead))
    assert lead_snapshot(lead.pk) == before


def test_a_stale_version_is_refused_and_nothing_changes(crew, lead):
    lead = lead_transition(actor=crew.manager, lead_id=lead.pk, name="start_research")
    moved = LeadEvent.objects.filter(lead_id=lead.pk).latest("id")
    before = lead_snapshot(lead.pk)
    with pytest.raises(LeadConflict) as exc:
        lead_update(
            actor=crew.sdr, lead_id=lead.pk, expected_version=1, data=data_for(lead, title="CEO")
        )
    assert str(exc.value) == (
        f"This lead was changed by {crew.manager} at "
        f"{timezone.localtime(moved.created_at):%H:%M} after you opened the form. "
        "Nothing was saved: reload it and make your change again."
    )
    assert lead_snapshot(lead.pk) == before


def test_a_checklist_tick_also_makes_an_open_form_stale(crew, lead):
    lead_set_checklist_item(actor=crew.manager, lead_id=lead.pk, item="role_known", done=True)
    ticked = LeadEvent.objects.filter(lead_id=lead.pk).latest("id")
    before = lead_snapshot(lead.pk)
    with pytest.raises(LeadConflict) as exc:
        lead_update(
            actor=crew.sdr, lead_id=lead.pk, expected_version=1, data=data_for(lead, title="CEO")
        )
    assert str(exc.value).startswith(
        f"This lead was changed by {crew.manager} at "
        f"{timezone.localtime(ticked.created_at):%H:%M} after"
    )
    assert lead_snapshot(lead.pk) == before


def test_two_edits_from_the_same_version_second_is_refused(crew, lead):
    lead_update(
        actor=crew.sdr, lead_id=lead.pk, expected_version=1, data=data_for(lead, title="CEO")
    )
    before = lead_snapshot(lead.pk)
    with pytest.raises(LeadConflict):
        lead_update(
            actor=crew.manager,
            lead_id=lead.pk,
            expected_version=1,
            data=data_for(lead, title="COO", phone="+47 1234"),
        )
    assert lead_snapshot(lead.pk) == before
    assert Prospect.objects.get(pk=lead.prospect_id).title == "CEO"


def test_company_fields_are_edited_in_place_when_the_domain_stays(crew, lead):
    company_id = Prospect.objects.get(pk=lead.prospect_id).company_id
    companies = Company.objects.count()
    lead_update(
        actor=crew.sdr,
        lead_id=lead.pk,
        expected_version=1,
        data=data_for(lead, company_industry="Fintech", company_employee_count=80),
    )
    assert Company.objects.count() == companies
    c = Company.objects.get(pk=company_id)
    assert (c.industry, c.employee_count) == ("Fintech", 80)
    assert edit_event(lead.pk).payload == {
        "changes": {
            "company_industry": ["Software", "Fintech"],
            "company_employee_count": ["50", "80"],
        }
    }


def test_a_new_domain_moves_the_prospect_to_the_matching_company(crew, lead):
    globex = CompanyFactory(team=crew.team, name="Globex", domain="globex.example", industry="")
    lead_update(
        actor=crew.sdr,
        lead_id=lead.pk,
        expected_version=1,
        data=data_for(lead, company_name="Globex Inc", company_website="www.globex.example"),
    )
    assert Prospect.objects.get(pk=lead.prospect_id).company_id == globex.pk
    globex.refresh_from_db()
    assert (globex.name, globex.industry) == ("Globex", "Software")  # filled, not overwritten
    assert Company.objects.filter(domain="acme.example").exists()
    assert edit_event(lead.pk).payload == {"changes": {"company": ["Acme", "Globex"]}}


def test_clearing_the_company_unlinks_it(crew, lead):
    lead_update(
        actor=crew.sdr,
        lead_id=lead.pk,
        expected_version=1,
        data=data_for(lead, company_name="", company_website="", no_company_reason="Freelance"),
    )
    prospect = Prospect.objects.get(pk=lead.prospect_id)
    assert (prospect.company_id, prospect.no_company_reason) == (None, "Freelance")
    assert Company.objects.filter(domain="acme.example").exists()
    assert edit_event(lead.pk).payload == {
        "changes": {"company": ["Acme", ""], "no_company_reason": ["", "Freelance"]}
    }


def test_an_invalid_website_is_refused(crew, lead):
    before = lead_snapshot(lead.pk)
    with pytest.raises(LeadInvalid) as exc:
        lead_update(
            actor=crew.sdr,
            lead_id=lead.pk,
            expected_version=1,
            data=data_for(lead, title="CEO", company_website="not a site"),
        )
    assert exc.value.field == "company_website"
    assert lead_snapshot(lead.pk) == before


def test_the_source_can_be_changed(crew, lead):
    lead_update(
        actor=crew.sdr, lead_id=lead.pk, expected_version=1, data=data_for(lead, source="inbound")
    )
    assert Lead.objects.get(pk=lead.pk).source == "inbound"
    event = edit_event(lead.pk)
    assert (event.body, event.payload) == (
        "Edited source",
        {"changes": {"source": ["outbound", "inbound"]}},
    )


def test_an_unknown_source_is_refused_and_rolls_back_the_prospect_edit(crew, lead):
    before = lead_snapshot(lead.pk)
    with pytest.raises(LeadInvalid) as exc:
        lead_update(
            actor=crew.sdr,
            lead_id=lead.pk,
            expected_version=1,
            data=data_for(lead, title="CEO", source="cold_call"),
        )
    assert exc.value.field == "source"
    assert lead_snapshot(lead.pk) == before


def test_changing_the_email_to_another_prospects_is_refused(crew, lead):
    ProspectFactory(team=crew.team, email="bo@globex.example")
    before = lead_snapshot(lead.pk)
    with pytest.raises(DuplicateProspect) as exc:
        lead_update(
            actor=crew.sdr,
            lead_id=lead.pk,
            expected_version=1,
            data=data_for(lead, email=" BO@globex.example ", title="CEO"),
        )
    assert (exc.value.field, str(exc.value)) == (
        "email",
        "Another prospect already has this email.",
    )
    assert lead_snapshot(lead.pk) == before


@pytest.mark.parametrize("who", ["sdr", "manager", "admin"])
def test_who_may_edit(crew, lead, who):
    lead_update(
        actor=getattr(crew, who),
        lead_id=lead.pk,
        expected_version=1,
        data=data_for(lead, title="CEO"),
    )
    assert edit_event(lead.pk).actor_id == getattr(crew, who).pk


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("sdr2", NotFound),
        ("bdr", NotFound),
        ("marketing", NotFound),
        ("ae2", NotFound),
        ("ae", LeadForbidden),
    ],
)
def test_who_may_not_edit(crew, lead, who, error):
    lead = walk(lead, "handed_off", ae=crew.ae)
    before = lead_snapshot(lead.pk)
    with pytest.raises(error):
        lead_update(
            actor=getattr(crew, who),
            lead_id=lead.pk,
            expected_version=lead.version,
            data=data_for(lead, title="CEO"),
        )
    assert lead_snapshot(lead.pk) == before


def test_another_teams_manager_gets_404(crew, other_crew, lead):
    before = lead_snapshot(lead.pk)
    with pytest.raises(NotFound):
        lead_update(
            actor=other_crew.manager,
            lead_id=lead.pk,
            expected_version=1,
            data=data_for(lead, title="CEO"),
        )
    assert lead_snapshot(lead.pk) == before
