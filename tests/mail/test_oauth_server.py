"""The local OAuth 2.0 authorization server: the grants the product's OAuth code will run
against in the tests, as Google's and Microsoft's answer them."""

import base64
import json
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from tests.mail.oauth_server import pkce_challenge

REDIRECT = "http://127.0.0.1:8000/settings/mailbox/oauth/callback/"


def _authorize(oauth, *, verifier: str | None, state: str = "st-1", **extra) -> dict:
    params = {
        "response_type": "code", "client_id": oauth.client_id, "redirect_uri": REDIRECT,
        "scope": "openid email https://mail.google.com/", "state": state, **extra,
    }  # fmt: skip
    if verifier:
        params.update(code_challenge=pkce_challenge(verifier), code_challenge_method="S256")
    answer = requests.get(f"{oauth.authorize_url}?{urlencode(params)}", allow_redirects=False,
                          timeout=10)  # fmt: skip
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def _token(oauth, **form) -> requests.Response:
    return requests.post(oauth.token_url, data={"client_id": oauth.client_id,
                         "client_secret": oauth.client_secret, **form}, timeout=10)  # fmt: skip


def _claims(id_token: str) -> dict:
    payload = id_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_authorization_code_with_pkce_then_refresh(mail_servers, oauth_server):
    sdr = mail_servers.add_user()
    oauth_server.consent_as(sdr.email)
    verifier = secrets.token_urlsafe(48)

    back = _authorize(oauth_server, verifier=verifier)
    assert back["state"] == "st-1"
    answer = _token(oauth_server, grant_type="authorization_code", code=back["code"],
                    redirect_uri=REDIRECT, code_verifier=verifier)  # fmt: skip

    assert answer.status_code == 200
    tokens = answer.json()
    assert (tokens["token_type"], tokens["expires_in"]) == ("Bearer", 3600)
    assert _claims(tokens["id_token"])["email"] == sdr.email
    assert oauth_server.access_token_email(tokens["access_token"]) == sdr.email
    # The code is good once.
    again = _token(oauth_server, grant_type="authorization_code", code=back["code"],
                   redirect_uri=REDIRECT, code_verifier=verifier)  # fmt: skip
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")

    refreshed = _token(oauth_server, grant_type="refresh_token",
                       refresh_token=tokens["refresh_token"])  # fmt: skip
    assert refreshed.status_code == 200
    assert refreshed.json()["refresh_token"] == tokens["refresh_token"]  # Google keeps it
    assert refreshed.json()["access_token"] != tokens["access_token"]
    info = requests.get(oauth_server.userinfo_url, timeout=10,
                        headers={"Authorization": f"Bearer {refreshed.json()['access_token']}"})
    assert info.json()["email"] == sdr.email


def test_a_wrong_or_missing_code_verifier_is_refused(mail_servers, oauth_server):
    oauth_server.consent_as(mail_servers.new_address())
    back = _authorize(oauth_server, verifier=secrets.token_urlsafe(48))
    wrong = _token(oauth_server, grant_type="authorization_code", code=back["code"],
                   redirect_uri=REDIRECT, code_verifier=secrets.token_urlsafe(48))  # fmt: skip
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")

    without_pkce = _authorize(oauth_server, verifier=None)
    assert (without_pkce["error"], without_pkce["state"]) == ("invalid_request", "st-1")


def test_a_denied_consent_and_a_wrong_client_secret(mail_servers, oauth_server):
    oauth_server.deny_next()
    back = _authorize(oauth_server, verifier="v" * 50, login_hint=mail_servers.new_address())
    assert back == {"error": "access_denied", "state": "st-1"}

    answer = requests.post(oauth_server.token_url, timeout=10, data={
        "grant_type": "refresh_token", "refresh_token": "rt-x", "client_id":
        oauth_server.client_id, "client_secret": "wrong"})  # fmt: skip
    assert (answer.status_code, answer.json()["error"]) == (401, "invalid_client")


def test_a_revoked_refresh_token_is_refused_and_rotation(mail_servers, oauth_server):
    sdr = mail_servers.add_user()
    tokens = oauth_server.issue_tokens(sdr.email)
    oauth_server.rotate_refresh_tokens = True  # as Microsoft does
    rotated = _token(oauth_server, grant_type="refresh_token",
                     refresh_token=tokens.refresh_token).json()  # fmt: skip
    assert rotated["refresh_token"] != tokens.refresh_token

    oauth_server.revoke(rotated["refresh_token"])
    refused = _token(oauth_server, grant_type="refresh_token",
                     refresh_token=rotated["refresh_token"])  # fmt: skip
    assert refused.status_code == 400
    assert refused.json() == {
        "error": "invalid_grant", "error_description": "Token has been expired or revoked.",
    }  # fmt: skip
    assert oauth_server.token_active(rotated["access_token"]) is False


def test_an_outage_of_the_token_endpoint(mail_servers, oauth_server):
    tokens = oauth_server.issue_tokens(mail_servers.new_address())
    oauth_server.fail_next_token_request(503)
    first = _token(oauth_server, grant_type="refresh_token", refresh_token=tokens.refresh_token)
    second = _token(oauth_server, grant_type="refresh_token", refresh_token=tokens.refresh_token)
    assert (first.status_code, second.status_code) == (503, 200)
    assert [r.status for r in oauth_server.requests("token")][-2:] == [503, 200]


def test_introspection_as_dovecot_asks(mail_servers, oauth_server):
    sdr = mail_servers.add_user()
    tokens = oauth_server.issue_tokens(sdr.email)
    active = requests.post(oauth_server.introspect_url, data={"token": tokens.access_token},
                           timeout=10).json()  # fmt: skip
    assert (active["active"], active["username"]) == (True, sdr.email)
    oauth_server.expire_access_tokens(sdr.email)
    assert requests.post(oauth_server.introspect_url, data={"token": tokens.access_token},
                         timeout=10).json() == {"active": False}  # fmt: skip
