"""What becomes of a claimed touch that is not recorded sent: cancelled, held, put back,
failed, or uncertain. Each writes the row only while this worker's claim on it holds
(``claimed_row``), and gives back the room it reserved under the SDR's and the mailbox's caps
(``give_back``)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F

from mailboxes.pacing import mailbox_release_send
from sdrcrm import clock

from ...models import (
    Enrollment,
    EnrollmentStatus,
    StopReason,
    Touch,
    TouchStatus,
)
from ..enrollment import end_enrollment
from .caps import release_sends
from .claim import claimed_row

UNCERTAIN_EXPLANATION = (
    "The connection to the mailbox's server dropped after the email was handed over, before "
    "the server answered: the Sent folder is checked before anything is sent again."
)


def give_back(touch: Touch) -> None:
    """Release what this touch reserved under the SDR's daily cap and its mailbox's limits
    (once: the keys are forgotten)."""
    cap_key = getattr(touch, "_cap_key", None)
    if cap_key is not None:
        release_sends(cap_key, 1)
        touch._cap_key = None
    pace = getattr(touch, "_pace", None)
    if pace is not None:
        mailbox_release_send(*pace)
        touch._pace = None


def set_status(touch: Touch, status: str, error: str = "", hold_reason: str = "") -> None:
    """Cancelled, held or failed: nothing went out (its Message-ID, if marked, is cleared)."""
    claimed_row(touch).update(
        status=status,
        error=error,
        hold_reason=hold_reason,
        message_id="",
        lease_until=None,
        completed_at=clock.now() if status in (TouchStatus.CANCELLED, TouchStatus.FAILED) else None,
    )


def hold(touch: Touch, reason: str, error: str) -> None:
    """Held for the SDR (fields missing) or for the mailbox (none connected, or not working):
    shown with ``error`` on Today and the lead; released when the cause goes away."""
    give_back(touch)
    set_status(touch, TouchStatus.HELD, error=error[:500], hold_reason=reason)


def reschedule(touch: Touch, due_at: datetime, error: str = "", attempt_used: bool = True) -> None:
    """Back to scheduled. A touch put back without trying to send it (paused, outside the
    window, over a cap, waiting for its mailbox's next slot) gives back the attempt its claim
    counted, so waiting never uses up the attempts a send error is allowed."""
    give_back(touch)
    extra = {} if attempt_used else {"attempts": F("attempts") - 1}
    claimed_row(touch).update(
        status=TouchStatus.SCHEDULED,
        due_at=due_at,
        lease_until=None,
        error=error,
        hold_reason="",
        message_id="",
        **extra,
    )


def failed(touch: Touch, error: str) -> None:
    """A send that failed for sure (refused, or never handed over) goes back to scheduled
    (retried at the next tick) until it has used its attempts."""
    give_back(touch)
    if touch.attempts >= settings.SDRCRM_DISPATCH_MAX_ATTEMPTS:
        set_status(touch, TouchStatus.FAILED, error=error)
        stop_after_send_check(
            touch.enrollment, StopReason.SEND_FAILED, f"step {touch.position}: {error}"[:500]
        )
    else:
        reschedule(touch, clock.now() + timedelta(minutes=2 * touch.attempts), error=error)


def mark_uncertain(touch: Touch, detail: str) -> None:
    """Handed to the mailbox's server without an answer: ``uncertain`` (never scheduled
    again as it is), its Message-ID and mailbox kept, looked for in the Sent folder after
    ``SDRCRM_UNCERTAIN_GRACE_SECONDS`` (``uncertain.touch_resolve_uncertain``). Its room
    under the caps stays taken: it may have gone out."""
    claimed_row(touch).update(
        status=TouchStatus.UNCERTAIN,
        lease_until=clock.now() + timedelta(seconds=settings.SDRCRM_UNCERTAIN_GRACE_SECONDS),
        error=f"{UNCERTAIN_EXPLANATION} ({detail})"[:500],
        hold_reason="",
    )


def stop_after_send_check(enrollment: Enrollment, reason: str, note: str) -> None:
    """A touch was cancelled at send time for good (not for the moment): end its enrollment,
    so it does not sit active with steps that will never come."""
    with transaction.atomic():
        locked = (
            Enrollment.objects.select_for_update(of=("self",))
            .select_related("lead", "cadence")
            .filter(pk=enrollment.pk, status__in=[EnrollmentStatus.ACTIVE, EnrollmentStatus.PAUSED])
            .first()
        )
        if locked is not None:
            end_enrollment(locked, EnrollmentStatus.STOPPED, reason, note, None, clock.now())
