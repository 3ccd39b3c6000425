"""Erasing a person erases what the sync stored of their messages (privacy registry:
inbox.InboundMessage): the sender, subject and text go; the structure stays."""

import pytest

from inbox.models import InboundMessage
from inbox.sync.mailbox import mailbox_sync_pass
from leads.models import EventKind, LeadEvent
from privacy.services import prospect_erase
from tests.cadences.helpers import enroll
from tests.inbox.helpers import message

pytestmark = pytest.mark.django_db


def test_erasing_the_prospect_erases_their_stored_messages(
    crew, make_mailbox, standard, mail_servers, now
):
    box = make_mailbox(crew.sdr)
    mailbox_sync_pass(box)
    lead = crew.lead()
    enroll(crew.sdr, lead, standard)
    raw = message(
        sender=lead.prospect.email, to=box.email, subject="About Kari's project",
        message_id="<e1@prospect.example>", date=now, body="Call Kari on +47 555 12 345.",
    )  # fmt: skip
    mail_servers.append(box.email, "INBOX", raw)
    box.refresh_from_db()
    mailbox_sync_pass(box)
    row = InboundMessage.objects.get()
    assert (row.from_email, row.subject, row.text) == (
        lead.prospect.email, "About Kari's project", "Call Kari on +47 555 12 345.",
    )  # fmt: skip

    changed = prospect_erase(actor=crew.manager, lead_id=lead.pk)

    assert changed["inbox.inboundmessage"] == 1
    row.refresh_from_db()
    assert (row.from_email, row.subject, row.text, row.bounce_recipient) == ("", "", "", "")
    assert (row.kind, row.lead_id, row.message_id, row.matched_by) == (
        "reply", lead.pk, "<e1@prospect.example>", "sender",
    )  # fmt: skip
    reply = LeadEvent.objects.get(lead=lead, kind=EventKind.REPLY)
    assert (reply.body, reply.payload) == (
        "",
        {"source": "mailbox", "matched_by": "sender", "inbound_message_id": row.pk,
         "erased": True},
    )  # fmt: skip
