"""A team's lists of reasons (leads.services.reasons) and the scrap and rejection that use them:
the manager edits them, each team only its own, and a lead keeps its reason's code."""

import pytest

from leads.models import DisqualifyReason, Lead, LeadEvent, Reason, ReasonKind, RejectReason
from leads.selectors import reason_form_choices, reason_labels
from leads.services import (
    LeadForbidden,
    LeadInvalid,
    TransitionParams,
    lead_transition,
    reason_create,
    reason_move,
    reason_update,
    reasons_ensure,
)
from sdrcrm.errors import NotFound
from tests.fixtures import walk

from ..helpers import lead_snapshot

pytestmark = pytest.mark.django_db

DISQUALIFY, REJECT = ReasonKind.DISQUALIFY, ReasonKind.REJECT


def _codes(team, kind, active_only=False):
    qs = Reason.objects.filter(team=team, kind=kind).order_by("position", "id")
    if active_only:
        qs = qs.filter(is_active=True)
    return list(qs.values_list("code", flat=True))


def _reasons(team):
    return list(
        Reason.objects.filter(team=team)
        .order_by("kind", "position", "id")
        .values_list("kind", "code", "label", "is_active", "position")
    )


# --- The starting lists ------------------------------------------------------------------------


def test_a_new_team_is_offered_the_starting_list_without_a_write(crew):
    assert Reason.objects.filter(team=crew.team).count() == 0
    choices = reason_form_choices(team_id=crew.team.pk, kind=DISQUALIFY)
    assert choices == [("", "Choose a reason"), *[(c.value, c.label) for c in DisqualifyReason]]
    assert Reason.objects.filter(team=crew.team).count() == 0


def test_ensure_seeds_both_lists_once(crew, other_crew):
    reasons_ensure(team_id=crew.team.pk)
    reasons_ensure(team_id=crew.team.pk)
    assert _codes(crew.team, DISQUALIFY) == DisqualifyReason.values
    assert _codes(crew.team, REJECT) == RejectReason.values
    assert Reason.objects.filter(team=other_crew.team).count() == 0


# --- The manager edits them --------------------------------------------------------------------


def test_the_manager_adds_renames_deactivates_and_reorders(crew):
    added = reason_create(actor=crew.manager, kind=DISQUALIFY, label="  Went   bankrupt ")
    assert (added.team_id, added.kind, added.label, added.is_active) == (
        crew.team.pk,
        DISQUALIFY,
        "Went bankrupt",
        True,
    )
    assert added.code.startswith("c") and len(added.code) == 13
    assert _codes(crew.team, DISQUALIFY) == [*DisqualifyReason.values, added.code]

    reason_update(actor=crew.manager, reason_id=added.pk, label="Bankrupt")
    reason_move(actor=crew.manager, reason_id=added.pk, up=True)
    no_need = Reason.objects.get(team=crew.team, kind=DISQUALIFY, code="no_need")
    reason_update(actor=crew.manager, reason_id=no_need.pk, is_active=False)

    added.refresh_from_db()
    assert added.label == "Bankrupt"
    assert _codes(crew.team, DISQUALIFY) == [
        *DisqualifyReason.values[:-1],
        added.code,
        "other",
    ]
    assert _codes(crew.team, DISQUALIFY, active_only=True)[0] == "too_small"
    # The code stays: leads and figures keep counting by it.
    assert Reason.objects.get(pk=no_need.pk).code == "no_need"
    # Deactivated, it still names old records.
    assert reason_labels(kind=DISQUALIFY, codes=["no_need"], team_id=crew.team.pk) == {
        "no_need": "No need"
    }


def test_moving_the_first_up_changes_nothing(crew):
    reasons_ensure(team_id=crew.team.pk)
    first = Reason.objects.get(team=crew.team, kind=REJECT, code="not_qualified")
    reason_move(actor=crew.manager, reason_id=first.pk, up=True)
    assert _codes(crew.team, REJECT) == RejectReason.values


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("", "Give the reason a name."),
        ("   ", "Give the reason a name."),
        ("x" * 101, "Keep the name under 101 characters."),
        ("no NEED", "Your team already has a reason with this name."),
    ],
)
def test_a_bad_name_is_refused_and_nothing_is_added(crew, label, message):
    reasons_ensure(team_id=crew.team.pk)
    before = _reasons(crew.team)
    with pytest.raises(LeadInvalid) as exc:
        reason_create(actor=crew.manager, kind=DISQUALIFY, label=label)
    assert (str(exc.value), exc.value.field) == (message, "label")
    assert _reasons(crew.team) == before


def test_the_last_active_reason_cannot_be_deactivated(crew):
    reasons_ensure(team_id=crew.team.pk)
    *others, last = Reason.objects.filter(team=crew.team, kind=REJECT).order_by("position")
    for r in others:
        reason_update(actor=crew.manager, reason_id=r.pk, is_active=False)
    with pytest.raises(LeadInvalid) as exc:
        reason_update(actor=crew.manager, reason_id=last.pk, is_active=False)
    assert str(exc.value) == "Keep at least one reason active: the forms need one to choose."
    assert Reason.objects.get(pk=last.pk).is_active is True


@pytest.mark.parametrize("role", ["sdr", "bdr", "ae", "marketing", "admin"])
def test_only_the_teams_manager_edits_the_lists(crew, role):
    reasons_ensure(team_id=crew.team.pk)
    before = _reasons(crew.team)
    reason = Reason.objects.filter(team=crew.team).first()
    actor = getattr(crew, role)
    with pytest.raises(LeadForbidden):
        reason_create(actor=actor, kind=DISQUALIFY, label="Mine")
    with pytest.raises(LeadForbidden):
        reason_update(actor=actor, reason_id=reason.pk, label="Renamed")
    with pytest.raises(LeadForbidden):
        reason_move(actor=actor, reason_id=reason.pk, up=False)
    assert _reasons(crew.team) == before


def test_another_teams_manager_cannot_touch_the_list(crew, other_crew):
    reasons_ensure(team_id=crew.team.pk)
    before = _reasons(crew.team)
    reason = Reason.objects.filter(team=crew.team, code="no_budget", kind=DISQUALIFY).get()
    with pytest.raises(NotFound):
        reason_update(actor=other_crew.manager, reason_id=reason.pk, label="Renamed")
    with pytest.raises(NotFound):
        reason_update(actor=other_crew.manager, reason_id=reason.pk, is_active=False)
    with pytest.raises(NotFound):
        reason_move(actor=other_crew.manager, reason_id=reason.pk, up=True)
    assert _reasons(crew.team) == before


# --- Scrapping and rejecting with them ---------------------------------------------------------


def test_a_scrap_keeps_the_teams_reason_code_and_the_label_on_the_timeline(crew):
    reason = reason_create(actor=crew.manager, kind=DISQUALIFY, label="Went bankrupt")
    lead = walk(crew.lead(), "contacting")
    lead_transition(
        actor=crew.sdr,
        lead_id=lead.pk,
        name="disqualify",
        params=TransitionParams(reason=reason.code, note="Court papers"),
    )
    lead.refresh_from_db()
    assert (lead.state, lead.disqualify_reason, lead.disqualify_note) == (
        "disqualified",
        reason.code,
        "Court papers",
    )
    event = LeadEvent.objects.filter(lead=lead).order_by("-id").first()
    assert (event.payload, event.body) == (
        {"transition": "disqualify", "reason": reason.code, "reason_label": "Went bankrupt"},
        "Court papers",
    )


def test_another_teams_reason_is_refused_and_nothing_changes(crew, other_crew):
    theirs = reason_create(actor=other_crew.manager, kind=DISQUALIFY, label="Theirs")
    lead = walk(crew.lead(), "contacting")
    before = lead_snapshot(lead.pk)
    with pytest.raises(LeadInvalid) as exc:
        lead_transition(
            actor=crew.sdr,
            lead_id=lead.pk,
            name="disqualify",
            params=TransitionParams(reason=theirs.code),
        )
    assert (str(exc.value), exc.value.field) == ("Choose a reason for disqualifying.", "reason")
    assert lead_snapshot(lead.pk) == before


def test_a_deactivated_reason_is_refused_to_a_person_but_not_to_the_system(crew):
    reasons_ensure(team_id=crew.team.pk)
    no_response = Reason.objects.get(team=crew.team, kind=DISQUALIFY, code="no_response")
    reason_update(actor=crew.manager, reason_id=no_response.pk, is_active=False)
    lead = walk(crew.lead(), "contacting")
    before = lead_snapshot(lead.pk)
    with pytest.raises(LeadInvalid):
        lead_transition(
            actor=crew.sdr,
            lead_id=lead.pk,
            name="disqualify",
            params=TransitionParams(reason="no_response"),
        )
    assert lead_snapshot(lead.pk) == before
    # The break-up step's automatic scrap still records it.
    lead_transition(
        actor=None,
        lead_id=lead.pk,
        name="disqualify",
        params=TransitionParams(reason="no_response"),
        system_actor_ok=True,
    )
    assert Lead.objects.get(pk=lead.pk).disqualify_reason == "no_response"


def test_a_rejection_keeps_its_code_and_the_aes_words(crew):
    lead = walk(crew.lead(), "handed_off", ae=crew.ae)
    lead_transition(
        actor=crew.ae,
        lead_id=lead.pk,
        name="reject",
        params=TransitionParams(reason_code="bad_timing", reason="Budget opens in March."),
    )
    lead.refresh_from_db()
    assert (lead.state, lead.rejection_code, lead.rejection_reason) == (
        "engaged",
        "bad_timing",
        "Budget opens in March.",
    )
    event = LeadEvent.objects.filter(lead=lead).order_by("-id").first()
    assert event.payload == {
        "transition": "reject",
        "reason": "Budget opens in March.",
        "reason_code": "bad_timing",
        "reason_label": "Bad timing",
    }


def test_words_without_a_reason_count_as_other(crew):
    """What API clients of before sent: the AE's words alone."""
    lead = walk(crew.lead(), "handed_off", ae=crew.ae)
    lead_transition(
        actor=crew.ae, lead_id=lead.pk, name="reject", params=TransitionParams(reason="No fit.")
    )
    lead.refresh_from_db()
    assert (lead.rejection_code, lead.rejection_reason) == ("other", "No fit.")


@pytest.mark.parametrize(
    ("code", "words", "field", "message"),
    [
        ("", "", "reason", "Say why you reject the lead: the SDR reads it."),
        ("other", "  ", "reason", "Describe the reason when you choose 'Other'."),
        ("no_need", "", "reason", "Choose a reason for rejecting."),  # a scrap reason
    ],
)
def test_a_rejection_without_a_valid_reason_changes_nothing(crew, code, words, field, message):
    lead = walk(crew.lead(), "handed_off", ae=crew.ae)
    before = lead_snapshot(lead.pk)
    with pytest.raises(LeadInvalid) as exc:
        lead_transition(
            actor=crew.ae,
            lead_id=lead.pk,
            name="reject",
            params=TransitionParams(reason_code=code, reason=words),
        )
    assert (str(exc.value), exc.value.field) == (message, field)
    assert lead_snapshot(lead.pk) == before
