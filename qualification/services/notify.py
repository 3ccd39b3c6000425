"""Who hears about a hand-off and its answer (the notifications app stores and emails them)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from leads.models import EventKind, LeadEvent
from notifications.models import Notification, NotificationKind
from notifications.services import lead_name, notifications_create_once


def _last_transition_events(lead_id: int, n: int) -> list[LeadEvent]:
    return list(
        LeadEvent.objects.filter(lead_id=lead_id, kind=EventKind.TRANSITION)
        .select_related("lead__prospect__company", "lead__owner", "lead__assigned_ae", "actor")
        .order_by("-created_at", "-id")[:n]
    )


def _notification_for(event: LeadEvent) -> list[Notification]:
    """Who hears about a timeline event: the AE of a hand-off, the SDR of an accept or
    reject. Other events notify nobody."""
    lead = event.lead
    name = lead_name(lead)
    who = str(event.actor) if event.actor else "The system"
    transition = (event.payload or {}).get("transition")
    if transition == "hand_off":
        ae_id = event.payload.get("ae_id")
        if not ae_id or ae_id == event.actor_id:
            return []
        return [
            Notification(
                user_id=ae_id,
                lead=lead,
                event=event,
                kind=NotificationKind.HANDOFF,
                title=f"{who} handed you a lead: {name}",
                body=event.body,
                created_at=event.created_at,
            )
        ]
    if transition in ("accept", "reject") and lead.owner_id and lead.owner_id != event.actor_id:
        accepted = transition == "accept"
        return [
            Notification(
                user_id=lead.owner_id,
                lead=lead,
                event=event,
                kind=NotificationKind.ACCEPTED if accepted else NotificationKind.REJECTED,
                title=f"{who} {'accepted' if accepted else 'rejected'} your lead {name}",
                body="" if accepted else f"Reason: {event.body}",
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
        .select_related("lead__prospect__company", "lead__owner", "actor")
        .order_by("created_at", "id")[:1000]
    )
    with transaction.atomic():
        return len(notifications_for_events(events))
