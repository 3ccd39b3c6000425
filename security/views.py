"""Two-factor pages: enrol an authenticator (managers and admins), remove it, and the code
step after the password at login."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from audit.services import audit_record

from . import totp
from .middleware import VERIFIED


def _locked_message(locked: totp.TwoFactorLocked) -> str:
    return _(
        "Too many wrong codes for this account: codes are not accepted until %(time)s "
        "(%(minutes)s minutes after the last wrong one). Try again then."
    ) % {
        "time": timezone.localtime(locked.until).strftime("%H:%M"),
        "minutes": settings.SDRCRM_TOTP_LOCKOUT_MINUTES,
    }


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


@require_http_methods(["GET", "POST"])
def two_factor(request):
    """Enrol: a QR code and the secret; confirming with a code turns it on."""
    user = request.user
    if not totp.may_use_two_factor(user):
        raise PermissionDenied
    device = totp.device_start(user)
    error = ""
    if request.method == "POST" and device.confirmed_at is None:
        if totp.device_confirm(device, request.POST.get("code", "")):
            request.session[VERIFIED] = True
            audit_record(actor=user, target=user, action="two_factor_on", changes={})
            messages.success(request, _("Two-factor authentication is on."))
            return redirect("security:two_factor")
        error = _("That code is not right. Type the 6 digits your app shows now.")
    context = {"device": device, "error": error}
    if device.confirmed_at is None:
        context["qr_svg"] = mark_safe(totp.qr_svg(device))  # noqa: S308 (made by segno)
        context["secret"] = device.secret
    return render(request, "security/two_factor.html", context)


@require_POST
def two_factor_remove(request):
    user = request.user
    if not totp.may_use_two_factor(user):
        raise PermissionDenied
    device = totp.device_for(user)
    if device is not None and device.confirmed_at is not None:
        try:
            right = totp.code_verify(device, request.POST.get("code", ""))
        except totp.TwoFactorLocked as locked:
            messages.error(request, _locked_message(locked))
            return redirect("security:two_factor")
        if not right:
            messages.error(request, _("That code is not right: two-factor stays on."))
            return redirect("security:two_factor")
        audit_record(actor=user, target=user, action="two_factor_off", changes={})
    totp.device_remove(user)
    messages.success(request, _("Two-factor authentication is off."))
    return redirect("security:two_factor")


@require_http_methods(["GET", "POST"])
def verify(request):
    """After the password: the code from the authenticator app."""
    if request.session.get(VERIFIED) is not False:
        return redirect(_next(request))
    device = totp.device_for(request.user)
    error, status = "", 200
    locked_until = device.locked_until if device is not None else None
    if request.method == "GET" and locked_until and locked_until > timezone.now():
        # Said before a code is typed (a code sent anyway is refused by code_verify).
        error = _locked_message(totp.TwoFactorLocked(locked_until))
    if request.method == "POST":
        try:
            right = device is not None and totp.code_verify(device, request.POST.get("code", ""))
        except totp.TwoFactorLocked as locked:
            if locked.just_now:  # this login is over; the next one finds the lock
                logout(request)
                messages.error(request, _locked_message(locked))
                return redirect("login")
            right, error, status = False, _locked_message(locked), 429
        if right:
            request.session[VERIFIED] = True
            request.session.cycle_key()
            return redirect(_next(request))
        error = error or _("That code is not right. Type the 6 digits your app shows now.")
    return render(
        request, "security/verify.html", {"error": error, "next": _next(request)}, status=status
    )


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out login (AXES_LOCKOUT_CALLABLE): 429 and a page."""
    minutes = round(settings.AXES_COOLOFF_TIME * 60)
    return render(
        request,
        "security/locked_out.html",
        {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes},
        status=429,
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, written to the audit log."""

    template_name = "accounts/password_change.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        audit_record(
            actor=self.request.user,
            target=self.request.user,
            action="password_change",
            changes={"password": (None, None)},
        )
        return response
