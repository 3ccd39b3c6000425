"""Logging in and out, changing the password, and the rule that every page but the login page
and /healthz needs a logged-in user."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import User
from tests.factories import UserFactory

PASSWORD = "pw-for-tests-1"  # tests.factories.UserFactory's
NEW_PASSWORD = "Fjord-lights-2026!"


def _logged_in_as(client) -> int | None:
    user_id = client.session.get("_auth_user_id")
    return int(user_id) if user_id else None


# --- Log in ---------------------------------------------------------------------------------


def test_login_page_is_public(db, client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert '<input id="id_password" name="password" type="password"' in response.content.decode()


def test_login_with_the_right_password_lands_on_the_home_page(crew, client):
    response = client.post("/login/", {"username": crew.sdr.username, "password": PASSWORD})

    assert (response.status_code, response["Location"]) == (302, "/")
    assert _logged_in_as(client) == crew.sdr.pk
    assert client.get("/")["Location"] == "/today/"


def test_login_returns_to_the_page_asked_for(crew, client):
    asked = client.get("/leads/overview/")
    assert asked["Location"] == "/login/?next=/leads/overview/"
    page = client.get(asked["Location"])
    assert '<input type="hidden" name="next" value="/leads/overview/">' in page.content.decode()

    response = client.post(
        "/login/",
        {"username": crew.manager.username, "password": PASSWORD, "next": "/leads/overview/"},
    )

    assert response["Location"] == "/leads/overview/"


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "http://testserver.evil.example/"]
)
def test_login_never_redirects_off_site(crew, client, next_url):
    response = client.post(
        "/login/", {"username": crew.sdr.username, "password": PASSWORD, "next": next_url}
    )

    assert (response.status_code, response["Location"]) == (302, "/")


@pytest.mark.parametrize(
    ("username", "password"),
    [("sdr", "wrong-password"), ("sdr", ""), ("nobody", PASSWORD), ("SDR-ALPHA", PASSWORD)],
)
def test_wrong_credentials_show_an_error_and_log_nobody_in(crew, client, username, password):
    username = crew.sdr.username if username == "sdr" else username

    response = client.post("/login/", {"username": username, "password": password})

    content = response.content.decode()
    assert response.status_code == 200
    assert _logged_in_as(client) is None
    if password:
        assert (
            '<div class="form-error" role="alert">Please enter a correct username and password. '
            "Note that both fields may be case-sensitive.</div>"
        ) in content
    else:
        assert '<p class="field-error">This field is required.</p>' in content


def test_inactive_user_cannot_log_in(crew, client):
    User.objects.filter(pk=crew.sdr.pk).update(is_active=False)

    response = client.post("/login/", {"username": crew.sdr.username, "password": PASSWORD})

    assert response.status_code == 200
    assert _logged_in_as(client) is None


def test_logged_in_user_visiting_login_goes_home(crew, client):
    client.force_login(crew.sdr)
    assert client.get("/login/")["Location"] == "/"


# --- Log out --------------------------------------------------------------------------------


def test_logout_is_post_only(crew, client):
    client.force_login(crew.sdr)

    response = client.get("/logout/")

    assert response.status_code == 405
    assert _logged_in_as(client) == crew.sdr.pk
    assert client.get("/leads/").status_code == 200


def test_logout_logs_out(crew, client):
    client.force_login(crew.sdr)
    page = client.get("/leads/").content.decode()
    assert '<form method="post" action="/logout/" class="inline">' in page

    response = client.post("/logout/")

    assert (response.status_code, response["Location"]) == (302, "/login/")
    assert _logged_in_as(client) is None
    assert client.get("/leads/")["Location"] == "/login/?next=/leads/"


# --- Change password ------------------------------------------------------------------------


@pytest.fixture
def user(db):
    return UserFactory(username="kari")


def test_password_page_asks_for_the_old_password(user, client):
    client.force_login(user)

    content = client.get("/password/").content.decode()

    assert re.findall(r'name="(old_password|new_password1|new_password2)"', content) == [
        "old_password", "new_password1", "new_password2",
    ]  # fmt: skip


def test_password_change(user, client):
    client.force_login(user)

    response = client.post(
        "/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert (response.status_code, response["Location"]) == (302, "/password/done/")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not user.check_password(PASSWORD)
    # Still logged in after the change (the session hash was updated), and the page says so.
    assert "Your password was changed." in client.get("/password/done/").content.decode()
    client.logout()
    client.post("/login/", {"username": "kari", "password": NEW_PASSWORD})
    assert _logged_in_as(client) == user.pk


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"old_password": "not-it"}, "old_password",
         "Your old password was entered incorrectly. Please enter it again."),
        ({"old_password": ""}, "old_password", "This field is required."),
        ({"new_password2": "Something-else-2026!"}, "new_password2",
         "The two password fields didn’t match."),
        ({"new_password1": "password", "new_password2": "password"}, "new_password2",
         "This password is too common."),
        ({"new_password1": "12345678901", "new_password2": "12345678901"}, "new_password2",
         "This password is entirely numeric."),
    ],
)  # fmt: skip
def test_password_change_refused(user, client, data, field, error):
    client.force_login(user)
    password_hash = User.objects.get(pk=user.pk).password
    post = {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    post.update(data)

    response = client.post("/password/", post)

    assert response.status_code == 200
    assert f'<p class="field-error" id="id_{field}_error">{error}</p>' in (
        response.content.decode()
    )
    assert User.objects.get(pk=user.pk).password == password_hash


# --- Every page needs a login, but two ------------------------------------------------------

PUBLIC = {"/login/", "/healthz", "/u/token/", "/in/token/"}
SAMPLE_ARGS = {
    "lead_id": "1",
    "name": "start_research",
    "cadence_id": "1",
    "enrollment_id": "1",
    "touch_id": "1",
    "reminder_id": "1",
    "token": "token",
    "ae_id": "1",
    "reason_id": "1",
    "job_id": "1",
    "form_id": "1",
    "token_id": "1",
    "subscription_id": "1",
    "delivery_id": "1",
    "prospect_id": "1",
    "company_id": "1",
    "team_id": "1",
    "fmt": "csv",
    "feedback_id": "1",
}
# The REST API answers anonymous requests 401 itself (token or session auth; no redirect).
API = {
    "/api/schema/", "/api/leads/", "/api/leads/1/", "/api/leads/1/transitions/start_research/",
    "/api/leads/1/timeline/", "/api/leads/1/qualification/", "/api/prospects/",
    "/api/prospects/1/", "/api/companies/", "/api/companies/1/", "/api/cadences/",
    "/api/cadences/1/", "/api/cadences/1/preview/", "/api/enrollments/", "/api/enrollments/1/",
    "/api/tasks/", "/api/imports/", "/api/imports/1/", "/api/imports/1/start/",
    "/api/imports/1/issues/",
}  # fmt: skip


def _anymail_paths() -> set[str]:
    from anymail import urls

    return {"/api/webhooks/anymail/" + _route(p.pattern) for p in urls.urlpatterns}


def project_routes(patterns=None, prefix="") -> list[str]:
    """Every URL pattern of the project (the admin apart), as routes: "/leads/<int:lead_id>/"
    (a regex pattern, such as anymail's, without its optional groups).
    tests/test_access_matrix.py builds its role x URL x method matrix from the same list."""
    routes = []
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        route = str(p.pattern)
        if isinstance(p, URLResolver):
            if p.app_name == "admin":
                continue
            routes += project_routes(p.url_patterns, prefix + route)
        elif isinstance(p, URLPattern):
            routes.append("/" + prefix + _route(p.pattern))
    return routes


def _project_paths() -> list[str]:
    """Every URL of the project (the admin apart), with sample arguments."""
    return [
        re.sub(r"<\w+:(\w+)>", lambda m: SAMPLE_ARGS[m[1]], route) for route in project_routes()
    ]


def _route(pattern) -> str:
    """A path for a URL pattern; a regex one (anymail's mailgun inbound) without its options."""
    route = str(pattern)
    return re.sub(r"\(.*?\)\?", "", route).strip("^$") if route.startswith("^") else route


# Webhook receivers are public and check their own signature or basic auth.
WEBHOOKS = {"/api/webhooks/inbound/1/"} | _anymail_paths()


def test_the_url_list_is_complete():
    assert sorted(_project_paths()) == sorted([
        "/healthz", "/", "/login/", "/logout/", "/account/language/", "/password/",
        "/password/done/",
        "/leads/", "/leads/new/", "/leads/overview/", "/leads/bulk-assign/",
        "/leads/1/", "/leads/1/edit/", "/leads/1/transition/start_research/",
        "/leads/1/notes/", "/leads/1/checklist/", "/leads/1/claim/",
        "/leads/export/", "/leads/reasons/", "/leads/reasons/1/",
        "/imports/", "/imports/1/", "/imports/1/leads/", "/imports/1/preview/", "/imports/1/start/",
        "/imports/1/issues.csv", "/imports/web-forms/", "/imports/web-forms/1/deactivate/",
        "/in/token/",
        "/today/", "/u/token/",
        "/cadences/", "/cadences/new/", "/cadences/standard/", "/cadences/snippets/",
        "/cadences/steps/preview/",
        "/cadences/enroll/", "/cadences/holiday/", "/cadences/1/", "/cadences/1/edit/",
        "/cadences/1/copy/", "/cadences/1/archive/", "/cadences/enrollments/1/pause/",
        "/cadences/enrollments/1/resume/", "/cadences/enrollments/1/stop/",
        "/cadences/leads/1/reply/", "/cadences/leads/1/reminders/", "/cadences/leads/1/calls/",
        "/cadences/reminders/1/done/", "/cadences/touches/1/complete/",
        "/cadences/touches/1/skip/", "/cadences/touches/1/release/", "/cadences/touches/1/settle/",
        "/cadences/touches/1/override/", "/cadences/touches/1/scrap/",
        "/cadences/proposal/dismiss/",
        "/qualification/model/", "/qualification/leads/1/", "/qualification/leads/1/preview/",
        "/qualification/leads/1/accept/", "/qualification/leads/1/reject/",
        "/qualification/queue/", "/qualification/handoffs/", "/qualification/aes/1/",
        "/qualification/notifications/", "/qualification/notifications/badge/",
        "/settings/api-tokens/", "/settings/api-tokens/1/revoke/", "/settings/webhooks/",
        "/settings/webhooks/subscriptions/1/toggle/", "/settings/webhooks/deliveries/1/resend/",
        "/settings/webhooks/inbound-secret/", "/api/docs/",
        "/mailboxes/", "/mailboxes/connect/", "/mailboxes/test/", "/mailboxes/disconnect/",
        "/mailboxes/limits/", "/mailboxes/oauth/start/", "/mailboxes/oauth/callback/",
        "/mailboxes/team/", "/team/calendar/", "/team/calendar/remove/",
        *API, *WEBHOOKS,
        "/dashboards/", "/dashboards/activity/", "/dashboards/commission/",
        "/dashboards/commission/export/csv/", "/dashboards/cadences/",
        "/dashboards/time-in-stage/", "/dashboards/leads/",
        "/coaching/", "/coaching/leads/1/", "/coaching/1/acknowledge/",
        "/account/two-factor/", "/account/two-factor/remove/", "/account/two-factor/verify/",
        "/privacy/", "/privacy/export/", "/privacy/erase/",
        "/privacy/leads/1/export/", "/privacy/leads/1/erase/",
    ])  # fmt: skip


@pytest.mark.parametrize("path", sorted(set(_project_paths()) - PUBLIC - API - WEBHOOKS))
@pytest.mark.parametrize("method", ["get", "post"])
def test_every_page_but_login_and_healthz_needs_login(db, client, path, method):
    response = getattr(client, method)(path)
    assert (response.status_code, response["Location"]) == (302, f"/login/?next={path}")


@pytest.mark.parametrize("path", sorted(API))
@pytest.mark.parametrize("method", ["get", "post", "patch"])
def test_the_api_answers_401_to_anonymous_requests(db, client, path, method):
    response = getattr(client, method)(path, HTTP_ACCEPT="application/json")
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


@pytest.mark.parametrize("path", sorted(WEBHOOKS))
def test_webhook_receivers_are_public_but_refuse_unconfigured_or_unsigned_posts(db, client, path):
    from leads.models import LeadEvent

    response = client.post(path, b"{}", content_type="application/json")
    # Not set up (no team secret, no ANYMAIL_WEBHOOK_SECRET): 404 with a JSON reason.
    assert response.status_code == 404
    assert "detail" in response.json()
    assert LeadEvent.objects.count() == 0


@pytest.mark.parametrize("path", sorted(PUBLIC))
def test_login_and_healthz_are_public(db, client, path, settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_out": str(tmp_path)}
    # A forged unsubscribe token answers its own "not valid" page, without a login; the web-form
    # endpoint takes POSTs only.
    expected = 404 if path.startswith("/u/") else 405 if path.startswith("/in/") else 200
    assert client.get(path).status_code == expected


@pytest.mark.parametrize(
    ("path", "login"),
    [
        ("/admin/", "/admin/login/?next=/admin/"),
        ("/admin/leads/lead/", "/login/?next=/admin/leads/lead/"),
        ("/admin/accounts/user/1/change/", "/login/?next=/admin/accounts/user/1/change/"),
    ],
)
def test_admin_needs_login_too(db, client, path, login):
    response = client.get(path)
    assert (response.status_code, response["Location"]) == (302, login)
