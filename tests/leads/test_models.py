import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from leads.models import Company, EventKind, Lead, LeadEvent, LeadState, Prospect
from leads.services import lead_add_note
from tests.factories import CompanyFactory, LeadFactory, ProspectFactory
from tests.fixtures import walk

from .helpers import lead_snapshot

pytestmark = pytest.mark.django_db


# --- The timeline is append-only ------------------------------------------------------------


@pytest.fixture
def note(crew):
    lead = crew.lead()
    return lead_add_note(actor=crew.sdr, lead_id=lead.pk, body="First call went well")


def _event_row(event_id: int) -> dict:
    return LeadEvent.objects.filter(pk=event_id).values().get()


def test_saving_an_existing_event_raises_and_changes_nothing(note):
    before = _event_row(note.pk)
    note.body = "Rewritten history"
    with pytest.raises(TypeError, match="^Timeline events are append-only$"):
        note.save()
    assert _event_row(note.pk) == before


def test_deleting_an_event_raises_and_keeps_it(note):
    before = _event_row(note.pk)
    with pytest.raises(TypeError, match="^Timeline events are append-only$"):
        note.delete()
    assert _event_row(note.pk) == before


def test_raw_sql_update_is_refused_by_the_database_trigger(note):
    before = _event_row(note.pk)
    with pytest.raises(DatabaseError, match="leads_leadevent is append-only: UPDATE refused"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE leads_leadevent SET body = 'forged' WHERE id = %s", [note.pk])
    assert _event_row(note.pk) == before


def test_raw_sql_delete_is_refused_by_the_database_trigger(note):
    before = _event_row(note.pk)
    with pytest.raises(DatabaseError, match="leads_leadevent is append-only: DELETE refused"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM leads_leadevent WHERE id = %s", [note.pk])
    assert _event_row(note.pk) == before


def test_queryset_update_and_delete_are_refused_by_the_database(note):
    before = _event_row(note.pk)
    with pytest.raises(DatabaseError, match="append-only: UPDATE refused"):
        with transaction.atomic():
            LeadEvent.objects.filter(pk=note.pk).update(body="forged")
    with pytest.raises(DatabaseError, match="append-only: DELETE refused"):
        with transaction.atomic():
            LeadEvent.objects.filter(pk=note.pk).delete()
    assert _event_row(note.pk) == before


def test_new_events_can_still_be_appended_after_a_refusal(note, crew):
    with pytest.raises(DatabaseError):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM leads_leadevent WHERE id = %s", [note.pk])
    second = lead_add_note(actor=crew.sdr, lead_id=note.lead_id, body="Second note")
    assert list(
        LeadEvent.objects.filter(lead_id=note.lead_id).order_by("id").values_list("kind", "body")
    ) == [(EventKind.NOTE, "First call went well"), (EventKind.NOTE, "Second note")]
    assert second.pk > note.pk


# --- The protected state field ----------------------------------------------------------------


def test_state_cannot_be_assigned_directly(crew):
    lead = crew.lead()
    before = lead_snapshot(lead.pk)
    with pytest.raises(AttributeError, match="^Direct state modification is not allowed$"):
        lead.state = LeadState.QUALIFIED
    assert lead.state == LeadState.NEW
    loaded = Lead.objects.get(pk=lead.pk)
    with pytest.raises(AttributeError, match="^Direct state modification is not allowed$"):
        loaded.state = LeadState.ACCEPTED
    assert lead_snapshot(lead.pk) == before


# --- Database constraints -------------------------------------------------------------------

ACTIVE = ["new", "researching", "contacting", "engaged", "qualified", "handed_off", "nurture"]
CLOSED = ["accepted", "disqualified"]


@pytest.mark.parametrize("state", ACTIVE)
def test_a_prospect_has_at_most_one_active_lead(crew, state):
    lead = walk(crew.lead(), state, ae=crew.ae)
    with pytest.raises(IntegrityError, match="lead_one_active_per_prospect"):
        with transaction.atomic():
            LeadFactory(team=crew.team, prospect=lead.prospect, owner=crew.sdr2)
    assert list(Lead.objects.filter(prospect=lead.prospect).values_list("pk", flat=True)) == [
        lead.pk
    ]


@pytest.mark.parametrize("state", CLOSED)
def test_a_prospect_with_only_closed_leads_may_get_a_new_one(crew, state):
    closed = walk(crew.lead(), state, ae=crew.ae)
    again = LeadFactory(team=crew.team, prospect=closed.prospect, owner=crew.sdr2)
    assert set(Lead.objects.filter(prospect=closed.prospect).values_list("pk", "state")) == {
        (closed.pk, state),
        (again.pk, LeadState.NEW),
    }


def test_the_database_refuses_a_disqualified_lead_without_a_reason(crew):
    lead = crew.lead()
    with pytest.raises(IntegrityError, match="lead_disqualified_has_reason"):
        with transaction.atomic():
            Lead.objects.filter(pk=lead.pk).update(state=LeadState.DISQUALIFIED)
    assert Lead.objects.get(pk=lead.pk).state == LeadState.NEW


def test_the_database_refuses_a_nurture_lead_without_a_recycle_date(crew):
    lead = crew.lead()
    with pytest.raises(IntegrityError, match="lead_nurture_has_recycle_date"):
        with transaction.atomic():
            Lead.objects.filter(pk=lead.pk).update(state=LeadState.NURTURE)
    assert Lead.objects.get(pk=lead.pk).state == LeadState.NEW


def test_prospect_emails_are_unique_within_a_team(crew, other_crew):
    ProspectFactory(team=crew.team, email="ann@acme.example")
    with pytest.raises(IntegrityError, match="prospect_unique_team_email"):
        with transaction.atomic():
            ProspectFactory(team=crew.team, email="ann@acme.example")
    # Another team has its own row for the same person.
    ProspectFactory(team=other_crew.team, email="ann@acme.example")
    # Prospects without an email are not constrained.
    ProspectFactory(team=crew.team, email=None)
    ProspectFactory(team=crew.team, email=None)
    assert Prospect.objects.filter(email="ann@acme.example").count() == 2


def test_company_domains_are_unique_within_a_team(crew, other_crew):
    CompanyFactory(team=crew.team, domain="acme.example")
    with pytest.raises(IntegrityError, match="company_unique_team_domain"):
        with transaction.atomic():
            CompanyFactory(team=crew.team, domain="acme.example")
    CompanyFactory(team=other_crew.team, domain="acme.example")
    CompanyFactory(team=crew.team, domain=None)
    CompanyFactory(team=crew.team, domain=None)
    assert Company.objects.filter(domain="acme.example").count() == 2


# --- Small model vocabulary -----------------------------------------------------------------


def test_checklist_lists_every_item_and_counts_the_done_ones(crew):
    lead = crew.lead(role_known=True, website_checked=True)
    assert lead.checklist == [
        ("role_known", "Role known", True),
        ("decision_maker_identified", "Decision maker identified", False),
        ("need_understood", "Need understood", False),
        ("website_checked", "Website checked", True),
        ("linkedin_checked", "LinkedIn checked", False),
    ]
    assert lead.checklist_done == 2
