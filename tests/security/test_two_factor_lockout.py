"""Wrong two-factor codes are counted per user across logins, in the device's row: at
SDRCRM_TOTP_FAILURE_LIMIT (5) the code step is locked for SDRCRM_TOTP_LOCKOUT_MINUTES (15),
the right code included, and the lock is in the audit log. A right code resets the count."""

import re
import threading
from datetime import timedelta

import pyotp
import pytest
from django.contrib.messages import get_messages
from django.db import connection, connections
from django.utils import timezone

from audit.models import AuditEntry
from security import totp
from security.models import TOTPDevice

PASSWORD = "pw-for-tests-1"
VERIFY = "/account/two-factor/verify/"
WRONG = "Too many wrong codes for this account: codes are not accepted until {} (15 minutes "


@pytest.fixture
def now(time_machine):
    moment = timezone.now().replace(microsecond=0)
    time_machine.move_to(moment, tick=False)
    return moment


def _code(secret: str) -> str:
    return pyotp.TOTP(secret).at(timezone.now())


def _enrol(client, user) -> str:
    client.force_login(user)
    page = client.get("/account/two-factor/").content.decode()
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page)[1]
    assert client.post("/account/two-factor/", {"code": _code(secret)}).status_code == 302
    client.post("/logout/")
    return secret


def _login(client, user):
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/leads/")["Location"] == f"{VERIFY}?next=%2Fleads%2F"


def _counted(user) -> tuple[int, object]:
    device = TOTPDevice.objects.get(user=user)
    return device.failed_codes, device.locked_until


def _hhmm(moment) -> str:
    return timezone.localtime(moment).strftime("%H:%M")


def test_wrong_codes_over_fresh_logins_lock_the_code_step(crew, client, now, time_machine):
    user = crew.manager
    secret = _enrol(client, user)
    time_machine.move_to(now + timedelta(minutes=2), tick=False)
    # Two wrong codes, log out, two more in a fresh login: the count goes on.
    _login(client, user)
    for _ in range(2):
        assert "That code is not right." in client.post(VERIFY, {"code": "000000"}).text
    assert _counted(user) == (2, None)
    client.post("/logout/")
    _login(client, user)
    for _ in range(2):
        client.post(VERIFY, {"code": "000000"})
    assert _counted(user) == (4, None)
    client.post("/logout/")
    _login(client, user)

    fifth = client.post(VERIFY, {"code": "000000"})

    until = now + timedelta(minutes=2 + 15)
    assert (fifth.status_code, fifth["Location"]) == (302, "/login/")
    assert client.session.get("_auth_user_id") is None
    assert [str(m) for m in get_messages(fifth.wsgi_request)] == [
        WRONG.format(_hhmm(until)) + "after the last wrong one). Try again then."
    ]
    assert _counted(user) == (0, until)
    entry = AuditEntry.objects.get(action="two_factor_locked")
    assert (entry.actor_id, entry.target_id, entry.changes) == (
        user.pk,
        str(user.pk),
        {"locked_until": [None, until.isoformat()]},
    )

    # A fresh login is told at once, and the right code is refused unchecked.
    time_machine.move_to(now + timedelta(minutes=10), tick=False)
    _login(client, user)
    assert WRONG.format(_hhmm(until)) in client.get(VERIFY).text
    last_step = TOTPDevice.objects.get(user=user).last_step
    right = client.post(VERIFY, {"code": _code(secret), "next": "/leads/"})
    assert right.status_code == 429
    assert WRONG.format(_hhmm(until)) in right.text
    assert client.get("/leads/")["Location"] == f"{VERIFY}?next=%2Fleads%2F"
    assert TOTPDevice.objects.get(user=user).last_step == last_step  # the code is not used up
    assert _counted(user) == (0, until)
    assert AuditEntry.objects.filter(action="two_factor_locked").count() == 1

    # After the lock, the right code works and clears it.
    time_machine.move_to(until + timedelta(seconds=1), tick=False)
    after = client.post(VERIFY, {"code": _code(secret), "next": "/leads/"})
    assert after["Location"] == "/leads/"
    assert client.get("/leads/").status_code == 200
    assert _counted(user) == (0, None)


def test_a_right_code_resets_the_count(crew, client, now, time_machine):
    user = crew.manager
    secret = _enrol(client, user)
    time_machine.move_to(now + timedelta(minutes=2), tick=False)
    _login(client, user)
    for _ in range(4):
        client.post(VERIFY, {"code": "000000"})
    assert _counted(user) == (4, None)

    assert client.post(VERIFY, {"code": _code(secret)})["Location"] == "/"

    assert _counted(user) == (0, None)
    client.post("/logout/")
    time_machine.move_to(now + timedelta(minutes=3), tick=False)
    _login(client, user)
    for _ in range(4):
        assert client.post(VERIFY, {"code": "000000"}).status_code == 200
    assert _counted(user) == (4, None)
    assert not AuditEntry.objects.filter(action="two_factor_locked").exists()


def test_turning_two_factor_off_counts_and_respects_the_lock(crew, client, now, time_machine):
    user = crew.manager
    secret = _enrol(client, user)
    time_machine.move_to(now + timedelta(minutes=2), tick=False)
    _login(client, user)
    client.post(VERIFY, {"code": _code(secret)})
    for _ in range(5):
        client.post("/account/two-factor/remove/", {"code": "000000"})
    assert _counted(user) == (0, now + timedelta(minutes=17))
    time_machine.move_to(now + timedelta(minutes=3), tick=False)

    response = client.post("/account/two-factor/remove/", {"code": _code(secret)})

    locked = WRONG.format(_hhmm(now + timedelta(minutes=17))) + "after the last wrong one). Try "
    # (Messages pile up: the test follows no redirect.) The 5th wrong code locks, and the
    # right one is refused while locked.
    assert [str(m) for m in get_messages(response.wsgi_request)][-6:] == [
        "That code is not right: two-factor stays on."
    ] * 4 + [locked + "again then."] * 2
    assert TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).count() == 1
    assert not AuditEntry.objects.filter(action="two_factor_off").exists()


@pytest.mark.django_db(transaction=True)
def test_codes_sent_at_the_same_moment_are_counted_one_after_the_other(crew, settings):
    settings.SDRCRM_TOTP_FAILURE_LIMIT = 5
    device = totp.device_start(crew.manager)
    TOTPDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
    barrier = threading.Barrier(10)
    results: list = [None] * 10

    def guess(i):
        try:
            connection.ensure_connection()
            barrier.wait(timeout=10)
            mine = TOTPDevice.objects.get(pk=device.pk)
            results[i] = totp.code_verify(mine, "000000")
        except totp.TwoFactorLocked as locked:
            results[i] = "locked now" if locked.just_now else "locked"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(results, key=str) == [False] * 4 + ["locked"] * 5 + ["locked now"]
    row = TOTPDevice.objects.get(pk=device.pk)
    assert row.failed_codes == 0 and row.locked_until is not None
    assert AuditEntry.objects.filter(action="two_factor_locked").count() == 1
