"""Claiming due emails under a lease, and what tells a worker the claim still holds."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction

from sdrcrm import clock

from ...models import (
    Channel,
    EnrollmentStatus,
    Touch,
    TouchStatus,
)


class Claim(list):
    """The ids of claimed touches, with the attempt number the claim gave each: the token
    that tells, at send time, whether the touch is still this claim's (see
    ``lock_still_claimed``)."""

    def __init__(self, rows=()):
        rows = list(rows)
        super().__init__(pk for pk, _ in rows)
        self.attempts = dict(rows)


def touch_claim_due_emails(*, now: datetime, limit: int) -> Claim:
    """Claim up to ``limit`` due automatic-email touches: ``sending`` under a lease, committed.
    Concurrent dispatchers never claim the same row (SKIP LOCKED)."""
    lease = now + timedelta(seconds=settings.SDRCRM_DISPATCH_LEASE_SECONDS)
    # One statement: pick and lock (SKIP LOCKED), mark, return.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cadences_touch SET status = %s, claimed_at = %s, lease_until = %s, "
            "attempts = attempts + 1 WHERE id IN ("
            " SELECT t.id FROM cadences_touch t"
            " JOIN cadences_enrollment e ON e.id = t.enrollment_id"
            " WHERE t.status = %s AND t.channel = %s AND t.due_at <= %s"
            # A paused enrollment's email stays scheduled until resumed: claiming it would
            # only put it back, again and again, until the time budget ran out.
            " AND e.status = %s"
            " ORDER BY t.due_at LIMIT %s FOR UPDATE OF t SKIP LOCKED"
            ") RETURNING id, attempts",
            [
                TouchStatus.SENDING,
                now,
                lease,
                TouchStatus.SCHEDULED,
                Channel.AUTO_EMAIL,
                now,
                EnrollmentStatus.ACTIVE,
                limit,
            ],
        )
        return Claim(cursor.fetchall())


def lock_still_claimed(touches: list[Touch]) -> set[int]:
    """Lock the touches this worker still holds (``sending`` under the attempt number its
    claim gave them) and return their ids. Rows locked by someone else are skipped: the
    lease recovery or another claim is at them, so they are no longer ours."""
    expected = {t.pk: t.attempts for t in touches}
    rows = (
        Touch.objects.select_for_update(skip_locked=True, no_key=True)
        .filter(pk__in=list(expected), status=TouchStatus.SENDING)
        .order_by("pk")
        .values_list("pk", "attempts")
    )
    return {pk for pk, attempts in rows if attempts == expected[pk]}


def claimed_row(touch: Touch):
    """The touch's row while this worker's claim on it holds (see ``lock_still_claimed``)."""
    return Touch.objects.filter(pk=touch.pk, status=TouchStatus.SENDING, attempts=touch.attempts)


def touch_recover_expired_leases(*, now: datetime | None = None) -> int:
    """Touches left ``sending`` by a worker that died go back to ``scheduled`` once their
    lease has expired; each keeps its idempotency key. One marked as being handed to a
    mailbox (its Message-ID committed: ``dispatch.mailbox``) may have gone out: it becomes
    ``uncertain``, to be looked for in the mailbox's Sent folder before anything else."""
    now = now or clock.now()
    expired = Touch.objects.filter(status=TouchStatus.SENDING, lease_until__lt=now)
    uncertain = expired.filter(mailbox__isnull=False).exclude(message_id="")
    n = uncertain.update(
        status=TouchStatus.UNCERTAIN,
        lease_until=now,
        error="The worker sending it stopped: the Sent folder is checked before any retry.",
    )
    return n + expired.update(
        status=TouchStatus.SCHEDULED, lease_until=None, error="recovered after an expired lease"
    )
