"""A step sent "in the same thread" replies to the enrollment's previous email: Re: and its
subject, In-Reply-To its Message-ID, References the chain. Through the site-wide backend here
(Django's outbox); through a mailbox, read back from Dovecot, in test_mailbox_send.py."""

from datetime import timedelta

import pytest
from django.core import mail

from cadences.models import Channel
from cadences.services import touch_dispatch_due, touch_skip
from tests.cadences.helpers import email, enroll, make_cadence, task, touches

pytestmark = pytest.mark.django_db


@pytest.fixture
def threaded(crew):
    """Three emails two business days apart; the second and third reply in the thread."""
    return make_cadence(
        crew.manager,
        [
            email(subject="Hi {{ prospect.first_name }}"),
            email(subject="Unused", day_offset=2, reply_in_thread=True),
            email(subject="Unused too", day_offset=2, reply_in_thread=True),
        ],
        name="Threaded",
    )


def _headers(message) -> tuple:
    h = message.extra_headers
    return (message.subject, h.get("In-Reply-To"), h.get("References"))


def test_enrolling_copies_the_steps_reply_in_thread(crew, threaded, now):
    lead = crew.lead()
    enrollment = enroll(crew.sdr, lead, threaded)
    assert [t.reply_in_thread for t in touches(enrollment)] == [False, True, True]


def test_each_follow_up_replies_to_the_previous_email_with_the_chain(
    crew, threaded, now, time_machine
):
    lead = crew.lead(prospect__first_name="Kari")
    enrollment = enroll(crew.sdr, lead, threaded)
    # Monday, Wednesday and (Thursday 6 May 2027 being Ascension Day) the next Monday.
    for day in (0, 2, 7):
        time_machine.move_to(now + timedelta(days=day, minutes=1), tick=False)
        assert touch_dispatch_due().sent == 1
    first, second, third = touches(enrollment)
    ids = [f"<{t.idempotency_key}@localhost>" for t in (first, second, third)]
    assert [t.message_id for t in (first, second, third)] == ids
    assert [_headers(m) for m in mail.outbox] == [
        ("Hi Kari", None, None),
        ("Re: Hi Kari", ids[0], ids[0]),
        ("Re: Hi Kari", ids[1], f"{ids[0]} {ids[1]}"),
    ]
    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == ids
    assert [t.rendered_subject for t in (first, second, third)] == [
        "Hi Kari", "Re: Hi Kari", "Re: Hi Kari",
    ]  # fmt: skip
    parsed = mail.outbox[2].message()
    assert (parsed["In-Reply-To"], parsed["References"]) == (ids[1], f"{ids[0]} {ids[1]}")


def test_a_reply_with_no_email_sent_before_goes_out_on_its_own(crew, now, time_machine):
    """The first step is a call the SDR skipped: the threaded email has nothing to reply to
    and goes out with its own subject."""
    cadence = make_cadence(
        crew.manager,
        [task(Channel.CALL), email(subject="Checking in", reply_in_thread=True)],
        name="Call first",
    )
    lead = crew.lead()
    enrollment = enroll(crew.sdr, lead, cadence)
    touch_skip(actor=crew.sdr, touch_id=touches(enrollment)[0].pk)
    assert touch_dispatch_due().sent == 1
    assert _headers(mail.outbox[0]) == ("Checking in", None, None)


def test_a_step_without_the_option_starts_a_new_thread(crew, now, time_machine):
    cadence = make_cadence(
        crew.manager,
        [email(subject="First"), email(subject="Second", day_offset=1)],
        name="Unthreaded",
    )
    enroll(crew.sdr, crew.lead(), cadence)
    touch_dispatch_due()
    time_machine.move_to(now + timedelta(days=1), tick=False)
    touch_dispatch_due()
    assert [_headers(m) for m in mail.outbox] == [
        ("First", None, None),
        ("Second", None, None),
    ]
