"""A message to one user about a lead (a hand-off, its answer, an escalation, an inbound lead),
shown on the notifications page and emailed once. The apps that notify decide who hears what;
this app stores, lists and emails."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    HANDOFF = "handoff", _("Lead handed off to you")
    ACCEPTED = "accepted", _("Lead accepted")
    REJECTED = "rejected", _("Lead rejected")
    ESCALATED = "escalated", _("Hand-off escalated")
    INBOUND = "inbound", _("Inbound lead")
    MAILBOX = "mailbox", _("Mailbox not working")  # no lead: about the user's own mailbox
    # A reply found by the system (the SDR's mailbox, an email provider's webhook).
    REPLY = "reply", _("Reply to your cadence")


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    # The timeline event it tells about (hand-off, accept, reject): at most one notification
    # per person and event, so the sweep that catches changes made elsewhere never doubles one.
    event = models.ForeignKey(
        "leads.LeadEvent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="notification_user_time"),
            models.Index(
                fields=["user"], name="notification_unread", condition=Q(read_at__isnull=True)
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "event"],
                name="notification_once_per_event",
                condition=Q(event__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return self.title
