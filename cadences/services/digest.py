"""The SDRs' morning digest."""

from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import User
from sdrcrm import clock
from sdrcrm.i18n import user_language
from sdrcrm.links import public_url

from .. import schedule
from ..models import (
    DigestLog,
)
from ..selectors import today_queue

DIGEST_ITEMS = 50  # the most tasks one email lists


def digest_send_due(*, now: datetime | None = None, hour: int = 7) -> int:
    """Send each SDR their morning digest (due tasks and reminders) once per local day, from
    ``hour`` o'clock in their time zone. The DigestLog row makes it idempotent."""
    now = now or clock.now()
    sent = 0
    users = User.objects.filter(role__in=["sdr", "bdr"], is_active=True).exclude(email="")
    for user in users.select_related("team"):  # the team's language, without a query
        tz = schedule.recipient_zone(user.time_zone, default=settings.TIME_ZONE)
        local = now.astimezone(tz)
        if local.hour < hour:
            continue
        try:
            # In the SDR's own language (docs/i18n.md), the items' labels included.
            with transaction.atomic(), translation.override(user_language(user)):
                DigestLog.objects.create(user=user, day=local.date(), sent_at=now)
                queue = today_queue(user=user, now=now)
                if not queue.items:
                    continue  # the row stays: nothing to say today
                _digest_email(user, queue).send()
                sent += 1
        except IntegrityError:
            continue  # already sent today (or being sent by another worker)
    return sent


def _digest_email(user: User, queue) -> EmailMessage:
    """The digest for ``user``, in the active language (templates/cadences/digest_email.txt)."""
    count = len(queue.items)
    body = render_to_string(
        "cadences/digest_email.txt",
        {
            "name": user.first_name or user.username,
            "count": count,
            "overdue": queue.overdue_count,
            "items": queue.items[:DIGEST_ITEMS],
            "day_link": public_url(reverse("today")),
        },
    )
    return EmailMessage(
        subject=gettext("Your day: %(count)s to do") % {"count": count},
        body=body.rstrip("\n"),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )
