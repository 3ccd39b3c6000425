"""TOTP (RFC 6238) for the optional second factor, on pyotp; QR codes as inline SVG (segno),
made on the server, no external service."""

from datetime import datetime, timedelta

import pyotp
import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record

from .models import TOTPDevice

# Codes from the step before and after are accepted too (clock drift of up to 30 s).
DRIFT_STEPS = 1


def may_use_two_factor(user) -> bool:
    """The roles that can reach many people's data: managers, admins, privacy officers."""
    return user.is_manager or user.is_admin_role or user.is_privacy_officer


def device_for(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user).first()


def device_start(user) -> TOTPDevice:
    """A fresh unconfirmed secret (replacing an unconfirmed one), or the confirmed device."""
    device = device_for(user)
    if device is not None and device.confirmed_at is not None:
        return device
    if device is None:
        return TOTPDevice.objects.create(user=user, secret=pyotp.random_base32())
    return device


def provisioning_uri(device: TOTPDevice) -> str:
    return pyotp.TOTP(device.secret).provisioning_uri(
        name=device.user.username, issuer_name=settings.SDRCRM_TOTP_ISSUER
    )


def qr_svg(device: TOTPDevice) -> str:
    return segno.make(provisioning_uri(device), error="m").svg_inline(scale=5, border=2)


def code_ok(device: TOTPDevice, code: str, at: datetime | None = None) -> bool:
    """True when ``code`` is the device's code for now (± DRIFT_STEPS) and newer than the last
    code accepted; that step is then used up, so the same code cannot be used twice."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(device.secret)
    at = at or timezone.now()
    now_step = totp.timecode(at)
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if step <= device.last_step or not pyotp.utils.strings_equal(totp.generate_otp(step), code):
            continue
        with transaction.atomic():
            used = TOTPDevice.objects.filter(pk=device.pk, last_step__lt=step).update(
                last_step=step
            )
        if used:
            device.last_step = step
            return True
    return False


class TwoFactorLocked(Exception):
    """Too many wrong codes for this user: no code is checked until ``until``. ``just_now``
    when this very code was the one that locked it."""

    def __init__(self, until: datetime, *, just_now: bool = False):
        super().__init__(f"two-factor locked until {until.isoformat()}")
        self.until = until
        self.just_now = just_now


def code_verify(device: TOTPDevice, code: str, at: datetime | None = None) -> bool:
    """A code typed by a user with two-factor on (at login, or to turn it off).

    Wrong codes are counted per user in the device's row, across logins: at
    SDRCRM_TOTP_FAILURE_LIMIT the code step is locked for SDRCRM_TOTP_LOCKOUT_MINUTES (written
    to the audit log), and while locked every code, the right one too, is refused unchecked
    (TwoFactorLocked). A right code resets the count. The row is locked while a code is
    checked, so codes sent at the same moment are counted one after the other."""
    at = at or timezone.now()
    locked = None
    with transaction.atomic():
        row = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if row.locked_until is not None and row.locked_until > at:
            locked = TwoFactorLocked(row.locked_until)
        elif code_ok(row, code, at):
            device.last_step = row.last_step
            if row.failed_codes or row.locked_until:
                row.failed_codes, row.locked_until = 0, None
                row.save(update_fields=["failed_codes", "locked_until"])
            return True
        else:
            row.failed_codes += 1
            fields = ["failed_codes"]
            if row.failed_codes >= settings.SDRCRM_TOTP_FAILURE_LIMIT:
                row.failed_codes = 0
                row.locked_until = at + timedelta(minutes=settings.SDRCRM_TOTP_LOCKOUT_MINUTES)
                fields.append("locked_until")
                audit_record(
                    actor=row.user,
                    target=row.user,
                    action="two_factor_locked",
                    changes={"locked_until": (None, row.locked_until.isoformat())},
                )
                locked = TwoFactorLocked(row.locked_until, just_now=True)
            row.save(update_fields=fields)
    device.failed_codes, device.locked_until = row.failed_codes, row.locked_until
    if locked is not None:
        raise locked
    return False


def device_confirm(device: TOTPDevice, code: str) -> bool:
    if not code_ok(device, code):
        return False
    TOTPDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
    device.confirmed_at = timezone.now()
    return True


def device_remove(user) -> None:
    TOTPDevice.objects.filter(user=user).delete()
