"""``manage.py mailbox_sync`` as real processes against the test servers: two share the
mailboxes by leases, a reply is picked up through IDLE (their poll is an hour), SIGTERM stops
them cleanly and gives the leases back, and the mailboxes of a process killed outright are
taken over once its leases run out, with what arrived meanwhile."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from cadences.services import cadence_ensure_standard
from inbox.models import FolderCursor, InboundMessage, SyncLease
from leads.models import EventKind, LeadEvent
from tests.cadences.helpers import enroll
from tests.inbox.helpers import message

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


def start(*args: str, lease_seconds: int = 6) -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "SDRCRM_DEV": "1",
        "SDRCRM_SYNC_LEASE_SECONDS": str(lease_seconds),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "mailbox_sync", "--poll", "3600", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def wait_until(check, what: str, procs=(), seconds: float = 90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for proc in procs:
            assert proc.poll() is None, f"{what}: a process exited:\n{proc.stdout.read()}"
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"{what}: not within {seconds} s")


def holders(ids) -> Counter:
    now = timezone.now()
    return Counter(
        SyncLease.objects.filter(mailbox_id__in=ids, until__gt=now).values_list("holder", flat=True)
    )


def synced(ids) -> bool:
    return FolderCursor.objects.filter(mailbox_id__in=ids, folder="INBOX").count() == len(ids)


def stop(proc: subprocess.Popen, sig=signal.SIGTERM) -> tuple[int, str]:
    proc.send_signal(sig)
    try:
        out, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return proc.returncode, out


@pytest.fixture
def crew_mailboxes(crew, make_mailbox, mail_servers):
    users = [crew.sdr, crew.sdr2, crew.bdr, crew.ae]
    return [make_mailbox(user) for user in users]


def reply_to(mail_servers, box, lead, n: int) -> None:
    raw = message(
        sender=lead.prospect.email, to=box.email, message_id=f"<p{n}@prospect.example>",
        date=timezone.now(), body="Yes, let's meet.",
    )  # fmt: skip
    mail_servers.append(box.email, "INBOX", raw)


def test_two_processes_share_the_mailboxes_see_a_reply_through_idle_and_stop_on_sigterm(
    crew, crew_mailboxes, mail_servers
):
    ids = [b.pk for b in crew_mailboxes]
    lead = crew.lead()
    enroll(crew.sdr, lead, cadence_ensure_standard(team_id=crew.team.pk, actor=crew.manager))
    procs = [start("--mailboxes", "2"), start("--mailboxes", "2")]
    try:
        shares = wait_until(
            lambda: (h := holders(ids)) and sorted(h.values()) == [2, 2] and h, "shared", procs
        )
        assert len(shares) == 2  # two holders, two mailboxes each, none held twice
        wait_until(lambda: synced(ids), "first passes", procs)

        reply_to(mail_servers, crew_mailboxes[0], lead, 1)
        row = wait_until(lambda: InboundMessage.objects.first(), "the reply", procs)
        assert (row.kind, row.lead_id, row.matched_by) == ("reply", lead.pk, "sender")
        assert LeadEvent.objects.filter(lead=lead, kind=EventKind.REPLY).count() == 1
    finally:
        results = [stop(p) for p in procs]

    assert [code for code, _out in results] == [0, 0], results
    assert all("mailbox_sync" in out and "failures" in out for _code, out in results)
    assert set(SyncLease.objects.filter(mailbox_id__in=ids).values_list("holder", flat=True)) == {
        ""
    }


def test_a_killed_process_mailboxes_are_taken_over_after_its_leases_run_out(
    crew, crew_mailboxes, mail_servers
):
    ids = [b.pk for b in crew_mailboxes]
    lead = crew.lead()
    enroll(crew.sdr, lead, cadence_ensure_standard(team_id=crew.team.pk, actor=crew.manager))
    first = start("--mailboxes", "10")
    try:
        [(dead, _)] = wait_until(
            lambda: (h := holders(ids)) and list(h.values()) == [4] and list(h.items()),
            "held by the first",
            [first],
        )
        wait_until(lambda: synced(ids), "first passes", [first])
    finally:
        stop(first, signal.SIGKILL)
    # While no process runs, a reply arrives.
    reply_to(mail_servers, crew_mailboxes[0], lead, 2)
    assert holders(ids) == Counter({dead: 4})  # the dead process's leases still stand

    second = start("--mailboxes", "10")
    try:
        wait_until(
            lambda: (h := holders(ids)) and dead not in h and list(h.values()) == [4],
            "taken over",
            [second],
        )
        row = wait_until(lambda: InboundMessage.objects.first(), "the reply", [second])
        assert row.lead_id == lead.pk
    finally:
        code, out = stop(second)
    assert code == 0, out
    assert InboundMessage.objects.count() == 1
    assert LeadEvent.objects.filter(lead=lead, kind=EventKind.REPLY).count() == 1
