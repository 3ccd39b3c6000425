"""OAuth 2.0 for Google Workspace and Microsoft 365 mailboxes: the authorization code flow
with PKCE (RFC 7636, S256), the token exchange, the user's address from the ID token, and
``fresh_access_token``, which renews an access token before it expires.

The flow (docs/mailboxes.md):

1. ``flow_begin`` makes a random ``state``, a PKCE verifier and an OpenID ``nonce``; the view
   keeps them in the user's session (``flow_remember``) and sends the browser to the
   provider's authorization page with the state and the verifier's S256 challenge.
2. The provider sends the browser back to ``/mailboxes/oauth/callback/?code=…&state=…``.
   ``flow_take`` removes the flow with that state from the session: a callback whose state
   this session never started (a forged link, another person's callback) or already used
   (a replay) finds nothing and is refused, and so is one older than ``FLOW_MAX_AGE``.
3. ``code_exchange`` trades the code and the verifier for tokens at the token endpoint (the
   back channel, over TLS; the client secret is sent there only). Without the verifier the
   code is worth nothing, so a code leaked from a log or a browser history cannot be used.
4. ``address_from`` reads the mailbox's address from the ID token (checked: issued for this
   client, with this flow's nonce), or Google's userinfo endpoint.

The endpoints are the providers' own unless ``settings.SDRCRM_OAUTH_ENDPOINTS`` overrides
them (the tests point them at a local authorization server). Tokens are stored encrypted
(``mailboxes.crypto``) and never logged: nothing here logs, and no error message quotes a
token or a provider's answer.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sdrcrm.errors import Invalid

# ``transport`` as a module: it calls ``fresh_access_token`` and this module raises its
# ``MailboxError``, so neither takes a name from the other while the other may be importing.
from . import crypto, transport
from .models import OAUTH_KINDS, AuthKind, Mailbox, OAuthClient, TransportSecurity

# An access token this close to its expiry is renewed before use.
REFRESH_MARGIN = timedelta(minutes=5)
# How long a started sign-in may take, and how many may be pending in one session (tabs).
FLOW_MAX_AGE = 15 * 60
FLOWS_PER_SESSION = 5
SESSION_KEY = "mailbox_oauth_flows"
_TENANT = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,99}")


@dataclass(frozen=True)
class Provider:
    kind: str
    name: str
    authorize: str
    token: str
    userinfo: str  # "" when the provider offers none usable with the mail scopes
    scopes: tuple[str, ...]
    extra: tuple[tuple[str, str], ...]  # more parameters of the authorization request
    imap: tuple[str, int, str]
    smtp: tuple[str, int, str]


PROVIDERS = {
    AuthKind.GOOGLE: Provider(
        kind=AuthKind.GOOGLE,
        name="Google",
        authorize="https://accounts.google.com/o/oauth2/v2/auth",
        token="https://oauth2.googleapis.com/token",  # noqa: S106 (a URL, not a secret)
        userinfo="https://openidconnect.googleapis.com/v1/userinfo",
        scopes=("https://mail.google.com/", "openid", "email"),
        # A refresh token is issued only with offline access, and again on a later consent.
        extra=(("access_type", "offline"), ("prompt", "consent")),
        imap=("imap.gmail.com", 993, TransportSecurity.TLS),
        smtp=("smtp.gmail.com", 587, TransportSecurity.STARTTLS),
    ),
    AuthKind.MICROSOFT: Provider(
        kind=AuthKind.MICROSOFT,
        name="Microsoft",
        authorize="https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
        token="https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",  # noqa: S106
        # Microsoft's userinfo is on Graph, which a token for outlook.office.com cannot call:
        # the address comes from the ID token.
        userinfo="",
        scopes=(
            "https://outlook.office.com/IMAP.AccessAsUser.All",
            "https://outlook.office.com/SMTP.Send",
            "offline_access",
            "openid",
            "email",
        ),
        extra=(("response_mode", "query"),),
        imap=("outlook.office365.com", 993, TransportSecurity.TLS),
        smtp=("smtp.office365.com", 587, TransportSecurity.STARTTLS),
    ),
}


def provider_for(kind: str) -> Provider:
    return PROVIDERS[AuthKind(kind)]


def valid_tenant(tenant: str) -> bool:
    """A Microsoft tenant as it may go into the endpoints' path: "organizations", "common",
    a directory id or a domain."""
    return bool(_TENANT.fullmatch(tenant or ""))


def endpoints(client: OAuthClient) -> dict[str, str]:
    """The provider's authorize, token and userinfo URLs for this client (the settings'
    overrides first; Microsoft's with the client's tenant)."""
    provider = provider_for(client.provider)
    urls = {"authorize": provider.authorize, "token": provider.token, "userinfo": provider.userinfo}
    urls.update(settings.SDRCRM_OAUTH_ENDPOINTS.get(provider.kind.value, {}))
    tenant = client.tenant or "organizations"
    if provider.kind == AuthKind.MICROSOFT and not valid_tenant(tenant):
        raise Invalid(_("The Microsoft tenant registered by the administrator is not valid."))
    return {name: url.replace("{tenant}", tenant) for name, url in urls.items()}


# --- PKCE and the flow in the session --------------------------------------------------------


def pkce_verifier() -> str:
    """43 to 128 unreserved characters (RFC 7636, 4.1): 64 here, 384 random bits."""
    return secrets.token_urlsafe(48)


def pkce_challenge(verifier: str) -> str:
    """The S256 challenge: BASE64URL(SHA256(ASCII(verifier))) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class Flow:
    state: str
    provider: str
    verifier: str
    nonce: str
    started: float  # time.time()
    user_id: int


class FlowRefused(Invalid):
    """A callback that does not belong to a sign-in this session started, or came too late."""


def flow_begin(client: OAuthClient, *, user_id: int, redirect_uri: str, login_hint: str = ""):
    """A new flow and the provider's authorization URL to send the browser to."""
    flow = Flow(
        state=secrets.token_urlsafe(32),
        provider=client.provider,
        verifier=pkce_verifier(),
        nonce=secrets.token_urlsafe(16),
        started=time.time(),
        user_id=user_id,
    )
    provider = provider_for(client.provider)
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(provider.scopes),
        "state": flow.state,
        "nonce": flow.nonce,
        "code_challenge": pkce_challenge(flow.verifier),
        "code_challenge_method": "S256",
        **dict(provider.extra),
    }
    if login_hint:
        params["login_hint"] = login_hint
    return flow, f"{endpoints(client)['authorize']}?{urlencode(params)}"


def flow_remember(session, flow: Flow) -> None:
    """Keep ``flow`` in the session, with at most ``FLOWS_PER_SESSION`` pending (the oldest
    go) and none older than ``FLOW_MAX_AGE``."""
    now = time.time()
    flows = {
        state: f
        for state, f in (session.get(SESSION_KEY) or {}).items()
        if isinstance(f, dict) and now - f.get("started", 0) < FLOW_MAX_AGE
    }
    flows[flow.state] = flow.__dict__.copy()
    newest = sorted(flows.items(), key=lambda item: item[1]["started"])[-FLOWS_PER_SESSION:]
    session[SESSION_KEY] = dict(newest)


def flow_take(session, state: str, *, user_id: int) -> Flow:
    """The flow this callback's ``state`` names, removed from the session (once), or
    ``FlowRefused``."""
    flows = dict(session.get(SESSION_KEY) or {})
    data = flows.pop(state, None) if isinstance(state, str) and state else None
    if data is not None:
        session[SESSION_KEY] = flows
    if not isinstance(data, dict) or data.get("user_id") != user_id:
        raise FlowRefused(
            _("This sign-in answer does not belong to a sign-in started from your Mailbox page "
              "in this browser, or it was already used. Nothing was saved: start again from "
              "the Mailbox page.")
        )  # fmt: skip
    flow = Flow(**data)
    if time.time() - flow.started >= FLOW_MAX_AGE:
        raise FlowRefused(
            _("The sign-in took longer than %(minutes)d minutes. Nothing was saved: start "
              "again from the Mailbox page.") % {"minutes": FLOW_MAX_AGE // 60}
        )  # fmt: skip
    return flow


# --- Tokens ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_at: datetime
    id_token: str = ""

    def __repr__(self) -> str:  # never the tokens themselves, in a traceback or a log
        return f"Tokens(expires_at={self.expires_at.isoformat()})"


def _error(kind: str, message: str, *, permanent: bool) -> transport.MailboxError:
    return transport.MailboxError(kind=kind, message=message, permanent=permanent)


def _post(url: str, data: dict, provider: Provider) -> dict:
    """POST a form to the token endpoint; the JSON answer (errors included), or a temporary
    ``MailboxError`` when the endpoint cannot be reached or answers nonsense."""
    try:
        response = requests.post(
            url,
            data=data,
            headers={"Accept": "application/json"},
            timeout=settings.SDRCRM_OAUTH_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException:
        raise _error(
            "connect",
            _("%(provider)s's sign-in service did not answer: try again in a few minutes.")
            % {"provider": provider.name},
            permanent=False,
        ) from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or response.status_code >= 500:
        raise _error(
            "protocol",
            _("%(provider)s's sign-in service gave an answer that is not understood (HTTP "
              "%(status)d): try again in a few minutes.")
            % {"provider": provider.name, "status": response.status_code},
            permanent=False,
        )  # fmt: skip
    body["_status"] = response.status_code
    return body


def _tokens_from(body: dict, *, previous_refresh: str = "", now: datetime) -> Tokens:
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise ValueError("no access token")
    refresh = body.get("refresh_token")
    try:
        lifetime = max(0, min(int(body.get("expires_in", 3600)), 86400 * 30))
    except (TypeError, ValueError):
        lifetime = 3600
    return Tokens(
        access_token=access,
        # A refresh answer without a new refresh token leaves the old one valid (Google).
        refresh_token=refresh if isinstance(refresh, str) and refresh else previous_refresh,
        expires_at=now + timedelta(seconds=lifetime),
        id_token=body.get("id_token") if isinstance(body.get("id_token"), str) else "",
    )


def code_exchange(client: OAuthClient, flow: Flow, *, code: str, redirect_uri: str) -> Tokens:
    """Trade the authorization code (with the flow's PKCE verifier) for tokens."""
    provider = provider_for(client.provider)
    body = _post(
        endpoints(client)["token"],
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": client.client_id,
            "client_secret": crypto.decrypt(client.client_secret),
            "code_verifier": flow.verifier,
        },
        provider,
    )
    if body["_status"] != 200 or "access_token" not in body:
        raise Invalid(_token_refusal(body, provider))
    try:
        tokens = _tokens_from(body, now=timezone.now())
    except ValueError:
        raise Invalid(_token_refusal(body, provider)) from None
    if not tokens.refresh_token:
        raise Invalid(
            _("%(provider)s gave no refresh token, so the mailbox would stop working within "
              "the hour. Remove this app's access in your account settings and connect again.")
            % {"provider": provider.name}
        )  # fmt: skip
    return tokens


def _token_refusal(body: dict, provider: Provider) -> str:
    error = body.get("error")
    if error == "invalid_client" or error == "unauthorized_client":
        return _(
            "%(provider)s refused this site's OAuth app (its client id or secret): an "
            "administrator must check the registration (docs/mailboxes.md)."
        ) % {"provider": provider.name}
    if error == "invalid_grant":
        return _(
            "%(provider)s refused the sign-in (it expired or was already used). Nothing was "
            "saved: start again from the Mailbox page."
        ) % {"provider": provider.name}
    return _(
        "%(provider)s refused to give access to the mailbox. Nothing was saved: start again "
        "from the Mailbox page."
    ) % {"provider": provider.name}


def id_token_claims(id_token: str) -> dict:
    """The claims of a JWT, unverified: the ID token comes straight from the token endpoint
    over TLS, which OpenID Connect Core (3.1.3.7) accepts instead of checking its signature.
    ``{}`` when it is not a JWT."""
    parts = id_token.split(".") if isinstance(id_token, str) else []
    if len(parts) != 3:
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def address_from(client: OAuthClient, flow: Flow, tokens: Tokens) -> str:
    """The mailbox's address: the ID token's ``email`` (Microsoft: else its
    ``preferred_username``), else Google's userinfo. The ID token must be for this client,
    and carry this flow's nonce when it carries one."""
    provider = provider_for(client.provider)
    claims = id_token_claims(tokens.id_token)
    if claims:
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        nonce = claims.get("nonce", flow.nonce)  # Google and Microsoft echo it; checked then
        if client.client_id not in audiences or nonce != flow.nonce:
            raise Invalid(
                _("%(provider)s's answer was not issued for this sign-in. Nothing was saved: "
                  "start again from the Mailbox page.") % {"provider": provider.name}
            )  # fmt: skip
    if claims.get("email_verified") is False:
        claims = {**claims, "email": ""}
    email = claims.get("email") or ""
    if not email and provider.kind == AuthKind.MICROSOFT:
        email = claims.get("preferred_username") or ""
    if not email and endpoints(client)["userinfo"]:
        email = _userinfo_email(endpoints(client)["userinfo"], tokens.access_token)
    email = email.strip().lower() if isinstance(email, str) else ""
    if "@" not in email or len(email) > 254:
        raise Invalid(
            _("%(provider)s did not tell which address was signed in to. Nothing was saved.")
            % {"provider": provider.name}
        )
    return email


def _userinfo_email(url: str, access_token: str) -> str:
    try:
        response = requests.get(
            url,
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            timeout=settings.SDRCRM_OAUTH_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
        body = response.json() if response.status_code == 200 else {}
    except (requests.RequestException, ValueError):
        return ""
    if not isinstance(body, dict) or body.get("email_verified") is False:
        return ""
    email = body.get("email")
    return email if isinstance(email, str) else ""


# --- Renewal ---------------------------------------------------------------------------------


def _fresh(mailbox: Mailbox, now: datetime) -> bool:
    return bool(mailbox.access_token) and (
        mailbox.token_expires_at is not None and mailbox.token_expires_at - REFRESH_MARGIN > now
    )


def fresh_access_token(mailbox: Mailbox) -> str:
    """The mailbox's access token, renewed first when it expires within ``REFRESH_MARGIN``.

    The renewal runs under the mailbox row's lock, so two processes (the sync and the sender)
    never both spend one refresh token: the second finds the first's new token and uses it.
    A rotated refresh token is saved with it. A refused renewal (the user revoked the access,
    the password changed, an administrator removed the app) raises
    ``MailboxError(kind="token", permanent=True)``; the caller marks the mailbox failing
    (``mailboxes.services.mailbox_mark_failing``). ``mailbox`` gets the new values; an unsaved
    one (a connection being tested) is renewed without saving.
    """
    if mailbox.auth_kind not in OAUTH_KINDS:
        raise ValueError("a password mailbox has no access token")
    now = timezone.now()
    if _fresh(mailbox, now):
        return crypto.decrypt(mailbox.access_token)
    if mailbox.pk is None:
        _renew_into(mailbox, now)
        return crypto.decrypt(mailbox.access_token)
    with transaction.atomic():
        locked = Mailbox.objects.select_for_update().filter(pk=mailbox.pk).first()
        if locked is None or locked.auth_kind not in OAUTH_KINDS or not locked.refresh_token:
            raise _error(
                "token",
                _("The mailbox is no longer connected: connect it again from the Mailbox page."),
                permanent=True,
            )
        if not _fresh(locked, now):
            _renew_into(locked, now)
            locked.updated_at = now
            locked.save(
                update_fields=["access_token", "refresh_token", "token_expires_at", "updated_at"]
            )
    for name in ("access_token", "refresh_token", "token_expires_at"):
        setattr(mailbox, name, getattr(locked, name))
    return crypto.decrypt(mailbox.access_token)


def _renew_into(mailbox: Mailbox, now: datetime) -> None:
    provider = provider_for(mailbox.auth_kind)
    client = OAuthClient.objects.filter(provider=provider.kind).first()
    if client is None:
        raise _error(
            "token",
            _("Sign-in with %(provider)s is no longer set up on this site: an administrator "
              "must register the OAuth app again (docs/mailboxes.md).")
            % {"provider": provider.name},
            permanent=True,
        )  # fmt: skip
    refresh = crypto.decrypt(mailbox.refresh_token)
    data = {
        "grant_type": "refresh_token",
        "refresh_token": refresh,
        "client_id": client.client_id,
        "client_secret": crypto.decrypt(client.client_secret),
    }
    if provider.kind == AuthKind.MICROSOFT:
        data["scope"] = " ".join(provider.scopes)
    body = _post(endpoints(client)["token"], data, provider)
    if body["_status"] == 200 and isinstance(body.get("access_token"), str):
        tokens = _tokens_from(body, previous_refresh=refresh, now=now)
    elif body["_status"] in (400, 401) and body.get("error") in (
        "invalid_grant", "invalid_client", "unauthorized_client", "invalid_request",
    ):  # fmt: skip
        raise _error("token", _refresh_refusal(body, provider), permanent=True)
    else:
        raise _error(
            "token",
            _("%(provider)s did not renew the mailbox's access this time (HTTP %(status)d): it "
              "is tried again later.") % {"provider": provider.name, "status": body["_status"]},
            permanent=False,
        )  # fmt: skip
    mailbox.access_token = crypto.encrypt(tokens.access_token)
    mailbox.refresh_token = crypto.encrypt(tokens.refresh_token)
    mailbox.token_expires_at = tokens.expires_at


def _refresh_refusal(body: dict, provider: Provider) -> str:
    if body.get("error") in ("invalid_client", "unauthorized_client"):
        return _(
            "%(provider)s refused this site's OAuth app (its client id or secret changed): an "
            "administrator must check the registration, then connect the mailbox again."
        ) % {"provider": provider.name}
    return _(
        "%(provider)s refused to renew the access to the mailbox (it was revoked, or the "
        "password changed): connect the mailbox again from the Mailbox page."
    ) % {"provider": provider.name}
