"""make_mailbox: a Mailbox row that connects to a fresh user on the test servers."""

import imaplib

from mailboxes.crypto import decrypt


def test_a_password_mailbox_logs_in_with_its_stored_secret(crew, make_mailbox, mail_servers):
    mailbox = make_mailbox(crew.sdr)

    assert (mailbox.user, mailbox.team, mailbox.auth_kind, mailbox.sent_folder) == (
        crew.sdr, crew.team, "password", "Sent",
    )  # fmt: skip
    assert (mailbox.imap_host, mailbox.imap_port, mailbox.imap_security) == (
        "127.0.0.1", mail_servers.imap_port, "none",
    )  # fmt: skip
    assert (mailbox.smtp_port, mailbox.smtp_security) == (mail_servers.smtp_port, "none")
    conn = imaplib.IMAP4(mailbox.imap_host, mailbox.imap_port, timeout=10)
    assert conn.login(mailbox.username, decrypt(mailbox.secret))[0] == "OK"
    conn.logout()


def test_an_oauth_mailbox_holds_tokens_the_oauth_server_issued(crew, make_mailbox, mail_servers):
    mailbox = make_mailbox(crew.sdr, auth_kind="google", security="tls")

    assert mailbox.secret == ""
    assert mail_servers.oauth.access_token_email(decrypt(mailbox.access_token)) == mailbox.email
    assert decrypt(mailbox.refresh_token).startswith("rt-")
    assert (mailbox.imap_host, mailbox.imap_port, mailbox.smtp_port) == (
        "localhost", mail_servers.imap_tls_port, mail_servers.smtp_tls_port,
    )  # fmt: skip
