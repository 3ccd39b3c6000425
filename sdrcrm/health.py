"""Liveness checks for /healthz. Each returns None when healthy, else a short error text."""

import os

from django.conf import settings
from django.db import connection
from kombu import Connection


def check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure is reported, not raised
        return f"{type(exc).__name__}: {exc}".strip()[:200]
    return None


def check_broker() -> str | None:
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_out"]
        if not os.path.isdir(folder):
            try:
                os.makedirs(folder, exist_ok=True)
            except OSError as exc:
                return f"broker folder {folder}: {exc}"
        if not os.access(folder, os.W_OK):
            return f"broker folder {folder} is not writable"
        return None
    try:
        with Connection(url, connect_timeout=2, transport_options={"max_retries": 0}) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
            if conn.transport_cls in ("redis", "rediss") or url.startswith("redis"):
                conn.default_channel.client.ping()
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}".strip()[:200]
    return None
