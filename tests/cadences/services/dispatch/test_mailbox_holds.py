"""A team that sends through its SDRs' mailboxes: an SDR without a working mailbox has their
emails held with the reason (never sent another way), shown on Today and the lead, and
released when the mailbox works (``cadences.mailbox_resume_task``). Nothing here talks to a
mail server: an email that would be sent is not reached (see test_mailbox_send.py)."""

from datetime import timedelta

import pytest
from django.core import mail

from cadences.models import HoldReason, Touch, TouchStatus
from cadences.services import enrollment_stop, tick, touch_dispatch_due
from cadences.tasks import mailbox_resume_task
from mailboxes.models import MailboxStatus
from tests.cadences.helpers import cadence_snapshot, events, statuses, touches
from tests.cadences.services.dispatch.helpers import enrolled
from tests.mailboxes.helpers import mailbox_row

pytestmark = pytest.mark.django_db

NO_MAILBOX = (
    "No connected mailbox: the SDR connects theirs on their Mailbox page, and the email "
    "goes out then."
)


@pytest.fixture
def via_mailbox(crew):
    crew.team.email_via = "mailbox"
    crew.team.save(update_fields=["email_via"])
    return crew


def held(touch) -> tuple:
    touch.refresh_from_db()
    return (touch.status, touch.hold_reason, touch.error, touch.message_id, touch.attempts)


def test_no_mailbox_holds_the_email_with_the_reason_and_sends_nothing(via_mailbox, cadence, now):
    crew = via_mailbox
    lead, enrollment = enrolled(crew, cadence)
    first = touches(enrollment)[0]

    stats = touch_dispatch_due()

    assert (stats.claimed, stats.sent, stats.held) == (1, 0, 1)
    assert mail.outbox == []
    assert held(first) == ("held", "no_mailbox", NO_MAILBOX, "", 1)
    assert statuses(enrollment) == ["held", "planned", "planned"]
    assert events(lead, "email") == []
    enrollment.refresh_from_db()
    assert enrollment.status == "active"
    # Held, not retried: the next run claims nothing.
    assert touch_dispatch_due().claimed == 0


def test_a_disconnected_mailbox_counts_as_none(via_mailbox, cadence, now):
    mailbox_row(via_mailbox.sdr, status=MailboxStatus.DISCONNECTED)
    _, enrollment = enrolled(via_mailbox, cadence)
    assert touch_dispatch_due().held == 1
    assert held(touches(enrollment)[0])[:3] == ("held", "no_mailbox", NO_MAILBOX)


def test_a_failing_mailbox_holds_with_its_error(via_mailbox, cadence, now):
    mailbox_row(
        via_mailbox.sdr,
        status=MailboxStatus.FAILING,
        last_error="Authentication failed: check the username and the (app) password",
    )
    _, enrollment = enrolled(via_mailbox, cadence)
    assert touch_dispatch_due().held == 1
    assert held(touches(enrollment)[0]) == (
        "held",
        "mailbox",
        "Authentication failed: check the username and the (app) password",
        "",
        1,
    )
    assert mail.outbox == []


def test_the_site_backend_team_is_not_held(crew, cadence, now):
    """A team that chose the site-wide backend sends as before, mailbox or not."""
    mailbox_row(crew.sdr, status=MailboxStatus.FAILING, last_error="broken")
    _, enrollment = enrolled(crew, cadence)
    assert touch_dispatch_due().sent == 1
    assert len(mail.outbox) == 1
    first = touches(enrollment)[0]
    assert (first.status, first.mailbox_id, first.hold_reason) == ("sent", None, "")


def test_the_resume_task_releases_the_held_emails_once_the_mailbox_works(
    via_mailbox, cadence, now, time_machine, ring, django_capture_on_commit_callbacks
):
    crew = via_mailbox
    mailbox = mailbox_row(crew.sdr, status=MailboxStatus.FAILING, last_error="revoked")
    _, mine = enrolled(crew, cadence)
    _, colleagues = enrolled(crew, cadence, owner="sdr2")  # sdr2 has no mailbox
    touch_dispatch_due()
    ring.reset_mock()
    later = now + timedelta(hours=1)
    time_machine.move_to(later, tick=False)

    # Still failing: nothing moves.
    before = cadence_snapshot()
    assert mailbox_resume_task(mailbox.pk) == 0
    assert cadence_snapshot() == before

    mailbox.status, mailbox.last_error = MailboxStatus.CONNECTED, ""
    mailbox.save(update_fields=["status", "last_error"])
    with django_capture_on_commit_callbacks(execute=True):
        assert mailbox_resume_task(mailbox.pk) == 1
    first = touches(mine)[0]
    assert (first.status, first.hold_reason, first.error, first.due_at) == (
        "scheduled", "", "", later,
    )  # fmt: skip
    # Only this mailbox owner's emails: the colleague's stay held.
    assert held(touches(colleagues)[0])[:2] == ("held", "no_mailbox")
    assert ring.call_count == 1  # the dispatcher is rung after commit
    # Idempotent.
    assert mailbox_resume_task(mailbox.pk) == 0


def test_the_resume_task_leaves_emails_held_for_missing_fields(via_mailbox, cadence, now):
    crew = via_mailbox
    mailbox = mailbox_row(crew.sdr)
    _, enrollment = enrolled(crew, cadence)
    first = touches(enrollment)[0]
    Touch.objects.filter(pk=first.pk).update(
        status=TouchStatus.HELD, hold_reason=HoldReason.FIELDS, error="Missing: first name"
    )
    assert mailbox_resume_task(mailbox.pk) == 0
    assert held(first)[:3] == ("held", "fields", "Missing: first name")


def test_a_held_email_of_an_ended_cadence_is_cancelled_not_released(via_mailbox, cadence, now):
    crew = via_mailbox
    mailbox = mailbox_row(crew.sdr, status=MailboxStatus.FAILING, last_error="revoked")
    _, enrollment = enrolled(crew, cadence)
    touch_dispatch_due()
    enrollment_stop(actor=crew.sdr, enrollment_id=enrollment.pk)
    mailbox.status = MailboxStatus.CONNECTED
    mailbox.save(update_fields=["status"])
    assert mailbox_resume_task(mailbox.pk) == 0
    assert statuses(enrollment) == ["cancelled", "cancelled", "cancelled"]


def test_the_tick_releases_the_emails_of_an_sdr_who_connects_a_mailbox(
    via_mailbox, cadence, now, time_machine
):
    """No bell needed: an SDR who had no mailbox connects one (or a failing one works again
    and the bell was lost); the next tick releases their held emails."""
    crew = via_mailbox
    _, mine = enrolled(crew, cadence)
    _, colleagues = enrolled(crew, cadence, owner="sdr2")
    touch_dispatch_due()
    mailbox_row(crew.sdr2, status=MailboxStatus.FAILING, last_error="revoked")
    later = now + timedelta(minutes=5)
    time_machine.move_to(later, tick=False)
    assert tick()["released"] == 0

    mailbox_row(crew.sdr)
    result = tick()

    assert (result["released"], result["emails_due"]) == (1, True)
    first = touches(mine)[0]
    assert (first.status, first.hold_reason, first.error, first.due_at) == (
        "scheduled", "", "", later,
    )  # fmt: skip
    # The colleague's mailbox is failing: their email stays held.
    assert held(touches(colleagues)[0])[:2] == ("held", "no_mailbox")
    assert tick()["released"] == 0
