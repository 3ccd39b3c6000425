"""The sync against the real test servers (Dovecot): a message appended to the SDR's mailbox,
one pass, and what it did to the lead, its cadence, the suppression list and the timeline."""

from datetime import timedelta

import pytest

from cadences.models import Enrollment
from cadences.services import tick
from inbox.models import FolderCursor, InboundMessage
from inbox.sync.mailbox import mailbox_sync_pass
from leads.models import EventKind, Lead, LeadEvent, LeadState, Prospect
from notifications.models import Notification
from suppression.models import Suppression
from tests.cadences.helpers import email as email_step
from tests.cadences.helpers import local, make_cadence
from tests.inbox.helpers import delivery_report, kinds, message, sent_first_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(crew, make_mailbox, mail_servers, now):
    """The SDR's connected mailbox, read once (its cursors start here)."""
    box = make_mailbox(crew.sdr)
    mailbox_sync_pass(box)
    box.refresh_from_db()
    return box


@pytest.fixture
def running(crew, standard, mailbox):
    return sent_first_email(crew, standard)


def deliver(mail_servers, mailbox, raw: bytes, folder: str = "INBOX", when=None) -> int:
    return mail_servers.append(mailbox.email, folder, raw, date=when)


def reply_from(lead, mailbox, message_id, now, **kwargs) -> bytes:
    kwargs.setdefault(
        "body",
        "Sounds good, call me on Thursday.\n\n"
        f"On Mon, 3 May 2027 at 10:00, Sara <{mailbox.email}> wrote:\n> Hi Pat",
    )
    return message(
        sender=lead.prospect.email, to=mailbox.email, message_id="<r1@prospect.example>",
        in_reply_to=message_id, date=now, **kwargs,
    )  # fmt: skip


def one_pass(mailbox):
    mailbox.refresh_from_db()
    return mailbox_sync_pass(mailbox)


def test_a_reply_in_the_sdrs_inbox_stops_the_cadence_and_engages_the_lead(
    crew, mailbox, running, mail_servers, now
):
    lead, enrollment, touch, message_id = running
    uid = deliver(mail_servers, mailbox, reply_from(lead, mailbox, message_id, now), when=now)

    result = one_pass(mailbox)

    [row] = InboundMessage.objects.all()
    assert result.applied == [row.pk]
    assert (row.kind, row.lead_id, row.touch_id, row.matched_by, row.folder, row.uid) == (
        "reply", lead.pk, touch.pk, "thread", "INBOX", uid,
    )  # fmt: skip
    assert (row.message_id, row.in_reply_to, row.from_email) == (
        "<r1@prospect.example>", message_id, lead.prospect.email,
    )  # fmt: skip
    assert row.text == "Sounds good, call me on Thursday."
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason) == ("stopped", "replied")
    assert Lead.objects.get(pk=lead.pk).state == LeadState.ENGAGED
    reply = LeadEvent.objects.get(lead=lead, kind=EventKind.REPLY)
    assert (reply.body, reply.payload) == (
        "Sounds good, call me on Thursday.",
        {"source": "mailbox", "matched_by": "thread", "inbound_message_id": row.pk},
    )
    [note] = Notification.objects.filter(user=crew.sdr)
    assert (note.kind, note.lead_id, note.event_id) == ("reply", lead.pk, reply.pk)
    assert FolderCursor.objects.get(mailbox=mailbox, folder="INBOX").last_uid == uid
    mailbox.refresh_from_db()
    assert mailbox.last_sync_at == now


def test_a_second_pass_applies_nothing_again(crew, mailbox, running, mail_servers, now):
    lead, _enrollment, _touch, message_id = running
    deliver(mail_servers, mailbox, reply_from(lead, mailbox, message_id, now), when=now)
    one_pass(mailbox)
    events = kinds(lead)

    again = one_pass(mailbox)

    assert again.applied == []
    assert [f.seen for f in again.folders] == [0, 0]
    assert InboundMessage.objects.count() == 1
    assert kinds(lead) == events
    assert Notification.objects.filter(user=crew.sdr).count() == 1


def test_a_message_from_an_unknown_sender_is_not_stored_nor_its_body_fetched(
    crew, mailbox, running, mail_servers, now
):
    lead, enrollment, _touch, _message_id = running
    events = kinds(lead)
    uid = deliver(
        mail_servers, mailbox,
        message(sender="news@shop.example", to=mailbox.email, subject="Sale!",
                message_id="<n1@shop.example>", date=now),
        when=now,
    )  # fmt: skip

    result = one_pass(mailbox)

    inbox = result.folders[-1]
    assert (inbox.seen, inbox.fetched, inbox.applied) == (1, 0, [])
    assert InboundMessage.objects.count() == 0
    assert kinds(lead) == events
    assert Enrollment.objects.get(pk=enrollment.pk).status == "active"
    assert FolderCursor.objects.get(mailbox=mailbox, folder="INBOX").last_uid == uid


def test_an_automatic_reply_pauses_until_the_person_is_back_and_the_tick_resumes(
    crew, mailbox, running, mail_servers, now, time_machine
):
    lead, enrollment, _touch, message_id = running
    oof = reply_from(
        lead, mailbox, message_id, now, subject="Automatisk svar: Hello",
        body="Jeg er på ferie og har begrenset tilgang til e-post.",
        headers={"Auto-Submitted": "auto-replied"},
    )  # fmt: skip
    deliver(mail_servers, mailbox, oof, when=now)

    one_pass(mailbox)

    [row] = InboundMessage.objects.all()
    assert (row.kind, row.matched_by) == ("auto_reply", "thread")
    enrollment.refresh_from_db()
    # No return date in the text: 14 days on, Monday 17 May 2027 is a Norwegian holiday
    # (Constitution Day, and Whit Monday that year): the first business day is Tuesday 18
    # May, from the start of the send window.
    assert (enrollment.status, local(enrollment.resume_at)) == ("paused", ("2027-05-18", "08:00"))
    assert Lead.objects.get(pk=lead.pk).state == LeadState.CONTACTING
    entry = LeadEvent.objects.get(lead=lead, kind=EventKind.AUTO_REPLY)
    assert entry.payload == {
        "source": "mailbox", "matched_by": "thread", "inbound_message_id": row.pk,
        "return_on": None, "resume_at": "2027-05-18T08:00:00+02:00",
    }  # fmt: skip
    assert not LeadEvent.objects.filter(lead=lead, kind=EventKind.REPLY).exists()

    time_machine.move_to(enrollment.resume_at - timedelta(minutes=1), tick=False)
    assert tick()["resumed"] == 0
    time_machine.move_to(enrollment.resume_at, tick=False)
    assert tick()["resumed"] == 1
    assert tick()["resumed"] == 0
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.resume_at, enrollment.paused_at) == ("active", None, None)
    resumed = LeadEvent.objects.filter(lead=lead, kind=EventKind.CADENCE).latest("pk")
    assert resumed.payload == {
        "enrollment_id": enrollment.pk, "action": "resume", "reason": "back",
    }  # fmt: skip


def test_a_permanent_bounce_suppresses_the_address_and_stops_the_cadence(
    crew, mailbox, running, mail_servers, now
):
    lead, enrollment, touch, message_id = running
    address = lead.prospect.email
    deliver(
        mail_servers, mailbox,
        delivery_report(reporter="MAILER-DAEMON@mx.prospect.example", to=mailbox.email,
                        recipient=address, status="5.1.1", original_id=message_id, date=now),
        when=now,
    )  # fmt: skip

    one_pass(mailbox)

    [row] = InboundMessage.objects.all()
    assert (row.kind, row.matched_by, row.touch_id, row.bounce_status, row.bounce_recipient) == (
        "bounce", "thread", touch.pk, "5.1.1", address,
    )  # fmt: skip
    assert Suppression.objects.filter(reason="bounced").count() == 1
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason) == ("stopped", "bounced")
    assert Prospect.objects.get(pk=lead.prospect_id).email_bounced_at == now
    entry = LeadEvent.objects.get(lead=lead, kind=EventKind.BOUNCE)
    assert entry.body == f"{address}: permanent delivery failure (5.1.1)"
    assert entry.payload == {
        "matched_by": "thread", "inbound_message_id": row.pk, "status": "5.1.1",
        "touch_id": touch.pk, "permanent": True,
    }  # fmt: skip


def test_an_opt_out_by_reply_suppresses_the_address(crew, mailbox, running, mail_servers, now):
    lead, enrollment, _touch, message_id = running
    raw = reply_from(lead, mailbox, message_id, now, body="Please unsubscribe me from this.")
    deliver(mail_servers, mailbox, raw, when=now)

    one_pass(mailbox)

    [row] = InboundMessage.objects.all()
    assert row.kind == "opt_out"
    assert list(Suppression.objects.values_list("reason", flat=True)) == ["unsubscribed"]
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason) == ("stopped", "unsubscribed")
    assert Prospect.objects.get(pk=lead.prospect_id).do_not_contact is True
    entry = LeadEvent.objects.get(lead=lead, kind=EventKind.OPT_OUT)
    assert (entry.body, entry.payload) == (
        "Please unsubscribe me from this.",
        {"matched_by": "thread", "inbound_message_id": row.pk},
    )
    assert not LeadEvent.objects.filter(lead=lead, kind=EventKind.REPLY).exists()


def test_a_reply_found_by_its_sender_alone(crew, mailbox, running, mail_servers, now):
    lead, enrollment, _touch, _message_id = running
    raw = message(
        sender=lead.prospect.email.upper(), to=mailbox.email, subject="Your offer",
        message_id="<fresh@prospect.example>", date=now, body="Let's talk.",
    )  # fmt: skip
    deliver(mail_servers, mailbox, raw, when=now)

    one_pass(mailbox)

    [row] = InboundMessage.objects.all()
    assert (row.kind, row.matched_by, row.touch_id, row.lead_id) == (
        "reply", "sender", None, lead.pk,
    )  # fmt: skip
    assert Enrollment.objects.get(pk=enrollment.pk).stop_reason == "replied"


def test_another_teams_prospect_is_not_matched(
    crew, other_crew, mailbox, running, mail_servers, now
):
    theirs = other_crew.lead(owner="sdr")
    before = kinds(theirs)
    raw = message(
        sender=theirs.prospect.email, to=mailbox.email, message_id="<o1@other.example>",
        date=now,
    )  # fmt: skip
    deliver(mail_servers, mailbox, raw, when=now)

    result = one_pass(mailbox)

    assert result.applied == []
    assert InboundMessage.objects.count() == 0
    assert kinds(theirs) == before


def test_a_colleague_reply_stops_a_cadence_that_asks_for_it(crew, make_mailbox, mail_servers, now):
    box = make_mailbox(crew.sdr)
    mailbox_sync_pass(box)
    cadence = make_cadence(crew.manager, [email_step(), email_step(day_offset=2)],
                           stop_on_colleague_reply=True)  # fmt: skip
    lead, enrollment, _touch, _message_id = sent_first_email(
        crew,
        cadence,
        prospect__email="kari@fjord.example",
        prospect__company__domain="fjord.example",
    )
    raw = message(
        sender="ola@fjord.example", to=box.email, subject="Kari",
        message_id="<c1@fjord.example>", date=now, body="Kari has left; I handle this now.",
    )  # fmt: skip
    deliver(mail_servers, box, raw, when=now)

    one_pass(box)

    [row] = InboundMessage.objects.all()
    assert (row.kind, row.matched_by, row.lead_id) == ("reply", "domain", lead.pk)
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason) == ("stopped", "colleague_replied")
    assert Lead.objects.get(pk=lead.pk).state == LeadState.CONTACTING  # the SDR judges
    entry = LeadEvent.objects.get(lead=lead, kind=EventKind.REPLY)
    assert entry.body == "From ola@fjord.example:\nKari has left; I handle this now."
    assert entry.payload["colleague"] is True
    assert Notification.objects.get(user=crew.sdr).title.startswith("Someone else at")


def test_without_the_option_a_colleague_is_not_matched(crew, mailbox, standard, mail_servers, now):
    lead, enrollment, _touch, _message_id = sent_first_email(
        crew,
        standard,
        prospect__email="kari@fjord.example",
        prospect__company__domain="fjord.example",
    )
    raw = message(
        sender="ola@fjord.example", to=mailbox.email, message_id="<c2@fjord.example>", date=now
    )
    deliver(mail_servers, mailbox, raw, when=now)

    one_pass(mailbox)

    assert InboundMessage.objects.count() == 0
    assert Enrollment.objects.get(pk=enrollment.pk).status == "active"
