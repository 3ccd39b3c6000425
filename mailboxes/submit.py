"""Handing one message to a mailbox's SMTP submission server, telling apart what matters for
"never twice": refused (nothing went out), lost before the message was handed over (nothing
went out), and lost after it was handed over but before the server's answer (it may have gone
out: *uncertain*).

``smtplib.SMTP.sendmail`` cannot tell the last two apart: a connection that drops while it
waits for the answer to ``DATA`` and one that drops at ``MAIL FROM`` raise the same
``SMTPServerDisconnected``. ``submit`` walks the transaction itself (RFC 5321 section 3.3):
``MAIL``, ``RCPT``, ``DATA`` and its 354, then the message and the final dot; only an error
after the first byte of the message is uncertain.
"""

import re
import smtplib
import socket
import ssl

CRLF = b"\r\n"
_DOTS = re.compile(rb"(?m)^\.")
_BARE_LF = re.compile(rb"(?<!\r)\n")


class SubmitError(Exception):
    """Nothing went out. ``temporary``: the server may take it later (4xx, a lost
    connection); otherwise it refused the message for good (5xx)."""

    def __init__(self, message: str, *, code: int | None = None, temporary: bool = True):
        super().__init__(message)
        self.code = code
        self.temporary = temporary
        self.connection_lost = code is None


class SubmitUncertain(Exception):  # noqa: N818 - an outcome, not a failure
    """The message was handed over and no answer came: it may or may not have been accepted.
    The connection is unusable."""


def _refused(what: str, code: int, reply: bytes) -> SubmitError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return SubmitError(f"{what} refused: {code} {text}"[:500], code=code, temporary=code < 500)


_LOST = (smtplib.SMTPServerDisconnected, ConnectionError, socket.timeout, ssl.SSLError, OSError)


def submit(smtp: smtplib.SMTP, sender: str, recipients: list[str], raw: bytes) -> None:
    """Hand ``raw`` (the message's bytes, CRLF line ends) to ``smtp`` (connected, logged in)
    for ``recipients``. Returns when the server accepted it (250); raises ``SubmitError`` when
    nothing went out and ``SubmitUncertain`` when it may have."""
    try:
        code, reply = smtp.mail(sender)
        if code != 250:
            _reset(smtp)
            raise _refused("The sender", code, reply)
        for recipient in recipients:
            code, reply = smtp.rcpt(recipient)
            if code not in (250, 251):
                _reset(smtp)
                raise _refused(f"The recipient {recipient}", code, reply)
        smtp.putcmd("data")
        code, reply = smtp.getreply()
        if code != 354:
            _reset(smtp)
            raise _refused("The message", code, reply)
    except _LOST as exc:
        raise SubmitError(f"Connection lost before the message was sent: {exc}"[:500]) from exc
    body = _BARE_LF.sub(CRLF, raw)
    body = _DOTS.sub(b"..", body)
    if not body.endswith(CRLF):
        body += CRLF
    try:
        smtp.send(body + b"." + CRLF)
        code, reply = smtp.getreply()
    except _LOST as exc:
        raise SubmitUncertain(f"{type(exc).__name__}: {exc}"[:300]) from exc
    if code != 250:
        # The server answered: it did not take the message (RFC 5321: a reply other than 250
        # to the data means no delivery).
        raise _refused("The message", code, reply)


def _reset(smtp: smtplib.SMTP) -> None:
    try:
        smtp.rset()
    except _LOST:
        pass


def close(smtp: smtplib.SMTP) -> None:
    """Say goodbye; a connection already lost is simply closed."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, *_LOST):
        smtp.close()
