"""The tests' SMTP submission server (aiosmtpd), standing in for Gmail's and Microsoft 365's
smtp.gmail.com / smtp.office365.com: AUTH (PLAIN, LOGIN against the test users; XOAUTH2 and
OAUTHBEARER against the local OAuth server), then every accepted message delivered through
Dovecot's LMTP to the recipients that are test users (the others are "the internet": logged,
not delivered), and, in ``saves_sent`` mode, a copy filed in the sender's Sent folder as those
providers do.

Three listeners share one handler: plain (no STARTTLS; AUTH allowed, as on localhost only),
STARTTLS (AUTH only after it) and implicit TLS, with the tests' certificate.

Faults (``SmtpMode.fault``), for the "never twice" tests:
- ``drop_after_accept``: delivered (and the Sent copy filed) and then the connection dropped
  before the 250 reply: the sender cannot know the message went;
- ``drop_before_accept``: the connection dropped after the data, nothing delivered;
- ``reject_auth``: every AUTH refused (``auth_reply``, e.g. ``MICROSOFT_SMTP_AUTH_DISABLED``);
- ``temp_fail``: the message refused with a 451 after its data, nothing delivered.
"""

import asyncio
import base64
import contextlib
import errno
import json
import logging
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, AuthResult, LoginPassword

from .dovecot import free_port

FAULTS = ("drop_after_accept", "drop_before_accept", "reject_auth", "temp_fail")

AUTH_INVALID = "535 5.7.8 Username and Password not accepted"
# What Microsoft 365 answers when SMTP AUTH is switched off for the mailbox or the tenant.
MICROSOFT_SMTP_AUTH_DISABLED = (
    "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
    "Tenant. Visit https://aka.ms/smtp_auth_disabled for more information."
)
TEMP_FAIL = "451 4.3.0 Temporary system problem, try again later"

# aiosmtpd warns on every successful AUTH that a deprecated attribute is set (its own doing).
logging.getLogger("mail.log").setLevel(logging.ERROR)


@dataclass(frozen=True)
class SmtpMode:
    saves_sent: bool = False
    fault: str | None = None
    # How many messages (or AUTH attempts, for reject_auth) the fault hits; None: all of them
    # while the mode is on.
    fault_count: int | None = None
    auth_reply: str = AUTH_INVALID
    temp_fail_reply: str = TEMP_FAIL

    def __post_init__(self):
        if self.fault not in (None, *FAULTS):
            raise ValueError(f"unknown fault {self.fault!r}; one of {FAULTS}")


@dataclass
class Submission:
    """One message handed to the server (whatever became of it)."""

    message_id: str | None
    login: str  # who authenticated
    mail_from: str
    recipients: list[str]
    delivered_to: list[str]  # the recipients that are test users and got it in their INBOX
    sent_copy: bool  # filed in the sender's Sent folder
    outcome: str  # "accepted", "dropped_after_accept", "dropped_before_accept", "temp_failed"
    raw: bytes = field(repr=False)
    at: float = field(default_factory=time.time)

    @property
    def accepted(self) -> bool:
        """Delivered: the recipients have it, whether or not the sender heard the 250."""
        return self.outcome in ("accepted", "dropped_after_accept")


def message_id_of(raw: bytes) -> str | None:
    value = BytesHeaderParser().parsebytes(raw).get("Message-ID")
    return str(value).strip() if value else None


class SubmissionHandler:
    def __init__(
        self,
        *,
        check_password: Callable[[str, str], str | None],
        token_user: Callable[[str], str | None],
        deliver: Callable[[str, list[str], bytes], list[str]],
        save_sent: Callable[[str, bytes], None],
    ):
        self.check_password = check_password
        self.token_user = token_user
        self.deliver = deliver
        self.save_sent = save_sent
        self.mode = SmtpMode()
        self.submissions: list[Submission] = []
        self.lock = threading.Lock()
        self._fault_hits = 0

    def set_mode(self, mode: SmtpMode) -> None:
        with self.lock:
            self.mode = mode
            self._fault_hits = 0

    def _fault(self, *kinds: str) -> str | None:
        """The fault in force for this message or attempt, counted (or None)."""
        with self.lock:
            mode = self.mode
            if mode.fault not in kinds:
                return None
            if mode.fault_count is not None and self._fault_hits >= mode.fault_count:
                return None
            self._fault_hits += 1
            return mode.fault

    # --- AUTH -------------------------------------------------------------------------------
    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        """PLAIN and LOGIN (aiosmtpd's ``authenticator``)."""
        if self._fault("reject_auth"):
            return AuthResult(success=False, handled=False, message=self.mode.auth_reply)
        assert isinstance(auth_data, LoginPassword)
        login = self.check_password(auth_data.login.decode(), auth_data.password.decode())
        if login is None:
            return AuthResult(success=False, handled=False, message=AUTH_INVALID)
        return AuthResult(success=True, auth_data=login)

    async def _sasl_blob(self, server, args: list[str]) -> bytes | None:
        if len(args) == 2:
            try:
                return base64.b64decode(args[1], validate=True)
            except ValueError:
                await server.push("501 5.5.2 Can't decode base64")
                return None
        blob = await server.challenge_auth("")
        return None if blob is MISSING else blob

    async def _bearer(self, server, user: str | None, token: str | None) -> AuthResult:
        if self._fault("reject_auth"):
            return AuthResult(success=False, handled=False, message=self.mode.auth_reply)
        owner = self.token_user(token or "")
        if owner is not None and user and owner == user.lower():
            return AuthResult(success=True, auth_data=owner)
        # As Gmail: a JSON error in a 334 challenge, an empty answer, then the 535.
        error = json.dumps({"status": "401", "schemes": "bearer", "scope": "mail"})
        if await server.challenge_auth(error) is MISSING:
            return AuthResult(success=False, handled=True)
        return AuthResult(success=False, handled=False, message=AUTH_INVALID)

    async def auth_XOAUTH2(self, server, args: list[str]) -> AuthResult:  # noqa: N802
        blob = await self._sasl_blob(server, args)
        if blob is None:
            return AuthResult(success=False, handled=True)
        parts = blob.decode(errors="replace").split("\x01")
        fields = dict(part.split("=", 1) for part in parts if "=" in part)
        token = fields.get("auth", "")
        return await self._bearer(
            server, fields.get("user"), token[7:] if token.startswith("Bearer ") else None
        )

    async def auth_OAUTHBEARER(self, server, args: list[str]) -> AuthResult:  # noqa: N802
        blob = await self._sasl_blob(server, args)
        if blob is None:
            return AuthResult(success=False, handled=True)
        gs2, _, rest = blob.decode(errors="replace").partition("\x01")
        user = next((p[2:] for p in gs2.split(",") if p.startswith("a=")), None)
        fields = dict(part.split("=", 1) for part in rest.split("\x01") if "=" in part)
        token = fields.get("auth", "")
        return await self._bearer(
            server, user, token[7:] if token.startswith("Bearer ") else None
        )

    # --- the message ------------------------------------------------------------------------
    async def handle_MAIL(self, server, session, envelope, address, mail_options) -> str:  # noqa: N802
        # Submission needs AUTH first (aiosmtpd's auth_required would insist on TLS as well).
        if not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode()
        record = Submission(
            message_id=message_id_of(raw), login=session.auth_data or "",
            mail_from=envelope.mail_from or "", recipients=list(envelope.rcpt_tos),
            delivered_to=[], sent_copy=False, outcome="accepted", raw=raw,
        )  # fmt: skip
        fault = self._fault("drop_before_accept", "temp_fail", "drop_after_accept")
        if fault == "drop_before_accept":
            record.outcome = "dropped_before_accept"
            self._record(record)
            server.transport.abort()
            return "421 4.4.2 dropped"  # never reaches the client: the connection is gone
        if fault == "temp_fail":
            record.outcome = "temp_failed"
            self._record(record)
            return self.mode.temp_fail_reply
        loop = asyncio.get_running_loop()
        record.delivered_to = await loop.run_in_executor(
            None, self.deliver, record.mail_from, record.recipients, raw
        )
        if self.mode.saves_sent and record.login:
            await loop.run_in_executor(None, self.save_sent, record.login, raw)
            record.sent_copy = True
        if fault == "drop_after_accept":
            record.outcome = "dropped_after_accept"
            self._record(record)
            server.transport.abort()
            return "250 2.0.0 OK"  # never reaches the client: the connection is gone
        self._record(record)
        return f"250 2.0.0 OK {record.message_id or ''}".rstrip()

    def _record(self, record: Submission) -> None:
        with self.lock:
            self.submissions.append(record)


class SubmissionServer:
    """The three listeners (plain, STARTTLS, implicit TLS) around one handler."""

    def __init__(self, handler: SubmissionHandler, *, cert_file, key_file):
        self.handler = handler
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert_file, key_file)
        self.controllers: list[Controller] = []

    def _build(self) -> None:
        common = {
            "hostname": "127.0.0.1", "authenticator": self.handler.authenticate,
            "server_hostname": "mail.sdrcrm.test", "ready_timeout": 10,
        }  # fmt: skip
        self.port, self.starttls_port, self.tls_port = free_port(), free_port(), free_port()
        self.controllers = [
            Controller(self.handler, port=self.port, auth_require_tls=False, **common),
            Controller(self.handler, port=self.starttls_port, tls_context=self.context,
                       require_starttls=True, auth_require_tls=True, **common),  # fmt: skip
            Controller(self.handler, port=self.tls_port, ssl_context=self.context,
                       auth_require_tls=False, **common),  # fmt: skip
        ]

    def start(self) -> None:
        """Listening. A free port taken by someone else before we bound it: new ports."""
        for attempt in range(5):
            self._build()
            try:
                for controller in self.controllers:
                    controller.start()
                return
            except OSError as exc:
                self.stop()
                if exc.errno != errno.EADDRINUSE or attempt == 4:
                    raise

    def stop(self) -> None:
        for controller in self.controllers:
            with contextlib.suppress(Exception):
                controller.stop(no_assert=True)
