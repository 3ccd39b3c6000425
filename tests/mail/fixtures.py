"""pytest fixtures for the real mail servers (imported by tests/conftest.py, so every test
directory can use them). The servers start the first time a test asks for ``mail_servers`` (or a
fixture built on it) and stop at the end of the session: the rest of the suite pays nothing."""

import datetime

import pytest
from django.utils import timezone

from mailboxes.crypto import encrypt
from mailboxes.models import Mailbox

from .servers import MailServers, MailUser


@pytest.fixture(scope="session")
def mail_servers() -> MailServers:
    """Dovecot (IMAP, LMTP), the SMTP submission server and the OAuth server, for the
    session. Make fresh users per test (``mail_servers.add_user()``)."""
    servers = MailServers().start()
    try:
        yield servers
    finally:
        servers.stop()


@pytest.fixture
def mail_user(mail_servers) -> MailUser:
    """A fresh user (address and password) on the test servers."""
    return mail_servers.add_user()


@pytest.fixture
def oauth_server(mail_servers):
    """The local OAuth 2.0 authorization server (``mail_servers.oauth``); its settings that a
    test changes (lifetimes, refresh-token rotation, PKCE) are put back afterwards."""
    oauth = mail_servers.oauth
    saved = (oauth.access_lifetime, oauth.refresh_lifetime, oauth.rotate_refresh_tokens,
             oauth.require_pkce)  # fmt: skip
    oauth.consent_as(None)
    try:
        yield oauth
    finally:
        (oauth.access_lifetime, oauth.refresh_lifetime, oauth.rotate_refresh_tokens,
         oauth.require_pkce) = saved  # fmt: skip
        oauth.consent_as(None)
        oauth.reset_queued()


@pytest.fixture
def trust_test_ca(settings, mail_servers):
    """The test servers' certificate authority trusted by the product
    (``SDRCRM_MAILBOX_CA_FILE``), as a company's own authority would be."""
    settings.SDRCRM_MAILBOX_CA_FILE = str(mail_servers.ca_file)
    return mail_servers.ca_file


def mailbox_fields(
    servers: MailServers,
    mail_user: MailUser,
    *,
    auth_kind: str = "password",
    security: str = "none",
) -> dict:
    """The ``mailboxes.Mailbox`` fields that connect to ``mail_user`` on the test servers
    (secrets encrypted). ``security``: "none" (plain ports on 127.0.0.1), "tls" (implicit TLS)
    or "starttls", both on ``localhost``, the name in the certificate; those two need the test
    authority trusted (the ``trust_test_ca`` fixture). ``auth_kind`` "google"/"microsoft":
    tokens issued by the local OAuth server."""
    if security == "none":
        host, imap_port, smtp_port = servers.host, servers.imap_port, servers.smtp_port
    elif security == "tls":
        host, imap_port, smtp_port = "localhost", servers.imap_tls_port, servers.smtp_tls_port
    elif security == "starttls":
        host, imap_port, smtp_port = "localhost", servers.imap_port, servers.smtp_starttls_port
    else:
        raise ValueError(security)
    fields = {
        "email": mail_user.email, "auth_kind": auth_kind, "username": mail_user.username,
        "imap_host": host, "imap_port": imap_port, "imap_security": security,
        "smtp_host": host, "smtp_port": smtp_port, "smtp_security": security,
    }  # fmt: skip
    if auth_kind == "password":
        fields["secret"] = encrypt(mail_user.password)
    else:
        tokens = servers.oauth.issue_tokens(mail_user.email)
        fields.update(
            access_token=encrypt(tokens.access_token),
            refresh_token=encrypt(tokens.refresh_token),
            token_expires_at=timezone.now() + datetime.timedelta(seconds=tokens.expires_in),
        )
    return fields


@pytest.fixture
def make_mailbox(db, mail_servers):
    """``make_mailbox(user, mail_user=None, *, auth_kind="password", security="none",
    **fields)``: a connected ``mailboxes.Mailbox`` for ``user`` (a fresh test-server user
    unless one is given), its Sent folder "Sent"."""
    def make(user, mail_user: MailUser | None = None, *, auth_kind: str = "password",
             security: str = "none", **fields) -> Mailbox:  # fmt: skip
        mail_user = mail_user or mail_servers.add_user()
        values = mailbox_fields(mail_servers, mail_user, auth_kind=auth_kind, security=security)
        values.setdefault("sent_folder", "Sent")
        values.update(fields)
        return Mailbox.objects.create(user=user, team=user.team, **values)

    return make
