"""Fixtures of the mailbox tests: a fake of ``mailboxes.transport`` (the connection test
without servers; the real servers are tests/mail's), a stub token endpoint, OAuth clients,
and a recorder of the tasks sent by name."""

import base64
import json
from dataclasses import dataclass, field
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from mailboxes import crypto, transport
from mailboxes.models import AuthKind, Mailbox, MailboxStatus, OAuthClient
from mailboxes.transport import MailboxError

from .stub_oauth import StubTokenServer

AUTH_FAILED = "Authentication failed: check the username and the (app) password"


def mailbox_error(message=AUTH_FAILED, *, kind="auth", permanent=True) -> MailboxError:
    return MailboxError(kind=kind, message=message, permanent=permanent)


@dataclass
class FakeTransport:
    """Stands in for the IMAP and SMTP logins: records what each was given (the mailbox as
    it was then, its password decrypted) and fails as told."""

    imap_error: MailboxError | None = None
    smtp_error: MailboxError | None = None
    sent_folder: str = "Sent"
    seen: list = field(default_factory=list)  # (protocol, pk, email, host, secret, timeout)

    def _see(self, protocol, mailbox, timeout):
        secret = crypto.decrypt(mailbox.secret) if mailbox.secret else ""
        host = mailbox.imap_host if protocol == "imap" else mailbox.smtp_host
        self.seen.append((protocol, mailbox.pk, mailbox.email, host, secret, timeout))

    def imap_connect(self, mailbox, *, timeout=30):
        self._see("imap", mailbox, timeout)
        if self.imap_error:
            raise self.imap_error
        return mock.Mock(name="imap")

    def smtp_connect(self, mailbox, *, timeout=30):
        self._see("smtp", mailbox, timeout)
        if self.smtp_error:
            raise self.smtp_error
        return mock.Mock(name="smtp")

    def find_sent_folder(self, imap):
        return self.sent_folder


@pytest.fixture
def fake_transport(monkeypatch):
    fake = FakeTransport()
    monkeypatch.setattr(transport, "imap_connect", fake.imap_connect)
    monkeypatch.setattr(transport, "smtp_connect", fake.smtp_connect)
    monkeypatch.setattr(transport, "find_sent_folder", fake.find_sent_folder)
    return fake


@pytest.fixture
def enqueued():
    """The tasks sent by name (sdrcrm.tasks.enqueue), as (name, *args) tuples."""
    with mock.patch("sdrcrm.tasks.enqueue") as send:
        calls = []
        send.side_effect = lambda name, *args: calls.append((name, *args))
        yield calls


@pytest.fixture
def stub_oauth(settings):
    server = StubTokenServer()
    urls = {
        "authorize": f"{server.url}/authorize",
        "token": f"{server.url}/token",
        "userinfo": f"{server.url}/userinfo",
    }
    settings.SDRCRM_OAUTH_ENDPOINTS = {"google": urls, "microsoft": {**urls, "userinfo": ""}}
    yield server
    server.stop()


GOOGLE_SECRET = "google-client-secret-value"  # noqa: S105 (a test's)
MICROSOFT_SECRET = "microsoft-client-secret-value"  # noqa: S105


@pytest.fixture
def google_client(db):
    return OAuthClient.objects.create(
        provider=AuthKind.GOOGLE, client_id="google-id", client_secret=crypto.encrypt(GOOGLE_SECRET)
    )


@pytest.fixture
def microsoft_client(db):
    return OAuthClient.objects.create(
        provider=AuthKind.MICROSOFT,
        client_id="microsoft-id",
        client_secret=crypto.encrypt(MICROSOFT_SECRET),
        tenant="contoso.onmicrosoft.com",
    )


def id_token(claims: dict) -> str:
    """An unsigned-looking JWT with these claims (the signature is not checked: oauth.py)."""

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'HS256'})}.{part(claims)}.c2lnbmF0dXJl"


def password_mailbox(user, **fields) -> Mailbox:
    values = {
        "team": user.team,
        "email": f"{user.username}@fjord.example",
        "auth_kind": AuthKind.PASSWORD,
        "username": f"{user.username}@fjord.example",
        "imap_host": "imap.fjord.example",
        "imap_port": 993,
        "imap_security": "tls",
        "smtp_host": "smtp.fjord.example",
        "smtp_port": 587,
        "smtp_security": "starttls",
        "secret": crypto.encrypt("stored-password-1"),
        "sent_folder": "Sent",
        "status": MailboxStatus.CONNECTED,
    }
    values.update(fields)
    return Mailbox.objects.create(user=user, **values)


def oauth_mailbox(user, *, provider=AuthKind.GOOGLE, expires_in=3600, **fields) -> Mailbox:
    values = {
        "team": user.team,
        "email": f"{user.username}@fjord.example",
        "auth_kind": provider,
        "username": f"{user.username}@fjord.example",
        "imap_host": "imap.gmail.com",
        "imap_port": 993,
        "imap_security": "tls",
        "smtp_host": "smtp.gmail.com",
        "smtp_port": 587,
        "smtp_security": "starttls",
        "access_token": crypto.encrypt("access-1"),
        "refresh_token": crypto.encrypt("refresh-1"),
        "token_expires_at": timezone.now() + timedelta(seconds=expires_in),
        "server_saves_sent": True,
        "sent_folder": "[Gmail]/Sent Mail",
    }
    values.update(fields)
    return Mailbox.objects.create(user=user, **values)
