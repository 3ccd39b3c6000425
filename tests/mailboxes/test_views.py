"""The Mailbox page and the team's mailboxes page: who sees what, the forms, bad input, the
OAuth start and callback, and the query counts."""

# ruff: noqa: E501  (the tables of cases and the messages read best one a line)

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from accounts.models import Team
from audit.models import AuditEntry
from mailboxes import crypto, oauth
from mailboxes.models import AuthKind, Mailbox, MailboxSendCounter, MailboxStatus
from tests.factories import UserFactory

from .conftest import AUTH_FAILED, id_token, mailbox_error, oauth_mailbox, password_mailbox

pytestmark = pytest.mark.django_db

FORM = {
    "email": "kari@fjord.example", "username": "", "password": "app-password-1",
    "imap_host": "imap.fjord.example", "imap_port": "993", "imap_security": "tls",
    "smtp_host": "smtp.fjord.example", "smtp_port": "587", "smtp_security": "starttls",
}  # fmt: skip


def said(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def snapshot():
    return list(Mailbox.objects.order_by("pk").values())


@pytest.fixture
def sdr(crew, client):
    client.force_login(crew.sdr)
    return crew.sdr


# --- Who opens which page --------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, mine, team",
    [("sdr", 200, 403), ("bdr", 200, 403), ("ae", 200, 403), ("manager", 403, 200),
     ("marketing", 403, 403), ("admin", 403, 200), ("privacy", 403, 403)],
)  # fmt: skip
def test_who_opens_the_pages(crew, client, role, mine, team):
    client.force_login(getattr(crew, role))
    assert client.get("/mailboxes/").status_code == mine
    assert client.get("/mailboxes/team/").status_code == team


@pytest.mark.parametrize(
    "role, links",
    [("sdr", ["/mailboxes/"]), ("ae", ["/mailboxes/"]), ("manager", ["/mailboxes/team/"]),
     ("admin", ["/mailboxes/team/"]), ("marketing", [])],
)  # fmt: skip
def test_the_user_menu_links_the_page(crew, client, role, links):
    client.force_login(getattr(crew, role))
    page = client.get("/password/").content.decode()
    shown = [p for p in ("/mailboxes/", "/mailboxes/team/") if f'href="{p}"' in page]
    assert shown == links


# --- The Mailbox page ------------------------------------------------------------------------


def test_without_a_mailbox_the_page_offers_the_password_form_and_presets(sdr, client):
    response = client.get("/mailboxes/")
    page = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert "Connect your mailbox" in page and 'id="health-title"' not in page
    assert 'action="/mailboxes/connect/"' in page
    assert "Sign in with Google" not in page and "Sign in with Microsoft" not in page
    for preset in ("gmail", "microsoft", "domeneshop", "one"):
        assert f'href="?preset={preset}#connect-title"' in page


def test_the_sign_in_buttons_show_once_an_admin_registered_the_app(sdr, client, google_client):
    page = client.get("/mailboxes/").content.decode()
    assert "Sign in with Google" in page and "Sign in with Microsoft" not in page


def test_a_preset_fills_in_the_servers(sdr, client):
    response = client.get("/mailboxes/?preset=gmail")
    form = response.context["connect_form"]
    assert {k: form.initial[k] for k in ("imap_host", "imap_port", "smtp_host", "smtp_port")} == {
        "imap_host": "imap.gmail.com", "imap_port": 993, "smtp_host": "smtp.gmail.com",
        "smtp_port": 587,
    }  # fmt: skip
    assert "app password" in response.content.decode()
    assert client.get("/mailboxes/?preset=<script>").status_code == 200


def test_the_page_shows_the_health_and_never_a_secret(sdr, client, crew):
    mailbox = password_mailbox(
        sdr, status=MailboxStatus.FAILING,
        last_error="Authentication failed: <check> the password",
    )  # fmt: skip
    MailboxSendCounter.objects.create(
        mailbox=mailbox, hour=mailbox.connected_at.replace(minute=0, second=0, microsecond=0),
        sent=3,
    )  # fmt: skip
    page = client.get("/mailboxes/").content.decode()

    assert "Not working: sends are held" in page
    assert "Authentication failed: &lt;check&gt; the password" in page
    assert "IMAP imap.fjord.example:993 · SMTP smtp.fjord.example:587" in page
    assert "Day 1 of 21: up to 20 emails today, rising to 200." in page
    assert "3 of 20" in page
    assert "Leave empty to keep the stored one" in page
    assert "stored-password-1" not in page and mailbox.secret not in page
    assert (
        '<input type="password" name="password" autocomplete="new-password" maxlength="1024" '
        'aria-describedby="id_password_helptext" id="id_password">'
    ) in page  # no value attribute: the field is always empty


def test_the_page_of_an_oauth_mailbox_shows_no_token(sdr, client):
    mailbox = oauth_mailbox(sdr)
    page = client.get("/mailboxes/").content.decode()
    assert "Google Workspace (OAuth)" in page
    for secret in ("access-1", "refresh-1", mailbox.access_token, mailbox.refresh_token):
        assert secret not in page


# --- Connecting with a password --------------------------------------------------------------


def test_a_working_connection_is_saved(sdr, client, fake_transport):
    response = client.post("/mailboxes/connect/", FORM)
    assert (response.status_code, response["Location"]) == (302, "/mailboxes/")
    assert said(response) == [
        ("success", "Mailbox connected: the IMAP and SMTP logins work. It is saved.")
    ]
    assert crypto.decrypt(Mailbox.objects.get(user=sdr).secret) == "app-password-1"


def test_a_failed_test_says_exactly_what_is_wrong_and_saves_nothing(sdr, client, fake_transport):
    fake_transport.imap_error = mailbox_error()
    response = client.post("/mailboxes/connect/", FORM)
    page = response.content.decode()

    assert response.status_code == 400
    assert response.context["connect_form"].non_field_errors() == [
        f"The connection test failed: {AUTH_FAILED}. Nothing was saved."
    ]
    assert "app-password-1" not in page  # the password is not sent back
    assert not Mailbox.objects.exists()


@pytest.mark.parametrize(
    "change, field, says",
    [
        ({"imap_port": "abc"}, "imap_port", "Enter a whole number."),
        ({"smtp_port": "0"}, "smtp_port", "Ensure this value is greater than or equal to 1."),
        ({"imap_port": "99999"}, "imap_port", "Ensure this value is less than or equal to 65535."),
        ({"imap_host": "i" * 300}, "imap_host", "Ensure this value has at most 253 characters (it has 300)."),
        ({"email": "k" * 250 + "@fjord.example"}, "email", "Ensure this value has at most 254 characters (it has 264)."),
        ({"password": "p" * 1100}, "password", "Ensure this value has at most 1024 characters (it has 1100)."),
        ({"smtp_security": "ssl"}, "smtp_security", "Select a valid choice. ssl is not one of the available choices."),
        ({"imap_security": "none", "imap_port": "10143"}, "imap_security", "A connection without TLS would send the password in clear: it is allowed to a server on this machine only (localhost). Choose TLS or STARTTLS."),
        ({"imap_port": "993", "imap_security": "starttls"}, "imap_security", "Port 993 is IMAP with TLS: choose TLS, or the port that goes with STARTTLS."),
        ({"smtp_host": "smtp.fjord.example:587"}, "smtp_host", "Enter only the server's name (e.g. imap.example.com), without a scheme, a port or a path: the port has its own field."),
    ],
)  # fmt: skip
def test_bad_input_is_a_field_error_never_a_500(sdr, client, fake_transport, change, field, says):
    response = client.post("/mailboxes/connect/", {**FORM, **change})
    assert response.status_code == 400
    assert response.context["connect_form"].errors == {field: [says]}
    assert fake_transport.seen == [] and not Mailbox.objects.exists()


def test_a_forged_post_without_the_csrf_token_is_refused(crew, fake_transport):
    client = Client(enforce_csrf_checks=True)
    client.force_login(crew.sdr)
    for path in ("/mailboxes/connect/", "/mailboxes/disconnect/", "/mailboxes/oauth/start/"):
        assert client.post(path, FORM).status_code == 403
    assert fake_transport.seen == [] and not Mailbox.objects.exists()


def test_naming_another_users_mailbox_changes_only_ones_own(sdr, client, crew, fake_transport):
    theirs = password_mailbox(crew.sdr2)
    before = snapshot()
    response = client.post(
        "/mailboxes/connect/",
        {**FORM, "user": crew.sdr2.pk, "mailbox": theirs.pk, "id": theirs.pk},
    )
    assert response.status_code == 302
    assert snapshot()[0] == before[0]
    assert Mailbox.objects.get(user=sdr).email == "kari@fjord.example"
    # Their mailbox can neither be tested nor disconnected from here.
    client.post("/mailboxes/disconnect/", {"id": theirs.pk})
    assert Mailbox.objects.get(pk=theirs.pk).status == MailboxStatus.CONNECTED


def test_a_manager_cannot_connect_or_disconnect_anything(crew, client, fake_transport):
    password_mailbox(crew.sdr)
    before = snapshot()
    client.force_login(crew.manager)
    for path in ("/mailboxes/connect/", "/mailboxes/test/", "/mailboxes/disconnect/",
                 "/mailboxes/limits/", "/mailboxes/oauth/start/"):  # fmt: skip
        assert client.post(path, FORM).status_code == 403
    assert client.get("/mailboxes/oauth/callback/?state=x&code=y").status_code == 403
    assert snapshot() == before and fake_transport.seen == []


# --- Test again, disconnect, limits ----------------------------------------------------------


def test_test_again_reports_the_outcome(sdr, client, fake_transport):
    password_mailbox(sdr)
    response = client.post("/mailboxes/test/")
    assert said(response) == [("success", "The mailbox works: the IMAP and SMTP logins succeeded.")]
    fake_transport.smtp_error = mailbox_error()
    response = client.post("/mailboxes/test/")
    # (the first message was never shown: it is still there)
    assert said(response)[-1] == ("error", f"The connection test failed: {AUTH_FAILED}.")
    assert Mailbox.objects.get(user=sdr).status == MailboxStatus.FAILING


def test_test_again_without_a_mailbox_is_404(sdr, client, fake_transport):
    assert client.post("/mailboxes/test/").status_code == 404


def test_disconnect_wipes_the_secrets(sdr, client):
    mailbox = password_mailbox(sdr)
    response = client.post("/mailboxes/disconnect/")
    assert response["Location"] == "/mailboxes/"
    saved = Mailbox.objects.get(pk=mailbox.pk)
    assert (saved.status, saved.secret) == ("disconnected", "")


LIMITS = {"daily_cap": "150", "hourly_cap": "30", "min_gap_seconds": "120",
          "jitter_seconds": "45", "ramp_start_cap": "15", "ramp_days": "14"}  # fmt: skip


def test_the_limits_form(sdr, client):
    mailbox = password_mailbox(sdr)
    response = client.post("/mailboxes/limits/", LIMITS)
    assert said(response) == [("success", "Sending limits saved.")]
    assert Mailbox.objects.filter(pk=mailbox.pk).values(*LIMITS).get() == {
        k: int(v) for k, v in LIMITS.items()
    }


@pytest.mark.parametrize(
    "change, field, says",
    [
        ({"daily_cap": "2000"}, "daily_cap", "Ensure this value is less than or equal to 500."),
        ({"min_gap_seconds": "1"}, "min_gap_seconds", "Ensure this value is greater than or equal to 10."),
        ({"hourly_cap": "x"}, "hourly_cap", "Enter a whole number."),
        ({"daily_cap": "20"}, "hourly_cap", "The hourly cap cannot be above the daily cap."),
    ],
)  # fmt: skip
def test_limits_over_the_safe_maxima_are_field_errors(sdr, client, change, field, says):
    password_mailbox(sdr)
    before = snapshot()
    response = client.post("/mailboxes/limits/", {**LIMITS, **change})
    assert response.status_code == 400
    assert response.context["limits_form"].errors == {field: [says]}
    assert snapshot() == before


def test_limits_without_a_mailbox_is_404(sdr, client):
    assert client.post("/mailboxes/limits/", LIMITS).status_code == 404


# --- OAuth start and callback ----------------------------------------------------------------


def test_starting_the_sign_in_sends_the_browser_to_the_provider(sdr, client, google_client):
    response = client.post("/mailboxes/oauth/start/", {"provider": "google"})
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        "https://accounts.google.com/o/oauth2/v2/auth"
    )
    params = {k: v[0] for k, v in parse_qs(location.query).items()}
    flows = client.session[oauth.SESSION_KEY]
    assert list(flows) == [params["state"]]
    assert params["redirect_uri"] == "http://127.0.0.1:8000/mailboxes/oauth/callback/"
    assert params["code_challenge"] == oauth.pkce_challenge(flows[params["state"]]["verifier"])
    assert params["login_hint"] == sdr.email


@pytest.mark.parametrize("provider", ["microsoft", "yahoo", ""])
def test_a_provider_without_a_registered_app_is_refused_clearly(
    sdr, client, google_client, provider
):
    response = client.post("/mailboxes/oauth/start/", {"provider": provider})
    assert (response.status_code, response["Location"]) == (302, "/mailboxes/")
    assert said(response) == [("error", "Sign-in with this provider is not set up on this site.")]
    assert oauth.SESSION_KEY not in client.session


@pytest.fixture
def started(sdr, client, google_client, stub_oauth):
    response = client.post("/mailboxes/oauth/start/", {"provider": "google"})
    state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
    nonce = client.session[oauth.SESSION_KEY][state]["nonce"]
    stub_oauth.queue(200, {
        "access_token": "access-9", "refresh_token": "refresh-9", "expires_in": 3600,
        "id_token": id_token({"aud": "google-id", "email": "kari@fjord.example",
                              "email_verified": True, "nonce": nonce}),
    })  # fmt: skip
    return state


def test_the_callback_finishes_the_sign_in(sdr, client, started, stub_oauth, fake_transport):
    response = client.get(f"/mailboxes/oauth/callback/?state={started}&code=the-code")

    assert (response.status_code, response["Location"]) == (302, "/mailboxes/")
    assert said(response) == [
        (
            "success",
            "kari@fjord.example is connected through Google: the IMAP and SMTP logins work.",
        )
    ]
    saved = Mailbox.objects.get(user=sdr)
    assert (saved.auth_kind, saved.email, saved.username, saved.imap_host, saved.smtp_host,
            saved.server_saves_sent, saved.secret) == (
        AuthKind.GOOGLE, "kari@fjord.example", "kari@fjord.example", "imap.gmail.com",
        "smtp.gmail.com", True, "",
    )  # fmt: skip
    assert (crypto.decrypt(saved.access_token), crypto.decrypt(saved.refresh_token)) == (
        "access-9", "refresh-9",
    )  # fmt: skip
    assert stub_oauth.token_requests()[0]["redirect_uri"] == (
        "http://127.0.0.1:8000/mailboxes/oauth/callback/"
    )
    # Replayed: refused, nothing changes.
    before = snapshot()
    again = client.get(f"/mailboxes/oauth/callback/?state={started}&code=the-code")
    assert said(again)[-1][0] == "error" and "already used" in said(again)[-1][1]
    assert snapshot() == before and len(stub_oauth.token_requests()) == 1


@pytest.mark.parametrize(
    "query", ["", "?code=x", "?state=forged&code=x", "?state=%00&code=x", "?state=" + "s" * 3000]
)
def test_a_forged_callback_gets_a_clear_error_and_saves_nothing(
    sdr, client, started, stub_oauth, fake_transport, query
):
    response = client.get(f"/mailboxes/oauth/callback/{query}")
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        assert said(response) == [(
            "error",
            "This sign-in answer does not belong to a sign-in started from your Mailbox page in "
            "this browser, or it was already used. Nothing was saved: start again from the "
            "Mailbox page.",
        )]  # fmt: skip
    assert not Mailbox.objects.exists() and stub_oauth.token_requests() == []


def test_another_users_callback_is_refused(crew, client, started, stub_oauth, fake_transport):
    other = Client()
    other.force_login(crew.sdr2)
    response = other.get(f"/mailboxes/oauth/callback/?state={started}&code=the-code")
    assert said(response)[0][0] == "error"
    assert not Mailbox.objects.exists() and stub_oauth.token_requests() == []


@pytest.mark.parametrize(
    "error, says",
    [
        ("access_denied", "You did not give access at Google: nothing was saved."),
        ("server_error", "Google refused the sign-in (server_error): nothing was saved."),
        ("<b>x</b>", "Google refused the sign-in (unknown): nothing was saved."),
    ],
)
def test_a_refusal_at_the_provider_is_said_plainly(sdr, client, started, stub_oauth, error, says):
    response = client.get("/mailboxes/oauth/callback/", {"state": started, "error": error})
    assert said(response) == [("error", says)]
    assert not Mailbox.objects.exists() and stub_oauth.token_requests() == []


def test_a_sign_in_whose_connection_test_fails_saves_nothing(sdr, client, started, fake_transport):
    fake_transport.imap_error = mailbox_error(
        "IMAP is disabled for this account", kind="imap_disabled"
    )
    response = client.get(f"/mailboxes/oauth/callback/?state={started}&code=the-code")
    assert said(response) == [(
        "error",
        "The connection test failed: IMAP is disabled for this account. Nothing was saved.",
    )]  # fmt: skip
    assert not Mailbox.objects.exists()


def test_a_refused_code_saves_nothing(sdr, client, google_client, stub_oauth, fake_transport):
    response = client.post("/mailboxes/oauth/start/", {"provider": "google"})
    state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
    stub_oauth.queue(400, {"error": "invalid_grant"})
    response = client.get(f"/mailboxes/oauth/callback/?state={state}&code=old")
    assert said(response) == [(
        "error",
        "Google refused the sign-in (it expired or was already used). Nothing was saved: start "
        "again from the Mailbox page.",
    )]  # fmt: skip
    assert not Mailbox.objects.exists() and fake_transport.seen == []


# --- The team's mailboxes ----------------------------------------------------------------------


def test_a_manager_sees_the_health_of_the_teams_mailboxes_only(crew, other_crew, client):
    mine = password_mailbox(crew.sdr, status=MailboxStatus.FAILING, last_error="Token revoked")
    oauth_mailbox(crew.ae)
    theirs = password_mailbox(other_crew.sdr)
    client.force_login(crew.manager)
    response = client.get("/mailboxes/team/")
    page = response.content.decode()

    rows = response.context["rows"]
    assert sorted(r.member.username for r in rows) == sorted(
        u.username for u in (crew.sdr, crew.sdr2, crew.bdr, crew.ae, crew.ae2)
    )
    assert mine.email in page and "Token revoked" in page
    assert theirs.email not in page
    assert page.count("No mailbox connected") == 3
    for secret in ("stored-password-1", "access-1", "refresh-1", mine.secret):
        assert secret not in page
    # The secrets are not even read.
    with_mailbox = [r.mailbox for r in rows if r.mailbox]
    assert all({"secret", "access_token", "refresh_token"} <= m.get_deferred_fields()
               for m in with_mailbox)  # fmt: skip


def test_an_admin_sees_every_teams_mailboxes_but_changes_no_setting(crew, other_crew, client):
    password_mailbox(crew.sdr)
    password_mailbox(other_crew.sdr)
    client.force_login(crew.admin)
    response = client.get("/mailboxes/team/")
    assert len([r for r in response.context["rows"] if r.mailbox]) == 2
    assert response.context["form"] is None
    assert client.post("/mailboxes/team/", {"email_via": "site"}).status_code == 403


def _product_default(*crews) -> None:
    """The product's default (the tests' factory sends through the site-wide backend)."""
    Team.objects.filter(pk__in=[c.team.pk for c in crews]).update(email_via="mailbox")


def test_a_new_team_sends_from_its_sdrs_mailboxes():
    assert Team(name="New").email_via == "mailbox"


def test_the_manager_chooses_where_the_teams_emails_leave_from(crew, other_crew, client):
    _product_default(crew, other_crew)
    client.force_login(crew.manager)
    assert client.get("/mailboxes/team/").context["form"].initial == {"email_via": "mailbox"}
    response = client.post("/mailboxes/team/", {"email_via": "site"})
    assert (response.status_code, response["Location"]) == (302, "/mailboxes/team/")
    assert Team.objects.get(pk=crew.team.pk).email_via == "site"
    assert Team.objects.get(pk=other_crew.team.pk).email_via == "mailbox"
    entry = AuditEntry.objects.get(action="team_email_via")
    assert (entry.actor_id, entry.changes) == (crew.manager.pk, {"email_via": ["mailbox", "site"]})
    # An SDR sees the choice on their page.
    client.force_login(crew.sdr)
    assert "leave through the site-wide email backend" in client.get("/mailboxes/").content.decode()


@pytest.mark.parametrize("value", ["smtp", "", "mailbox\x00"])
def test_a_wrong_choice_is_refused(crew, client, value):
    _product_default(crew)
    client.force_login(crew.manager)
    response = client.post("/mailboxes/team/", {"email_via": value})
    assert response.status_code == 400
    assert Team.objects.get(pk=crew.team.pk).email_via == "mailbox"


def test_an_sdr_cannot_change_the_team_setting(crew, client):
    _product_default(crew)
    client.force_login(crew.sdr)
    assert client.post("/mailboxes/team/", {"email_via": "site"}).status_code == 403
    assert Team.objects.get(pk=crew.team.pk).email_via == "mailbox"


# --- Query counts ---------------------------------------------------------------------------


def test_the_mailbox_page_query_count_is_fixed(
    sdr, client, google_client, django_assert_num_queries
):
    password_mailbox(sdr)
    # session, user (with their team), the mailbox, the OAuth providers, today's count
    with django_assert_num_queries(5):
        assert client.get("/mailboxes/").status_code == 200


@pytest.mark.parametrize("n", [1, 9])
def test_the_team_page_query_count_is_fixed(crew, client, django_assert_num_queries, n):
    for i in range(n):
        member = UserFactory(team=crew.team, role="sdr", username=f"extra{i}")
        box = password_mailbox(member)
        MailboxSendCounter.objects.create(mailbox=box, hour=box.connected_at, sent=i)
    client.force_login(crew.manager)
    # session, user (with their team), the senders with their mailboxes, the sent counts
    with django_assert_num_queries(4):
        response = client.get("/mailboxes/team/")
    assert len([r for r in response.context["rows"] if r.mailbox]) == n
