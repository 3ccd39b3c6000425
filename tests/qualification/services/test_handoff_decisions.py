"""The AE's decision: accept (the lead is theirs, it counts for the SDR) or reject with a
reason (back to the SDR, engaged; it counts in the SDR's figures). Only the assigned AE."""

import pytest
from django.utils import timezone

from leads.models import EventKind, Lead, LeadEvent, LeadState
from leads.services import LeadForbidden, LeadInvalid
from notifications.models import Notification, NotificationKind
from qualification.selectors import handoff_figures
from qualification.services import handoff_accept, handoff_reject, lead_qualify
from sdrcrm.errors import NotFound
from tests.qualification.conftest import qualification_snapshot
from tests.qualification.services.test_lead_qualify import qualify


@pytest.fixture
def handed_off(crew, model, make_lead):
    lead = make_lead("engaged")
    lead_qualify(actor=crew.sdr, lead_id=lead.pk, data=qualify(ae_id=crew.ae.pk))
    return Lead.objects.get(pk=lead.pk)


def test_accept(crew, handed_off, django_capture_on_commit_callbacks, on_commit_tasks):
    with django_capture_on_commit_callbacks(execute=True):
        lead = handoff_accept(actor=crew.ae, lead_id=handed_off.pk)

    lead.refresh_from_db()
    assert (lead.state, lead.assigned_ae_id, lead.owner_id) == (
        LeadState.ACCEPTED,
        crew.ae.pk,
        crew.sdr.pk,
    )
    event = LeadEvent.objects.filter(lead=lead, kind=EventKind.TRANSITION).latest("id")
    assert (event.from_state, event.to_state, event.actor_id) == (
        LeadState.HANDED_OFF,
        LeadState.ACCEPTED,
        crew.ae.pk,
    )
    note = Notification.objects.get(lead=lead, user=crew.sdr)
    assert (note.kind, note.title, note.event_id) == (
        NotificationKind.ACCEPTED,
        f"{crew.ae} accepted your lead {lead.prospect.full_name} ({lead.prospect.company.name})",
        event.pk,
    )
    assert on_commit_tasks == [
        ("notification_email_task", note.pk),
        ("outcome_model_rebuild_task", crew.team.pk),
    ]
    # Deciding answers the AE's notification about the lead.
    handed = Notification.objects.get(lead=lead, user=crew.ae)
    assert (handed.kind, handed.read_at is not None) == (NotificationKind.HANDOFF, True)
    figures = handoff_figures(team_id=crew.team.pk, since=timezone.now().replace(year=2000))
    assert figures == [{"owner_id": crew.sdr.pk, "name": str(crew.sdr), "handed_off": 1,
                        "accepted": 1, "rejected": 0}]  # fmt: skip


def test_reject_returns_the_lead_to_the_sdr_with_the_reason(crew, handed_off):
    lead = handoff_reject(actor=crew.ae, lead_id=handed_off.pk, reason="  No budget until 2027. ")

    lead.refresh_from_db()
    assert (lead.state, lead.assigned_ae_id, lead.rejection_reason) == (
        LeadState.ENGAGED,
        None,
        "No budget until 2027.",
    )
    note = Notification.objects.get(lead=lead, user=crew.sdr)
    assert (note.kind, note.body) == (NotificationKind.REJECTED, "Reason: No budget until 2027.")
    figures = handoff_figures(team_id=crew.team.pk, since=timezone.now().replace(year=2000))
    assert [(f["handed_off"], f["accepted"], f["rejected"]) for f in figures] == [(1, 0, 1)]


def test_reject_needs_a_reason_and_changes_nothing_without(crew, handed_off):
    before = qualification_snapshot(handed_off.pk)

    with pytest.raises(LeadInvalid):
        handoff_reject(actor=crew.ae, lead_id=handed_off.pk, reason="   ")

    assert qualification_snapshot(handed_off.pk) == before


@pytest.mark.parametrize("actor", ["ae2", "sdr2"])
def test_another_ae_or_sdr_does_not_find_the_lead(crew, handed_off, actor):
    before = qualification_snapshot(handed_off.pk)

    with pytest.raises(NotFound):
        handoff_accept(actor=getattr(crew, actor), lead_id=handed_off.pk)
    with pytest.raises(NotFound):
        handoff_reject(actor=getattr(crew, actor), lead_id=handed_off.pk, reason="No")

    assert qualification_snapshot(handed_off.pk) == before


@pytest.mark.parametrize("actor", ["manager", "sdr"])
def test_the_manager_and_the_sdr_see_the_lead_but_may_not_decide(crew, handed_off, actor):
    before = qualification_snapshot(handed_off.pk)

    with pytest.raises(LeadForbidden):
        handoff_accept(actor=getattr(crew, actor), lead_id=handed_off.pk)
    with pytest.raises(LeadForbidden):
        handoff_reject(actor=getattr(crew, actor), lead_id=handed_off.pk, reason="No")

    assert qualification_snapshot(handed_off.pk) == before


def test_figures_count_per_sdr_whichever_page_made_the_change(crew, model, make_lead):
    make_lead("accepted", owner="sdr2")  # walked with the lead page's services, AE crew.ae
    rejected = make_lead("engaged")
    lead_qualify(actor=crew.sdr, lead_id=rejected.pk, data=qualify(ae_id=crew.ae2.pk))
    handoff_reject(actor=crew.ae2, lead_id=rejected.pk, reason="Too early")

    figures = handoff_figures(team_id=crew.team.pk, since=timezone.now().replace(year=2000))

    assert [(f["owner_id"], f["handed_off"], f["accepted"], f["rejected"]) for f in figures] == [
        (u.pk, *counts)
        for u, counts in sorted(
            [(crew.sdr, (1, 0, 1)), (crew.sdr2, (1, 1, 0))], key=lambda x: str(x[0])
        )
    ]
    assert handoff_figures(
        team_id=crew.team.pk, since=timezone.now().replace(year=2000), owner_id=crew.sdr.pk
    ) == [{"owner_id": crew.sdr.pk, "name": str(crew.sdr), "handed_off": 1, "accepted": 0,
           "rejected": 1}]  # fmt: skip
