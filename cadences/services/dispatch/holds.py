"""Emails held for their mailbox go out again once it works: at once when the mailbox says so
(``cadences.mailbox_resume_task``, rung after a reconnection), and at the latest at the next
tick (a bell lost with Redis, a mailbox connected for the first time)."""

from datetime import datetime

from django.conf import settings
from django.db import transaction

from mailboxes.models import Mailbox, MailboxStatus
from sdrcrm import clock

from ...models import MAILBOX_HOLDS, EnrollmentStatus, HoldReason, Touch, TouchStatus
from .. import ring


def touch_release_mailbox_holds(*, mailbox_id: int) -> int:
    """The mailbox works (again): its owner's emails held because they had no working
    mailbox are due now (the dispatcher then fits each into the prospect's send window and the
    mailbox's limits). Idempotent; nothing happens while the mailbox is not connected. Returns
    how many were released."""
    with transaction.atomic():
        mailbox = (
            Mailbox.objects.select_for_update(no_key=True)
            .filter(pk=mailbox_id, status=MailboxStatus.CONNECTED)
            .first()
        )
        if mailbox is None:
            return 0
        released = Touch.objects.filter(
            owner_id=mailbox.user_id,
            status=TouchStatus.HELD,
            hold_reason__in=MAILBOX_HOLDS,
            enrollment__status__in=[EnrollmentStatus.ACTIVE, EnrollmentStatus.PAUSED],
        ).update(
            status=TouchStatus.SCHEDULED,
            due_at=clock.now(),
            hold_reason="",
            error="",
            lease_until=None,
        )
        if released:
            transaction.on_commit(ring.ring_dispatcher)
    return released


def touch_release_working_mailbox_holds(*, now: datetime | None = None) -> int:
    """The tick's sweep: every email held for a mailbox whose owner's mailbox is connected now
    is due now. Set-based, on a partial index of the (few) touches held for a mailbox."""
    now = now or clock.now()
    working = Mailbox.objects.filter(status=MailboxStatus.CONNECTED).values("user_id")
    return Touch.objects.filter(
        status=TouchStatus.HELD, hold_reason__in=MAILBOX_HOLDS, owner_id__in=working
    ).update(status=TouchStatus.SCHEDULED, due_at=now, hold_reason="", error="", lease_until=None)


def touch_release_base_url_holds(*, now: datetime | None = None) -> int:
    """The tick's sweep: once SDRCRM_BASE_URL is set (or in development mode), the emails held
    because it was not are due now."""
    if not (settings.DEVELOPMENT or settings.SDRCRM_BASE_URL_SET):
        return 0
    return Touch.objects.filter(status=TouchStatus.HELD, hold_reason=HoldReason.NO_BASE_URL).update(
        status=TouchStatus.SCHEDULED,
        due_at=now or clock.now(),
        hold_reason="",
        error="",
        lease_until=None,
    )
