"""What a message read from the SDR's mailbox (the inbox app's sync) does to cadences, besides
the exit rules of ``exits`` (a reply, a colleague's reply, a bounce, an unsubscribe):

- an automatic reply is not a reply: the enrollment pauses until the first business day the
  person is back (the return date read from the text, else ``SDRCRM_AUTO_REPLY_PAUSE_DAYS``
  days on), inside the cadence's send window; the tick resumes it (``enrollment_resume_due``);
- a temporary delivery failure (4.x.x) counts against the address, on every prospect row that
  holds it: the ``SDRCRM_SOFT_BOUNCE_LIMIT``-th is permanent (``email_record_bounce``). Before
  that the email is sent again ``SDRCRM_SOFT_BOUNCE_RETRY_HOURS`` later, under a new
  Message-ID (the first never arrived), when it is still the enrollment's last step out;
- the SDR's own email in a thread the product started: when it answers someone else's message
  (the prospect's, a colleague's) the conversation is live, so the automatic steps stop and the
  lead is engaged; when it follows up the SDR's own email it is only recorded.

Each writes its own timeline entry (``EventKind.AUTO_REPLY``, ``BOUNCE``, ``SDR_EMAIL``).
"""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction

from accounts.models import User
from leads.models import EventKind, Lead, LeadState, Prospect
from leads.normalize import normalize_email
from leads.services import lead_event_record, lead_transition
from sdrcrm import calendar, clock
from sdrcrm.errors import NotFound

from .. import schedule
from ..context import enrollment_recipient
from ..models import Channel, Enrollment, EnrollmentStatus, StopReason, Touch, TouchStatus
from .enrollment import _replan_after, end_enrollment, enrollment_pause_until
from .exits import _active_enrollments_for_lead, email_record_bounce


def _lead(lead_id: int, lock: bool = False) -> Lead:
    qs = Lead.objects.select_for_update() if lock else Lead.objects.all()
    try:
        return qs.get(pk=lead_id)
    except (Lead.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such lead") from None


def auto_reply_resume_at(enrollment: Enrollment, return_on: date | None, now: datetime):
    """When an enrollment paused by an automatic reply resumes: the first moment of the send
    window on or after the day the person is back (``return_on``, the first day back), or
    ``SDRCRM_AUTO_REPLY_PAUSE_DAYS`` days on without one. None when that day has come."""
    recipient = enrollment_recipient(enrollment)
    today = now.astimezone(recipient.tz).date()
    if return_on is None:
        back = today + timedelta(days=settings.SDRCRM_AUTO_REPLY_PAUSE_DAYS)
    elif return_on <= today:
        return None
    else:
        back = return_on
    return schedule.next_send_slot(calendar.local_at(back, time(0, 0), recipient.tz), recipient)


def lead_record_auto_reply(
    *, lead_id: int, return_on: date | None, body: str = "", payload: dict | None = None
) -> datetime | None:
    """An automatic reply (out of office) of the lead's prospect: a timeline entry, and its
    cadence paused until the person is back. Returns when it resumes (None: not paused)."""
    now = clock.now()
    with transaction.atomic():
        enrollments = list(_active_enrollments_for_lead(lead_id))
        lead = _lead(lead_id)
        resume_at = None
        for enrollment in enrollments:
            resume_at = auto_reply_resume_at(enrollment, return_on, now)
        lead_event_record(
            lead=lead,
            kind=EventKind.AUTO_REPLY,
            actor=None,
            at=now,
            body=body.strip(),
            payload={
                **(payload or {}),
                "source": "mailbox",
                "return_on": return_on.isoformat() if return_on else None,
                "resume_at": resume_at.isoformat() if resume_at else None,
            },
        )
        for enrollment in enrollments:
            if resume_at is not None:
                enrollment_pause_until(enrollment, resume_at, now, reason="auto_reply")
    return resume_at


@dataclass(frozen=True)
class SoftBounce:
    count: int  # temporary failures of the address so far
    permanent: bool  # the limit was reached: suppressed as a permanent bounce
    retry_at: datetime | None  # when the email goes out again (None: it does not)


def email_record_soft_bounce(
    *, email: str, touch_id: int | None = None, note: str = ""
) -> SoftBounce:
    """A temporary delivery failure of ``email`` (read from the SDR's mailbox): counted on every
    prospect row with the address; the limit-th is a permanent bounce. Otherwise ``touch_id``
    (the email that failed) is sent again later when it is still its enrollment's last step
    out. Call once per failure report (the inbox app stores each message once)."""
    email = normalize_email(email)
    if not email:
        return SoftBounce(0, False, None)
    now = clock.now()
    with transaction.atomic():
        counts = list(
            Prospect.objects.select_for_update()
            .filter(email=email)
            .order_by("pk")
            .values_list("email_soft_bounces", flat=True)
        )
        count = max(counts, default=0) + 1
        Prospect.objects.filter(email=email).update(email_soft_bounces=count)
        if count >= settings.SDRCRM_SOFT_BOUNCE_LIMIT:
            email_record_bounce(email=email, note=note or f"{count} temporary delivery failures")
            return SoftBounce(count, True, None)
        retry_at = _send_again(touch_id, now) if touch_id else None
    return SoftBounce(count, False, retry_at)


def _send_again(touch_id: int, now: datetime) -> datetime | None:
    touch = Touch.objects.filter(
        pk=touch_id, channel=Channel.AUTO_EMAIL, status=TouchStatus.SENT
    ).first()
    if touch is None:
        return None
    enrollment = (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("lead", "cadence")
        .filter(pk=touch.enrollment_id, status=EnrollmentStatus.ACTIVE)
        .first()
    )
    if enrollment is None:
        return None
    touch = Touch.objects.select_for_update().filter(pk=touch_id, status=TouchStatus.SENT).first()
    if touch is None:
        return None
    later = Touch.objects.filter(enrollment=enrollment, position__gt=touch.position)
    if later.exclude(status__in=[TouchStatus.PLANNED, TouchStatus.SCHEDULED]).exists():
        return None  # a later step is out or in the SDR's queue: that one is the next try
    later.filter(status=TouchStatus.SCHEDULED).update(status=TouchStatus.PLANNED)
    recipient = enrollment_recipient(enrollment)
    touch.due_at = schedule.next_send_slot(
        now + timedelta(hours=settings.SDRCRM_SOFT_BOUNCE_RETRY_HOURS), recipient
    )
    touch.status = TouchStatus.SCHEDULED
    # The first message never arrived: the next is a new one, with its own Message-ID.
    touch.idempotency_key = uuid.uuid4()
    touch.message_id = ""
    touch.sent_at = None
    touch.save(update_fields=["due_at", "status", "idempotency_key", "message_id", "sent_at"])
    _replan_after(enrollment, touch, recipient)
    if enrollment.scrap_due_at is not None:  # a break-up's wait starts when it arrives
        enrollment.scrap_due_at = None
        enrollment.save(update_fields=["scrap_due_at"])
    return touch.due_at


def lead_record_sdr_email(
    *, lead_id: int, sdr: User, live: bool, body: str = "", payload: dict | None = None
) -> int:
    """The SDR wrote in the lead's thread from their own mail client (read from the Sent
    folder). ``live``: it answers someone else's message, so the conversation is live: the
    automatic steps stop and the lead is engaged. Returns how many enrollments stopped."""
    now = clock.now()
    with transaction.atomic():
        enrollments = list(_active_enrollments_for_lead(lead_id)) if live else []
        lead = _lead(lead_id, lock=True)
        lead_event_record(
            lead=lead,
            kind=EventKind.SDR_EMAIL,
            actor=sdr,
            at=now,
            body=body.strip(),
            payload={**(payload or {}), "source": "mailbox", "live": live},
        )
        for enrollment in enrollments:
            end_enrollment(
                enrollment, EnrollmentStatus.STOPPED, StopReason.SDR_REPLIED, "", None, now
            )
        if live and lead.state in (LeadState.RESEARCHING, LeadState.CONTACTING):
            lead_transition(actor=None, lead_id=lead.pk, name="engage", system_actor_ok=True)
    return len(enrollments)
