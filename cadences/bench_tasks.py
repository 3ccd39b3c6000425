"""The baseline of the dispatch benchmark: one Celery task per touch, the design the product
does not use. Loaded only by benchmark workers (``celery worker -I cadences.bench_tasks``)."""

from datetime import timedelta

from celery import shared_task

from sdrcrm import clock

from . import services
from .models import Channel, Touch, TouchStatus


@shared_task(name="cadences.bench_send_one_touch_task", acks_late=True, ignore_result=True)
def bench_send_one_touch_task(touch_id: int) -> int:
    now = clock.now()
    # One UPDATE: the row lock makes a second delivery of the same id a no-op.
    claimed = Touch.objects.filter(
        pk=touch_id, status=TouchStatus.SCHEDULED, channel=Channel.AUTO_EMAIL
    ).update(status=TouchStatus.SENDING, claimed_at=now, lease_until=now + timedelta(minutes=5))
    if not claimed:
        return 0
    return services.touch_send_claimed([touch_id], now=now).sent
