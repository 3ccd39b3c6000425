"""Logins behind the TLS proxy (compose's SDRCRM_BEHIND_PROXY=1): django-axes counts wrong
passwords per username AND client address, the client address being the one the trusted proxy
wrote into X-Forwarded-For. So wrong passwords from one place never lock the user out from
another, and a client cannot choose the address it is counted under."""

import uuid

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory

from intake.models import WebForm
from leads.models import Lead
from security.client_ip import client_ip

PASSWORD = "pw-for-tests-1"
PROXY = "10.0.0.2"  # REMOTE_ADDR of every request: the proxy in front of the app
HOME = "198.51.100.20"  # the user at home
ATTACKER = "203.0.113.66"


@pytest.fixture(autouse=True)
def _behind_one_proxy(settings):
    settings.SDRCRM_PROXY_COUNT = 1  # what SDRCRM_BEHIND_PROXY=1 sets (test_deploy.py)
    settings.AXES_FAILURE_LIMIT = 5


def _login(client, username, password, forwarded_for):
    """A login through the proxy, which appends the address it got the request from."""
    return client.post(
        "/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        headers={"X-Forwarded-For": forwarded_for},
    )


def _attempts():
    return sorted(
        AccessAttempt.objects.values_list("ip_address", "username", "failures_since_start")
    )


def test_five_failures_from_one_address_lock_that_address_only(crew, client):
    user = crew.sdr.username
    for _ in range(4):
        assert _login(client, user, "wrong", ATTACKER).status_code == 200
    assert _attempts() == [(ATTACKER, user, 4)]

    fifth = _login(client, user, "wrong", ATTACKER)

    assert fifth.status_code == 429
    assert _attempts() == [(ATTACKER, user, 5)]
    # From the attacker's address even the right password is refused now...
    assert _login(client, user, PASSWORD, ATTACKER).status_code == 429
    assert client.session.get("_auth_user_id") is None
    # ...while the user logs in from home through the same proxy.
    home = _login(client, user, PASSWORD, HOME)
    assert (home.status_code, client.session["_auth_user_id"]) == (302, str(crew.sdr.pk))
    # The attacker's lock stays (a success elsewhere does not reset it); nothing under HOME.
    assert [ip for ip, _, _ in _attempts()] == [ATTACKER]
    client.post("/logout/")
    assert _login(client, user, PASSWORD, ATTACKER).status_code == 429


def test_a_forged_leftmost_forwarded_for_does_not_change_the_address(crew, client):
    user = crew.manager.username
    # The attacker sends "X-Forwarded-For: <the user's home address>"; the proxy appends the
    # attacker's real address after it.
    for _ in range(5):
        _login(client, user, "wrong", f"{HOME}, {ATTACKER}")

    assert _attempts() == [(ATTACKER, user, 5)]
    home = _login(client, user, PASSWORD, HOME)
    assert (home.status_code, client.session["_auth_user_id"]) == (302, str(crew.manager.pk))


def test_without_a_proxy_the_forwarded_for_header_is_ignored(crew, client, settings):
    settings.SDRCRM_PROXY_COUNT = 0  # SDRCRM_BEHIND_PROXY off: nobody writes the header
    user = crew.sdr.username
    for _ in range(2):
        client.post(
            "/login/",
            {"username": user, "password": "wrong"},
            REMOTE_ADDR=ATTACKER,
            headers={"X-Forwarded-For": HOME},
        )

    assert _attempts() == [(ATTACKER, user, 2)]


@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "expected"),
    [
        (0, "192.0.2.1", "10.0.0.2"),
        (1, "", "10.0.0.2"),  # straight to the app, not through the proxy
        (1, "192.0.2.1", "192.0.2.1"),
        (1, "1.1.1.1, 8.8.8.8 , 192.0.2.1", "192.0.2.1"),
        (2, "1.1.1.1, 192.0.2.1, 172.16.0.5", "192.0.2.1"),  # a load balancer, then nginx
        (2, "192.0.2.1", "10.0.0.2"),  # fewer entries than proxies: only the peer is known
        (1, "1.1.1.1, not-an-address", "10.0.0.2"),
        (1, "192.0.2.1:51234", "192.0.2.1"),
        (1, "[2001:db8:0::1]:443", "2001:db8::1"),
        (1, "2001:DB8:0:0::7", "2001:db8::7"),
    ],
)
def test_client_ip_takes_the_entry_the_outermost_trusted_proxy_wrote(
    settings, proxies, forwarded_for, expected
):
    settings.SDRCRM_PROXY_COUNT = proxies
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", headers={"X-Forwarded-For": forwarded_for}
    )

    assert client_ip(request) == expected


def test_the_web_form_rate_limit_counts_each_visitor_behind_the_proxy(crew, client, settings):
    settings.SDRCRM_WEBFORM_RATE_PER_MINUTE = 2
    # Counters of its own in the shared Redis (form ids repeat from one run to the next).
    default = settings.CACHES["default"]
    settings.CACHES = {**settings.CACHES, "default": {**default, "KEY_PREFIX": uuid.uuid4().hex}}
    form = WebForm.objects.create(team=crew.team, name="Contact us")

    def submit(visitor, i):
        return client.post(
            f"/in/{form.token}/",
            {"first_name": "A", "email": f"a{i}@a{i}.no"},
            REMOTE_ADDR=PROXY,
            headers={"X-Forwarded-For": visitor},
        ).status_code

    assert [submit(ATTACKER, i) for i in range(3)] == [200, 200, 429]
    assert submit(HOME, 3) == 200
    assert Lead.objects.count() == 3
