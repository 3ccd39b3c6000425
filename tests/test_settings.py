"""sdrcrm/settings.py: PostgreSQL or nothing, every setting the code reads declared there, and
importing it writes nothing to disk. Run in subprocesses, as a deployment would start."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]
A_REAL_KEY = "k3y-" + "x7Qp9vLm2RtZ8wYb4NcJ6hGd1sFa5eUo0iKy" * 2
A_MAILBOX_KEY = "bWFpbGJveC1rZXktZm9yLXRoZS1zZXR0aW5ncy10ZXM="  # a Fernet key (32 bytes)
SHOW_DATABASE = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['HOST'])"
)


def _start(tmp_path, **env: str) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "SDRCRM_", "DATABASE_URL", "REDIS_URL", "CELERY_"))
    }
    base.update(
        DJANGO_SETTINGS_MODULE="sdrcrm.settings",
        DJANGO_SECRET_KEY=A_REAL_KEY,
        SDRCRM_MAILBOX_KEYS=A_MAILBOX_KEY,
        SDRCRM_VAR_DIR=str(tmp_path / "var"),
        **env,
    )
    return subprocess.run(
        [sys.executable, "-c", SHOW_DATABASE],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "sqlite:///var/sdrcrm.sqlite3",
            "DATABASE_URL names sqlite3, and sdrcrm runs on PostgreSQL only",
        ),
        (
            "mysql://crm@db.example.com/crm",
            "DATABASE_URL names mysql, and sdrcrm runs on PostgreSQL only",
        ),
        ("db.example.com:5432", "DATABASE_URL is not a database URL"),
    ],
    ids=["sqlite", "mysql", "not-a-url"],
)
@pytest.mark.parametrize("dev", ["1", "0"], ids=["development", "production"])
def test_a_database_url_naming_anything_but_postgresql_stops_the_app(tmp_path, url, message, dev):
    result = _start(tmp_path, DATABASE_URL=url, SDRCRM_DEV=dev)

    assert result.returncode != 0
    assert f"ImproperlyConfigured: {message}" in result.stderr
    assert result.stdout == ""


def test_without_database_url_outside_development_nothing_starts(tmp_path):
    result = _start(tmp_path, SDRCRM_DEV="0")

    assert result.returncode != 0
    assert "ImproperlyConfigured: DATABASE_URL is not set" in result.stderr


def test_without_database_url_a_development_run_uses_the_private_postgresql(tmp_path):
    result = _start(tmp_path, SDRCRM_DEV="1", SDRCRM_EMBEDDED_PG_DIR=str(tmp_path / "pg"))

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", str(tmp_path / "pg")]


def test_importing_the_settings_creates_no_directory(tmp_path):
    # No REDIS_URL: the filesystem broker's folders are make's and run-dev.sh's to create.
    result = _start(tmp_path, DATABASE_URL="postgres://crm@db.example.com:5432/crm")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "db.example.com"]
    assert list(tmp_path.iterdir()) == []


APP_DIRS = [
    "accounts", "api", "audit", "cadences", "coaching", "dashboards", "intake", "leads",
    "mailboxes", "privacy", "qualification", "sdrcrm", "security", "scripts",
]  # fmt: skip


def _app_sources():
    for app in APP_DIRS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts and path.name != "settings.py":
                yield path


def test_every_project_setting_the_code_reads_is_declared_and_read_directly():
    read = set()
    for path in _app_sources():
        text = path.read_text()
        assert not re.search(r"getattr\(\s*(django_)?settings\b", text), path
        read.update(re.findall(r"\bsettings\.(SDRCRM_[A-Z0-9_]+)", text))

    assert read  # the scan found the settings it is about
    assert sorted(name for name in read if not hasattr(settings, name)) == []
