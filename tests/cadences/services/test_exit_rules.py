"""Exit rules: a reply, a bounce, an unsubscribe, a booked meeting or a lead moved by hand
stops the cadence; a break-up email left unanswered scraps the lead (which the SDR can undo)."""

from datetime import timedelta

import pytest
from django.core import mail

from cadences.models import Channel, Enrollment, Touch
from cadences.services import (
    email_record_bounce,
    email_record_unsubscribe,
    enrollment_pause,
    enrollment_scrap_unanswered,
    enrollment_stop_for_moved_leads,
    lead_record_reply,
    tick,
    touch_complete,
    touch_dispatch_due,
)
from leads.models import DisqualifyReason, EventKind, Lead, LeadState, Prospect
from leads.services import LeadConflict, TransitionParams, lead_transition
from sdrcrm.errors import NotFound
from suppression.models import Suppression
from tests.cadences.helpers import (
    at,
    cadence_snapshot,
    email,
    enroll,
    events,
    local,
    make_cadence,
    statuses,
    task,
)
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def running(crew, standard, now):
    """A lead in the standard cadence whose first email went out."""
    lead = crew.lead()
    enrollment = enroll(crew.sdr, lead, standard)
    assert touch_dispatch_due().sent == 1
    assert len(mail.outbox) == 1
    mail.outbox.clear()
    return lead, enrollment


def kinds_since(lead, first_event_id: int) -> list[str]:
    return [e.kind for e in events(lead) if e.pk > first_event_id]


# --- A reply ----------------------------------------------------------------------------------


def test_a_reply_marked_by_the_sdr_stops_the_cadence_and_engages_the_lead(crew, running, now):
    lead, enrollment = running
    last = events(lead)[-1].pk

    result = lead_record_reply(lead_id=lead.pk, actor=crew.sdr, body="  Call me next week  ")

    assert result.state == LeadState.ENGAGED
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason, enrollment.ended_at) == (
        "stopped", "replied", now,
    )  # fmt: skip
    assert statuses(enrollment) == ["sent"] + ["cancelled"] * 8
    assert Lead.objects.get(pk=lead.pk).state == LeadState.ENGAGED
    new = [e for e in events(lead) if e.pk > last]
    assert [(e.kind, e.actor_id) for e in new] == [
        ("reply", crew.sdr.pk),
        ("cadence", crew.sdr.pk),
        ("transition", crew.sdr.pk),
    ]
    assert (new[0].body, new[0].payload) == ("Call me next week", {"source": "marked by the SDR"})
    assert new[1].body == "Standard outbound (9 touches): Prospect replied"
    assert (new[2].from_state, new[2].to_state) == ("contacting", "engaged")
    # Nothing more goes out.
    assert tick()["emails_due"] is False
    assert touch_dispatch_due().claimed == 0
    assert mail.outbox == []


def test_a_reply_from_the_inbound_webhook(crew, running):
    lead, enrollment = running
    last = events(lead)[-1].pk

    lead_record_reply(lead_id=lead.pk, actor=None, body="Not now", source="inbound webhook")

    assert Enrollment.objects.get(pk=enrollment.pk).stop_reason == "replied"
    assert Lead.objects.get(pk=lead.pk).state == LeadState.ENGAGED
    new = [e for e in events(lead) if e.pk > last]
    assert [(e.kind, e.actor_id) for e in new] == [
        ("reply", None),
        ("cadence", None),
        ("transition", None),
    ]
    assert new[0].payload == {"source": "inbound webhook"}


def test_a_second_reply_is_on_the_timeline_and_changes_nothing_else(crew, running):
    lead, enrollment = running
    lead_record_reply(lead_id=lead.pk, actor=None)
    before = cadence_snapshot()
    last = events(lead)[-1].pk

    lead_record_reply(lead_id=lead.pk, actor=crew.sdr, body="And another thing")

    after = cadence_snapshot()
    assert kinds_since(lead, last) == ["reply"]
    assert {k: v for k, v in after.items() if k != "events"} == {
        k: v for k, v in before.items() if k != "events"
    }


def test_a_reply_on_someone_elses_lead_is_not_found(crew, other_crew, running):
    lead, _ = running
    before = cadence_snapshot()
    for actor in (crew.sdr2, crew.ae, other_crew.manager):
        with pytest.raises(NotFound):
            lead_record_reply(lead_id=lead.pk, actor=actor)
    assert cadence_snapshot() == before


# --- A bounce ---------------------------------------------------------------------------------


def test_a_bounce_flags_the_address_suppresses_it_and_stops_the_cadence(running, now):
    lead, enrollment = running
    address = lead.prospect.email

    assert email_record_bounce(email=f"  {address.upper()} ", note="550 no such user") == 1

    prospect = Prospect.objects.get(pk=lead.prospect_id)
    assert (prospect.email_bounced_at, prospect.do_not_contact) == (now, False)
    assert list(Suppression.objects.values_list("email", "reason")) == [(address, "bounced")]
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason, enrollment.stop_note) == (
        "stopped", "bounced", "550 no such user",
    )  # fmt: skip
    assert statuses(enrollment) == ["sent"] + ["cancelled"] * 8
    assert Lead.objects.get(pk=lead.pk).state == LeadState.CONTACTING
    event = events(lead, EventKind.CADENCE)[-1]
    assert (event.actor_id, event.body) == (
        None,
        "Standard outbound (9 touches): Email bounced — 550 no such user",
    )
    # Again: nothing more to stop, the first bounce time stays.
    before = cadence_snapshot()
    assert email_record_bounce(email=address) == 0
    assert cadence_snapshot() == before


# --- An unsubscribe ---------------------------------------------------------------------------


def test_an_unsubscribe_suppresses_and_stops_every_cadence_emailing_the_address(
    crew, standard, running
):
    first_lead, first = running
    # The SDR disqualified the lead by hand (its cadence not stopped yet) and started a new
    # lead for the same person.
    lead_transition(
        actor=crew.sdr,
        lead_id=first_lead.pk,
        name="disqualify",
        params=TransitionParams(reason=DisqualifyReason.NO_NEED),
    )
    second_lead = LeadFactory(team=crew.team, owner=crew.sdr, prospect=first_lead.prospect)
    second = enroll(crew.sdr, second_lead, standard)
    bystander = enroll(crew.sdr, crew.lead(), standard)

    assert email_record_unsubscribe(email=first_lead.prospect.email, note="link") == 2

    assert Prospect.objects.get(pk=first_lead.prospect_id).do_not_contact is True
    assert list(Suppression.objects.values_list("email", "reason")) == [
        (first_lead.prospect.email, "unsubscribed")
    ]
    assert {
        e.pk: (e.status, e.stop_reason)
        for e in Enrollment.objects.filter(pk__in=[first.pk, second.pk, bystander.pk])
    } == {
        first.pk: ("stopped", "unsubscribed"),
        second.pk: ("stopped", "unsubscribed"),
        bystander.pk: ("active", ""),
    }
    assert statuses(second) == ["cancelled"] * 9
    assert statuses(bystander)[0] == "scheduled"
    # Only the bystander's email goes out.
    assert touch_dispatch_due().sent == 1  # the bystander's first email only
    assert [m.to for m in mail.outbox] == [[bystander.lead.prospect.email]]


def test_an_empty_address_unsubscribes_nothing(running):
    before = cadence_snapshot()
    assert email_record_unsubscribe(email="  ") == 0
    assert cadence_snapshot() == before


# --- A booked meeting -------------------------------------------------------------------------


def test_a_meeting_booked_on_a_call_stops_the_cadence_and_engages_the_lead(crew, now):
    cadence = make_cadence(
        crew.manager, [task(Channel.CALL), email(day_offset=2), task(Channel.LINKEDIN_MESSAGE)]
    )
    lead = crew.lead()
    enrollment = enroll(crew.sdr, lead, cadence)
    call = Touch.objects.get(enrollment=enrollment, position=1)
    last = events(lead)[-1].pk

    touch_complete(actor=crew.sdr, touch_id=call.pk, outcome="meeting_booked", note="Tue 14:00")

    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason) == ("stopped", "meeting_booked")
    assert statuses(enrollment) == ["done", "cancelled", "cancelled"]
    assert Lead.objects.get(pk=lead.pk).state == LeadState.ENGAGED
    new = [e for e in events(lead) if e.pk > last]
    assert [(e.kind, e.actor_id) for e in new] == [
        ("call", crew.sdr.pk),
        ("cadence", crew.sdr.pk),
        ("transition", crew.sdr.pk),
    ]
    assert new[0].body == "Phone call: Meeting booked\nTue 14:00"
    assert new[1].body == "Test cadence: Meeting booked"


# --- A lead moved by hand ---------------------------------------------------------------------


def test_a_lead_moved_by_hand_gets_its_pending_email_cancelled_at_send_time(crew, standard, now):
    lead = crew.lead()
    enrollment = enroll(crew.sdr, lead, standard)
    lead_transition(
        actor=crew.sdr,
        lead_id=lead.pk,
        name="disqualify",
        params=TransitionParams(reason=DisqualifyReason.NO_BUDGET),
    )
    emails_before = events(lead, EventKind.EMAIL)

    stats = touch_dispatch_due()

    assert (stats.claimed, stats.sent, stats.cancelled) == (1, 0, 1)
    assert mail.outbox == []
    first = Touch.objects.get(enrollment=enrollment, position=1)
    assert (first.status, first.error, first.sent_at) == (
        "cancelled", "cadence ended or lead moved", None,
    )  # fmt: skip
    assert events(lead, EventKind.EMAIL) == emails_before == []


def test_the_tick_stops_the_cadence_of_a_lead_moved_by_hand(crew, standard, running, now):
    lead, enrollment = running
    paused = enroll(crew.sdr, crew.lead(), standard)
    enrollment_pause(actor=crew.sdr, enrollment_id=paused.pk)
    walk_to_nurture = crew.lead()
    nurtured = enroll(crew.sdr, walk_to_nurture, standard)
    lead_transition(
        actor=crew.sdr,
        lead_id=lead.pk,
        name="disqualify",
        params=TransitionParams(reason=DisqualifyReason.NO_BUDGET),
    )
    lead_transition(
        actor=crew.manager,
        lead_id=paused.lead_id,
        name="qualify",
    )
    lead_transition(
        actor=crew.sdr,
        lead_id=walk_to_nurture.pk,
        name="nurture",
        params=TransitionParams(recycle_on=(now + timedelta(days=30)).date()),
    )
    untouched = enroll(crew.sdr, crew.lead(), standard)

    assert enrollment_stop_for_moved_leads() == 3

    assert {
        e.pk: (e.status, e.stop_reason, e.stop_note)
        for e in Enrollment.objects.exclude(pk=untouched.pk)
    } == {
        enrollment.pk: ("stopped", "lead_moved", "lead is disqualified"),
        paused.pk: ("stopped", "lead_moved", "lead is qualified"),
        nurtured.pk: ("stopped", "lead_moved", "lead is nurture"),
    }
    assert statuses(enrollment) == ["sent"] + ["cancelled"] * 8
    assert statuses(paused) == ["cancelled"] * 9
    event = events(lead, EventKind.CADENCE)[-1]
    assert (event.actor_id, event.body) == (
        None,
        "Standard outbound (9 touches): Lead left contacting — lead is disqualified",
    )
    assert Enrollment.objects.get(pk=untouched.pk).status == "active"
    before = cadence_snapshot()
    assert enrollment_stop_for_moved_leads() == 0
    assert cadence_snapshot() == before


# --- The break-up email and the automatic scrap ------------------------------------------------


@pytest.fixture
def breakup_sent(crew, now, time_machine):
    """A two-email cadence whose break-up email (wait: 3 business days) went out on Tuesday
    4 May 2027 at 08:00."""
    cadence = make_cadence(
        crew.manager,
        [email(), email(subject="Closing the loop", day_offset=1, is_breakup=True,
                        breakup_wait_days=3)],
        name="Short",
    )  # fmt: skip
    lead = crew.lead()
    enrollment = enroll(crew.sdr, lead, cadence)
    assert touch_dispatch_due().sent == 1
    time_machine.move_to(at(2027, 5, 4, 8, 0), tick=False)
    assert touch_dispatch_due().sent == 1
    assert [m.subject for m in mail.outbox] == ["Hello " + lead.prospect.first_name,
                                                 "Closing the loop"]  # fmt: skip
    enrollment.refresh_from_db()
    return lead, enrollment


def test_an_unanswered_break_up_scraps_the_lead_and_the_sdr_can_undo_it(
    crew, breakup_sent, time_machine
):
    lead, enrollment = breakup_sent
    # Three business days after Tuesday: Wednesday, Friday (Thursday is Ascension Day), Monday.
    assert (enrollment.status, local(enrollment.scrap_due_at)) == (
        "active", ("2027-05-10", "08:00"),
    )  # fmt: skip
    time_machine.move_to(at(2027, 5, 10, 7, 59), tick=False)
    before = cadence_snapshot()
    assert enrollment_scrap_unanswered() == 0
    assert tick()["scrapped"] == 0
    assert cadence_snapshot() == before

    time_machine.move_to(at(2027, 5, 10, 8, 0), tick=False)
    assert tick()["scrapped"] == 1

    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason) == ("completed", "no_response")
    assert statuses(enrollment) == ["sent", "sent"]
    scrapped = Lead.objects.get(pk=lead.pk)
    assert (scrapped.state, scrapped.disqualify_reason, scrapped.disqualified_from) == (
        "disqualified", "no_response", "contacting",
    )  # fmt: skip
    assert scrapped.disqualify_note == "No answer after the break-up email of Short."
    transition = events(lead, EventKind.TRANSITION)[-1]
    assert (transition.actor_id, transition.from_state, transition.to_state) == (
        None, "contacting", "disqualified",
    )  # fmt: skip
    assert transition.payload == {
        "transition": "disqualify",
        "reason": "no_response",
        "reason_label": "No response",
    }
    cadence_event = events(lead, EventKind.CADENCE)[-1]
    assert (cadence_event.actor_id, cadence_event.body) == (
        None,
        "Short: No response after the break-up email",
    )
    # Nothing more to scrap.
    assert enrollment_scrap_unanswered() == 0

    # The SDR sees it and undoes the scrap.
    reopened = lead_transition(actor=crew.sdr, lead_id=lead.pk, name="reopen")
    assert (reopened.state, reopened.disqualify_reason, reopened.disqualified_at) == (
        "contacting", "", None,
    )  # fmt: skip
    last = events(lead, EventKind.TRANSITION)[-1]
    assert (last.actor_id, last.from_state, last.to_state) == (
        crew.sdr.pk, "disqualified", "contacting",
    )  # fmt: skip
    assert Enrollment.objects.get(pk=enrollment.pk).status == "completed"


def test_a_reply_within_the_wait_prevents_the_scrap(crew, breakup_sent, time_machine):
    lead, enrollment = breakup_sent
    lead_record_reply(lead_id=lead.pk, actor=None)
    time_machine.move_to(at(2027, 5, 11, 9, 0), tick=False)
    before = cadence_snapshot()
    assert enrollment_scrap_unanswered() == 0
    assert cadence_snapshot() == before
    assert Lead.objects.get(pk=lead.pk).state == LeadState.ENGAGED


def test_a_lead_already_moved_is_not_scrapped_again(crew, breakup_sent, time_machine):
    lead, enrollment = breakup_sent
    walk_params = TransitionParams(reason=DisqualifyReason.NO_NEED)
    lead_transition(actor=crew.sdr, lead_id=lead.pk, name="disqualify", params=walk_params)
    time_machine.move_to(at(2027, 5, 11, 9, 0), tick=False)
    transitions_before = events(lead, EventKind.TRANSITION)
    # The tick stops the cadence of the moved lead before the scrap looks at it.
    assert tick()["stopped"] == 1
    assert enrollment_scrap_unanswered() == 0
    assert events(lead, EventKind.TRANSITION) == transitions_before
    assert Lead.objects.get(pk=lead.pk).disqualify_reason == "no_need"


def test_booking_a_meeting_on_an_engaged_lead_is_a_conflict(crew, now):
    cadence = make_cadence(crew.manager, [task(Channel.CALL), email(day_offset=1)])
    lead = crew.lead()
    enrollment = enroll(crew.sdr, lead, cadence)
    call = Touch.objects.get(enrollment=enrollment, position=1)
    lead_transition(actor=crew.sdr, lead_id=lead.pk, name="engage")
    before = cadence_snapshot()
    with pytest.raises(LeadConflict):
        touch_complete(actor=crew.sdr, touch_id=call.pk, outcome="meeting_booked")
    assert cadence_snapshot() == before
