"""The baseline of the dispatch benchmark: one Celery task per touch, the design the product
does not use. Loaded only by the benchmark's workers (scripts/bench_dispatch.py starts them
with ``celery worker -I scripts.bench_tasks`` from the project's root); no app ships it."""

from datetime import timedelta

from celery import shared_task

from cadences import services
from cadences.models import Channel, Touch, TouchStatus
from sdrcrm import clock


@shared_task(name="bench.send_one_touch_task", acks_late=True, ignore_result=True)
def bench_send_one_touch_task(touch_id: int) -> int:
    now = clock.now()
    # One UPDATE: the row lock makes a second delivery of the same id a no-op.
    claimed = Touch.objects.filter(
        pk=touch_id, status=TouchStatus.SCHEDULED, channel=Channel.AUTO_EMAIL
    ).update(status=TouchStatus.SENDING, claimed_at=now, lease_until=now + timedelta(minutes=5))
    if not claimed:
        return 0
    return services.touch_send_claimed([touch_id], now=now).sent
