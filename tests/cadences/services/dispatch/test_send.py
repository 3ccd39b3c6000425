"""Sending: a due email goes once, through Django's email backend, with the one-click
unsubscribe headers and its timeline entry; what is checked at send time (cadence, lead,
suppression, window, personalisation, pause)."""

from datetime import timedelta
from email import message_from_string

import pytest
from django.core import mail

from cadences.context import unsubscribe_touch_id
from cadences.services import (
    enrollment_pause,
    enrollment_resume,
    tick,
    touch_claim_due_emails,
    touch_dispatch_due,
    touch_send_claimed,
)
from leads.models import DisqualifyReason, EventKind, Prospect
from leads.services import TransitionParams, lead_transition
from suppression.models import Suppression
from tests.cadences.helpers import (
    NEW_YORK,
    at,
    cadence_snapshot,
    email,
    events,
    local,
    make_cadence,
    statuses,
    touches,
)
from tests.cadences.services.dispatch.helpers import BODY, enrolled, message_ids

pytestmark = pytest.mark.django_db


def test_a_due_email_is_sent_once_with_its_headers_and_timeline_entry(crew, cadence, now):
    lead, enrollment = enrolled(crew, cadence, prospect__first_name="Ada")
    first = touches(enrollment)[0]

    stats = touch_dispatch_due()

    assert (stats.claimed, stats.sent, stats.held, stats.cancelled, stats.failed) == (
        1, 1, 0, 0, 0,
    )  # fmt: skip
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert (message.subject, message.to, message.cc, message.bcc) == (
        "Hi Ada", [lead.prospect.email], [], [],
    )  # fmt: skip
    assert message.from_email == f"{crew.sdr.first_name} Person <{crew.sdr.email}>"
    key = str(first.idempotency_key)
    headers = message.extra_headers
    assert headers["Message-ID"] == f"<{key}@localhost>"
    assert headers["X-SDRCRM-Touch"] == key
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = headers["List-Unsubscribe"].removeprefix("<").removesuffix(">")
    assert link.startswith("http://127.0.0.1:8000/u/")
    assert unsubscribe_touch_id(link.removeprefix("http://127.0.0.1:8000/u/").rstrip("/")) == (
        first.pk
    )
    assert message.body == (
        f"Hi Ada,\n\nShall we talk?\n{crew.sdr.first_name}"
        f"\n\n--\nNot interested? Unsubscribe with one click: {link}"
    )
    parsed = message_from_string(message.message().as_string())
    assert parsed["Message-ID"] == f"<{key}@localhost>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    first.refresh_from_db()
    assert (first.status, first.sent_at, first.completed_at, first.lease_until) == (
        "sent", now, now, None,
    )  # fmt: skip
    assert (first.attempts, first.error, first.rendered_subject) == (1, "", "Hi Ada")
    assert first.rendered_body == f"Hi Ada,\n\nShall we talk?\n{crew.sdr.first_name}"
    (event,) = events(lead, EventKind.EMAIL)
    assert (event.actor_id, event.body, event.created_at) == (None, "Hi Ada", now)
    assert event.payload == {
        "touch_id": first.pk,
        "step": 1,
        "cadence_id": cadence.pk,
        "breakup": False,
        "to": lead.prospect.email,
    }
    # The next step is scheduled; the one after waits for it.
    assert statuses(enrollment) == ["sent", "scheduled", "planned"]
    assert touches(enrollment)[1].due_at == now

    # Dispatching again sends nothing more.
    assert touch_dispatch_due().claimed == 0
    assert len(mail.outbox) == 1
    assert len(events(lead, EventKind.EMAIL)) == 1


def test_an_unsubscribe_link_in_the_body_is_not_added_twice(crew, now):
    cadence = make_cadence(
        crew.manager,
        [email(body="Hi {{ prospect.first_name }}\nLeave: {{ unsubscribe_url }}")],
        name="Own link",
    )
    enrolled(crew, cadence, prospect__first_name="Ada")
    touch_dispatch_due()
    (message,) = mail.outbox
    link = message.extra_headers["List-Unsubscribe"][1:-1]
    assert message.body == f"Hi Ada\nLeave: {link}"


def test_header_injection_through_personalisation_adds_no_header(crew, now):
    cadence = make_cadence(
        crew.manager, [email(subject="Hi {{ prospect.first_name }}", body=BODY)], name="Inj"
    )
    crew.sdr.first_name = "Sam\r\nX-Evil: 1"
    crew.sdr.save(update_fields=["first_name"])
    lead, enrollment = enrolled(
        crew, cadence, prospect__first_name="Eve\r\nBcc: victim@evil.example"
    )

    assert touch_dispatch_due().sent == 1

    (message,) = mail.outbox
    assert message.subject == "Hi Eve Bcc: victim@evil.example"
    assert (message.to, message.cc, message.bcc) == ([lead.prospect.email], [], [])
    parsed = message_from_string(message.message().as_string())
    assert sorted(parsed.keys()) == sorted(
        [
            "Content-Type",
            "MIME-Version",
            "Content-Transfer-Encoding",
            "Subject",
            "From",
            "To",
            "Date",
            "Message-ID",
            "List-Unsubscribe",
            "List-Unsubscribe-Post",
            "X-SDRCRM-Touch",
        ]
    )
    assert parsed["Subject"] == "Hi Eve Bcc: victim@evil.example"
    assert parsed["From"] == f'"Sam X-Evil: 1 Person" <{crew.sdr.email}>'
    assert touches(enrollment)[0].rendered_subject == "Hi Eve Bcc: victim@evil.example"


def test_batches_send_everything_due_oldest_first(crew, cadence, now, time_machine):
    leads = []
    for minutes in (40, 10, 30, 20, 0):
        time_machine.move_to(now - timedelta(minutes=minutes), tick=False)
        leads.append(enrolled(crew, cadence)[0])
    time_machine.move_to(now, tick=False)

    stats = touch_dispatch_due(batch=2)

    assert (stats.claimed, stats.sent) == (5, 5)
    order = [leads[i].prospect.email for i in (0, 2, 3, 1, 4)]
    assert [m.to[0] for m in mail.outbox] == order
    assert len(set(message_ids())) == 5


# --- Checked at send time ---------------------------------------------------------------------


def _suppress(lead):
    Suppression.objects.create(email=lead.prospect.email, reason="manual")


def _do_not_contact(lead):
    Prospect.objects.filter(pk=lead.prospect_id).update(do_not_contact=True)


def _bounced(lead):
    Prospect.objects.filter(pk=lead.prospect_id).update(email_bounced_at=at(2027, 5, 1))


def _no_email(lead):
    Prospect.objects.filter(pk=lead.prospect_id).update(email=None)


@pytest.mark.parametrize("block", [_suppress, _do_not_contact, _bounced, _no_email])
def test_an_address_blocked_after_enrollment_is_not_emailed(crew, cadence, now, block):
    lead, enrollment = enrolled(crew, cadence)
    block(lead)

    stats = touch_dispatch_due()

    assert (stats.claimed, stats.sent, stats.cancelled) == (1, 0, 1)
    assert mail.outbox == []
    first = touches(enrollment)[0]
    assert (first.status, first.error, first.sent_at, first.completed_at) == (
        "cancelled", "address suppressed or do-not-contact", None, now,
    )  # fmt: skip
    assert events(lead, EventKind.EMAIL) == []
    # The cadence cannot go on: it stops, so it does not sit active with steps that never come.
    assert statuses(enrollment) == ["cancelled", "cancelled", "cancelled"]
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason, enrollment.stop_note) == (
        "stopped", "unsubscribed", "the address is suppressed, bounced or do-not-contact",
    )  # fmt: skip


def test_a_stopped_cadence_or_moved_lead_is_checked_at_send_time(crew, cadence, now):
    """Claimed by a worker, then the lead was disqualified before the worker sent it."""
    lead, enrollment = enrolled(crew, cadence)
    claimed = touch_claim_due_emails(now=now, limit=10)
    lead_transition(
        actor=crew.sdr,
        lead_id=lead.pk,
        name="disqualify",
        params=TransitionParams(reason=DisqualifyReason.NO_NEED),
    )
    stats = touch_send_claimed(claimed)
    assert (stats.sent, stats.cancelled) == (0, 1)
    assert mail.outbox == []
    assert touches(enrollment)[0].status == "cancelled"


def test_outside_the_window_the_email_waits_for_the_next_slot(crew, cadence, now, time_machine):
    oslo_lead, oslo = enrolled(crew, cadence)
    ny_lead, ny = enrolled(
        crew, cadence, prospect__time_zone="America/New_York", prospect__company__country="US"
    )
    assert local(touches(ny)[0].due_at, NEW_YORK) == ("2027-05-03", "08:00")
    # The worker was down; it comes back at 17:30 in Oslo, 11:30 in New York.
    time_machine.move_to(at(2027, 5, 3, 17, 30), tick=False)

    stats = touch_dispatch_due()

    assert (stats.claimed, stats.sent, stats.rescheduled) == (2, 1, 1)
    assert [m.to for m in mail.outbox] == [[ny_lead.prospect.email]]
    first = touches(oslo)[0]
    assert (first.status, local(first.due_at), first.lease_until) == (
        "scheduled", ("2027-05-04", "08:00"), None,
    )  # fmt: skip
    assert events(oslo_lead, EventKind.EMAIL) == []

    assert touch_dispatch_due().claimed == 0  # not yet
    time_machine.move_to(at(2027, 5, 4, 8, 0), tick=False)
    assert touch_dispatch_due().sent == 1
    assert [m.to for m in mail.outbox][1:] == [[oslo_lead.prospect.email]]


def test_a_missing_field_holds_the_email(crew, now):
    cadence = make_cadence(
        crew.manager,
        [email(body="In {{ company.industry }}, {{ prospect.title }} {{ prospect.first_name }}"),
         email(day_offset=1)],
        name="Industry",
    )  # fmt: skip
    lead, enrollment = enrolled(crew, cadence, prospect__company__industry="", prospect__title="")

    stats = touch_dispatch_due()

    assert (stats.claimed, stats.sent, stats.held) == (1, 0, 1)
    assert mail.outbox == []
    first = touches(enrollment)[0]
    assert (first.status, first.error, first.lease_until, first.sent_at) == (
        "held", "Missing: company.industry, prospect.title", None, None,
    )  # fmt: skip
    assert statuses(enrollment) == ["held", "planned"]
    assert events(lead, EventKind.EMAIL) == []
    assert touch_dispatch_due().claimed == 0


def test_a_paused_enrollment_sends_nothing_until_resumed(crew, cadence, now, time_machine):
    lead, enrollment = enrolled(crew, cadence)
    enrollment_pause(actor=crew.sdr, enrollment_id=enrollment.pk)
    before = cadence_snapshot()

    stats = touch_dispatch_due(max_seconds=5)

    assert stats.claimed == 0
    assert mail.outbox == []
    assert cadence_snapshot() == before
    assert tick()["emails_due"] is False
    time_machine.move_to(now + timedelta(hours=1), tick=False)
    enrollment_resume(actor=crew.sdr, enrollment_id=enrollment.pk)
    assert tick()["emails_due"] is True
    assert touch_dispatch_due().sent == 1
    assert touches(enrollment)[0].attempts == 1


def test_an_enrollment_paused_after_the_claim_is_put_back(crew, cadence, now):
    lead, enrollment = enrolled(crew, cadence)
    claimed = touch_claim_due_emails(now=now, limit=10)
    enrollment_pause(actor=crew.sdr, enrollment_id=enrollment.pk)
    stats = touch_send_claimed(claimed)
    assert (stats.sent, stats.rescheduled) == (0, 1)
    assert mail.outbox == []
    first = touches(enrollment)[0]
    assert (first.status, first.due_at, first.lease_until) == ("scheduled", now, None)
