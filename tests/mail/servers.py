"""The real mail servers the tests (and the benchmark) run against, started together in a
temporary directory on free ports: a private Dovecot (IMAP, LMTP; tests/mail/dovecot.py), an
aiosmtpd submission server delivering into it (tests/mail/submission.py) and a local OAuth 2.0
authorization server whose tokens both accept (tests/mail/oauth_server.py).

    servers = MailServers().start()
    sdr = servers.add_user()                      # a fresh address and password
    servers.append(sdr.email, "INBOX", raw)       # as if it had arrived
    servers.messages(sdr.email, "Sent")           # email.message.EmailMessage objects
    with servers.smtp_mode(saves_sent=True, fault="drop_after_accept"): ...
    tokens = servers.oauth.issue_tokens(sdr.email)
    servers.stop()

Users live for the whole session: each test makes its own (``add_user()`` with no address
gives a unique one), so tests never see each other's mail.
"""

import contextlib
import imaplib
import re
import secrets
import shutil
import smtplib
import tempfile
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path

from .certs import TestCertificates, make_certificates
from .dovecot import MASTER_USER, Dovecot
from .oauth_server import OAuthServer
from .submission import SmtpMode, Submission, SubmissionHandler, SubmissionServer

DOMAIN = "example.test"
HOST = "127.0.0.1"


@dataclass(frozen=True)
class MailUser:
    email: str
    password: str

    @property
    def username(self) -> str:
        return self.email


def quote_folder(name: str) -> str:
    """A folder name as an IMAP quoted string (imaplib does not quote them)."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


class MailServers:
    host = HOST
    domain = DOMAIN

    def __init__(self, root: Path | None = None):
        self._own_root = root is None
        self.root = root or Path(tempfile.mkdtemp(prefix="sdrcrm-mail-"))
        self.root.chmod(0o755)  # Dovecot's account (not ours when we are root) reads below it
        self.certs: TestCertificates = make_certificates(self.root / "tls")
        self.oauth = OAuthServer(HOST)
        self.dovecot = Dovecot(
            self.root / "dovecot", certs=self.certs, introspect_url=self.oauth.introspect_url
        )
        self._users: dict[str, MailUser] = {}
        self._users_lock = threading.Lock()
        self._smtp_handler = SubmissionHandler(
            check_password=self.check_password,
            token_user=self._token_user,
            deliver=self.deliver,
            save_sent=lambda login, raw: self.append(login, "Sent", raw, flags=r"(\Seen)"),
        )
        self.smtp = SubmissionServer(
            self._smtp_handler, cert_file=self.certs.cert_file, key_file=self.certs.key_file
        )

    # --- lifecycle --------------------------------------------------------------------------
    def start(self) -> "MailServers":
        (self.root / "dovecot").mkdir(parents=True, exist_ok=True)
        self.oauth.start()
        try:
            self.dovecot.start()
            self.smtp.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for stop in (self.smtp.stop, self.dovecot.stop, self.oauth.stop):
            with contextlib.suppress(Exception):
                stop()
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    # --- where they listen ------------------------------------------------------------------
    @property
    def imap_port(self) -> int:
        """Plain IMAP (STARTTLS offered, plaintext login allowed)."""
        return self.dovecot.imap_port

    @property
    def imap_tls_port(self) -> int:
        """Implicit-TLS IMAP (the certificate of ``ca_file``, for localhost/mail.sdrcrm.test)."""
        return self.dovecot.imaps_port

    @property
    def lmtp_port(self) -> int:
        return self.dovecot.lmtp_port

    @property
    def smtp_port(self) -> int:
        """Plain submission: AUTH without TLS, no STARTTLS offered."""
        return self.smtp.port

    @property
    def smtp_starttls_port(self) -> int:
        return self.smtp.starttls_port

    @property
    def smtp_tls_port(self) -> int:
        return self.smtp.tls_port

    @property
    def ca_file(self) -> Path:
        """The authority that signed the TLS ports' certificate (trusted by no system)."""
        return self.certs.ca_file

    # --- users ------------------------------------------------------------------------------
    def new_address(self, prefix: str = "user") -> str:
        """A unique address in the test domain (not a user until ``add_user``)."""
        return f"{prefix}-{uuid.uuid4().hex[:10]}@{self.domain}"

    def add_user(self, email: str | None = None, password: str | None = None) -> MailUser:
        user = MailUser(
            (email or self.new_address()).lower(), password or secrets.token_urlsafe(12)
        )
        with self._users_lock:
            if user.email in self._users:
                raise ValueError(f"{user.email} is already a user")
            self._users[user.email] = user
            self.dovecot.write_user(user.email, user.password)
        return user

    def set_password(self, email: str, password: str) -> MailUser:
        """A changed (or revoked) password: the old one fails from now on, IMAP and SMTP."""
        with self._users_lock:
            user = self._users[email.lower()] = MailUser(email.lower(), password)
            self.dovecot.write_user(user.email, user.password)
        return user

    def user(self, email: str) -> MailUser:
        return self._users[email.lower()]

    def is_user(self, email: str) -> bool:
        return email.lower() in self._users

    def check_password(self, login: str, password: str) -> str | None:
        user = self._users.get(login.lower())
        if user is None or not secrets.compare_digest(user.password.encode(), password.encode()):
            return None
        return user.email

    def _token_user(self, token: str) -> str | None:
        return self.oauth.access_token_email(token)

    # --- mailbox contents (over IMAP, as Dovecot's master user) ------------------------------
    @contextlib.contextmanager
    def imap(self, email: str) -> Iterator[imaplib.IMAP4]:
        """An IMAP connection logged in to ``email``'s mailbox (whatever its password)."""
        conn = imaplib.IMAP4(HOST, self.imap_port, timeout=30)
        try:
            secret = f"{email.lower()}\0{MASTER_USER}\0{self.dovecot.master_password}"
            conn.authenticate("PLAIN", lambda _: secret.encode())
            yield conn
        finally:
            with contextlib.suppress(Exception):
                conn.logout()

    def append(
        self, email: str, folder: str, raw: bytes, *, flags: str = "", date=None
    ) -> int:
        """``raw`` appended to the folder (as if it had arrived there); its UID."""
        with self.imap(email) as conn:
            typ, data = conn.append(quote_folder(folder), flags or None, date, raw)
            if typ != "OK":
                raise RuntimeError(f"APPEND to {folder} of {email}: {data}")
            match = re.search(rb"APPENDUID \d+ (\d+)", data[0] or b"")
            return int(match.group(1))

    def raw_messages(self, email: str, folder: str = "INBOX") -> list[bytes]:
        """The folder's messages, as bytes, in UID order."""
        with self.imap(email) as conn:
            typ, _ = conn.select(quote_folder(folder), readonly=True)
            if typ != "OK":
                raise RuntimeError(f"no folder {folder!r} in {email}")
            _, data = conn.uid("SEARCH", "ALL")
            uids = data[0].split()
            if not uids:
                return []
            _, fetched = conn.uid("FETCH", b",".join(uids).decode(), "(BODY.PEEK[])")
            return [part[1] for part in fetched if isinstance(part, tuple)]

    def messages(self, email: str, folder: str = "INBOX") -> list[EmailMessage]:
        return [
            message_from_bytes(raw, policy=email_policy.default)
            for raw in self.raw_messages(email, folder)
        ]

    def folders(self, email: str) -> dict[str, set[str]]:
        """Folder name -> its flags (e.g. ``{"Sent": {"\\\\Sent", "\\\\HasNoChildren"}}``)."""
        found = {}
        with self.imap(email) as conn:
            _, data = conn.list()
            for line in data:
                match = re.match(rb'\((?P<flags>[^)]*)\) "(?:[^"]*)" (?P<name>.+)$', line)
                name = match.group("name").decode()
                if name.startswith('"'):
                    name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
                found[name] = set(match.group("flags").decode().split())
        return found

    def create_folder(self, email: str, name: str) -> None:
        with self.imap(email) as conn:
            typ, data = conn.create(quote_folder(name))
            if typ != "OK":
                raise RuntimeError(f"CREATE {name} in {email}: {data}")

    def delete_folder(self, email: str, name: str) -> None:
        with self.imap(email) as conn:
            typ, data = conn.delete(quote_folder(name))
            if typ != "OK":
                raise RuntimeError(f"DELETE {name} in {email}: {data}")

    def uidvalidity(self, email: str, folder: str = "INBOX") -> int:
        with self.imap(email) as conn:
            _, data = conn.status(quote_folder(folder), "(UIDVALIDITY)")
            return int(re.search(rb"UIDVALIDITY (\d+)", data[0]).group(1))

    def set_uidvalidity(self, email: str, folder: str, value: int) -> None:
        """The folder's UIDVALIDITY changed (as after a server migration): UIDs start over."""
        self.dovecot.doveadm("mailbox", "update", "-u", email.lower(), "--uid-validity",
                             str(value), folder)  # fmt: skip

    def kick(self, email: str) -> None:
        """Every IMAP connection of ``email`` closed by the server (none open is fine)."""
        self.dovecot.doveadm("kick", email.lower(), ok=(0, 68))  # 68: "no users kicked"

    # --- delivery ---------------------------------------------------------------------------
    def deliver(self, mail_from: str, recipients: list[str], raw: bytes) -> list[str]:
        """``raw`` delivered through LMTP to the recipients that are test users (as mail from
        the outside arrives); returns them. One transaction each: Python's LMTP client reads
        one reply after DATA, where LMTP gives one per recipient."""
        delivered = []
        for rcpt in recipients:
            if not self.is_user(rcpt):
                continue
            with smtplib.LMTP(HOST, self.lmtp_port, timeout=30) as lmtp:
                lmtp.sendmail(mail_from, [rcpt.lower()], raw)
            delivered.append(rcpt.lower())
        return delivered

    # --- SMTP -------------------------------------------------------------------------------
    @property
    def smtp_mode_now(self) -> SmtpMode:
        return self._smtp_handler.mode

    @contextlib.contextmanager
    def smtp_mode(self, **kwargs) -> Iterator[SmtpMode]:
        """The submission server in a mode for the block (``SmtpMode``'s fields: saves_sent,
        fault, fault_count, auth_reply, temp_fail_reply); the previous mode after it."""
        previous = self._smtp_handler.mode
        mode = SmtpMode(**kwargs)
        self._smtp_handler.set_mode(mode)
        try:
            yield mode
        finally:
            self._smtp_handler.set_mode(previous)

    def submissions(
        self, *, message_id: str | None = None, login: str | None = None
    ) -> list[Submission]:
        """What the SMTP server was handed (every outcome), oldest first, filtered."""
        with self._smtp_handler.lock:
            found = list(self._smtp_handler.submissions)
        if message_id is not None:
            found = [s for s in found if s.message_id == message_id]
        if login is not None:
            found = [s for s in found if s.login == login.lower()]
        return found

