"""Writes: a manager leaves feedback, the SDR acknowledges it."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from leads.models import EventKind, Lead, LeadEvent
from leads.selectors import lead_scope
from leads.services import LeadForbidden, LeadInvalid
from sdrcrm.errors import NotFound
from sdrcrm.money import format_amount

from .models import Feedback, FeedbackKind

# Timeline entries a manager can coach on: the SDR's calls, emails, LinkedIn touches and tasks,
# and notes.
COACHABLE_KINDS = (EventKind.CALL, EventKind.EMAIL, EventKind.TASK, EventKind.NOTE)
MAX_BODY = 5_000


def user_coaches(user: User) -> bool:
    return user.is_manager or user.is_admin_role


def feedback_create(
    *, actor: User, lead_id: int, kind: str, body: str, event_id: int | None = None
) -> Feedback:
    """Praise or advice from a manager on one of the lead's timeline entries (a call, an
    email…) or on the lead as a whole. It goes to the SDR who did it: the entry's author if an
    SDR/BDR, else the lead's owner."""
    if not user_coaches(actor):
        raise LeadForbidden(_("Only managers leave coaching feedback."))
    if kind not in FeedbackKind.values:
        raise LeadInvalid(_("Choose praise or advice."), field="kind")
    body = body.strip()
    if not body:
        raise LeadInvalid(_("Write the feedback."), field="body")
    if len(body) > MAX_BODY:
        raise LeadInvalid(
            _("Feedback is at most %(n)s characters.") % {"n": format_amount(MAX_BODY)},
            field="body",
        )
    with transaction.atomic():
        try:
            lead = lead_scope(actor).select_related("owner").get(pk=lead_id)
        except (Lead.DoesNotExist, ValueError, TypeError):
            raise NotFound(_("No such lead")) from None
        event = None
        if event_id is not None:
            event = (
                LeadEvent.objects.filter(lead=lead, pk=event_id, kind__in=COACHABLE_KINDS)
                .select_related("actor")
                .first()
            )
            if event is None:
                raise LeadInvalid(_("Choose a call, email or task of this lead."), field="event")
        sdr = event.actor if event is not None and event.actor is not None else None
        if sdr is None or not sdr.is_prospector:
            sdr = lead.owner
        if sdr is None or not sdr.is_prospector:
            raise LeadInvalid(_("This lead has no SDR to give feedback to."))
        return Feedback.objects.create(
            team_id=lead.team_id,
            lead=lead,
            event=event,
            author=actor,
            sdr=sdr,
            kind=kind,
            body=body,
            created_at=timezone.now(),
        )


def feedback_acknowledge(*, actor: User, feedback_id: int) -> Feedback:
    """The SDR says they have read it. Only the SDR it is for; a second click changes nothing."""
    with transaction.atomic():
        feedback = Feedback.objects.select_for_update().filter(pk=feedback_id).first()
        if feedback is None or feedback.sdr_id != actor.pk:
            raise NotFound(_("No such feedback"))
        if feedback.acknowledged_at is None:
            feedback.acknowledged_at = timezone.now()
            feedback.save(update_fields=["acknowledged_at"])
    return feedback
