"""Session idle and absolute timeouts, login throttling (django-axes) and the optional TOTP
second factor for managers and admins."""

import re
from datetime import timedelta

import pyotp
import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from audit.models import AuditEntry
from security.models import TOTPDevice

PASSWORD = "pw-for-tests-1"


def _user_id(client):
    return client.session.get("_auth_user_id")


# --- Session timeouts -----------------------------------------------------------------------


@pytest.fixture
def start(time_machine):
    moment = timezone.now().replace(microsecond=0)
    time_machine.move_to(moment, tick=False)
    return moment


def test_idle_session_is_logged_out(crew, client, start, time_machine, settings):
    settings.SDRCRM_SESSION_IDLE_SECONDS = 30 * 60
    client.force_login(crew.sdr)
    assert client.get("/leads/").status_code == 200

    time_machine.move_to(start + timedelta(minutes=31), tick=False)
    response = client.get("/leads/")

    assert (response.status_code, response["Location"]) == (302, "/login/?next=/leads/")
    assert _user_id(client) is None
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Your session expired. Please log in again."
    ]


def test_activity_keeps_the_session_until_the_absolute_timeout(
    crew, client, start, time_machine, settings
):
    settings.SDRCRM_SESSION_IDLE_SECONDS = 30 * 60
    settings.SDRCRM_SESSION_MAX_SECONDS = 4 * 3600
    client.force_login(crew.sdr)
    # A request every 20 minutes: never idle for 30 minutes.
    for minutes in range(20, 4 * 60, 20):
        time_machine.move_to(start + timedelta(minutes=minutes), tick=False)
        assert client.get("/leads/").status_code == 200, minutes

    time_machine.move_to(start + timedelta(hours=4, minutes=1), tick=False)
    response = client.get("/leads/")

    assert response["Location"] == "/login/?next=/leads/"
    assert _user_id(client) is None


def test_a_new_login_starts_a_new_session_clock(crew, client, start, time_machine, settings):
    settings.SDRCRM_SESSION_IDLE_SECONDS = 30 * 60
    client.force_login(crew.sdr)
    time_machine.move_to(start + timedelta(hours=1), tick=False)
    client.post("/login/", {"username": crew.sdr.username, "password": PASSWORD})
    assert client.get("/leads/").status_code == 200


# --- Login throttling -----------------------------------------------------------------------


def test_repeated_failures_lock_the_login_out_with_429(crew, client, settings, time_machine):
    settings.AXES_FAILURE_LIMIT = 3
    bad = {"username": crew.sdr.username, "password": "wrong"}
    for _ in range(2):
        assert client.post("/login/", bad).status_code == 200  # the form, with its error

    locked = client.post("/login/", bad)

    assert locked.status_code == 429
    html = locked.content.decode()
    assert "<h1>Too many failed logins</h1>" in html
    assert "after 3 wrong passwords from this address. Try again in 15 minutes" in html
    # Even the right password is refused while locked, and nobody is logged in.
    right = client.post("/login/", {"username": crew.sdr.username, "password": PASSWORD})
    assert right.status_code == 429
    assert _user_id(client) is None
    # Another user from the same address is not locked out.
    other = client.post("/login/", {"username": crew.sdr2.username, "password": PASSWORD})
    assert other.status_code == 302

    client.post("/logout/")
    time_machine.move_to(timezone.now() + timedelta(minutes=16), tick=False)
    after = client.post("/login/", {"username": crew.sdr.username, "password": PASSWORD})
    assert (after.status_code, _user_id(client)) == (302, str(crew.sdr.pk))


# --- Two-factor (TOTP) ----------------------------------------------------------------------


def _code(secret: str, offset_steps: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    return totp.at(timezone.now() + timedelta(seconds=30 * offset_steps))


def _enrol(client, user) -> str:
    client.force_login(user)
    page = client.get("/account/two-factor/").content.decode()
    assert '<svg width="' in page and 'class="segno"' in page  # the QR code, inline SVG
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page)[1]
    response = client.post("/account/two-factor/", {"code": _code(secret)})
    assert response.status_code == 302
    return secret


@pytest.mark.parametrize("role", ["sdr", "ae", "marketing"])
def test_two_factor_is_for_managers_and_admins(crew, client, role):
    client.force_login(getattr(crew, role))
    assert client.get("/account/two-factor/").status_code == 403
    assert client.post("/account/two-factor/", {"code": "123456"}).status_code == 403
    assert not TOTPDevice.objects.exists()


def test_enrolment_needs_a_right_code(crew, client):
    client.force_login(crew.manager)
    client.get("/account/two-factor/")
    response = client.post("/account/two-factor/", {"code": "000000"})
    assert "That code is not right." in response.content.decode()
    assert TOTPDevice.objects.get().confirmed_at is None


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_login_asks_for_the_code_once_two_factor_is_on(crew, client, time_machine, role):
    user = getattr(crew, role)
    secret = _enrol(client, user)
    assert AuditEntry.objects.filter(action="two_factor_on", target_id=str(user.pk)).count() == 1
    client.post("/logout/")
    time_machine.move_to(timezone.now() + timedelta(minutes=2), tick=False)

    login = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert login["Location"] == "/"
    # Logged in with the password, but every page leads to the code page.
    for path in ("/", "/leads/", "/password/"):
        response = client.get(path)
        assert (
            response["Location"] == f"/account/two-factor/verify/?next={path.replace('/', '%2F')}"
        )
    assert client.post("/leads/bulk-assign/", {}).status_code == 302
    wrong = client.post("/account/two-factor/verify/", {"code": "000000", "next": "/leads/"})
    assert "That code is not right." in wrong.content.decode()

    right = client.post("/account/two-factor/verify/", {"code": _code(secret), "next": "/leads/"})

    assert right["Location"] == "/leads/"
    assert client.get("/leads/").status_code == 200


def test_a_code_is_good_once_and_wrong_codes_end_the_login(crew, client, time_machine):
    secret = _enrol(client, crew.manager)
    client.post("/logout/")
    time_machine.move_to(timezone.now() + timedelta(minutes=2), tick=False)
    client.post("/login/", {"username": crew.manager.username, "password": PASSWORD})
    code = _code(secret)
    client.post("/account/two-factor/verify/", {"code": code})
    assert client.get("/leads/").status_code == 200
    client.post("/logout/")
    client.post("/login/", {"username": crew.manager.username, "password": PASSWORD})

    replay = client.post("/account/two-factor/verify/", {"code": code})
    assert "That code is not right." in replay.content.decode()
    for _ in range(4):
        last = client.post("/account/two-factor/verify/", {"code": "111111"})
    assert (last.status_code, last["Location"], _user_id(client)) == (302, "/login/", None)


def test_turning_two_factor_off_needs_a_code(crew, client, time_machine):
    secret = _enrol(client, crew.manager)
    time_machine.move_to(timezone.now() + timedelta(minutes=1), tick=False)
    client.post("/account/two-factor/remove/", {"code": "000000"})
    assert TOTPDevice.objects.filter(confirmed_at__isnull=False).count() == 1

    client.post("/account/two-factor/remove/", {"code": _code(secret)})

    assert not TOTPDevice.objects.exists()
    assert AuditEntry.objects.filter(action="two_factor_off").count() == 1


def test_an_htmx_request_after_the_timeout_reloads_the_whole_page_to_the_login(
    crew, client, start, time_machine, settings
):
    settings.SDRCRM_SESSION_IDLE_SECONDS = 30 * 60
    client.force_login(crew.sdr)
    time_machine.move_to(start + timedelta(minutes=31), tick=False)

    response = client.get(
        "/qualification/notifications/badge/",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/leads/?page=2"},
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == "/login/?next=%2Fleads%2F%3Fpage%3D2"
    assert response.content == b""
    assert _user_id(client) is None


def test_an_htmx_request_before_the_code_reloads_the_whole_page_to_the_code_step(
    crew, client, time_machine
):
    secret = _enrol(client, crew.manager)
    client.post("/logout/")
    client.post("/login/", {"username": crew.manager.username, "password": PASSWORD})

    response = client.get(
        "/qualification/notifications/badge/",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/leads/"},
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == "/account/two-factor/verify/?next=%2Fleads%2F"
    assert secret
