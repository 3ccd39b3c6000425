"""mailboxes/oauth.py: PKCE, the flow kept in the session, the token exchange, the address,
and renewing an access token, against a stub token endpoint of our own (the full flow with
the real mail servers is in test_oauth_flow.py)."""

# ruff: noqa: E501  (the tables of cases and the messages read best one a line)

import threading
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.utils import timezone

from mailboxes import crypto, oauth
from mailboxes.models import AuthKind, Mailbox
from mailboxes.transport import MailboxError
from sdrcrm.errors import Invalid

from .conftest import GOOGLE_SECRET, MICROSOFT_SECRET, id_token, oauth_mailbox

REDIRECT = "https://crm.example.com/mailboxes/oauth/callback/"

# --- PKCE -----------------------------------------------------------------------------------


def test_the_s256_challenge_is_rfc_7636s_worked_example():
    assert (
        oauth.pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_a_verifier_is_64_unreserved_characters_and_never_the_same():
    verifiers = {oauth.pkce_verifier() for _ in range(50)}
    assert len(verifiers) == 50
    for verifier in verifiers:
        assert len(verifier) == 64
        assert set(verifier) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
        )


# --- The authorization request ----------------------------------------------------------------


def _query(url: str) -> tuple[str, dict]:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}", {
        k: v[0] for k, v in parse_qs(parts.query).items()
    }


def test_googles_authorization_request(google_client):
    flow, url = oauth.flow_begin(
        google_client, user_id=7, redirect_uri=REDIRECT, login_hint="kari@fjord.example"
    )
    endpoint, params = _query(url)

    assert endpoint == "https://accounts.google.com/o/oauth2/v2/auth"
    assert params == {
        "response_type": "code",
        "client_id": "google-id",
        "redirect_uri": REDIRECT,
        "scope": "https://mail.google.com/ openid email",
        "state": flow.state,
        "nonce": flow.nonce,
        "code_challenge": oauth.pkce_challenge(flow.verifier),
        "code_challenge_method": "S256",
        "access_type": "offline",
        "prompt": "consent",
        "login_hint": "kari@fjord.example",
    }
    assert (flow.provider, flow.user_id, len(flow.state)) == ("google", 7, 43)
    assert flow.verifier not in url and GOOGLE_SECRET not in url


def test_microsofts_authorization_request_names_the_tenant(microsoft_client):
    flow, url = oauth.flow_begin(microsoft_client, user_id=7, redirect_uri=REDIRECT)
    endpoint, params = _query(url)

    assert endpoint == (
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize"
    )
    assert params["scope"] == (
        "https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send "
        "offline_access openid email"
    )
    assert (params["response_mode"], params["code_challenge_method"]) == ("query", "S256")
    assert "login_hint" not in params and "access_type" not in params
    assert oauth.endpoints(microsoft_client)["token"] == (
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
    )


def test_the_endpoints_follow_the_settings(microsoft_client, settings):
    settings.SDRCRM_OAUTH_ENDPOINTS = {"microsoft": {"token": "http://127.0.0.1:9/{tenant}/token"}}
    assert oauth.endpoints(microsoft_client) == {
        "authorize": (
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize"
        ),
        "token": "http://127.0.0.1:9/contoso.onmicrosoft.com/token",
        "userinfo": "",
    }


@pytest.mark.parametrize("tenant", ["../evil", "a/b", "x?y=1", "ten ant"])
def test_a_tenant_that_would_change_the_url_is_refused(microsoft_client, tenant):
    microsoft_client.tenant = tenant
    with pytest.raises(Invalid, match="tenant registered by the administrator is not valid"):
        oauth.endpoints(microsoft_client)


# --- The flow in the session ------------------------------------------------------------------


def _flow(user_id=7, **kw) -> oauth.Flow:
    values = dict(
        state=f"state-{time.monotonic_ns()}", provider="google", verifier="v" * 64,
        nonce="n", started=time.time(), user_id=user_id,
    )  # fmt: skip
    values.update(kw)
    return oauth.Flow(**values)


def test_a_flow_is_taken_once():
    session = {}
    flow = _flow()
    oauth.flow_remember(session, flow)

    assert oauth.flow_take(session, flow.state, user_id=7) == flow
    with pytest.raises(oauth.FlowRefused, match="or it was already used. Nothing was saved"):
        oauth.flow_take(session, flow.state, user_id=7)


@pytest.mark.parametrize("state", ["", "forged", None, ["a"], "x" * 5000])
def test_a_state_this_session_never_started_is_refused(state):
    session = {}
    oauth.flow_remember(session, _flow())
    with pytest.raises(oauth.FlowRefused):
        oauth.flow_take(session, state, user_id=7)
    assert len(session[oauth.SESSION_KEY]) == 1  # the real flow is still there


def test_another_users_flow_is_refused():
    session = {}
    flow = _flow(user_id=8)
    oauth.flow_remember(session, flow)
    with pytest.raises(oauth.FlowRefused):
        oauth.flow_take(session, flow.state, user_id=7)


def test_a_flow_older_than_fifteen_minutes_is_refused():
    session = {}
    flow = _flow(started=time.time() - oauth.FLOW_MAX_AGE - 1)
    session[oauth.SESSION_KEY] = {flow.state: flow.__dict__.copy()}
    with pytest.raises(oauth.FlowRefused, match="longer than 15 minutes"):
        oauth.flow_take(session, flow.state, user_id=7)


def test_a_session_keeps_the_five_newest_flows():
    session = {}
    flows = [_flow(state=f"s{i}", started=time.time() - 100 + i) for i in range(7)]
    for flow in flows:
        oauth.flow_remember(session, flow)
    assert sorted(session[oauth.SESSION_KEY]) == ["s2", "s3", "s4", "s5", "s6"]


# --- The token exchange and the address ------------------------------------------------------


def test_the_code_is_traded_with_the_verifier_and_the_secret(google_client, stub_oauth):
    flow = _flow()
    stub_oauth.queue(200, {
        "access_token": "at-1", "refresh_token": "rt-1", "expires_in": 3599,
        "id_token": id_token({"aud": "google-id", "email": "Kari@Fjord.example",
                              "email_verified": True, "nonce": "n"}),
    })  # fmt: skip
    before = timezone.now()

    tokens = oauth.code_exchange(google_client, flow, code="code-1", redirect_uri=REDIRECT)

    assert stub_oauth.token_requests() == [{
        "grant_type": "authorization_code", "code": "code-1", "redirect_uri": REDIRECT,
        "client_id": "google-id", "client_secret": GOOGLE_SECRET, "code_verifier": "v" * 64,
    }]  # fmt: skip
    assert (tokens.access_token, tokens.refresh_token) == ("at-1", "rt-1")
    assert (
        before + timedelta(seconds=3599)
        <= tokens.expires_at
        <= timezone.now() + timedelta(seconds=3599)
    )
    assert "at-1" not in repr(tokens) and "rt-1" not in repr(tokens)
    assert oauth.address_from(google_client, flow, tokens) == "kari@fjord.example"


@pytest.mark.parametrize(
    "status, body, says",
    [
        (400, {"error": "invalid_grant"}, "Google refused the sign-in (it expired or was already used)"),
        (401, {"error": "invalid_client"}, "Google refused this site's OAuth app (its client id or secret)"),
        (400, {"error": "something_else"}, "Google refused to give access to the mailbox"),
        (200, {"token_type": "Bearer"}, "Google refused to give access to the mailbox"),
        (200, {"access_token": "at", "expires_in": 3600}, "Google gave no refresh token"),
    ],
)  # fmt: skip
def test_a_refused_exchange_says_why(google_client, stub_oauth, status, body, says):
    stub_oauth.queue(status, body)
    with pytest.raises(Invalid) as refused:
        oauth.code_exchange(google_client, _flow(), code="c", redirect_uri=REDIRECT)
    assert says in str(refused.value)


@pytest.mark.parametrize("status, body", [(503, {"error": "unavailable"}), (200, b"<html>")])
def test_an_endpoint_answering_nonsense_is_a_temporary_error(
    google_client, stub_oauth, status, body
):
    stub_oauth.queue(status, body)
    with pytest.raises(MailboxError) as failed:
        oauth.code_exchange(google_client, _flow(), code="c", redirect_uri=REDIRECT)
    assert failed.value.permanent is False
    assert "try again in a few minutes" in failed.value.message


def test_an_endpoint_that_does_not_answer_is_a_temporary_error(google_client, settings):
    settings.SDRCRM_OAUTH_ENDPOINTS = {"google": {"token": "http://127.0.0.1:9/token"}}
    with pytest.raises(MailboxError) as failed:
        oauth.code_exchange(google_client, _flow(), code="c", redirect_uri=REDIRECT)
    assert (failed.value.kind, failed.value.permanent) == ("connect", False)
    assert failed.value.message == (
        "Google's sign-in service did not answer: try again in a few minutes."
    )


def _tokens(claims=None, access="at") -> oauth.Tokens:
    return oauth.Tokens(
        access_token=access, refresh_token="rt", expires_at=timezone.now(),
        id_token=id_token(claims) if claims is not None else "",
    )  # fmt: skip


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "someone-else", "email": "kari@fjord.example", "nonce": "n"},
        {"aud": "google-id", "email": "kari@fjord.example", "nonce": "another"},
    ],
)
def test_an_id_token_for_another_client_or_sign_in_is_refused(google_client, claims):
    with pytest.raises(Invalid, match="was not issued for this sign-in"):
        oauth.address_from(google_client, _flow(), _tokens(claims))


def test_microsofts_address_may_come_from_preferred_username(microsoft_client):
    tokens = _tokens({"aud": ["microsoft-id"], "preferred_username": "Ola@Contoso.example"})
    assert oauth.address_from(microsoft_client, _flow(provider="microsoft"), tokens) == (
        "ola@contoso.example"
    )


def test_googles_address_from_userinfo_when_the_id_token_has_none(google_client, stub_oauth):
    stub_oauth.userinfo = (200, {"email": "kari@fjord.example", "email_verified": True})
    tokens = _tokens({"aud": "google-id", "email_verified": False, "email": "x@y.example"})

    assert oauth.address_from(google_client, _flow(), tokens) == "kari@fjord.example"
    (path, _, headers) = stub_oauth.requests[-1]
    assert (path, headers["Authorization"]) == ("/userinfo", "Bearer at")


def test_no_address_anywhere_is_refused(google_client, stub_oauth):
    stub_oauth.userinfo = (200, {"email": "kari@fjord.example", "email_verified": False})
    with pytest.raises(Invalid, match="did not tell which address was signed in to"):
        oauth.address_from(google_client, _flow(), _tokens({"aud": "google-id"}))


@pytest.mark.parametrize("token", ["", "a.b", "a.!!!.c", "a.bnVsbA.c", "a.WzFd.c"])
def test_a_malformed_id_token_has_no_claims(token):
    assert oauth.id_token_claims(token) == {}


# --- Renewal --------------------------------------------------------------------------------


@pytest.fixture
def sender(crew):
    return crew.sdr


def test_a_token_valid_for_more_than_five_minutes_is_used_as_it_is(
    sender, google_client, stub_oauth
):
    mailbox = oauth_mailbox(sender, expires_in=5 * 60 + 30)
    assert oauth.fresh_access_token(mailbox) == "access-1"
    assert stub_oauth.requests == []


def test_a_token_expiring_within_five_minutes_is_renewed_and_saved_encrypted(
    sender, google_client, stub_oauth
):
    mailbox = oauth_mailbox(sender, expires_in=4 * 60)
    stub_oauth.queue(200, {"access_token": "access-2", "expires_in": 3600})

    assert oauth.fresh_access_token(mailbox) == "access-2"

    assert stub_oauth.token_requests() == [{
        "grant_type": "refresh_token", "refresh_token": "refresh-1", "client_id": "google-id",
        "client_secret": GOOGLE_SECRET,
    }]  # fmt: skip
    saved = Mailbox.objects.get(pk=mailbox.pk)
    assert crypto.decrypt(saved.access_token) == "access-2"
    assert "access-2" not in saved.access_token  # stored encrypted
    assert crypto.decrypt(saved.refresh_token) == "refresh-1"  # Google keeps the refresh token
    assert saved.token_expires_at > timezone.now() + timedelta(minutes=59)
    assert mailbox.token_expires_at == saved.token_expires_at


def test_a_rotated_refresh_token_is_saved(sender, microsoft_client, stub_oauth):
    mailbox = oauth_mailbox(sender, provider=AuthKind.MICROSOFT, expires_in=-10)
    stub_oauth.queue(200, {"access_token": "access-2", "refresh_token": "refresh-2",
                           "expires_in": 3600})  # fmt: skip

    assert oauth.fresh_access_token(mailbox) == "access-2"

    (request,) = stub_oauth.token_requests()
    assert (request["refresh_token"], request["client_secret"]) == ("refresh-1", MICROSOFT_SECRET)
    assert request["scope"].startswith("https://outlook.office.com/IMAP.AccessAsUser.All")
    assert crypto.decrypt(Mailbox.objects.get(pk=mailbox.pk).refresh_token) == "refresh-2"


@pytest.mark.parametrize(
    "body, says",
    [
        ({"error": "invalid_grant"}, "Google refused to renew the access to the mailbox (it was revoked, or the password changed): connect the mailbox again from the Mailbox page."),
        ({"error": "invalid_client"}, "Google refused this site's OAuth app (its client id or secret changed)"),
    ],
)  # fmt: skip
def test_a_refused_renewal_is_a_permanent_token_error_and_changes_nothing(
    sender, google_client, stub_oauth, body, says
):
    mailbox = oauth_mailbox(sender, expires_in=-10)
    before = Mailbox.objects.filter(pk=mailbox.pk).values().get()
    stub_oauth.queue(400, body)

    with pytest.raises(MailboxError) as refused:
        oauth.fresh_access_token(mailbox)

    assert (refused.value.kind, refused.value.permanent) == ("token", True)
    assert says in refused.value.message
    assert Mailbox.objects.filter(pk=mailbox.pk).values().get() == before


def test_a_renewal_the_provider_could_not_answer_is_temporary(sender, google_client, stub_oauth):
    mailbox = oauth_mailbox(sender, expires_in=-10)
    stub_oauth.queue(429, {"error": "rate_limited"})
    with pytest.raises(MailboxError) as failed:
        oauth.fresh_access_token(mailbox)
    assert (failed.value.kind, failed.value.permanent) == ("token", False)


def test_without_the_oauth_app_the_renewal_is_refused_permanently(sender, db, stub_oauth):
    mailbox = oauth_mailbox(sender, expires_in=-10)
    with pytest.raises(MailboxError) as refused:
        oauth.fresh_access_token(mailbox)
    assert refused.value.permanent is True
    assert "an administrator must register the OAuth app again" in refused.value.message
    assert stub_oauth.requests == []


def test_an_unsaved_mailbox_is_renewed_without_saving(sender, google_client, stub_oauth):
    mailbox = Mailbox(
        user=sender, team=sender.team, auth_kind=AuthKind.GOOGLE, email="k@fjord.example",
        access_token=crypto.encrypt("old"), refresh_token=crypto.encrypt("refresh-1"),
        token_expires_at=timezone.now(),
    )  # fmt: skip
    stub_oauth.queue(200, {"access_token": "new", "expires_in": 3600})
    assert oauth.fresh_access_token(mailbox) == "new"
    assert crypto.decrypt(mailbox.access_token) == "new"
    assert not Mailbox.objects.exists()


def test_a_password_mailbox_has_no_access_token(sender):
    with pytest.raises(ValueError):
        oauth.fresh_access_token(Mailbox(auth_kind=AuthKind.PASSWORD))


@pytest.mark.django_db(transaction=True)
def test_two_processes_renewing_at_once_spend_the_refresh_token_once(
    crew_tx, google_tx, stub_oauth
):
    """The sync and the sender both find the token expiring: the second waits for the
    first's renewal (the row lock) and uses its token; the provider sees one request."""
    mailbox = oauth_mailbox(crew_tx, expires_in=-10)
    stub_oauth.queue(200, {"access_token": "access-2", "refresh_token": "refresh-2",
                           "expires_in": 3600})  # fmt: skip
    stub_oauth.gate = threading.Event()
    results, errors = [], []

    def renew():
        try:
            results.append(oauth.fresh_access_token(Mailbox.objects.get(pk=mailbox.pk)))
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=renew) for _ in range(2)]
    for t in threads:
        t.start()
    while not stub_oauth.token_requests():
        time.sleep(0.01)
    time.sleep(0.2)  # the second is now waiting for the lock (it cannot reach the endpoint)
    stub_oauth.gate.set()
    for t in threads:
        t.join(20)

    assert errors == []
    assert results == ["access-2", "access-2"]
    assert len(stub_oauth.token_requests()) == 1
    assert crypto.decrypt(Mailbox.objects.get(pk=mailbox.pk).refresh_token) == "refresh-2"


@pytest.fixture
def crew_tx(transactional_db):
    from tests.factories import UserFactory

    return UserFactory(username="renewer")


@pytest.fixture
def google_tx(transactional_db):
    from mailboxes.models import OAuthClient

    return OAuthClient.objects.create(
        provider=AuthKind.GOOGLE, client_id="google-id", client_secret=crypto.encrypt(GOOGLE_SECRET)
    )
