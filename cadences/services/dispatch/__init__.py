"""The email dispatcher: ``claim`` (due emails under a lease), ``load`` (the claimed touches
with what the send path reads), ``caps`` (the per-SDR daily cap), ``send`` (the send-time
checks and the chunks), ``record`` (a sent chunk's rows, timeline entries and next steps) and
``run`` (the loop and the periodic tick)."""

from .claim import Claim, touch_claim_due_emails, touch_recover_expired_leases
from .run import has_due_emails, tick, touch_dispatch_due, touch_mark_manual_due
from .send import DispatchStats, touch_send_claimed

__all__ = [
    "Claim",
    "DispatchStats",
    "has_due_emails",
    "tick",
    "touch_claim_due_emails",
    "touch_dispatch_due",
    "touch_mark_manual_due",
    "touch_recover_expired_leases",
    "touch_send_claimed",
]
