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
