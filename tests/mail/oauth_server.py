"""A local OAuth 2.0 authorization server, standing in for Google's and Microsoft's in the tests
(they cannot be reached from here). A small threaded ``http.server`` in the test process.

Endpoints (all under ``base_url``; point the product's Google/Microsoft provider settings at
them):
- ``GET /authorize``: the authorization code grant with PKCE (S256, required by default). No
  login page: the account that "signs in" is the ``login_hint`` or the one set with
  ``consent_as(email)``; ``deny_next()`` makes the next one refuse (``error=access_denied``).
  Redirects (302) to ``redirect_uri`` with ``code`` and ``state``.
- ``POST /token``: ``authorization_code`` (with ``code_verifier``; a code is good once) and
  ``refresh_token``. The client authenticates with ``client_id``/``client_secret`` in the body
  (Google) or HTTP Basic. Answers as the providers do (``access_token``, ``expires_in``,
  ``refresh_token``, ``scope``, ``token_type``, an ``id_token`` whose claims carry ``email``
  and ``preferred_username``, signed HS256 with the client secret). A refused refresh answers
  400 ``{"error": "invalid_grant", ...}`` like Google and Microsoft.
- ``POST /introspect`` (RFC 7662, for Dovecot's oauth2 passdb): ``active``, ``username``,
  ``email``, ``exp``, ``scope``, ``client_id``.
- ``GET /userinfo`` (Bearer): ``sub``, ``email``, ``email_verified``, ``name``.
- ``POST /revoke``: revokes the token given (and, for a refresh token, its access tokens).

Access tokens expire after ``access_lifetime`` seconds of ``time.time()`` (so time-machine moves
them too); refresh tokens live until revoked unless ``refresh_lifetime`` is set.
"""

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

DEFAULT_CLIENT_ID = "sdrcrm-test-client"
DEFAULT_CLIENT_SECRET = "sdrcrm-test-client-secret"  # noqa: S105 (a test server's)
DEFAULT_SCOPE = "openid email offline_access https://mail.google.com/"


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int
    scope: str


@dataclass
class _Grant:
    """What a refresh token stands for."""

    email: str
    client_id: str
    scope: str
    expires_at: float | None
    revoked: bool = False


@dataclass
class _Access:
    email: str
    client_id: str
    scope: str
    expires_at: float
    refresh_token: str | None
    revoked: bool = False


@dataclass
class _Code:
    email: str
    client_id: str
    redirect_uri: str
    scope: str
    challenge: str | None
    challenge_method: str | None
    expires_at: float
    used: bool = False


@dataclass
class OAuthRequest:
    """One request the server answered (for assertions): endpoint, its parameters (secrets
    removed) and the status it answered."""

    endpoint: str
    params: dict[str, str]
    status: int
    error: str | None = None


_SECRET_PARAMS = {"client_secret", "code_verifier", "refresh_token", "token", "code"}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge of a PKCE code verifier (RFC 7636)."""
    return _b64url(hashlib.sha256(verifier.encode()).digest())


def _jwt_hs256(claims: dict, key: str) -> str:
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64url(json.dumps(claims).encode())
    signature = hmac.new(key.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(signature)}"


@dataclass
class _State:
    clients: dict[str, str] = field(default_factory=dict)
    codes: dict[str, _Code] = field(default_factory=dict)
    grants: dict[str, _Grant] = field(default_factory=dict)
    access: dict[str, _Access] = field(default_factory=dict)
    consent_email: str | None = None
    deny: list[str] = field(default_factory=list)
    token_failures: list[tuple[int, dict]] = field(default_factory=list)
    introspection_failures: int = 0
    log: list[OAuthRequest] = field(default_factory=list)


class OAuthServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.access_lifetime = 3600
        self.refresh_lifetime: float | None = None
        self.code_lifetime = 600
        self.require_pkce = True
        # Microsoft answers every refresh with a new refresh token (the old one stays good
        # for a while); Google keeps the same one.
        self.rotate_refresh_tokens = False
        self._lock = threading.RLock()
        self._state = _State(clients={DEFAULT_CLIENT_ID: DEFAULT_CLIENT_SECRET})
        self._httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- lifecycle --------------------------------------------------------------------------
    def start(self) -> "OAuthServer":
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="test-oauth-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def authorize_url(self) -> str:
        return f"{self.base_url}/authorize"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/token"

    @property
    def introspect_url(self) -> str:
        return f"{self.base_url}/introspect"

    @property
    def userinfo_url(self) -> str:
        return f"{self.base_url}/userinfo"

    @property
    def revoke_url(self) -> str:
        return f"{self.base_url}/revoke"

    client_id = DEFAULT_CLIENT_ID
    client_secret = DEFAULT_CLIENT_SECRET

    # --- helpers for tests ------------------------------------------------------------------
    def register_client(self, client_id: str, client_secret: str) -> None:
        with self._lock:
            self._state.clients[client_id] = client_secret

    def consent_as(self, email: str | None) -> None:
        """The account that signs in and consents at /authorize (unless ``login_hint``)."""
        with self._lock:
            self._state.consent_email = email.lower() if email else None

    def deny_next(self, error: str = "access_denied") -> None:
        """The next /authorize redirects back with this error (the user clicked "Cancel")."""
        with self._lock:
            self._state.deny.append(error)

    def fail_next_token_request(self, status: int = 503, body: dict | None = None) -> None:
        """The next /token request answers ``status`` (a provider outage: 5xx; or any 4xx)."""
        with self._lock:
            body = body or {"error": "temporarily_unavailable"}
            self._state.token_failures.append((status, body))

    def fail_next_introspection(self, count: int = 1) -> None:
        """The next ``count`` /introspect requests answer 503 (Dovecot then answers a login
        with "[UNAVAILABLE] Temporary authentication failure")."""
        with self._lock:
            self._state.introspection_failures += count

    def reset_queued(self) -> None:
        """Queued refusals and failures (``deny_next``, ``fail_next_token_request``,
        ``fail_next_introspection``) dropped."""
        with self._lock:
            self._state.deny.clear()
            self._state.token_failures.clear()
            self._state.introspection_failures = 0

    def issue_tokens(
        self,
        email: str,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        scope: str = DEFAULT_SCOPE,
        access_lifetime: int | None = None,
    ) -> Tokens:
        """Tokens for ``email`` as if it had gone through /authorize and /token."""
        with self._lock:
            refresh = self._new_refresh(email.lower(), client_id, scope)
            access, lifetime = self._new_access(email.lower(), client_id, scope, refresh,
                                                access_lifetime)  # fmt: skip
        return Tokens(access, refresh, lifetime, scope)

    def revoke(self, token: str) -> None:
        """Revokes a refresh token (and the access tokens it gave) or one access token."""
        with self._lock:
            self._revoke(token)

    def revoke_user(self, email: str) -> None:
        """Every token of ``email`` revoked (the user removed the app's access)."""
        with self._lock:
            for token, grant in self._state.grants.items():
                if grant.email == email.lower():
                    self._revoke(token)

    def expire_access_tokens(self, email: str | None = None) -> None:
        """The access tokens (of ``email``, or all) expired now; refresh tokens still work."""
        now = time.time()
        with self._lock:
            for access in self._state.access.values():
                if email is None or access.email == email.lower():
                    access.expires_at = min(access.expires_at, now - 1)

    def token_active(self, token: str) -> bool:
        with self._lock:
            return self._active_access(token) is not None

    def access_token_email(self, token: str) -> str | None:
        """Whose access token this is, if it is active (what the SMTP server checks)."""
        with self._lock:
            access = self._active_access(token)
            return access.email if access else None

    def requests(self, endpoint: str | None = None) -> list[OAuthRequest]:
        with self._lock:
            return [r for r in self._state.log if endpoint in (None, r.endpoint)]

    # --- the grant logic (under the lock) ---------------------------------------------------
    def _new_refresh(self, email: str, client_id: str, scope: str) -> str:
        token = "rt-" + secrets.token_urlsafe(24)
        expires = time.time() + self.refresh_lifetime if self.refresh_lifetime else None
        self._state.grants[token] = _Grant(email, client_id, scope, expires)
        return token

    def _new_access(
        self, email: str, client_id: str, scope: str, refresh: str | None, lifetime: int | None
    ) -> tuple[str, int]:
        lifetime = self.access_lifetime if lifetime is None else lifetime
        token = "at-" + secrets.token_urlsafe(24)
        self._state.access[token] = _Access(email, client_id, scope, time.time() + lifetime,
                                            refresh)  # fmt: skip
        return token, lifetime

    def _revoke(self, token: str) -> None:
        if grant := self._state.grants.get(token):
            grant.revoked = True
            for access in self._state.access.values():
                if access.refresh_token == token:
                    access.revoked = True
        elif access := self._state.access.get(token):
            access.revoked = True

    def _active_access(self, token: str) -> _Access | None:
        access = self._state.access.get(token)
        if access is None or access.revoked or access.expires_at <= time.time():
            return None
        return access

    def _client_ok(self, client_id: str, client_secret: str | None) -> bool:
        expected = self._state.clients.get(client_id)
        return expected is not None and client_secret is not None and hmac.compare_digest(
            expected, client_secret
        )

    def _token_response(self, email: str, client_id: str, scope: str, refresh: str) -> dict:
        access, lifetime = self._new_access(email, client_id, scope, refresh, None)
        now = int(time.time())
        id_token = _jwt_hs256(
            {
                "iss": self.base_url, "aud": client_id, "sub": hashlib.sha256(email.encode())
                .hexdigest()[:21], "email": email, "email_verified": True,
                "preferred_username": email, "name": email.split("@")[0], "iat": now,
                "exp": now + lifetime,
            },
            self._state.clients[client_id],
        )  # fmt: skip
        return {
            "access_token": access, "token_type": "Bearer", "expires_in": lifetime,
            "refresh_token": refresh, "scope": scope, "id_token": id_token,
        }  # fmt: skip

    def _authorize(self, params: dict[str, str]) -> tuple[int, dict[str, str], dict | str]:
        """(status, headers, body) of GET /authorize."""
        client_id, redirect_uri = params.get("client_id", ""), params.get("redirect_uri", "")
        if client_id not in self._state.clients or not redirect_uri:
            return 400, {}, "unknown client_id or no redirect_uri"

        def back(**answer: str) -> tuple[int, dict[str, str], str]:
            if "state" in params:
                answer["state"] = params["state"]
            parts = urlsplit(redirect_uri)
            query = "&".join(q for q in (parts.query, urlencode(answer)) if q)
            return 302, {"Location": urlunsplit(parts._replace(query=query))}, ""

        if self._state.deny:
            return back(error=self._state.deny.pop(0))
        if params.get("response_type") != "code":
            return back(error="unsupported_response_type")
        challenge, method = params.get("code_challenge"), params.get("code_challenge_method")
        if challenge and method != "S256":
            return back(error="invalid_request", error_description="code_challenge_method")
        if self.require_pkce and not challenge:
            return back(error="invalid_request", error_description="PKCE is required")
        email = (params.get("login_hint") or self._state.consent_email or "").lower()
        if not email:
            return 400, {}, "nobody signed in: call consent_as(email) or pass login_hint"
        code = "code-" + secrets.token_urlsafe(16)
        self._state.codes[code] = _Code(
            email, client_id, redirect_uri, params.get("scope", DEFAULT_SCOPE), challenge,
            method, time.time() + self.code_lifetime,
        )  # fmt: skip
        return back(code=code)

    def _token(self, params: dict[str, str], basic: tuple[str, str] | None) -> tuple[int, dict]:
        if self._state.token_failures:
            return self._state.token_failures.pop(0)
        client_id, client_secret = basic or (params.get("client_id", ""),
                                             params.get("client_secret"))  # fmt: skip
        if not self._client_ok(client_id, client_secret):
            return 401, {"error": "invalid_client", "error_description": "Unauthorized"}
        grant_type = params.get("grant_type")
        if grant_type == "authorization_code":
            code = self._state.codes.get(params.get("code", ""))
            if code is None or code.used or code.expires_at <= time.time():
                return 400, {"error": "invalid_grant", "error_description": "Bad code."}
            code.used = True
            if code.client_id != client_id or code.redirect_uri != params.get("redirect_uri"):
                return 400, {"error": "invalid_grant", "error_description": "redirect_uri"}
            if code.challenge:
                verifier = params.get("code_verifier", "")
                if not verifier or not hmac.compare_digest(pkce_challenge(verifier),
                                                           code.challenge):  # fmt: skip
                    return 400, {"error": "invalid_grant", "error_description": "code_verifier"}
            refresh = self._new_refresh(code.email, client_id, code.scope)
            return 200, self._token_response(code.email, client_id, code.scope, refresh)
        if grant_type == "refresh_token":
            token = params.get("refresh_token", "")
            grant = self._state.grants.get(token)
            if (
                grant is None or grant.revoked or grant.client_id != client_id
                or (grant.expires_at is not None and grant.expires_at <= time.time())
            ):  # fmt: skip
                return 400, {
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked.",
                }
            if self.rotate_refresh_tokens:
                token = self._new_refresh(grant.email, client_id, grant.scope)
            return 200, self._token_response(grant.email, client_id, grant.scope, token)
        return 400, {"error": "unsupported_grant_type"}

    def _introspect(self, params: dict[str, str]) -> dict:
        access = self._active_access(params.get("token", ""))
        if access is None:
            return {"active": False}
        return {
            "active": True, "username": access.email, "email": access.email,
            "scope": access.scope, "client_id": access.client_id,
            "token_type": "Bearer", "exp": int(access.expires_at),
        }  # fmt: skip

    # --- HTTP -------------------------------------------------------------------------------
    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # noqa: A002 (the base class's name)
                pass  # quiet: the requests are in server.requests()

            def _send(self, status: int, body: dict | str, headers: dict | None = None) -> None:
                if isinstance(body, dict):
                    data, kind = json.dumps(body).encode(), "application/json"
                else:
                    data, kind = body.encode(), "text/plain; charset=utf-8"
                self.send_response(status)
                for name, value in {"Content-Type": kind, "Cache-Control": "no-store",
                                    **(headers or {})}.items():  # fmt: skip
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _form(self) -> dict[str, str]:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}

            def _record(self, endpoint, params, status, body) -> None:
                error = body.get("error") if isinstance(body, dict) else None
                safe = {k: v for k, v in params.items() if k not in _SECRET_PARAMS}
                server._state.log.append(OAuthRequest(endpoint, safe, status, error))

            def _basic(self) -> tuple[str, str] | None:
                header = self.headers.get("Authorization", "")
                if not header.startswith("Basic "):
                    return None
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
                return user, password

            def do_GET(self):  # noqa: N802 (http.server's name)
                url = urlsplit(self.path)
                params = {k: v[0] for k, v in parse_qs(url.query).items()}
                with server._lock:
                    if url.path == "/authorize":
                        status, headers, body = server._authorize(params)
                        error = parse_qs(urlsplit(headers.get("Location", "")).query).get("error")
                        self._record("authorize", params, status,
                                     {"error": error[0]} if error else body)  # fmt: skip
                        return self._send(status, body, headers)
                    if url.path == "/userinfo":
                        header = self.headers.get("Authorization", "")
                        access = server._active_access(header.removeprefix("Bearer "))
                        if access is None:
                            body, status = {"error": "invalid_token"}, 401
                        else:
                            body, status = {
                                "sub": hashlib.sha256(access.email.encode()).hexdigest()[:21],
                                "email": access.email, "email_verified": True,
                                "name": access.email.split("@")[0],
                            }, 200  # fmt: skip
                        self._record("userinfo", {}, status, body)
                        return self._send(status, body)
                self._send(404, "not found")

            def do_POST(self):  # noqa: N802 (http.server's name)
                path = urlsplit(self.path).path
                params = self._form()
                with server._lock:
                    if path == "/token":
                        status, body = server._token(params, self._basic())
                    elif path == "/introspect" and server._state.introspection_failures:
                        server._state.introspection_failures -= 1
                        status, body = 503, {"error": "temporarily_unavailable"}
                    elif path == "/introspect":
                        status, body = 200, server._introspect(params)
                    elif path == "/revoke":
                        server._revoke(params.get("token", ""))
                        status, body = 200, {}
                    else:
                        return self._send(404, "not found")
                    self._record(path.strip("/"), params, status, body)
                self._send(status, body)

        return Handler
