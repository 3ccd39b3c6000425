"""After a send: the next steps are scheduled, the tick is idempotent, and a reply that commits
between the checks and the send stops the email."""

from datetime import timedelta

import pytest
from django.core import mail

from cadences.models import Enrollment, Touch, TouchStatus
from cadences.services import (
    tick,
    touch_claim_due_emails,
    touch_complete,
    touch_dispatch_due,
)
from leads.models import DisqualifyReason, EventKind
from leads.services import TransitionParams, lead_transition
from tests.cadences.helpers import (
    at,
    cadence_snapshot,
    email,
    events,
    local,
    make_cadence,
    statuses,
    task,
    touches,
)
from tests.cadences.services.dispatch.helpers import enrolled

pytestmark = pytest.mark.django_db


def test_each_sent_email_schedules_the_next_step(crew, cadence, now, time_machine):
    lead, enrollment = enrolled(crew, cadence)
    touch_dispatch_due()
    linkedin = touches(enrollment)[1]
    time_machine.move_to(at(2027, 5, 3, 11, 0), tick=False)
    assert tick()["manual_due"] == 1
    touch_complete(actor=crew.sdr, touch_id=linkedin.pk, outcome="linkedin_sent")
    last = touches(enrollment)[2]
    assert (last.status, local(last.due_at)) == ("scheduled", ("2027-05-05", "08:00"))
    time_machine.move_to(at(2027, 5, 5, 8, 0), tick=False)
    assert touch_dispatch_due().sent == 1
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.ended_at) == ("completed", at(2027, 5, 5, 8, 0))
    assert [e.body for e in events(lead, EventKind.EMAIL)] == [
        f"Hi {lead.prospect.first_name}",
        "Following up",
    ]
    assert statuses(enrollment) == ["sent", "done", "sent"]


# --- The tick ---------------------------------------------------------------------------------


def test_tick_is_idempotent(crew, standard, now, time_machine):
    # An expired lease, a task coming due, a lead moved by hand and an unanswered break-up.
    leased_lead, leased = enrolled(crew, standard)
    touch_claim_due_emails(now=now, limit=1)
    moved_lead, moved = enrolled(crew, standard)
    lead_transition(
        actor=crew.sdr,
        lead_id=moved_lead.pk,
        name="disqualify",
        params=TransitionParams(reason=DisqualifyReason.NO_NEED),
    )
    call_lead, with_call = enrolled(crew, make_cadence(crew.manager, [task()], name="Call"))
    breakup = make_cadence(crew.manager, [email(is_breakup=True, breakup_wait_days=1)], name="B")
    scrap_lead, scrapped = enrolled(crew, breakup)
    Touch.objects.filter(enrollment=scrapped).update(status=TouchStatus.SENT, sent_at=now)
    Enrollment.objects.filter(pk=scrapped.pk).update(scrap_due_at=now + timedelta(hours=1))
    time_machine.move_to(now + timedelta(hours=2), tick=False)

    assert tick() == {
        "recovered": 1,
        "manual_due": 1,
        "stopped": 1,
        "scrapped": 1,
        "resumed": 0,
        "released": 0,
        "emails_due": True,
        "uncertain_due": False,
    }
    before = cadence_snapshot()
    assert tick() == {
        "recovered": 0,
        "manual_due": 0,
        "stopped": 0,
        "scrapped": 0,
        "resumed": 0,
        "released": 0,
        "emails_due": True,
        "uncertain_due": False,
    }
    assert cadence_snapshot() == before
    assert mail.outbox == []  # the tick itself sends nothing


def test_a_reply_committed_after_the_checks_but_before_the_send_stops_the_email(
    crew, cadence, now, monkeypatch
):
    """The window between the send-time checks and the send itself: the chunk re-reads its
    enrollments under a lock, so a reply that committed in between means no email."""
    from cadences.services import lead_record_reply
    from cadences.services.dispatch import send

    lead, enrollment = enrolled(crew, cadence)
    real_message = send._message

    def reply_then_build(touch, context):
        lead_record_reply(lead_id=lead.pk, actor=None, body="Interested, call me")
        return real_message(touch, context)

    monkeypatch.setattr(send, "_message", reply_then_build)
    stats = touch_dispatch_due()

    assert (stats.claimed, stats.sent, stats.cancelled) == (1, 0, 1)
    assert mail.outbox == []
    assert touches(enrollment)[0].status == "cancelled"
    assert touches(enrollment)[0].error == "cadence ended just before sending"
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason) == ("stopped", "replied")
