"""Emails held because the lead has a hard disqualifier (leads.guards; qualification registers
the guard): the SDR scraps the lead (the cadence stops, nothing more goes out) or overrides
(recorded on the timeline; the held emails go out and later ones are not held for it)."""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from leads.guards import contact_blocks
from leads.models import DisqualifyReason, EventKind, LeadState
from leads.services import LeadConflict, TransitionParams, lead_event_record, lead_transition
from sdrcrm import clock

from .. import schedule
from ..context import enrollment_recipient
from ..models import (
    Enrollment,
    EnrollmentStatus,
    HoldReason,
    StopReason,
    Touch,
    TouchStatus,
)
from . import ring
from .enrollment import end_enrollment, lock_on_worked_lead

# The lead's disqualify reason for each hard disqualifier (qualification.scoring.DISQUALIFIERS).
SCRAP_REASONS = {
    "size": DisqualifyReason.TOO_SMALL,
    "industry": DisqualifyReason.WRONG_INDUSTRY,
    "need": DisqualifyReason.NO_NEED,
    "budget": DisqualifyReason.NO_BUDGET,
}


def _lock_held(actor: User, touch_id: int) -> tuple[Enrollment, Touch]:
    """The held touch's enrollment, then the touch, locked (enrollments first, as the
    dispatcher does). NotFound outside the actor's scope, NotAllowed unless they work the lead."""
    enrollment_id = Touch.objects.filter(pk=touch_id).values_list("enrollment_id", flat=True)
    enrollment = lock_on_worked_lead(
        actor,
        Enrollment.objects.select_related("lead", "cadence"),
        enrollment_id.first(),
        _("No such email"),
    )
    touch = Touch.objects.select_for_update().get(pk=touch_id)
    if touch.status != TouchStatus.HELD or touch.hold_reason != HoldReason.DISQUALIFIER:
        raise LeadConflict(_("This email is no longer held for a disqualifier."))
    if enrollment.status not in (EnrollmentStatus.ACTIVE, EnrollmentStatus.PAUSED):
        raise LeadConflict(_("This cadence has already ended."))
    return enrollment, touch


def touch_override_disqualifier(*, actor: User, touch_id: int) -> int:
    """Send despite the hard disqualifier: the enrollment remembers which one was overridden,
    every email of it held for that reason is due at the next sending slot, and the timeline
    says who decided. Returns how many emails were released."""
    now = clock.now()
    with transaction.atomic():
        enrollment, touch = _lock_held(actor, touch_id)
        block = contact_blocks([enrollment.lead_id]).get(enrollment.lead_id)
        enrollment.disqualifier_overridden = block.code if block else ""
        enrollment.save(update_fields=["disqualifier_overridden"])
        due = schedule.next_send_slot(now, enrollment_recipient(enrollment))
        released = Touch.objects.filter(
            enrollment=enrollment, status=TouchStatus.HELD, hold_reason=HoldReason.DISQUALIFIER
        ).update(status=TouchStatus.SCHEDULED, due_at=due, hold_reason="", error="")
        lead_event_record(
            lead=enrollment.lead,
            kind=EventKind.CADENCE,
            actor=actor,
            at=now,
            body=_("%(cadence)s: hard disqualifier overridden, emails sent anyway (%(reason)s)")
            % {"cadence": enrollment.cadence.name, "reason": touch.error},
            payload={
                "enrollment_id": enrollment.pk,
                "action": "override_disqualifier",
                "disqualifier": enrollment.disqualifier_overridden,
            },
        )
    transaction.on_commit(ring.ring_dispatcher)
    return released


def touch_scrap_disqualified(*, actor: User, touch_id: int) -> Enrollment:
    """Scrap the lead for its hard disqualifier: the cadence stops (its held and later emails
    are cancelled) and the lead is disqualified with the matching reason."""
    now = clock.now()
    with transaction.atomic():
        enrollment, touch = _lock_held(actor, touch_id)
        block = contact_blocks([enrollment.lead_id]).get(enrollment.lead_id)
        code = block.code if block else ""
        end_enrollment(
            enrollment, EnrollmentStatus.STOPPED, StopReason.MANUAL, touch.error, actor, now
        )
        if enrollment.lead.state == LeadState.CONTACTING:
            lead_transition(
                actor=actor,
                lead_id=enrollment.lead_id,
                name="disqualify",
                params=TransitionParams(
                    reason=SCRAP_REASONS.get(code, DisqualifyReason.OTHER),
                    note=touch.error,
                    # The disqualifier's reason, even if the team no longer offers it.
                    reason_by_system=True,
                ),
            )
    return enrollment
