"""The suppression list: addresses and whole domains never emailed, whoever's lead they are on
(organisation-wide). An address is kept as a hash too, so it still counts once the person was
erased."""

import hashlib

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def email_hash(email: str) -> str:
    """SHA-256 of a normalised address: how a suppression is kept after the address itself
    was erased, so a re-import of the same person is still never emailed."""
    normal = (email or "").strip().lower()
    return hashlib.sha256(f"sdrcrm-suppression:{normal}".encode()).hexdigest()


def email_domain(email: str) -> str:
    return (email or "").strip().lower().rpartition("@")[2]


class Suppression(models.Model):
    """Never email again: an address (unsubscribed, bounced, complained, erased, by hand) or a
    whole domain. An address is matched by its hash, so it still counts once erased."""

    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        BOUNCED = "bounced", _("Bounced")
        COMPLAINED = "complained", _("Complained")
        MANUAL = "manual", _("Added by hand")
        ERASED = "erased", _("Personal data erased")

    # An address entry: email_hash always, email until the person is erased.
    email = models.EmailField(max_length=254, unique=True, null=True, blank=True)
    email_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    # A domain entry: every address at the domain (lower case, e.g. "example.com").
    domain = models.CharField(max_length=253, unique=True, null=True, blank=True)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(email_hash__isnull=False, domain__isnull=True)
                    | models.Q(email_hash__isnull=True, email__isnull=True, domain__isnull=False)
                ),
                name="suppression_address_or_domain",
            )
        ]

    def __str__(self) -> str:
        return self.email or self.domain or f"erased address {self.email_hash[:12]}…"

    def save(self, *args, **kwargs):
        if self.email:
            self.email = self.email.strip().lower()
            self.email_hash = email_hash(self.email)
        if self.domain:
            self.domain = self.domain.strip().lower().lstrip("@")
        super().save(*args, **kwargs)
