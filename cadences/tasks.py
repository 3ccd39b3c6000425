"""Thin tasks: ids in, one service call, idempotent. The database is the record of every
scheduled touch; these only ring the bell."""

from celery import shared_task
from django.conf import settings

from . import services


@shared_task(name="cadences.tick_task", acks_late=True, ignore_result=True)
def tick_task() -> dict:
    result = services.tick()
    if result["emails_due"]:
        for _ in range(settings.SDRCRM_DISPATCH_FANOUT):
            touch_dispatch_task.delay()
    if result["uncertain_due"]:
        touch_resolve_uncertain_task.delay()
    return result


@shared_task(name="cadences.touch_dispatch_task", acks_late=True, ignore_result=True)
def touch_dispatch_task() -> dict:
    """Claim and send due emails until none is due (or the time budget is spent). Any number
    of these may run at once: each claims different rows."""
    stats = services.touch_dispatch_due()
    return stats.__dict__


@shared_task(name="cadences.morning_digest_task", acks_late=True, ignore_result=True)
def morning_digest_task() -> int:
    return services.digest_send_due()


@shared_task(name="cadences.touch_resolve_uncertain_task", acks_late=True, ignore_result=True)
def touch_resolve_uncertain_task() -> dict:
    """Look for uncertain sends in their mailboxes' Sent folders and settle them (the tick
    rings it when some are due). Any number may run at once: each claims different rows."""
    return services.touch_resolve_uncertain()


@shared_task(name="cadences.mailbox_resume_task", acks_late=True, ignore_result=True)
def mailbox_resume_task(mailbox_id: int) -> int:
    """A mailbox works again (``mailboxes.services.mailbox_mark_working``) or was connected:
    release the emails held for it. Idempotent."""
    return services.touch_release_mailbox_holds(mailbox_id=mailbox_id)
