"""The Mailbox page (an SDR's, BDR's or AE's own mailbox: its health, connecting it with a
password or by signing in to Google or Microsoft, testing, disconnecting, its sending
limits) and the team's mailboxes page (a manager: their team's mailboxes' health and where
the team's emails leave from; an admin: every team's)."""

import re

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sdrcrm.errors import Invalid

from . import oauth, selectors, services
from .forms import EmailViaForm, LimitsForm, OAuthStartForm, PasswordConnectForm
from .hosts import PRESETS
from .limits import LIMIT_FIELDS
from .models import AuthKind, OAuthClient

CONNECTION_INITIAL = (
    "email", "username", "imap_host", "imap_port", "imap_security", "smtp_host", "smtp_port",
    "smtp_security",
)  # fmt: skip
_PROVIDER_ERROR = re.compile(r"[a-z_]{1,40}")


def _reason(error) -> str:
    """A test's message as the middle of a sentence (the transport's have no full stop)."""
    return str(error).rstrip(". ")


def _require_sender(user) -> None:
    if not selectors.may_connect_mailbox(user):
        raise PermissionDenied


def _connect_initial(user, mailbox, preset_key: str) -> dict:
    preset = PRESETS.get(preset_key)
    initial = {"email": user.email, "imap_port": 993, "imap_security": "tls",
               "smtp_port": 587, "smtp_security": "starttls"}  # fmt: skip
    if mailbox is not None and mailbox.auth_kind == AuthKind.PASSWORD:
        initial.update({name: getattr(mailbox, name) for name in CONNECTION_INITIAL})
    elif mailbox is not None:
        initial["email"] = mailbox.email
    if preset is not None:
        initial.update(
            {name: getattr(preset, name) for name in CONNECTION_INITIAL if hasattr(preset, name)}
        )
    return initial


def _password_stored(mailbox) -> bool:
    return mailbox is not None and mailbox.auth_kind == AuthKind.PASSWORD and bool(mailbox.secret)


def _page(request, *, connect_form=None, limits_form=None, status=200):
    user = request.user
    mailbox = selectors.mailbox_of(user)
    preset = request.GET.get("preset", "")
    if connect_form is None:
        connect_form = PasswordConnectForm(
            initial=_connect_initial(user, mailbox, preset),
            password_stored=_password_stored(mailbox),
        )
    if limits_form is None and mailbox is not None:
        limits_form = LimitsForm(initial={name: getattr(mailbox, name) for name in LIMIT_FIELDS})
    health = selectors.health_of(mailbox, owner=request.user) if mailbox is not None else None
    response = render(
        request,
        "mailboxes/mine.html",
        {
            "mailbox": mailbox,
            "health": health,
            "sent_today": (
                selectors.sent_today(mailbox, zone=user.time_zone) if mailbox is not None else 0
            ),
            "connect_form": connect_form,
            "limits_form": limits_form,
            "providers": selectors.oauth_providers(),
            "presets": PRESETS.values(),
            "preset": PRESETS.get(preset),
            "email_via_site": user.team.email_via == "site",
        },
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def mine(request):
    _require_sender(request.user)
    return _page(request)


@sensitive_variables("form", "data")
@sensitive_post_parameters("password")
@require_POST
def connect(request):
    user = request.user
    _require_sender(user)
    mailbox = selectors.mailbox_of(user)
    form = PasswordConnectForm(request.POST, password_stored=_password_stored(mailbox))
    if form.is_valid():
        data = services.ConnectData(**form.cleaned_data)
        try:
            services.mailbox_connect(actor=user, data=data)
        except services.MailboxTestFailed as exc:
            form.add_error(
                None,
                _("The connection test failed: %(reason)s. Nothing was saved.")
                % {"reason": _reason(exc)},
            )
        except Invalid as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(
                request, _("Mailbox connected: the IMAP and SMTP logins work. It is saved.")
            )
            return redirect("mailboxes:mine")
    return _page(request, connect_form=form, status=400)


@require_POST
def retest(request):
    _require_sender(request.user)
    try:
        services.mailbox_retest(actor=request.user)
    except services.MailboxTestFailed as exc:
        messages.error(
            request, _("The connection test failed: %(reason)s.") % {"reason": _reason(exc)}
        )
    else:
        messages.success(request, _("The mailbox works: the IMAP and SMTP logins succeeded."))
    return redirect("mailboxes:mine")


@require_POST
def disconnect(request):
    _require_sender(request.user)
    services.mailbox_disconnect(actor=request.user)
    messages.success(
        request,
        _("Mailbox disconnected: its password and tokens are deleted, and nothing is sent or "
          "read through it."),
    )  # fmt: skip
    return redirect("mailboxes:mine")


@require_POST
def limits(request):
    _require_sender(request.user)
    form = LimitsForm(request.POST)
    if form.is_valid():
        try:
            services.mailbox_limits_set(actor=request.user, values=form.cleaned_data)
        except Invalid as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, _("Sending limits saved."))
            return redirect("mailboxes:mine")
    return _page(request, limits_form=form, status=400)


def _redirect_uri() -> str:
    return settings.SDRCRM_BASE_URL.rstrip("/") + reverse("mailboxes:oauth_callback")


@require_POST
def oauth_start(request):
    user = request.user
    _require_sender(user)
    form = OAuthStartForm(request.POST)
    client = (
        OAuthClient.objects.filter(provider=form.cleaned_data["provider"]).first()
        if form.is_valid()
        else None
    )
    if client is None:
        messages.error(request, _("Sign-in with this provider is not set up on this site."))
        return redirect("mailboxes:mine")
    mailbox = selectors.mailbox_of(user)
    flow, url = oauth.flow_begin(
        client,
        user_id=user.pk,
        redirect_uri=_redirect_uri(),
        login_hint=mailbox.email if mailbox is not None else user.email,
    )
    oauth.flow_remember(request.session, flow)
    return HttpResponseRedirect(url)


@sensitive_variables("code", "flow")
@never_cache
@require_GET
def oauth_callback(request):
    """Where Google or Microsoft send the browser back. Whatever comes (a forged or replayed
    answer, a refusal, a failed test), the user lands on the Mailbox page with what happened,
    and nothing is saved unless the whole sign-in and the connection test succeeded."""
    user = request.user
    _require_sender(user)
    try:
        flow = oauth.flow_take(request.session, request.GET.get("state", ""), user_id=user.pk)
    except oauth.FlowRefused as exc:
        messages.error(request, str(exc))
        return redirect("mailboxes:mine")
    provider = oauth.provider_for(flow.provider)
    error = request.GET.get("error", "")
    if error:
        if error == "access_denied":
            messages.error(
                request,
                _("You did not give access at %(provider)s: nothing was saved.")
                % {"provider": provider.name},
            )
        else:
            code = error if _PROVIDER_ERROR.fullmatch(error) else "unknown"
            messages.error(
                request,
                _("%(provider)s refused the sign-in (%(code)s): nothing was saved.")
                % {"provider": provider.name, "code": code},
            )
        return redirect("mailboxes:mine")
    try:
        mailbox = services.mailbox_oauth_finish(
            actor=user, flow=flow, code=request.GET.get("code", ""), redirect_uri=_redirect_uri()
        )
    except services.MailboxTestFailed as exc:
        messages.error(
            request,
            _("The connection test failed: %(reason)s. Nothing was saved.")
            % {"reason": _reason(exc)},
        )
    except Invalid as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(email)s is connected through %(provider)s: the IMAP and SMTP logins work.")
            % {"email": mailbox.email, "provider": provider.name},
        )
    return redirect("mailboxes:mine")


@require_http_methods(["GET", "POST"])
def team(request):
    user = request.user
    if not selectors.may_see_team_mailboxes(user):
        raise PermissionDenied
    form = None
    if user.is_manager:
        form = EmailViaForm(request.POST or None, initial={"email_via": user.team.email_via})
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            services.team_email_via_set(actor=user, email_via=form.cleaned_data["email_via"])
            messages.success(request, _("Saved: where the team's emails leave from."))
            return redirect("mailboxes:team")
    return render(
        request,
        "mailboxes/team.html",
        {"rows": selectors.team_mailboxes(user), "form": form, "now": timezone.now()},
        status=400 if request.method == "POST" else 200,
    )
