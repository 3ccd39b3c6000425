"""What a message read from the SDR's mailbox does to a cadence (cadences.services.inbound and
the system's reply): an automatic reply pauses until the first business day the person is back
and the tick resumes; a pause by hand is the SDR's; a reply found by the system tells the SDR."""

from datetime import date, timedelta

import pytest

from cadences.models import Enrollment
from cadences.services import (
    email_record_soft_bounce,
    enrollment_pause,
    enrollment_resume,
    enrollment_resume_due,
    lead_record_auto_reply,
    lead_record_colleague_reply,
    lead_record_reply,
    lead_record_sdr_email,
)
from leads.models import EventKind, LeadEvent, LeadState, Prospect
from notifications.models import Notification
from tests.cadences.helpers import cadence_snapshot, enroll, local

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrolled(crew, standard, now):
    lead = crew.lead()
    return lead, enroll(crew.sdr, lead, standard)


def test_an_automatic_reply_with_a_return_date_pauses_until_that_business_day(enrolled, now):
    lead, enrollment = enrolled

    # Back on Thursday 6 May 2027: Ascension Day in Norway, so Friday 7 May.
    resume_at = lead_record_auto_reply(lead_id=lead.pk, return_on=date(2027, 5, 6), body="Away")

    enrollment.refresh_from_db()
    assert local(resume_at) == ("2027-05-07", "08:00")
    assert (enrollment.status, enrollment.resume_at, enrollment.paused_at) == (
        "paused", resume_at, now,
    )  # fmt: skip
    entry = LeadEvent.objects.get(lead=lead, kind=EventKind.AUTO_REPLY)
    assert (entry.body, entry.payload["return_on"]) == ("Away", "2027-05-06")
    pause = LeadEvent.objects.filter(lead=lead, kind=EventKind.CADENCE).latest("pk")
    assert pause.body.endswith("paused until 2027-05-07")
    assert pause.payload == {
        "enrollment_id": enrollment.pk,
        "action": "pause",
        "reason": "auto_reply",
    }


def test_a_return_date_that_has_come_records_without_pausing(enrolled, now):
    lead, enrollment = enrolled

    assert lead_record_auto_reply(lead_id=lead.pk, return_on=date(2027, 5, 3)) is None

    assert Enrollment.objects.get(pk=enrollment.pk).status == "active"
    assert LeadEvent.objects.get(lead=lead, kind=EventKind.AUTO_REPLY).payload["resume_at"] is None


def test_a_pause_by_hand_is_left_to_the_sdr_and_a_later_answer_moves_an_automatic_one(
    crew, enrolled, now
):
    lead, enrollment = enrolled
    enrollment_pause(actor=crew.sdr, enrollment_id=enrollment.pk)
    lead_record_auto_reply(lead_id=lead.pk, return_on=date(2027, 5, 10))
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.resume_at) == ("paused", None)
    assert enrollment_resume_due(now=now + timedelta(days=30)) == 0

    enrollment_resume(actor=crew.sdr, enrollment_id=enrollment.pk)
    first = lead_record_auto_reply(lead_id=lead.pk, return_on=date(2027, 5, 10))
    second = lead_record_auto_reply(lead_id=lead.pk, return_on=date(2027, 5, 12))
    enrollment.refresh_from_db()
    assert (local(first), local(second), enrollment.resume_at) == (
        ("2027-05-10", "08:00"), ("2027-05-12", "08:00"), second,
    )  # fmt: skip

    enrollment_resume(actor=crew.sdr, enrollment_id=enrollment.pk)  # back early, by hand
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.resume_at) == ("active", None)


def test_a_reply_found_by_the_system_tells_the_sdr_once_and_one_marked_by_the_sdr_does_not(
    crew, enrolled
):
    lead, _enrollment = enrolled
    lead_record_reply(lead_id=lead.pk, actor=crew.sdr, body="Called me back")
    assert Notification.objects.count() == 0

    lead_record_reply(lead_id=lead.pk, actor=None, body="Yes please", source="webhook")

    [note] = Notification.objects.all()
    reply = LeadEvent.objects.filter(lead=lead, kind=EventKind.REPLY).latest("pk")
    assert (note.user_id, note.kind, note.event_id, note.body) == (
        crew.sdr.pk, "reply", reply.pk, "Yes please",
    )  # fmt: skip
    assert note.title == f"{lead.prospect.full_name} ({lead.prospect.company.name}) replied"


def test_a_colleague_reply_stops_nothing_in_a_cadence_without_the_rule(crew, enrolled):
    lead, enrollment = enrolled

    assert lead_record_colleague_reply(lead_id=lead.pk, body="Not me, ask Ola") == 0

    assert Enrollment.objects.get(pk=enrollment.pk).status == "active"
    assert LeadEvent.objects.get(lead=lead, kind=EventKind.REPLY).payload == {
        "source": "mailbox", "colleague": True,
    }  # fmt: skip
    assert Notification.objects.get().kind == "reply"


def test_the_sdrs_live_email_engages_the_lead_with_the_sdr_as_its_author(crew, enrolled):
    lead, enrollment = enrolled

    assert lead_record_sdr_email(lead_id=lead.pk, sdr=crew.sdr, live=True, body="See you") == 1

    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason) == ("stopped", "sdr_replied")
    lead.refresh_from_db()
    assert lead.state == LeadState.ENGAGED
    assert LeadEvent.objects.get(lead=lead, kind=EventKind.SDR_EMAIL).actor_id == crew.sdr.pk


def test_a_temporary_failure_of_an_unknown_address_changes_nothing(crew, enrolled):
    before = cadence_snapshot()

    result = email_record_soft_bounce(email="nobody@nowhere.example")

    assert (result.count, result.permanent, result.retry_at) == (1, False, None)
    assert cadence_snapshot() == before
    assert not Prospect.objects.filter(email_soft_bounces__gt=0).exists()
