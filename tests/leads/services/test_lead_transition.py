"""lead_transition: every allowed and disallowed transition, the state the user saw, undoing a
scrap."""

from datetime import timedelta

import pytest
from django.utils import timezone

from leads.models import DisqualifyReason, EventKind, Lead, LeadEvent, LeadState
from leads.services import (
    LeadConflict,
    LeadInvalid,
    TransitionParams,
    lead_recycle_due_nurture,
    lead_transition,
    lead_update,
)
from tests.fixtures import walk

from ..helpers import data_for, lead_snapshot
from .transitions import (
    AE_TRANSITIONS,
    ALLOWED,
    DISALLOWED,
    expected_event,
    expected_fields,
    valid_params,
)

pytestmark = pytest.mark.django_db


# --- Every allowed transition ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "name", "target"), ALLOWED, ids=[f"{s}-{n}" for s, n, _ in ALLOWED]
)
def test_allowed_transition(crew, state, name, target):
    lead = walk(crew.lead(), state, ae=crew.ae)
    actor = crew.ae if name in AE_TRANSITIONS else crew.sdr
    before = lead_snapshot(lead.pk)

    result = lead_transition(
        actor=actor, lead_id=lead.pk, name=name, params=valid_params(name, crew.ae)
    )

    new_events = LeadEvent.objects.filter(lead_id=lead.pk).exclude(pk__in=before["events"])
    assert new_events.count() == 1
    event = new_events.get()
    body, payload = expected_event(name, crew.ae)
    assert (event.kind, event.actor_id, event.from_state, event.to_state) == (
        EventKind.TRANSITION,
        actor.pk,
        state,
        target,
    )
    assert (event.body, event.payload) == (body, payload)
    at = event.created_at
    after = Lead.objects.filter(pk=lead.pk).values().get()
    assert after == {
        **before["lead"],
        "state": target,
        "state_changed_at": at,
        "updated_at": at,
        "version": before["lead"]["version"] + 1,
        **expected_fields(name, at, crew.ae, state),
    }
    assert (result.state, result.version) == (target, before["lead"]["version"] + 1)


# --- Every disallowed transition ------------------------------------------------------------


@pytest.mark.parametrize(("state", "name"), DISALLOWED, ids=[f"{s}-{n}" for s, n in DISALLOWED])
def test_disallowed_transition_is_a_conflict_and_changes_nothing(crew, state, name):
    lead = walk(crew.lead(), state, ae=crew.ae)
    before = lead_snapshot(lead.pk)
    # Even an admin, with valid parameters, cannot leave the lifecycle.
    with pytest.raises(LeadConflict) as exc:
        lead_transition(
            actor=crew.admin, lead_id=lead.pk, name=name, params=valid_params(name, crew.ae)
        )
    assert str(exc.value) == (
        f"This action is not possible while the lead is {LeadState(state).label}."
    )
    assert lead_snapshot(lead.pk) == before


def test_unknown_transition_name_is_invalid(crew):
    lead = crew.lead()
    before = lead_snapshot(lead.pk)
    with pytest.raises(LeadInvalid, match="^Unknown action 'delete'.$"):
        lead_transition(actor=crew.sdr, lead_id=lead.pk, name="delete")
    with pytest.raises(LeadInvalid, match="^Unknown action 'save'.$"):
        lead_transition(actor=crew.sdr, lead_id=lead.pk, name="save")
    assert lead_snapshot(lead.pk) == before


# --- expected_state: the state the user saw ------------------------------------------------


def test_expected_state_that_still_holds_proceeds(crew):
    lead = crew.lead()
    lead = lead_transition(
        actor=crew.sdr, lead_id=lead.pk, name="start_research", expected_state="new"
    )
    assert lead.state == LeadState.RESEARCHING


def test_expected_state_mismatch_names_both_states_and_who_moved_it(crew):
    lead = crew.lead()
    lead_transition(actor=crew.sdr, lead_id=lead.pk, name="start_research")
    moved = LeadEvent.objects.filter(lead_id=lead.pk).latest("id")
    before = lead_snapshot(lead.pk)

    with pytest.raises(LeadConflict) as exc:
        lead_transition(
            actor=crew.manager,
            lead_id=lead.pk,
            name="start_contacting",  # possible from researching too: only the check refuses it
            expected_state="new",
        )
    assert str(exc.value) == (
        f"This lead was moved from New to Researching by {crew.sdr} at "
        f"{timezone.localtime(moved.created_at):%H:%M}. Nothing was changed; look at its "
        "current state and try again if it still makes sense."
    )
    assert str(crew.sdr) == crew.sdr.get_full_name() != ""
    assert lead_snapshot(lead.pk) == before


def test_expected_state_mismatch_names_who_moved_it_not_who_edited_it_later(crew):
    lead = crew.lead()
    lead = lead_transition(actor=crew.sdr, lead_id=lead.pk, name="start_research")
    moved = LeadEvent.objects.filter(lead_id=lead.pk).latest("id")
    lead_update(
        actor=crew.manager,
        lead_id=lead.pk,
        expected_version=lead.version,
        data=data_for(lead, title="CTO"),
    )
    before = lead_snapshot(lead.pk)
    with pytest.raises(LeadConflict) as exc:
        lead_transition(
            actor=crew.sdr, lead_id=lead.pk, name="start_contacting", expected_state="new"
        )
    assert str(exc.value).startswith(
        f"This lead was moved from New to Researching by {crew.sdr} at "
        f"{timezone.localtime(moved.created_at):%H:%M}."
    )
    assert lead_snapshot(lead.pk) == before


def test_expected_state_mismatch_after_the_system_moved_it(crew):
    lead = walk(crew.lead(), "nurture")
    assert lead_recycle_due_nurture(today=timezone.localdate() + timedelta(days=30)) == 1
    moved = LeadEvent.objects.filter(lead_id=lead.pk).latest("id")
    before = lead_snapshot(lead.pk)
    with pytest.raises(LeadConflict) as exc:
        lead_transition(
            actor=crew.sdr,
            lead_id=lead.pk,
            name="disqualify",
            expected_state="nurture",
            params=TransitionParams(reason="no_need"),
        )
    assert str(exc.value).startswith(
        "This lead was moved from Nurture to New by the system at "
        f"{timezone.localtime(moved.created_at):%H:%M}."
    )
    assert lead_snapshot(lead.pk) == before


# --- Undoing a scrap ------------------------------------------------------------------------


def test_reopen_returns_to_the_state_the_lead_was_scrapped_from(crew):
    lead = walk(crew.lead(), "contacting")
    lead_transition(
        actor=crew.sdr,
        lead_id=lead.pk,
        name="disqualify",
        params=TransitionParams(reason=DisqualifyReason.NO_RESPONSE),
    )
    reopened = lead_transition(actor=crew.sdr, lead_id=lead.pk, name="reopen")
    assert (reopened.state, reopened.disqualify_reason, reopened.disqualified_from) == (
        "contacting",
        "",
        "",
    )
    last = LeadEvent.objects.filter(lead_id=lead.pk).latest("id")
    assert (last.from_state, last.to_state, last.payload) == (
        "disqualified",
        "contacting",
        {"transition": "reopen"},
    )


def test_reopen_is_refused_when_the_prospect_has_a_newer_active_lead(crew):
    old = walk(crew.lead(), "disqualified")
    crew.lead(prospect=old.prospect)  # a new active lead for the same person
    before = lead_snapshot(old.pk)
    with pytest.raises(LeadConflict) as exc:
        lead_transition(actor=crew.sdr, lead_id=old.pk, name="reopen")
    assert str(exc.value) == (
        "This prospect already has another active lead; work that one instead."
    )
    assert lead_snapshot(old.pk) == before
