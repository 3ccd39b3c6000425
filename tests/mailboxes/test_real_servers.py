"""Connecting against the tests' real servers (tests/mail/: Dovecot for IMAP, an aiosmtpd
submission server, a local OAuth 2.0 authorization server whose tokens both accept): a password
connection, and the whole Google and Microsoft sign-ins: authorize, callback, tokens stored
encrypted, IMAP and SMTP XOAUTH2 logins with the issued token, a renewal after expiry, and a
revoked refresh token marking the mailbox failing with a clear reason."""

import dataclasses
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import requests
from django.contrib.messages import get_messages
from django.utils import timezone

from mailboxes import crypto, oauth
from mailboxes.models import AuthKind, Mailbox, MailboxStatus, OAuthClient
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def said(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def form(servers, user, **change) -> dict:
    values = {
        "email": user.email, "username": "", "password": user.password,
        "imap_host": servers.host, "imap_port": servers.imap_port, "imap_security": "none",
        "smtp_host": servers.host, "smtp_port": servers.smtp_port, "smtp_security": "none",
    }  # fmt: skip
    values.update(change)
    return values


# --- A password ------------------------------------------------------------------------------


def test_a_password_mailbox_on_the_real_servers(crew, client, mail_servers, mail_user):
    client.force_login(crew.sdr)

    response = client.post("/mailboxes/connect/", form(mail_servers, mail_user))

    assert said(response) == [
        ("success", "Mailbox connected: the IMAP and SMTP logins work. It is saved.")
    ]
    saved = Mailbox.objects.get(user=crew.sdr)
    assert (saved.email, saved.status, saved.sent_folder) == (
        mail_user.email, MailboxStatus.CONNECTED, "Sent",
    )  # fmt: skip
    assert crypto.decrypt(saved.secret) == mail_user.password
    assert said(client.post("/mailboxes/test/"))[-1] == (
        "success", "The mailbox works: the IMAP and SMTP logins succeeded.",
    )  # fmt: skip


def test_a_wrong_password_is_named_and_nothing_is_saved(crew, client, mail_servers, mail_user):
    client.force_login(crew.sdr)
    response = client.post(
        "/mailboxes/connect/", form(mail_servers, mail_user, password="wrong-password")
    )
    assert response.status_code == 400
    (error,) = response.context["connect_form"].non_field_errors()
    assert error.startswith("The connection test failed: Authentication failed")
    assert error.endswith(". Nothing was saved.")
    assert not Mailbox.objects.exists()


def test_an_untrusted_certificate_is_named(crew, client, mail_servers, mail_user):
    """TLS to the test servers without their authority trusted: what a self-signed company
    server looks like."""
    client.force_login(crew.sdr)
    response = client.post(
        "/mailboxes/connect/",
        form(mail_servers, mail_user, imap_host="localhost", imap_security="tls",
             imap_port=mail_servers.imap_tls_port),
    )  # fmt: skip
    (error,) = response.context["connect_form"].non_field_errors()
    assert error == (
        "The connection test failed: The server's certificate is not trusted. Nothing was saved."
    )
    assert not Mailbox.objects.exists()


# --- OAuth 2.0 -------------------------------------------------------------------------------


@pytest.fixture
def provider_at_local_servers(monkeypatch, settings, mail_servers, oauth_server, trust_test_ca):
    """Google and Microsoft as the local servers play them: their endpoints (settings) and
    their IMAP and SMTP hosts (TLS on localhost, as imap.gmail.com:993 and
    smtp.gmail.com:587 are)."""
    urls = {"authorize": oauth_server.authorize_url, "token": oauth_server.token_url}
    settings.SDRCRM_OAUTH_ENDPOINTS = {
        "google": {**urls, "userinfo": oauth_server.userinfo_url},
        "microsoft": {**urls, "userinfo": ""},
    }
    for kind in (AuthKind.GOOGLE, AuthKind.MICROSOFT):
        monkeypatch.setitem(
            oauth.PROVIDERS,
            kind,
            dataclasses.replace(
                oauth.PROVIDERS[kind],
                imap=("localhost", mail_servers.imap_tls_port, "tls"),
                smtp=("localhost", mail_servers.smtp_starttls_port, "starttls"),
            ),
        )
    for kind in (AuthKind.GOOGLE, AuthKind.MICROSOFT):
        OAuthClient.objects.create(
            provider=kind,
            client_id=oauth_server.client_id,
            client_secret=crypto.encrypt(oauth_server.client_secret),
            tenant="contoso.example",
        )
    return oauth_server


def sign_in(client, provider: str) -> object:
    """The browser's round trip: start, the provider's authorize page (which consents), and
    back to the callback. Returns the callback's response."""
    start = client.post("/mailboxes/oauth/start/", {"provider": provider})
    assert start.status_code == 302
    at_provider = requests.get(start["Location"], allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302
    back = urlsplit(at_provider.headers["Location"])
    assert back.path == "/mailboxes/oauth/callback/"
    return client.get(f"{back.path}?{back.query}")


def _exchanges(server) -> list:
    """The server's answers to code exchanges (its log is the session's)."""
    return [
        r for r in server.requests("token") if r.params.get("grant_type") == "authorization_code"
    ]


@pytest.mark.parametrize("provider", ["google", "microsoft"])
def test_the_whole_sign_in_renewal_and_revocation(
    crew, client, mail_servers, mail_user, provider_at_local_servers, provider
):
    server = provider_at_local_servers
    server.rotate_refresh_tokens = provider == "microsoft"
    crew.sdr.email = mail_user.email  # the login_hint: the account that consents
    crew.sdr.save(update_fields=["email"])
    client.force_login(crew.sdr)
    name = oauth.provider_for(provider).name

    # Authorize -> callback -> tokens stored encrypted -> IMAP and SMTP XOAUTH2 logins.
    exchanges_before = len(_exchanges(server))
    response = sign_in(client, provider)
    assert said(response) == [
        (
            "success",
            f"{mail_user.email} is connected through {name}: the IMAP and SMTP logins work.",
        )
    ]
    mailbox = Mailbox.objects.get(user=crew.sdr)
    access, refresh = crypto.decrypt(mailbox.access_token), crypto.decrypt(mailbox.refresh_token)
    assert (mailbox.auth_kind, mailbox.email, mailbox.username, mailbox.secret) == (
        provider, mail_user.email, mail_user.email, "",
    )  # fmt: skip
    assert access not in mailbox.access_token and refresh not in mailbox.refresh_token
    assert server.access_token_email(access) == mail_user.email
    exchange = _exchanges(server)[exchanges_before:]
    # One exchange, accepted by a server that requires PKCE (S256) and checks the verifier.
    assert server.require_pkce is True
    assert [r.status for r in exchange] == [200]

    # The access token expires: "Test again" renews it first (5 minutes ahead), then logs in.
    server.expire_access_tokens(mail_user.email)
    Mailbox.objects.filter(pk=mailbox.pk).update(
        token_expires_at=timezone.now() + timedelta(minutes=2)
    )
    assert said(client.post("/mailboxes/test/"))[-1] == (
        "success", "The mailbox works: the IMAP and SMTP logins succeeded.",
    )  # fmt: skip
    renewed = Mailbox.objects.get(pk=mailbox.pk)
    assert crypto.decrypt(renewed.access_token) != access
    assert renewed.token_expires_at > timezone.now() + timedelta(minutes=50)
    rotated = crypto.decrypt(renewed.refresh_token)
    assert (rotated != refresh) is (provider == "microsoft")  # Microsoft rotates, Google not

    # The user revokes the access: the renewal is refused, the mailbox fails, its owner hears.
    server.revoke_user(mail_user.email)
    Mailbox.objects.filter(pk=mailbox.pk).update(token_expires_at=timezone.now())
    response = client.post("/mailboxes/test/")
    reason = (
        f"{name} refused to renew the access to the mailbox (it was revoked, or the password "
        "changed): connect the mailbox again from the Mailbox page."
    )
    assert said(response)[-1] == ("error", f"The connection test failed: {reason}")
    failing = Mailbox.objects.get(pk=mailbox.pk)
    assert (failing.status, failing.last_error) == (MailboxStatus.FAILING, reason)
    assert Notification.objects.filter(user=crew.sdr, kind="mailbox").count() == 1

    # Signing in again repairs it.
    response = sign_in(client, provider)
    assert said(response)[-1][0] == "success"
    assert Mailbox.objects.get(pk=mailbox.pk).status == MailboxStatus.CONNECTED


def test_a_refusal_at_the_provider_saves_nothing(
    crew, client, mail_user, provider_at_local_servers
):
    provider_at_local_servers.deny_next("access_denied")
    crew.sdr.email = mail_user.email
    crew.sdr.save(update_fields=["email"])
    client.force_login(crew.sdr)
    response = sign_in(client, "google")
    assert said(response) == [("error", "You did not give access at Google: nothing was saved.")]
    assert not Mailbox.objects.exists()


def test_a_replayed_callback_saves_nothing_more(crew, client, mail_user, provider_at_local_servers):
    crew.sdr.email = mail_user.email
    crew.sdr.save(update_fields=["email"])
    client.force_login(crew.sdr)
    start = client.post("/mailboxes/oauth/start/", {"provider": "google"})
    back = urlsplit(
        requests.get(start["Location"], allow_redirects=False, timeout=10).headers["Location"]
    )
    first = client.get(f"{back.path}?{back.query}")
    assert said(first)[-1][0] == "success"
    before = list(Mailbox.objects.values())
    again = client.get(f"{back.path}?{back.query}")
    assert said(again)[-1] == (
        "error",
        "This sign-in answer does not belong to a sign-in started from your Mailbox page in "
        "this browser, or it was already used. Nothing was saved: start again from the Mailbox "
        "page.",
    )
    assert list(Mailbox.objects.values()) == before
