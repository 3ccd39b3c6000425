from django.conf import settings
from django.db import models
from django.utils import timezone


class TOTPDevice(models.Model):
    """A user's authenticator app (RFC 6238 TOTP). Confirmed once the user typed a code from
    it; from then on every login asks for a code."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_device"
    )
    secret = models.CharField(max_length=64)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The time step of the last code accepted: a code is good once (no replay).
    last_step = models.BigIntegerField(default=0)
    # Wrong codes typed since the last right one, whatever the login they came in (changed only
    # under the row's lock: security.totp.code_verify). At SDRCRM_TOTP_FAILURE_LIMIT the code
    # step is locked until ``locked_until`` and the count starts again.
    failed_codes = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"TOTP of {self.user}"
