from celery import shared_task

from . import services


@shared_task(name="leads.lead_recycle_due_nurture_task", acks_late=True)
def lead_recycle_due_nurture_task() -> int:
    """Periodic: nurture leads whose recycle date has come go back to new. Idempotent."""
    return services.lead_recycle_due_nurture()
