import pytest

from leads.models import EventKind, Lead, LeadEvent
from leads.services import (
    LeadForbidden,
    LeadInvalid,
    lead_add_note,
    lead_log_call,
    lead_set_checklist_item,
)
from sdrcrm.errors import NotFound
from tests.fixtures import walk

from ..helpers import lead_snapshot

pytestmark = pytest.mark.django_db

# Who may do what on a lead owned by crew.sdr and handed off to crew.ae.
NOTE_RULES = {
    "sdr": "ok",
    "manager": "ok",
    "admin": "ok",
    "ae": "ok",  # the assigned AE comments on what they were handed
    "ae2": "404",
    "sdr2": "404",
    "bdr": "404",
    "marketing": "404",
    "other.manager": "404",
}
WORK_RULES = {**NOTE_RULES, "ae": "forbidden"}


def _user(crew, other_crew, who):
    return getattr(other_crew, who[6:]) if who.startswith("other.") else getattr(crew, who)


def _expect(outcome, call, lead_id):
    before = lead_snapshot(lead_id)
    if outcome == "forbidden":
        with pytest.raises(LeadForbidden):
            call()
    else:
        with pytest.raises(NotFound):
            call()
    assert lead_snapshot(lead_id) == before


# --- Notes ----------------------------------------------------------------------------------


def test_a_note_is_recorded_trimmed_and_does_not_bump_the_version(crew):
    lead = crew.lead()
    event = lead_add_note(actor=crew.sdr, lead_id=lead.pk, body="  Spoke to the assistant.\n ")
    stored = LeadEvent.objects.get(lead_id=lead.pk)
    assert stored.pk == event.pk
    assert (stored.kind, stored.actor_id, stored.body, stored.payload) == (
        EventKind.NOTE,
        crew.sdr.pk,
        "Spoke to the assistant.",
        {},
    )
    assert (stored.from_state, stored.to_state) == ("", "")
    assert Lead.objects.get(pk=lead.pk).version == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Write something in the note."),
        (" \n\t ", "Write something in the note."),
        ("x" * 10_001, "A note is at most 10,000 characters."),
    ],
)
def test_an_empty_or_huge_note_is_refused(crew, body, message):
    lead = crew.lead()
    before = lead_snapshot(lead.pk)
    with pytest.raises(LeadInvalid) as exc:
        lead_add_note(actor=crew.sdr, lead_id=lead.pk, body=body)
    assert (exc.value.field, str(exc.value)) == ("body", message)
    assert lead_snapshot(lead.pk) == before


def test_a_note_of_exactly_the_limit_is_fine(crew):
    lead = crew.lead()
    lead_add_note(actor=crew.sdr, lead_id=lead.pk, body="x" * 10_000)
    assert len(LeadEvent.objects.get(lead_id=lead.pk).body) == 10_000


@pytest.mark.parametrize(("who", "outcome"), NOTE_RULES.items())
def test_who_may_add_a_note(crew, other_crew, who, outcome):
    lead = walk(crew.lead(), "handed_off", ae=crew.ae)
    actor = _user(crew, other_crew, who)
    call = lambda: lead_add_note(actor=actor, lead_id=lead.pk, body="Hello")  # noqa: E731
    if outcome == "ok":
        assert call().actor_id == actor.pk
    else:
        _expect(outcome, call, lead.pk)


def test_an_sdr_cannot_note_a_pool_lead_before_claiming_it(crew):
    lead = crew.lead(owner=None)
    _expect("forbidden", lambda: lead_add_note(actor=crew.sdr, lead_id=lead.pk, body="Hi"), lead.pk)


# --- Calls ----------------------------------------------------------------------------------


def test_a_call_is_recorded_with_its_outcome(crew):
    lead = walk(crew.lead(), "contacting")
    lead_log_call(actor=crew.sdr, lead_id=lead.pk, outcome="voicemail", notes="  Call back Friday ")
    event = LeadEvent.objects.filter(lead_id=lead.pk, kind=EventKind.CALL).get()
    assert (event.actor_id, event.body, event.payload) == (
        crew.sdr.pk,
        "Call back Friday",
        {"outcome": "voicemail", "outcome_label": "Left voicemail"},
    )
    assert Lead.objects.get(pk=lead.pk).state == "contacting"


@pytest.mark.parametrize("outcome", ["", "VOICEMAIL", "hung_up", None])
def test_a_call_needs_a_known_outcome(crew, outcome):
    lead = crew.lead()
    before = lead_snapshot(lead.pk)
    with pytest.raises(LeadInvalid) as exc:
        lead_log_call(actor=crew.sdr, lead_id=lead.pk, outcome=outcome)
    assert (exc.value.field, str(exc.value)) == ("outcome", "Choose the call's outcome.")
    assert lead_snapshot(lead.pk) == before


@pytest.mark.parametrize(("who", "outcome"), WORK_RULES.items())
def test_who_may_log_a_call(crew, other_crew, who, outcome):
    lead = walk(crew.lead(), "handed_off", ae=crew.ae)
    actor = _user(crew, other_crew, who)
    call = lambda: lead_log_call(actor=actor, lead_id=lead.pk, outcome="connected")  # noqa: E731
    if outcome == "ok":
        assert call().actor_id == actor.pk
    else:
        _expect(outcome, call, lead.pk)


# --- Research checklist ---------------------------------------------------------------------


def test_ticking_an_item_records_it_once(crew):
    lead = crew.lead()
    result = lead_set_checklist_item(
        actor=crew.sdr, lead_id=lead.pk, item="need_understood", done=True
    )
    assert (result.need_understood, result.version) == (True, 2)
    after_first = lead_snapshot(lead.pk)

    # A double click: same value again changes and records nothing.
    lead_set_checklist_item(actor=crew.sdr, lead_id=lead.pk, item="need_understood", done=True)
    assert lead_snapshot(lead.pk) == after_first

    event = LeadEvent.objects.get(lead_id=lead.pk)
    assert (event.kind, event.actor_id, event.body, event.payload) == (
        EventKind.CHECKLIST,
        crew.sdr.pk,
        "Need understood: done",
        {"item": "need_understood", "done": True},
    )
    assert after_first["lead"]["updated_at"] == event.created_at


def test_unticking_records_a_second_event(crew):
    lead = crew.lead()
    lead_set_checklist_item(actor=crew.sdr, lead_id=lead.pk, item="linkedin_checked", done=True)
    lead_set_checklist_item(actor=crew.sdr, lead_id=lead.pk, item="linkedin_checked", done=False)
    lead_set_checklist_item(actor=crew.sdr, lead_id=lead.pk, item="linkedin_checked", done=False)
    assert list(
        LeadEvent.objects.filter(lead_id=lead.pk).order_by("id").values_list("body", "payload")
    ) == [
        ("LinkedIn checked: done", {"item": "linkedin_checked", "done": True}),
        ("LinkedIn checked: not done", {"item": "linkedin_checked", "done": False}),
    ]
    assert Lead.objects.filter(pk=lead.pk).values_list("linkedin_checked", "version").get() == (
        False,
        3,
    )


def test_unticking_an_item_that_was_never_ticked_records_nothing(crew):
    lead = crew.lead()
    before = lead_snapshot(lead.pk)
    lead_set_checklist_item(actor=crew.sdr, lead_id=lead.pk, item="role_known", done=False)
    assert lead_snapshot(lead.pk) == before


@pytest.mark.parametrize("item", ["", "state", "version", "owner", "score"])
def test_only_checklist_items_can_be_set(crew, item):
    lead = crew.lead()
    before = lead_snapshot(lead.pk)
    with pytest.raises(LeadInvalid, match="^Unknown checklist item.$"):
        lead_set_checklist_item(actor=crew.sdr, lead_id=lead.pk, item=item, done=True)
    assert lead_snapshot(lead.pk) == before


@pytest.mark.parametrize(("who", "outcome"), WORK_RULES.items())
def test_who_may_tick_the_checklist(crew, other_crew, who, outcome):
    lead = walk(crew.lead(), "handed_off", ae=crew.ae)
    actor = _user(crew, other_crew, who)
    call = lambda: lead_set_checklist_item(  # noqa: E731
        actor=actor, lead_id=lead.pk, item="role_known", done=True
    )
    if outcome == "ok":
        assert call().role_known is True
        assert LeadEvent.objects.filter(lead_id=lead.pk).latest("id").actor_id == actor.pk
    else:
        _expect(outcome, call, lead.pk)


def test_a_booked_meeting_engages_a_contacting_lead(crew):
    from leads.models import CallOutcome, EventKind, LeadState
    from leads.services import lead_log_call
    from tests.fixtures import walk

    lead = walk(crew.lead(), "contacting")
    lead_log_call(
        actor=crew.sdr, lead_id=lead.pk, outcome=CallOutcome.MEETING_BOOKED, notes="Demo Tue"
    )
    lead.refresh_from_db()
    assert lead.state == LeadState.ENGAGED
    kinds = list(lead.events.order_by("-id").values_list("kind", "to_state")[:2])
    assert kinds == [(EventKind.TRANSITION, "engaged"), (EventKind.CALL, "")]


def test_a_booked_meeting_on_an_engaged_lead_only_logs_the_call(crew):
    from leads.models import CallOutcome, EventKind, LeadState
    from leads.services import lead_log_call
    from tests.fixtures import walk

    lead = walk(crew.lead(), "engaged")
    version = lead.version
    lead_log_call(actor=crew.sdr, lead_id=lead.pk, outcome=CallOutcome.MEETING_BOOKED)
    lead.refresh_from_db()
    assert (lead.state, lead.version) == (LeadState.ENGAGED, version)
    assert lead.events.order_by("-id").first().kind == EventKind.CALL
