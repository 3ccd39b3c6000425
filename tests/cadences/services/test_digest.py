"""The SDRs' morning digest: once per SDR and local day."""

import pytest
from django.core import mail

from cadences.models import Channel, DigestLog
from cadences.services import (
    digest_send_due,
    reminder_create,
)
from tests.cadences.helpers import (
    at,
    enroll,
    make_cadence,
    task,
)

pytestmark = pytest.mark.django_db


pytestmark = pytest.mark.django_db


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


def test_outside_development_an_unset_public_address_gives_no_link(
    crew, now, time_machine, settings
):
    """A link to 127.0.0.1:8000 in an SDR's inbox leads nowhere: without SDRCRM_BASE_URL in
    production the digest says what to do and leaves the link out."""
    settings.DEVELOPMENT, settings.SDRCRM_BASE_URL_SET = False, False
    lead = crew.lead()
    reminder_create(actor=crew.sdr, lead_id=lead.pk, due_at=at(2027, 5, 4, 9, 0), note="Ping")

    time_machine.move_to(at(2027, 5, 4, 7, 0), tick=False)
    assert digest_send_due() == 1
    (digest,) = mail.outbox
    assert digest.body.endswith(
        f"- Reminder: Ping: {lead.prospect.full_name} ({lead.prospect.company.name})"
    )
    assert "http" not in digest.body

    settings.SDRCRM_BASE_URL, settings.SDRCRM_BASE_URL_SET = "https://crm.example.no/", True
    time_machine.move_to(at(2027, 5, 5, 7, 0), tick=False)
    reminder_create(actor=crew.sdr, lead_id=lead.pk, due_at=at(2027, 5, 5, 9, 0), note="Again")
    assert digest_send_due() == 1
    assert mail.outbox[1].body.endswith("\n\nOpen your day: https://crm.example.no/today/")
