"""The dispatcher's loop and the periodic tick."""

import time as time_module
from datetime import datetime

from django.conf import settings

from sdrcrm import clock

from ...models import (
    Channel,
    EnrollmentStatus,
    Touch,
    TouchStatus,
)
from ..enrollment import enrollment_resume_due
from ..exits import enrollment_scrap_unanswered, enrollment_stop_for_moved_leads
from .claim import touch_claim_due_emails, touch_recover_expired_leases
from .holds import touch_release_base_url_holds, touch_release_working_mailbox_holds
from .send import DispatchStats, touch_send_claimed
from .uncertain import has_uncertain_due


def touch_dispatch_due(
    *, max_seconds: float | None = None, batch: int | None = None, now_fn=clock.now
) -> DispatchStats:
    """Claim and send due emails in batches until none is due or the time budget is spent."""
    max_seconds = settings.SDRCRM_DISPATCH_MAX_SECONDS if max_seconds is None else max_seconds
    batch = batch or settings.SDRCRM_DISPATCH_BATCH
    stats = DispatchStats()
    lookups: dict = {}
    started = time_module.monotonic()
    while True:
        # A dead worker's touches come back as soon as their lease runs out, not only when the
        # tick gets its turn: the tick waits in the same queue as these runs, behind them.
        touch_recover_expired_leases(now=now_fn())
        ids = touch_claim_due_emails(now=now_fn(), limit=batch)
        if not ids:
            return stats
        stats.add(touch_send_claimed(ids, now=now_fn(), lookups=lookups))
        if time_module.monotonic() - started > max_seconds:
            return stats


def touch_mark_manual_due(*, now: datetime | None = None) -> int:
    """Manual touches whose time has come enter the SDR's queue. Set-based."""
    now = now or clock.now()
    return (
        Touch.objects.filter(
            status=TouchStatus.SCHEDULED,
            due_at__lte=now,
            enrollment__status=EnrollmentStatus.ACTIVE,
        )
        .exclude(channel=Channel.AUTO_EMAIL)
        .update(status=TouchStatus.DUE)
    )


def has_due_emails(now: datetime | None = None) -> bool:
    now = now or clock.now()
    return Touch.objects.filter(
        status=TouchStatus.SCHEDULED,
        channel=Channel.AUTO_EMAIL,
        due_at__lte=now,
        enrollment__status=EnrollmentStatus.ACTIVE,
    ).exists()


def tick(*, now: datetime | None = None) -> dict:
    """The periodic housekeeping. Idempotent; safe to run from two beats at once."""
    now = now or clock.now()
    return {
        "recovered": touch_recover_expired_leases(now=now),
        "manual_due": touch_mark_manual_due(now=now),
        "stopped": enrollment_stop_for_moved_leads(),
        "scrapped": enrollment_scrap_unanswered(now=now),
        # Enrollments paused by an automatic reply, whose person is back.
        "resumed": enrollment_resume_due(now=now),
        "released": touch_release_working_mailbox_holds(now=now)
        + touch_release_base_url_holds(now=now),
        "emails_due": has_due_emails(now),
        "uncertain_due": has_uncertain_due(now),
    }
