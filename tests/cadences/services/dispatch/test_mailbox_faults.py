"""Never twice, with the real servers: the connection drops after the message was handed over
and before the server's answer, in both ways the test SMTP server can drop it
(``drop_after_accept``: delivered, then dropped; ``drop_before_accept``: dropped, nothing
delivered). The touch is uncertain until the resolver has looked in the Sent folder; the
prospect's INBOX ends with exactly one copy and the touch is recorded sent once.
docs/reliability.md, "Never twice"."""

from datetime import timedelta
from unittest import mock

import pytest

from cadences.models import Touch
from cadences.services import (
    has_uncertain_due,
    lead_record_reply,
    tick,
    touch_dispatch_due,
    touch_resolve_uncertain,
    touch_settle_uncertain,
)
from cadences.services.dispatch import send as send_module
from mailboxes.models import Mailbox
from tests.cadences.helpers import events, statuses, touches
from tests.cadences.services.dispatch.mailbox_world import message_id

pytestmark = pytest.mark.django_db

GRACE = timedelta(seconds=120)  # SDRCRM_UNCERTAIN_GRACE_SECONDS


def files_its_own_copy(world) -> None:
    Mailbox.objects.filter(pk=world.mailbox.pk).update(server_saves_sent=True)


def _state(touch) -> tuple:
    touch.refresh_from_db()
    return (touch.status, touch.hold_reason, touch.message_id)


@pytest.mark.parametrize("fault", ["drop_after_accept", "drop_before_accept"])
def test_a_dropped_answer_leaves_the_touch_uncertain_and_nothing_retried(
    world, cadence, now, fault
):
    lead, enrollment, address = world.lead(cadence)
    with world.servers.smtp_mode(fault=fault, fault_count=1):
        stats = touch_dispatch_due()
    assert (stats.sent, stats.uncertain, stats.failed) == (0, 1, 0)
    first = touches(enrollment)[0]
    key = message_id(first, world.mailbox)
    assert _state(first) == ("uncertain", "", key)
    assert first.lease_until == now + GRACE
    assert first.error.startswith(
        "The connection to the mailbox's server dropped after the email was handed over, "
        "before the server answered: the Sent folder is checked before anything is sent again."
    )
    assert statuses(enrollment) == ["uncertain", "planned", "planned"]
    assert events(lead, "email") == []
    # Never claimed again, and not looked for before the grace period is over.
    assert touch_dispatch_due().claimed == 0
    assert has_uncertain_due(now + GRACE - timedelta(seconds=1)) is False
    assert has_uncertain_due(now + GRACE) is True


def test_delivered_then_dropped_is_found_in_the_sent_folder_and_recorded_once(
    world, cadence, now, time_machine
):
    files_its_own_copy(world)
    lead, enrollment, address = world.lead(cadence)
    with world.servers.smtp_mode(saves_sent=True, fault="drop_after_accept", fault_count=1):
        assert touch_dispatch_due().uncertain == 1
        first = touches(enrollment)[0]
        key = message_id(first, world.mailbox)
        time_machine.move_to(now + GRACE, tick=False)
        assert tick()["uncertain_due"] is True

        assert touch_resolve_uncertain() == {
            "sent": 1, "rescheduled": 0, "asked": 0, "cancelled": 0, "skipped": 0,
        }  # fmt: skip

        assert _state(first) == ("sent", "", key)
        assert statuses(enrollment) == ["sent", "scheduled", "planned"]
        assert len(events(lead, "email")) == 1
        # Nothing more goes out, now or later.
        assert touch_dispatch_due().claimed == 0
        assert touch_resolve_uncertain()["sent"] == 0
    assert [m["Message-ID"] for m in world.inbox(address)] == [key]
    assert [s.outcome for s in world.servers.submissions(message_id=key)] == [
        "dropped_after_accept"
    ]


def test_dropped_before_delivery_is_not_in_the_sent_folder_and_goes_out_once_on_retry(
    world, cadence, now, time_machine
):
    files_its_own_copy(world)
    lead, enrollment, address = world.lead(cadence)
    with world.servers.smtp_mode(saves_sent=True, fault="drop_before_accept", fault_count=1):
        assert touch_dispatch_due().uncertain == 1
        first = touches(enrollment)[0]
        key = message_id(first, world.mailbox)
        assert world.inbox(address) == []
        time_machine.move_to(now + GRACE, tick=False)

        assert touch_resolve_uncertain()["rescheduled"] == 1

        first.refresh_from_db()
        assert (first.status, first.due_at, first.message_id, first.attempts) == (
            "scheduled", now + GRACE, "", 1,
        )  # fmt: skip
        assert first.error == (
            "Not in the mailbox's Sent folder: the server did not take it. Sent again."
        )
        assert touch_dispatch_due().sent == 1
    assert _state(first) == ("sent", "", key)
    assert [m["Message-ID"] for m in world.inbox(address)] == [key]
    assert len(events(lead, "email")) == 1
    assert [s.outcome for s in world.servers.submissions(message_id=key)] == [
        "dropped_before_accept", "accepted",
    ]  # fmt: skip


def test_a_server_that_keeps_no_copy_leaves_it_to_the_sdr_who_says_it_was_sent(
    world, cadence, now, time_machine
):
    """drop_after_accept on a server that files nothing: no one can know; held for the SDR,
    never resent; "It was sent" records it once."""
    lead, enrollment, address = world.lead(cadence)
    with world.servers.smtp_mode(fault="drop_after_accept", fault_count=1):
        touch_dispatch_due()
    first = touches(enrollment)[0]
    time_machine.move_to(now + GRACE, tick=False)

    assert touch_resolve_uncertain()["asked"] == 1

    assert _state(first) == ("uncertain", "ask_sdr", message_id(first, world.mailbox))
    assert first.lease_until is None
    assert first.error.startswith("The connection to the mailbox's server dropped after the")
    assert touch_resolve_uncertain()["asked"] == 0  # asked once, not looked for again
    assert touch_dispatch_due().claimed == 0
    touch_settle_uncertain(actor=world.crew.sdr, touch_id=first.pk, sent=True)
    assert _state(first)[0] == "sent"
    assert len(events(lead, "email")) == 1
    assert len(world.inbox(address)) == 1


def test_a_server_that_keeps_no_copy_and_the_sdr_sends_it_again_once(
    world, cadence, now, time_machine
):
    lead, enrollment, address = world.lead(cadence)
    with world.servers.smtp_mode(fault="drop_before_accept", fault_count=1):
        touch_dispatch_due()
    first = touches(enrollment)[0]
    time_machine.move_to(now + GRACE, tick=False)
    touch_resolve_uncertain()
    touch_settle_uncertain(actor=world.crew.sdr, touch_id=first.pk, sent=False)
    assert touch_dispatch_due().sent == 1
    assert [m["Message-ID"] for m in world.inbox(address)] == [message_id(first, world.mailbox)]
    assert len(events(lead, "email")) == 1


def test_a_worker_dying_after_handing_over_before_recording_is_resolved_from_the_sent_copy(
    world, cadence, now, time_machine
):
    """The worker dies between the server's 250 (and the Sent copy filed by the dispatcher)
    and its commit: the chunk's transaction is lost, the touch stays sending with its Message-ID
    committed. After the lease it is uncertain, not scheduled; the resolver finds the copy."""
    lead, enrollment, address = world.lead(cadence)
    with mock.patch.object(send_module, "record_sent", side_effect=SystemExit("killed")):
        with pytest.raises(SystemExit):
            touch_dispatch_due()
    first = touches(enrollment)[0]
    key = message_id(first, world.mailbox)
    assert _state(first) == ("sending", "", key)
    assert len(world.inbox(address)) == 1

    time_machine.move_to(now + timedelta(minutes=6), tick=False)  # the lease (300 s) is over
    assert tick()["recovered"] == 1
    assert _state(first)[0] == "uncertain"
    assert touch_dispatch_due().claimed == 0
    assert touch_resolve_uncertain()["sent"] == 1
    assert _state(first) == ("sent", "", key)
    assert [m["Message-ID"] for m in world.inbox(address)] == [key]
    assert len(events(lead, "email")) == 1


def test_the_resolver_cannot_reach_a_failing_mailbox_and_looks_again_later(
    world, cadence, now, time_machine
):
    files_its_own_copy(world)
    _, enrollment, address = world.lead(cadence)
    with world.servers.smtp_mode(saves_sent=True, fault="drop_after_accept", fault_count=1):
        touch_dispatch_due()
    first = touches(enrollment)[0]
    password = world.servers.user(world.mailbox.email).password
    world.servers.set_password(world.mailbox.email, "revoked")
    time_machine.move_to(now + GRACE, tick=False)

    assert touch_resolve_uncertain()["skipped"] == 1

    first.refresh_from_db()
    assert (first.status, first.lease_until) == ("uncertain", now + GRACE + timedelta(minutes=5))
    assert Mailbox.objects.get(pk=world.mailbox.pk).status == "failing"
    world.servers.set_password(world.mailbox.email, password)
    time_machine.move_to(now + GRACE + timedelta(minutes=5), tick=False)
    assert touch_resolve_uncertain()["sent"] == 1
    assert len(world.inbox(address)) == 1


def test_found_after_the_cadence_ended_is_recorded_and_schedules_nothing(
    world, cadence, now, time_machine
):
    files_its_own_copy(world)
    lead, enrollment, address = world.lead(cadence)
    with world.servers.smtp_mode(saves_sent=True, fault="drop_after_accept", fault_count=1):
        touch_dispatch_due()
    lead_record_reply(lead_id=lead.pk, actor=world.crew.sdr, body="Yes, call me")
    time_machine.move_to(now + GRACE, tick=False)
    assert touch_resolve_uncertain()["sent"] == 1
    assert statuses(enrollment) == ["sent", "cancelled", "cancelled"]
    assert len(events(lead, "email")) == 1
    assert Touch.objects.filter(enrollment=enrollment, status="scheduled").count() == 0
