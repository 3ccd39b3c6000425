"""The SDR's pace and what is coming up: one definition (docs/metrics.md, "The SDR's day"),
read through ``today_queue`` by the Today page and the API's task list.

- **Touches done today** ("N of 40"): the timeline's touches (``leads.selectors.TOUCH_EVENT_Q``,
  the dashboards' definition) that the SDR wrote themselves on their local day: calls logged
  (on Today or on the lead page), manual emails, LinkedIn and task steps done. Automatic
  cadence emails are written by no one (the dispatcher) and are not the SDR's pace.
- **Upcoming tasks** ("in the next 7 days"): the SDR's open manual steps of active cadences
  and open reminders due from the end of today to seven days later.
"""

from datetime import datetime, timedelta

from accounts.models import User
from leads.models import LeadEvent
from leads.selectors import TOUCH_EVENT_Q

from .models import Channel, EnrollmentStatus, Reminder, Touch, TouchStatus

UPCOMING_DAYS = 7


def touches_done(*, owner: User, start: datetime, end: datetime) -> int:
    """The touches ``owner`` did between ``start`` and ``end`` (one query)."""
    return LeadEvent.objects.filter(
        TOUCH_EVENT_Q, actor=owner, created_at__gte=start, created_at__lt=end
    ).count()


def upcoming_tasks(*, owner: User, after: datetime, days: int = UPCOMING_DAYS) -> int:
    """``owner``'s manual steps and reminders due from ``after`` to ``days`` days later (one
    query)."""
    until = after + timedelta(days=days)
    steps = (
        Touch.objects.filter(
            owner=owner,
            # Later steps are "planned" with their projected time until the step before ends.
            status__in=[TouchStatus.SCHEDULED, TouchStatus.PLANNED],
            enrollment__status=EnrollmentStatus.ACTIVE,
            due_at__gte=after,
            due_at__lt=until,
        )
        .exclude(channel=Channel.AUTO_EMAIL)
        .values("pk")
    )
    reminders = Reminder.objects.filter(
        owner=owner, done_at__isnull=True, due_at__gte=after, due_at__lt=until
    ).values("pk")
    return steps.union(reminders, all=True).count()
