"""The SDR's day (``today_queue``): what is due and in which order (the pace: test_pace.py)."""

from datetime import timedelta

import pytest

from cadences.models import Channel, Reminder, Touch, TouchStatus
from cadences.selectors import today_queue
from cadences.services import (
    StepData,
    enrollment_pause,
    reminder_create,
)
from leads.services import lead_transition
from sdrcrm.errors import NotFound
from tests.cadences.helpers import at, email, enroll, make_cadence, task

pytestmark = pytest.mark.django_db

NOW = at(2027, 5, 11, 11, 0)  # Tuesday


@pytest.fixture
def day(crew, time_machine):
    """A builder of queue items for the SDR, with the clock at Tuesday 11 May 2027, 11:00."""
    time_machine.move_to(NOW, tick=False)
    cadences = {}

    def cadence_for(channel):
        if channel not in cadences:
            if channel == Channel.AUTO_EMAIL:
                step = email()
            elif channel == Channel.MANUAL_EMAIL:
                step = StepData(channel=channel, subject_template="Hi", body_template="Hi")
            else:
                step = task(channel)
            cadences[channel] = make_cadence(crew.manager, [step], name=f"Only {channel}")
        return cadences[channel]

    def touch(channel, due, status=TouchStatus.DUE, owner="sdr", score=None, **fields):
        lead = crew.lead(owner=owner, score=score)
        enrollment = enroll(getattr(crew, owner), lead, cadence_for(channel))
        Touch.objects.filter(enrollment=enrollment).update(due_at=due, status=status, **fields)
        return Touch.objects.get(enrollment=enrollment)

    def reminder(due, note, owner="sdr"):
        lead = crew.lead(owner=owner)
        return reminder_create(actor=getattr(crew, owner), lead_id=lead.pk, due_at=due, note=note)

    touch.reminder = reminder
    return touch


def described(queue) -> list[tuple]:
    return [(item.kind, item.label, item.overdue, item.obj.pk) for item in queue.items]


def test_overdue_first_then_calls_linkedin_manual_emails_and_reminders(crew, day):
    b = day(Channel.LINKEDIN_CONNECT, NOW - timedelta(days=2))
    c = day.reminder(at(2027, 5, 10, 9, 0), "Yesterday")
    a = day(Channel.CALL, at(2027, 5, 10, 15, 0), score=10)
    d = day(
        Channel.AUTO_EMAIL,
        at(2027, 5, 11, 8, 0),
        status=TouchStatus.HELD,
        error="Missing: prospect.title",
    )
    e = day(Channel.CALL, at(2027, 5, 11, 9, 0), score=20)
    f = day(Channel.CALL, at(2027, 5, 11, 9, 0), score=80)
    g = day(Channel.VOICEMAIL, at(2027, 5, 11, 16, 0), status=TouchStatus.SCHEDULED)
    h = day(Channel.LINKEDIN_MESSAGE, at(2027, 5, 11, 8, 0))
    i = day(Channel.MANUAL_EMAIL, at(2027, 5, 11, 8, 30))
    t = day(Channel.TASK, at(2027, 5, 11, 7, 0))
    j = day.reminder(at(2027, 5, 11, 10, 0), "Send the deck")
    k = day.reminder(at(2027, 5, 11, 18, 0), "Later today")

    queue = today_queue(user=crew.sdr)

    assert described(queue) == [
        ("touch", "LinkedIn connection request", True, b.pk),
        ("reminder", "Reminder: Yesterday", True, c.pk),
        ("touch", "Phone call", True, a.pk),
        # A held email is late as soon as its time has passed.
        ("held", "Held email: Missing: prospect.title", True, d.pk),
        ("touch", "Phone call", False, f.pk),  # same time: the higher score first
        ("touch", "Phone call", False, e.pk),
        ("touch", "Voicemail", False, g.pk),  # later today
        ("touch", "LinkedIn message", False, h.pk),
        ("touch", "Manual email", False, i.pk),
        ("touch", "Task", False, t.pk),
        ("reminder", "Reminder: Send the deck", False, j.pk),
        ("reminder", "Reminder: Later today", False, k.pk),
    ]
    assert queue.overdue_count == 4
    first = queue.items[0]
    assert (first.lead_name, first.company) == (
        b.lead.prospect.full_name,
        b.lead.prospect.company.name,
    )


def test_what_is_not_in_todays_queue(crew, day):
    tomorrow_call = day(Channel.CALL, at(2027, 5, 12, 9, 0), status=TouchStatus.SCHEDULED)
    day(Channel.AUTO_EMAIL, at(2027, 5, 11, 9, 0), status=TouchStatus.SCHEDULED)
    day(Channel.CALL, at(2027, 5, 11, 9, 0), owner="sdr2")
    paused = day(Channel.CALL, at(2027, 5, 11, 9, 0))
    enrollment_pause(actor=crew.sdr, enrollment_id=paused.enrollment_id)
    engaged = day(Channel.CALL, at(2027, 5, 11, 9, 0))
    lead_transition(actor=crew.sdr, lead_id=engaged.lead_id, name="engage")
    day(Channel.CALL, at(2027, 5, 11, 9, 0), status=TouchStatus.DONE)
    day(Channel.CALL, at(2027, 5, 11, 9, 0), status=TouchStatus.PLANNED)
    day.reminder(at(2027, 5, 12, 9, 0), "Tomorrow")
    done = day.reminder(at(2027, 5, 11, 9, 0), "Done already")
    Reminder.objects.filter(pk=done.pk).update(done_at=NOW)
    day.reminder(at(2027, 5, 11, 9, 0), "Someone else's", owner="sdr2")

    queue = today_queue(user=crew.sdr)

    assert queue.items == []
    assert queue.overdue_count == 0
    assert queue.upcoming == 2  # tomorrow's call and tomorrow's reminder
    assert tomorrow_call.status == "scheduled"


# The pace and the upcoming count: tests/cadences/test_pace.py.


def test_the_local_day_is_the_owners(crew, day):
    """For an SDR in New York, Tuesday 11:00 in Oslo is 05:00. A call due Tuesday 05:00 in Oslo
    was due Monday 23:00 in New York: overdue. One due Wednesday 02:00 in Oslo is Tuesday
    20:00 in New York: today's. For an SDR in Oslo it is the other way round."""
    crew.sdr.time_zone = "America/New_York"
    crew.sdr.save(update_fields=["time_zone"])
    early = day(Channel.CALL, at(2027, 5, 11, 5, 0))
    late = day(Channel.CALL, at(2027, 5, 12, 2, 0))
    assert described(today_queue(user=crew.sdr)) == [
        ("touch", "Phone call", True, early.pk),
        ("touch", "Phone call", False, late.pk),
    ]
    crew.sdr.time_zone = "Europe/Oslo"
    crew.sdr.save(update_fields=["time_zone"])
    assert described(today_queue(user=crew.sdr)) == [("touch", "Phone call", False, early.pk)]


def test_a_manager_sees_an_sdrs_day(crew, other_crew, day):
    call = day(Channel.CALL, NOW)
    reminder = day.reminder(NOW, "Call back")
    expected = [
        ("touch", "Phone call", False, call.pk),
        ("reminder", "Reminder: Call back", False, reminder.pk),
    ]
    assert described(today_queue(user=crew.manager, owner=crew.sdr)) == expected
    assert described(today_queue(user=crew.admin, owner=crew.sdr)) == expected
    assert today_queue(user=crew.manager).items == []  # the manager's own day
    for user in (crew.sdr2, other_crew.manager, crew.ae):
        with pytest.raises(NotFound):
            today_queue(user=user, owner=crew.sdr)


def test_upcoming_counts_planned_steps_of_active_cadences_in_the_next_week(crew, day):
    day(Channel.LINKEDIN_CONNECT, at(2027, 5, 13, 9, 0), status=TouchStatus.PLANNED)
    day(Channel.CALL, at(2027, 5, 14, 9, 0), status=TouchStatus.SCHEDULED)
    day(Channel.CALL, at(2027, 5, 25, 9, 0), status=TouchStatus.PLANNED)  # beyond the week
    day(Channel.AUTO_EMAIL, at(2027, 5, 13, 9, 0), status=TouchStatus.PLANNED)  # not a task
    paused = day(Channel.CALL, at(2027, 5, 13, 9, 0), status=TouchStatus.PLANNED)
    enrollment_pause(actor=crew.sdr, enrollment_id=paused.enrollment_id)

    assert today_queue(user=crew.sdr).upcoming == 2
