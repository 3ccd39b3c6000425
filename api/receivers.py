"""django-anymail announces provider webhooks through signals: these receivers only turn its
normalised events into ``services.inbound_event_process`` calls (interface layer)."""

import hashlib

from anymail.signals import EventType, inbound, tracking
from django.dispatch import receiver

from . import services

TRACKING_KINDS = {
    EventType.DELIVERED: "delivered",
    EventType.BOUNCED: "bounce",
    EventType.REJECTED: "bounce",
    EventType.COMPLAINED: "complaint",
    EventType.UNSUBSCRIBED: "unsubscribe",
}


def _event_id(event, fallback: str) -> str:
    if event.event_id:
        return str(event.event_id)[:200]
    return "sha256:" + hashlib.sha256(fallback.encode()).hexdigest()


@receiver(tracking, dispatch_uid="api.anymail_tracking")
def anymail_tracking(sender, event, esp_name, **kwargs):
    kind = TRACKING_KINDS.get(event.event_type)
    if kind is None:  # opened, clicked, queued, …: nothing to do
        return
    source = f"anymail:{esp_name}".lower()[:40]
    fallback = f"{event.event_type}|{event.message_id}|{event.recipient}|{event.timestamp}"
    services.inbound_event_process(
        services.InboundEvent(
            source=source,
            event_id=_event_id(event, fallback),
            kind=kind,
            email=event.recipient or "",
        )
    )


@receiver(inbound, dispatch_uid="api.anymail_inbound")
def anymail_inbound(sender, event, esp_name, **kwargs):
    message = event.message
    sender_email = message.from_email.addr_spec if message and message.from_email else ""
    message_id = (message.get("Message-ID") if message else "") or ""
    source = f"anymail:{esp_name}".lower()[:40]
    fallback = f"inbound|{message_id}|{sender_email}|{event.timestamp}"
    services.inbound_event_process(
        services.InboundEvent(
            source=source,
            event_id=_event_id(event, message_id or fallback),
            kind="reply",
            email=sender_email,
            body=(message.text or "") if message else "",
        )
    )
