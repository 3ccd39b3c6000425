"""Work a web process does once when it starts rather than in the first request that needs it.

Measured on the demo (issue 20, docs/performance.md "Clicked actions"): the first click of a
process that schedules a touch imported the `holidays` library's ~280 country modules
(~180 ms: `sdrcrm.calendar.holidays` asks for a country's calendar, which imports them all),
and the first click that enqueues a task ran Celery's task discovery (~80 ms: every app's
tasks module). `make run`'s development server starts a new process at each code change, and
gunicorn one per worker, so every user met these on some click. `sdrcrm/wsgi.py` calls
`warm()` once, after Django is set up; nothing here touches the database or the broker.
"""

from __future__ import annotations

import importlib


def warm() -> None:
    # The country calendars: what holidays.country_holidays() imports on its first call.
    importlib.import_module("holidays.countries")
    # The registry of tasks by name, which sdrcrm.tasks.enqueue reads: every app's tasks.
    from .celery import app

    app.autodiscover_tasks(force=True)
