"""The SDR's pace ("N of 40 touches done today") and "tasks in the next 7 days": one definition
(cadences/pace.py, docs/metrics.md "The SDR's day"), the same on Today and in the API."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from cadences.models import Cadence, Channel, Reminder
from cadences.selectors import today_queue
from cadences.services import (
    StepData,
    lead_call_log,
    reminder_create,
    reminder_done,
    touch_complete,
    touch_dispatch_due,
    touch_skip,
)
from leads.services import lead_add_note, lead_log_call
from tests.cadences.helpers import at, email, enroll, make_cadence, task, touches
from tests.fixtures import api_token_for

pytestmark = pytest.mark.django_db


def first_step(crew, channel, owner="sdr"):
    """A lead of ``owner`` enrolled in a one-step cadence of ``channel``: that step."""
    if channel == Channel.MANUAL_EMAIL:
        step = StepData(channel=channel, subject_template="Hi", body_template="Hi")
    else:
        step = task(channel)
    name = f"{channel} {owner} {Cadence.objects.count()}"
    cadence = make_cadence(crew.manager, [step, email(day_offset=3)], name=name)
    lead = crew.lead(owner=owner)
    return touches(enroll(getattr(crew, owner), lead, cadence))[0]


def pace_line(client) -> str:
    html = client.get("/today/").content.decode()
    start = html.index('<section class="card pace"')
    return html[start : html.index("</section>", start)]


def upcoming_line(client) -> str:
    html = client.get("/today/").content.decode()
    start = html.index('<p class="muted">')
    return html[start : html.index("</p>", start)]


# --- Touches done today ---------------------------------------------------------------------


def test_automatic_emails_do_not_raise_the_pace(crew, now, client):
    """The issue: "3 of 40" after one call and two automatic emails. It is 1 of 40."""
    cadence = make_cadence(crew.manager, [email()], name="One email")
    for _ in range(2):
        enroll(crew.sdr, crew.lead(owner="sdr"), cadence)
    client.force_login(crew.sdr)

    assert touch_dispatch_due().sent == 2
    assert today_queue(user=crew.sdr).done_today == 0
    assert "0 of 40 touches done today" in pace_line(client)

    call = first_step(crew, Channel.CALL)
    touch_complete(actor=crew.sdr, touch_id=call.pk, outcome="connected")

    assert today_queue(user=crew.sdr).done_today == 1
    line = pace_line(client)
    assert "1 of 40 touches done today" in line
    assert 'aria-valuenow="1"' in line


def test_the_pace_counts_the_sdrs_own_touches_of_their_day_and_nothing_else(
    crew, now, time_machine
):
    # Yesterday's call: not today's.
    time_machine.move_to(now - timedelta(days=1), tick=False)
    lead_log_call(actor=crew.sdr, lead_id=crew.lead(owner="sdr").pk, outcome="connected")
    time_machine.move_to(now, tick=False)

    # Counted: a call, a LinkedIn touch, a manual email and a task done on Today, and a call
    # logged on the lead page (no cadence).
    for channel, outcome in [
        (Channel.CALL, "voicemail"),
        (Channel.LINKEDIN_CONNECT, "linkedin_sent"),
        (Channel.MANUAL_EMAIL, "email_sent"),
        (Channel.TASK, "done"),
    ]:
        step = first_step(crew, channel)
        touch_complete(actor=crew.sdr, touch_id=step.pk, outcome=outcome)
    free = crew.lead(owner="sdr")
    lead_call_log(actor=crew.sdr, lead_id=free.pk, outcome="no_answer")

    # Not counted: a skipped step, a reminder set and done, a note, a manager's call on the
    # SDR's lead, another SDR's call.
    skipped = first_step(crew, Channel.CALL)
    touch_skip(actor=crew.sdr, touch_id=skipped.pk)
    reminder = reminder_create(actor=crew.sdr, lead_id=free.pk, due_at=now, note="Call back")
    reminder_done(actor=crew.sdr, reminder_id=reminder.pk)
    lead_add_note(actor=crew.sdr, lead_id=free.pk, body="Research done")
    lead_call_log(actor=crew.manager, lead_id=free.pk, outcome="connected")
    lead_call_log(actor=crew.sdr2, lead_id=crew.lead(owner="sdr2").pk, outcome="connected")

    assert today_queue(user=crew.sdr).done_today == 5
    assert today_queue(user=crew.sdr2).done_today == 1
    # The manager looking at the SDR's day sees the SDR's pace, not their own.
    assert today_queue(user=crew.manager, owner=crew.sdr).done_today == 5


def test_the_pace_day_is_the_sdrs_local_day(crew, now, time_machine):
    """10:00 in Oslo on Monday is 04:00 in New York: a call at 05:00 Oslo time (23:00 Sunday in
    New York) is yesterday's for an SDR in New York."""
    crew.sdr.time_zone = "America/New_York"
    crew.sdr.save(update_fields=["time_zone"])
    time_machine.move_to(at(2027, 5, 3, 5, 0), tick=False)
    lead_call_log(actor=crew.sdr, lead_id=crew.lead(owner="sdr").pk, outcome="connected")
    time_machine.move_to(now, tick=False)
    lead_call_log(actor=crew.sdr, lead_id=crew.lead(owner="sdr").pk, outcome="connected")

    assert today_queue(user=crew.sdr).done_today == 1


def test_the_pace_is_capped_and_a_zero_target_is_no_pace(crew, now):
    crew.sdr.daily_touch_target = 1
    crew.sdr.save(update_fields=["daily_touch_target"])
    for _ in range(2):
        lead_call_log(actor=crew.sdr, lead_id=crew.lead(owner="sdr").pk, outcome="connected")
    queue = today_queue(user=crew.sdr)
    assert (queue.done_today, queue.target, queue.pace_percent) == (2, 1, 100)
    crew.sdr.daily_touch_target = 0
    assert today_queue(user=crew.sdr).pace_percent == 0


def test_a_target_of_eight_with_three_touches_is_38_percent(crew, now):
    crew.sdr.daily_touch_target = 8
    crew.sdr.save(update_fields=["daily_touch_target"])
    for _ in range(3):
        lead_call_log(actor=crew.sdr, lead_id=crew.lead(owner="sdr").pk, outcome="busy")
    queue = today_queue(user=crew.sdr)
    assert (queue.done_today, queue.target, queue.pace_percent) == (3, 8, 38)


# --- Tasks in the next 7 days ---------------------------------------------------------------


def test_a_reminder_the_day_after_tomorrow_is_an_upcoming_task(crew, now, client):
    """The issue: "0 tasks in the next 7 days" stayed 0 after a reminder was set for the day
    after tomorrow."""
    lead = crew.lead(owner="sdr")
    client.force_login(crew.sdr)
    assert "0 tasks in the next 7 days" in upcoming_line(client)

    reminder_create(actor=crew.sdr, lead_id=lead.pk, due_at=at(2027, 5, 5, 9, 0), note="Call")

    assert today_queue(user=crew.sdr).upcoming == 1
    assert "1 task in the next 7 days" in upcoming_line(client)


def test_upcoming_counts_steps_and_reminders_of_the_next_seven_days_only(crew, now):
    lead = crew.lead(owner="sdr")

    def remind(due, owner="sdr"):
        on = lead if owner == "sdr" else crew.lead(owner=owner)
        return reminder_create(actor=getattr(crew, owner), lead_id=on.pk, due_at=due, note="x")

    remind(at(2027, 5, 3, 18, 0))  # today's: in the queue, not upcoming
    remind(at(2027, 5, 4, 0, 0))  # tomorrow, first minute: upcoming
    remind(at(2027, 5, 10, 23, 59))  # the seventh day after today: upcoming
    remind(at(2027, 5, 11, 0, 0))  # the eighth: not yet
    done = remind(at(2027, 5, 6, 9, 0))
    Reminder.objects.filter(pk=done.pk).update(done_at=now)  # done: nothing to do
    remind(at(2027, 5, 6, 9, 0), owner="sdr2")  # someone else's
    # A cadence: a call today (in the queue), then an automatic email and a call later.
    cadence = make_cadence(
        crew.manager,
        [task(Channel.CALL), email(day_offset=1), task(Channel.CALL, day_offset=1)],
        name="Call, email, call",
    )
    enroll(crew.sdr, crew.lead(owner="sdr"), cadence)

    # Two reminders and the second call (planned for Wednesday); not the email.
    assert today_queue(user=crew.sdr).upcoming == 3


def test_the_api_gives_the_same_figures(crew, now):
    lead = crew.lead(owner="sdr")
    cadence = make_cadence(crew.manager, [email()], name="One email")
    enroll(crew.sdr, crew.lead(owner="sdr"), cadence)
    assert touch_dispatch_due().sent == 1
    lead_call_log(actor=crew.sdr, lead_id=lead.pk, outcome="voicemail")
    reminder_create(actor=crew.sdr, lead_id=lead.pk, due_at=at(2027, 5, 5, 9, 0), note="Call")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for(crew.sdr)}")

    body = client.get("/api/tasks/").json()

    assert (body["done_today"], body["target"], body["upcoming"]) == (1, 40, 1)
