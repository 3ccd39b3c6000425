"""The email dispatcher: ``claim`` (due emails under a lease), ``load`` (the claimed touches
with what the send path reads), ``caps`` (the per-SDR daily cap), ``send`` (the send-time
checks and the chunks), ``mailbox`` (sending through the SDRs' own mailboxes, under their
limits), ``outcome`` (what becomes of a touch not sent), ``record`` (a sent chunk's rows,
timeline entries and next steps), ``uncertain`` (sends whose outcome is unknown, resolved
before any retry), ``holds`` (emails held for a mailbox released when it works) and ``run``
(the loop and the periodic tick)."""

from .claim import Claim, touch_claim_due_emails, touch_recover_expired_leases
from .holds import touch_release_mailbox_holds
from .run import has_due_emails, tick, touch_dispatch_due, touch_mark_manual_due
from .send import DispatchStats, touch_send_claimed
from .uncertain import has_uncertain_due, touch_resolve_uncertain, touch_settle_uncertain

__all__ = [
    "Claim",
    "DispatchStats",
    "has_due_emails",
    "has_uncertain_due",
    "tick",
    "touch_claim_due_emails",
    "touch_dispatch_due",
    "touch_mark_manual_due",
    "touch_recover_expired_leases",
    "touch_release_mailbox_holds",
    "touch_resolve_uncertain",
    "touch_send_claimed",
    "touch_settle_uncertain",
]
