"""The one signing scheme of both directions of webhooks (docs/api.md).

    X-Sdrcrm-Timestamp: <unix seconds>
    X-Sdrcrm-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>." + raw body)>

The timestamp is inside the signed bytes, so an old request cannot be replayed with a new
timestamp; the receiver refuses timestamps further than the tolerance from its clock.
"""

import hashlib
import hmac
import time

from django.utils.translation import gettext as _

from sdrcrm.inputs import is_ascii_digits

TIMESTAMP_HEADER = "X-Sdrcrm-Timestamp"
SIGNATURE_HEADER = "X-Sdrcrm-Signature"


class SignatureError(Exception):
    """The request is not signed right; ``str(error)`` says why (safe to return)."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def signed_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    timestamp = int(now if now is not None else time.time())
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(secret, timestamp, body)}


def verify(
    secret: str,
    *,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    tolerance: int,
    now: float | None = None,
) -> int:
    """Check a request's signature and age; return its timestamp or raise SignatureError."""
    if not timestamp or not signature:
        raise SignatureError(
            _("Missing %(timestamp)s or %(signature)s header.")
            % {"timestamp": TIMESTAMP_HEADER, "signature": SIGNATURE_HEADER}
        )
    # ASCII digits only: str.isdigit() accepts "²", which int() refuses.
    if not is_ascii_digits(timestamp, 12):
        raise SignatureError(
            _("%(header)s must be a Unix time in seconds.") % {"header": TIMESTAMP_HEADER}
        )
    ts = int(timestamp)
    now = now if now is not None else time.time()
    if abs(now - ts) > tolerance:
        raise SignatureError(
            _(
                "The timestamp is more than %(n)s seconds from the server's clock: "
                "refused (a replay, or a wrong clock)."
            )
            % {"n": tolerance}
        )
    # Compared as bytes: compare_digest refuses str with non-ASCII characters ("v1=é").
    expected = sign(secret, ts, body).encode()
    if not any(
        hmac.compare_digest(expected, candidate.strip().encode("utf-8", "replace"))
        for candidate in signature.split(",")
    ):
        raise SignatureError(_("The signature does not match the body."))
    return ts
