"""mailbox_mark_failing / mailbox_mark_working: what the sync and the sender call."""

import pytest
from django.core import mail
from django.utils import timezone

from mailboxes.models import Mailbox, MailboxStatus
from mailboxes.services import mailbox_mark_failing, mailbox_mark_working
from notifications.models import Notification
from notifications.services import notification_email_send

from .conftest import AUTH_FAILED, mailbox_error, password_mailbox

pytestmark = pytest.mark.django_db

REVOKED = "Google refused to renew the access to the mailbox"


def notes(user):
    return list(Notification.objects.filter(user=user).values_list("kind", "title", "lead_id"))


def test_a_failing_mailbox_records_the_reason_and_notifies_its_owner_once(crew):
    mailbox = password_mailbox(crew.sdr)

    assert mailbox_mark_failing(mailbox.pk, mailbox_error()) is True
    assert mailbox_mark_failing(mailbox.pk, mailbox_error(REVOKED, kind="token")) is False

    saved = Mailbox.objects.get(pk=mailbox.pk)
    assert (saved.status, saved.last_error) == (MailboxStatus.FAILING, REVOKED)
    assert saved.last_error_at is not None
    assert notes(crew.sdr) == [("mailbox", f"Your mailbox {mailbox.email} stopped working", None)]
    assert notes(crew.manager) == []
    body = Notification.objects.get(user=crew.sdr).body
    assert body.startswith(AUTH_FAILED + "\n\nYour cadence emails wait until it works again")
    assert body.endswith("Reconnect it on your Mailbox page: http://127.0.0.1:8000/mailboxes/")


def test_the_notification_is_emailed_once(crew):
    mailbox = password_mailbox(crew.sdr)
    mailbox_mark_failing(mailbox.pk, mailbox_error())
    note = Notification.objects.get(user=crew.sdr)
    assert notification_email_send(notification_id=note.pk) is True
    assert notification_email_send(notification_id=note.pk) is False
    assert [(m.subject, m.to) for m in mail.outbox] == [
        (f"Your mailbox {mailbox.email} stopped working", [crew.sdr.email])
    ]


def test_working_again_then_failing_again_is_a_new_failure_and_notifies_again(crew):
    mailbox = password_mailbox(crew.sdr)
    mailbox_mark_failing(mailbox.pk, mailbox_error())
    mailbox_mark_working(mailbox.pk)
    assert mailbox_mark_failing(mailbox.pk, "The server's certificate is not trusted") is True
    assert len(notes(crew.sdr)) == 2
    assert Mailbox.objects.get(pk=mailbox.pk).last_error == (
        "The server's certificate is not trusted"
    )


def test_working_again_clears_the_error_and_releases_the_held_sends_after_commit(
    crew, enqueued, django_capture_on_commit_callbacks
):
    mailbox = password_mailbox(
        crew.sdr, status=MailboxStatus.FAILING, last_error="x", last_error_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert mailbox_mark_working(mailbox.pk, sent_folder="Sent Items") is True
    assert enqueued == []  # not before the commit
    for callback in callbacks:
        callback()
    saved = Mailbox.objects.get(pk=mailbox.pk)
    assert (saved.status, saved.last_error, saved.last_error_at, saved.sent_folder) == (
        MailboxStatus.CONNECTED, "", None, "Sent Items",
    )  # fmt: skip
    assert enqueued == [("cadences.mailbox_resume_task", mailbox.pk)]


def test_a_mailbox_already_working_is_left_alone(
    crew, enqueued, django_capture_on_commit_callbacks
):
    mailbox = password_mailbox(crew.sdr)
    before = Mailbox.objects.filter(pk=mailbox.pk).values().get()
    with django_capture_on_commit_callbacks(execute=True):
        assert mailbox_mark_working(mailbox.pk) is False
        assert mailbox_mark_working(mailbox.pk, sent_folder="Sent") is False
    assert Mailbox.objects.filter(pk=mailbox.pk).values().get() == before
    assert enqueued == []


def test_a_disconnected_mailbox_is_neither_failing_nor_working(crew, enqueued):
    mailbox = password_mailbox(crew.sdr, status=MailboxStatus.DISCONNECTED, secret="")
    before = Mailbox.objects.filter(pk=mailbox.pk).values().get()
    assert mailbox_mark_failing(mailbox.pk, mailbox_error()) is False
    assert mailbox_mark_working(mailbox.pk) is False
    assert Mailbox.objects.filter(pk=mailbox.pk).values().get() == before
    assert notes(crew.sdr) == [] and enqueued == []


def test_an_unknown_mailbox_is_ignored(db):
    assert mailbox_mark_failing(2_000_000_000, mailbox_error()) is False
    assert mailbox_mark_working(2_000_000_000) is False


def test_a_long_reason_is_cut_to_what_the_page_shows(crew):
    mailbox = password_mailbox(crew.sdr)
    mailbox_mark_failing(mailbox.pk, "x" * 5000)
    assert len(Mailbox.objects.get(pk=mailbox.pk).last_error) == 2000


@pytest.mark.django_db(transaction=True)
def test_the_sync_and_the_sender_failing_at_once_notify_the_owner_once():
    """Two processes meet the same refused password at the same moment: the row lock lets one
    of them make the change and notify; the other finds the mailbox already failing."""
    import threading

    from django.db import connection

    from tests.factories import UserFactory

    user = UserFactory(username="both-fail")
    mailbox = password_mailbox(user)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def fail(message):
        try:
            barrier.wait(5)
            results.append(mailbox_mark_failing(mailbox.pk, message))
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=fail, args=(m,)) for m in (AUTH_FAILED, "Token revoked")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)

    assert errors == []
    assert sorted(results) == [False, True]
    assert Notification.objects.filter(user=user, kind="mailbox").count() == 1
    assert Mailbox.objects.get(pk=mailbox.pk).status == MailboxStatus.FAILING
