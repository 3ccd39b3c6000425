"""The test mail servers themselves: what other tests rely on them to do, checked with plain
imaplib/smtplib clients (the product's transport has its own tests)."""

import imaplib
import smtplib
import ssl

import pytest

from tests.mail.submission import MICROSOFT_SMTP_AUTH_DISABLED


def _raw(sender: str, to: str, message_id: str, subject: str = "Hello") -> bytes:
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\n"
        "Date: Mon, 07 Dec 2026 10:00:00 +0000\r\n\r\nHi there.\r\n"
    ).encode()


def _send(servers, user, to: list[str], raw: bytes) -> dict:
    with smtplib.SMTP(servers.host, servers.smtp_port, timeout=10) as smtp:
        smtp.login(user.email, user.password)
        return smtp.sendmail(user.email, to, raw)


def _xoauth2(email: str, token: str):
    calls = []

    def answer(challenge=None):
        calls.append(challenge)
        return f"user={email}\x01auth=Bearer {token}\x01\x01" if len(calls) == 1 else ""

    return answer


def _imap_xoauth2(servers, email: str, token: str) -> imaplib.IMAP4:
    conn = imaplib.IMAP4(servers.host, servers.imap_port, timeout=10)
    answer = _xoauth2(email, token)
    conn.authenticate("XOAUTH2", lambda challenge: answer(challenge).encode())
    return conn


def test_a_message_sent_through_smtp_lands_in_the_recipients_inbox_read_over_imap(mail_servers):
    sdr, prospect = mail_servers.add_user(), mail_servers.add_user()
    raw = _raw(sdr.email, prospect.email, "<t1.a@sdrcrm.test>")

    refused = _send(mail_servers, sdr, [prospect.email, "someone@elsewhere.test"], raw)

    assert refused == {}
    # Read with the prospect's own password, as a mail client would.
    conn = imaplib.IMAP4(mail_servers.host, mail_servers.imap_port, timeout=10)
    conn.login(prospect.email, prospect.password)
    conn.select("INBOX", readonly=True)
    _, found = conn.search(None, "HEADER", "Message-ID", "<t1.a@sdrcrm.test>")
    assert found == [b"1"]
    conn.logout()
    [message] = mail_servers.messages(prospect.email)
    assert (message["Subject"], message["From"]) == ("Hello", sdr.email)
    assert mail_servers.messages(sdr.email, "Sent") == []  # this server does not save Sent
    [submission] = mail_servers.submissions(message_id="<t1.a@sdrcrm.test>")
    assert (submission.login, submission.outcome, submission.sent_copy) == (
        sdr.email, "accepted", False,
    )  # fmt: skip
    assert submission.recipients == [prospect.email, "someone@elsewhere.test"]
    assert submission.delivered_to == [prospect.email]


def test_saves_sent_files_a_copy_in_the_senders_sent_folder(mail_servers):
    sdr, prospect = mail_servers.add_user(), mail_servers.add_user()

    with mail_servers.smtp_mode(saves_sent=True):
        _send(mail_servers, sdr, [prospect.email], _raw(sdr.email, prospect.email, "<t2@x.test>"))

    [copy] = mail_servers.messages(sdr.email, "Sent")
    assert copy["Message-ID"] == "<t2@x.test>"
    assert len(mail_servers.messages(prospect.email)) == 1
    assert mail_servers.smtp_mode_now.saves_sent is False  # back after the block


def test_smtp_needs_auth_and_refuses_a_wrong_password(mail_servers):
    sdr, prospect = mail_servers.add_user(), mail_servers.add_user()
    raw = _raw(sdr.email, prospect.email, "<t3@x.test>")
    with smtplib.SMTP(mail_servers.host, mail_servers.smtp_port, timeout=10) as smtp:
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            smtp.sendmail(sdr.email, [prospect.email], raw)
        assert refused.value.smtp_code == 530
        with pytest.raises(smtplib.SMTPAuthenticationError) as failed:
            smtp.login(sdr.email, "not-the-password")
        assert failed.value.smtp_code == 535
    assert mail_servers.submissions(message_id="<t3@x.test>") == []
    assert mail_servers.messages(prospect.email) == []


def test_a_changed_password_is_refused_by_imap_and_smtp(mail_servers):
    sdr = mail_servers.add_user(password="first-password")
    mail_servers.set_password(sdr.email, "second-password")

    conn = imaplib.IMAP4(mail_servers.host, mail_servers.imap_port, timeout=10)
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        conn.login(sdr.email, "first-password")
    assert conn.login(sdr.email, "second-password")[0] == "OK"
    conn.logout()
    with smtplib.SMTP(mail_servers.host, mail_servers.smtp_port, timeout=10) as smtp:
        with pytest.raises(smtplib.SMTPAuthenticationError):
            smtp.login(sdr.email, "first-password")


def test_xoauth2_with_a_locally_issued_token_logs_in_to_dovecot_and_smtp(mail_servers):
    sdr, prospect = mail_servers.add_user(), mail_servers.add_user()
    tokens = mail_servers.oauth.issue_tokens(sdr.email)

    conn = _imap_xoauth2(mail_servers, sdr.email, tokens.access_token)
    assert conn.select("INBOX")[0] == "OK"
    conn.logout()
    with smtplib.SMTP(mail_servers.host, mail_servers.smtp_port, timeout=10) as smtp:
        smtp.ehlo()
        assert smtp.auth("XOAUTH2", _xoauth2(sdr.email, tokens.access_token)) == (
            235, b"2.7.0 Authentication successful",
        )  # fmt: skip
        smtp.sendmail(sdr.email, [prospect.email], _raw(sdr.email, prospect.email, "<t5@x>"))
    assert [m["Message-ID"] for m in mail_servers.messages(prospect.email)] == ["<t5@x>"]
    # Dovecot asked the OAuth server about the token.
    assert [r.status for r in mail_servers.oauth.requests("introspect")][-1:] == [200]


def test_oauthbearer_logs_in_to_smtp(mail_servers):
    sdr = mail_servers.add_user()
    token = mail_servers.oauth.issue_tokens(sdr.email).access_token
    with smtplib.SMTP(mail_servers.host, mail_servers.smtp_port, timeout=10) as smtp:
        smtp.ehlo()
        blob = f"n,a={sdr.email},\x01auth=Bearer {token}\x01\x01"
        code, _ = smtp.auth("OAUTHBEARER", lambda challenge=None: blob if challenge is None else "")
    assert code == 235


@pytest.mark.parametrize("case", ["revoked", "expired", "someone_elses"])
def test_a_revoked_expired_or_foreign_token_is_refused(mail_servers, case):
    sdr, other = mail_servers.add_user(), mail_servers.add_user()
    tokens = mail_servers.oauth.issue_tokens(sdr.email)
    if case == "revoked":
        mail_servers.oauth.revoke(tokens.refresh_token)
    elif case == "expired":
        mail_servers.oauth.expire_access_tokens(sdr.email)
    else:
        tokens = mail_servers.oauth.issue_tokens(other.email)

    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        _imap_xoauth2(mail_servers, sdr.email, tokens.access_token)
    with smtplib.SMTP(mail_servers.host, mail_servers.smtp_port, timeout=10) as smtp:
        smtp.ehlo()
        with pytest.raises(smtplib.SMTPAuthenticationError) as failed:
            smtp.auth("XOAUTH2", _xoauth2(sdr.email, tokens.access_token))
    assert failed.value.smtp_code == 535


def test_drop_after_accept_delivers_but_the_sender_never_hears_250(mail_servers):
    sdr, prospect = mail_servers.add_user(), mail_servers.add_user()
    raw = _raw(sdr.email, prospect.email, "<t7@x.test>")

    with mail_servers.smtp_mode(saves_sent=True, fault="drop_after_accept"):
        with pytest.raises(smtplib.SMTPServerDisconnected):
            _send(mail_servers, sdr, [prospect.email], raw)

    assert [m["Message-ID"] for m in mail_servers.messages(prospect.email)] == ["<t7@x.test>"]
    assert [m["Message-ID"] for m in mail_servers.messages(sdr.email, "Sent")] == ["<t7@x.test>"]
    [submission] = mail_servers.submissions(message_id="<t7@x.test>")
    assert (submission.outcome, submission.accepted) == ("dropped_after_accept", True)


def test_drop_before_accept_and_temp_fail_deliver_nothing(mail_servers):
    sdr, prospect = mail_servers.add_user(), mail_servers.add_user()

    with mail_servers.smtp_mode(saves_sent=True, fault="drop_before_accept"):
        with pytest.raises(smtplib.SMTPServerDisconnected):
            _send(mail_servers, sdr, [prospect.email], _raw(sdr.email, prospect.email, "<t8@x>"))
    with mail_servers.smtp_mode(saves_sent=True, fault="temp_fail"):
        with pytest.raises(smtplib.SMTPDataError) as temp:
            _send(mail_servers, sdr, [prospect.email], _raw(sdr.email, prospect.email, "<t9@x>"))

    assert temp.value.smtp_code == 451
    assert mail_servers.messages(prospect.email) == []
    assert mail_servers.messages(sdr.email, "Sent") == []
    assert [(s.message_id, s.outcome, s.accepted) for s in mail_servers.submissions(
        login=sdr.email)] == [("<t8@x>", "dropped_before_accept", False),
                              ("<t9@x>", "temp_failed", False)]  # fmt: skip


def test_a_fault_for_the_first_message_only(mail_servers):
    sdr, prospect = mail_servers.add_user(), mail_servers.add_user()
    with mail_servers.smtp_mode(fault="drop_before_accept", fault_count=1):
        with pytest.raises(smtplib.SMTPServerDisconnected):
            _send(mail_servers, sdr, [prospect.email], _raw(sdr.email, prospect.email, "<a@x>"))
        _send(mail_servers, sdr, [prospect.email], _raw(sdr.email, prospect.email, "<a@x>"))
    assert [m["Message-ID"] for m in mail_servers.messages(prospect.email)] == ["<a@x>"]


def test_reject_auth_answers_the_given_reply(mail_servers):
    sdr = mail_servers.add_user()
    with mail_servers.smtp_mode(fault="reject_auth", auth_reply=MICROSOFT_SMTP_AUTH_DISABLED):
        with smtplib.SMTP(mail_servers.host, mail_servers.smtp_port, timeout=10) as smtp:
            with pytest.raises(smtplib.SMTPAuthenticationError) as failed:
                smtp.login(sdr.email, sdr.password)
    assert failed.value.smtp_code == 535
    assert failed.value.smtp_error.startswith(b"5.7.139 Authentication unsuccessful")


def test_append_folders_and_uidvalidity(mail_servers):
    sdr = mail_servers.add_user()
    assert mail_servers.folders(sdr.email) == {
        "INBOX": {"\\HasNoChildren"}, "Sent": {"\\HasNoChildren", "\\Sent"},
        "Drafts": {"\\HasNoChildren", "\\Drafts"}, "Trash": {"\\HasNoChildren", "\\Trash"},
        "Junk": {"\\HasNoChildren", "\\Junk"},
    }  # fmt: skip
    first = mail_servers.append(sdr.email, "INBOX", _raw("a@b.test", sdr.email, "<u1@x>"))
    second = mail_servers.append(sdr.email, "INBOX", _raw("a@b.test", sdr.email, "<u2@x>"))
    assert second == first + 1
    mail_servers.create_folder(sdr.email, "Sent Items")
    mail_servers.append(sdr.email, "Sent Items", _raw(sdr.email, "a@b.test", "<u3@x>"))
    assert [m["Message-ID"] for m in mail_servers.messages(sdr.email, "Sent Items")] == ["<u3@x>"]

    mail_servers.set_uidvalidity(sdr.email, "INBOX", 4242)
    assert mail_servers.uidvalidity(sdr.email, "INBOX") == 4242


def test_kick_closes_the_users_imap_connections(mail_servers):
    sdr = mail_servers.add_user()
    conn = imaplib.IMAP4(mail_servers.host, mail_servers.imap_port, timeout=10)
    conn.login(sdr.email, sdr.password)
    conn.select("INBOX")
    mail_servers.kick(sdr.email)
    with pytest.raises((imaplib.IMAP4.abort, OSError)):
        conn.noop()


def test_the_tls_port_presents_a_certificate_of_the_test_authority(mail_servers):
    trusting = ssl.create_default_context(cafile=str(mail_servers.ca_file))
    conn = imaplib.IMAP4_SSL("localhost", mail_servers.imap_tls_port, ssl_context=trusting)
    assert conn.noop()[0] == "OK"
    conn.logout()
    with pytest.raises(ssl.SSLCertVerificationError, match="self-signed|unable to get local"):
        imaplib.IMAP4_SSL("localhost", mail_servers.imap_tls_port,
                          ssl_context=ssl.create_default_context())  # fmt: skip
    with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
        imaplib.IMAP4_SSL("127.0.0.1", mail_servers.imap_tls_port, ssl_context=trusting)
    with smtplib.SMTP_SSL("localhost", mail_servers.smtp_tls_port, context=trusting) as smtp:
        assert smtp.noop()[0] == 250
    with smtplib.SMTP("localhost", mail_servers.smtp_starttls_port, timeout=10) as smtp:
        smtp.ehlo()
        assert "auth" not in smtp.esmtp_features  # only after STARTTLS
        smtp.starttls(context=trusting)
        smtp.ehlo()
        assert "XOAUTH2" in smtp.esmtp_features["auth"].split()
