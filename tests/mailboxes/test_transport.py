"""mailboxes.transport against the real test servers (Dovecot, the SMTP submission server, the
OAuth server), and against scripted servers for what only the big providers answer: every
failure the owner can meet, with its exact message and whether they must act."""

import smtplib
import socket
import threading

import pytest
from cryptography.fernet import Fernet
from django.utils.functional import Promise

from mailboxes import transport
from mailboxes.models import Mailbox
from mailboxes.transport import MailboxError
from tests.mail.fake_servers import (
    GMAIL_APP_PASSWORD_REQUIRED,
    GMAIL_IMAP_DISABLED,
    GMAIL_IMAP_DISABLED_FOR_DOMAIN,
    GMAIL_INVALID_CREDENTIALS,
    MICROSOFT_AUTH_FAILED,
    MICROSOFT_CAPABILITIES,
    MICROSOFT_FOLDERS_WITHOUT_FLAGS,
    MICROSOFT_NOT_CONNECTED,
    ScriptedIMAPServer,
    SilentServer,
    closed_port,
)
from tests.mail.fixtures import mailbox_fields
from tests.mail.submission import MICROSOFT_SMTP_AUTH_DISABLED

AUTH_FAILED = "Authentication failed: check the username and the (app) password"


def _mailbox(servers, user=None, **options) -> Mailbox:
    """An unsaved Mailbox for ``user`` on the test servers (transport needs no database)."""
    fields = mailbox_fields(servers, user or servers.add_user(),
                            auth_kind=options.pop("auth_kind", "password"),
                            security=options.pop("security", "none"))  # fmt: skip
    fields.update(options)
    return Mailbox(**fields)


def _raw(sender: str, to: str, message_id: str) -> bytes:
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: Hei\r\nMessage-ID: {message_id}\r\n"
        "Date: Mon, 07 Dec 2026 10:00:00 +0000\r\n\r\nHei!\r\n"
    ).encode()


def _error(call, mailbox, **kwargs) -> MailboxError:
    with pytest.raises(MailboxError) as caught:
        call(mailbox, **kwargs)
    return caught.value


def _summary(error: MailboxError) -> tuple[str, str, bool]:
    return error.kind, error.message, error.permanent


# --- working connections ---------------------------------------------------------------------
def test_password_login_to_imap_and_smtp_and_a_message_through(mail_servers):
    prospect = mail_servers.add_user()
    mailbox = _mailbox(mail_servers)

    imap = transport.imap_connect(mailbox)
    assert imap.state == "AUTH"
    assert transport.find_sent_folder(imap) == "Sent"
    imap.logout()
    smtp = transport.smtp_connect(mailbox)
    smtp.sendmail(mailbox.email, [prospect.email], _raw(mailbox.email, prospect.email, "<p1@x>"))
    smtp.quit()

    assert [m["Message-ID"] for m in mail_servers.messages(prospect.email)] == ["<p1@x>"]
    [submission] = mail_servers.submissions(message_id="<p1@x>")
    assert submission.login == mailbox.email


def test_a_utf8_password_logs_in(mail_servers):
    user = mail_servers.add_user(password="blåbærsyltetøy-ÆØÅ")
    imap = transport.imap_connect(_mailbox(mail_servers, user))
    imap.logout()
    transport.smtp_connect(_mailbox(mail_servers, user)).quit()


@pytest.mark.parametrize("provider", ["google", "microsoft"])
def test_oauth_login_with_xoauth2_to_imap_and_smtp(mail_servers, provider):
    prospect = mail_servers.add_user()
    mailbox = _mailbox(mail_servers, auth_kind=provider)

    imap = transport.imap_connect(mailbox)
    assert imap.state == "AUTH"
    imap.logout()
    smtp = transport.smtp_connect(mailbox)
    smtp.sendmail(mailbox.email, [prospect.email], _raw(mailbox.email, prospect.email, "<o1@x>"))
    smtp.quit()
    assert [m["Message-ID"] for m in mail_servers.messages(prospect.email)] == ["<o1@x>"]


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_tls_and_starttls_with_a_trusted_certificate(mail_servers, trust_test_ca, security):
    mailbox = _mailbox(mail_servers, security=security)
    assert mailbox.imap_host == mailbox.smtp_host == "localhost"

    imap = transport.imap_connect(mailbox)
    assert imap.state == "AUTH"
    imap.logout()
    smtp = transport.smtp_connect(mailbox)
    assert smtp.noop()[0] == 250
    smtp.quit()


# --- TLS ------------------------------------------------------------------------------------
@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_a_certificate_from_an_unknown_authority_is_not_trusted(mail_servers, security):
    mailbox = _mailbox(mail_servers, security=security)
    expected = ("tls", "The server's certificate is not trusted", True)
    assert _summary(_error(transport.imap_connect, mailbox)) == expected
    assert _summary(_error(transport.smtp_connect, mailbox)) == expected


def test_a_certificate_for_another_name(mail_servers, trust_test_ca):
    mailbox = _mailbox(mail_servers, security="tls", imap_host="127.0.0.1",
                       smtp_host="127.0.0.1")  # fmt: skip
    expected = (
        "tls",
        "The server's certificate is for another name: check the server name (it must be the "
        "name in the certificate)",
        True,
    )
    assert _summary(_error(transport.imap_connect, mailbox)) == expected
    assert _summary(_error(transport.smtp_connect, mailbox)) == expected


def test_tls_to_a_plain_port_fails_as_a_tls_error(mail_servers, trust_test_ca):
    mailbox = _mailbox(mail_servers, security="tls", imap_port=mail_servers.imap_port,
                       smtp_port=mail_servers.smtp_port)  # fmt: skip  # the plain ports
    expected = (
        "tls",
        "The secure connection to the server failed: check the port and the security setting",
        True,
    )
    assert _summary(_error(transport.imap_connect, mailbox)) == expected
    assert _summary(_error(transport.smtp_connect, mailbox)) == expected


def test_starttls_not_offered(mail_servers):
    with ScriptedIMAPServer(capabilities=MICROSOFT_CAPABILITIES) as imap_server:
        mailbox = _mailbox(mail_servers, imap_port=imap_server.port, imap_security="starttls",
                           smtp_security="starttls")  # fmt: skip  # the plain SMTP port
        imap_error = _error(transport.imap_connect, mailbox)
    smtp_error = _error(transport.smtp_connect, mailbox)
    expected = (
        "tls",
        "The server does not offer STARTTLS: choose TLS, or check the port (IMAP 993 with TLS, "
        "SMTP 587 with STARTTLS)",
        True,
    )
    assert _summary(imap_error) == _summary(smtp_error) == expected
    assert "LOGIN" not in imap_server.commands and "AUTHENTICATE" not in imap_server.commands


def test_no_encryption_only_to_this_machine(mail_servers):
    # 192.0.2.0/24 is TEST-NET-1: refused before any connection is tried.
    mailbox = _mailbox(mail_servers, imap_host="192.0.2.10", smtp_host="192.0.2.10")
    expected = (
        "tls",
        "A connection without encryption is allowed only to a server on this machine: choose "
        "TLS or STARTTLS",
        True,
    )
    assert _summary(_error(transport.imap_connect, mailbox, timeout=2)) == expected
    assert _summary(_error(transport.smtp_connect, mailbox, timeout=2)) == expected


# --- refused sign-ins -------------------------------------------------------------------------
def test_a_wrong_password(mail_servers):
    user = mail_servers.add_user()
    mailbox = _mailbox(mail_servers, user)
    mail_servers.set_password(user.email, "changed-by-the-owner")

    imap_error = _error(transport.imap_connect, mailbox)
    smtp_error = _error(transport.smtp_connect, mailbox)

    assert _summary(imap_error) == _summary(smtp_error) == ("auth", AUTH_FAILED, True)
    assert imap_error.detail == "[AUTHENTICATIONFAILED] Authentication failed."
    assert smtp_error.detail == "535 5.7.8 Username and Password not accepted"
    for error in (imap_error, smtp_error):
        assert user.password not in f"{error} {error.detail} {error!r}"


def test_a_revoked_token(mail_servers):
    user = mail_servers.add_user()
    mailbox = _mailbox(mail_servers, user, auth_kind="google")
    mail_servers.oauth.revoke_user(user.email)

    expected = (
        "token",
        "The provider refused the mailbox's sign-in (the access was revoked or has expired): "
        "connect the mailbox again",
        True,
    )
    assert _summary(_error(transport.imap_connect, mailbox)) == expected
    assert _summary(_error(transport.smtp_connect, mailbox)) == expected


def test_no_token_stored(mail_servers):
    mailbox = _mailbox(mail_servers, auth_kind="microsoft", access_token="")
    expected = ("token", "The mailbox has no sign-in token: connect the mailbox again", True)
    assert _summary(_error(transport.imap_connect, mailbox)) == expected
    assert _summary(_error(transport.smtp_connect, mailbox)) == expected


def test_a_secret_the_keys_cannot_read(mail_servers, settings):
    password_box = _mailbox(mail_servers)
    oauth_box = _mailbox(mail_servers, auth_kind="google")
    settings.SDRCRM_MAILBOX_KEYS = [Fernet.generate_key().decode()]  # the old key dropped
    message = (
        "The mailbox's stored password or sign-in cannot be read with the configured keys: "
        "connect the mailbox again"
    )
    assert _summary(_error(transport.imap_connect, password_box)) == ("auth", message, True)
    assert _summary(_error(transport.smtp_connect, password_box)) == ("auth", message, True)
    assert _summary(_error(transport.imap_connect, oauth_box)) == ("token", message, True)


def test_the_token_check_unavailable_is_temporary(mail_servers, oauth_server):
    mailbox = _mailbox(mail_servers, auth_kind="google")
    oauth_server.fail_next_introspection()

    error = _error(transport.imap_connect, mailbox)

    assert _summary(error) == (
        "auth", "The server could not check the sign-in just now: it is tried again later", False,
    )  # fmt: skip
    assert error.detail.startswith("[UNAVAILABLE]")
    transport.imap_connect(mailbox).logout()  # the next try works


@pytest.mark.parametrize(
    "reply, expected",
    [
        (MICROSOFT_SMTP_AUTH_DISABLED, (
            "auth",
            "SMTP AUTH is disabled for this account: an administrator must allow authenticated "
            "SMTP for the mailbox (Microsoft 365 admin centre: the user, Mail, Manage email apps)",
            True,
        )),
        ("535 5.7.139 Authentication unsuccessful, basic authentication is disabled.", (
            "auth",
            "Sign-in with a password is switched off for this account: connect it with "
            "Microsoft 365 (OAuth) instead",
            True,
        )),
        ("535 5.7.139 Authentication unsuccessful, the user credentials were incorrect.",
         ("auth", AUTH_FAILED, True)),
        ("534 5.7.9 Application-specific password required. Learn more at "
         "https://support.google.com/mail/?p=InvalidSecondFactor", (
            "auth",
            "The provider requires an app password for this account: create one in the "
            "account's security settings and use it instead of the account's password",
            True,
        )),
        ("534 5.7.14 Please log in via your web browser and then try again.", (
            "auth",
            "The provider blocked the sign-in: sign in to the account once in a web browser, "
            "then try again",
            True,
        )),
        ("454 4.7.0 Too many login attempts, please try again later.", (
            "auth", "The server could not check the sign-in just now: it is tried again later",
            False,
        )),
    ],
)  # fmt: skip
def test_smtp_refusals_as_the_providers_write_them(mail_servers, reply, expected):
    mailbox = _mailbox(mail_servers)
    with mail_servers.smtp_mode(fault="reject_auth", auth_reply=reply):
        error = _error(transport.smtp_connect, mailbox)
    assert _summary(error) == expected
    assert error.detail == reply


@pytest.mark.parametrize(
    "login_reply, after_login, expected",
    [
        (GMAIL_IMAP_DISABLED, "OK", ("imap_disabled", "IMAP is disabled for this account", True)),
        (GMAIL_IMAP_DISABLED_FOR_DOMAIN, "OK",
         ("imap_disabled", "IMAP is disabled for this account", True)),
        ("OK AUTHENTICATE completed.", MICROSOFT_NOT_CONNECTED,
         ("imap_disabled", "IMAP is disabled for this account", True)),
        (GMAIL_APP_PASSWORD_REQUIRED, "OK", (
            "auth",
            "The provider requires an app password for this account: create one in the "
            "account's security settings and use it instead of the account's password",
            True,
        )),
        (GMAIL_INVALID_CREDENTIALS, "OK", ("auth", AUTH_FAILED, True)),
        (MICROSOFT_AUTH_FAILED, "OK", ("auth", AUTH_FAILED, True)),
        ("OK Logged in", "BAD Command Error. 12",
         ("protocol", "The server gave an unexpected answer", False)),
    ],
)  # fmt: skip
def test_imap_refusals_as_the_providers_write_them(mail_servers, login_reply, after_login,
                                                   expected):  # fmt: skip
    with ScriptedIMAPServer(login_reply=login_reply, after_login=after_login) as server:
        mailbox = _mailbox(mail_servers, imap_port=server.port)
        error = _error(transport.imap_connect, mailbox)
    assert _summary(error) == expected
    answer = login_reply if not login_reply.startswith("OK") else after_login
    assert answer.split(" ", 1)[1] in error.detail


def test_imap_disabled_for_an_oauth_mailbox(mail_servers):
    with ScriptedIMAPServer(login_reply=GMAIL_IMAP_DISABLED) as server:
        mailbox = _mailbox(mail_servers, auth_kind="google", imap_port=server.port)
        error = _error(transport.imap_connect, mailbox)
    assert _summary(error) == ("imap_disabled", "IMAP is disabled for this account", True)
    assert server.commands == ["CAPABILITY", "AUTHENTICATE"]


# --- the network ----------------------------------------------------------------------------
def test_connection_refused(mail_servers):
    port = closed_port()
    mailbox = _mailbox(mail_servers, imap_port=port, smtp_port=port)
    expected = (
        "connect", "The server refused the connection: check the server name and the port",
        False,
    )  # fmt: skip
    assert _summary(_error(transport.imap_connect, mailbox)) == expected
    assert _summary(_error(transport.smtp_connect, mailbox)) == expected


def test_a_server_that_never_answers_times_out(mail_servers):
    with SilentServer() as server:
        mailbox = _mailbox(mail_servers, imap_port=server.port, smtp_port=server.port)
        imap_error = _error(transport.imap_connect, mailbox, timeout=0.3)
        smtp_error = _error(transport.smtp_connect, mailbox, timeout=0.3)
    expected = ("timeout", "The server did not answer in time", False)
    assert _summary(imap_error) == _summary(smtp_error) == expected


@pytest.mark.parametrize(
    "errno, expected",
    [
        (socket.EAI_NONAME, ("connect", "The server name was not found: check it", True)),
        (socket.EAI_AGAIN, (
            "connect",
            "The server name could not be looked up just now: it is tried again later", False,
        )),
    ],
)  # fmt: skip
def test_a_server_name_that_does_not_resolve(mail_servers, monkeypatch, errno, expected):
    def no_such_host(host, *args, **kwargs):
        raise socket.gaierror(errno, "Name or service not known")

    mailbox = _mailbox(mail_servers, security="tls", imap_host="imap.nowhere.invalid",
                       smtp_host="smtp.nowhere.invalid")  # fmt: skip
    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    assert _summary(_error(transport.imap_connect, mailbox)) == expected
    assert _summary(_error(transport.smtp_connect, mailbox)) == expected


def test_the_smtp_server_hangs_up_at_the_greeting(mail_servers):
    # A listener that accepts and closes at once: what a server at its connection limit does.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def hang_up():
        conn, _ = listener.accept()
        conn.close()

    threading.Thread(target=hang_up, daemon=True).start()
    mailbox = _mailbox(mail_servers, smtp_port=listener.getsockname()[1])
    try:
        error = _error(transport.smtp_connect, mailbox)
    finally:
        listener.close()
    assert _summary(error) == ("connect", "The connection to the server was lost", False)


# --- folders and messages ---------------------------------------------------------------------
def test_find_sent_folder_by_flag_and_by_name(mail_servers):
    with ScriptedIMAPServer() as gmail:  # flagged \Sent
        imap = transport.imap_connect(_mailbox(mail_servers, imap_port=gmail.port))
        assert transport.find_sent_folder(imap) == "[Gmail]/Sent Mail"
    with ScriptedIMAPServer(folders=MICROSOFT_FOLDERS_WITHOUT_FLAGS) as outlook:
        imap = transport.imap_connect(_mailbox(mail_servers, imap_port=outlook.port))
        assert transport.find_sent_folder(imap) == "Sent Items"
    with ScriptedIMAPServer(folders=('(\\HasNoChildren) "/" INBOX',)) as bare:
        imap = transport.imap_connect(_mailbox(mail_servers, imap_port=bare.port))
        assert transport.find_sent_folder(imap) == ""


def test_search_message_id_is_exact(mail_servers):
    user = mail_servers.add_user()
    mail_servers.append(user.email, "Sent", _raw(user.email, "p@x.test", "<abc.1@sdrcrm.test>"))
    imap = transport.imap_connect(_mailbox(mail_servers, user))

    assert transport.search_message_id(imap, "Sent", "<abc.1@sdrcrm.test>") is True
    assert transport.search_message_id(imap, "Sent", " <abc.1@sdrcrm.test>\r\n") is True
    assert transport.search_message_id(imap, "Sent", "<abc.1@sdrcrm.tes") is False  # a part
    assert transport.search_message_id(imap, "Sent", "<bc.1@sdrcrm.test>") is False
    assert transport.search_message_id(imap, "INBOX", "<abc.1@sdrcrm.test>") is False
    assert transport.search_message_id(imap, "No Such Folder", "<abc.1@sdrcrm.test>") is False
    imap.logout()


def test_append_message_seen_and_into_a_new_folder(mail_servers):
    user = mail_servers.add_user()
    imap = transport.imap_connect(_mailbox(mail_servers, user))

    transport.append_message(imap, "Sent", _raw(user.email, "p@x.test", "<s1@x>"))
    transport.append_message(imap, "Sendte elementer", _raw(user.email, "p@x.test", "<s2@x>"))
    imap.select('"Sent"', readonly=True)
    _, seen = imap.search(None, "SEEN")
    imap.logout()

    assert seen == [b"1"]
    assert [m["Message-ID"] for m in mail_servers.messages(user.email, "Sent")] == ["<s1@x>"]
    assert [m["Message-ID"] for m in mail_servers.messages(user.email, "Sendte elementer")] == [
        "<s2@x>"
    ]


def test_a_folder_with_letters_beyond_ascii(mail_servers):
    user = mail_servers.add_user()
    imap = transport.imap_connect(_mailbox(mail_servers, user))
    transport.append_message(imap, "Utgående", _raw(user.email, "p@x.test", "<u1@x>"))
    assert transport.search_message_id(imap, "Utgående", "<u1@x>") is True
    imap.logout()
    assert transport.quote_folder("Utgående") == '"Utg&AOU-ende"'
    assert "Utg&AOU-ende" in mail_servers.folders(user.email)


# --- the error itself -------------------------------------------------------------------------
def test_mailbox_error_defaults_and_kinds():
    assert MailboxError("auth", "x").permanent is True
    assert MailboxError("timeout", "x").permanent is False
    assert MailboxError(kind="connect", message="x", permanent=True).permanent is True
    with pytest.raises(ValueError):
        MailboxError("nonsense", "x")
    assert str(MailboxError("tls", transport.TLS_UNTRUSTED)) == (
        "The server's certificate is not trusted"
    )
    assert isinstance(transport.TLS_UNTRUSTED, Promise)  # marked for translation, lazily


def test_smtp_connections_are_left_open_for_the_caller(mail_servers):
    smtp = transport.smtp_connect(_mailbox(mail_servers))
    assert isinstance(smtp, smtplib.SMTP)
    assert smtp.does_esmtp
    smtp.quit()
