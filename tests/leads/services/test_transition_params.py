"""lead_transition: the parameters each transition needs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from leads.models import Lead, LeadEvent
from leads.selectors import lead_scope
from leads.services import (
    LeadInvalid,
    TransitionParams,
    lead_transition,
)
from tests.fixtures import walk

from ..helpers import lead_snapshot

pytestmark = pytest.mark.django_db


# --- Parameters -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "note", "field", "message"),
    [
        ("", "", "reason", "Choose a reason for disqualifying."),
        ("bored", "", "reason", "Choose a reason for disqualifying."),
        ("NO_NEED", "", "reason", "Choose a reason for disqualifying."),
        ("other", "", "note", "Describe the reason when you choose 'Other'."),
        ("other", "   \n ", "note", "Describe the reason when you choose 'Other'."),
    ],
)
def test_disqualify_needs_a_valid_reason(crew, reason, note, field, message):
    lead = walk(crew.lead(), "contacting")
    before = lead_snapshot(lead.pk)
    with pytest.raises(LeadInvalid) as exc:
        lead_transition(
            actor=crew.sdr,
            lead_id=lead.pk,
            name="disqualify",
            params=TransitionParams(reason=reason, note=note),
        )
    assert (exc.value.field, str(exc.value)) == (field, message)
    assert lead_snapshot(lead.pk) == before


def test_disqualify_with_other_and_a_note(crew):
    lead = crew.lead()
    lead = lead_transition(
        actor=crew.sdr,
        lead_id=lead.pk,
        name="disqualify",
        params=TransitionParams(reason="other", note="  Student project  "),
    )
    row = (
        Lead.objects.filter(pk=lead.pk)
        .values("state", "disqualify_reason", "disqualify_note")
        .get()
    )
    assert row == {
        "state": "disqualified",
        "disqualify_reason": "other",
        "disqualify_note": "Student project",
    }
    event = LeadEvent.objects.filter(lead_id=lead.pk).latest("id")
    assert (event.body, event.payload) == (
        "Student project",
        {"transition": "disqualify", "reason": "other", "reason_label": "Other"},
    )


@pytest.mark.parametrize("days", [None, 0, -1, -400])
def test_nurture_needs_a_future_date(crew, days):
    lead = walk(crew.lead(), "researching")
    before = lead_snapshot(lead.pk)
    recycle_on = None if days is None else timezone.localdate() + timedelta(days=days)
    with pytest.raises(LeadInvalid) as exc:
        lead_transition(
            actor=crew.sdr,
            lead_id=lead.pk,
            name="nurture",
            params=TransitionParams(recycle_on=recycle_on),
        )
    assert (exc.value.field, str(exc.value)) == (
        "recycle_on",
        "Choose a recycle date in the future.",
    )
    assert lead_snapshot(lead.pk) == before


def test_nurture_until_tomorrow_is_fine(crew):
    tomorrow = timezone.localdate() + timedelta(days=1)
    lead = lead_transition(
        actor=crew.sdr,
        lead_id=crew.lead().pk,
        name="nurture",
        params=TransitionParams(recycle_on=tomorrow),
    )
    assert Lead.objects.filter(pk=lead.pk).values_list("state", "recycle_on").get() == (
        "nurture",
        tomorrow,
    )


@pytest.mark.parametrize(
    "which", ["none", "missing", "other_team_ae", "inactive_ae", "sdr", "manager"]
)
def test_hand_off_needs_an_active_ae_of_the_same_team(crew, other_crew, which):
    lead = walk(crew.lead(), "qualified")
    if which == "inactive_ae":
        crew.ae2.is_active = False
        crew.ae2.save(update_fields=["is_active"])
    ae_id = {
        "none": None,
        "missing": 10**9,
        "other_team_ae": other_crew.ae.pk,
        "inactive_ae": crew.ae2.pk,
        "sdr": crew.sdr2.pk,
        "manager": crew.manager.pk,
    }[which]
    before = lead_snapshot(lead.pk)
    with pytest.raises(LeadInvalid) as exc:
        lead_transition(
            actor=crew.sdr, lead_id=lead.pk, name="hand_off", params=TransitionParams(ae_id=ae_id)
        )
    assert (exc.value.field, str(exc.value)) == ("ae", "Choose an account executive of this team.")
    assert lead_snapshot(lead.pk) == before


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_reject_needs_a_reason(crew, reason):
    lead = walk(crew.lead(), "handed_off", ae=crew.ae)
    before = lead_snapshot(lead.pk)
    with pytest.raises(LeadInvalid) as exc:
        lead_transition(
            actor=crew.ae, lead_id=lead.pk, name="reject", params=TransitionParams(reason=reason)
        )
    assert (exc.value.field, str(exc.value)) == (
        "reason",
        "Say why you reject the lead: the SDR reads it.",
    )
    assert lead_snapshot(lead.pk) == before


def test_reject_returns_the_lead_to_the_sdr(crew):
    lead = walk(crew.lead(), "handed_off", ae=crew.ae)
    lead_transition(
        actor=crew.ae,
        lead_id=lead.pk,
        name="reject",
        params=TransitionParams(reason="No budget yet"),
    )
    row = (
        Lead.objects.filter(pk=lead.pk)
        .values("state", "owner_id", "assigned_ae_id", "rejection_reason", "handed_off_at")
        .get()
    )
    assert row == {
        "state": "engaged",
        "owner_id": crew.sdr.pk,
        "assigned_ae_id": None,
        "rejection_reason": "No budget yet",
        "handed_off_at": None,
    }
    assert list(lead_scope(crew.ae).values_list("pk", flat=True)) == []
    assert list(lead_scope(crew.sdr).values_list("pk", flat=True)) == [lead.pk]

    # Handed off again (to the other AE), the old rejection is cleared.
    lead_transition(actor=crew.sdr, lead_id=lead.pk, name="qualify")
    lead_transition(
        actor=crew.sdr, lead_id=lead.pk, name="hand_off", params=TransitionParams(ae_id=crew.ae2.pk)
    )
    row = (
        Lead.objects.filter(pk=lead.pk)
        .values("state", "assigned_ae_id", "rejection_reason", "rejected_at")
        .get()
    )
    assert row == {
        "state": "handed_off",
        "assigned_ae_id": crew.ae2.pk,
        "rejection_reason": "",
        "rejected_at": None,
    }
