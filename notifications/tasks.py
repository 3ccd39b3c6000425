from celery import shared_task
from django.db import OperationalError

from . import services


@shared_task(
    bind=True,
    name="notifications.notification_email_task",
    acks_late=True,
    autoretry_for=(OSError, OperationalError),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=5,
)
def notification_email_task(self, notification_id: int) -> bool:
    """Email one notification (once: the row records that it was sent)."""
    return services.notification_email_send(notification_id=notification_id)
