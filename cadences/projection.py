"""Projecting a cadence's touches: when each is due after the one before it. Plain values in,
plain values out (no query)."""

from datetime import datetime

from . import schedule
from .models import Enrollment, OffsetFrom, Touch


def touch_due_after(
    enrollment: Enrollment, touch: Touch, previous: datetime, recipient: schedule.Recipient
) -> datetime:
    """When ``touch`` is due once the step before it happened at ``previous``."""
    return schedule.step_due(
        previous=previous,
        start=enrollment.started_at,
        offset_days=touch.day_offset,
        from_start=touch.offset_from == OffsetFrom.ENROLLMENT,
        recipient=recipient,
    )


def touches_project(
    enrollment: Enrollment, planned: list[Touch], previous: datetime, recipient
) -> None:
    """Set the projected due times of ``planned`` (in order), each after the one before it,
    the first after ``previous``."""
    for t in planned:
        previous = t.due_at = touch_due_after(enrollment, t, previous, recipient)
