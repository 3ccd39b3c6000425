"""The SDRs' morning digest."""

from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from sdrcrm import clock
from sdrcrm.i18n import user_language
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
    users = (
        User.objects.filter(role__in=["sdr", "bdr"], is_active=True)
        .exclude(email="")
        .select_related("team")  # for user_language, no query per SDR
    )
    for user in users:
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
                EmailMessage(
                    subject=_digest_subject(len(queue.items)),
                    body=_digest_body(user, queue),
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    to=[user.email],
                ).send()
                sent += 1
        except IntegrityError:
            continue  # already sent today (or being sent by another worker)
    return sent


def _digest_subject(n: int) -> str:
    return ngettext("Your day: %(n)s to do", "Your day: %(n)s to do", n) % {"n": n}


def _digest_body(user: User, queue) -> str:
    n = len(queue.items)
    lines = [
        _("Good morning %(name)s,") % {"name": user.first_name or user.username},
        "",
        ngettext(
            "You have %(n)s thing to do today (%(overdue)s overdue):",
            "You have %(n)s things to do today (%(overdue)s overdue):",
            n,
        )
        % {"n": n, "overdue": queue.overdue_count},
        "",
    ]
    for item in queue.items[:50]:
        lines.append(f"- {item.label}: {item.lead_name} ({item.company})")
    day_link = public_url(reverse("today"))
    if day_link:
        lines += ["", _("Open your day: %(link)s") % {"link": day_link}]
    return "\n".join(lines)
