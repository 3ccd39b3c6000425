"""Thin tasks: ids in, one service call, idempotent. Delivery rows are the record of every
outgoing webhook; these only ring the bell."""

from celery import shared_task

from . import services
from .models import WebhookDelivery


@shared_task(name="api.webhook_outbox_task", acks_late=True, ignore_result=True)
def webhook_outbox_task() -> dict:
    """Periodic (and after an API transition commits): new lead events become deliveries;
    due deliveries are sent."""
    return services.webhook_outbox_tick()


@shared_task(name="api.webhook_delivery_send_task", bind=True, acks_late=True, ignore_result=True)
def webhook_delivery_send_task(self, delivery_id: int) -> str:
    """POST one delivery. On failure the row gets its next attempt time (exponential backoff)
    and the task retries itself then; the periodic task also sends anything due, so a lost
    message only delays a delivery."""
    outcome = services.delivery_send(delivery_id)
    if outcome == "retry":
        row = WebhookDelivery.objects.filter(pk=delivery_id).values("attempts").first()
        if row is not None:
            delay = services.retry_delay(row["attempts"]).total_seconds()
            self.retry(countdown=delay, max_retries=None, throw=False)
    return outcome
