"""Production settings: `check --deploy` is clean, and outside an explicit development mode
the app refuses to start without a real secret key. Run in subprocesses, as a deployment would
start."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "k3y-" + "x7Qp9vLm2RtZ8wYb4NcJ6hGd1sFa5eUo0iKy" * 2,
    "SDRCRM_MAILBOX_KEYS": "bWFpbGJveC1rZXktZm9yLXRoZS1kZXBsb3ktdGVzdHM=",
    "DJANGO_ALLOWED_HOSTS": "crm.example.com",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://crm.example.com",
    "SDRCRM_HTTPS": "1",
    "SDRCRM_BEHIND_PROXY": "1",
    "SDRCRM_BASE_URL": "https://crm.example.com",
}


def _run(args: list[str], env: dict, tmp_path) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "SDRCRM_")) or k == "DJANGO_SETTINGS_MODULE"
    }
    base.update(SDRCRM_VAR_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=base, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_reports_nothing_with_production_settings(tmp_path):
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "DEBUG"], PRODUCTION, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


def test_check_deploy_does_complain_without_https(tmp_path):
    # The check above is not vacuous: without SDRCRM_HTTPS it names the missing settings.
    env = dict(PRODUCTION, SDRCRM_HTTPS="0")
    result = _run(["manage.py", "check", "--deploy"], env, tmp_path)

    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr


def test_check_deploy_complains_without_the_public_address(tmp_path):
    env = {k: v for k, v in PRODUCTION.items() if k != "SDRCRM_BASE_URL"}
    result = _run(["manage.py", "check", "--deploy"], env, tmp_path)

    assert "(sdrcrm.W001) SDRCRM_BASE_URL is not set." in result.stderr


@pytest.mark.parametrize(
    "secret",
    ["", "insecure-local-development-key-change-me", "short-key"],
    ids=["unset", "development-key", "too-short"],
)
def test_production_refuses_to_start_without_a_real_secret_key(tmp_path, secret):
    env = dict(PRODUCTION, DJANGO_SECRET_KEY=secret)

    result = _run(["manage.py", "check"], env, tmp_path)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set to a long random value" in result.stderr


# What a deployment that forgot the key looks like: only DATABASE_URL, DJANGO_DEBUG unset.
ONLY_A_DATABASE = {"DATABASE_URL": "postgres://sdrcrm@db.example.com:5432/sdrcrm"}
SHOW_SETTINGS = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.DEBUG, settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY)"
)


@pytest.mark.parametrize(
    "args",
    [["manage.py", "check"], ["-c", SHOW_SETTINGS], ["-m", "celery", "-A", "sdrcrm", "report"]],
    ids=["manage.py", "django.setup", "celery"],
)
def test_without_a_key_and_outside_development_mode_nothing_starts(tmp_path, args):
    result = _run(args, {**ONLY_A_DATABASE, "DJANGO_SETTINGS_MODULE": "sdrcrm.settings"}, tmp_path)

    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.rstrip().splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured: DJANGO_SECRET_KEY must be set to a long "
        "random value, and it is not set (make one with `openssl rand -base64 48`). Only a local "
        "development run may use the development key: SDRCRM_DEV=1 (make run and make test set "
        "it)."
    )


@pytest.mark.parametrize(
    "mode",
    [{"SDRCRM_DEV": "1"}, {"DJANGO_DEBUG": "1"}],
    ids=["SDRCRM_DEV", "DJANGO_DEBUG"],
)
def test_development_mode_runs_on_the_development_key(tmp_path, mode):
    result = _run(["-c", SHOW_SETTINGS], {**ONLY_A_DATABASE, **mode}, tmp_path)

    assert result.returncode == 0, result.stderr
    debug = mode.get("DJANGO_DEBUG") == "1"
    assert result.stdout == f"{debug} True\n"
    check = _run(["manage.py", "check"], {**ONLY_A_DATABASE, **mode}, tmp_path)
    assert check.returncode == 0, check.stderr


def test_with_a_key_it_runs_with_debug_off(tmp_path):
    env = {
        **ONLY_A_DATABASE,
        "DJANGO_SECRET_KEY": PRODUCTION["DJANGO_SECRET_KEY"],
        "SDRCRM_MAILBOX_KEYS": PRODUCTION["SDRCRM_MAILBOX_KEYS"],
    }

    result = _run(["-c", SHOW_SETTINGS], env, tmp_path)

    assert (result.returncode, result.stdout) == (0, "False False\n"), result.stderr
    assert _run(["manage.py", "check"], env, tmp_path).returncode == 0


@pytest.mark.parametrize(
    ("env", "proxies"),
    [({}, "1"), ({"SDRCRM_PROXY_COUNT": "2"}, "2"), ({"SDRCRM_BEHIND_PROXY": "0"}, "0")],
    ids=["compose-default", "two-proxies", "no-proxy"],
)
def test_logins_are_counted_per_user_and_client_address_behind_the_proxy(tmp_path, env, proxies):
    show = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SDRCRM_PROXY_COUNT, s.AXES_LOCKOUT_PARAMETERS, s.AXES_CLIENT_IP_CALLABLE)"
    )

    result = _run(["-c", show], {**PRODUCTION, **env}, tmp_path)

    assert result.stdout == (
        f"{proxies} [['username', 'ip_address']] security.client_ip.client_ip\n"
    ), result.stderr
