import pytest

from leads.models import EventKind, Lead, LeadEvent
from leads.services import LeadConflict, LeadForbidden, LeadInvalid, lead_bulk_assign, lead_claim
from sdrcrm.errors import NotFound
from tests.fixtures import walk

from ..helpers import lead_snapshot

pytestmark = pytest.mark.django_db


def owners(*leads) -> list:
    return [Lead.objects.get(pk=lead.pk).owner_id for lead in leads]


# --- lead_claim -----------------------------------------------------------------------------


def test_an_sdr_claims_a_pool_lead(crew):
    lead = crew.lead(owner=None)
    before = lead_snapshot(lead.pk)

    result = lead_claim(actor=crew.sdr, lead_id=lead.pk)

    event = LeadEvent.objects.get(lead_id=lead.pk)
    assert (event.kind, event.actor_id, event.body, event.payload) == (
        EventKind.ASSIGNMENT,
        crew.sdr.pk,
        f"Claimed by {crew.sdr}",
        {"from_owner_id": None, "to_owner_id": crew.sdr.pk, "claim": True},
    )
    assert Lead.objects.filter(pk=lead.pk).values().get() == {
        **before["lead"],
        "owner_id": crew.sdr.pk,
        "version": before["lead"]["version"] + 1,
        "updated_at": event.created_at,
    }
    assert (result.owner_id, result.version) == (crew.sdr.pk, before["lead"]["version"] + 1)


def test_a_bdr_claims_a_pool_lead(crew):
    lead = crew.lead(owner=None)
    assert lead_claim(actor=crew.bdr, lead_id=lead.pk).owner_id == crew.bdr.pk


def test_the_second_claim_is_a_conflict_naming_the_first(crew):
    lead = crew.lead(owner=None)
    lead_claim(actor=crew.sdr, lead_id=lead.pk)
    before = lead_snapshot(lead.pk)
    with pytest.raises(LeadConflict) as exc:
        lead_claim(actor=crew.sdr2, lead_id=lead.pk)
    assert str(exc.value) == f"{crew.sdr} claimed this lead first."
    assert lead_snapshot(lead.pk) == before


def test_claiming_your_own_lead_again_changes_nothing(crew):
    lead = crew.lead(owner=None)
    lead_claim(actor=crew.sdr, lead_id=lead.pk)
    before = lead_snapshot(lead.pk)
    assert lead_claim(actor=crew.sdr, lead_id=lead.pk).owner_id == crew.sdr.pk
    assert lead_snapshot(lead.pk) == before


@pytest.mark.parametrize("who", ["ae", "manager", "marketing", "admin"])
def test_only_prospectors_claim(crew, who):
    lead = crew.lead(owner=None)
    before = lead_snapshot(lead.pk)
    with pytest.raises(LeadForbidden, match="^Only SDRs and BDRs claim leads from the pool.$"):
        lead_claim(actor=getattr(crew, who), lead_id=lead.pk)
    assert lead_snapshot(lead.pk) == before


def test_an_sdr_cannot_claim_another_teams_pool_lead(crew, other_crew):
    lead = other_crew.lead(owner=None)
    before = lead_snapshot(lead.pk)
    with pytest.raises(NotFound):
        lead_claim(actor=crew.sdr, lead_id=lead.pk)
    assert lead_snapshot(lead.pk) == before


def test_claiming_a_missing_lead_is_404(crew):
    with pytest.raises(NotFound):
        lead_claim(actor=crew.sdr, lead_id=10**9)


# --- lead_bulk_assign -----------------------------------------------------------------------


def test_a_manager_assigns_leads_of_the_team(crew):
    pool = crew.lead(owner=None)
    of_sdr2 = crew.lead(owner="sdr2")
    already = crew.lead(owner="sdr")
    before_already = lead_snapshot(already.pk)

    changed = lead_bulk_assign(
        actor=crew.manager,
        lead_ids=[pool.pk, of_sdr2.pk, already.pk, pool.pk],
        owner_id=crew.sdr.pk,
    )

    assert changed == 2
    assert owners(pool, of_sdr2, already) == [crew.sdr.pk] * 3
    assert lead_snapshot(already.pk) == before_already
    events = LeadEvent.objects.filter(kind=EventKind.ASSIGNMENT).order_by("lead_id")
    assert [(e.lead_id, e.actor_id, e.body, e.payload) for e in events] == [
        (
            pool.pk,
            crew.manager.pk,
            f"Assigned to {crew.sdr}",
            {"from_owner_id": None, "to_owner_id": crew.sdr.pk},
        ),
        (
            of_sdr2.pk,
            crew.manager.pk,
            f"Assigned to {crew.sdr} (was {crew.sdr2})",
            {"from_owner_id": crew.sdr2.pk, "to_owner_id": crew.sdr.pk},
        ),
    ]
    assert Lead.objects.get(pk=pool.pk).version == 2


def test_assigning_back_to_the_pool(crew):
    lead = crew.lead(owner="bdr")
    assert lead_bulk_assign(actor=crew.manager, lead_ids=[lead.pk], owner_id=None) == 1
    assert owners(lead) == [None]
    event = LeadEvent.objects.get(lead_id=lead.pk)
    assert (event.body, event.payload) == (
        f"Assigned to the unassigned pool (was {crew.bdr})",
        {"from_owner_id": crew.bdr.pk, "to_owner_id": None},
    )


def test_leads_of_another_team_are_ignored(crew, other_crew):
    ours = crew.lead(owner=None)
    theirs = other_crew.lead(owner=None)
    before = lead_snapshot(theirs.pk)
    assert (
        lead_bulk_assign(actor=crew.manager, lead_ids=[ours.pk, theirs.pk], owner_id=crew.sdr2.pk)
        == 1
    )
    assert owners(ours) == [crew.sdr2.pk]
    assert lead_snapshot(theirs.pk) == before


def test_an_admin_assigns_only_leads_of_the_owners_team(crew, other_crew):
    ours = crew.lead(owner=None)
    theirs = other_crew.lead(owner=None)
    before = lead_snapshot(theirs.pk)
    assert (
        lead_bulk_assign(actor=crew.admin, lead_ids=[ours.pk, theirs.pk], owner_id=crew.sdr.pk) == 1
    )
    assert owners(ours) == [crew.sdr.pk]
    assert lead_snapshot(theirs.pk) == before


@pytest.mark.parametrize("who", ["sdr", "bdr", "ae", "marketing"])
def test_only_managers_assign(crew, who):
    lead = crew.lead(owner=None)
    before = lead_snapshot(lead.pk)
    with pytest.raises(LeadForbidden, match="^Only managers assign leads.$"):
        lead_bulk_assign(actor=getattr(crew, who), lead_ids=[lead.pk], owner_id=crew.sdr.pk)
    assert lead_snapshot(lead.pk) == before


@pytest.mark.parametrize("which", ["other_team_sdr", "ae", "manager", "inactive_sdr", "missing"])
def test_the_new_owner_must_be_an_active_prospector_of_the_team(crew, other_crew, which):
    lead = crew.lead(owner=None)
    if which == "inactive_sdr":
        crew.sdr2.is_active = False
        crew.sdr2.save(update_fields=["is_active"])
    owner_id = {
        "other_team_sdr": other_crew.sdr.pk,
        "ae": crew.ae.pk,
        "manager": crew.manager.pk,
        "inactive_sdr": crew.sdr2.pk,
        "missing": 10**9,
    }[which]
    before = lead_snapshot(lead.pk)
    with pytest.raises(LeadInvalid) as exc:
        lead_bulk_assign(actor=crew.manager, lead_ids=[lead.pk], owner_id=owner_id)
    assert (exc.value.field, str(exc.value)) == ("owner", "Choose an SDR or BDR of your team.")
    assert lead_snapshot(lead.pk) == before


def test_an_empty_selection_is_invalid(crew):
    with pytest.raises(LeadInvalid) as exc:
        lead_bulk_assign(actor=crew.manager, lead_ids=[], owner_id=crew.sdr.pk)
    assert exc.value.field == "lead_ids"
    assert LeadEvent.objects.count() == 0


def test_reassigning_keeps_the_lifecycle(crew):
    lead = walk(crew.lead(), "handed_off", ae=crew.ae)
    assert lead_bulk_assign(actor=crew.manager, lead_ids=[lead.pk], owner_id=crew.sdr2.pk) == 1
    row = Lead.objects.filter(pk=lead.pk).values("state", "owner_id", "assigned_ae_id").get()
    assert row == {"state": "handed_off", "owner_id": crew.sdr2.pk, "assigned_ae_id": crew.ae.pk}
