"""Who hears about a hand-off and its answer (the notifications app stores and emails them)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from leads.models import EventKind, LeadEvent
from notifications.models import Notification, NotificationKind
from notifications.services import lead_name, notifications_create_once
from sdrcrm.i18n import user_language

_RELATED = (
    "lead__prospect__company",
    "lead__owner__team",
    "lead__assigned_ae__team",
    "actor",
)


def _last_transition_events(lead_id: int, n: int) -> list[LeadEvent]:
    return list(
        LeadEvent.objects.filter(lead_id=lead_id, kind=EventKind.TRANSITION)
        .select_related(*_RELATED)
        .order_by("-created_at", "-id")[:n]
    )


def _who(event: LeadEvent) -> str:
    return str(event.actor) if event.actor else _("The system")


def _notification_for(event: LeadEvent) -> list[Notification]:
    """Who hears about a timeline event: the AE of a hand-off, the SDR of an accept or
    reject. Other events notify nobody."""
    lead = event.lead
    name = lead_name(lead)
    transition = (event.payload or {}).get("transition")
    if transition == "hand_off":
        ae_id = event.payload.get("ae_id")
        if not ae_id or ae_id == event.actor_id:
            return []
        ae = lead.assigned_ae if lead.assigned_ae_id == ae_id else None
        if ae is None:
            ae = User.objects.select_related("team").filter(pk=ae_id).first()
        # Written in the recipient's language: the title is stored and emailed as it is.
        with translation.override(user_language(ae) if ae else None):
            title = _("%(who)s handed you a lead: %(lead)s") % {
                "who": _who(event),
                "lead": name,
            }
        return [
            Notification(
                user_id=ae_id,
                lead=lead,
                event=event,
                kind=NotificationKind.HANDOFF,
                title=title,
                body=event.body,
                created_at=event.created_at,
            )
        ]
    if transition in ("accept", "reject") and lead.owner_id and lead.owner_id != event.actor_id:
        accepted = transition == "accept"
        with translation.override(user_language(lead.owner)):
            words = {"who": _who(event), "lead": name}
            if accepted:
                title, body = _("%(who)s accepted your lead %(lead)s") % words, ""
            else:
                title = _("%(who)s rejected your lead %(lead)s") % words
                body = _("Reason: %(reason)s") % {"reason": event.body}
        return [
            Notification(
                user_id=lead.owner_id,
                lead=lead,
                event=event,
                kind=NotificationKind.ACCEPTED if accepted else NotificationKind.REJECTED,
                title=title,
                body=body,
                created_at=event.created_at,
            )
        ]
    return []


def notifications_for_events(events: list[LeadEvent]) -> list[Notification]:
    """Create the notifications these events call for (at most once per person and event)
    and email them after commit."""
    return notifications_create_once([n for event in events for n in _notification_for(event)])


def notifications_sweep(*, since: timedelta = timedelta(hours=24)) -> int:
    """Notify about hand-offs, accepts and rejects made anywhere (the lead page's buttons
    too) that nobody was told about yet. Periodic and idempotent."""
    now = timezone.now()
    notified = Notification.objects.filter(event_id=OuterRef("pk"))
    events = list(
        LeadEvent.objects.filter(
            kind=EventKind.TRANSITION,
            created_at__gte=now - since,
            payload__transition__in=["hand_off", "accept", "reject"],
        )
        .exclude(Exists(notified))
        .select_related(*_RELATED)
        .order_by("created_at", "id")[:1000]
    )
    with transaction.atomic():
        return len(notifications_for_events(events))
