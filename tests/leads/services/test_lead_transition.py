from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from leads.models import DisqualifyReason, EventKind, Lead, LeadEvent, LeadState
from leads.selectors import lead_scope
from leads.services import (
    LeadConflict,
    LeadForbidden,
    LeadInvalid,
    TransitionParams,
    lead_recycle_due_nurture,
    lead_transition,
    lead_update,
)
from tests.fixtures import walk

from ..helpers import data_for, lead_snapshot

pytestmark = pytest.mark.django_db

# The whole lifecycle, written out independently of the model: state -> {transition: target}.
TABLE = {
    "new": {
        "start_research": "researching",
        "start_contacting": "contacting",
        "disqualify": "disqualified",
        "nurture": "nurture",
    },
    "researching": {
        "start_contacting": "contacting",
        "engage": "engaged",
        "qualify": "qualified",
        "disqualify": "disqualified",
        "nurture": "nurture",
    },
    "contacting": {
        "engage": "engaged",
        "qualify": "qualified",
        "disqualify": "disqualified",
        "nurture": "nurture",
    },
    "engaged": {"qualify": "qualified", "disqualify": "disqualified", "nurture": "nurture"},
    "qualified": {"hand_off": "handed_off", "disqualify": "disqualified", "nurture": "nurture"},
    "handed_off": {"accept": "accepted", "reject": "engaged"},
    "accepted": {},
    # Undo returns to the state it was scrapped from (``walk`` scraps from new).
    "disqualified": {"reopen": "new"},
    "nurture": {"disqualify": "disqualified", "recycle": "new"},
}
NAMES = [
    "start_research",
    "start_contacting",
    "engage",
    "qualify",
    "hand_off",
    "accept",
    "reject",
    "disqualify",
    "nurture",
    "recycle",
    "reopen",
]
ALLOWED = [(s, n, t) for s, moves in TABLE.items() for n, t in moves.items()]
DISALLOWED = [(s, n) for s in TABLE for n in NAMES if n not in TABLE[s]]
AE_TRANSITIONS = ("accept", "reject")

BRIEF = "Budget confirmed, wants a demo"
REJECTION = "Not a fit for our enterprise plan"
NOTE = "Frozen until Q3"


def in_two_weeks():
    return timezone.localdate() + timedelta(days=14)


def valid_params(name: str, ae) -> TransitionParams:
    if name == "hand_off":
        return TransitionParams(ae_id=ae.pk, brief=f"  {BRIEF}  ")
    if name == "reject":
        return TransitionParams(reason=f"  {REJECTION}  ")
    if name == "disqualify":
        return TransitionParams(reason=DisqualifyReason.NO_BUDGET, note=f"  {NOTE}  ")
    if name == "nurture":
        return TransitionParams(recycle_on=in_two_weeks())
    return TransitionParams()


def expected_fields(name: str, at, ae, state: str = "") -> dict:
    return {
        "qualify": {"qualified_at": at},
        "hand_off": {
            "assigned_ae_id": ae.pk,
            "handed_off_at": at,
            "handoff_brief": BRIEF,
            "rejection_reason": "",
            "rejected_at": None,
        },
        "accept": {"accepted_at": at},
        "reject": {
            "rejection_reason": REJECTION,
            "rejected_at": at,
            "assigned_ae_id": None,
            "handed_off_at": None,
        },
        "disqualify": {
            "disqualify_reason": DisqualifyReason.NO_BUDGET,
            "disqualify_note": NOTE,
            "disqualified_at": at,
            "disqualified_from": state,
            "recycle_on": None,
        },
        "nurture": {"recycle_on": in_two_weeks()},
        "recycle": {"recycle_on": None},
        "reopen": {
            "disqualify_reason": "",
            "disqualify_note": "",
            "disqualified_at": None,
            "disqualified_from": "",
        },
    }.get(name, {})


def expected_event(name: str, ae) -> tuple[str, dict]:
    """(body, payload) of the transition event."""
    if name == "hand_off":
        return BRIEF, {"transition": name, "ae_id": ae.pk, "ae": str(ae)}
    if name == "reject":
        return REJECTION, {"transition": name, "reason": REJECTION}
    if name == "disqualify":
        return NOTE, {"transition": name, "reason": DisqualifyReason.NO_BUDGET}
    if name == "nurture":
        return "", {"transition": name, "recycle_on": in_two_weeks().isoformat()}
    return "", {"transition": name}


def event_ids(lead_id: int) -> list[int]:
    return list(
        LeadEvent.objects.filter(lead_id=lead_id).order_by("id").values_list("id", flat=True)
    )


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


# --- Who may make each transition -----------------------------------------------------------

# A state each transition can start from.
SOURCE = {
    "start_research": "new",
    "start_contacting": "researching",
    "engage": "contacting",
    "qualify": "engaged",
    "hand_off": "qualified",
    "accept": "handed_off",
    "reject": "handed_off",
    "disqualify": "researching",
    "nurture": "contacting",
    "reopen": "disqualified",
    "recycle": "nurture",
}
# The lead is owned by crew.sdr and (from handed_off on) assigned to crew.ae.
WORKER_RULES = {
    "sdr": "ok",
    "manager": "ok",
    "admin": "ok",
    "sdr2": "404",
    "bdr": "404",
    "ae": "404",
    "ae2": "404",
    "marketing": "404",
    "other.manager": "404",
    "other.sdr": "404",
}
AE_RULES = {
    "ae": "ok",
    "admin": "ok",
    "sdr": "forbidden",
    "manager": "forbidden",
    "ae2": "404",
    "sdr2": "404",
    "bdr": "404",
    "marketing": "404",
    "other.manager": "404",
    "other.sdr": "404",
}
PERMISSION_CASES = [
    (name, who, outcome)
    for name in NAMES
    for who, outcome in (AE_RULES if name in AE_TRANSITIONS else WORKER_RULES).items()
]


def _user(request, crew, who):
    if who.startswith("other."):  # another team, made only when needed
        return getattr(request.getfixturevalue("other_crew"), who.removeprefix("other."))
    return getattr(crew, who)


@pytest.mark.parametrize(
    ("name", "who", "outcome"), PERMISSION_CASES, ids=[f"{n}-{w}" for n, w, _ in PERMISSION_CASES]
)
def test_who_may_make_each_transition(request, crew, name, who, outcome):
    lead = walk(crew.lead(), SOURCE[name], ae=crew.ae)
    actor = _user(request, crew, who)
    before = lead_snapshot(lead.pk)
    call = lambda: lead_transition(  # noqa: E731
        actor=actor, lead_id=lead.pk, name=name, params=valid_params(name, crew.ae)
    )
    if outcome == "ok":
        assert call().state == TABLE[SOURCE[name]][name]
        assert LeadEvent.objects.filter(lead_id=lead.pk).latest("id").actor_id == actor.pk
        return
    if outcome == "forbidden":
        with pytest.raises(LeadForbidden, match="^You are not allowed to do this on this lead.$"):
            call()
    else:
        with pytest.raises(Http404):
            call()
    assert lead_snapshot(lead.pk) == before


def test_a_bdr_works_their_own_lead(crew):
    lead = crew.lead(owner="bdr")
    assert lead_transition(actor=crew.bdr, lead_id=lead.pk, name="start_research").state == (
        LeadState.RESEARCHING
    )


def test_an_sdr_cannot_work_a_pool_lead_before_claiming_it(crew):
    lead = crew.lead(owner=None)
    before = lead_snapshot(lead.pk)
    with pytest.raises(LeadForbidden):
        lead_transition(actor=crew.sdr, lead_id=lead.pk, name="start_research")
    assert lead_snapshot(lead.pk) == before
    # The team's manager may.
    assert lead_transition(actor=crew.manager, lead_id=lead.pk, name="start_research").state == (
        LeadState.RESEARCHING
    )


def test_a_deactivated_owner_can_no_longer_act(crew):
    lead = crew.lead()
    crew.sdr.is_active = False
    crew.sdr.save(update_fields=["is_active"])
    before = lead_snapshot(lead.pk)
    with pytest.raises(Http404):
        lead_transition(actor=crew.sdr, lead_id=lead.pk, name="start_research")
    assert lead_snapshot(lead.pk) == before


def test_the_system_needs_to_say_so(crew):
    lead = walk(crew.lead(), "nurture")
    before = lead_snapshot(lead.pk)
    with pytest.raises(LeadForbidden, match="^An actor is required.$"):
        lead_transition(actor=None, lead_id=lead.pk, name="recycle")
    assert lead_snapshot(lead.pk) == before

    lead = lead_transition(actor=None, lead_id=lead.pk, name="recycle", system_actor_ok=True)
    assert lead.state == LeadState.NEW
    event = LeadEvent.objects.filter(lead_id=lead.pk).latest("id")
    assert (event.actor_id, event.from_state, event.to_state) == (None, "nurture", "new")


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
        {"transition": "disqualify", "reason": "other"},
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
