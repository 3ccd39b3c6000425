"""Talking to an SDR's mailbox: IMAP and SMTP submission, logged in with the password (or app
password) or OAuth 2.0 (XOAUTH2), TLS verified against the system's authorities (and
``SDRCRM_MAILBOX_CA_FILE``), and every failure turned into a ``MailboxError`` that says exactly
what is wrong, in words the owner can act on.

``imap_connect`` and ``smtp_connect`` return connections that are open and logged in; the caller
closes them (``logout()`` / ``quit()``). The IMAP helpers below work on such a connection.
Secrets never appear in an error or a log: only the server's own reply is kept (``detail``).
"""

import base64
import imaplib
import ipaddress
import re
import smtplib
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _

# oauth as a module: it raises this module's MailboxError (each takes the other's names at
# call time, so either may be imported first).
from . import crypto, oauth
from .models import AuthKind, Mailbox, TransportSecurity

DEFAULT_TIMEOUT = 30

# The messages for the owner (kind, whether they must act).
AUTH_FAILED = _("Authentication failed: check the username and the (app) password")
APP_PASSWORD_REQUIRED = _(
    "The provider requires an app password for this account: create one in the account's "
    "security settings and use it instead of the account's password"
)
WEB_LOGIN_REQUIRED = _(
    "The provider blocked the sign-in: sign in to the account once in a web browser, then try "
    "again"
)
BASIC_AUTH_DISABLED = _(
    "Sign-in with a password is switched off for this account: connect it with Microsoft 365 "
    "(OAuth) instead"
)
OAUTH_REFUSED = _(
    "The provider refused the mailbox's sign-in (the access was revoked or has expired): "
    "connect the mailbox again"
)
NO_TOKEN = _("The mailbox has no sign-in token: connect the mailbox again")
SECRET_UNREADABLE = _(
    "The mailbox's stored password or sign-in cannot be read with the configured keys: "
    "connect the mailbox again"
)
AUTH_TEMPORARY = _("The server could not check the sign-in just now: it is tried again later")
IMAP_DISABLED = _("IMAP is disabled for this account")
SMTP_AUTH_DISABLED = _(
    "SMTP AUTH is disabled for this account: an administrator must allow authenticated SMTP "
    "for the mailbox (Microsoft 365 admin centre: the user, Mail, Manage email apps)"
)
SMTP_NO_AUTH = _(
    "The SMTP server offers no sign-in on this connection: check the port and the security "
    "setting"
)
TLS_UNTRUSTED = _("The server's certificate is not trusted")
TLS_HOSTNAME = _(
    "The server's certificate is for another name: check the server name (it must be the "
    "name in the certificate)"
)
TLS_EXPIRED = _("The server's certificate has expired")
TLS_FAILED = _(
    "The secure connection to the server failed: check the port and the security setting"
)
STARTTLS_MISSING = _(
    "The server does not offer STARTTLS: choose TLS, or check the port (IMAP 993 with TLS, "
    "SMTP 587 with STARTTLS)"
)
PLAINTEXT_REFUSED = _(
    "A connection without encryption is allowed only to a server on this machine: choose TLS "
    "or STARTTLS"
)
CONNECTION_REFUSED = _("The server refused the connection: check the server name and the port")
HOST_NOT_FOUND = _("The server name was not found: check it")
DNS_TEMPORARY = _("The server name could not be looked up just now: it is tried again later")
TIMEOUT = _("The server did not answer in time")
CONNECTION_LOST = _("The connection to the server was lost")
PROTOCOL = _("The server gave an unexpected answer")
FOLDER_FAILED = _("The server refused to store the message in the folder")

KINDS = ("auth", "imap_disabled", "tls", "connect", "timeout", "protocol", "token")
# Whether the owner must act when a kind is not given a ``permanent`` of its own.
_OWNER_MUST_ACT = frozenset({"auth", "imap_disabled", "tls", "token"})


class MailboxError(Exception):
    """A mailbox's server could not be reached or used.

    ``kind``: one of ``KINDS``; ``message``: for the owner, translated into the language active
    where it was raised; ``text``: the message as given (lazy when it is one of this module's
    constants, so that it can be read in the owner's language later); ``permanent``: True when
    the owner must act (a refused password, a revoked token, an untrusted certificate), False
    when trying again later may work (a timeout, a refused connection, a 4xx); ``detail``: the
    server's own reply, for support (never a secret)."""

    def __init__(self, kind: str, message, permanent: bool | None = None, *, detail: str = ""):
        if kind not in KINDS:
            raise ValueError(f"unknown MailboxError kind {kind!r}")
        self.kind = kind
        self.text = message
        self.message = str(message)
        self.permanent = kind in _OWNER_MUST_ACT if permanent is None else permanent
        self.detail = detail
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"MailboxError({self.kind!r}, {self.message!r}, permanent={self.permanent})"


# --- connecting, and what a failure means ----------------------------------------------------
def tls_context() -> ssl.SSLContext:
    """Certificates verified (chain and host name) against the system's authorities and
    ``SDRCRM_MAILBOX_CA_FILE``; TLS 1.2 at least."""
    context = ssl.create_default_context()
    if settings.SDRCRM_MAILBOX_CA_FILE:
        context.load_verify_locations(cafile=settings.SDRCRM_MAILBOX_CA_FILE)
    return context


def _is_loopback(host: str) -> bool:
    """Every address ``host`` names is this machine's (raises socket.gaierror if none)."""
    addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    return bool(addresses) and all(
        ipaddress.ip_address(address.split("%")[0]).is_loopback for address in addresses
    )


def _tls_error(exc: ssl.SSLError) -> MailboxError:
    detail = str(exc)
    if isinstance(exc, ssl.SSLCertVerificationError):
        if exc.verify_code in (62, 64):  # X509_V_ERR_HOSTNAME_MISMATCH, _IP_ADDRESS_MISMATCH
            return MailboxError("tls", TLS_HOSTNAME, detail=detail)
        if exc.verify_code == 10:  # X509_V_ERR_CERT_HAS_EXPIRED
            return MailboxError("tls", TLS_EXPIRED, detail=detail)
        return MailboxError("tls", TLS_UNTRUSTED, detail=detail)
    return MailboxError("tls", TLS_FAILED, detail=detail)


@contextmanager
def _network_errors() -> Iterator[None]:
    """What the network, DNS and TLS can fail with, as MailboxError (IMAP and SMTP refusals are
    read where they are answered)."""
    try:
        yield
    except MailboxError:
        raise
    except ssl.SSLError as exc:
        raise _tls_error(exc) from exc
    except socket.gaierror as exc:
        if exc.errno == socket.EAI_AGAIN:
            raise MailboxError("connect", DNS_TEMPORARY, False, detail=str(exc)) from exc
        raise MailboxError("connect", HOST_NOT_FOUND, True, detail=str(exc)) from exc
    except ConnectionRefusedError as exc:
        raise MailboxError("connect", CONNECTION_REFUSED, False, detail=str(exc)) from exc
    except TimeoutError as exc:  # socket.timeout is TimeoutError
        raise MailboxError("timeout", TIMEOUT, False, detail=str(exc)) from exc
    except smtplib.SMTPServerDisconnected as exc:
        # smtplib reports a reply that did not come in time as a disconnection.
        if isinstance(exc.__context__, TimeoutError):
            raise MailboxError("timeout", TIMEOUT, False, detail=str(exc)) from exc
        raise MailboxError("connect", CONNECTION_LOST, False, detail=str(exc)) from exc
    except (imaplib.IMAP4.abort, EOFError, OSError) as exc:
        raise MailboxError("connect", CONNECTION_LOST, False, detail=str(exc)) from exc
    except imaplib.IMAP4.error as exc:  # a greeting or an answer that makes no sense
        raise MailboxError("protocol", PROTOCOL, False, detail=_text(exc.args)) from exc


def _check_security(host: str, security: str) -> None:
    if security == TransportSecurity.NONE and not _is_loopback(host):
        raise MailboxError("tls", PLAINTEXT_REFUSED, True)


def _decrypted(mailbox: Mailbox, value: str) -> str:
    try:
        return crypto.decrypt(value)
    except crypto.SecretUnreadable as exc:
        kind = "auth" if mailbox.auth_kind == AuthKind.PASSWORD else "token"
        raise MailboxError(kind, SECRET_UNREADABLE, True) from exc


def _access_token(mailbox: Mailbox) -> str:
    """The access token, renewed first when it expires within five minutes
    (``mailboxes.oauth.fresh_access_token``, which raises a permanent "token" error when the
    provider refuses the renewal)."""
    if not mailbox.access_token:
        raise MailboxError("token", NO_TOKEN, True)
    try:
        return oauth.fresh_access_token(mailbox)
    except crypto.SecretUnreadable as exc:
        raise MailboxError("token", SECRET_UNREADABLE, True) from exc


def _xoauth2(username: str, token: str) -> str:
    return f"user={username}\x01auth=Bearer {token}\x01\x01"


def _text(value) -> str:
    if isinstance(value, bytes | bytearray):
        return value.decode("utf-8", "replace")
    if isinstance(value, list | tuple):
        return " ".join(_text(v) for v in value)
    return str(value)


def _refusal(detail: str, *, oauth: bool) -> MailboxError:
    """A refused sign-in (IMAP or SMTP), by what the big providers answer."""
    text = detail.lower()
    if "not enabled for imap" in text or "imap access is disabled" in text:
        return MailboxError("imap_disabled", IMAP_DISABLED, detail=detail)  # Gmail
    if "smtpclientauthentication is disabled" in text:
        return MailboxError("auth", SMTP_AUTH_DISABLED, detail=detail)  # Microsoft 365
    if "basic authentication is disabled" in text:
        return MailboxError("auth", BASIC_AUTH_DISABLED, detail=detail)  # Microsoft 365
    if "application-specific password required" in text:
        return MailboxError("auth", APP_PASSWORD_REQUIRED, detail=detail)  # Gmail
    if "[webalert" in text or "log in via your web browser" in text:
        return MailboxError("auth", WEB_LOGIN_REQUIRED, detail=detail)  # Gmail
    if "[unavailable]" in text or re.match(r"4\d\d\b", text):
        return MailboxError("auth", AUTH_TEMPORARY, False, detail=detail)
    if oauth:
        return MailboxError("token", OAUTH_REFUSED, detail=detail)
    return MailboxError("auth", AUTH_FAILED, detail=detail)


# --- IMAP ------------------------------------------------------------------------------------
def _imap_open(mailbox: Mailbox, timeout: float) -> imaplib.IMAP4:
    host, port, security = mailbox.imap_host, mailbox.imap_port, mailbox.imap_security
    if security == TransportSecurity.TLS:
        return imaplib.IMAP4_SSL(host, port, ssl_context=tls_context(), timeout=timeout)
    conn = imaplib.IMAP4(host, port, timeout=timeout)
    if security == TransportSecurity.STARTTLS:
        if "STARTTLS" not in conn.capabilities:
            conn.shutdown()
            raise MailboxError("tls", STARTTLS_MISSING)
        conn.starttls(ssl_context=tls_context())
    return conn


def _imap_login(conn: imaplib.IMAP4, mailbox: Mailbox) -> None:
    oauth = mailbox.auth_kind != AuthKind.PASSWORD
    try:
        if oauth:
            answer = _xoauth2(mailbox.username, _access_token(mailbox)).encode()
            asked = []

            def respond(challenge: bytes) -> bytes:
                # The second challenge is the server's error (JSON): answered empty, as
                # RFC 7628 wants, so that the server finishes with NO.
                asked.append(challenge)
                return answer if len(asked) == 1 else b""

            conn.authenticate("XOAUTH2", respond)
        else:
            password = _decrypted(mailbox, mailbox.secret)
            if "AUTH=PLAIN" in conn.capabilities:  # UTF-8 passwords; LOGIN is ASCII only
                plain = f"\0{mailbox.username}\0{password}".encode()
                conn.authenticate("PLAIN", lambda _challenge: plain)
            elif not (password + mailbox.username).isascii():
                raise MailboxError("auth", AUTH_FAILED, detail="only LOGIN offered: ASCII only")
            else:
                conn.login(mailbox.username, password)
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error as exc:
        raise _refusal(_text(exc.args[0] if exc.args else ""), oauth=oauth) from exc


def _imap_probe(conn: imaplib.IMAP4) -> None:
    """Microsoft 365 accepts the sign-in of a mailbox whose IMAP is off and refuses every
    command after it ("User is authenticated but not connected")."""
    try:
        typ, data = conn.list('""', "INBOX")
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error as exc:
        detail = _text(exc.args[0] if exc.args else "")
        if "authenticated but not connected" in detail.lower():
            raise MailboxError("imap_disabled", IMAP_DISABLED, detail=detail) from exc
        raise MailboxError("protocol", PROTOCOL, False, detail=detail) from exc
    if typ != "OK":
        raise MailboxError("protocol", PROTOCOL, False, detail=_text(data))


def imap_connect(mailbox: Mailbox, *, timeout: float = DEFAULT_TIMEOUT) -> imaplib.IMAP4:
    """An IMAP connection to ``mailbox``, TLS as configured, logged in (LOGIN/PLAIN with the
    password, or AUTHENTICATE XOAUTH2 with the access token). Raises MailboxError."""
    conn = None
    try:
        with _network_errors():
            _check_security(mailbox.imap_host, mailbox.imap_security)
            conn = _imap_open(mailbox, timeout)
            _imap_login(conn, mailbox)
            _imap_probe(conn)
    except MailboxError:
        if conn is not None:
            _imap_close(conn)
        raise
    return conn


def _imap_close(conn: imaplib.IMAP4) -> None:
    try:
        conn.shutdown()
    except OSError:
        pass


def _utf7_imap(name: str) -> str:
    """A folder name in IMAP's modified UTF-7 (RFC 3501 5.1.3); ASCII names unchanged."""
    out, pending = [], []

    def flush():
        if pending:
            encoded = "".join(pending).encode("utf-16-be")
            b64 = base64.b64encode(encoded).decode().rstrip("=")
            out.append("&" + b64.replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def quote_folder(name: str) -> str:
    """A folder name as IMAP wants it in a command: modified UTF-7 if need be, quoted."""
    if any(c in name for c in "\r\n\0"):
        raise ValueError("a folder name cannot hold line breaks")
    if not name.isascii():
        name = _utf7_imap(name)
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


_LIST_LINE = re.compile(rb'^\((?P<flags>[^)]*)\) (?:"(?:[^"\\]|\\.)*"|NIL) (?P<name>.*)$')

# Where providers keep sent mail when the server does not flag it (\Sent, RFC 6154).
SENT_NAMES = ("sent", "sent items", "[gmail]/sent mail", "sent messages", "inbox.sent",
              "inbox/sent", "sendt", "sendte elementer", "skickat", "gesendet")  # fmt: skip


def _folders(imap: imaplib.IMAP4) -> list[tuple[str, set[str]]]:
    with _network_errors():
        typ, data = imap.list('""', "*")
    if typ != "OK":
        raise MailboxError("protocol", PROTOCOL, False, detail=_text(data))
    folders = []
    for item in data or ():
        if isinstance(item, tuple):  # the name came as a literal
            line, name = item[0], item[1].decode("utf-8", "replace")
            match = _LIST_LINE.match(re.sub(rb" \{\d+\}$", b" x", line))
        else:
            match = _LIST_LINE.match(item or b"")
            if not match:
                continue
            name = match.group("name").decode("utf-8", "replace")
            if name.startswith('"') and name.endswith('"'):
                name = re.sub(r"\\(.)", r"\1", name[1:-1])
        if match:
            flags = {flag.lower() for flag in match.group("flags").decode().split()}
            folders.append((name, flags))
    return folders


def find_sent_folder(imap: imaplib.IMAP4) -> str:
    """The folder flagged ``\\Sent``, else the first of the usual names that exists
    (``SENT_NAMES``); '' when there is none. The name as the server spells it."""
    folders = _folders(imap)
    for name, flags in folders:
        if "\\sent" in flags and "\\noselect" not in flags:
            return name
    by_lower = {name.lower(): name for name, flags in folders if "\\noselect" not in flags}
    for usual in SENT_NAMES:
        if usual in by_lower:
            return by_lower[usual]
    return ""


def _response_code(imap: imaplib.IMAP4, code: str) -> bool:
    """Whether the last answer carried ``[code]`` (imaplib files response codes apart)."""
    return imap.untagged_responses.pop(code, None) is not None


def _quoted(value: str) -> str:
    if not value.isascii() or any(c in value for c in "\r\n\0"):
        raise ValueError("not a Message-ID")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def search_message_id(imap: imaplib.IMAP4, folder: str, message_id: str) -> bool:
    """Whether ``folder`` holds a message with exactly this Message-ID (IMAP SEARCH HEADER,
    then the headers of what it found compared, since SEARCH matches substrings). A folder
    that does not exist holds nothing. Leaves the folder selected, read-only."""
    message_id = message_id.strip()
    with _network_errors():
        typ, data = imap.select(quote_folder(folder), readonly=True)
        if typ != "OK":
            # Not every server says [NONEXISTENT] (RFC 5530; Dovecot 2.3 does not): LIST tells.
            _, listed = imap.list('""', quote_folder(folder))
            if not [line for line in listed if line]:
                return False
            raise MailboxError("protocol", PROTOCOL, False, detail=_text(data))
        typ, data = imap.uid("SEARCH", "HEADER", "Message-ID", _quoted(message_id))
        if typ != "OK":
            raise MailboxError("protocol", PROTOCOL, False, detail=_text(data))
        uids = (data[0] or b"").split()
        if not uids:
            return False
        typ, data = imap.uid(
            "FETCH", b",".join(uids).decode(), "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])"
        )
    if typ != "OK":
        raise MailboxError("protocol", PROTOCOL, False, detail=_text(data))
    for part in data:
        if isinstance(part, tuple):
            header = part[1].decode("utf-8", "replace")
            value = re.sub(r"\s+", "", header.partition(":")[2])
            if value == message_id:
                return True
    return False


def append_message(
    imap: imaplib.IMAP4, folder: str, raw_bytes: bytes, flags: str = r"(\Seen)"
) -> None:
    """``raw_bytes`` stored in ``folder`` (created first if the server says it does not
    exist: ``[TRYCREATE]``)."""
    with _network_errors():
        typ, data = imap.append(quote_folder(folder), flags or None, None, raw_bytes)
        if typ != "OK" and _response_code(imap, "TRYCREATE"):  # RFC 3501 6.3.11
            imap.create(quote_folder(folder))
            typ, data = imap.append(quote_folder(folder), flags or None, None, raw_bytes)
    if typ != "OK":
        raise MailboxError("protocol", FOLDER_FAILED, False, detail=_text(data))


# --- SMTP ------------------------------------------------------------------------------------
def _ehlo_name() -> str:
    """What we call ourselves in EHLO: the site's host name (socket.getfqdn() can wait on
    DNS for seconds)."""
    host = urlsplit(settings.SDRCRM_BASE_URL).hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host or "localhost"
    return f"[{host}]"


def _smtp_open(mailbox: Mailbox, timeout: float) -> smtplib.SMTP:
    host, port, security = mailbox.smtp_host, mailbox.smtp_port, mailbox.smtp_security
    name = _ehlo_name()
    if security == TransportSecurity.TLS:
        smtp = smtplib.SMTP_SSL(host, port, local_hostname=name, timeout=timeout,
                                context=tls_context())  # fmt: skip
    else:
        smtp = smtplib.SMTP(host, port, local_hostname=name, timeout=timeout)
    smtp.ehlo()
    if security == TransportSecurity.STARTTLS:
        if not smtp.has_extn("starttls"):
            smtp.close()
            raise MailboxError("tls", STARTTLS_MISSING)
        smtp.starttls(context=tls_context())
        smtp.ehlo()
    return smtp


def _smtp_password(smtp: smtplib.SMTP, username: str, password: str) -> None:
    """AUTH PLAIN, else LOGIN, in UTF-8 (smtplib's own login() takes ASCII only)."""
    mechanisms = smtp.esmtp_features.get("auth", "").upper().split()
    user, secret = username.encode(), password.encode()
    if "PLAIN" in mechanisms:
        plain = base64.b64encode(b"\0" + user + b"\0" + secret).decode()
        code, reply = smtp.docmd("AUTH", "PLAIN " + plain)
    elif "LOGIN" in mechanisms:
        code, reply = smtp.docmd("AUTH", "LOGIN " + base64.b64encode(user).decode())
        if code == 334:
            code, reply = smtp.docmd(base64.b64encode(secret).decode())
    else:
        raise MailboxError("auth", SMTP_NO_AUTH, detail=f"AUTH {' '.join(mechanisms)}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def _smtp_login(smtp: smtplib.SMTP, mailbox: Mailbox) -> None:
    oauth = mailbox.auth_kind != AuthKind.PASSWORD
    if not smtp.has_extn("auth"):
        raise MailboxError("auth", SMTP_NO_AUTH, detail="no AUTH in EHLO")
    try:
        if oauth:
            answer = _xoauth2(mailbox.username, _access_token(mailbox))
            smtp.auth("XOAUTH2", lambda challenge=None: answer if challenge is None else "")
        else:
            _smtp_password(smtp, mailbox.username, _decrypted(mailbox, mailbox.secret))
    except smtplib.SMTPResponseException as exc:
        detail = f"{exc.smtp_code} {_text(exc.smtp_error)}"
        raise _refusal(detail, oauth=oauth) from exc
    except smtplib.SMTPException as exc:  # no mechanism both sides know
        raise MailboxError("auth", SMTP_NO_AUTH, detail=str(exc)) from exc


def smtp_connect(mailbox: Mailbox, *, timeout: float = DEFAULT_TIMEOUT) -> smtplib.SMTP:
    """An SMTP submission connection for ``mailbox``: EHLO, TLS as configured, logged in (AUTH
    PLAIN/LOGIN with the password, or XOAUTH2 with the access token). Raises MailboxError."""
    smtp = None
    try:
        with _network_errors():
            _check_security(mailbox.smtp_host, mailbox.smtp_security)
            try:
                smtp = _smtp_open(mailbox, timeout)
            except smtplib.SMTPConnectError as exc:  # a greeting other than 220
                detail = f"{exc.smtp_code} {_text(exc.smtp_error)}"
                raise MailboxError("connect", CONNECTION_REFUSED, False, detail=detail) from exc
            except smtplib.SMTPResponseException as exc:  # EHLO or STARTTLS refused
                detail = f"{exc.smtp_code} {_text(exc.smtp_error)}"
                raise MailboxError("protocol", PROTOCOL, False, detail=detail) from exc
            _smtp_login(smtp, mailbox)
    except MailboxError:
        if smtp is not None:
            smtp.close()
        raise
    return smtp
