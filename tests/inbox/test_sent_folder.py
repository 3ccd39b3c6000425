"""The Sent folder: the SDR's own email in a thread the product started (written in their own
mail client). Answering someone else's message makes the conversation live: the automatic steps
stop and the lead is engaged. Following up their own email is only recorded. The product's own
emails filed there are not stored."""

import pytest

from cadences.models import Enrollment
from inbox.models import InboundMessage
from inbox.sync.mailbox import mailbox_sync_pass
from leads.models import EventKind, Lead, LeadEvent, LeadState
from tests.inbox.helpers import kinds, message, sent_first_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(crew, make_mailbox, now):
    box = make_mailbox(crew.sdr)
    mailbox_sync_pass(box)
    box.refresh_from_db()
    return box


def sdr_email(mailbox, lead, now, *, message_id, in_reply_to, references="", body) -> bytes:
    return message(
        sender=mailbox.email, to=lead.prospect.email, subject="Re: Hello", body=body,
        message_id=message_id, in_reply_to=in_reply_to, references=references, date=now,
    )  # fmt: skip


def test_the_sdr_answering_the_prospect_in_the_thread_makes_the_conversation_live(
    crew, mailbox, standard, mail_servers, now
):
    lead, enrollment, touch, our_id = sent_first_email(crew, standard)
    # The prospect's answer went to a folder the sync does not read (a filter rule); the
    # SDR answers it from their own client.
    raw = sdr_email(
        mailbox, lead, now, message_id="<s1@sdr.example>", in_reply_to="<p1@prospect.example>",
        references=f"{our_id} <p1@prospect.example>",
        body="Thursday at 10 works.\n\nOn Mon, 3 May 2027 at 11:00, Pat <pat@prospect.example> "
        "wrote:\n> Can we talk Thursday?",
    )  # fmt: skip
    mail_servers.append(mailbox.email, "Sent", raw, date=now)

    mailbox_sync_pass(mailbox)

    [row] = InboundMessage.objects.all()
    assert (row.kind, row.folder, row.matched_by, row.lead_id, row.touch_id) == (
        "sdr_reply", "Sent", "thread", lead.pk, touch.pk,
    )  # fmt: skip
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason) == ("stopped", "sdr_replied")
    assert Lead.objects.get(pk=lead.pk).state == LeadState.ENGAGED
    entry = LeadEvent.objects.get(lead=lead, kind=EventKind.SDR_EMAIL)
    assert (entry.actor_id, entry.body, entry.payload) == (
        crew.sdr.pk, "Thursday at 10 works.",
        {"source": "mailbox", "matched_by": "thread", "inbound_message_id": row.pk, "live": True},
    )  # fmt: skip


def test_a_follow_up_of_the_sdrs_own_email_is_recorded_and_the_cadence_goes_on(
    crew, mailbox, standard, mail_servers, now
):
    lead, enrollment, _touch, our_id = sent_first_email(crew, standard)
    raw = sdr_email(
        mailbox, lead, now, message_id="<s2@sdr.example>", in_reply_to=our_id,
        body="Just bumping this up.",
    )  # fmt: skip
    mail_servers.append(mailbox.email, "Sent", raw, date=now)

    mailbox_sync_pass(mailbox)

    [row] = InboundMessage.objects.all()
    assert row.kind == "sdr_reply"
    assert Enrollment.objects.get(pk=enrollment.pk).status == "active"
    assert Lead.objects.get(pk=lead.pk).state == LeadState.CONTACTING
    entry = LeadEvent.objects.get(lead=lead, kind=EventKind.SDR_EMAIL)
    assert (entry.body, entry.payload["live"]) == ("Just bumping this up.", False)


def test_the_products_own_email_in_the_sent_folder_is_not_stored(
    crew, mailbox, standard, mail_servers, now
):
    lead, enrollment, _touch, our_id = sent_first_email(crew, standard)
    events = kinds(lead)
    copy = message(
        sender=mailbox.email, to=lead.prospect.email, subject="Hello", message_id=our_id,
        date=now, body="Hi Pat, shall we talk?",
    )  # fmt: skip
    mail_servers.append(mailbox.email, "Sent", copy, date=now)
    # And an email to someone who is no lead, outside any thread of the product.
    other = message(
        sender=mailbox.email, to="friend@elsewhere.example", subject="Lunch?",
        message_id="<s3@sdr.example>", date=now,
    )  # fmt: skip
    mail_servers.append(mailbox.email, "Sent", other, date=now)

    result = mailbox_sync_pass(mailbox)

    sent = result.folders[0]
    assert (sent.folder, sent.seen, sent.fetched, sent.applied) == ("Sent", 2, 0, [])
    assert InboundMessage.objects.count() == 0
    assert kinds(lead) == events
    assert Enrollment.objects.get(pk=enrollment.pk).status == "active"
