"""Notifications: who hears about a hand-off and its answer, and the e-mail copy."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import User
from leads.models import (
    EventKind,
    Lead,
    LeadEvent,
)
from sdrcrm.tasks import enqueue_on_commit

from ..models import (
    Notification,
    NotificationKind,
)


def _last_transition_events(lead_id: int, n: int) -> list[LeadEvent]:
    return list(
        LeadEvent.objects.filter(lead_id=lead_id, kind=EventKind.TRANSITION)
        .select_related("lead__prospect__company", "lead__owner", "lead__assigned_ae", "actor")
        .order_by("-created_at", "-id")[:n]
    )


def _lead_name(lead: Lead) -> str:
    prospect = lead.prospect
    company = prospect.company
    return prospect.full_name + (f" ({company.name})" if company else "")


def _path(lead: Lead) -> str:
    return f"/leads/{lead.pk}/"


def _notification_for(event: LeadEvent) -> list[Notification]:
    """Who hears about a timeline event: the AE of a hand-off, the SDR of an accept or
    reject. Other events notify nobody."""
    lead = event.lead
    name = _lead_name(lead)
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


def _email_after_commit(notifications: list[Notification]) -> None:
    for n in notifications:
        if n.pk:
            enqueue_on_commit("qualification.notification_email_task", n.pk, robust=True)


def notify_inbound(*, lead: Lead, form_name: str, message: str, again: bool) -> Notification | None:
    """Tell the lead's SDR at once that a web form brought them a lead (or that a prospect of
    theirs submitted again): speed to lead starts at the capture. In the caller's transaction;
    the email goes after commit. None when the lead has no owner (no active SDR)."""
    if lead.owner_id is None:
        return None
    name = _lead_name(lead)
    title = (
        f"{name} submitted the web form “{form_name}” again"
        if again
        else f"New inbound lead for you: {name}"
    )
    note = Notification.objects.create(
        user_id=lead.owner_id,
        lead=lead,
        kind=NotificationKind.INBOUND,
        title=title[:200],
        body=message or f"From the web form “{form_name}”.",
    )
    _email_after_commit([note])
    return note


def notifications_for_events(events: list[LeadEvent]) -> list[Notification]:
    """Create the notifications these events call for (at most once per person and event)
    and email them after commit."""
    created = []
    for event in events:
        for n in _notification_for(event):
            try:
                with transaction.atomic():
                    n.save()
            except IntegrityError:  # already notified (the sweep and the service met)
                continue
            created.append(n)
    _email_after_commit(created)
    return created


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


def notifications_mark_read(*, actor: User, ids: list[int] | None = None) -> int:
    qs = Notification.objects.filter(user=actor, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


def notification_email_send(*, notification_id: int) -> bool:
    """Email one notification through Django's email backend, once. Returns whether it
    was sent now."""
    with transaction.atomic():
        n = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("user", "lead")
            .filter(pk=notification_id)
            .first()
        )
        if n is None or n.emailed_at is not None or not n.user.email:
            return False
        base = settings.SDRCRM_BASE_URL.rstrip("/")
        link = f"{base}{_path(n.lead)}" if n.lead_id else ""
        body = "\n\n".join(part for part in (n.body, link and f"Open the lead: {link}") if part)
        send_mail(n.title, body or n.title, None, [n.user.email])
        n.emailed_at = timezone.now()
        n.save(update_fields=["emailed_at"])
    return True
