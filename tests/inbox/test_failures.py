"""A mailbox the sync cannot use: a refused password marks it failing at once (its owner must
act; the message is the transport's); it works again, and says so, once the password is fixed.
A passing fault (the server away) is tried again and marks it failing only when it lasts."""

import pytest

from inbox.models import FolderCursor, SyncLease
from inbox.sync import runner as runner_module
from inbox.sync.runner import Runner, Settings
from mailboxes.crypto import encrypt
from mailboxes.models import Mailbox

pytestmark = pytest.mark.django_db


def once():
    return Runner(Settings(mailboxes=10, threads=1, lease_seconds=60)).run_once()


def test_a_refused_password_marks_the_mailbox_failing_and_a_fixed_one_working(
    crew, make_mailbox, mail_user
):
    box = make_mailbox(crew.sdr, mail_user, secret=encrypt("wrong"))

    stats = once()

    box.refresh_from_db()
    assert (stats.passes, stats.failures) == (0, 1)
    assert box.status == "failing"
    assert box.last_error == "Authentication failed: check the username and the (app) password"
    assert box.last_sync_at is None
    assert FolderCursor.objects.count() == 0
    assert SyncLease.objects.get(mailbox=box).holder == ""  # given back

    Mailbox.objects.filter(pk=box.pk).update(secret=encrypt(mail_user.password))
    stats = once()

    box.refresh_from_db()
    assert (stats.passes, stats.failures) == (1, 0)
    assert (box.status, box.last_error, box.last_error_at) == ("connected", "", None)
    assert box.last_sync_at is not None


def test_a_passing_fault_marks_the_mailbox_failing_only_when_it_lasts(
    crew, make_mailbox, mail_servers, monkeypatch
):
    box = make_mailbox(crew.sdr, imap_port=1)  # nothing listens there
    monkeypatch.setattr(runner_module, "FAILURES_BEFORE_FAILING", 2)
    runner = Runner(Settings(mailboxes=10, threads=1, lease_seconds=60))
    session = runner_module.Session(runner, box.pk)

    runner.sync(session)
    assert Mailbox.objects.get(pk=box.pk).status == "connected"
    runner.sync(session)

    box.refresh_from_db()
    assert (session.failures, box.status) == (2, "failing")
    assert box.last_error == (
        "The server refused the connection: check the server name and the port"
    )
