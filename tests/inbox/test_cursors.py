"""Exactly once: the folder's cursor moves in the transaction that applies a message, so a pass
killed in the middle goes on from there without losing or repeating one; a folder rebuilt
under a new UIDVALIDITY is read again from before the last pass, and what was processed is
found again by its Message-ID; two passes at once never apply one message twice."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from cadences.models import Enrollment
from cadences.services import cadence_ensure_standard
from inbox.models import FolderCursor, InboundMessage
from inbox.services import apply as apply_module
from inbox.sync.mailbox import mailbox_sync_pass
from leads.models import EventKind, LeadEvent
from tests.cadences.helpers import enroll
from tests.inbox.helpers import message

pytestmark = pytest.mark.django_db


class Killed(BaseException):
    """Stands for the process dying: not an error any code catches."""


def reply(lead, mailbox, n, now) -> bytes:
    return message(
        sender=lead.prospect.email, to=mailbox.email, message_id=f"<r{n}@prospect.example>",
        date=now, body=f"Reply number {n}.",
    )  # fmt: skip


def replies_per_lead(leads) -> list[int]:
    return [LeadEvent.objects.filter(lead=lead, kind=EventKind.REPLY).count() for lead in leads]


@pytest.fixture
def mailbox(crew, make_mailbox, now):
    box = make_mailbox(crew.sdr)
    mailbox_sync_pass(box)
    box.refresh_from_db()
    return box


def test_a_pass_killed_in_the_middle_resumes_from_its_cursor(
    crew, mailbox, standard, mail_servers, now, monkeypatch
):
    leads = [crew.lead() for _ in range(3)]
    for lead in leads:
        enroll(crew.sdr, lead, standard)
    uids = [mail_servers.append(mailbox.email, "INBOX", reply(lead, mailbox, n, now))
            for n, lead in enumerate(leads)]  # fmt: skip
    real_apply, calls = apply_module._apply, []

    def dies_on_the_second(*args):
        calls.append(args)
        real_apply(*args)
        if len(calls) == 2:
            raise Killed  # after the outcome was written, before the commit

    monkeypatch.setattr(apply_module, "_apply", dies_on_the_second)
    with pytest.raises(Killed):
        mailbox_sync_pass(mailbox)

    assert replies_per_lead(leads) == [1, 0, 0]
    assert list(InboundMessage.objects.values_list("uid", flat=True)) == [uids[0]]
    assert FolderCursor.objects.get(mailbox=mailbox, folder="INBOX").last_uid == uids[0]

    monkeypatch.setattr(apply_module, "_apply", real_apply)
    result = mailbox_sync_pass(mailbox)

    assert len(result.applied) == 2
    assert replies_per_lead(leads) == [1, 1, 1]
    assert sorted(InboundMessage.objects.values_list("uid", flat=True)) == uids
    assert FolderCursor.objects.get(mailbox=mailbox, folder="INBOX").last_uid == uids[2]
    assert set(Enrollment.objects.values_list("stop_reason", flat=True)) == {"replied"}


def test_a_new_uidvalidity_reads_the_folder_again_without_processing_anything_twice(
    crew, make_mailbox, standard, mail_servers
):
    # The real clock: the server dates what it receives, and refuses dates in the future.
    now = timezone.now()
    old, seen, later = crew.lead(), crew.lead(), crew.lead()
    for lead in (old, seen, later):
        enroll(crew.sdr, lead, standard)
    box = make_mailbox(crew.sdr)
    # Received ten days before the mailbox was connected: before the sync's time.
    mail_servers.append(box.email, "INBOX", reply(old, box, 0, now), date=now - timedelta(days=10))
    first = mailbox_sync_pass(box)
    assert first.folders[-1].restarted and first.applied == []
    mail_servers.append(box.email, "INBOX", reply(seen, box, 1, now))
    box.refresh_from_db()
    assert len(mailbox_sync_pass(box).applied) == 1
    validity = mail_servers.uidvalidity(box.email)

    mail_servers.set_uidvalidity(box.email, "INBOX", validity + 1000)
    mail_servers.append(box.email, "INBOX", reply(later, box, 2, now))
    box.refresh_from_db()
    result = mailbox_sync_pass(box)

    inbox = result.folders[-1]
    assert inbox.restarted is True
    assert inbox.seen == 2  # the reply read before, again, and the new one
    assert len(result.applied) == 1
    assert replies_per_lead([old, seen, later]) == [0, 1, 1]
    cursor = FolderCursor.objects.get(mailbox=box, folder="INBOX")
    assert cursor.uidvalidity == validity + 1000
    assert InboundMessage.objects.get(lead=later).uidvalidity == validity + 1000


@pytest.mark.django_db(transaction=True)
def test_two_passes_at_once_apply_each_message_once(crew, make_mailbox, mail_servers):
    box = make_mailbox(crew.sdr)
    mailbox_sync_pass(box)
    cadence = cadence_ensure_standard(team_id=crew.team.pk, actor=crew.manager)
    leads = [crew.lead() for _ in range(8)]
    for lead in leads:
        enroll(crew.sdr, lead, cadence)
    box.refresh_from_db()
    for n, lead in enumerate(leads):
        mail_servers.append(box.email, "INBOX", reply(lead, box, n, timezone.now()))
    barrier, results, errors = threading.Barrier(2), [], []

    def run():
        try:
            barrier.wait()
            results.append(mailbox_sync_pass(box))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert (errors, len(results)) == ([], 2)
    assert sum(len(r.applied) for r in results) == 8
    assert replies_per_lead(leads) == [1] * 8
    assert InboundMessage.objects.count() == 8
