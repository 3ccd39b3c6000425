"""Delivery reports read from the SDR's mailbox: a temporary failure (4.x.x) is counted against
the address and the email goes out again later under a new Message-ID; the third counts as
permanent. A delay report (the server still tries) is only recorded."""

from datetime import timedelta

import pytest

from cadences.models import Enrollment, Touch
from inbox.models import InboundMessage
from inbox.sync.mailbox import mailbox_sync_pass
from leads.models import EventKind, LeadEvent, Prospect
from suppression.models import Suppression
from tests.cadences.helpers import local, statuses
from tests.inbox.helpers import delivery_report, sent_first_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(crew, make_mailbox, now):
    box = make_mailbox(crew.sdr)
    mailbox_sync_pass(box)
    box.refresh_from_db()
    return box


def report(mailbox, lead, original_id, now, *, status, n=1, action="failed") -> bytes:
    return delivery_report(
        reporter="postmaster@mx.prospect.example", to=mailbox.email,
        recipient=lead.prospect.email, status=status, original_id=original_id, date=now,
        action=action, message_id=f"<dsn-{n}@mx.prospect.example>",
    )  # fmt: skip


def test_a_temporary_failure_is_counted_and_the_email_goes_out_again_later(
    crew, mailbox, standard, mail_servers, now
):
    lead, enrollment, touch, our_id = sent_first_email(crew, standard)
    old_key = touch.idempotency_key
    mail_servers.append(mailbox.email, "INBOX", report(mailbox, lead, our_id, now, status="4.2.2"))

    mailbox_sync_pass(mailbox)

    [row] = InboundMessage.objects.all()
    assert (row.kind, row.bounce_status, row.touch_id) == ("bounce", "4.2.2", touch.pk)
    assert Prospect.objects.get(pk=lead.prospect_id).email_soft_bounces == 1
    assert Suppression.objects.count() == 0
    touch.refresh_from_db()
    assert touch.status == "scheduled"
    assert touch.idempotency_key != old_key and touch.sent_at is None
    # 24 hours on, inside the send window: Tuesday at 10:00.
    assert local(touch.due_at) == ("2027-05-04", "10:00")
    assert statuses(enrollment)[:2] == ["scheduled", "planned"]
    entry = LeadEvent.objects.get(lead=lead, kind=EventKind.BOUNCE)
    assert entry.payload == {
        "matched_by": "thread", "inbound_message_id": row.pk, "status": "4.2.2",
        "touch_id": touch.pk, "permanent": False, "count": 1,
        "retry_at": "2027-05-04T10:00:00+02:00",
    }  # fmt: skip


def test_the_third_temporary_failure_counts_as_permanent(
    crew, mailbox, standard, mail_servers, now
):
    lead, enrollment, touch, our_id = sent_first_email(crew, standard)
    Prospect.objects.filter(pk=lead.prospect_id).update(email_soft_bounces=2)
    mail_servers.append(mailbox.email, "INBOX", report(mailbox, lead, our_id, now, status="4.4.1"))

    mailbox_sync_pass(mailbox)

    assert Prospect.objects.get(pk=lead.prospect_id).email_soft_bounces == 3
    assert list(Suppression.objects.values_list("reason", flat=True)) == ["bounced"]
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason) == ("stopped", "bounced")
    assert Touch.objects.get(pk=touch.pk).status == "sent"  # not sent again
    entry = LeadEvent.objects.get(lead=lead, kind=EventKind.BOUNCE)
    assert (entry.payload["permanent"], entry.payload["count"]) == (True, 3)


def test_a_delay_report_is_only_recorded(crew, mailbox, standard, mail_servers, now):
    lead, enrollment, touch, our_id = sent_first_email(crew, standard)
    raw = report(mailbox, lead, our_id, now, status="4.4.7", action="delayed")
    mail_servers.append(mailbox.email, "INBOX", raw)

    mailbox_sync_pass(mailbox)

    assert InboundMessage.objects.get().kind == "bounce"
    assert Prospect.objects.get(pk=lead.prospect_id).email_soft_bounces == 0
    assert Touch.objects.get(pk=touch.pk).status == "sent"
    assert Enrollment.objects.get(pk=enrollment.pk).status == "active"
    entry = LeadEvent.objects.get(lead=lead, kind=EventKind.BOUNCE)
    assert entry.body.endswith("delivery delayed (4.4.7); the server still tries")


def test_a_report_without_the_original_is_matched_by_its_failed_recipient(
    crew, mailbox, standard, mail_servers, now
):
    lead, enrollment, _touch, _our_id = sent_first_email(crew, standard)
    raw = report(mailbox, lead, "<unknown@elsewhere.example>", now, status="5.1.1")
    mail_servers.append(mailbox.email, "INBOX", raw)

    mailbox_sync_pass(mailbox)

    row = InboundMessage.objects.get()
    assert (row.matched_by, row.touch_id, row.lead_id) == ("recipient", None, lead.pk)
    assert Enrollment.objects.get(pk=enrollment.pk).stop_reason == "bounced"


def test_a_temporary_failure_of_an_earlier_step_is_not_sent_again(
    crew, mailbox, standard, mail_servers, now, time_machine
):
    """The next step went out already: that one is the next try."""
    lead, enrollment, touch, our_id = sent_first_email(crew, standard)
    Touch.objects.filter(enrollment=enrollment, position=touch.position + 1).update(
        status="done", completed_at=now
    )
    time_machine.move_to(now + timedelta(hours=1), tick=False)
    mail_servers.append(mailbox.email, "INBOX", report(mailbox, lead, our_id, now, status="4.2.2"))

    mailbox_sync_pass(mailbox)

    assert Prospect.objects.get(pk=lead.prospect_id).email_soft_bounces == 1
    assert Touch.objects.get(pk=touch.pk).status == "sent"
    entry = LeadEvent.objects.get(lead=lead, kind=EventKind.BOUNCE)
    assert (entry.payload["count"], entry.payload["retry_at"]) == (1, None)
