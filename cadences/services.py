"""Writes for cadences: templates, enrollment, exit rules, manual tasks, and the dispatcher.

The database is the record of every scheduled touch. The dispatcher claims due automatic-email
touches in batches with ``SELECT … FOR UPDATE SKIP LOCKED`` (marking them ``sending`` under a
lease, committed before anything is sent), sends them, and marks them sent in small chunks. A
worker killed mid-batch leaves its touches ``sending``; when the lease expires the tick puts them
back to ``scheduled`` and another worker sends them, with the same ``Message-ID`` (the touch's
idempotency key) so that the receiving side can drop a repeat of the at most one chunk that was
sent but not yet recorded.

Cadences react to the lead's state rather than the other way round (``leads`` knows nothing of
``cadences``): at send time, and on every tick, an enrollment whose lead is no longer
``contacting`` is stopped.
"""

import json
import logging
import time as time_module
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.db.models.base import ModelState
from django.http import Http404
from django.utils import timezone
from psycopg2.extras import execute_values

from accounts.models import User
from leads.models import Company, DisqualifyReason, EventKind, Lead, LeadEvent, LeadState, Prospect
from leads.normalize import normalize_email
from leads.selectors import lead_scope
from leads.services import (
    LeadConflict,
    LeadError,
    LeadForbidden,
    LeadInvalid,
    TransitionParams,
    lead_event_record,
    lead_transition,
    user_works_lead,
)
from sdrcrm import clock
from sdrcrm.errors import NotFound
from sdrcrm.tasks import enqueue

from . import schedule, templating
from .context import enrollment_recipient, recipient_for, render_context
from .models import (
    EMAIL_CHANNELS,
    Cadence,
    CadenceStep,
    Channel,
    DigestLog,
    Enrollment,
    EnrollmentStatus,
    OffsetFrom,
    Reminder,
    Snippet,
    StopReason,
    Suppression,
    TaskOutcome,
    Touch,
    TouchStatus,
    email_domain,
    email_hash,
)
from .selectors import today_queue
from .standard import STANDARD_DESCRIPTION, STANDARD_NAME, STANDARD_STEPS

log = logging.getLogger(__name__)

ENROLLABLE_STATES = (LeadState.NEW, LeadState.RESEARCHING, LeadState.CONTACTING)


class CadenceError(LeadError):
    """A cadence change that could not be made; the message is for the user."""


class CadenceInvalid(CadenceError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- Cadence templates ----------------------------------------------------------------------


@dataclass
class StepData:
    channel: str
    day_offset: int = 0
    offset_from: str = OffsetFrom.PREVIOUS
    subject_template: str = ""
    body_template: str = ""
    instructions: str = ""
    is_breakup: bool = False
    breakup_wait_days: int = 5
    id: int | None = None  # an existing step being edited


@dataclass
class CadenceData:
    name: str
    description: str = ""
    window_start: object = None
    window_end: object = None
    window_days: str = "01234"
    steps: list[StepData] = field(default_factory=list)


def _require_cadence_editor(actor: User) -> None:
    if not (actor.is_manager or actor.is_prospector or actor.is_admin_role):
        raise LeadForbidden("Only managers, SDRs and BDRs edit cadences.")
    if actor.team_id is None:
        raise LeadForbidden("You need to belong to a team to edit cadences.")


def cadence_validate_steps(steps: list[StepData]) -> list[tuple[int, str, str]]:
    """Problems as (step index, field, message); empty when the steps are fine."""
    problems = []
    if not steps:
        problems.append((-1, "", "A cadence needs at least one step."))
    for i, step in enumerate(steps):
        if step.channel not in Channel.values:
            problems.append((i, "channel", "Choose a channel."))
            continue
        if step.channel in EMAIL_CHANNELS:
            if not step.subject_template.strip():
                problems.append((i, "subject_template", "An email step needs a subject."))
            if not step.body_template.strip():
                problems.append((i, "body_template", "An email step needs a body."))
            for name in ("subject_template", "body_template"):
                for problem in templating.validate(getattr(step, name)):
                    problems.append((i, name, problem))
            if "unsubscribe_url" in templating.fields_used(step.subject_template):
                problems.append(
                    (i, "subject_template", "The unsubscribe link belongs in the body.")
                )
        elif not step.instructions.strip():
            problems.append((i, "instructions", "Say what the SDR should do in this step."))
        if step.is_breakup:
            if step.channel not in EMAIL_CHANNELS:
                problems.append((i, "is_breakup", "The break-up step must be an email."))
            if i != len(steps) - 1:
                problems.append((i, "is_breakup", "The break-up step must be the last step."))
        if step.day_offset > 60:
            problems.append((i, "day_offset", "At most 60 business days between steps."))
    return problems


def _check(data: CadenceData) -> None:
    if not data.name.strip():
        raise CadenceInvalid("Give the cadence a name.", field="name")
    if data.window_start and data.window_end and data.window_start >= data.window_end:
        raise CadenceInvalid("The send window must end after it starts.", field="window_end")
    if not data.window_days or any(d not in "0123456" for d in data.window_days):
        raise CadenceInvalid("Choose at least one sending day.", field="window_days")
    problems = cadence_validate_steps(data.steps)
    if problems:
        index, _field, message = problems[0]
        prefix = f"Step {index + 1}: " if index >= 0 else ""
        raise CadenceInvalid(prefix + message, field="steps")


def _write_steps(cadence: Cadence, steps: list[StepData]) -> None:
    existing = {s.pk: s for s in cadence.steps.all()}
    keep = {s.id for s in steps if s.id in existing}
    removed = [s for pk, s in existing.items() if pk not in keep]
    for step in removed:
        if step.touches.exists():
            raise CadenceInvalid(
                f"Step {step.position} has already been used by enrollments and cannot be "
                "removed; copy the cadence to make a different sequence.",
                field="steps",
            )
        step.delete()
    # Positions are unique: park the kept steps out of the way before renumbering.
    for step in existing.values():
        if step.pk in keep:
            step.position += 1000
            step.save(update_fields=["position"])
    for position, data in enumerate(steps, start=1):
        values = {
            "position": position,
            "channel": data.channel,
            "day_offset": data.day_offset,
            "offset_from": data.offset_from,
            "subject_template": templating.header_safe(data.subject_template),
            "body_template": data.body_template.strip(),
            "instructions": data.instructions.strip(),
            "is_breakup": data.is_breakup,
            "breakup_wait_days": data.breakup_wait_days,
        }
        if data.id in existing:
            step = existing[data.id]
            for name, value in values.items():
                setattr(step, name, value)
            step.save()
        else:
            CadenceStep.objects.create(cadence=cadence, **values)


def cadence_create(*, actor: User, data: CadenceData) -> Cadence:
    _require_cadence_editor(actor)
    _check(data)
    try:
        with transaction.atomic():
            cadence = Cadence.objects.create(
                team_id=actor.team_id,
                name=data.name.strip(),
                description=data.description.strip(),
                window_start=data.window_start or schedule.DEFAULT_WINDOW_START,
                window_end=data.window_end or schedule.DEFAULT_WINDOW_END,
                window_days=data.window_days,
                created_by=actor,
            )
            _write_steps(cadence, data.steps)
    except IntegrityError as exc:
        raise CadenceInvalid("Your team already has a cadence with this name.", "name") from exc
    return cadence


def _lock_cadence(actor: User, cadence_id: int) -> Cadence:
    qs = (
        Cadence.objects.all()
        if actor.is_admin_role
        else Cadence.objects.filter(team_id=actor.team_id)
    )
    try:
        return qs.select_for_update().get(pk=cadence_id)
    except (Cadence.DoesNotExist, ValueError, TypeError):
        raise Http404("No such cadence") from None


def cadence_update(*, actor: User, cadence_id: int, data: CadenceData) -> Cadence:
    """Edit a cadence. Touches already scheduled keep the content they were enrolled with:
    an edit applies to enrollments made after it."""
    _require_cadence_editor(actor)
    _check(data)
    try:
        with transaction.atomic():
            cadence = _lock_cadence(actor, cadence_id)
            cadence.name = data.name.strip()
            cadence.description = data.description.strip()
            cadence.window_start = data.window_start or cadence.window_start
            cadence.window_end = data.window_end or cadence.window_end
            cadence.window_days = data.window_days
            cadence.updated_at = clock.now()
            cadence.save()
            _write_steps(cadence, data.steps)
    except IntegrityError as exc:
        raise CadenceInvalid("Your team already has a cadence with this name.", "name") from exc
    return cadence


def cadence_copy(*, actor: User, cadence_id: int) -> Cadence:
    _require_cadence_editor(actor)
    with transaction.atomic():
        source = _lock_cadence(actor, cadence_id)
        base = f"Copy of {source.name}"[:110]
        name, n = base, 2
        while Cadence.objects.filter(team_id=source.team_id, name=name).exists():
            name, n = f"{base} ({n})", n + 1
        copy = Cadence.objects.create(
            team_id=source.team_id,
            name=name,
            description=source.description,
            window_start=source.window_start,
            window_end=source.window_end,
            window_days=source.window_days,
            created_by=actor,
        )
        CadenceStep.objects.bulk_create(
            CadenceStep(
                cadence=copy,
                position=s.position,
                day_offset=s.day_offset,
                offset_from=s.offset_from,
                channel=s.channel,
                subject_template=s.subject_template,
                body_template=s.body_template,
                instructions=s.instructions,
                is_breakup=s.is_breakup,
                breakup_wait_days=s.breakup_wait_days,
            )
            for s in source.steps.all()
        )
    return copy


def cadence_set_archived(*, actor: User, cadence_id: int, archived: bool) -> Cadence:
    """Archived cadences take no new enrollments; running ones go on."""
    _require_cadence_editor(actor)
    with transaction.atomic():
        cadence = _lock_cadence(actor, cadence_id)
        cadence.is_archived = archived
        cadence.updated_at = clock.now()
        cadence.save(update_fields=["is_archived", "updated_at"])
    return cadence


def cadence_ensure_standard(*, team_id: int, actor: User | None = None) -> Cadence:
    """The playbook cadence for a team (created once; idempotent)."""
    with transaction.atomic():
        cadence, created = Cadence.objects.get_or_create(
            team_id=team_id,
            name=STANDARD_NAME,
            defaults={"description": STANDARD_DESCRIPTION, "created_by": actor},
        )
        if created:
            _write_steps(cadence, [StepData(**step) for step in STANDARD_STEPS])
    return cadence


def snippet_save(*, actor: User, title: str, body: str, snippet_id: int | None = None) -> Snippet:
    _require_cadence_editor(actor)
    title, body = title.strip(), body.strip()
    if not title or not body:
        raise CadenceInvalid("A snippet needs a title and a text.", field="title")
    try:
        with transaction.atomic():
            if snippet_id is None:
                return Snippet.objects.create(
                    team_id=actor.team_id, title=title, body=body, created_by=actor
                )
            snippet = (
                Snippet.objects.select_for_update()
                .filter(team_id=actor.team_id)
                .filter(pk=snippet_id)
                .first()
            )
            if snippet is None:
                raise Http404("No such snippet")
            snippet.title, snippet.body = title, body
            snippet.save(update_fields=["title", "body"])
            return snippet
    except IntegrityError as exc:
        raise CadenceInvalid("A snippet with this title exists.", field="title") from exc


# --- Enrollment -----------------------------------------------------------------------------


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


def enrollment_create(
    *, actor: User, lead_id: int, cadence_id: int, start_at: datetime | None = None
) -> Enrollment:
    """Put a lead in a cadence: one touch row per step, the first one scheduled. The lead
    moves to contacting. A lead is in at most one active cadence (a database constraint)."""
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
            raise Http404("No such lead") from None
        if not user_works_lead(actor, lead):
            raise LeadForbidden("Only the lead's SDR or a manager of its team can enroll it.")
        if lead.owner_id is None:
            raise CadenceInvalid("Claim or assign the lead before enrolling it.")
        if lead.state not in ENROLLABLE_STATES:
            raise LeadConflict(
                f"A lead that is {LeadState(lead.state).label} cannot be enrolled: "
                "only new, researching and contacting leads can."
            )
        cadence = (
            Cadence.objects.filter(team_id=lead.team_id, is_archived=False)
            .filter(pk=cadence_id)
            .first()
        )
        if cadence is None:
            raise CadenceInvalid("Choose an active cadence of the lead's team.", field="cadence")
        steps = list(cadence.steps.order_by("position"))
        if not steps:
            raise CadenceInvalid("That cadence has no steps.", field="cadence")
        prospect, company = lead.prospect, lead.prospect.company
        if prospect.do_not_contact:
            raise CadenceInvalid("This prospect must not be contacted.")
        uses_email = any(s.channel in EMAIL_CHANNELS for s in steps)
        if uses_email and not prospect.email:
            raise CadenceInvalid("The cadence sends emails and the prospect has no email.")
        if uses_email and suppressed_emails([prospect.email]):
            raise CadenceInvalid(
                "This email address or its domain is suppressed (unsubscribed, bounced, "
                "complained or erased)."
            )
        if Enrollment.objects.filter(
            lead=lead, status__in=[EnrollmentStatus.ACTIVE, EnrollmentStatus.PAUSED]
        ).exists():
            raise LeadConflict("This lead is already in a cadence.")
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
            raise LeadConflict("This lead was just enrolled by someone else.") from exc
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
                channel=step.channel,
                subject_template=step.subject_template,
                body_template=step.body_template,
                instructions=step.instructions,
                day_offset=step.day_offset,
                offset_from=step.offset_from,
                is_breakup=step.is_breakup,
                breakup_wait_days=step.breakup_wait_days,
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
        transaction.on_commit(_ring_dispatcher)
    return enrollment


def _ring_dispatcher() -> None:
    """Ask a worker to look for due emails now rather than at the next tick."""
    try:
        enqueue("cadences.touch_dispatch_task")
    except Exception:  # noqa: BLE001 - the tick will find the work anyway
        log.warning("Could not reach the broker; the next tick dispatches", exc_info=True)


@dataclass
class BulkResult:
    enrolled: list[int] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)


def enrollment_bulk_create(*, actor: User, lead_ids: list[int], cadence_id: int) -> BulkResult:
    """Enroll many leads; each on its own, so one refusal does not stop the others."""
    result = BulkResult()
    for lead_id in sorted(set(lead_ids)):
        try:
            enrollment_create(actor=actor, lead_id=lead_id, cadence_id=cadence_id)
        except (Http404, NotFound):
            result.refused.append((lead_id, "not found"))
        except LeadError as exc:
            result.refused.append((lead_id, str(exc)))
        else:
            result.enrolled.append(lead_id)
    return result


def _lock_enrollment(actor: User, enrollment_id: int) -> Enrollment:
    visible = lead_scope(actor).values("pk")
    try:
        enrollment = (
            Enrollment.objects.select_for_update(of=("self",))
            .select_related("lead", "cadence")
            .get(pk=enrollment_id, lead_id__in=visible)
        )
    except (Enrollment.DoesNotExist, ValueError, TypeError):
        raise Http404("No such enrollment") from None
    if not user_works_lead(actor, enrollment.lead):
        raise LeadForbidden("Only the lead's SDR or a manager of its team can do this.")
    return enrollment


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


def _end(enrollment: Enrollment, status: str, reason: str, note: str, actor, now) -> None:
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
        raise CadenceInvalid("Choose a reason.", field="reason")
    with transaction.atomic():
        enrollment = _lock_enrollment(actor, enrollment_id)
        if enrollment.status not in (EnrollmentStatus.ACTIVE, EnrollmentStatus.PAUSED):
            raise LeadConflict("This cadence has already ended.")
        _end(enrollment, EnrollmentStatus.STOPPED, reason, note.strip(), actor, clock.now())
    return enrollment


def enrollment_pause(*, actor: User, enrollment_id: int) -> Enrollment:
    with transaction.atomic():
        enrollment = _lock_enrollment(actor, enrollment_id)
        _pause(enrollment, actor, clock.now())
    return enrollment


def _pause(enrollment: Enrollment, actor, now) -> bool:
    if enrollment.status != EnrollmentStatus.ACTIVE:
        raise LeadConflict("Only an active cadence can be paused.")
    # A touch being sent right now finishes; nothing else goes out until resumed.
    enrollment.status = EnrollmentStatus.PAUSED
    enrollment.paused_at = now
    enrollment.save(update_fields=["status", "paused_at"])
    lead_event_record(
        lead=enrollment.lead,
        kind=EventKind.CADENCE,
        actor=actor,
        at=now,
        body=f"{enrollment.cadence.name}: paused",
        payload={"enrollment_id": enrollment.pk, "action": "pause"},
    )
    return True


def enrollment_resume(*, actor: User, enrollment_id: int) -> Enrollment:
    with transaction.atomic():
        enrollment = _lock_enrollment(actor, enrollment_id)
        _resume(enrollment, actor, clock.now())
    return enrollment


def _resume(enrollment: Enrollment, actor, now) -> None:
    """Later touches are rescheduled: the current one from now, keeping what was left of its
    wait, and the following ones shift with it."""
    if enrollment.status != EnrollmentStatus.PAUSED:
        raise LeadConflict("Only a paused cadence can be resumed.")
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
    enrollment.save(update_fields=["status", "paused_at", "scrap_due_at"])
    lead_event_record(
        lead=enrollment.lead,
        kind=EventKind.CADENCE,
        actor=actor,
        at=now,
        body=f"{enrollment.cadence.name}: resumed",
        payload={"enrollment_id": enrollment.pk, "action": "resume"},
    )


def enrollment_pause_all(*, actor: User, owner_id: int) -> int:
    """Pause every active enrollment of one SDR (a holiday). Returns how many."""
    return _for_all(actor, owner_id, EnrollmentStatus.ACTIVE, _pause)


def enrollment_resume_all(*, actor: User, owner_id: int) -> int:
    return _for_all(actor, owner_id, EnrollmentStatus.PAUSED, _resume)


def _for_all(actor: User, owner_id: int, status: str, action) -> int:
    own = actor.is_prospector and actor.pk == owner_id
    if not (own or actor.is_manager or actor.is_admin_role):
        raise LeadForbidden("Only the SDR or their manager can do this.")
    owner = User.objects.filter(pk=owner_id).first()
    if owner is None or (not actor.is_admin_role and owner.team_id != actor.team_id):
        raise Http404("No such SDR")
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


# --- Exit rules ---------------------------------------------------------------------------


def _active_enrollments_for_lead(lead_id: int):
    return (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("lead", "cadence")
        .filter(lead_id=lead_id, status__in=[EnrollmentStatus.ACTIVE, EnrollmentStatus.PAUSED])
    )


def lead_record_reply(
    *, lead_id: int, actor: User | None = None, body: str = "", source: str = "marked by the SDR"
) -> Lead:
    """The prospect answered: the cadence stops and the lead moves to engaged.
    ``actor=None`` is an inbound webhook. Idempotent: a second reply changes nothing more."""
    now = clock.now()
    with transaction.atomic():
        scope = Lead.objects.all() if actor is None else lead_scope(actor)
        try:
            lead = scope.get(pk=lead_id)
        except (Lead.DoesNotExist, ValueError, TypeError):
            raise Http404("No such lead") from None
        if actor is not None and not user_works_lead(actor, lead):
            raise LeadForbidden("Only the lead's SDR or a manager of its team can do this.")
        # Lock order: the lead's enrollments, then the lead. The dispatcher holds the
        # enrollment locks of a chunk while it sends it (and takes key-share locks on leads for
        # the timeline), so locking the lead first could deadlock with it.
        enrollments = list(_active_enrollments_for_lead(lead.pk))
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        lead_event_record(
            lead=lead,
            kind=EventKind.REPLY,
            actor=actor,
            at=now,
            body=body.strip(),
            payload={"source": source},
        )
        for enrollment in enrollments:
            _end(enrollment, EnrollmentStatus.STOPPED, StopReason.REPLIED, "", actor, now)
        if lead.state in (LeadState.RESEARCHING, LeadState.CONTACTING):
            lead = lead_transition(
                actor=actor, lead_id=lead.pk, name="engage", system_actor_ok=actor is None
            )
    return lead


def suppressed_emails(emails) -> set[str]:
    """Which of ``emails`` must not be emailed: the address (by its hash, so erased people
    count) or its domain is on the suppression list. One query, whatever the number."""
    emails = {e for e in emails if e}
    if not emails:
        return set()
    by_hash = {email_hash(e): e for e in emails}
    domains = {email_domain(e) for e in emails}
    hashes, blocked_domains = set(), set()
    for h, d in Suppression.objects.filter(
        Q(email_hash__in=list(by_hash)) | Q(domain__in=list(domains))
    ).values_list("email_hash", "domain"):
        if h:
            hashes.add(h)
        if d:
            blocked_domains.add(d)
    return {e for h, e in by_hash.items() if h in hashes or email_domain(e) in blocked_domains}


def email_is_suppressed(email: str) -> bool:
    """For importers: True when this address must never be emailed (also after the person
    was erased, through the kept hash, or when their domain is suppressed)."""
    email = normalize_email(email or "")
    return bool(email) and bool(suppressed_emails([email]))


def suppression_add(*, email: str = "", domain: str = "", reason: str) -> Suppression:
    """Suppress an address or a whole domain (idempotent: the first reason stays)."""
    if email:
        row, _ = Suppression.objects.get_or_create(
            email_hash=email_hash(email), defaults={"email": email, "reason": reason}
        )
        return row
    domain = domain.strip().lower().lstrip("@")
    if not domain or "." not in domain or "@" in domain:
        raise CadenceInvalid("Type a domain such as example.com.", field="domain")
    row, _ = Suppression.objects.get_or_create(domain=domain, defaults={"reason": reason})
    return row


def email_record_bounce(*, email: str, note: str = "") -> int:
    """A hard bounce: stop the cadences emailing this address, flag the address on the
    prospect and suppress it. Returns how many enrollments stopped."""
    return _suppress(email, Suppression.Reason.BOUNCED, StopReason.BOUNCED, note, flag=True)


def email_record_unsubscribe(*, email: str, note: str = "") -> int:
    """An unsubscribe (link, header or reply): suppress the address for good and stop every
    cadence emailing it."""
    return _suppress(email, Suppression.Reason.UNSUBSCRIBED, StopReason.UNSUBSCRIBED, note)


def email_record_complaint(*, email: str, note: str = "") -> int:
    return _suppress(email, Suppression.Reason.COMPLAINED, StopReason.UNSUBSCRIBED, note)


def email_record_erasure(*, email: str) -> int:
    """A person's data is being erased (privacy app): suppress the address for good (the hash
    outlives the address) and stop every cadence emailing it."""
    return _suppress(email, Suppression.Reason.ERASED, StopReason.UNSUBSCRIBED, "")


def _suppress(email: str, reason: str, stop_reason: str, note: str, flag: bool = False) -> int:
    email = normalize_email(email)
    if not email:
        return 0
    now = clock.now()
    stopped = 0
    with transaction.atomic():
        suppression_add(email=email, reason=reason)
        prospects = Prospect.objects.filter(email=email)
        if flag:
            prospects.filter(email_bounced_at__isnull=True).update(email_bounced_at=now)
        elif reason in (Suppression.Reason.UNSUBSCRIBED, Suppression.Reason.COMPLAINED):
            prospects.update(do_not_contact=True)
        enrollments = (
            Enrollment.objects.select_for_update(of=("self",))
            .select_related("lead", "cadence")
            .filter(
                lead__prospect__email=email,
                status__in=[EnrollmentStatus.ACTIVE, EnrollmentStatus.PAUSED],
            )
        )
        for enrollment in enrollments:
            _end(enrollment, EnrollmentStatus.STOPPED, stop_reason, note, None, now)
            stopped += 1
    return stopped


def enrollment_stop_for_moved_leads() -> int:
    """Stop the cadences of leads that left contacting (engaged, qualified, disqualified,
    nurture, …) by any route. Set-based; run by the tick. Returns how many stopped."""
    now = clock.now()
    stopped = 0
    with transaction.atomic():
        moved = (
            Enrollment.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("lead", "cadence")
            .filter(status__in=[EnrollmentStatus.ACTIVE, EnrollmentStatus.PAUSED])
            .exclude(lead__state=LeadState.CONTACTING)[:500]
        )
        for enrollment in moved:
            _end(
                enrollment,
                EnrollmentStatus.STOPPED,
                StopReason.LEAD_MOVED,
                f"lead is {LeadState(enrollment.lead.state).label.lower()}",
                None,
                now,
            )
            stopped += 1
    return stopped


def enrollment_scrap_unanswered(*, now: datetime | None = None, batch_size: int = 200) -> int:
    """Break-up emails that got no answer within their wait: the lead is disqualified with
    'no response' (which the SDR sees on the lead and can undo). Claimed with SKIP LOCKED."""
    now = now or clock.now()
    done = 0
    with transaction.atomic():
        due = list(
            Enrollment.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("lead", "cadence")
            .filter(status=EnrollmentStatus.ACTIVE, scrap_due_at__lte=now)
            .order_by("scrap_due_at")[:batch_size]
        )
        for enrollment in due:
            _end(enrollment, EnrollmentStatus.COMPLETED, StopReason.NO_RESPONSE, "", None, now)
            if enrollment.lead.state == LeadState.CONTACTING:
                lead_transition(
                    actor=None,
                    lead_id=enrollment.lead_id,
                    name="disqualify",
                    params=TransitionParams(
                        reason=DisqualifyReason.NO_RESPONSE,
                        note=f"No answer after the break-up email of {enrollment.cadence.name}.",
                    ),
                    system_actor_ok=True,
                )
            done += 1
    return done


# --- Progress of an enrollment -------------------------------------------------------------


def _advance(enrollment: Enrollment, touch: Touch, finished_at: datetime) -> None:
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
        _end(enrollment, EnrollmentStatus.COMPLETED, "", "", None, finished_at)


def _lock_touch(actor: User, touch_id: int) -> Touch:
    visible = lead_scope(actor).values("pk")
    try:
        touch = (
            Touch.objects.select_for_update(of=("self",))
            .select_related("enrollment__cadence", "lead__prospect__company", "owner")
            .get(pk=touch_id, lead_id__in=visible)
        )
    except (Touch.DoesNotExist, ValueError, TypeError):
        raise Http404("No such task") from None
    if not user_works_lead(actor, touch.lead):
        raise LeadForbidden("Only the lead's SDR or a manager of its team can do this.")
    return touch


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
    touch: Touch
    propose_reminder_at: datetime | None = None


def touch_complete(*, actor: User, touch_id: int, outcome: str, note: str = "") -> TaskResult:
    """The SDR did a manual touch (call, LinkedIn, manual email, task) with this outcome.
    The timeline records it; the next step is scheduled from now. A voicemail proposes a
    follow-up reminder two business days later; a booked meeting ends the cadence."""
    now = clock.now()
    with transaction.atomic():
        touch = _lock_touch(actor, touch_id)
        if touch.status in (TouchStatus.DONE, TouchStatus.SKIPPED):
            raise LeadConflict("This task is already done.")
        if not touch.is_manual or touch.status not in (TouchStatus.SCHEDULED, TouchStatus.DUE):
            raise LeadConflict("This task is not open.")
        if touch.enrollment.status != EnrollmentStatus.ACTIVE:
            raise LeadConflict("The cadence of this task is not active.")
        allowed = OUTCOMES_BY_CHANNEL.get(touch.channel, [TaskOutcome.DONE])
        if outcome not in allowed:
            raise CadenceInvalid("Choose an outcome.", field="outcome")
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
                "outcome_label": TaskOutcome(outcome).label,
            },
        )
        result = TaskResult(touch=touch)
        if outcome == TaskOutcome.MEETING_BOOKED:
            _end(
                touch.enrollment,
                EnrollmentStatus.STOPPED,
                StopReason.MEETING_BOOKED,
                "",
                actor,
                now,
            )
            lead_transition(actor=actor, lead_id=touch.lead_id, name="engage")
        else:
            _advance(touch.enrollment, touch, now)
        if outcome == TaskOutcome.VOICEMAIL:
            recipient = enrollment_recipient(touch.enrollment)
            result.propose_reminder_at = schedule.due_after(now, 2, recipient)
    return result


def touch_skip(*, actor: User, touch_id: int, note: str = "") -> Touch:
    now = clock.now()
    with transaction.atomic():
        touch = _lock_touch(actor, touch_id)
        if touch.status not in (TouchStatus.SCHEDULED, TouchStatus.DUE, TouchStatus.HELD):
            raise LeadConflict("This step is not open.")
        if touch.enrollment.status != EnrollmentStatus.ACTIVE:
            raise LeadConflict("The cadence of this step is not active.")
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
        _advance(touch.enrollment, touch, now)
    return touch


def touch_release_held(*, actor: User, touch_id: int) -> Touch:
    """The SDR fixed the prospect's data: send the held email at the next slot."""
    now = clock.now()
    with transaction.atomic():
        touch = _lock_touch(actor, touch_id)
        if touch.status != TouchStatus.HELD:
            raise LeadConflict("This email is not held.")
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
                "Still missing: " + ", ".join(missing) + ". Fill them in on the lead first."
            )
        recipient = enrollment_recipient(touch.enrollment)
        touch.status = TouchStatus.SCHEDULED
        touch.error = ""
        touch.due_at = schedule.next_send_slot(now, recipient)
        touch.save(update_fields=["status", "error", "due_at"])
    transaction.on_commit(_ring_dispatcher)
    return touch


# --- Reminders ----------------------------------------------------------------------------


def reminder_create(*, actor: User, lead_id: int, due_at: datetime, note: str) -> Reminder:
    note = note.strip()
    if not note:
        raise CadenceInvalid("Say what to do.", field="note")
    with transaction.atomic():
        try:
            lead = lead_scope(actor).select_for_update(of=("self",)).get(pk=lead_id)
        except (Lead.DoesNotExist, ValueError, TypeError):
            raise Http404("No such lead") from None
        if not (user_works_lead(actor, lead) or lead.assigned_ae_id == actor.pk):
            raise LeadForbidden("You cannot set reminders on this lead.")
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
            raise Http404("No such reminder")
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


# --- The dispatcher ---------------------------------------------------------------------------


class Claim(list):
    """The ids of claimed touches, with the attempt number the claim gave each: the token
    that tells, at send time, whether the touch is still this claim's (see
    ``_lock_still_claimed``)."""

    def __init__(self, rows=()):
        rows = list(rows)
        super().__init__(pk for pk, _ in rows)
        self.attempts = dict(rows)


def touch_claim_due_emails(*, now: datetime, limit: int) -> Claim:
    """Claim up to ``limit`` due automatic-email touches: ``sending`` under a lease, committed.
    Concurrent dispatchers never claim the same row (SKIP LOCKED)."""
    lease = now + timedelta(seconds=settings.SDRCRM_DISPATCH_LEASE_SECONDS)
    # One statement: pick and lock (SKIP LOCKED), mark, return.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cadences_touch SET status = %s, claimed_at = %s, lease_until = %s, "
            "attempts = attempts + 1 WHERE id IN ("
            " SELECT t.id FROM cadences_touch t"
            " JOIN cadences_enrollment e ON e.id = t.enrollment_id"
            " WHERE t.status = %s AND t.channel = %s AND t.due_at <= %s"
            # A paused enrollment's email stays scheduled until resumed: claiming it would
            # only put it back, again and again, until the time budget ran out.
            " AND e.status = %s"
            " ORDER BY t.due_at LIMIT %s FOR UPDATE OF t SKIP LOCKED"
            ") RETURNING id, attempts",
            [
                TouchStatus.SENDING,
                now,
                lease,
                TouchStatus.SCHEDULED,
                Channel.AUTO_EMAIL,
                now,
                EnrollmentStatus.ACTIVE,
                limit,
            ],
        )
        return Claim(cursor.fetchall())


@dataclass
class DispatchStats:
    claimed: int = 0
    sent: int = 0
    held: int = 0
    cancelled: int = 0
    rescheduled: int = 0
    failed: int = 0
    lost_lease: int = 0  # recovered and claimed by another before this worker sent them

    def add(self, other: "DispatchStats") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _reserve_sends(
    wanted: dict[tuple[int, object], int], caps: dict[int, int]
) -> dict[tuple[int, object], int]:
    """Reserve daily-cap room for {(owner id, local day): number of emails}; returns how many
    each may send. One upsert for all owners (it adds what is asked and returns the totals),
    then the part over the cap is given back."""
    if not wanted:
        return {}
    # Sorted: every dispatcher locks the counter rows in the same order, so two of them
    # reserving for overlapping SDRs queue up instead of deadlocking.
    keys = sorted(wanted)
    values = ", ".join(["(%s, %s, %s)"] * len(keys))
    params = [p for k in keys for p in (k[0], k[1], wanted[k])]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO cadences_sendcounter (owner_id, day, sent) VALUES "
            + values
            + " ON CONFLICT (owner_id, day) DO UPDATE SET sent = cadences_sendcounter.sent"
            " + EXCLUDED.sent RETURNING owner_id, day, sent",
            params,
        )
        totals = {(row[0], _as_date(row[1])): row[2] for row in cursor.fetchall()}
        allowed = {}
        for key in keys:
            over = max(0, totals[key] - caps[key[0]])
            allowed[key] = max(0, wanted[key] - over)
            give_back = wanted[key] - allowed[key]
            if give_back:
                _release_sends(key, give_back, cursor)
    return allowed


def _release_sends(key: tuple[int, object], n: int, cursor=None) -> None:
    sql = "UPDATE cadences_sendcounter SET sent = sent - %s WHERE owner_id = %s AND day = %s"
    if cursor is not None:
        cursor.execute(sql, [n, key[0], key[1]])
        return
    with connection.cursor() as c:
        c.execute(sql, [n, key[0], key[1]])


def _as_date(value):
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def touch_send_claimed(
    ids: list[int],
    *,
    now: datetime | None = None,
    chunk: int | None = None,
    lookups: dict | None = None,
) -> DispatchStats:
    """Send touches this worker claimed. Checked at send time: the enrollment is active, the
    lead still contacting, the address not suppressed, bounced or do-not-contact, the SDR under
    their daily cap, and the moment inside the prospect's send window."""
    stats = DispatchStats(claimed=len(ids))
    if not ids:
        return stats
    chunk = chunk or settings.SDRCRM_DISPATCH_CHUNK
    now = now or clock.now()
    touches = _load_claimed(ids)
    if isinstance(ids, Claim):  # the claim's token, whatever the row says by now
        for t in touches:
            t.attempts = ids.attempts[t.pk]
    # Few cadences and SDRs: fetched once each instead of joined to every row, and kept for
    # the batches of one dispatch run (``lookups``, a few seconds at most).
    lookups = {} if lookups is None else lookups
    cadences = _lookup(lookups, Cadence, {t.enrollment.cadence_id for t in touches})
    owners = _lookup(lookups, User, {t.owner_id for t in touches})
    for t in touches:
        t.enrollment._state.fields_cache["cadence"] = cadences[t.enrollment.cadence_id]
        t._state.fields_cache["owner"] = owners[t.owner_id]
    emails = {t.lead.prospect.email for t in touches if t.lead.prospect.email}
    suppressed = suppressed_emails(emails)
    candidates: list[tuple[Touch, dict, schedule.Recipient]] = []

    to_send: list[tuple[Touch, EmailMessage]] = []
    for touch in touches:
        enrollment, lead = touch.enrollment, touch.lead
        prospect = lead.prospect
        recipient = enrollment_recipient(enrollment)
        if enrollment.status == EnrollmentStatus.PAUSED:
            _reschedule(touch, touch.due_at, attempt_used=False)  # picked up on resume
            stats.rescheduled += 1
            continue
        if enrollment.status != EnrollmentStatus.ACTIVE or lead.state != LeadState.CONTACTING:
            _set(touch, TouchStatus.CANCELLED, error="cadence ended or lead moved")
            stats.cancelled += 1
            continue
        if (
            not prospect.email
            or prospect.email in suppressed
            or prospect.do_not_contact
            or prospect.email_bounced_at
        ):
            _set(touch, TouchStatus.CANCELLED, error="address suppressed or do-not-contact")
            _stop_after_send_check(
                enrollment,
                StopReason.UNSUBSCRIBED,
                "the address is suppressed, bounced or do-not-contact",
            )
            stats.cancelled += 1
            continue
        if not schedule.in_send_window(now, recipient):
            _reschedule(touch, schedule.next_send_slot(now, recipient), attempt_used=False)
            stats.rescheduled += 1
            continue
        context = render_context(
            prospect=prospect, company=prospect.company, sdr=touch.owner, touch_id=touch.pk
        )
        subject = templating.render(touch.subject_template, context)
        body = templating.render(touch.body_template, context)
        missing = sorted(set(subject.missing) | set(body.missing))
        if missing:
            _set(touch, TouchStatus.HELD, error="Missing: " + ", ".join(missing))
            stats.held += 1
            continue
        touch.rendered_subject = templating.header_safe(subject.text)
        touch.rendered_body = body.text
        candidates.append((touch, context, recipient))

    # The per-SDR daily cap, counted on the SDR's own day and reserved atomically. Each
    # touch remembers the (SDR, day) it reserved on, so giving room back hits the same row.
    wanted: dict[tuple[int, object], int] = {}
    for touch, _, _ in candidates:
        tz = schedule.recipient_zone(touch.owner.time_zone, default=settings.TIME_ZONE)
        touch._cap_key = (touch.owner_id, now.astimezone(tz).date())
        wanted[touch._cap_key] = wanted.get(touch._cap_key, 0) + 1
    room = _reserve_sends(wanted, {t.owner_id: t.owner.daily_email_cap for t, _, _ in candidates})
    for touch, context, recipient in candidates:
        if room[touch._cap_key] > 0:
            room[touch._cap_key] -= 1
            to_send.append((touch, _message(touch, context)))
        else:
            tomorrow = schedule.local_day_start(now, recipient.tz) + timedelta(days=1)
            _reschedule(touch, schedule.next_send_slot(tomorrow, recipient), attempt_used=False)
            stats.rescheduled += 1

    for start in range(0, len(to_send), chunk):
        part = to_send[start : start + chunk]
        # The chunk's enrollments are locked (FOR NO KEY UPDATE, in id order) while it is sent
        # and recorded: a reply, bounce or unsubscribe (which lock the enrollment to stop it)
        # waits for the chunk, and a chunk that starts after one of them committed sees the
        # enrollment stopped and sends nothing. (Whoever locks both locks enrollments first.)
        with transaction.atomic():
            enrollment_ids = sorted({t.enrollment_id for t, _ in part})
            still_active = set(
                Enrollment.objects.select_for_update(no_key=True, of=("self",))
                .filter(pk__in=enrollment_ids, status=EnrollmentStatus.ACTIVE)
                .filter(lead__state=LeadState.CONTACTING)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            # Still ours? A worker that outlived its lease (a slow provider, a long pause) may
            # find its touches recovered and claimed again by another: it sends only those it
            # still holds under this claim (status and attempt number unchanged), locked until
            # recorded, so that neither the recovery nor another claim can take them meanwhile.
            ours = _lock_still_claimed([t for t, _ in part])
            for touch, _ in part:
                if touch.pk not in ours:
                    _release_sends(touch._cap_key, 1)
                    stats.lost_lease += 1
                elif touch.enrollment_id not in still_active:
                    _set(touch, TouchStatus.CANCELLED, error="cadence ended just before sending")
                    _release_sends(touch._cap_key, 1)
                    stats.cancelled += 1
            part = [(t, m) for t, m in part if t.pk in ours and t.enrollment_id in still_active]
            sent_now = _send_chunk(part)
            stats.sent += len(sent_now)
            stats.failed += len(part) - len(sent_now)
            _record_sent(sent_now)
    return stats


def _lock_still_claimed(touches: list[Touch]) -> set[int]:
    """Lock the touches this worker still holds (``sending`` under the attempt number its
    claim gave them) and return their ids. Rows locked by someone else are skipped: the
    lease recovery or another claim is at them, so they are no longer ours."""
    expected = {t.pk: t.attempts for t in touches}
    rows = (
        Touch.objects.select_for_update(skip_locked=True, no_key=True)
        .filter(pk__in=list(expected), status=TouchStatus.SENDING)
        .order_by("pk")
        .values_list("pk", "attempts")
    )
    return {pk for pk, attempts in rows if attempts == expected[pk]}


# The columns the send path reads, per model; anything else is deferred (loaded on access).
_LOAD_COLUMNS = {
    Touch: (
        "id",
        "enrollment_id",
        "step_id",
        "position",
        "owner_id",
        "lead_id",
        "channel",
        "subject_template",
        "body_template",
        "day_offset",
        "offset_from",
        "is_breakup",
        "breakup_wait_days",
        "status",
        "due_at",
        "attempts",
        "idempotency_key",
    ),
    Enrollment: (
        "id",
        "lead_id",
        "cadence_id",
        "owner_id",
        "status",
        "stop_reason",
        "stop_note",
        "time_zone",
        "country",
        "started_at",
        "paused_at",
        "ended_at",
        "scrap_due_at",
        "enrolled_by_id",
    ),
    Lead: ("id", "state", "prospect_id", "team_id", "owner_id"),
}


def _load_claimed(ids: list[int]) -> list[Touch]:
    """The claimed touches with their enrollment, lead, prospect and company, in one query.
    Instances are built without ``Model.__init__`` (a third of the send path's time in the
    ORM's row-to-object step); fields not loaded are deferred as with ``only()``."""
    columns = {
        Touch: _LOAD_COLUMNS[Touch],
        Enrollment: _LOAD_COLUMNS[Enrollment],
        Lead: _LOAD_COLUMNS[Lead],
        Prospect: (
            "id",
            "company_id",
            "first_name",
            "last_name",
            "email",
            "title",
            "time_zone",
            "do_not_contact",
            "email_bounced_at",
        ),
        Company: ("id", "name", "industry", "website", "country", "time_zone"),
    }
    aliases = {Touch: "t", Enrollment: "e", Lead: "l", Prospect: "p", Company: "c"}
    select = ", ".join(f"{aliases[m]}.{col}" for m, cols in columns.items() for col in cols)
    select += ", n.id, n.day_offset, n.offset_from"
    tables = {m: m._meta.db_table for m in columns}
    sql = (
        f"SELECT {select} FROM {tables[Touch]} t "
        f"JOIN {tables[Enrollment]} e ON e.id = t.enrollment_id "
        f"JOIN {tables[Lead]} l ON l.id = t.lead_id "
        f"JOIN {tables[Prospect]} p ON p.id = l.prospect_id "
        f"LEFT JOIN {tables[Company]} c ON c.id = p.company_id "
        # The step after it, when planned: what sending this one will schedule.
        f"LEFT JOIN {tables[Touch]} n ON n.enrollment_id = t.enrollment_id "
        "AND n.position = t.position + 1 AND n.status = 'planned' "
        f"WHERE t.id IN ({', '.join(['%s'] * len(ids))}) AND t.status = %s "
        "ORDER BY t.due_at, t.id"
    )
    db = connection.alias

    def build(model, values):
        obj = model.__new__(model)
        obj.__dict__.update(values)
        obj._state = ModelState()
        obj._state.adding = False
        obj._state.db = db
        return obj

    result = []
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids, TouchStatus.SENDING])
        rows = cursor.fetchall()
    for row in rows:
        values, i = {}, 0
        for model, cols in columns.items():
            values[model] = dict(zip(cols, row[i : i + len(cols)], strict=True))
            i += len(cols)
        touch = build(Touch, values[Touch])
        enrollment = build(Enrollment, values[Enrollment])
        lead = build(Lead, values[Lead])
        prospect = build(Prospect, values[Prospect])
        company = build(Company, values[Company]) if values[Company]["id"] else None
        prospect._state.fields_cache["company"] = company
        lead._state.fields_cache["prospect"] = prospect
        touch._state.fields_cache["enrollment"] = enrollment
        touch._state.fields_cache["lead"] = lead
        enrollment._state.fields_cache["lead"] = lead
        next_id, next_offset, next_from = row[i : i + 3]
        touch._next_step = (
            build(
                Touch,
                {
                    "id": next_id,
                    "enrollment_id": touch.enrollment_id,
                    "position": touch.position + 1,
                    "day_offset": next_offset,
                    "offset_from": next_from,
                },
            )
            if next_id is not None
            else None
        )
        result.append(touch)
    return result


def _lookup(cache: dict, model, ids: set[int]) -> dict:
    known = cache.setdefault(model, {})
    missing = ids - known.keys()
    if missing:
        known.update(model.objects.in_bulk(missing))
    return known


def _stop_after_send_check(enrollment: Enrollment, reason: str, note: str) -> None:
    """A touch was cancelled at send time for good (not for the moment): end its enrollment,
    so it does not sit active with steps that will never come."""
    with transaction.atomic():
        locked = (
            Enrollment.objects.select_for_update(of=("self",))
            .select_related("lead", "cadence")
            .filter(pk=enrollment.pk, status__in=[EnrollmentStatus.ACTIVE, EnrollmentStatus.PAUSED])
            .first()
        )
        if locked is not None:
            _end(locked, EnrollmentStatus.STOPPED, reason, note, None, clock.now())


def _message(touch: Touch, context: dict[str, str]) -> EmailMessage:
    owner = touch.owner
    from_name = templating.header_safe(owner.get_full_name() or owner.username)
    from_email = formataddr((from_name, owner.email or settings.DEFAULT_FROM_EMAIL))
    unsubscribe = context["unsubscribe_url"]
    body = touch.rendered_body
    if unsubscribe not in body:
        body += f"\n\n--\nNot interested? Unsubscribe with one click: {unsubscribe}"
    domain = (settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "sdrcrm.local").strip(">")
    return EmailMessage(
        subject=touch.rendered_subject,
        body=body,
        from_email=from_email,
        to=[touch.lead.prospect.email],
        headers={
            # The idempotency key: a repeat after a crash carries the same Message-ID.
            "Message-ID": f"<{touch.idempotency_key}@{domain}>",
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "X-SDRCRM-Touch": str(touch.idempotency_key),
        },
    )


def _send_chunk(part: list[tuple[Touch, EmailMessage]]) -> list[Touch]:
    """Send one chunk through Django's email backend; returns the touches that went out."""
    if not part:
        return []
    sent: list[Touch] = []
    backend = get_connection(fail_silently=False)
    try:
        backend.open()
        for touch, message in part:
            try:
                message.connection = backend
                if message.send() == 1:
                    sent.append(touch)
                else:
                    _failed(touch, "the email backend did not accept the message")
            except Exception as exc:  # noqa: BLE001 - a provider error for one message
                _failed(touch, f"{type(exc).__name__}: {exc}"[:500])
    finally:
        backend.close()
    return sent


def _failed(touch: Touch, error: str) -> None:
    """A send that failed goes back to scheduled (retried at the next tick) until it has
    used its attempts. Its room under the daily cap is given back."""
    _release_sends(touch._cap_key, 1)
    if touch.attempts >= settings.SDRCRM_DISPATCH_MAX_ATTEMPTS:
        _set(touch, TouchStatus.FAILED, error=error)
        _stop_after_send_check(
            touch.enrollment, StopReason.SEND_FAILED, f"step {touch.position}: {error}"[:500]
        )
    else:
        _reschedule(touch, clock.now() + timedelta(minutes=2 * touch.attempts), error=error)


def _claimed(touch: Touch):
    """The touch's row while this worker's claim on it holds (see ``_lock_still_claimed``)."""
    return Touch.objects.filter(pk=touch.pk, status=TouchStatus.SENDING, attempts=touch.attempts)


def _set(touch: Touch, status: str, error: str = "") -> None:
    _claimed(touch).update(
        status=status,
        error=error,
        lease_until=None,
        completed_at=clock.now() if status in (TouchStatus.CANCELLED, TouchStatus.FAILED) else None,
    )


def _reschedule(touch: Touch, due_at: datetime, error: str = "", attempt_used: bool = True) -> None:
    """Back to scheduled. A touch put back without trying to send it (paused, outside the
    window, over the cap) gives back the attempt its claim counted, so waiting never uses up
    the attempts a provider error is allowed."""
    extra = {} if attempt_used else {"attempts": F("attempts") - 1}
    _claimed(touch).update(
        status=TouchStatus.SCHEDULED, due_at=due_at, lease_until=None, error=error, **extra
    )


def _record_sent(touches: list[Touch]) -> None:
    """Mark a chunk sent, write its timeline entries and schedule the next steps, in one
    transaction."""
    if not touches:
        return
    now = clock.now()
    with transaction.atomic():
        for t in touches:
            t.status = TouchStatus.SENT
            t.sent_at = now
            t.completed_at = now
            t.lease_until = None
            t.error = ""
        _bulk_update(
            touches,
            [
                "status",
                "sent_at",
                "completed_at",
                "lease_until",
                "error",
                "rendered_subject",
                "rendered_body",
            ],
        )
        _email_events(touches, now)
        _advance_many(touches, now)


def _email_events(touches: list[Touch], now: datetime) -> None:
    """The timeline entries of sent emails: one multi-row INSERT on PostgreSQL."""
    events = [
        LeadEvent(
            lead_id=t.lead_id,
            kind=EventKind.EMAIL,
            actor=None,
            created_at=now,
            body=t.rendered_subject,
            payload={
                "touch_id": t.pk,
                "step": t.position,
                "cadence_id": t.enrollment.cadence_id,
                "breakup": t.is_breakup,
                "to": t.lead.prospect.email,
            },
        )
        for t in touches
    ]

    with connection.cursor() as cursor:
        execute_values(
            cursor.cursor,
            "INSERT INTO leads_leadevent (lead_id, kind, actor_id, created_at, from_state, "
            "to_state, body, payload) VALUES %s",
            [
                (e.lead_id, e.kind, None, e.created_at, "", "", e.body, json.dumps(e.payload))
                for e in events
            ],
            template="(%s, %s, %s, %s, %s, %s, %s, %s::jsonb)",
            page_size=1000,
        )


def _bulk_update(touches: list[Touch], fields: list[str]) -> None:
    """``bulk_update`` for the dispatcher's hot path: one ``UPDATE … FROM (VALUES …)``
    (Django's CASE-per-field bulk_update costs ~3 ms a row to build here)."""

    columns = [Touch._meta.get_field(f).column for f in fields]
    casts = {
        "status": "varchar",
        "error": "text",
        "rendered_subject": "varchar",
        "rendered_body": "text",
        "due_at": "timestamptz",
        "sent_at": "timestamptz",
        "completed_at": "timestamptz",
        "lease_until": "timestamptz",
    }
    assignments = ", ".join(f"{c} = v.{c}" for c in columns)
    template = "(%s::bigint, " + ", ".join(f"%s::{casts[c]}" for c in columns) + ")"
    rows = [(t.pk, *(getattr(t, f) for f in fields)) for t in touches]
    with connection.cursor() as cursor:
        execute_values(
            cursor.cursor,
            f"UPDATE cadences_touch AS t SET {assignments} FROM (VALUES %s) "
            f"AS v(id, {', '.join(columns)}) WHERE t.id = v.id",
            rows,
            template=template,
            page_size=1000,
        )


def _advance_many(touches: list[Touch], finished_at: datetime) -> None:
    """``_advance`` for a chunk of sent touches with a bounded number of queries: the next
    step of each enrollment is scheduled in one bulk update. (Projections of the steps after
    it are refreshed when someone looks at the enrollment.)"""
    by_enrollment = {t.enrollment_id: t for t in touches}
    # The dispatcher loaded each touch's next planned step with it; others are looked up.
    next_of: dict[int, Touch] = {
        t.enrollment_id: t._next_step for t in touches if getattr(t, "_next_step", None)
    }
    unknown = [e for e, t in by_enrollment.items() if not hasattr(t, "_next_step")]
    following = (
        Touch.objects.filter(enrollment_id__in=unknown, status=TouchStatus.PLANNED)
        .order_by("enrollment_id", "position")
        .only("pk", "enrollment_id", "position", "day_offset", "offset_from")
        if unknown
        else []
    )
    for t in following:
        sent = by_enrollment[t.enrollment_id]
        if t.position > sent.position and t.enrollment_id not in next_of:
            next_of[t.enrollment_id] = t
    scheduled = []
    for enrollment_id, nxt in next_of.items():
        sent = by_enrollment[enrollment_id]
        enrollment = sent.enrollment
        nxt.due_at = touch_due_after(enrollment, nxt, finished_at, enrollment_recipient(enrollment))
        nxt.status = TouchStatus.SCHEDULED
        scheduled.append(nxt)
    if scheduled:
        _bulk_update(scheduled, ["due_at", "status"])
    for enrollment_id, sent in by_enrollment.items():
        if enrollment_id not in next_of:
            _advance(sent.enrollment, sent, finished_at)  # the last step: rare


def touch_dispatch_due(
    *, max_seconds: float | None = None, batch: int | None = None, now_fn=clock.now
) -> DispatchStats:
    """Claim and send due emails in batches until none is due or the time budget is spent."""
    max_seconds = settings.SDRCRM_DISPATCH_MAX_SECONDS if max_seconds is None else max_seconds
    batch = batch or settings.SDRCRM_DISPATCH_BATCH
    stats = DispatchStats()
    lookups: dict = {}
    started = time_module.monotonic()
    while True:
        # A dead worker's touches come back as soon as their lease runs out, not only when the
        # tick gets its turn: the tick waits in the same queue as these runs, behind them.
        touch_recover_expired_leases(now=now_fn())
        ids = touch_claim_due_emails(now=now_fn(), limit=batch)
        if not ids:
            return stats
        stats.add(touch_send_claimed(ids, now=now_fn(), lookups=lookups))
        if time_module.monotonic() - started > max_seconds:
            return stats


def touch_recover_expired_leases(*, now: datetime | None = None) -> int:
    """Touches left ``sending`` by a worker that died go back to ``scheduled`` once their
    lease has expired; each keeps its idempotency key."""
    now = now or clock.now()
    return Touch.objects.filter(status=TouchStatus.SENDING, lease_until__lt=now).update(
        status=TouchStatus.SCHEDULED, lease_until=None, error="recovered after an expired lease"
    )


def touch_mark_manual_due(*, now: datetime | None = None) -> int:
    """Manual touches whose time has come enter the SDR's queue. Set-based."""
    now = now or clock.now()
    return (
        Touch.objects.filter(
            status=TouchStatus.SCHEDULED,
            due_at__lte=now,
            enrollment__status=EnrollmentStatus.ACTIVE,
        )
        .exclude(channel=Channel.AUTO_EMAIL)
        .update(status=TouchStatus.DUE)
    )


def has_due_emails(now: datetime | None = None) -> bool:
    now = now or clock.now()
    return Touch.objects.filter(
        status=TouchStatus.SCHEDULED,
        channel=Channel.AUTO_EMAIL,
        due_at__lte=now,
        enrollment__status=EnrollmentStatus.ACTIVE,
    ).exists()


def tick(*, now: datetime | None = None) -> dict:
    """The periodic housekeeping. Idempotent; safe to run from two beats at once."""
    now = now or clock.now()
    return {
        "recovered": touch_recover_expired_leases(now=now),
        "manual_due": touch_mark_manual_due(now=now),
        "stopped": enrollment_stop_for_moved_leads(),
        "scrapped": enrollment_scrap_unanswered(now=now),
        "emails_due": has_due_emails(now),
    }


# --- The morning digest -------------------------------------------------------------------


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
                lines += ["", f"Open your day: {settings.SDRCRM_BASE_URL.rstrip('/')}/today/"]
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


# Re-exported for views that catch these.
__all__ = [
    "CadenceError",
    "CadenceInvalid",
    "LeadConflict",
    "LeadForbidden",
    "LeadInvalid",
]
