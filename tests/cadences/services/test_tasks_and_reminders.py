"""Manual touches (calls, LinkedIn, manual emails, tasks) completed with their outcome or
skipped, held emails released, and reminders."""

from datetime import timedelta

import pytest
from django.core import mail

from cadences.models import Channel, Reminder, Touch, TouchStatus
from cadences.services import (
    OUTCOMES_BY_CHANNEL,
    CadenceInvalid,
    StepData,
    enrollment_pause,
    reminder_create,
    reminder_done,
    tick,
    touch_complete,
    touch_dispatch_due,
    touch_mark_manual_due,
    touch_release_held,
    touch_skip,
)
from leads.models import EventKind, Prospect
from leads.services import LeadConflict
from sdrcrm.errors import NotFound
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
    touches,
)
from tests.fixtures import walk

pytestmark = pytest.mark.django_db

ALL_CHANNELS = [c for c in Channel if c != Channel.AUTO_EMAIL]


def one_task(crew, channel, **kwargs):
    """A lead enrolled in a cadence whose first step is a manual ``channel`` touch."""
    first = (
        StepData(channel=channel, subject_template="Re: {{ company.name }}", body_template="Hi")
        if channel == Channel.MANUAL_EMAIL
        else task(channel)
    )
    cadence = make_cadence(
        crew.manager,
        [first, email(day_offset=2), task(Channel.CALL, day_offset=1)],
        name=f"Cadence {channel}",
    )
    lead = crew.lead(**kwargs)
    enrollment = enroll(crew.sdr, lead, cadence)
    return lead, enrollment, Touch.objects.get(enrollment=enrollment, position=1)


# --- Outcomes ---------------------------------------------------------------------------------


def test_outcomes_per_channel():
    assert {c: [o.value for o in outcomes] for c, outcomes in OUTCOMES_BY_CHANNEL.items()} == {
        "call": ["connected", "meeting_booked", "voicemail", "no_answer", "wrong_number"],
        "voicemail": ["voicemail", "connected", "no_answer", "wrong_number"],
        "linkedin_connect": ["linkedin_sent", "linkedin_accepted"],
        "linkedin_message": ["linkedin_sent"],
        "manual_email": ["email_sent"],
        "task": ["done"],
    }


@pytest.mark.parametrize(
    ("channel", "outcome", "kind", "body"),
    [
        (Channel.CALL, "connected", "call", "Phone call: Connected"),
        (Channel.CALL, "no_answer", "call", "Phone call: No answer"),
        (Channel.VOICEMAIL, "voicemail", "call", "Voicemail: Left voicemail"),
        (
            Channel.LINKEDIN_CONNECT,
            "linkedin_accepted",
            "task",
            "LinkedIn connection request: Accepted",
        ),
        (Channel.LINKEDIN_MESSAGE, "linkedin_sent", "task", "LinkedIn message: Sent"),
        (Channel.MANUAL_EMAIL, "email_sent", "email", "Manual email: Email sent"),
        (Channel.TASK, "done", "task", "Task: Done"),
    ],
)
def test_completing_a_task_records_its_outcome(crew, now, channel, outcome, kind, body):
    lead, enrollment, touch = one_task(crew, channel)
    result = touch_complete(actor=crew.sdr, touch_id=touch.pk, outcome=outcome, note=" ok ")

    touch.refresh_from_db()
    assert (touch.status, touch.outcome, touch.note, touch.completed_at, touch.completed_by_id) == (
        "done", outcome, "ok", now, crew.sdr.pk,
    )  # fmt: skip
    assert result.touch.pk == touch.pk
    event = events(lead)[-1]
    assert (event.kind, event.actor_id, event.body, event.created_at) == (
        kind, crew.sdr.pk, body + "\nok", now,
    )  # fmt: skip
    assert event.payload == {
        "touch_id": touch.pk,
        "step": 1,
        "channel": channel,
        "outcome": outcome,
        "outcome_label": body.split(": ", 1)[1],
    }
    assert statuses(enrollment) == ["done", "scheduled", "planned"]


@pytest.mark.parametrize(
    ("channel", "outcome"),
    [
        (Channel.CALL, "linkedin_sent"),
        (Channel.CALL, "done"),
        (Channel.LINKEDIN_CONNECT, "voicemail"),
        (Channel.LINKEDIN_MESSAGE, "linkedin_accepted"),
        (Channel.MANUAL_EMAIL, "done"),
        (Channel.TASK, "connected"),
        (Channel.VOICEMAIL, "meeting_booked"),
        (Channel.CALL, "bogus"),
    ],
)
def test_an_outcome_of_another_channel_is_refused(crew, now, channel, outcome):
    _, _, touch = one_task(crew, channel)
    before = cadence_snapshot()
    with pytest.raises(CadenceInvalid) as exc:
        touch_complete(actor=crew.sdr, touch_id=touch.pk, outcome=outcome)
    assert (str(exc.value), exc.value.field) == ("Choose an outcome.", "outcome")
    assert cadence_snapshot() == before


def test_the_next_step_is_scheduled_from_the_completion_and_later_steps_slip(
    crew, now, time_machine
):
    lead, enrollment, touch = one_task(crew, Channel.LINKEDIN_CONNECT)
    planned = [local(t.due_at) for t in touches(enrollment)]
    # Thursday 6 May is Ascension Day.
    assert planned == [("2027-05-03", "10:00"), ("2027-05-05", "08:00"), ("2027-05-07", "08:00")]

    time_machine.move_to(at(2027, 5, 13, 15, 0), tick=False)  # done ten days late
    touch_complete(actor=crew.sdr, touch_id=touch.pk, outcome="linkedin_sent")

    rows = touches(enrollment)
    assert [t.status for t in rows] == ["done", "scheduled", "planned"]
    # Two business days after Thursday 13th: Friday, (17 May), Tuesday; the call one after.
    assert [local(t.due_at) for t in rows[1:]] == [("2027-05-18", "08:00"), ("2027-05-19", "08:00")]


def test_a_voicemail_proposes_a_reminder_two_business_days_later(crew, now, time_machine):
    lead, enrollment, touch = one_task(crew, Channel.CALL)
    time_machine.move_to(at(2027, 5, 14, 11, 0), tick=False)  # Friday
    result = touch_complete(actor=crew.sdr, touch_id=touch.pk, outcome="voicemail")
    assert local(result.propose_reminder_at) == ("2027-05-19", "08:00")  # Tue 18 is day one
    assert Reminder.objects.count() == 0  # only proposed


def test_no_answer_proposes_the_same_reminder(crew, now, time_machine):
    _, _, touch = one_task(crew, Channel.CALL)
    time_machine.move_to(at(2027, 5, 14, 11, 0), tick=False)  # Friday
    result = touch_complete(actor=crew.sdr, touch_id=touch.pk, outcome="no_answer")
    assert local(result.propose_reminder_at) == ("2027-05-19", "08:00")
    assert Reminder.objects.count() == 0


@pytest.mark.parametrize("outcome", ["connected", "wrong_number"])
def test_other_outcomes_propose_nothing(crew, now, outcome):
    _, _, touch = one_task(crew, Channel.CALL)
    result = touch_complete(actor=crew.sdr, touch_id=touch.pk, outcome=outcome)
    assert result.propose_reminder_at is None


def test_completing_the_last_step_completes_the_cadence(crew, now):
    cadence = make_cadence(crew.manager, [task(Channel.CALL)], name="One call")
    lead = crew.lead()
    enrollment = enroll(crew.sdr, lead, cadence)
    touch_complete(actor=crew.sdr, touch_id=touches(enrollment)[0].pk, outcome="connected")
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason, enrollment.ended_at) == (
        "completed", "", now,
    )  # fmt: skip
    assert events(lead, EventKind.CADENCE)[-1].body == "One call: Completed"


def test_a_task_is_completed_once(crew, now):
    _, _, touch = one_task(crew, Channel.CALL)
    touch_complete(actor=crew.sdr, touch_id=touch.pk, outcome="connected")
    before = cadence_snapshot()
    with pytest.raises(LeadConflict) as exc:
        touch_complete(actor=crew.manager, touch_id=touch.pk, outcome="no_answer")
    assert str(exc.value) == "This task is already done."
    with pytest.raises(LeadConflict, match="This step is not open."):
        touch_skip(actor=crew.sdr, touch_id=touch.pk)
    assert cadence_snapshot() == before


def test_tasks_that_are_not_open_cannot_be_completed(crew, now):
    lead, enrollment, touch = one_task(crew, Channel.CALL)
    later_call = touches(enrollment)[2]  # planned: waits for the steps before it
    auto = make_cadence(crew.manager, [email()], name="Mail only")
    email_touch = touches(enroll(crew.sdr, crew.lead(), auto))[0]
    before = cadence_snapshot()
    for touch_id, message in (
        (later_call.pk, "This task is not open."),
        (email_touch.pk, "This task is not open."),
    ):
        with pytest.raises(LeadConflict) as exc:
            touch_complete(actor=crew.sdr, touch_id=touch_id, outcome="connected")
        assert str(exc.value) == message
    enrollment_pause(actor=crew.sdr, enrollment_id=enrollment.pk)
    before = cadence_snapshot()
    with pytest.raises(LeadConflict, match="The cadence of this task is not active."):
        touch_complete(actor=crew.sdr, touch_id=touch.pk, outcome="connected")
    with pytest.raises(LeadConflict, match="The cadence of this step is not active."):
        touch_skip(actor=crew.sdr, touch_id=touch.pk)
    assert cadence_snapshot() == before


def test_someone_elses_task_is_not_found(crew, other_crew, now):
    _, _, touch = one_task(crew, Channel.CALL)
    before = cadence_snapshot()
    for actor in (crew.sdr2, crew.ae, other_crew.manager, crew.marketing):
        with pytest.raises(NotFound):
            touch_complete(actor=actor, touch_id=touch.pk, outcome="connected")
        with pytest.raises(NotFound):
            touch_skip(actor=actor, touch_id=touch.pk)
    assert cadence_snapshot() == before
    # The SDR's manager may do it for them.
    touch_complete(actor=crew.manager, touch_id=touch.pk, outcome="connected")
    assert Touch.objects.get(pk=touch.pk).completed_by_id == crew.manager.pk


def test_skip_schedules_the_next_step(crew, now, time_machine):
    lead, enrollment, touch = one_task(crew, Channel.LINKEDIN_CONNECT)
    time_machine.move_to(at(2027, 5, 4, 9, 30), tick=False)
    touch_skip(actor=crew.sdr, touch_id=touch.pk, note=" No profile found ")
    touch.refresh_from_db()
    assert (touch.status, touch.note, touch.outcome, touch.completed_by_id) == (
        "skipped", "No profile found", "", crew.sdr.pk,
    )  # fmt: skip
    event = events(lead)[-1]
    assert (event.kind, event.body, event.payload) == (
        "task",
        "Skipped step 1: LinkedIn connection request\nNo profile found",
        {"touch_id": touch.pk, "step": 1, "skipped": True},
    )
    rows = touches(enrollment)
    assert [t.status for t in rows] == ["skipped", "scheduled", "planned"]
    assert local(rows[1].due_at) == ("2027-05-07", "08:00")  # Wednesday, (Ascension), Friday


def test_the_tick_brings_due_tasks_into_the_queue(crew, now, time_machine):
    _, enrollment, touch = one_task(crew, Channel.CALL)
    Touch.objects.filter(pk=touch.pk).update(due_at=now + timedelta(hours=1))
    assert touch_mark_manual_due() == 0
    time_machine.move_to(now + timedelta(hours=1), tick=False)
    assert tick()["manual_due"] == 1
    assert statuses(enrollment) == ["due", "planned", "planned"]
    assert tick()["manual_due"] == 0
    touch_complete(actor=crew.sdr, touch_id=touch.pk, outcome="no_answer")  # due is open
    assert Touch.objects.get(pk=touch.pk).status == TouchStatus.DONE


# --- Held emails --------------------------------------------------------------------------------


def test_a_held_email_is_released_once_the_data_is_fixed(
    crew, now, time_machine, ring, django_capture_on_commit_callbacks
):
    cadence = make_cadence(
        crew.manager, [email(subject="For the {{ prospect.title }}")], name="Titles"
    )
    lead = crew.lead(prospect__title="")
    enrollment = enroll(crew.sdr, lead, cadence)
    stats = touch_dispatch_due()
    assert (stats.held, stats.sent) == (1, 0)
    assert mail.outbox == []
    touch = touches(enrollment)[0]
    assert (touch.status, touch.error) == ("held", "Missing: prospect.title")
    assert events(lead, EventKind.EMAIL) == []

    before = cadence_snapshot()
    with pytest.raises(CadenceInvalid) as exc:
        touch_release_held(actor=crew.sdr, touch_id=touch.pk)
    assert str(exc.value) == "Still missing: prospect.title. Fill them in on the lead first."
    assert cadence_snapshot() == before

    Prospect.objects.filter(pk=lead.prospect_id).update(title="Head of Sales")
    time_machine.move_to(at(2027, 5, 3, 18, 0), tick=False)  # after the window
    with django_capture_on_commit_callbacks(execute=True):
        touch_release_held(actor=crew.sdr, touch_id=touch.pk)
    ring.assert_called_once_with()
    touch.refresh_from_db()
    assert (touch.status, touch.error, local(touch.due_at)) == (
        "scheduled", "", ("2027-05-04", "08:00"),
    )  # fmt: skip
    assert touch_dispatch_due().sent == 0  # not before the window opens
    time_machine.move_to(at(2027, 5, 4, 8, 0), tick=False)
    assert touch_dispatch_due().sent == 1
    assert [m.subject for m in mail.outbox] == ["For the Head of Sales"]

    with pytest.raises(LeadConflict, match="This email is not held."):
        touch_release_held(actor=crew.sdr, touch_id=touch.pk)


def test_a_held_email_can_be_skipped(crew, now):
    cadence = make_cadence(
        crew.manager,
        [email(subject="For the {{ prospect.title }}"), task(Channel.CALL, day_offset=1)],
        name="Titles",
    )
    enrollment = enroll(crew.sdr, crew.lead(prospect__title=""), cadence)
    touch_dispatch_due()
    touch_skip(actor=crew.sdr, touch_id=touches(enrollment)[0].pk)
    assert statuses(enrollment) == ["skipped", "scheduled"]
    assert mail.outbox == []


# --- Reminders ----------------------------------------------------------------------------------


def test_reminders_are_created_and_done(crew, now, time_machine):
    lead = crew.lead()
    due = at(2027, 5, 5, 9, 30)
    reminder = reminder_create(actor=crew.sdr, lead_id=lead.pk, due_at=due, note=" Call back ")
    reminder.refresh_from_db()
    assert (reminder.lead_id, reminder.owner_id, reminder.due_at, reminder.note) == (
        lead.pk, crew.sdr.pk, due, "Call back",
    )  # fmt: skip
    assert reminder.done_at is None
    event = events(lead)[-1]
    assert (event.kind, event.actor_id, event.body, event.payload) == (
        "task", crew.sdr.pk, "Reminder set for 05 May 2027 09:30: Call back",
        {"reminder_id": reminder.pk},
    )  # fmt: skip

    time_machine.move_to(due, tick=False)
    reminder_done(actor=crew.sdr, reminder_id=reminder.pk)
    assert Reminder.objects.get(pk=reminder.pk).done_at == due
    assert events(lead)[-1].body == "Reminder done: Call back"
    before = cadence_snapshot()
    reminder_done(actor=crew.sdr, reminder_id=reminder.pk)  # again: nothing more
    assert cadence_snapshot() == before


def test_reminder_refusals_change_nothing(crew, other_crew, now):
    lead = crew.lead()
    reminder = reminder_create(actor=crew.sdr, lead_id=lead.pk, due_at=now, note="Mine")
    before = cadence_snapshot()
    with pytest.raises(CadenceInvalid, match="Say what to do."):
        reminder_create(actor=crew.sdr, lead_id=lead.pk, due_at=now, note="  ")
    for actor in (crew.sdr2, other_crew.manager, crew.ae):
        with pytest.raises(NotFound):
            reminder_create(actor=actor, lead_id=lead.pk, due_at=now, note="Theirs")
    for actor in (crew.sdr2, crew.manager):  # a reminder is its owner's
        with pytest.raises(NotFound):
            reminder_done(actor=actor, reminder_id=reminder.pk)
    assert cadence_snapshot() == before


def test_the_assigned_ae_may_set_a_reminder(crew, now):
    lead = walk(crew.lead(), "handed_off", ae=crew.ae)
    reminder = reminder_create(actor=crew.ae, lead_id=lead.pk, due_at=now, note="Prep the demo")
    assert reminder.owner_id == crew.ae.pk
