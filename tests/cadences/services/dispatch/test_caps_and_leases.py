"""The per-SDR daily cap, leases (a dead worker, a worker that outlived its lease) and send
failures."""

from datetime import timedelta

import pytest
from django.core import mail

from cadences.services import (
    tick,
    touch_claim_due_emails,
    touch_dispatch_due,
    touch_recover_expired_leases,
    touch_send_claimed,
)
from leads.models import EventKind
from tests.cadences.helpers import (
    at,
    events,
    local,
    statuses,
    touches,
)
from tests.cadences.services.dispatch.helpers import enrolled, message_ids

pytestmark = pytest.mark.django_db


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
        "resumed": 0,
        "released": 0,
        "emails_due": True,
        "uncertain_due": False,
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
