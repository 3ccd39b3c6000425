"""Feeds the suppression list from an email provider's tracking webhooks (django-anymail):
hard bounces, spam complaints and unsubscribes reported by the provider. anymail announces
them only through its ``tracking`` signal, so this is a receiver (privacy.apps)."""

import logging

from anymail.signals import EventType

from cadences.services import (
    email_record_bounce,
    email_record_complaint,
    email_record_unsubscribe,
)

log = logging.getLogger(__name__)

RECORD = {
    EventType.BOUNCED: email_record_bounce,  # anymail: permanent failure (soft ones: DEFERRED)
    EventType.COMPLAINED: email_record_complaint,
    EventType.UNSUBSCRIBED: email_record_unsubscribe,
}


def on_tracking(sender, event, esp_name, **kwargs) -> None:
    record = RECORD.get(event.event_type)
    if record is None or not event.recipient:
        return
    stopped = record(email=event.recipient, note=f"{esp_name} {event.event_type}")
    log.info("%s %s: %d cadences stopped", esp_name, event.event_type, stopped)
