"""lead_transition: who may make each transition."""

import pytest

from leads.models import LeadEvent, LeadState
from leads.services import (
    LeadForbidden,
    lead_transition,
)
from sdrcrm.errors import NotFound
from tests.fixtures import walk

from ..helpers import lead_snapshot
from .transitions import (
    AE_TRANSITIONS,
    NAMES,
    TABLE,
    valid_params,
)

pytestmark = pytest.mark.django_db


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
        with pytest.raises(NotFound):
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
    with pytest.raises(NotFound):
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
