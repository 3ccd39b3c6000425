"""TOTP (RFC 6238) for the optional second factor, on pyotp; QR codes as inline SVG (segno),
made on the server, no external service."""

from datetime import datetime

import pyotp
import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import TOTPDevice

# Codes from the step before and after are accepted too (clock drift of up to 30 s).
DRIFT_STEPS = 1


def may_use_two_factor(user) -> bool:
    return user.is_manager or user.is_admin_role


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


def device_confirm(device: TOTPDevice, code: str) -> bool:
    if not code_ok(device, code):
        return False
    TOTPDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
    device.confirmed_at = timezone.now()
    return True


def device_remove(user) -> None:
    TOTPDevice.objects.filter(user=user).delete()
