"""Outside development mode the app does not start without real mailbox keys, as it does not
without a real DJANGO_SECRET_KEY (sdrcrm/settings.py). Run in subprocesses, as a deployment
would start."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEY = "bWFpbGJveC1rZXktZm9yLXRoZS1zZXR0aW5ncy10ZXM="
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "sdrcrm.settings",
    "DJANGO_SECRET_KEY": "k3y-" + "x7Qp9vLm2RtZ8wYb4NcJ6hGd1sFa5eUo0iKy" * 2,
    "DATABASE_URL": "postgres://sdrcrm@db.example.com:5432/sdrcrm",
}
SHOW = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.SDRCRM_MAILBOX_KEYS)"
)


def _run(tmp_path, args, **env) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "SDRCRM_", "DATABASE_URL"))
    }
    base.update(SDRCRM_VAR_DIR=str(tmp_path), **PRODUCTION, **env)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=base, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    "keys, what",
    [(None, "not set"), ("", "not set"), ("c2RyY3JtLWRldmVsb3BtZW50LW1haWxib3gta2V5LSE=",
                                          "the development key")],
    ids=["unset", "empty", "development-key"],
)  # fmt: skip
@pytest.mark.parametrize(
    "args", [["manage.py", "check"], ["-m", "celery", "-A", "sdrcrm", "report"]],
    ids=["manage.py", "celery"],
)  # fmt: skip
def test_production_refuses_to_start_without_real_mailbox_keys(tmp_path, keys, what, args):
    env = {} if keys is None else {"SDRCRM_MAILBOX_KEYS": keys}
    result = _run(tmp_path, args, **env)

    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.rstrip().splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured: SDRCRM_MAILBOX_KEYS must be set to one or "
        f"more Fernet keys (comma separated, newest first), and it is {what} (make one with "
        '`python -c "from cryptography.fernet import Fernet; '
        'print(Fernet.generate_key().decode())"`). Only a local development run may go without: '
        "SDRCRM_DEV=1 (make run and make test set it)."
    )


@pytest.mark.parametrize("keys", ["not-a-key", f"{KEY},short", f"{KEY},{'x' * 44}"])
def test_a_key_that_is_not_a_fernet_key_stops_the_start(tmp_path, keys):
    result = _run(tmp_path, ["-c", SHOW], SDRCRM_MAILBOX_KEYS=keys, SDRCRM_DEV="1")
    assert result.returncode != 0
    position = 1 if keys == "not-a-key" else 2
    assert result.stderr.rstrip().splitlines()[-1] == (
        f"django.core.exceptions.ImproperlyConfigured: SDRCRM_MAILBOX_KEYS: key number {position} "
        "is not a Fernet key (32 bytes, url-safe base64, 44 characters)."
    )
    assert keys.split(",")[-1] not in result.stderr  # the key itself is never printed


def test_with_keys_it_starts_and_reads_them_newest_first(tmp_path):
    old = "b2xkLWtleS1mb3ItdGhlLW1haWxib3gtcm90YXRpb24="
    result = _run(tmp_path, ["-c", SHOW], SDRCRM_MAILBOX_KEYS=f" {KEY} , {old} ")
    assert (result.returncode, result.stdout) == (0, f"['{KEY}', '{old}']\n"), result.stderr


def test_development_runs_on_the_development_key(tmp_path):
    result = _run(tmp_path, ["-c", SHOW], SDRCRM_DEV="1")
    assert (result.returncode, result.stdout) == (
        0, "['c2RyY3JtLWRldmVsb3BtZW50LW1haWxib3gta2V5LSE=']\n"
    ), result.stderr  # fmt: skip
