"""The current time for scheduling code.

In production this is ``django.utils.timezone.now()``. The end-to-end tests run a real Celery
worker through a cadence that lasts weeks; they move that worker's clock forward by writing an
offset in seconds into the file named by the ``SDRCRM_CLOCK_FILE`` setting (empty: no file, no
offset). Nothing else uses it.
"""

import os
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

_cache: dict[str, tuple[float, float]] = {}


def offset_seconds() -> float:
    path = settings.SDRCRM_CLOCK_FILE
    if not path:
        return 0.0
    try:
        mtime = os.stat(path).st_mtime
    except FileNotFoundError:
        return 0.0
    cached = _cache.get(path)
    if cached and cached[0] == mtime:
        return cached[1]
    with open(path) as f:
        value = float(f.read().strip() or 0)
    _cache[path] = (mtime, value)
    return value


def now() -> datetime:
    offset = offset_seconds()
    current = timezone.now()
    return current + timedelta(seconds=offset) if offset else current
