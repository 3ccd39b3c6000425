"""The SDRs' morning digest."""

from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import User
from sdrcrm import clock
from sdrcrm.links import public_url

from .. import schedule
from ..models import (
    DigestLog,
)
from ..selectors import today_queue


def digest_send_due(*, now: datetime | None = None, hour: int = 7) -> int:
    """Send each SDR their morning digest (due tasks and reminders) once per local day, from
    ``hour`` o'clock in their time zone. The DigestLog row makes it idempotent."""
    now = now or clock.now()
    sent = 0
    for user in User.objects.filter(role__in=["sdr", "bdr"], is_active=True).exclude(email=""):
        tz = schedule.recipient_zone(user.time_zone, default=settings.TIME_ZONE)
        local = now.astimezone(tz)
        if local.hour < hour:
            continue
        try:
            with transaction.atomic():
                DigestLog.objects.create(user=user, day=local.date(), sent_at=now)
                queue = today_queue(user=user, now=now)
                if not queue.items:
                    continue  # the row stays: nothing to say today
                lines = [
                    f"Good morning {user.first_name or user.username},",
                    "",
                    f"You have {len(queue.items)} things to do today "
                    f"({queue.overdue_count} overdue):",
                    "",
                ]
                for item in queue.items[:50]:
                    lines.append(f"- {item.label}: {item.lead_name} ({item.company})")
                day_link = public_url(reverse("today"))
                if day_link:
                    lines += ["", f"Open your day: {day_link}"]
                EmailMessage(
                    subject=f"Your day: {len(queue.items)} to do",
                    body="\n".join(lines),
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    to=[user.email],
                ).send()
                sent += 1
        except IntegrityError:
            continue  # already sent today (or being sent by another worker)
    return sent
