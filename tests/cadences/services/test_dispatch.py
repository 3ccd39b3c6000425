"""The dispatcher: due automatic emails are claimed under a lease, checked at send time
(cadence, lead, suppression, window, cap, personalisation), sent once through Django's email
backend with the one-click unsubscribe headers, and recorded on the timeline; the tick and the
morning digest."""

from datetime import timedelta
from email import message_from_string

import pytest
from django.core import mail

from cadences.context import unsubscribe_touch_id
from cadences.models import Channel, DigestLog, Enrollment, Suppression, Touch, TouchStatus
from cadences.services import (
    digest_send_due,
    enrollment_pause,
    enrollment_resume,
    reminder_create,
    tick,
    touch_claim_due_emails,
    touch_complete,
    touch_dispatch_due,
    touch_recover_expired_leases,
    touch_send_claimed,
)
from leads.models import DisqualifyReason, EventKind, Prospect
from leads.services import TransitionParams, lead_transition
from tests.cadences.helpers import (
    NEW_YORK,
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

pytestmark = pytest.mark.django_db

BODY = "Hi {{ prospect.first_name }},\n\nShall we talk?\n{{ sdr.first_name }}"


@pytest.fixture
def cadence(crew):
    """Email now, a LinkedIn touch the same day, an email two business days later."""
    return make_cadence(
        crew.manager,
        [
            email(subject="Hi {{ prospect.first_name }}", body=BODY),
            task(Channel.LINKEDIN_CONNECT),
            email(subject="Following up", body=BODY, day_offset=2),
        ],
        name="Short",
    )


def enrolled(crew, cadence, owner="sdr", **lead_kwargs):
    lead = crew.lead(owner=owner, **lead_kwargs)
    return lead, enroll(getattr(crew, owner), lead, cadence)


def message_ids() -> list[str]:
    return [m.extra_headers["Message-ID"] for m in mail.outbox]


# --- Sending ----------------------------------------------------------------------------------


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


# --- The per-SDR daily cap --------------------------------------------------------------------


def test_the_daily_cap_moves_the_rest_to_the_next_day(crew, cadence, now, time_machine):
    crew.sdr.daily_email_cap = 2
    crew.sdr.save(update_fields=["daily_email_cap"])
    mine = [enrolled(crew, cadence) for _ in range(3)]
    theirs = enrolled(crew, cadence, owner="sdr2")

    stats = touch_dispatch_due()

    assert (stats.sent, stats.rescheduled) == (3, 1)
    sent_to = {m.to[0] for m in mail.outbox}
    assert theirs[0].prospect.email in sent_to  # another SDR's cap is theirs
    waiting = [e for _, e in mine if touches(e)[0].status == "scheduled"]
    assert len(waiting) == 1
    assert local(touches(waiting[0])[0].due_at) == ("2027-05-04", "08:00")
    assert [touches(e)[0].status for _, e in mine].count("sent") == 2

    # Later the same day nothing more goes out in the SDR's name.
    time_machine.move_to(at(2027, 5, 3, 16, 0), tick=False)
    enrolled(crew, cadence)
    assert touch_dispatch_due().sent == 0
    assert len(mail.outbox) == 3
    # The next morning the cap starts again.
    time_machine.move_to(at(2027, 5, 4, 8, 0), tick=False)
    assert touch_dispatch_due().sent == 2
    assert len(mail.outbox) == 5


# --- Leases and failures ----------------------------------------------------------------------


def test_a_touch_left_sending_by_a_dead_worker_is_recovered_and_sent_once(
    crew, cadence, now, time_machine, settings
):
    settings.SDRCRM_DISPATCH_LEASE_SECONDS = 300
    lead, enrollment = enrolled(crew, cadence)
    key = touches(enrollment)[0].idempotency_key
    assert len(touch_claim_due_emails(now=now, limit=10)) == 1  # the worker dies here
    first = touches(enrollment)[0]
    assert (first.status, first.lease_until, first.attempts) == (
        "sending", now + timedelta(seconds=300), 1,
    )  # fmt: skip

    time_machine.move_to(now + timedelta(seconds=299), tick=False)
    assert touch_dispatch_due().claimed == 0  # still leased: nobody else takes it
    assert touch_recover_expired_leases() == 0
    assert mail.outbox == []

    time_machine.move_to(now + timedelta(seconds=301), tick=False)
    assert touch_recover_expired_leases() == 1
    first.refresh_from_db()
    assert (first.status, first.lease_until, first.error, first.idempotency_key) == (
        "scheduled", None, "recovered after an expired lease", key,
    )  # fmt: skip
    assert touch_dispatch_due().sent == 1
    assert message_ids() == [f"<{key}@localhost>"]
    first.refresh_from_db()
    assert (first.status, first.attempts, first.error) == ("sent", 2, "")
    assert touch_recover_expired_leases() == 0
    assert touch_dispatch_due().claimed == 0
    assert len(mail.outbox) == 1


def test_a_worker_that_outlived_its_lease_does_not_send_what_another_claimed(
    crew, cadence, now, time_machine, settings
):
    """Worker A claims, stalls past its lease; the tick recovers the touch and worker B claims
    and sends it. When A wakes up it sends nothing: the touch is no longer its own."""
    settings.SDRCRM_DISPATCH_LEASE_SECONDS = 300
    lead, enrollment = enrolled(crew, cadence)
    key = touches(enrollment)[0].idempotency_key
    stalled = touch_claim_due_emails(now=now, limit=10)
    time_machine.move_to(now + timedelta(seconds=301), tick=False)
    assert touch_recover_expired_leases() == 1
    b = touch_claim_due_emails(now=now + timedelta(seconds=301), limit=10)
    assert b == stalled

    for ids in (stalled, b):  # A (stale) first, while B still holds the claim, then B
        result = touch_send_claimed(ids)
        assert (result.claimed, result.sent, result.lost_lease) == (
            (1, 0, 1) if ids is stalled else (1, 1, 0)
        )
    assert message_ids() == [f"<{key}@localhost>"]
    assert statuses(enrollment)[0] == "sent"
    assert [e.kind for e in events(lead)].count(EventKind.EMAIL) == 1
    assert touch_send_claimed(stalled).sent == 0  # nor after B recorded it
    assert len(mail.outbox) == 1


def test_the_tick_recovers_expired_leases(crew, cadence, now, time_machine):
    enrolled(crew, cadence)
    touch_claim_due_emails(now=now, limit=10)
    time_machine.move_to(now + timedelta(hours=1), tick=False)
    assert tick() == {
        "recovered": 1,
        "manual_due": 0,
        "stopped": 0,
        "scrapped": 0,
        "emails_due": True,
    }


def test_a_backend_error_is_retried_then_the_touch_fails(
    crew, cadence, now, time_machine, settings
):
    settings.EMAIL_BACKEND = "tests.cadences.backends.FailingBackend"
    settings.SDRCRM_DISPATCH_MAX_ATTEMPTS = 3
    lead, enrollment = enrolled(crew, cadence)
    error = "ProviderDown: the email provider answered 503"

    stats = touch_dispatch_due()
    assert (stats.claimed, stats.sent, stats.failed) == (1, 0, 1)
    first = touches(enrollment)[0]
    assert (first.status, first.attempts, first.error, first.due_at) == (
        "scheduled", 1, error, now + timedelta(minutes=2),
    )  # fmt: skip
    assert touch_dispatch_due().claimed == 0  # not before the retry time

    time_machine.move_to(now + timedelta(minutes=2), tick=False)
    touch_dispatch_due()
    first.refresh_from_db()
    assert (first.status, first.attempts, first.due_at) == (
        "scheduled", 2, now + timedelta(minutes=6),
    )  # fmt: skip

    time_machine.move_to(now + timedelta(minutes=6), tick=False)
    touch_dispatch_due()
    first.refresh_from_db()
    assert (first.status, first.attempts, first.error, first.completed_at) == (
        "failed", 3, error, now + timedelta(minutes=6),
    )  # fmt: skip
    assert events(lead, EventKind.EMAIL) == []
    assert statuses(enrollment) == ["failed", "cancelled", "cancelled"]
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason, enrollment.stop_note) == (
        "stopped", "send_failed", f"step 1: {error}",
    )  # fmt: skip

    # The provider is back: a failed touch stays failed.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    time_machine.move_to(now + timedelta(hours=1), tick=False)
    assert touch_dispatch_due().claimed == 0
    assert mail.outbox == []


def test_waiting_for_the_cap_or_the_window_uses_no_send_attempt(
    crew, cadence, now, time_machine, settings
):
    """A backlog held back by the cap for days, then one provider error: the email is retried,
    not failed for good."""
    settings.SDRCRM_DISPATCH_MAX_ATTEMPTS = 3
    crew.sdr.daily_email_cap = 0
    crew.sdr.save(update_fields=["daily_email_cap"])
    lead, enrollment = enrolled(crew, cadence)
    assert touch_dispatch_due().rescheduled == 1
    for day in (4, 5, 7, 10):  # Thursday 6 May is Ascension Day
        time_machine.move_to(at(2027, 5, day, 8, 0), tick=False)
        assert touch_dispatch_due().rescheduled == 1
    crew.sdr.daily_email_cap = 10
    crew.sdr.save(update_fields=["daily_email_cap"])
    time_machine.move_to(at(2027, 5, 11, 18, 0), tick=False)  # the worker was down all day
    assert touch_dispatch_due().rescheduled == 1  # after the window
    first = touches(enrollment)[0]
    assert (first.status, first.attempts, local(first.due_at)) == (
        "scheduled", 0, ("2027-05-12", "08:00"),
    )  # fmt: skip

    settings.EMAIL_BACKEND = "tests.cadences.backends.FailingBackend"
    time_machine.move_to(at(2027, 5, 12, 8, 0), tick=False)
    assert touch_dispatch_due().failed == 1
    first.refresh_from_db()
    assert (first.status, first.attempts) == ("scheduled", 1)  # to be retried


def test_a_failed_send_gives_its_room_under_the_cap_back(
    crew, cadence, now, time_machine, settings
):
    crew.sdr.daily_email_cap = 1
    crew.sdr.save(update_fields=["daily_email_cap"])
    settings.EMAIL_BACKEND = "tests.cadences.backends.FailingBackend"
    lead, enrollment = enrolled(crew, cadence)
    assert touch_dispatch_due().failed == 1

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    time_machine.move_to(now + timedelta(minutes=2), tick=False)
    stats = touch_dispatch_due()

    assert (stats.sent, stats.rescheduled) == (1, 0)
    assert [m.to for m in mail.outbox] == [[lead.prospect.email]]
    assert touches(enrollment)[0].attempts == 2


# --- The next steps ---------------------------------------------------------------------------


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
        "emails_due": True,
    }
    before = cadence_snapshot()
    assert tick() == {
        "recovered": 0,
        "manual_due": 0,
        "stopped": 0,
        "scrapped": 0,
        "emails_due": True,
    }
    assert cadence_snapshot() == before
    assert mail.outbox == []  # the tick itself sends nothing


# --- The morning digest -----------------------------------------------------------------------


def test_the_morning_digest_goes_once_per_sdr_and_local_day(crew, now, time_machine):
    calls = make_cadence(crew.manager, [task(Channel.CALL)], name="Calls")
    lead = crew.lead()
    enroll(crew.sdr, lead, calls)
    reminder_create(actor=crew.sdr, lead_id=lead.pk, due_at=at(2027, 5, 4, 9, 0), note="Ping")
    crew.sdr2.time_zone = "America/New_York"
    crew.sdr2.save(update_fields=["time_zone"])
    enroll(crew.sdr2, crew.lead(owner="sdr2"), calls)

    time_machine.move_to(at(2027, 5, 4, 6, 59), tick=False)
    assert digest_send_due() == 0
    assert DigestLog.objects.count() == 0

    time_machine.move_to(at(2027, 5, 4, 7, 0), tick=False)
    assert digest_send_due() == 1
    (digest,) = mail.outbox
    assert (digest.to, digest.subject) == ([crew.sdr.email], "Your day: 2 to do")
    name = lead.prospect.full_name
    company = lead.prospect.company.name
    assert digest.body == (
        f"Good morning {crew.sdr.first_name},\n\n"
        "You have 2 things to do today (1 overdue):\n\n"
        f"- Phone call: {name} ({company})\n"
        f"- Reminder: Ping: {name} ({company})\n\n"
        "Open your day: http://127.0.0.1:8000/today/"
    )
    # The BDR had nothing to do: a row, no email. New York is still asleep.
    assert sorted(DigestLog.objects.values_list("user_id", "day")) == sorted(
        [(crew.sdr.pk, at(2027, 5, 4).date()), (crew.bdr.pk, at(2027, 5, 4).date())]
    )
    assert digest_send_due() == 0
    assert len(mail.outbox) == 1

    time_machine.move_to(at(2027, 5, 4, 13, 0), tick=False)  # 07:00 in New York
    assert digest_send_due() == 1
    assert mail.outbox[1].to == [crew.sdr2.email]
    assert digest_send_due() == 0

    time_machine.move_to(at(2027, 5, 5, 7, 30), tick=False)
    assert digest_send_due() == 1  # a new day in Oslo
    assert len(mail.outbox) == 3


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
    assert events(lead, EventKind.EMAIL) == []
