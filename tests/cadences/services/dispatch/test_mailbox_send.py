"""Sending through the SDR's own mailbox, against the real test servers (tests/mail/): the
email reaches the prospect's INBOX from the mailbox's address with the touch's Message-ID, a
copy is filed in the Sent folder when the server does not file one, follow-ups thread, the
mailbox's gap spaces the sends, and a mailbox that refuses its password holds its emails."""

from datetime import timedelta

import pytest
from django.core import mail

from cadences.models import Touch
from cadences.services import touch_dispatch_due
from cadences.tasks import mailbox_resume_task
from mailboxes.models import Mailbox, MailboxSendCounter
from tests.cadences.helpers import email, events, make_cadence, statuses, touches
from tests.cadences.services.dispatch.mailbox_world import message_id

pytestmark = pytest.mark.django_db

AUTH_FAILED = "Authentication failed: check the username and the (app) password"


def test_an_email_goes_out_through_the_owners_mailbox(world, cadence, now):
    crew, mailbox = world.crew, world.mailbox
    lead, enrollment, address = world.lead(cadence, prospect__first_name="Kari")

    stats = touch_dispatch_due()

    assert (stats.claimed, stats.sent, stats.held, stats.failed, stats.uncertain) == (
        1, 1, 0, 0, 0,
    )  # fmt: skip
    first = touches(enrollment)[0]
    key = message_id(first, mailbox)
    assert (first.status, first.message_id, first.mailbox_id, first.sent_at) == (
        "sent", key, mailbox.pk, now,
    )  # fmt: skip
    [received] = world.inbox(address)
    assert received["Message-ID"] == key
    assert received["From"] == f"{crew.sdr.first_name} Person <{mailbox.email}>"
    assert (received["To"], received["Subject"]) == (address, "Hi Kari")
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert received["In-Reply-To"] is None
    [submission] = world.servers.submissions(message_id=key)
    assert (submission.login, submission.mail_from, submission.recipients) == (
        mailbox.email, mailbox.email, [address],
    )  # fmt: skip
    # The server files no copy: the dispatcher did, read.
    [copy] = world.sent_folder()
    assert copy["Message-ID"] == key
    with world.servers.imap(mailbox.email) as imap:
        imap.select('"Sent"', readonly=True)
        _, flags = imap.fetch("1", "(FLAGS)")
    assert b"\\Seen" in flags[0]
    # Nothing through the site-wide backend; one timeline entry; the counters and health.
    assert mail.outbox == []
    assert len(events(lead, "email")) == 1
    assert statuses(enrollment) == ["sent", "scheduled", "planned"]
    mailbox.refresh_from_db()
    assert mailbox.last_send_at == now
    assert list(MailboxSendCounter.objects.filter(mailbox=mailbox).values_list("sent")) == [(1,)]


def test_a_server_that_files_its_own_copy_gets_no_second_one(world, cadence, now):
    Mailbox.objects.filter(pk=world.mailbox.pk).update(server_saves_sent=True)
    _, enrollment, address = world.lead(cadence)
    with world.servers.smtp_mode(saves_sent=True):
        assert touch_dispatch_due().sent == 1
    key = message_id(touches(enrollment)[0], world.mailbox)
    assert [m["Message-ID"] for m in world.sent_folder()] == [key]
    assert [m["Message-ID"] for m in world.inbox(address)] == [key]


def test_follow_ups_in_the_thread_read_as_one_conversation(world, now, time_machine):
    """Read back from Dovecot: the prospect's INBOX and the SDR's Sent folder hold the three
    emails, each follow-up a reply to the one before (Re:, In-Reply-To, References)."""
    cadence = make_cadence(
        world.crew.manager,
        [
            email(subject="Hi {{ prospect.first_name }}"),
            email(subject="Unused", day_offset=1, reply_in_thread=True),
            email(subject="Unused", day_offset=1, reply_in_thread=True),
        ],
        name="Threaded",
    )
    _, enrollment, address = world.lead(cadence, prospect__first_name="Kari")
    for day in (0, 1, 2):  # Monday, Tuesday, Wednesday
        time_machine.move_to(now + timedelta(days=day), tick=False)
        assert touch_dispatch_due().sent == 1
    ids = [message_id(t, world.mailbox) for t in touches(enrollment)]
    expected = [
        ("Hi Kari", ids[0], None, None),
        ("Re: Hi Kari", ids[1], ids[0], ids[0]),
        ("Re: Hi Kari", ids[2], ids[1], f"{ids[0]} {ids[1]}"),
    ]
    for folder in (world.inbox(address), world.sent_folder()):
        assert [
            (m["Subject"], m["Message-ID"], m["In-Reply-To"], m["References"]) for m in folder
        ] == expected


def test_the_gap_sends_one_email_per_slot_and_puts_the_rest_to_their_slots(
    world, cadence, now, time_machine
):
    """Three emails due at once from one mailbox with a 120 s gap: one now, the others
    rescheduled to the next slots (120 s apart) without using an attempt."""
    Mailbox.objects.filter(pk=world.mailbox.pk).update(min_gap_seconds=120)
    leads = [world.lead(cadence) for _ in range(3)]

    stats = touch_dispatch_due()

    assert (stats.claimed, stats.sent, stats.rescheduled) == (3, 1, 2)
    firsts = [touches(e)[0] for _, e, _ in leads]
    assert sorted((t.status, t.due_at, t.attempts) for t in firsts) == [
        ("scheduled", now + timedelta(seconds=120), 0),
        ("scheduled", now + timedelta(seconds=240), 0),
        ("sent", now, 1),
    ]
    assert sum(len(world.inbox(a)) for _, _, a in leads) == 1
    # Not before the slot.
    time_machine.move_to(now + timedelta(seconds=119), tick=False)
    assert touch_dispatch_due().claimed == 0
    for step in (120, 240):
        time_machine.move_to(now + timedelta(seconds=step), tick=False)
        assert touch_dispatch_due().sent == 1
    assert [len(world.inbox(a)) for _, _, a in leads] == [1, 1, 1]
    assert MailboxSendCounter.objects.get(mailbox=world.mailbox).sent == 3


def test_two_sdrs_mailboxes_each_send_in_one_chunk(world, cadence, now, make_mailbox):
    other = make_mailbox(world.crew.sdr2, min_gap_seconds=60, jitter_seconds=0,
                         connected_at=now - timedelta(days=30))  # fmt: skip
    mine = [world.lead(cadence) for _ in range(2)]
    theirs = [world.lead(cadence, owner="sdr2") for _ in range(2)]
    stats = touch_dispatch_due()
    # Mine have no gap: both go. Theirs: one per minute.
    assert (stats.sent, stats.rescheduled) == (3, 1)
    assert [len(world.inbox(a)) for _, _, a in mine] == [1, 1]
    assert sorted(len(world.inbox(a)) for _, _, a in theirs) == [0, 1]
    senders = {s.login for s in world.servers.submissions() if s.recipients[0] in
               {a for _, _, a in mine + theirs}}  # fmt: skip
    assert senders == {world.mailbox.email, other.email}


def test_a_refused_password_holds_the_emails_marks_the_mailbox_failing_and_loses_nothing(
    world, cadence, now, time_machine
):
    mailbox = world.mailbox
    _, enrollment, address = world.lead(cadence)
    password = world.servers.user(mailbox.email).password
    world.servers.set_password(mailbox.email, "revoked")

    stats = touch_dispatch_due()

    assert (stats.sent, stats.held, stats.failed) == (0, 1, 0)
    first = touches(enrollment)[0]
    assert (first.status, first.hold_reason, first.error, first.message_id) == (
        "held", "mailbox", AUTH_FAILED, "",
    )  # fmt: skip
    mailbox.refresh_from_db()
    assert (mailbox.status, mailbox.last_error) == ("failing", AUTH_FAILED)
    assert world.inbox(address) == []
    assert MailboxSendCounter.objects.get(mailbox=mailbox).sent == 0  # room given back
    # Later emails of this mailbox are held without trying it again.
    _, second, _ = world.lead(cadence)
    assert touch_dispatch_due().held == 1
    assert touches(second)[0].hold_reason == "mailbox"

    # The password is set right again and the mailbox works: everything goes, once.
    world.servers.set_password(mailbox.email, password)
    Mailbox.objects.filter(pk=mailbox.pk).update(status="connected", last_error="")
    assert mailbox_resume_task(mailbox.pk) == 2
    time_machine.move_to(now + timedelta(minutes=1), tick=False)
    assert touch_dispatch_due().sent == 2
    assert len(world.inbox(address)) == 1
    assert touches(enrollment)[0].status == "sent"


def test_a_temporary_refusal_is_retried_and_sent_once(world, cadence, now, time_machine):
    _, enrollment, address = world.lead(cadence)
    with world.servers.smtp_mode(fault="temp_fail"):
        stats = touch_dispatch_due()
    assert (stats.sent, stats.failed, stats.uncertain) == (0, 1, 0)
    first = touches(enrollment)[0]
    assert (first.status, first.due_at, first.attempts, first.message_id) == (
        "scheduled", now + timedelta(minutes=2), 1, "",
    )  # fmt: skip
    assert first.error.startswith("The message refused: 451 4.3.0 Temporary system problem")
    assert world.inbox(address) == []
    time_machine.move_to(now + timedelta(minutes=2), tick=False)
    assert touch_dispatch_due().sent == 1
    assert len(world.inbox(address)) == 1
    assert Touch.objects.get(pk=first.pk).attempts == 2
