"""A call logged on the lead page (``POST /cadences/leads/<id>/calls/``) goes the way of a call
step done on Today (``lead_call_log``): it counts toward the SDR's pace, a voicemail or no
answer proposes the same follow-up reminder, and a call step due today is that step done."""

import re

import pytest
from django.contrib.messages import get_messages

from cadences.models import Channel, Reminder, TouchStatus
from cadences.selectors import today_queue
from leads.models import EventKind, LeadEvent
from tests.cadences.helpers import (
    at,
    cadence_snapshot,
    email,
    enroll,
    events,
    make_cadence,
    statuses,
    task,
    touches,
)

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def call(client, lead, outcome, notes=""):
    return client.post(f"/cadences/leads/{lead.pk}/calls/", {"outcome": outcome, "notes": notes})


def proposed(client, path: str) -> bool:
    return 'aria-label="Proposed reminder"' in client.get(path).content.decode()


def proposal_notes(html: str) -> list[str]:
    return re.findall(r'<input type="hidden" name="note" value="([^"]+)">', html)


def test_the_lead_page_posts_its_call_form_to_the_one_call_path(crew, now, client):
    lead = crew.lead(owner="sdr")
    client.force_login(crew.sdr)
    html = client.get(f"/leads/{lead.pk}/").content.decode()
    assert f'action="/cadences/leads/{lead.pk}/calls/" class="call-form"' in html


def test_a_voicemail_on_the_lead_page_proposes_a_reminder_and_counts_toward_the_pace(
    crew, now, client
):
    lead = crew.lead(owner="sdr", prospect__first_name="Ada", prospect__last_name="King")
    client.force_login(crew.sdr)

    response = call(client, lead, "voicemail", "Left a message about pricing.")

    assert (response.status_code, response["Location"]) == (302, f"/leads/{lead.pk}/")
    assert _messages(response) == ["Call logged: Left voicemail."]
    (event,) = events(lead, EventKind.CALL)
    assert (event.actor_id, event.payload["outcome"], event.body) == (
        crew.sdr.pk, "voicemail", "Left a message about pricing.",
    )  # fmt: skip
    assert Reminder.objects.count() == 0  # only proposed

    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert 'aria-label="Proposed reminder"' in page
    assert "A reminder to call Ada King again on" in page
    # Two business days after Monday 10:00, at the opening of the working day: Wednesday 08:00.
    assert 'name="due_at" value="2027-05-05T08:00"' in page
    assert proposal_notes(page) == ["Call back after the voicemail"]
    assert f'name="next" value="/leads/{lead.pk}/"' in page
    # It counts, on Today as for any touch of the SDR's.
    assert today_queue(user=crew.sdr).done_today == 1
    assert "1 of 40 touches done today" in client.get("/today/").content.decode()

    accepted = client.post(  # the proposal's form, as shown
        f"/cadences/leads/{lead.pk}/reminders/",
        {"due_at": "2027-05-05T08:00", "note": "Call back after the voicemail",
         "next": f"/leads/{lead.pk}/", "accept": "1"},
    )  # fmt: skip

    assert (accepted.status_code, accepted["Location"]) == (302, f"/leads/{lead.pk}/")
    reminder = Reminder.objects.get()
    assert (reminder.lead_id, reminder.owner_id, reminder.due_at) == (
        lead.pk, crew.sdr.pk, at(2027, 5, 5, 8, 0),
    )  # fmt: skip
    assert not proposed(client, f"/leads/{lead.pk}/")
    assert today_queue(user=crew.sdr).upcoming == 1


def test_no_answer_on_the_lead_page_proposes_too(crew, now, client):
    lead = crew.lead(owner="sdr")
    client.force_login(crew.sdr)
    call(client, lead, "no_answer")
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert proposal_notes(page) == ["Call back: no answer last time"]


@pytest.mark.parametrize("outcome", ["connected", "busy", "wrong_number", "not_interested"])
def test_other_outcomes_propose_nothing_and_still_count(crew, now, client, outcome):
    lead = crew.lead(owner="sdr")
    client.force_login(crew.sdr)
    call(client, lead, outcome)
    assert not proposed(client, f"/leads/{lead.pk}/")
    assert today_queue(user=crew.sdr).done_today == 1


def test_the_proposal_shows_only_on_the_lead_it_is_for(crew, now, client):
    lead, other = crew.lead(owner="sdr"), crew.lead(owner="sdr")
    client.force_login(crew.sdr)
    call(client, lead, "voicemail")
    assert not proposed(client, f"/leads/{other.pk}/")
    # Today shows the proposal wherever the call was logged.
    assert proposed(client, "/today/")


def test_a_call_step_due_today_is_done_by_the_call_on_the_lead_page(crew, now, client):
    cadence = make_cadence(
        crew.manager, [task(Channel.CALL), email(day_offset=1)], name="Call then email"
    )
    lead = crew.lead(owner="sdr")
    enrollment = enroll(crew.sdr, lead, cadence)
    step = touches(enrollment)[0]
    client.force_login(crew.sdr)
    assert [i.obj.pk for i in today_queue(user=crew.sdr).items] == [step.pk]

    call(client, lead, "voicemail", "Rang twice.")

    step.refresh_from_db()
    assert (step.status, step.outcome, step.completed_by_id, step.note) == (
        TouchStatus.DONE, "voicemail", crew.sdr.pk, "Rang twice.",
    )  # fmt: skip
    assert statuses(enrollment) == ["done", "scheduled"]
    (event,) = events(lead, EventKind.CALL)  # one call, not two
    assert event.payload["touch_id"] == step.pk
    queue = today_queue(user=crew.sdr)
    assert (queue.items, queue.done_today) == ([], 1)
    # The proposal is the cadence's: in the prospect's time zone and send window.
    assert proposal_notes(client.get(f"/leads/{lead.pk}/").content.decode()) == [
        "Call back after the voicemail"
    ]


def test_an_outcome_the_step_does_not_know_is_a_call_and_leaves_the_step_open(crew, now, client):
    cadence = make_cadence(crew.manager, [task(Channel.CALL)], name="One call")
    lead = crew.lead(owner="sdr")
    step = touches(enroll(crew.sdr, lead, cadence))[0]
    client.force_login(crew.sdr)

    call(client, lead, "busy")

    step.refresh_from_db()
    assert step.status == TouchStatus.SCHEDULED
    (event,) = events(lead, EventKind.CALL)
    assert "touch_id" not in event.payload
    assert today_queue(user=crew.sdr).done_today == 1


@pytest.mark.parametrize("outcome", ["", "teleported"])
def test_a_call_without_a_valid_outcome_saves_nothing(crew, now, client, outcome):
    lead = crew.lead(owner="sdr")
    client.force_login(crew.sdr)
    before = cadence_snapshot()

    response = call(client, lead, outcome)

    assert (response.status_code, response["Location"]) == (302, f"/leads/{lead.pk}/")
    assert _messages(response) == ["Choose the call's outcome: nothing was saved."]
    assert cadence_snapshot() == before
    assert "proposed_reminder" not in client.session


def test_another_teams_sdr_gets_404_and_nothing_happens(crew, other_crew, now, client):
    lead = crew.lead(owner="sdr")
    client.force_login(other_crew.sdr)
    before = cadence_snapshot()

    assert call(client, lead, "voicemail").status_code == 404

    assert cadence_snapshot() == before
    assert "proposed_reminder" not in client.session


def test_someone_who_does_not_work_the_lead_is_refused_and_nothing_happens(crew, now, client):
    lead = crew.lead(owner=None)  # in the team's pool: visible to its SDRs, worked by no one
    client.force_login(crew.sdr)
    before = cadence_snapshot()

    assert call(client, lead, "voicemail").status_code == 403

    assert cadence_snapshot() == before
    assert LeadEvent.objects.filter(kind=EventKind.CALL).count() == 0
