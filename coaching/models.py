"""Coaching feedback: a manager's praise or advice on an SDR's call, email or lead."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FeedbackKind(models.TextChoices):
    PRAISE = "praise", _("Praise")
    ADVICE = "advice", _("Advice")


class Feedback(models.Model):
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    lead = models.ForeignKey("leads.Lead", on_delete=models.PROTECT, related_name="+")
    event = models.ForeignKey(
        "leads.LeadEvent",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The call, email or task on the timeline; empty for the lead as a whole"),
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sdr = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="feedback_received"
    )
    kind = models.CharField(max_length=10, choices=FeedbackKind.choices)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["sdr", "-created_at"], name="feedback_sdr_time"),
            models.Index(fields=["lead", "-created_at"], name="feedback_lead_time"),
            models.Index(fields=["team", "-created_at"], name="feedback_team_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.sdr_id} on lead {self.lead_id}"
