"""Enrolling a lead in a cadence, and the enrollment's life: stop, pause, resume, advance."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.calendar import team_calendar_scope
from accounts.models import User
from leads.models import Company, EventKind, Lead, LeadState
from leads.selectors import lead_scope
from leads.services import (
    LeadConflict,
    LeadError,
    LeadForbidden,
    lead_event_record,
    lead_transition,
    user_works_lead,
)
from sdrcrm import clock
from sdrcrm.errors import NotFound
from suppression.services import suppressed_emails

from .. import schedule
from ..context import enrollment_recipient, recipient_for
from ..errors import CadenceInvalid, CompanyWorked
from ..models import (
    EMAIL_CHANNELS,
    Cadence,
    Enrollment,
    EnrollmentStatus,
    OffsetFrom,
    StopReason,
    Touch,
    TouchStatus,
)
from ..projection import touch_due_after, touches_project
from . import ring
from .company import company_check

ENROLLABLE_STATES = (LeadState.NEW, LeadState.RESEARCHING, LeadState.CONTACTING)


def enrollment_create(
    *,
    actor: User,
    lead_id: int,
    cadence_id: int,
    start_at: datetime | None = None,
    confirm: bool = False,
) -> Enrollment:
    """Put a lead in a cadence: one touch row per step, the first one scheduled. The lead
    moves to contacting. A lead is in at most one active cadence (a database constraint).
    When another SDR is working leads at the lead's company, it raises ``CompanyWorked``
    unless ``confirm`` (``company.company_check``)."""
    now = clock.now()
    start_at = max(start_at or now, now)
    with transaction.atomic():
        try:
            lead = (
                lead_scope(actor)
                .select_for_update(of=("self",))
                .select_related("prospect__company", "owner")
                .get(pk=lead_id)
            )
        except (Lead.DoesNotExist, ValueError, TypeError):
            raise NotFound("No such lead") from None
        if not user_works_lead(actor, lead):
            raise LeadForbidden(_("Only the lead's SDR or a manager of its team can enroll it."))
        if lead.owner_id is None:
            raise CadenceInvalid(_("Claim or assign the lead before enrolling it."))
        if lead.state not in ENROLLABLE_STATES:
            raise LeadConflict(
                _(
                    "A lead that is %(state)s cannot be enrolled: "
                    "only new, researching and contacting leads can."
                )
                % {"state": LeadState(lead.state).label}
            )
        cadences = Cadence.objects.filter(team_id=lead.team_id, is_archived=False)
        if not (actor.is_manager or actor.is_admin_role):
            # The team's cadences and the actor's own, not a colleague's personal one.
            cadences = cadences.filter(Q(owner__isnull=True) | Q(owner_id=actor.pk))
        cadence = cadences.filter(pk=cadence_id).first()
        if cadence is None:
            raise CadenceInvalid(_("Choose an active cadence of the lead's team."), field="cadence")
        steps = list(cadence.steps.order_by("position"))
        if not steps:
            raise CadenceInvalid(_("That cadence has no steps."), field="cadence")
        prospect, company = lead.prospect, lead.prospect.company
        if prospect.do_not_contact:
            raise CadenceInvalid(_("This prospect must not be contacted."))
        uses_email = any(s.channel in EMAIL_CHANNELS for s in steps)
        if uses_email and not prospect.email:
            raise CadenceInvalid(_("The cadence sends emails and the prospect has no email."))
        if uses_email and suppressed_emails([prospect.email]):
            raise CadenceInvalid(
                _(
                    "This email address or its domain is suppressed (unsubscribed, bounced, "
                    "complained or erased)."
                )
            )
        if Enrollment.objects.filter(
            lead=lead, status__in=[EnrollmentStatus.ACTIVE, EnrollmentStatus.PAUSED]
        ).exists():
            raise LeadConflict(_("This lead is already in a cadence."))
        if company is not None:
            # Two enrolments at one company take turns, so the second one's check sees the
            # first (lead, then company: the order lead_update locks them in too).
            Company.objects.select_for_update().filter(pk=company.pk).exists()
            if not confirm:
                company_check(lead)
        recipient = recipient_for(
            prospect=prospect, company=company, sdr=lead.owner, cadence=cadence
        )
        if lead.state != LeadState.CONTACTING:
            lead_transition(actor=actor, lead_id=lead.pk, name="start_contacting")
        try:
            with transaction.atomic():
                enrollment = Enrollment.objects.create(
                    lead=lead,
                    cadence=cadence,
                    owner=lead.owner,
                    time_zone=str(recipient.tz.key),
                    country=recipient.country,
                    started_at=start_at,
                    enrolled_by=actor,
                )
        except IntegrityError as exc:
            raise LeadConflict(_("This lead was just enrolled by someone else.")) from exc
        due = schedule.plan(
            start_at,
            [(s.day_offset, s.offset_from == OffsetFrom.ENROLLMENT) for s in steps],
            recipient,
        )
        Touch.objects.bulk_create(
            Touch(
                enrollment=enrollment,
                step=step,
                position=step.position,
                owner_id=lead.owner_id,
                lead=lead,
                **step.content(),
                status=TouchStatus.SCHEDULED if i == 0 else TouchStatus.PLANNED,
                due_at=due_at,
            )
            for i, (step, due_at) in enumerate(zip(steps, due, strict=True))
        )
        lead_event_record(
            lead=lead,
            kind=EventKind.CADENCE,
            actor=actor,
            body=f"Enrolled in {cadence.name}",
            payload={"enrollment_id": enrollment.pk, "cadence_id": cadence.pk, "action": "enroll"},
        )
        transaction.on_commit(ring.ring_dispatcher)
    return enrollment


@dataclass
class BulkResult:
    enrolled: list[int] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    # Leads not enrolled because another SDR works their company: asked again, confirmed.
    to_confirm: list[CompanyWorked] = field(default_factory=list)


@team_calendar_scope()  # each team's closed days read once for the batch
def enrollment_bulk_create(
    *, actor: User, lead_ids: list[int], cadence_id: int, confirm: bool = False
) -> BulkResult:
    """Enroll many leads; each on its own, so one refusal does not stop the others."""
    result = BulkResult()
    for lead_id in sorted(set(lead_ids)):
        try:
            enrollment_create(actor=actor, lead_id=lead_id, cadence_id=cadence_id, confirm=confirm)
        except CompanyWorked as exc:
            result.to_confirm.append(exc)
        except NotFound:
            result.refused.append((lead_id, "not found"))
        except LeadError as exc:
            result.refused.append((lead_id, str(exc)))
        else:
            result.enrolled.append(lead_id)
    return result


def lock_on_worked_lead(actor: User, queryset, pk: int, not_found: str):
    """Row ``pk`` of ``queryset`` (an enrollment or a touch), locked: NotFound when its lead is
    outside the actor's scope, NotAllowed unless the actor works the lead."""
    visible = lead_scope(actor).values("pk")
    try:
        row = queryset.select_for_update(of=("self",)).get(pk=pk, lead_id__in=visible)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise NotFound(not_found) from None
    if not user_works_lead(actor, row.lead):
        raise LeadForbidden(_("Only the lead's SDR or a manager of its team can do this."))
    return row


def _lock_enrollment(actor: User, enrollment_id: int) -> Enrollment:
    queryset = Enrollment.objects.select_related("lead", "cadence")
    return lock_on_worked_lead(actor, queryset, enrollment_id, "No such enrollment")


def _cancel_open_touches(enrollment: Enrollment, now: datetime) -> int:
    return Touch.objects.filter(
        enrollment=enrollment,
        status__in=[
            TouchStatus.PLANNED,
            TouchStatus.SCHEDULED,
            TouchStatus.DUE,
            TouchStatus.HELD,
        ],
    ).update(status=TouchStatus.CANCELLED, completed_at=now)


def end_enrollment(enrollment: Enrollment, status: str, reason: str, note: str, actor, now) -> None:
    enrollment.status = status
    enrollment.stop_reason = reason
    enrollment.stop_note = note
    enrollment.ended_at = now
    enrollment.save(update_fields=["status", "stop_reason", "stop_note", "ended_at"])
    _cancel_open_touches(enrollment, now)
    label = StopReason(reason).label if reason else "Completed"
    lead_event_record(
        lead=enrollment.lead,
        kind=EventKind.CADENCE,
        actor=actor,
        at=now,
        body=f"{enrollment.cadence.name}: {label}" + (f" — {note}" if note else ""),
        payload={
            "enrollment_id": enrollment.pk,
            "action": status,
            "reason": reason,
        },
    )


def enrollment_stop(
    *, actor: User, enrollment_id: int, reason: str = StopReason.MANUAL, note: str = ""
) -> Enrollment:
    if reason not in StopReason.values:
        raise CadenceInvalid(_("Choose a reason."), field="reason")
    with transaction.atomic():
        enrollment = _lock_enrollment(actor, enrollment_id)
        if enrollment.status not in (EnrollmentStatus.ACTIVE, EnrollmentStatus.PAUSED):
            raise LeadConflict(_("This cadence has already ended."))
        end_enrollment(
            enrollment, EnrollmentStatus.STOPPED, reason, note.strip(), actor, clock.now()
        )
    return enrollment


def enrollment_pause(*, actor: User, enrollment_id: int) -> Enrollment:
    return _change_one(actor, enrollment_id, _pause)


def enrollment_resume(*, actor: User, enrollment_id: int) -> Enrollment:
    return _change_one(actor, enrollment_id, _resume)


def _change_one(actor: User, enrollment_id: int, action) -> Enrollment:
    """Pause or resume one enrollment (``action``: ``_pause`` or ``_resume``) under its lock."""
    with transaction.atomic():
        enrollment = _lock_enrollment(actor, enrollment_id)
        action(enrollment, actor, clock.now())
    return enrollment


def _record_pause_or_resume(
    enrollment: Enrollment, actor, now, action: str, word: str, reason: str = ""
) -> None:
    lead_event_record(
        lead=enrollment.lead,
        kind=EventKind.CADENCE,
        actor=actor,
        at=now,
        body=f"{enrollment.cadence.name}: {word}",
        payload={"enrollment_id": enrollment.pk, "action": action}
        | ({"reason": reason} if reason else {}),
    )


def _pause(enrollment: Enrollment, actor, now) -> None:
    if enrollment.status != EnrollmentStatus.ACTIVE:
        raise LeadConflict(_("Only an active cadence can be paused."))
    # A touch being sent right now finishes; nothing else goes out until resumed.
    enrollment.status = EnrollmentStatus.PAUSED
    enrollment.paused_at = now
    enrollment.save(update_fields=["status", "paused_at"])
    _record_pause_or_resume(enrollment, actor, now, "pause", "paused")


def _resume(enrollment: Enrollment, actor, now, reason: str = "") -> None:
    """Later touches are rescheduled: the current one from now, keeping what was left of its
    wait, and the following ones shift with it."""
    if enrollment.status != EnrollmentStatus.PAUSED:
        raise LeadConflict(_("Only a paused cadence can be resumed."))
    paused_for = now - (enrollment.paused_at or now)
    recipient = enrollment_recipient(enrollment)
    current = (
        Touch.objects.select_for_update()
        .filter(
            enrollment=enrollment,
            status__in=[TouchStatus.SCHEDULED, TouchStatus.DUE, TouchStatus.HELD],
        )
        .order_by("position")
        .first()
    )
    if current is not None:
        current.due_at = schedule.next_send_slot(max(current.due_at + paused_for, now), recipient)
        if current.status == TouchStatus.DUE and current.due_at > now:
            current.status = TouchStatus.SCHEDULED
        current.save(update_fields=["due_at", "status"])
        _replan_after(enrollment, current, recipient)
    if enrollment.scrap_due_at is not None:
        enrollment.scrap_due_at = schedule.next_send_slot(
            max(enrollment.scrap_due_at + paused_for, now), recipient
        )
    enrollment.status = EnrollmentStatus.ACTIVE
    enrollment.paused_at = None
    enrollment.resume_at = None
    enrollment.save(update_fields=["status", "paused_at", "resume_at", "scrap_due_at"])
    _record_pause_or_resume(enrollment, actor, now, "resume", "resumed", reason)


def enrollment_pause_until(
    enrollment: Enrollment, resume_at: datetime, now: datetime, reason: str
) -> bool:
    """Pause a locked enrollment until ``resume_at``, when the tick resumes it
    (``enrollment_resume_due``); one already paused until a moment gets the new one. One
    paused by hand is left alone: the SDR resumes it. Returns whether anything changed."""
    if enrollment.status == EnrollmentStatus.PAUSED and enrollment.resume_at is None:
        return False
    if enrollment.status == EnrollmentStatus.PAUSED:
        if enrollment.resume_at == resume_at:
            return False
        enrollment.resume_at = resume_at
        enrollment.save(update_fields=["resume_at"])
    elif enrollment.status == EnrollmentStatus.ACTIVE:
        enrollment.status = EnrollmentStatus.PAUSED
        enrollment.paused_at = now
        enrollment.resume_at = resume_at
        enrollment.save(update_fields=["status", "paused_at", "resume_at"])
    else:
        return False
    day = resume_at.astimezone(enrollment_recipient(enrollment).tz).date()
    _record_pause_or_resume(
        enrollment, None, now, "pause", f"paused until {day.isoformat()}", reason
    )
    return True


@team_calendar_scope()  # each team's closed days read once for the batch
def enrollment_resume_due(*, now: datetime | None = None, batch_size: int = 200) -> int:
    """Resume the enrollments paused until a moment that has come (an automatic reply's
    return date), each with a timeline entry. Run by the tick; claimed with SKIP LOCKED, so
    two ticks never resume one twice. Returns how many resumed."""
    now = now or clock.now()
    done = 0
    with transaction.atomic():
        due = (
            Enrollment.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("lead", "cadence")
            .filter(status=EnrollmentStatus.PAUSED, resume_at__lte=now)
            .order_by("resume_at")[:batch_size]
        )
        for enrollment in due:
            _resume(enrollment, None, now, reason="back")
            done += 1
    return done


def enrollment_pause_all(*, actor: User, owner_id: int) -> int:
    """Pause every active enrollment of one SDR (a holiday). Returns how many."""
    return _for_all(actor, owner_id, EnrollmentStatus.ACTIVE, _pause)


def enrollment_resume_all(*, actor: User, owner_id: int) -> int:
    return _for_all(actor, owner_id, EnrollmentStatus.PAUSED, _resume)


@team_calendar_scope()  # each team's closed days read once for the batch
def _for_all(actor: User, owner_id: int, status: str, action) -> int:
    own = actor.is_prospector and actor.pk == owner_id
    if not (own or actor.is_manager or actor.is_admin_role):
        raise LeadForbidden(_("Only the SDR or their manager can do this."))
    owner = User.objects.filter(pk=owner_id).first()
    if owner is None or (not actor.is_admin_role and owner.team_id != actor.team_id):
        raise NotFound("No such SDR")
    now = clock.now()
    count = 0
    with transaction.atomic():
        enrollments = (
            Enrollment.objects.select_for_update(of=("self",))
            .select_related("lead", "cadence")
            .filter(owner_id=owner_id, status=status)
            .order_by("pk")
        )
        for enrollment in enrollments:
            action(enrollment, actor, now)
            count += 1
    return count


def _replan_after(enrollment: Enrollment, touch: Touch, recipient) -> None:
    """Refresh the projected due times of the planned touches after ``touch``."""
    later = list(
        Touch.objects.filter(
            enrollment=enrollment, position__gt=touch.position, status=TouchStatus.PLANNED
        ).order_by("position")
    )
    touches_project(enrollment, later, touch.due_at, recipient)
    if later:
        Touch.objects.bulk_update(later, ["due_at"])


def advance_enrollment(enrollment: Enrollment, touch: Touch, finished_at: datetime) -> None:
    """``touch`` finished: schedule the next one (it slips with this one), or end the cadence
    (a break-up starts the wait for an answer)."""
    nxt = (
        Touch.objects.filter(
            enrollment=enrollment, position__gt=touch.position, status=TouchStatus.PLANNED
        )
        .order_by("position")
        .first()
    )
    recipient = enrollment_recipient(enrollment)
    if nxt is not None:
        nxt.due_at = touch_due_after(enrollment, nxt, finished_at, recipient)
        nxt.status = TouchStatus.SCHEDULED
        nxt.save(update_fields=["due_at", "status"])
        _replan_after(enrollment, nxt, recipient)
        return
    if touch.is_breakup:
        enrollment.scrap_due_at = schedule.due_after(
            finished_at, touch.breakup_wait_days, recipient
        )
        enrollment.save(update_fields=["scrap_due_at"])
    else:
        end_enrollment(enrollment, EnrollmentStatus.COMPLETED, "", "", None, finished_at)
