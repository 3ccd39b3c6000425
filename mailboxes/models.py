"""An SDR's own mailbox: where their cadence emails leave from and where replies, out-of-office
answers and bounces are read (issue 19).

A mailbox belongs to one user (an SDR, a BDR or an AE) and to their team: a team is a workspace.
Its password or OAuth tokens are stored encrypted (``mailboxes.crypto``), never shown again.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuthKind(models.TextChoices):
    PASSWORD = "password", _("Password or app password")
    GOOGLE = "google", _("Google Workspace (OAuth)")
    MICROSOFT = "microsoft", _("Microsoft 365 (OAuth)")


OAUTH_KINDS = (AuthKind.GOOGLE, AuthKind.MICROSOFT)


class TransportSecurity(models.TextChoices):
    TLS = "tls", _("TLS")  # implicit TLS: IMAP 993, SMTP 465
    STARTTLS = "starttls", _("STARTTLS")  # IMAP 143, SMTP submission 587
    # A local server on the same machine only (the test suite's Dovecot): refused otherwise.
    NONE = "none", _("None (a server on this machine only)")


class MailboxStatus(models.TextChoices):
    CONNECTED = "connected", _("Connected")
    # It stopped working (expired token, revoked password): its sends wait, nothing is lost.
    FAILING = "failing", _("Not working: sends are held")
    DISCONNECTED = "disconnected", _("Disconnected")


class OAuthClient(models.Model):
    """The OAuth 2.0 app an admin registered at Google or Microsoft (docs/mailboxes.md)."""

    provider = models.CharField(
        max_length=16,
        unique=True,
        choices=[
            (AuthKind.GOOGLE.value, AuthKind.GOOGLE.label),
            (AuthKind.MICROSOFT.value, AuthKind.MICROSOFT.label),
        ],
    )
    client_id = models.CharField(max_length=255)
    client_secret = models.TextField(blank=True, help_text=_("Stored encrypted"))
    # Microsoft's tenant ("organizations" for any work account, or the tenant's id).
    tenant = models.CharField(max_length=100, blank=True, default="organizations")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.get_provider_display()} ({self.client_id})"


class Mailbox(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mailbox"
    )
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="mailboxes")
    email = models.EmailField(max_length=254, help_text=_("The address the emails are sent from"))
    auth_kind = models.CharField(max_length=16, choices=AuthKind.choices)
    username = models.CharField(max_length=254)

    imap_host = models.CharField(max_length=253)
    imap_port = models.PositiveIntegerField(default=993)
    imap_security = models.CharField(
        max_length=10, choices=TransportSecurity.choices, default=TransportSecurity.TLS
    )
    smtp_host = models.CharField(max_length=253)
    smtp_port = models.PositiveIntegerField(default=587)
    smtp_security = models.CharField(
        max_length=10, choices=TransportSecurity.choices, default=TransportSecurity.STARTTLS
    )

    # Encrypted (mailboxes.crypto): the password, or the OAuth tokens.
    secret = models.TextField(blank=True)
    access_token = models.TextField(blank=True)
    refresh_token = models.TextField(blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)

    # The Sent folder (found by its SPECIAL-USE \Sent flag when connecting), and whether the
    # server files a copy of what is submitted there itself (Gmail and Microsoft 365 do).
    sent_folder = models.CharField(max_length=200, blank=True)
    server_saves_sent = models.BooleanField(default=False)

    status = models.CharField(
        max_length=16, choices=MailboxStatus.choices, default=MailboxStatus.CONNECTED
    )
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    connected_at = models.DateTimeField(default=timezone.now)  # the ramp-up counts from here
    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_send_at = models.DateTimeField(null=True, blank=True)

    # Sending limits across all cadences (docs/mailboxes.md gives the providers' limits).
    daily_cap = models.PositiveIntegerField(default=200)
    hourly_cap = models.PositiveIntegerField(default=40)
    min_gap_seconds = models.PositiveIntegerField(default=60)
    jitter_seconds = models.PositiveIntegerField(default=60)
    ramp_start_cap = models.PositiveIntegerField(default=20)
    ramp_days = models.PositiveSmallIntegerField(default=21)
    # Pacing: the earliest moment the next email may leave (last send + gap + jitter).
    next_send_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["team", "status"], name="mailbox_team_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(imap_port__gte=1, imap_port__lte=65535)
                & Q(smtp_port__gte=1, smtp_port__lte=65535),
                name="mailbox_ports_in_range",
            )
        ]

    def __str__(self) -> str:
        return self.email


class MailboxSendCounter(models.Model):
    """Emails sent from one mailbox in one hour (UTC, truncated): the hourly cap, and summed
    over a day the daily cap. Reserved atomically, so two dispatchers never overshoot."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()
    sent = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mailbox", "hour"], name="mailboxsendcounter_hour")
        ]

    def __str__(self) -> str:
        return f"{self.mailbox_id} at {self.hour}: {self.sent}"
