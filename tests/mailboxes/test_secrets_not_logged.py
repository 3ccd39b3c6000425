"""No password, token or client secret reaches a log: every record of every logger, at DEBUG,
through a password connection (working and failing), a whole OAuth sign-in, a token renewal,
a refused renewal and a disconnection; nor the report Django makes of an unexpected error in
the connect view (what ADMINS would be emailed)."""

import logging
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.views.debug import ExceptionReporter

from mailboxes import oauth
from mailboxes.models import Mailbox

from .conftest import GOOGLE_SECRET, id_token, mailbox_error, oauth_mailbox

pytestmark = pytest.mark.django_db

PASSWORD = "Pa55-word-that-must-not-leak"  # noqa: S105 (a test's)
FORM = {
    "email": "kari@fjord.example", "username": "", "password": PASSWORD,
    "imap_host": "imap.fjord.example", "imap_port": "993", "imap_security": "tls",
    "smtp_host": "smtp.fjord.example", "smtp_port": "587", "smtp_security": "starttls",
}  # fmt: skip


def logged(caplog) -> str:
    parts = [caplog.text]
    for record in caplog.records:
        parts += [record.getMessage(), repr(record.args), str(record.__dict__.get("exc_text"))]
    return "\n".join(parts)


def test_nothing_secret_is_logged_anywhere(crew, client, caplog, fake_transport, google_client,
                                          stub_oauth):  # fmt: skip
    caplog.set_level(logging.DEBUG)
    client.force_login(crew.sdr)

    # A password connection: failing, then working; then the page.
    fake_transport.imap_error = mailbox_error()
    assert client.post("/mailboxes/connect/", FORM).status_code == 400
    fake_transport.imap_error = None
    assert client.post("/mailboxes/connect/", FORM).status_code == 302
    client.get("/mailboxes/")
    stored = Mailbox.objects.get(user=crew.sdr).secret

    # A Google sign-in, a renewal that rotates the refresh token, a refused one.
    start = client.post("/mailboxes/oauth/start/", {"provider": "google"})
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    verifier = client.session[oauth.SESSION_KEY][state]["verifier"]
    stub_oauth.queue(200, {
        "access_token": "ya29.ACCESS-SECRET", "refresh_token": "1//REFRESH-SECRET",
        "expires_in": 1, "id_token": id_token({"aud": "google-id", "email": "kari@fjord.example"}),
    })  # fmt: skip
    client.get(f"/mailboxes/oauth/callback/?state={state}&code=4/CODE-SECRET")
    mailbox = Mailbox.objects.get(user=crew.sdr)
    stub_oauth.queue(200, {"access_token": "ya29.RENEWED-SECRET", "refresh_token": "1//ROTATED",
                           "expires_in": 3600})  # fmt: skip
    assert oauth.fresh_access_token(mailbox) == "ya29.RENEWED-SECRET"
    other = oauth_mailbox(crew.ae, expires_in=-1)
    stub_oauth.queue(400, {"error": "invalid_grant", "error_description": "Token has been expired"})
    with pytest.raises(Exception):  # noqa: B017 (the MailboxError; its text is checked below)
        oauth.fresh_access_token(other)
    client.post("/mailboxes/disconnect/")

    text = logged(caplog)
    assert caplog.records  # the capture saw something (requests and Django log at DEBUG)
    for secret in (
        PASSWORD, stored, "ACCESS-SECRET", "REFRESH-SECRET", "RENEWED-SECRET", "ROTATED",
        "refresh-1", "access-1", GOOGLE_SECRET, verifier, "CODE-SECRET",
    ):  # fmt: skip
        assert secret not in text, secret


def test_an_unexpected_error_in_the_connect_view_is_reported_without_the_password(
    crew, caplog, fake_transport
):
    fake_transport.imap_error = RuntimeError("the server library broke")
    client = Client(raise_request_exception=False)
    client.force_login(crew.sdr)

    assert client.post("/mailboxes/connect/", FORM).status_code == 500

    (record,) = [r for r in caplog.records if r.name == "django.request"]
    report = ExceptionReporter(record.request, *record.exc_info).get_traceback_text()
    assert "the server library broke" in report
    assert PASSWORD not in report
    assert "password = '********************'" in report  # the POST, masked
    assert not Mailbox.objects.exists()
