"""What the dispatcher's tests share."""

from django.core import mail

from tests.cadences.helpers import enroll

BODY = "Hi {{ prospect.first_name }},\n\nShall we talk?\n{{ sdr.first_name }}"


def enrolled(crew, cadence, owner="sdr", **lead_kwargs):
    lead = crew.lead(owner=owner, **lead_kwargs)
    return lead, enroll(getattr(crew, owner), lead, cadence)


def message_ids() -> list[str]:
    return [m.extra_headers["Message-ID"] for m in mail.outbox]
