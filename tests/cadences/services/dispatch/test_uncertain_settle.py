"""Uncertain sends without a server: a worker that died after marking its emails as being
handed to a mailbox leaves them uncertain (never scheduled blindly), and the SDR's answer for an
email no one could confirm ("it was sent" / "send it again"). The resolver that looks in the
Sent folder is tested against Dovecot in test_mailbox_faults.py."""

from datetime import timedelta
from unittest import mock

import pytest

from cadences.models import HoldReason, Touch, TouchStatus
from cadences.services import (
    enrollment_stop,
    tick,
    touch_claim_due_emails,
    touch_settle_uncertain,
)
from cadences.tasks import tick_task, touch_resolve_uncertain_task
from leads.services import LeadConflict
from sdrcrm.errors import NotFound
from tests.cadences.helpers import at, cadence_snapshot, events, statuses, touches
from tests.cadences.services.dispatch.helpers import enrolled
from tests.mailboxes.helpers import mailbox_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def via_mailbox(crew):
    crew.team.email_via = "mailbox"
    crew.team.save(update_fields=["email_via"])
    return crew


def test_an_expired_lease_makes_a_touch_being_handed_over_uncertain(
    via_mailbox, cadence, now, time_machine
):
    """Two claimed touches whose worker died: the one already marked as being handed to its
    mailbox (Message-ID committed) becomes uncertain, to be looked for at once; the other,
    never marked, is scheduled again as before."""
    crew = via_mailbox
    mailbox = mailbox_row(crew.sdr)
    _, marked = enrolled(crew, cadence)
    _, unmarked = enrolled(crew, cadence)
    touch_claim_due_emails(now=now, limit=10)
    a, b = touches(marked)[0], touches(unmarked)[0]
    Touch.objects.filter(pk=a.pk).update(message_id="<a@mail.example>", mailbox=mailbox)

    later = now + timedelta(minutes=6)
    time_machine.move_to(later, tick=False)
    result = tick()

    assert (result["recovered"], result["uncertain_due"], result["emails_due"]) == (2, True, True)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, a.lease_until, a.message_id, a.mailbox_id) == (
        "uncertain", later, "<a@mail.example>", mailbox.pk,
    )  # fmt: skip
    assert a.error == (
        "The worker sending it stopped: the Sent folder is checked before any retry."
    )
    assert (b.status, b.lease_until, b.message_id) == ("scheduled", None, "")
    # An uncertain touch is never claimed.
    assert touch_claim_due_emails(now=later, limit=10) == [b.pk]


def _asking(crew, cadence, owner="sdr"):
    """A lead whose first email's fate no one could know: uncertain, left to the SDR."""
    mailbox = mailbox_row(getattr(crew, owner))
    lead, enrollment = enrolled(crew, cadence, owner=owner, prospect__first_name="Kari")
    touch_claim_due_emails(now=at(2027, 5, 3, 10, 0), limit=10)
    touch = touches(enrollment)[0]
    Touch.objects.filter(pk=touch.pk).update(
        status=TouchStatus.UNCERTAIN,
        hold_reason=HoldReason.ASK_SDR,
        lease_until=None,
        message_id=f"<{touch.idempotency_key}@mail.example>",
        mailbox=mailbox,
        rendered_subject="Hi Kari",
        rendered_body="Hi Kari, shall we talk?",
        error="whether it went out cannot be known",
    )
    return lead, enrollment, Touch.objects.get(pk=touch.pk)


def test_it_was_sent_records_it_once_and_the_cadence_goes_on(via_mailbox, cadence, now):
    crew = via_mailbox
    lead, enrollment, touch = _asking(crew, cadence)

    result = touch_settle_uncertain(actor=crew.sdr, touch_id=touch.pk, sent=True)

    assert (result.status, result.sent_at, result.hold_reason, result.error) == (
        "sent", now, "", "",
    )  # fmt: skip
    assert result.message_id == f"<{touch.idempotency_key}@mail.example>"
    assert statuses(enrollment) == ["sent", "scheduled", "planned"]
    (event,) = events(lead, "email")
    assert (event.body, event.payload["touch_id"]) == ("Hi Kari", touch.pk)

    before = cadence_snapshot()
    with pytest.raises(LeadConflict, match="This email's fate is already settled."):
        touch_settle_uncertain(actor=crew.sdr, touch_id=touch.pk, sent=True)
    with pytest.raises(LeadConflict, match="This email's fate is already settled."):
        touch_settle_uncertain(actor=crew.sdr, touch_id=touch.pk, sent=False)
    assert cadence_snapshot() == before


def test_send_it_again_schedules_it_under_the_same_key(via_mailbox, cadence, now):
    crew = via_mailbox
    lead, enrollment, touch = _asking(crew, cadence)

    result = touch_settle_uncertain(actor=crew.sdr, touch_id=touch.pk, sent=False)

    assert (result.status, result.due_at, result.message_id, result.hold_reason) == (
        "scheduled", now, "", "",
    )  # fmt: skip
    assert result.idempotency_key == touch.idempotency_key
    assert statuses(enrollment) == ["scheduled", "planned", "planned"]
    assert events(lead, "email") == []


def test_when_the_cadence_has_ended_not_sent_cancels_it(via_mailbox, cadence, now):
    crew = via_mailbox
    lead, enrollment, touch = _asking(crew, cadence)
    enrollment_stop(actor=crew.sdr, enrollment_id=enrollment.pk)
    # Ending the cadence left the uncertain email for the SDR to settle.
    assert statuses(enrollment) == ["uncertain", "cancelled", "cancelled"]

    result = touch_settle_uncertain(actor=crew.sdr, touch_id=touch.pk, sent=False)

    assert (result.status, result.error) == ("cancelled", "Not sent: the cadence has ended.")
    assert events(lead, "email") == []


def test_when_the_cadence_has_ended_it_was_sent_records_it_and_schedules_nothing(
    via_mailbox, cadence, now
):
    crew = via_mailbox
    lead, enrollment, touch = _asking(crew, cadence)
    enrollment_stop(actor=crew.sdr, enrollment_id=enrollment.pk)

    touch_settle_uncertain(actor=crew.sdr, touch_id=touch.pk, sent=True)

    assert statuses(enrollment) == ["sent", "cancelled", "cancelled"]
    assert len(events(lead, "email")) == 1
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason) == ("stopped", "manual")


def test_an_email_still_being_looked_for_cannot_be_settled_yet(via_mailbox, cadence, now):
    crew = via_mailbox
    _, _, touch = _asking(crew, cadence)
    Touch.objects.filter(pk=touch.pk).update(hold_reason="", lease_until=now)
    before = cadence_snapshot()
    with pytest.raises(LeadConflict, match="still being looked for in the Sent folder"):
        touch_settle_uncertain(actor=crew.sdr, touch_id=touch.pk, sent=False)
    assert cadence_snapshot() == before


def test_only_who_works_the_lead_settles_it(via_mailbox, other_crew, cadence, now):
    crew = via_mailbox
    _, _, touch = _asking(crew, cadence)
    before = cadence_snapshot()
    with pytest.raises(NotFound, match="No such email"):
        touch_settle_uncertain(actor=other_crew.sdr, touch_id=touch.pk, sent=True)
    with pytest.raises(NotFound, match="No such email"):
        touch_settle_uncertain(actor=crew.ae, touch_id=touch.pk, sent=True)
    with pytest.raises(NotFound, match="No such email"):
        touch_settle_uncertain(actor=crew.sdr2, touch_id=touch.pk, sent=True)
    with pytest.raises(NotFound, match="No such email"):
        touch_settle_uncertain(actor=crew.sdr, touch_id=touch.pk + 1000, sent=True)
    assert cadence_snapshot() == before
    # The team's manager may.
    assert touch_settle_uncertain(actor=crew.manager, touch_id=touch.pk, sent=True).status == (
        "sent"
    )


def test_the_tick_task_rings_the_resolver_only_when_an_uncertain_send_is_due(
    via_mailbox, cadence, now, time_machine
):
    crew = via_mailbox
    _, enrollment = enrolled(crew, cadence)
    touch = touches(enrollment)[0]
    with mock.patch.object(touch_resolve_uncertain_task, "delay") as resolve:
        tick_task()
        assert resolve.call_count == 0
        Touch.objects.filter(pk=touch.pk).update(
            status=TouchStatus.UNCERTAIN, lease_until=now + timedelta(minutes=2)
        )
        tick_task()
        assert resolve.call_count == 0
        time_machine.move_to(now + timedelta(minutes=2), tick=False)
        tick_task()
        assert resolve.call_count == 1
