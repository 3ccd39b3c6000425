"""Messages as Gmail, Outlook/Exchange and Microsoft 365 write them (tests/inbox/fixtures/),
delivered into the SDR's mailbox on the test Dovecot in answer to the product's real email,
and what one pass of the sync does with them. The clock is set to the messages' own days."""

from datetime import timedelta

import pytest

from cadences.models import Enrollment
from cadences.services import tick
from inbox.models import InboundMessage
from inbox.sync.mailbox import mailbox_sync_pass
from leads.models import EventKind, LeadEvent, LeadState
from suppression.models import Suppression
from tests.cadences.helpers import at, local
from tests.inbox.classify.helpers import TOUCH_ID, raw
from tests.inbox.helpers import sent_first_email

pytestmark = pytest.mark.django_db

SDR = b"sara@nordlys.example"


def run(crew, standard, make_mailbox, mail_servers, fixture: str, prospect_email: str):
    """The SDR's mailbox read once, a lead of ``prospect_email`` sent its first email, the
    provider's message answering that email delivered, and a pass."""
    box = make_mailbox(crew.sdr)
    mailbox_sync_pass(box)
    lead, enrollment, touch, message_id = sent_first_email(
        crew, standard, prospect__email=prospect_email
    )
    message = (
        raw(fixture)
        .replace(TOUCH_ID.encode(), message_id.encode())
        .replace(SDR, box.email.encode())
    )
    mail_servers.append(box.email, "INBOX", message)
    box.refresh_from_db()
    mailbox_sync_pass(box)
    return lead, enrollment, touch


def test_an_exchange_out_of_office_in_norwegian_pauses_until_the_day_after_til_og_med(
    crew, standard, make_mailbox, mail_servers, time_machine
):
    time_machine.move_to(at(2026, 7, 20, 10, 0), tick=False)  # Monday

    lead, enrollment, touch = run(
        crew, standard, make_mailbox, mail_servers, "oof_exchange_nb.eml",
        "ola.hansen@bergenbygg.example",
    )  # fmt: skip

    row = InboundMessage.objects.get()
    assert (row.kind, row.matched_by, row.touch_id, row.return_on.isoformat()) == (
        "auto_reply", "thread", touch.pk, "2026-08-04",
    )  # fmt: skip
    enrollment.refresh_from_db()
    # "Jeg er på ferie til og med 3. august": back on Tuesday 4 August.
    assert (enrollment.status, local(enrollment.resume_at)) == ("paused", ("2026-08-04", "08:00"))
    assert row.text.startswith("Takk for e-posten din.\n\nJeg er på ferie til og med 3. august")

    time_machine.move_to(enrollment.resume_at + timedelta(seconds=1), tick=False)
    assert tick()["resumed"] == 1
    enrollment.refresh_from_db()
    assert enrollment.status == "active"


def test_a_gmail_vacation_reply_pauses_until_the_monday_it_names(
    crew, standard, make_mailbox, mail_servers, time_machine
):
    time_machine.move_to(at(2026, 12, 10, 10, 0), tick=False)  # Thursday

    _lead, enrollment, _touch = run(
        crew, standard, make_mailbox, mail_servers, "oof_gmail_vacation.eml",
        "kari.nordmann@gmail.com",
    )  # fmt: skip

    enrollment.refresh_from_db()
    # "back on Monday 4 January", written on 10 December 2026.
    assert (enrollment.status, local(enrollment.resume_at)) == ("paused", ("2027-01-04", "08:00"))


def test_an_outlook_reply_in_norwegian_stops_the_cadence_with_its_new_text(
    crew, standard, make_mailbox, mail_servers, time_machine
):
    time_machine.move_to(at(2026, 12, 8, 10, 0), tick=False)

    lead, enrollment, _touch = run(
        crew, standard, make_mailbox, mail_servers, "outlook_reply_nb.eml",
        "ola.hansen@bergenbygg.example",
    )  # fmt: skip

    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason) == ("stopped", "replied")
    lead.refresh_from_db()
    assert lead.state == LeadState.ENGAGED
    assert LeadEvent.objects.get(lead=lead, kind=EventKind.REPLY).body == (
        "Hei Sara,\n\nJa, send gjerne et tilbud på 25 lisenser – helst før jul.\n\n"
        "Med vennlig hilsen\nOla Hansen\nInnkjøpssjef, Bergen Bygg AS\nTlf. 55 12 34 56"
    )


def test_a_gmail_bounce_suppresses_the_address(
    crew, standard, make_mailbox, mail_servers, time_machine
):
    time_machine.move_to(at(2026, 12, 7, 10, 0), tick=False)

    lead, enrollment, touch = run(
        crew, standard, make_mailbox, mail_servers, "bounce_gmail.eml", "nils.olsen.9@gmail.com"
    )

    row = InboundMessage.objects.get()
    assert (row.kind, row.matched_by, row.touch_id, row.bounce_recipient) == (
        "bounce", "thread", touch.pk, "nils.olsen.9@gmail.com",
    )  # fmt: skip
    assert row.bounce_status.startswith("5.")
    assert list(Suppression.objects.values_list("reason", flat=True)) == ["bounced"]
    assert Enrollment.objects.get(pk=enrollment.pk).stop_reason == "bounced"


def test_a_microsoft_365_report_on_another_address_of_the_thread_suppresses_that_address(
    crew, standard, make_mailbox, mail_servers, time_machine
):
    """The report names its failed recipient: that address is suppressed, whatever the
    lead's."""
    time_machine.move_to(at(2026, 12, 7, 10, 0), tick=False)

    lead, enrollment, touch = run(
        crew, standard, make_mailbox, mail_servers, "bounce_office365.eml",
        "ingrid.berg@fjellmat.example",
    )  # fmt: skip

    row = InboundMessage.objects.get()
    assert (row.bounce_status, row.bounce_recipient, row.touch_id) == (
        "5.1.10", "ingrid.berg@fjellmat.example", touch.pk,
    )  # fmt: skip
    assert Enrollment.objects.get(pk=enrollment.pk).stop_reason == "bounced"


def test_a_norwegian_opt_out_by_reply_suppresses_the_address(
    crew, standard, make_mailbox, mail_servers, time_machine
):
    time_machine.move_to(at(2026, 12, 8, 10, 0), tick=False)

    lead, enrollment, _touch = run(
        crew, standard, make_mailbox, mail_servers, "reply_opt_out_nb.eml",
        "kari.nordmann@gmail.com",
    )  # fmt: skip

    assert InboundMessage.objects.get().kind == "opt_out"
    assert list(Suppression.objects.values_list("reason", flat=True)) == ["unsubscribed"]
    assert Enrollment.objects.get(pk=enrollment.pk).stop_reason == "unsubscribed"
    assert LeadEvent.objects.get(lead=lead, kind=EventKind.OPT_OUT).body == (
        "Meld meg av denne lista, takk.\n\nKari"
    )
