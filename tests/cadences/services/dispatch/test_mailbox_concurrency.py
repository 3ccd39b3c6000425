"""Two dispatchers at once over one mailbox's due emails, on two real database connections,
against the real servers: the mailbox's gap holds across them (one email in all), and every
other email is put back to a later slot, none lost, none sent twice."""

from datetime import timedelta

import pytest

from cadences.models import Touch
from cadences.services import touch_dispatch_due
from mailboxes.models import Mailbox, MailboxSendCounter
from tests.cadences.helpers import touches
from tests.cadences.test_concurrency import OK, run_threads

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.faults]


def test_two_dispatchers_send_one_email_per_gap_from_one_mailbox(world, cadence, now):
    Mailbox.objects.filter(pk=world.mailbox.pk).update(min_gap_seconds=60)
    leads = [world.lead(cadence) for _ in range(4)]

    results = run_threads(lambda: touch_dispatch_due(batch=2), lambda: touch_dispatch_due(batch=2))

    assert [r[0] for r in results] == [OK, OK]
    assert sum(r[1].sent for r in results) == 1
    assert sum(r[1].rescheduled for r in results) == 3
    firsts = [touches(e)[0] for _, e, _ in leads]
    assert sorted(t.status for t in firsts) == ["scheduled", "scheduled", "scheduled", "sent"]
    assert all(t.due_at >= now + timedelta(seconds=60) for t in firsts if t.status == "scheduled")
    assert sum(len(world.inbox(a)) for _, _, a in leads) == 1
    assert MailboxSendCounter.objects.get(mailbox=world.mailbox).sent == 1
    assert Touch.objects.filter(status="sending").count() == 0
