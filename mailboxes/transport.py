"""Connecting to a mailbox's servers. A minimal stand-in on the sync's branch (i19-sync) for the
IMAP half of what branch i19-servers provides in full (exact errors for the user, OAuth
refresh, SMTP): on merge, take i19-servers' version of this module. Same names and
signatures (docs: /work/wt/notes/I19-PLAN.md, "Shared interfaces")."""

import imaplib
import re
import ssl

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .crypto import decrypt
from .models import AuthKind, Mailbox, TransportSecurity


class MailboxError(Exception):
    """A mailbox could not be reached or used. ``kind``: auth, imap_disabled, tls, connect,
    timeout, protocol, token; ``permanent``: the owner must act (else: try again later)."""

    def __init__(self, kind: str, message, *, permanent: bool = False):
        super().__init__(str(message))
        self.kind, self.message, self.permanent = kind, str(message), permanent


def _tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    if settings.SDRCRM_MAILBOX_CA_FILE:
        context.load_verify_locations(cafile=settings.SDRCRM_MAILBOX_CA_FILE)
    return context


def imap_connect(mailbox: Mailbox, *, timeout: float = 30) -> imaplib.IMAP4:
    """A logged-in IMAP connection to ``mailbox``."""
    try:
        if mailbox.imap_security == TransportSecurity.TLS:
            conn = imaplib.IMAP4_SSL(
                mailbox.imap_host, mailbox.imap_port, ssl_context=_tls_context(), timeout=timeout
            )
        else:
            conn = imaplib.IMAP4(mailbox.imap_host, mailbox.imap_port, timeout=timeout)
            if mailbox.imap_security == TransportSecurity.STARTTLS:
                conn.starttls(ssl_context=_tls_context())
    except ssl.SSLCertVerificationError as exc:
        raise MailboxError("tls", _("The server's certificate is not trusted")) from exc
    except TimeoutError as exc:
        raise MailboxError("timeout", _("The server did not answer in time")) from exc
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailboxError("connect", _("Could not connect to the IMAP server")) from exc
    try:
        if mailbox.auth_kind == AuthKind.PASSWORD:
            conn.login(mailbox.username, decrypt(mailbox.secret))
        else:
            secret = (
                f"user={mailbox.username}\x01auth=Bearer {decrypt(mailbox.access_token)}\x01\x01"
            )
            conn.authenticate("XOAUTH2", lambda _challenge: secret.encode())
    except imaplib.IMAP4.error as exc:
        conn.shutdown()
        raise MailboxError(
            "auth",
            _("Authentication failed: check the username and the (app) password"),
            permanent=True,
        ) from exc
    except OSError as exc:
        raise MailboxError("connect", _("The connection to the IMAP server dropped")) from exc
    return conn


_LIST = re.compile(rb'\((?P<flags>[^)]*)\) (?:"[^"]*"|NIL) (?P<name>.+)$')


def find_sent_folder(imap: imaplib.IMAP4) -> str:
    """The Sent folder: the one flagged ``\\Sent`` (RFC 6154), else a usual name; ''."""
    _typ, data = imap.list()
    names = {}
    for line in data or ():
        found = _LIST.match(line) if isinstance(line, bytes) else None
        if not found:
            continue
        name = found.group("name").decode("utf-8", "replace")
        if name.startswith('"'):
            name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        if b"\\sent" in found.group("flags").lower():
            return name
        names[name.lower()] = name
    for usual in ("sent", "sent items", "[gmail]/sent mail", "sent messages", "inbox.sent"):
        if usual in names:
            return names[usual]
    return ""
