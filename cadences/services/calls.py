"""A call the SDR logs on the lead page: the same path as a call step done on Today.

When the lead has a call step open and due by the end of the SDR's day, logging the call on the
lead page is doing that step (``touch_complete``: the step is done, the cadence goes on); any
other call is a call on the timeline (``leads.services.lead_log_call``). Either way the call is
one of the SDR's touches (cadences/pace.py), and a voicemail or no answer proposes a follow-up
reminder (``follow_up_at``), as on Today.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from leads.models import CallOutcome, LeadState
from leads.selectors import lead_scope
from leads.services import LeadInvalid, lead_log_call
from sdrcrm import clock
from sdrcrm.errors import NotFound

from .. import schedule
from ..context import enrollment_recipient
from ..models import Channel, EnrollmentStatus, Touch, TouchStatus
from .tasks import OUTCOMES_BY_CHANNEL, TaskResult, follow_up_at, touch_complete

CALL_CHANNELS = (Channel.CALL, Channel.VOICEMAIL)


def _open_call_step(actor: User, lead_id: int, now: datetime) -> Touch | None:
    """The lead's call step that Today shows as due (by the end of the actor's day), if any."""
    tz = schedule.recipient_zone(actor.time_zone, default=settings.TIME_ZONE)
    day_end = schedule.local_day_start(now, tz) + timedelta(days=1)
    return (
        Touch.objects.filter(
            lead_id=lead_id,
            channel__in=CALL_CHANNELS,
            status__in=[TouchStatus.SCHEDULED, TouchStatus.DUE],
            due_at__lt=day_end,
            enrollment__status=EnrollmentStatus.ACTIVE,
            lead__state=LeadState.CONTACTING,
        )
        .only("pk", "channel")
        .order_by("due_at", "pk")
        .first()
    )


def lead_call_log(*, actor: User, lead_id: int, outcome: str, notes: str = "") -> TaskResult:
    """Log a call on ``lead_id`` with ``outcome`` (a ``CallOutcome``)."""
    if outcome not in CallOutcome.values:
        raise LeadInvalid(_("Choose the call's outcome."), field="outcome")
    now = clock.now()
    # The step is found without a lock; touch_complete locks it (touch, then lead: the order
    # of every writer of touches) and refuses it if someone completed it meanwhile.
    step = _open_call_step(actor, lead_id, now)
    if step is not None and outcome in OUTCOMES_BY_CHANNEL[step.channel]:
        return touch_complete(actor=actor, touch_id=step.pk, outcome=outcome, note=notes)
    with transaction.atomic():
        event = lead_log_call(actor=actor, lead_id=lead_id, outcome=outcome, notes=notes)
        lead = (
            lead_scope(actor)
            .select_related("prospect__company")
            .prefetch_related("enrollments__cadence")
            .filter(pk=event.lead_id)
            .first()
        )
        if lead is None:  # lead_log_call found it a moment ago, in this transaction
            raise NotFound("No such lead")
        active = next(
            (e for e in lead.enrollments.all() if e.status == EnrollmentStatus.ACTIVE), None
        )
        if active is not None:
            recipient = enrollment_recipient(active)
        else:
            company = lead.prospect.company
            recipient = schedule.Recipient(
                tz=schedule.recipient_zone(
                    lead.prospect.time_zone,
                    company.time_zone if company else "",
                    actor.time_zone,
                    default=settings.TIME_ZONE,
                ),
                country=(company.country if company else "") or "",
            )
        at = follow_up_at(outcome, event.created_at, recipient)
        return TaskResult(touch=None, lead=lead, propose_reminder_at=at)
