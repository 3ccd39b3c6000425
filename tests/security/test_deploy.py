"""Production settings: `check --deploy` is clean, and the app refuses to start with the
development secret key. Run in subprocesses, as a deployment would start."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "k3y-" + "x7Qp9vLm2RtZ8wYb4NcJ6hGd1sFa5eUo0iKy" * 2,
    "DJANGO_ALLOWED_HOSTS": "crm.example.com",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://crm.example.com",
    "SDRCRM_HTTPS": "1",
    "SDRCRM_BEHIND_PROXY": "1",
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


def test_development_without_debug_setting_still_starts(tmp_path):
    # Tests and `make run` leave DJANGO_DEBUG unset: the development key is fine there.
    result = _run(["manage.py", "check"], {}, tmp_path)

    assert result.returncode == 0, result.stderr
