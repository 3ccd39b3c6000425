"""mailboxes.services.connect: connecting with a password, testing, disconnecting, the
sending limits. The logins are the fake transport's (conftest.py); the real servers' are in
test_real_servers.py."""

# ruff: noqa: E501  (the tables of cases and the messages read best one a line)

from datetime import timedelta

import pytest
from django.utils import timezone

from mailboxes import crypto
from mailboxes.models import AuthKind, Mailbox, MailboxStatus
from mailboxes.services import (
    ConnectData,
    MailboxTestFailed,
    mailbox_connect,
    mailbox_disconnect,
    mailbox_limits_set,
    mailbox_retest,
)
from notifications.models import Notification
from sdrcrm.errors import Conflict, Invalid, NotAllowed, NotFound

from .conftest import AUTH_FAILED, mailbox_error, oauth_mailbox, password_mailbox

pytestmark = pytest.mark.django_db


def data(**kw) -> ConnectData:
    values = dict(
        email="kari@fjord.example", username="", password="app-password-1",
        imap_host="imap.fjord.example", imap_port=993, imap_security="tls",
        smtp_host="smtp.fjord.example", smtp_port=587, smtp_security="starttls",
    )  # fmt: skip
    values.update(kw)
    return ConnectData(**values)


def snapshot():
    return list(Mailbox.objects.order_by("pk").values())


def test_a_tested_password_mailbox_is_saved_connected(
    crew, fake_transport, enqueued, django_capture_on_commit_callbacks
):
    fake_transport.sent_folder = "INBOX.Sent"
    with django_capture_on_commit_callbacks(execute=True):
        mailbox = mailbox_connect(actor=crew.sdr, data=data(email=" Kari@Fjord.EXAMPLE "))

    saved = Mailbox.objects.get(user=crew.sdr)
    assert saved.pk == mailbox.pk
    assert (saved.email, saved.username, saved.auth_kind, saved.status, saved.team_id) == (
        "kari@fjord.example", "kari@fjord.example", AuthKind.PASSWORD, MailboxStatus.CONNECTED,
        crew.team.pk,
    )  # fmt: skip
    assert (saved.sent_folder, saved.server_saves_sent) == ("INBOX.Sent", False)
    assert crypto.decrypt(saved.secret) == "app-password-1"
    assert "app-password-1" not in saved.secret
    # Both logins were tried, on the mailbox before it was saved, with the password typed.
    assert fake_transport.seen == [
        ("imap", None, "kari@fjord.example", "imap.fjord.example", "app-password-1", 10.0),
        ("smtp", None, "kari@fjord.example", "smtp.fjord.example", "app-password-1", 10.0),
    ]
    assert enqueued == [("cadences.mailbox_resume_task", saved.pk)]


def test_a_gmail_password_mailbox_knows_gmail_files_sent_mail(crew, fake_transport):
    mailbox_connect(
        actor=crew.sdr,
        data=data(imap_host="imap.gmail.com", smtp_host="smtp.gmail.com"),
    )
    assert Mailbox.objects.get(user=crew.sdr).server_saves_sent is True


@pytest.mark.parametrize("where", ["imap", "smtp"])
def test_a_mailbox_failing_the_test_is_not_saved(crew, fake_transport, enqueued, where):
    setattr(fake_transport, f"{where}_error", mailbox_error())

    with pytest.raises(MailboxTestFailed) as failed:
        mailbox_connect(actor=crew.sdr, data=data())

    assert str(failed.value) == AUTH_FAILED
    assert failed.value.error.kind == "auth"
    assert not Mailbox.objects.exists()
    assert enqueued == []


def test_a_changed_connection_failing_the_test_leaves_the_saved_one_as_it_was(crew, fake_transport):
    password_mailbox(crew.sdr)
    before = snapshot()
    fake_transport.imap_error = mailbox_error(
        "IMAP is disabled for this account", kind="imap_disabled"
    )

    with pytest.raises(MailboxTestFailed, match="IMAP is disabled for this account"):
        mailbox_connect(actor=crew.sdr, data=data(imap_host="imap2.fjord.example"))

    assert snapshot() == before


def test_an_empty_password_keeps_the_stored_one_when_nothing_it_goes_to_changed(
    crew, fake_transport
):
    old = password_mailbox(crew.sdr)
    mailbox_connect(
        actor=crew.sdr,
        data=data(email=old.email, username=old.username, password="", imap_port=993),
    )
    saved = Mailbox.objects.get(pk=old.pk)
    assert saved.secret == old.secret
    assert fake_transport.seen[0][4] == "stored-password-1"


@pytest.mark.parametrize(
    "change", [{"imap_host": "imap.evil.example"}, {"smtp_host": "smtp.evil.example"},
               {"username": "someone-else"}],
)  # fmt: skip
def test_the_stored_password_is_never_sent_to_another_server_or_username(
    crew, fake_transport, change
):
    old = password_mailbox(crew.sdr)
    before = snapshot()
    with pytest.raises(Invalid) as refused:
        mailbox_connect(
            actor=crew.sdr,
            data=data(**{"email": old.email, "username": old.username, "password": "", **change}),
        )
    assert str(refused.value) == "Enter the password again: the servers or the username changed."
    assert refused.value.field == "password"
    assert fake_transport.seen == []
    assert snapshot() == before


def test_a_first_connection_needs_a_password(crew, fake_transport):
    with pytest.raises(Invalid, match=r"^Enter the password \(or app password\)\.$"):
        mailbox_connect(actor=crew.sdr, data=data(password=""))
    assert fake_transport.seen == [] and not Mailbox.objects.exists()


@pytest.mark.parametrize(
    "change, field, says",
    [
        ({"email": "not-an-address"}, "email", "Enter the mailbox's email address."),
        ({"username": "k" * 255}, "username", "The username has at most 254 characters"),
        ({"username": "kari\r\nA1 LOGOUT"}, "username", "on one line"),
        ({"password": "p" * 1025}, "password", "The password has at most 1024 characters"),
        ({"password": "pass\nword"}, "password", "on one line"),
        ({"imap_host": "imap.fjord.example:993"}, "imap_host", "without a scheme, a port"),
        ({"smtp_port": 70000}, "smtp_port", "A port is a number from 1 to 65535"),
        ({"smtp_port": 465, "smtp_security": "starttls"}, "smtp_security", "Port 465 is SMTP with TLS"),
        ({"imap_security": "none", "imap_port": 10143}, "imap_security", "on this machine only"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_before_any_connection(crew, fake_transport, change, field, says):
    with pytest.raises(Invalid) as refused:
        mailbox_connect(actor=crew.sdr, data=data(**change))
    assert says in str(refused.value)
    assert refused.value.field == field
    assert fake_transport.seen == [] and not Mailbox.objects.exists()


def test_a_local_server_without_tls_is_allowed(crew, fake_transport):
    mailbox_connect(
        actor=crew.sdr,
        data=data(imap_host="127.0.0.1", imap_port=14300, imap_security="none",
                  smtp_host="localhost", smtp_port=10025, smtp_security="none"),
    )  # fmt: skip
    assert Mailbox.objects.get(user=crew.sdr).imap_security == "none"


@pytest.mark.parametrize("role", ["manager", "marketing", "admin", "privacy"])
def test_only_senders_connect_a_mailbox(crew, fake_transport, role):
    with pytest.raises(NotAllowed):
        mailbox_connect(actor=getattr(crew, role), data=data())
    assert fake_transport.seen == [] and not Mailbox.objects.exists()


@pytest.mark.parametrize("role", ["sdr", "bdr", "ae"])
def test_sdrs_bdrs_and_aes_connect_their_own(crew, fake_transport, role):
    user = getattr(crew, role)
    mailbox_connect(actor=user, data=data(email=f"{role}@fjord.example"))
    assert Mailbox.objects.get(user=user).email == f"{role}@fjord.example"


def test_an_address_another_user_connected_is_refused(crew, other_crew, fake_transport):
    password_mailbox(other_crew.sdr, email="kari@fjord.example")
    with pytest.raises(Invalid, match="already connected by another user") as refused:
        mailbox_connect(actor=crew.sdr, data=data())
    assert refused.value.field == "email"
    assert fake_transport.seen == []
    # Once the other one is disconnected, it is free.
    Mailbox.objects.filter(user=other_crew.sdr).update(status=MailboxStatus.DISCONNECTED)
    mailbox_connect(actor=crew.sdr, data=data())


def test_reconnecting_the_same_address_keeps_the_ramp_up_and_a_new_one_restarts_it(
    crew, fake_transport
):
    long_ago = timezone.now() - timedelta(days=30)
    old = password_mailbox(
        crew.sdr, connected_at=long_ago, status=MailboxStatus.FAILING, last_error="x",
        last_error_at=timezone.now(),
    )  # fmt: skip
    mailbox_connect(actor=crew.sdr, data=data(email=old.email, password="new-password"))
    saved = Mailbox.objects.get(pk=old.pk)
    assert (saved.connected_at, saved.status, saved.last_error, saved.last_error_at) == (
        long_ago, MailboxStatus.CONNECTED, "", None,
    )  # fmt: skip
    assert crypto.decrypt(saved.secret) == "new-password"

    mailbox_connect(actor=crew.sdr, data=data(email="kari.new@fjord.example"))
    assert Mailbox.objects.get(pk=old.pk).connected_at > timezone.now() - timedelta(minutes=1)


def test_switching_from_oauth_to_a_password_drops_the_tokens(crew, fake_transport):
    old = oauth_mailbox(crew.sdr)
    mailbox_connect(actor=crew.sdr, data=data(email=old.email))
    saved = Mailbox.objects.get(pk=old.pk)
    assert (saved.auth_kind, saved.access_token, saved.refresh_token, saved.token_expires_at) == (
        AuthKind.PASSWORD, "", "", None,
    )  # fmt: skip


# --- Test again ------------------------------------------------------------------------------


def test_test_again_on_a_failing_mailbox_that_works_releases_its_sends(
    crew, fake_transport, enqueued, django_capture_on_commit_callbacks
):
    mailbox = password_mailbox(
        crew.sdr, status=MailboxStatus.FAILING, last_error="x", last_error_at=timezone.now()
    )
    fake_transport.sent_folder = "Sendt"
    with django_capture_on_commit_callbacks(execute=True):
        mailbox_retest(actor=crew.sdr)
    saved = Mailbox.objects.get(pk=mailbox.pk)
    assert (saved.status, saved.last_error, saved.sent_folder) == ("connected", "", "Sendt")
    assert enqueued == [("cadences.mailbox_resume_task", mailbox.pk)]


def test_test_again_with_a_refused_password_marks_it_failing_and_notifies(crew, fake_transport):
    mailbox = password_mailbox(crew.sdr)
    fake_transport.smtp_error = mailbox_error()

    with pytest.raises(MailboxTestFailed) as failed:
        mailbox_retest(actor=crew.sdr)

    assert str(failed.value) == AUTH_FAILED
    saved = Mailbox.objects.get(pk=mailbox.pk)
    assert (saved.status, saved.last_error) == (MailboxStatus.FAILING, AUTH_FAILED)
    assert Notification.objects.filter(user=crew.sdr, kind="mailbox").count() == 1


def test_test_again_with_a_timeout_says_so_and_leaves_the_mailbox_connected(crew, fake_transport):
    mailbox = password_mailbox(crew.sdr)
    before = snapshot()
    fake_transport.imap_error = mailbox_error(
        "The server did not answer in time", kind="timeout", permanent=False
    )
    with pytest.raises(MailboxTestFailed, match="The server did not answer in time"):
        mailbox_retest(actor=crew.sdr)
    assert snapshot() == before
    assert mailbox.status == MailboxStatus.CONNECTED
    assert not Notification.objects.exists()


def test_test_again_without_a_mailbox_or_on_a_disconnected_one(crew, fake_transport):
    with pytest.raises(NotFound):
        mailbox_retest(actor=crew.sdr)
    password_mailbox(crew.sdr, status=MailboxStatus.DISCONNECTED, secret="")
    with pytest.raises(Conflict, match="disconnected: connect it first"):
        mailbox_retest(actor=crew.sdr)
    assert fake_transport.seen == []


# --- Disconnect and limits -------------------------------------------------------------------


def test_disconnecting_wipes_the_secrets_at_once(crew):
    mailbox = oauth_mailbox(crew.sdr, status=MailboxStatus.FAILING, last_error="x")
    mailbox_disconnect(actor=crew.sdr)
    saved = Mailbox.objects.get(pk=mailbox.pk)
    assert (saved.status, saved.secret, saved.access_token, saved.refresh_token,
            saved.token_expires_at, saved.last_error) == ("disconnected", "", "", "", None, "")  # fmt: skip
    assert saved.email == mailbox.email  # the row stays: its emails' history points at it
    mailbox_disconnect(actor=crew.sdr)  # twice: nothing more to do


def test_disconnecting_nothing_is_not_found(crew):
    with pytest.raises(NotFound):
        mailbox_disconnect(actor=crew.sdr)


LIMITS = {"daily_cap": 120, "hourly_cap": 20, "min_gap_seconds": 90, "jitter_seconds": 30,
          "ramp_start_cap": 10, "ramp_days": 14}  # fmt: skip


def test_the_limits_are_saved_within_the_safe_ranges(crew):
    mailbox = password_mailbox(crew.sdr)
    mailbox_limits_set(actor=crew.sdr, values=LIMITS)
    saved = Mailbox.objects.filter(pk=mailbox.pk).values(*LIMITS).get()
    assert saved == LIMITS


def test_limits_over_the_safe_maxima_are_refused_and_nothing_changes(crew):
    password_mailbox(crew.sdr)
    before = snapshot()
    with pytest.raises(Invalid, match="Emails per day: a whole number from 1 to 500.") as refused:
        mailbox_limits_set(actor=crew.sdr, values={**LIMITS, "daily_cap": 2000})
    assert refused.value.field == "daily_cap"
    assert snapshot() == before
