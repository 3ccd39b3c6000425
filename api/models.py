"""API tokens, inbound webhook bookkeeping and outgoing webhook subscriptions and deliveries.

``leads`` knows nothing of this app: outgoing webhooks read the lead timeline (an outbox) past a
stored cursor and turn each transition that matters into one delivery row per subscription.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 of the token is stored (the token is 190 random
    bits, so a fast hash is enough); the token itself is shown once, when it is created."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12, unique=True, help_text="Shown to tell tokens apart")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"], name="apitoken_user_created")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class InboundSecret(models.Model):
    """The shared secret a team's outside tools sign generic inbound webhooks with."""

    team = models.OneToOneField(
        "accounts.Team", on_delete=models.CASCADE, related_name="inbound_secret"
    )
    secret = models.CharField(max_length=80)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Inbound secret of {self.team}"


class ProcessedEvent(models.Model):
    """One row per inbound event id, per source: the unique constraint makes a repeated
    delivery of the same event a no-op (the first transaction to insert it wins)."""

    source = models.CharField(max_length=40, help_text="'generic:<team id>' or 'anymail:<esp>'")
    event_id = models.CharField(max_length=200)
    kind = models.CharField(max_length=30)
    received_at = models.DateTimeField(default=timezone.now)
    result = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "event_id"], name="processed_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.event_id}"


class WebhookEvent(models.TextChoices):
    QUALIFIED = "lead.qualified", _("Lead qualified")
    HANDED_OFF = "lead.handed_off", _("Lead handed off")
    ACCEPTED = "lead.accepted", _("Lead accepted")
    DISQUALIFIED = "lead.disqualified", _("Lead disqualified")


# The lead state a transition event must reach to become each outgoing event.
EVENT_FOR_STATE = {
    "qualified": WebhookEvent.QUALIFIED,
    "handed_off": WebhookEvent.HANDED_OFF,
    "accepted": WebhookEvent.ACCEPTED,
    "disqualified": WebhookEvent.DISQUALIFIED,
}


class WebhookSubscription(models.Model):
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list, help_text="WebhookEvent values")
    secret = models.CharField(max_length=80)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["team", "is_active"], name="webhooksub_team_active")]

    def __str__(self) -> str:
        return self.url


class OutboxCursor(models.Model):
    """How far the outbox has read the lead timeline (one row per reader)."""

    name = models.CharField(max_length=40, primary_key=True)
    last_event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name} at event {self.last_event_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One outgoing POST of one event to one subscription; the database is its record.
    ``next_attempt_at`` says when it may be (re)tried; a worker claims it with SKIP LOCKED."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    lead_event = models.ForeignKey("leads.LeadEvent", on_delete=models.PROTECT, related_name="+")
    lead_id = models.BigIntegerField()
    event_type = models.CharField(max_length=30, choices=WebhookEvent.choices)
    payload = models.JSONField()
    status = models.CharField(
        max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "lead_event"], name="webhook_delivery_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="webhookdelivery_due",
                condition=Q(status="pending"),
            ),
            models.Index(
                fields=["lease_until"],
                name="webhookdelivery_sending",
                condition=Q(status="sending"),
            ),
            models.Index(fields=["subscription", "-created_at"], name="webhookdelivery_sub_time"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.subscription_id} ({self.status})"
