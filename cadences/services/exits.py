"""Exit rules: what ends an enrollment besides its last step (a reply, a bounce, an
unsubscribe, an erasure, the lead moving on, no answer to the break-up email)."""

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from leads.models import DisqualifyReason, EventKind, Lead, LeadState, Prospect
from leads.normalize import normalize_email
from leads.selectors import lead_scope
from leads.services import (
    LeadForbidden,
    TransitionParams,
    lead_event_record,
    lead_transition,
    user_works_lead,
)
from notifications.models import Notification, NotificationKind
from notifications.services import lead_name, notifications_create_once
from sdrcrm import clock
from sdrcrm.errors import NotFound
from suppression.models import Suppression
from suppression.services import suppression_add

from ..models import (
    Enrollment,
    EnrollmentStatus,
    StopReason,
)
from .enrollment import end_enrollment


def _active_enrollments_for_lead(lead_id: int):
    return (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("lead", "cadence")
        .filter(lead_id=lead_id, status__in=[EnrollmentStatus.ACTIVE, EnrollmentStatus.PAUSED])
    )


def lead_record_reply(
    *,
    lead_id: int,
    actor: User | None = None,
    body: str = "",
    source: str = "marked by the SDR",
    payload: dict | None = None,
) -> Lead:
    """The prospect answered: the cadence stops and the lead moves to engaged.
    ``actor=None`` is the system (a provider's webhook, the SDR's mailbox): the lead's SDR is
    then notified. ``payload`` adds to the timeline entry's. Idempotent: a second reply
    changes nothing more."""
    now = clock.now()
    with transaction.atomic():
        scope = Lead.objects.all() if actor is None else lead_scope(actor)
        try:
            lead = scope.get(pk=lead_id)
        except (Lead.DoesNotExist, ValueError, TypeError):
            raise NotFound("No such lead") from None
        if actor is not None and not user_works_lead(actor, lead):
            raise LeadForbidden(_("Only the lead's SDR or a manager of its team can do this."))
        # Lock order: the lead's enrollments, then the lead. The dispatcher holds the
        # enrollment locks of a chunk while it sends it (and takes key-share locks on leads for
        # the timeline), so locking the lead first could deadlock with it.
        enrollments = list(_active_enrollments_for_lead(lead.pk))
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        event = lead_event_record(
            lead=lead,
            kind=EventKind.REPLY,
            actor=actor,
            at=now,
            body=body.strip(),
            payload={**(payload or {}), "source": source},
        )
        for enrollment in enrollments:
            end_enrollment(enrollment, EnrollmentStatus.STOPPED, StopReason.REPLIED, "", actor, now)
        if actor is None:
            notify_reply(lead, event, _("%(name)s replied") % {"name": lead_name(lead)})
        if lead.state in (LeadState.RESEARCHING, LeadState.CONTACTING):
            lead = lead_transition(
                actor=actor, lead_id=lead.pk, name="engage", system_actor_ok=actor is None
            )
    return lead


def lead_record_colleague_reply(*, lead_id: int, body: str = "", payload: dict | None = None):
    """Someone else at the prospect's company answered (read from the SDR's mailbox): the
    cadences that ask for it (``Cadence.stop_on_colleague_reply``) stop, and the SDR is told.
    The lead stays where it is: whether the company is engaged is the SDR's call. Returns how
    many enrollments stopped."""
    now = clock.now()
    with transaction.atomic():
        enrollments = [
            e for e in _active_enrollments_for_lead(lead_id) if e.cadence.stop_on_colleague_reply
        ]
        try:
            lead = Lead.objects.select_for_update().get(pk=lead_id)
        except (Lead.DoesNotExist, ValueError, TypeError):
            raise NotFound("No such lead") from None
        event = lead_event_record(
            lead=lead,
            kind=EventKind.REPLY,
            actor=None,
            at=now,
            body=body.strip(),
            payload={**(payload or {}), "source": "mailbox", "colleague": True},
        )
        for enrollment in enrollments:
            end_enrollment(
                enrollment, EnrollmentStatus.STOPPED, StopReason.COLLEAGUE_REPLIED, "", None, now
            )
        notify_reply(lead, event, _("Someone else at %(name)s replied") % {"name": lead_name(lead)})
    return len(enrollments)


def notify_reply(lead: Lead, event, title: str) -> None:
    """Tell the lead's SDR of a reply the system found (once per timeline entry)."""
    if lead.owner_id is None:
        return
    notifications_create_once(
        [
            Notification(
                user_id=lead.owner_id,
                lead=lead,
                kind=NotificationKind.REPLY,
                event=event,
                title=title[:200],
                body=event.body[:2000],
            )
        ]
    )


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
            end_enrollment(enrollment, EnrollmentStatus.STOPPED, stop_reason, note, None, now)
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
            end_enrollment(
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
            end_enrollment(
                enrollment, EnrollmentStatus.COMPLETED, StopReason.NO_RESPONSE, "", None, now
            )
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
