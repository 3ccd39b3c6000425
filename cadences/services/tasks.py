"""Manual touches (calls, LinkedIn, manual emails, tasks) and reminders."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from leads.models import EventKind, Lead
from leads.selectors import lead_scope
from leads.services import (
    LeadConflict,
    LeadForbidden,
    lead_event_record,
    lead_transition,
    user_works_lead,
)
from sdrcrm import clock
from sdrcrm.errors import NotFound

from .. import schedule, templating
from ..context import enrollment_recipient, render_context
from ..errors import CadenceInvalid
from ..models import (
    Channel,
    EnrollmentStatus,
    Reminder,
    StopReason,
    TaskOutcome,
    Touch,
    TouchStatus,
)
from . import ring
from .enrollment import advance_enrollment, end_enrollment, lock_on_worked_lead


def _lock_touch(actor: User, touch_id: int) -> Touch:
    queryset = Touch.objects.select_related(
        "enrollment__cadence", "lead__prospect__company", "owner"
    )
    return lock_on_worked_lead(actor, queryset, touch_id, "No such task")


OUTCOMES_BY_CHANNEL = {
    Channel.CALL: [
        TaskOutcome.CONNECTED,
        TaskOutcome.MEETING_BOOKED,
        TaskOutcome.VOICEMAIL,
        TaskOutcome.NO_ANSWER,
        TaskOutcome.WRONG_NUMBER,
    ],
    Channel.VOICEMAIL: [
        TaskOutcome.VOICEMAIL,
        TaskOutcome.CONNECTED,
        TaskOutcome.NO_ANSWER,
        TaskOutcome.WRONG_NUMBER,
    ],
    Channel.LINKEDIN_CONNECT: [TaskOutcome.LINKEDIN_SENT, TaskOutcome.LINKEDIN_ACCEPTED],
    Channel.LINKEDIN_MESSAGE: [TaskOutcome.LINKEDIN_SENT],
    Channel.MANUAL_EMAIL: [TaskOutcome.EMAIL_SENT],
    Channel.TASK: [TaskOutcome.DONE],
}


@dataclass
class TaskResult:
    touch: Touch | None  # None for a call logged outside a cadence step
    lead: Lead
    propose_reminder_at: datetime | None = None


# A call that reached no one proposes calling again: a reminder two business days later, in
# the prospect's time zone (the SDR accepts, moves or dismisses it). The same on every page.
FOLLOW_UP_OUTCOMES = frozenset({TaskOutcome.VOICEMAIL, TaskOutcome.NO_ANSWER})
FOLLOW_UP_BUSINESS_DAYS = 2


def follow_up_at(outcome: str, now: datetime, recipient: schedule.Recipient) -> datetime | None:
    """When to call again after a call with ``outcome``, or None: nothing to follow up."""
    if outcome not in FOLLOW_UP_OUTCOMES:
        return None
    return schedule.due_after(now, FOLLOW_UP_BUSINESS_DAYS, recipient)


def touch_complete(*, actor: User, touch_id: int, outcome: str, note: str = "") -> TaskResult:
    """The SDR did a manual touch (call, LinkedIn, manual email, task) with this outcome.
    The timeline records it; the next step is scheduled from now. A voicemail or no answer
    proposes a follow-up reminder (``follow_up_at``); a booked meeting ends the cadence."""
    now = clock.now()
    with transaction.atomic():
        touch = _lock_touch(actor, touch_id)
        if touch.status in (TouchStatus.DONE, TouchStatus.SKIPPED):
            raise LeadConflict(_("This task is already done."))
        if not touch.is_manual or touch.status not in (TouchStatus.SCHEDULED, TouchStatus.DUE):
            raise LeadConflict(_("This task is not open."))
        if touch.enrollment.status != EnrollmentStatus.ACTIVE:
            raise LeadConflict(_("The cadence of this task is not active."))
        allowed = OUTCOMES_BY_CHANNEL.get(touch.channel, [TaskOutcome.DONE])
        if outcome not in allowed:
            raise CadenceInvalid(_("Choose an outcome."), field="outcome")
        touch.status = TouchStatus.DONE
        touch.outcome = outcome
        touch.note = note.strip()
        touch.completed_at = now
        touch.completed_by = actor
        touch.save(update_fields=["status", "outcome", "note", "completed_at", "completed_by"])
        kind = (
            EventKind.CALL
            if touch.channel in (Channel.CALL, Channel.VOICEMAIL)
            else (EventKind.EMAIL if touch.channel == Channel.MANUAL_EMAIL else EventKind.TASK)
        )
        lead_event_record(
            lead=touch.lead,
            kind=kind,
            actor=actor,
            at=now,
            body=(
                f"{touch.get_channel_display()}: {TaskOutcome(outcome).label}"
                + (f"\n{touch.note}" if touch.note else "")
            ),
            payload={
                "touch_id": touch.pk,
                "step": touch.position,
                "channel": touch.channel,
                "outcome": outcome,
                "outcome_label": str(TaskOutcome(outcome).label),
            },
        )
        result = TaskResult(touch=touch, lead=touch.lead)
        if outcome == TaskOutcome.MEETING_BOOKED:
            end_enrollment(
                touch.enrollment,
                EnrollmentStatus.STOPPED,
                StopReason.MEETING_BOOKED,
                "",
                actor,
                now,
            )
            lead_transition(actor=actor, lead_id=touch.lead_id, name="engage")
        else:
            advance_enrollment(touch.enrollment, touch, now)
        if touch.channel in (Channel.CALL, Channel.VOICEMAIL):
            recipient = enrollment_recipient(touch.enrollment)
            result.propose_reminder_at = follow_up_at(outcome, now, recipient)
    return result


def touch_skip(*, actor: User, touch_id: int, note: str = "") -> Touch:
    now = clock.now()
    with transaction.atomic():
        touch = _lock_touch(actor, touch_id)
        if touch.status not in (TouchStatus.SCHEDULED, TouchStatus.DUE, TouchStatus.HELD):
            raise LeadConflict(_("This step is not open."))
        if touch.enrollment.status != EnrollmentStatus.ACTIVE:
            raise LeadConflict(_("The cadence of this step is not active."))
        touch.status = TouchStatus.SKIPPED
        touch.note = note.strip()
        touch.completed_at = now
        touch.completed_by = actor
        touch.save(update_fields=["status", "note", "completed_at", "completed_by"])
        lead_event_record(
            lead=touch.lead,
            kind=EventKind.TASK,
            actor=actor,
            at=now,
            body=f"Skipped step {touch.position}: {touch.get_channel_display()}"
            + (f"\n{touch.note}" if touch.note else ""),
            payload={"touch_id": touch.pk, "step": touch.position, "skipped": True},
        )
        advance_enrollment(touch.enrollment, touch, now)
    return touch


def touch_release_held(*, actor: User, touch_id: int) -> Touch:
    """The SDR fixed the prospect's data: send the held email at the next slot."""
    now = clock.now()
    with transaction.atomic():
        touch = _lock_touch(actor, touch_id)
        if touch.status != TouchStatus.HELD:
            raise LeadConflict(_("This email is not held."))
        lead = touch.lead
        context = render_context(
            prospect=lead.prospect,
            company=lead.prospect.company,
            sdr=touch.owner,
            touch_id=touch.pk,
        )
        missing = sorted(
            set(templating.render(touch.subject_template, context).missing)
            | set(templating.render(touch.body_template, context).missing)
        )
        if missing:
            raise CadenceInvalid(
                _("Still missing: %(fields)s. Fill them in on the lead first.")
                % {"fields": ", ".join(missing)}
            )
        recipient = enrollment_recipient(touch.enrollment)
        touch.status = TouchStatus.SCHEDULED
        touch.error = ""
        touch.due_at = schedule.next_send_slot(now, recipient)
        touch.save(update_fields=["status", "error", "due_at"])
    transaction.on_commit(ring.ring_dispatcher)
    return touch


# --- Reminders ----------------------------------------------------------------------------


def reminder_create(*, actor: User, lead_id: int, due_at: datetime, note: str) -> Reminder:
    note = note.strip()
    if not note:
        raise CadenceInvalid(_("Say what to do."), field="note")
    with transaction.atomic():
        try:
            lead = lead_scope(actor).select_for_update(of=("self",)).get(pk=lead_id)
        except (Lead.DoesNotExist, ValueError, TypeError):
            raise NotFound("No such lead") from None
        if not (user_works_lead(actor, lead) or lead.assigned_ae_id == actor.pk):
            raise LeadForbidden(_("You cannot set reminders on this lead."))
        reminder = Reminder.objects.create(lead=lead, owner=actor, due_at=due_at, note=note)
        lead_event_record(
            lead=lead,
            kind=EventKind.TASK,
            actor=actor,
            body=f"Reminder set for {timezone.localtime(due_at):%d %b %Y %H:%M}: {note}",
            payload={"reminder_id": reminder.pk},
        )
    return reminder


def reminder_done(*, actor: User, reminder_id: int) -> Reminder:
    with transaction.atomic():
        reminder = (
            Reminder.objects.select_for_update()
            .select_related("lead")
            .filter(owner=actor, pk=reminder_id)
            .first()
        )
        if reminder is None:
            raise NotFound("No such reminder")
        if reminder.done_at is None:
            reminder.done_at = clock.now()
            reminder.save(update_fields=["done_at"])
            lead_event_record(
                lead=reminder.lead,
                kind=EventKind.TASK,
                actor=actor,
                body=f"Reminder done: {reminder.note}",
                payload={"reminder_id": reminder.pk},
            )
    return reminder
